"""The typer commands: arguments to Settings, the runner, the report to streams and an exit code.

dockerfix.cli is the entry point; it hands every command line here but a plain fix run.

Exit codes: 0 nothing to change, or everything written; 1 changes pending (--diff, --check);
2 usage error, or a file that could not be read, decoded, parsed or fixed (the other files are
still processed).

This module does not use `from __future__ import annotations`: typer reads the annotations of
every command when it runs, and with postponed annotations it would compile each one from its
text on every start.
"""

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from dockerfix import __version__
from dockerfix.fix_command import EXIT_CLEAN, EXIT_ERROR, FORMATS, codes, err, known_codes, run_fix

app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
rules_app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
verify_app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
pr_app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
contexts_app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
explain_app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
campaign_app = typer.Typer(
    add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False, no_args_is_help=True,
    help="Helpers for a campaign of `dockerfix pr` on GitHub Actions (docs/bot.md).",
)  # fmt: skip


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dockerfix {__version__}")
        raise typer.Exit(EXIT_CLEAN)


@app.command(
    help=(
        "Rewrite Dockerfiles so the build cache works. PATHS are files or folders ('-' reads "
        "standard input and writes the fixed file to standard output). Exit status: 0 nothing "
        "to change or everything written, 1 changes pending under --diff/--check, 2 usage "
        "error or a file that could not be processed. 'dockerfix rules [CODE]' documents the rules."
    )
)
def fix(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Dockerfiles or folders to search (default: .)")] = None,
    diff: Annotated[bool, typer.Option("--diff", help="Print a unified diff and write nothing (the default).")] = False,
    write: Annotated[bool, typer.Option("--write", help="Rewrite the files in place.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Name the files that would change; write nothing.")] = False,
    select: Annotated[Optional[list[str]], typer.Option("--select", help="Only these rule codes or prefixes (comma-separated).")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option("--ignore", help="Skip these rule codes or prefixes (comma-separated).")] = None,
    unsafe_fixes: Annotated[bool, typer.Option("--unsafe-fixes", help="Also apply fixes marked unsafe.")] = False,
    context: Annotated[Optional[Path], typer.Option("--context", help="The build context (default: each Dockerfile's folder).")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="Use this configuration file for every Dockerfile.")] = None,
    isolated: Annotated[bool, typer.Option("--isolated", help="Ignore every configuration file.")] = False,
    output_format: Annotated[str, typer.Option("--format", help="Report format: text, json, sarif or github.")] = "text",
    output_file: Annotated[Optional[Path], typer.Option("--output-file", help="Write the report there instead of the terminal.")] = None,
    statistics: Annotated[bool, typer.Option("--statistics", help="Count the findings of each rule instead of listing them.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print only errors.")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Also name unchanged files.")] = False,
    jobs: Annotated[Optional[int], typer.Option("--jobs", help="Worker processes for many files (default: one per usable core; 1: none). The output is the same.")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    from dockerfix.settings import Mode, Settings

    if sum((diff, write, check)) > 1:
        raise typer.BadParameter("--diff, --write and --check exclude each other")
    mode = Mode.WRITE if write else Mode.CHECK if check else Mode.DIFF
    if context is not None and not context.is_dir():
        raise typer.BadParameter(f"{context} is not a directory", param_hint="--context")
    if output_format not in FORMATS:
        raise typer.BadParameter(f"{output_format!r} is not one of {', '.join(FORMATS)}", param_hint="--format")
    if config is not None and not config.is_file():
        raise typer.BadParameter(f"{config} is not a file", param_hint="--config")
    if jobs is not None and jobs < 1:
        raise typer.BadParameter(f"{jobs} is not a number of processes (1 or more)", param_hint="--jobs")
    settings = Settings(
        mode=mode,
        select=codes(select),
        ignore=codes(ignore),
        unsafe_fixes=unsafe_fixes,
        context=context,
        config=config,
        isolated=isolated,
    )
    known = known_codes()
    for code in settings.select + settings.ignore:
        if not any(k.startswith(code) for k in known):
            raise typer.BadParameter(f"unknown rule code {code!r}", param_hint="--select/--ignore")
    raise typer.Exit(
        run_fix(
            settings, paths, jobs=jobs, output_format=output_format, output_file=output_file, statistics=statistics,
            quiet=quiet, verbose=verbose, stdin_diff=diff,
        )
    )  # fmt: skip


@rules_app.command(help="Print the documentation of every rule, or of the rule CODE.")
def rules(code: Annotated[Optional[str], typer.Argument(help="A rule code such as DFX101.")] = None) -> None:
    from dockerfix.diagnostics import CODES
    from dockerfix.rules import ALL_RULES, rule_by_code

    if code is None:
        for r in ALL_RULES:
            typer.echo(f"{r.code}  {r.name:28} {r.summary}")
        for c, (name, _) in CODES.items():
            typer.echo(f"{c}  {name:28} (diagnostic)")
        return
    rule = rule_by_code(code)
    if rule is not None:
        typer.echo(f"# {rule.code} {rule.name}\n\n{rule.summary}\n\n{rule.documentation()}")
        return
    if code.upper() in CODES:
        name, text = CODES[code.upper()]
        typer.echo(f"# {code.upper()} {name}\n\n{text}")
        return
    err(f"error: unknown rule code {code!r}")
    raise typer.Exit(EXIT_ERROR)


@explain_app.command(
    help=(
        "Print, for each stage of DOCKERFILE, its FROM image, the entry of the table of known base "
        "images it matched (or why none did), the entry's source and the facts the rules take from "
        "it: package manager, docker-clean, USER and users, WORKDIR, ENV, SHELL. Exit status: 0, "
        "or 2 for a file that cannot be read or parsed."
    )
)
def explain(
    dockerfile: Annotated[Path, typer.Argument(help="The Dockerfile ('-' reads standard input).")] = Path("Dockerfile"),
) -> None:
    from dockerfix.document.parse import ParseError, parse
    from dockerfix.document.source import DecodeError, SourceText
    from dockerfix.render.base_images import explain as describe

    try:
        data = sys.stdin.buffer.read() if str(dockerfile) == "-" else dockerfile.read_bytes()
    except OSError as exc:
        err(f"error: cannot read {dockerfile}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_ERROR) from None
    try:
        doc = parse(SourceText.from_bytes(data))
    except (DecodeError, ParseError) as exc:
        err(f"error: {dockerfile}: {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    sys.stdout.write(describe(doc))


@verify_app.command(
    help=(
        "Build DOCKERFILE as it is and as dockerfix rewrites it, from copies of the build context "
        "(your files are only read), and show that the images are the same, that an edit of an "
        "application file no longer re-runs the install, and that the install reads its cache "
        "mount. With --before OLD, prove a change of your own instead: OLD (a file, or REV:path "
        "from git) against DOCKERFILE. With --changed-since REV, every Dockerfile the branch "
        "changed against its version at REV. Needs a local Docker engine with BuildKit. Exit "
        "status: 0 verified, 1 a check failed, 2 it cannot run here, 130/143 interrupted."
    )
)
def verify(
    dockerfile: Annotated[Optional[Path], typer.Argument(help="The Dockerfile (default: ./Dockerfile; with --changed-since: the folder to look in, default: the repository).", show_default=False)] = None,
    before: Annotated[Optional[str], typer.Option("--before", metavar="OLD", help="Compare with this old version: a file, or REV:path read from git (e.g. origin/main:Dockerfile).")] = None,
    changed_since: Annotated[Optional[str], typer.Option("--changed-since", metavar="REV", help="Verify each Dockerfile changed since REV (its merge base with HEAD) against its version there.")] = None,
    context: Annotated[Optional[Path], typer.Option("--context", help="The build context (default: as the repository builds it, else the Dockerfile's folder).")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text, json, github (annotations) or markdown.")] = "text",
    json_output: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    summary: Annotated[Optional[Path], typer.Option("--summary", help="Also append a Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY).")] = None,
    network: Annotated[Optional[str], typer.Option("--network", help="Passed to every docker build (e.g. host).")] = None,
    docker: Annotated[Optional[str], typer.Option("--docker", help="The docker client to use (default: the first that builds with BuildKit).")] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the images that were built.")] = False,
    select: Annotated[Optional[list[str]], typer.Option("--select", help="Only these rule codes or prefixes.")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option("--ignore", help="Skip these rule codes or prefixes.")] = None,
    unsafe_fixes: Annotated[bool, typer.Option("--unsafe-fixes", help="Also apply fixes marked unsafe.")] = False,
) -> None:
    from dockerfix.records import replace
    from dockerfix.settings import Settings
    from dockerfix.verify.changes import ChangeError, read_before
    from dockerfix.verify.procedure import VerifyOptions
    from dockerfix.verify.procedure import verify as run_verify

    output_format = "json" if json_output else output_format
    if output_format not in VERIFY_FORMATS:
        raise typer.BadParameter(f"{output_format!r} is not one of {', '.join(VERIFY_FORMATS)}", param_hint="--format")
    if before is not None and changed_since is not None:
        raise typer.BadParameter("give --before or --changed-since, not both", param_hint="--before")
    if context is not None and not context.is_dir():
        raise typer.BadParameter(f"{context} is not a directory", param_hint="--context")
    settings = Settings(select=codes(select), ignore=codes(ignore), unsafe_fixes=unsafe_fixes)
    options = VerifyOptions(Path("Dockerfile"), context, settings, network=network, docker=docker, keep=keep)
    progress = (lambda line: err(f"... {line}")) if output_format in ("text", "github") else (lambda line: None)
    if changed_since is not None:
        from dockerfix.verify.pull_request import verify_changed

        if dockerfile is not None and not dockerfile.exists():
            raise typer.BadParameter(f"{dockerfile} does not exist", param_hint="DOCKERFILE")
        changes = verify_changed(changed_since, dockerfile or Path("."), options, progress)
        _verify_output(changes.reports, output_format, summary, changes)
        raise typer.Exit(changes.exit_code)
    dockerfile = dockerfile or Path("Dockerfile")
    if not dockerfile.is_file():
        raise typer.BadParameter(f"{dockerfile} is not a file", param_hint="DOCKERFILE")
    if before is not None:
        try:
            old = read_before(before, Path.cwd())
        except ChangeError as exc:
            raise typer.BadParameter(str(exc), param_hint="--before") from None
        options = replace(options, before=old, before_name=before)
    report = run_verify(replace(options, dockerfile=dockerfile), progress=progress)
    _verify_output([report], output_format, summary)
    raise typer.Exit(report.exit_code)


VERIFY_FORMATS = ("text", "json", "github", "markdown")


def _verify_output(reports: list[Any], output_format: str, summary: Optional[Path], changes: Any = None) -> None:
    """Print verify's reports (one, or a ``ChangesReport``'s) and append the Markdown summary."""
    from dockerfix.verify import summary as summaries
    from dockerfix.verify.report import render

    added = changes.added if changes is not None else []
    errors = [changes.error] if changes is not None and changes.error else []
    heading = "dockerfix verify" + (f": Dockerfiles changed since {changes.since}" if changes is not None else "")
    if output_format == "json":
        sys.stdout.write((changes.to_json() if changes is not None else reports[0].to_json()) + "\n")
    elif output_format == "github":
        sys.stdout.write(summaries.github(reports, errors))
    elif output_format == "markdown":
        sys.stdout.write(summaries.markdown(reports, heading, added, errors))
    else:
        for error in errors:
            err(f"error: {error}")
        sys.stdout.write("".join(render(r) for r in reports))
        if changes is not None:
            sys.stdout.write(_changes_text(changes))
    if summary is not None:
        try:
            with summary.open("a", encoding="utf-8") as fh:
                fh.write(summaries.markdown(reports, heading, added, errors))
        except OSError as exc:
            err(f"error: cannot write the summary to {summary}: {exc.strerror or exc}")


def _changes_text(changes: Any) -> str:
    lines = [f"note: {n}" for n in changes.notes]
    lines += [f"{path}: new, there is no earlier version to compare it with" for path in changes.added]
    if changes.interrupted is not None and not any(r.interrupted for r in changes.reports):
        lines.append(f"interrupted by {changes.interrupted}")
    if changes.error is None and changes.interrupted is None:
        counts = {"verified": 0, "NOT verified": 0, "cannot verify": 0}
        for r in changes.reports:
            if r.changed or r.error:
                counts[r.result] = counts.get(r.result, 0) + 1
        shown = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
        lines.append(f"Dockerfiles changed since {changes.since}: {shown or 'none to verify'}")
    return "".join(line + "\n" for line in lines)


@pr_app.command(
    help=(
        "Open (or update) a pull request with dockerfix's fixes for the git checkout REPO_DIR "
        "(default: .), or for every repository listed in --repos FILE. The fixes are made on a "
        "fresh worktree of the default branch; your checkout is not touched. The token comes "
        "from GITHUB_TOKEN or DOCKERFIX_TOKEN. Exit status: 0 done (or nothing to do), 2 a "
        "repository failed."
    )
)
def pr(
    repo_dir: Annotated[Path, typer.Argument(help="A git checkout (default: .).")] = Path("."),
    repos: Annotated[Optional[Path], typer.Option("--repos", help="A file of clone URLs or owner/name, one per line.")] = None,
    branch: Annotated[str, typer.Option("--branch", help="The branch of the pull request.")] = "dockerfix/build-cache",
    remote: Annotated[str, typer.Option("--remote", help="The remote to push to.")] = "origin",
    base: Annotated[Optional[str], typer.Option("--base", help="The branch to start from (default: the remote's HEAD).")] = None,
    repo: Annotated[Optional[str], typer.Option("--repo", help="OWNER/NAME, when the remote URL does not say.")] = None,
    api_url: Annotated[Optional[str], typer.Option("--api-url", help="The forge's API (default: GITHUB_API_URL or https://api.github.com; Gitea: https://host/api/v1).")] = None,
    clone_base: Annotated[str, typer.Option("--clone-base", help="Where owner/name lines of --repos are cloned from.")] = "https://github.com",
    author: Annotated[Optional[str], typer.Option("--author", help="'Name <email>' for the commit (default: git config, else dockerfix[bot]).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the branch, commit message, diff and body; push nothing.")] = False,
    reopen: Annotated[bool, typer.Option("--reopen", help="Reopen a pull request that was closed without merging.")] = False,
    allow_dirty: Annotated[bool, typer.Option("--allow-dirty", help="Run even with uncommitted changes in the checkout.")] = False,
    verify_builds: Annotated[bool, typer.Option("--verify", help="Build with `dockerfix verify` and put its table in the body.")] = False,
    network: Annotated[Optional[str], typer.Option("--network", help="--network for the --verify builds.")] = None,
    unsafe_fixes: Annotated[bool, typer.Option("--unsafe-fixes", help="Also apply fixes marked unsafe.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="With --repos: how many repositories to handle at once.")] = 1,
    summary_json: Annotated[Optional[Path], typer.Option("--summary-json", help="Write one JSON record per repository to FILE (updated as each finishes).")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="With --repos: skip repositories the --summary-json FILE of a previous run says are opened, updated or unchanged.")] = False,
) -> None:
    import re as _re

    from dockerfix.bot.forge import token as forge_token
    from dockerfix.bot.pr import PrOptions, open_pull_request
    from dockerfix.bot.records import SummaryError, SummaryWriter, read_done
    from dockerfix.settings import Settings

    parsed_author: tuple[str, str] | None = None
    if author is not None:
        m = _re.fullmatch(r"\s*(.+?)\s*<([^<>@\s]+@[^<>\s]+)>\s*", author)
        if not m:
            raise typer.BadParameter("expected 'Name <email>'", param_hint="--author")
        parsed_author = (m.group(1), m.group(2))
    token = forge_token()
    options = PrOptions(
        repo_dir=repo_dir, branch=branch, remote=remote, base=base, api_url=api_url, slug=repo, token=token,
        author=parsed_author, dry_run=dry_run, reopen=reopen, allow_dirty=allow_dirty, verify=verify_builds,
        network=network, settings=Settings(unsafe_fixes=unsafe_fixes),
    )  # fmt: skip
    if repos is None and (resume or jobs != 1):
        raise typer.BadParameter("needs --repos FILE", param_hint="--resume" if resume else "--jobs")
    if summary_json is not None and not summary_json.resolve().parent.is_dir():
        raise typer.BadParameter(f"{summary_json.parent} is not a directory", param_hint="--summary-json")
    writer = SummaryWriter(summary_json) if summary_json is not None else None
    if repos is not None:
        from dockerfix.bot.campaign import many, summary

        try:
            lines = repos.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise typer.BadParameter(f"cannot read {repos}: {exc.strerror or exc}", param_hint="--repos") from None
        done = None
        if resume:
            if summary_json is None:
                raise typer.BadParameter("needs --summary-json FILE, the summary of the run to resume", param_hint="--resume")
            try:
                done = read_done(summary_json)
            except SummaryError as exc:
                raise typer.BadParameter(str(exc), param_hint="--summary-json") from None
            if done is None:
                err(f"no summary at {summary_json} yet: every repository is handled")
        results = many(lines, options, clone_base, progress=err, jobs=jobs, done=done, on_result=writer)
        for r in results:
            if r.output:
                sys.stdout.write(f"=== {r.repo}\n{r.output}\n")
        sys.stdout.write(summary(results))
    else:
        results = [open_pull_request(options)]
        if results[0].output:
            sys.stdout.write(results[0].output)
        line = results[0].line + (f" {results[0].url}" if results[0].url else "")
        (err if results[0].failed else lambda t: sys.stdout.write(t + "\n"))(line)
    if writer is not None:
        writer(results)
        if writer.error:
            err(f"error: {writer.error}")
    raise typer.Exit(EXIT_ERROR if any(r.failed for r in results) or (writer and writer.error) else EXIT_CLEAN)


@campaign_app.command(
    "matrix",
    help=(
        "Print the GitHub Actions job matrix of a campaign: the repositories of --repos FILE (one "
        "per line, '#' comments, duplicates once) or of the organisation --org, in chunks of "
        "--chunk-size, as {\"include\": [{\"chunk\": 0, \"repos\": \"a/b\\nc/d\"}, ...]}. When the "
        "list needs more than --max-jobs chunks the chunk size grows, and standard error says so. "
        "Exit status: 0, or 2 when the list cannot be read or does not fit."
    ),
)
def campaign_matrix(
    repos: Annotated[Optional[Path], typer.Option("--repos", help="A file of clone URLs or owner/name, one per line.")] = None,
    org: Annotated[Optional[str], typer.Option("--org", help="Every repository of this GitHub organisation (token: GITHUB_TOKEN or DOCKERFIX_TOKEN).")] = None,
    chunk_size: Annotated[int, typer.Option("--chunk-size", help="Repositories per matrix job.")] = 20,
    max_jobs: Annotated[int, typer.Option("--max-jobs", help="At most this many matrix jobs (GitHub allows 256).")] = 256,
    include_archived: Annotated[bool, typer.Option("--include-archived", help="With --org: also archived repositories.")] = False,
    include_forks: Annotated[bool, typer.Option("--include-forks", help="With --org: also forks.")] = False,
    api_url: Annotated[Optional[str], typer.Option("--api-url", help="The API (default: GITHUB_API_URL or https://api.github.com).")] = None,
    github_output: Annotated[Optional[Path], typer.Option("--github-output", help="Also append matrix=... and chunks=N to this file (give $GITHUB_OUTPUT).")] = None,
) -> None:
    from dockerfix.bot.forge import ForgeError
    from dockerfix.bot.forge import api_url as forge_api
    from dockerfix.bot.forge import token as forge_token
    from dockerfix.bot.matrix import CampaignError, matrix, org_repositories, repositories

    if (repos is None) == (org is None):
        raise typer.BadParameter("give either --repos FILE or --org ORG")
    try:
        if repos is not None:
            names = repositories(repos.read_text(encoding="utf-8").splitlines())
        else:
            names = org_repositories(forge_api(api_url), org or "", forge_token(), include_archived, include_forks)
        plan = matrix(names, chunk_size, max_jobs)
    except (OSError, UnicodeDecodeError) as exc:
        err(f"error: cannot read {repos}: {getattr(exc, 'strerror', None) or exc}")
        raise typer.Exit(EXIT_ERROR) from None
    except (CampaignError, ForgeError) as exc:
        err(f"error: {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    if plan.grown:
        err(
            f"{len(names)} repositories in chunks of {plan.asked} would need more than {max_jobs} jobs: "
            f"chunks of {plan.chunk_size} instead"
        )
    err(f"{len(names)} repositories in {len(plan.include)} chunks of at most {plan.chunk_size}")
    if github_output is not None:
        try:
            with github_output.open("a", encoding="utf-8") as out:
                out.write(f"matrix={plan.to_json()}\nchunks={len(plan.include)}\n")
        except OSError as exc:
            err(f"error: cannot write {github_output}: {exc.strerror or exc}")
            raise typer.Exit(EXIT_ERROR) from None
    sys.stdout.write(plan.to_json() + "\n")


@campaign_app.command(
    "summary",
    help=(
        "Merge the --summary-json files of a campaign's chunks (FILES) into one summary, printed "
        "as JSON, or with --markdown as a table for $GITHUB_STEP_SUMMARY. A missing or unreadable "
        "file is reported (its chunk's job may have died), not an error. Exit status: 0, or 2 when "
        "a file was missing or unreadable or a repository failed."
    ),
)
def campaign_summary(
    files: Annotated[Optional[list[Path]], typer.Argument(help="The summary JSON files of the chunks.")] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown instead of JSON.")] = False,
    output: Annotated[Optional[Path], typer.Option("--output", help="Also write the merged JSON to this file.")] = None,
) -> None:
    from dockerfix.bot.matrix import merge
    from dockerfix.render.campaign import markdown as to_markdown

    merged = merge(files or [])
    for problem in merged.problems:
        err(f"warning: {problem}")
    if output is not None:
        try:
            output.write_text(merged.to_json(), encoding="utf-8")
        except OSError as exc:
            err(f"error: cannot write {output}: {exc.strerror or exc}")
            raise typer.Exit(EXIT_ERROR) from None
    sys.stdout.write(to_markdown(merged) if markdown else merged.to_json())
    raise typer.Exit(EXIT_ERROR if merged.failed else EXIT_CLEAN)


@contexts_app.command(
    help=(
        "Name the build context(s) each Dockerfile under PATHS is built with, and where each "
        "comes from: --context or the configuration, else the repository's compose, bake, "
        "GitHub workflow, devcontainer and Makefile files (file and line), else the "
        "Dockerfile's folder. A context a file names through a variable is unknown, with the "
        "reason. Exit status: 0, or 2 when a path cannot be read."
    )
)
def contexts(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Dockerfiles or folders to search (default: .)")] = None,
    context: Annotated[Optional[Path], typer.Option("--context", help="The build context for every Dockerfile.")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="Use this configuration file for every Dockerfile.")] = None,
    isolated: Annotated[bool, typer.Option("--isolated", help="Ignore every configuration file.")] = False,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    from dockerfix.render.contexts import contexts_json, contexts_text
    from dockerfix.runner import list_contexts
    from dockerfix.settings import Settings

    if output_format not in ("text", "json"):
        raise typer.BadParameter(f"{output_format!r} is not one of text, json", param_hint="--format")
    if context is not None and not context.is_dir():
        raise typer.BadParameter(f"{context} is not a directory", param_hint="--context")
    if config is not None and not config.is_file():
        raise typer.BadParameter(f"{config} is not a file", param_hint="--config")
    report = list_contexts(paths or ["."], Settings(context=context, config=config, isolated=isolated))
    if output_format == "json":
        sys.stdout.write(contexts_json(report))
    else:
        for error in report.errors:
            err(f"error: {error}")
        sys.stdout.write(contexts_text(report))
    raise typer.Exit(EXIT_ERROR if report.errors else EXIT_CLEAN)


def dispatch(args: list[str]) -> None:
    """Run the command ARGS name (the fix command when the first is no subcommand's name)."""
    if args[:1] == ["rules"]:
        rules_app(args[1:], prog_name="dockerfix rules")
    elif args[:1] == ["verify"]:
        verify_app(args[1:], prog_name="dockerfix verify")
    elif args[:1] == ["pr"]:
        pr_app(args[1:], prog_name="dockerfix pr")
    elif args[:1] == ["contexts"]:
        contexts_app(args[1:], prog_name="dockerfix contexts")
    elif args[:1] == ["campaign"]:
        campaign_app(args[1:], prog_name="dockerfix campaign")
    elif args[:1] == ["explain"]:
        explain_app(args[1:], prog_name="dockerfix explain")
    else:
        app(args, prog_name="dockerfix")
