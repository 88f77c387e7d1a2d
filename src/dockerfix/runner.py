"""Runs the pipeline on each file and collects a report. Never prints, never exits."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dockerfix.config import Config, ConfigError, ConfigFinder
from dockerfix.context.choice import Contexts, contexts_for
from dockerfix.diagnostics import Diagnostic
from dockerfix.folders import real_path
from dockerfix.records import field, frozen, record, replace
from dockerfix.settings import Mode, Settings

# The document model, the engine and the rules are imported where they are first used, so that
# a run can start listing its repository (ContextDiscovery.prefetch) while they load.
if TYPE_CHECKING:
    from dockerfix.context.build_context import BuildContext
    from dockerfix.context.sources import ContextDiscovery
    from dockerfix.document.model import Document
    from dockerfix.engine import FixResult
    from dockerfix.rules.base import DockerfileRule, Finding, WorkflowRule

STDIN = "-"


@frozen
class FileReport:
    path: str  # as given or found; "-" for stdin
    findings: tuple[Finding, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()  # DFX9xx: the file was left untouched
    original: bytes | None = None
    output: bytes | None = None  # None when the file could not be processed
    written: bool = False

    @property
    def changed(self) -> bool:
        return self.output is not None and self.original is not None and self.output != self.original

    @property
    def error(self) -> bool:
        return any(d.error for d in self.diagnostics)


@record
class RunReport:
    files: list[FileReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # problems not tied to one file

    @property
    def changed(self) -> list[FileReport]:
        return [f for f in self.files if f.changed]

    @property
    def failed(self) -> bool:
        return bool(self.errors) or any(f.error for f in self.files)


def selected_rules(settings: Settings) -> list[DockerfileRule]:
    """The enabled rules; cache mounts (DFX2xx) only when every builder the project names runs
    them as BuildKit does (kaniko would bake the caches into the image, the legacy builder fails)."""
    from dockerfix.rules import dockerfile_rules

    return dockerfile_rules(lambda code: settings.enabled(code) and (settings.buildkit_only or not code.startswith("DFX2")))


def selected_workflow_rules(settings: Settings) -> list[WorkflowRule]:
    """The enabled rules on GitHub workflow files (DFX3xx)."""
    from dockerfix.rules import workflow_rules

    return workflow_rules(settings.enabled)


def load_context(root: Path | None, path: Path | None) -> tuple[BuildContext | None, Diagnostic | None]:
    from dockerfix.context.build_context import DirectoryContext
    from dockerfix.context.dockerignore import DockerIgnoreError

    if root is None:
        return None, None
    try:
        return DirectoryContext.load(root, path), None
    except DockerIgnoreError as exc:
        return None, Diagnostic.make("DFX906", 0, f".dockerignore: {exc}")
    except OSError as exc:
        return None, Diagnostic.make("DFX906", 0, f"cannot read the build context: {exc}")


def process_bytes(
    data: bytes, display: str, path: Path | None, settings: Settings, rules: Sequence[DockerfileRule],
    contexts: Contexts | None = None,
) -> FileReport:  # fmt: skip
    """The whole pipeline for one file's bytes: decode, parse, fix, verify. ``contexts``: the
    build contexts it is built with (default: `--context`, else the Dockerfile's folder)."""
    from dockerfix.document.parse import ParseError, parse
    from dockerfix.document.source import DecodeError, SourceText

    try:
        source = SourceText.from_bytes(data)
    except DecodeError as exc:
        return FileReport(display, diagnostics=(Diagnostic.make("DFX902", 0, str(exc)),), original=data)
    try:
        doc = parse(source)
    except ParseError as exc:
        return FileReport(display, diagnostics=(Diagnostic.make("DFX901", exc.line, exc.message),), original=data)
    if contexts is None:
        contexts = contexts_for(path, settings.context, None, None)
    diagnostics: list[Diagnostic] = []
    return report_fix(
        display, data, settings, lambda: fix_in_contexts(doc, rules, settings, contexts, path, diagnostics), diagnostics
    )


def report_fix(
    display: str, data: bytes, settings: Settings, fix: Callable[[], FixResult], diagnostics: list[Diagnostic]
) -> FileReport:
    """Run ``fix`` (which may add to ``diagnostics``) and report its findings and output, or,
    when it does not verify, fails or does not settle, why the file is left unchanged."""
    from dockerfix.engine import VerificationError

    try:
        result = fix()
    except VerificationError as exc:
        diagnostics.append(Diagnostic.make("DFX904", 0, f"{exc} (rules {', '.join(exc.codes)}); file left unchanged"))
        return FileReport(display, diagnostics=tuple(diagnostics), original=data)
    except Exception as exc:  # noqa: BLE001 - one broken file never stops the run
        diagnostics.append(internal_error(exc))
        return FileReport(display, diagnostics=tuple(diagnostics), original=data)
    if not result.converged:
        diagnostics.append(
            Diagnostic.make("DFX903", 0, f"fixes did not settle after {settings.max_iterations} passes; file left unchanged")
        )
        return FileReport(display, result.findings, tuple(diagnostics), original=data)
    return FileReport(display, result.findings, tuple(diagnostics), original=data, output=result.output.to_bytes())


def fix_in_contexts(
    doc: Document, rules: Sequence[DockerfileRule], settings: Settings, contexts: Contexts, path: Path | None,
    diagnostics: list[Diagnostic],
) -> FixResult:  # fmt: skip
    """Fix ``doc`` for every build context it is built with. One context: as it is. Several:
    each in turn, kept if they all give the same file; else the file is fixed once more without
    a build context, so that what depends on it is left out, and the reason names them all."""
    from dockerfix.engine import fix_document
    from dockerfix.rules.base import RuleContext

    known = contexts.known
    if contexts.unknown is not None or not known:
        why = f"the build context is unknown ({contexts.unknown})" if contexts.unknown else None
        return fix_document(doc, rules, RuleContext(None, settings, context_unknown=why))
    origin = contexts.describe() if contexts.discovered else None
    results: list[FixResult] = []
    for choice in known:
        build, problem = load_context(choice.folder, path)
        if problem is not None and problem not in diagnostics:
            diagnostics.append(problem)
        # a copy of the document for each context: what the rules memoize on it (the copied
        # folder's listing, the effects of a COPY) comes from that context
        results.append(fix_document(replace(doc), rules, RuleContext(build, settings, context_origin=origin)))
    outputs = {r.output.to_bytes() for r in results}
    if len(outputs) == 1:
        return _with_origin(results[0], rules, origin)
    why = f"the {contexts.describe()} give different results, and a change must hold for each"
    return fix_document(replace(doc), rules, RuleContext(None, settings, context_unknown=why))


def _with_origin(result: FixResult, rules: Sequence[DockerfileRule], origin: str | None) -> FixResult:
    """The findings of the rules that read the build context, saying where it came from."""
    if origin is None:
        return result
    readers = {r.code for r in rules if r.reads_context}
    findings = tuple(
        replace(f, message=f"{f.message} ({origin})") if f.code in readers else f for f in result.findings
    )
    return replace(result, findings=findings)


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same directory, keep the mode (a new file gets
    0644), then rename.

    A symbolic link is followed: the file it points to is replaced, the link stays."""
    import tempfile  # imported when a file is written, not at start-up

    path = Path(os.path.realpath(path))
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".dockerfix", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def process_file(
    path: Path, display: str, settings: Settings, rules: Sequence[DockerfileRule], contexts: Contexts | None = None
) -> FileReport:
    return _read_process_write(path, display, settings, _dockerfile_process(path, display, settings, rules, contexts))


def process_workflow_file(path: Path, display: str, settings: Settings, rules: Sequence[WorkflowRule]) -> FileReport:
    """A GitHub workflow file (`.github/workflows/*.yml`), with the Dockerfiles its steps build."""
    return _read_process_write(path, display, settings, _workflow_process(path, display, settings, rules))


def _dockerfile_process(
    path: Path, display: str, settings: Settings, rules: Sequence[DockerfileRule], contexts: Contexts | None
) -> Callable[[bytes], FileReport]:  # fmt: skip
    return lambda data: process_bytes(data, display, path, settings, rules, contexts)


def _workflow_process(
    path: Path, display: str, settings: Settings, rules: Sequence[WorkflowRule]
) -> Callable[[bytes], FileReport]:  # fmt: skip
    from dockerfix.workflow.process import process_workflow

    return lambda data: process_workflow(data, display, path, settings, rules)


def internal_error(exc: BaseException) -> Diagnostic:
    return Diagnostic.make("DFX999", 0, f"internal error: {type(exc).__name__}: {exc}")


def _guarded(display: str, data: bytes, process: Callable[[bytes], FileReport]) -> FileReport:
    """``process(data)``; an unexpected error becomes the file's DFX999 (the run goes on)."""
    try:
        return process(data)
    except Exception as exc:  # noqa: BLE001 - one broken file never stops the run
        return FileReport(display, diagnostics=(internal_error(exc),), original=data)


def _read_process(path: Path, display: str, process: Callable[[bytes], FileReport]) -> FileReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return FileReport(display, diagnostics=(Diagnostic.make("DFX905", 0, f"cannot read: {reason}"),))
    return _guarded(display, data, process)


def write_result(path: Path, settings: Settings, report: FileReport) -> FileReport:
    """Under --write, the fixed file written over ``path`` (or why it could not be)."""
    if settings.mode is Mode.WRITE and report.changed and report.output is not None:
        display = report.path
        try:
            write_atomic(path, report.output)
        except OSError as exc:
            diag = Diagnostic.make("DFX905", 0, f"cannot write: {exc.strerror or exc}")
            return FileReport(display, report.findings, report.diagnostics + (diag,), report.original, report.output)
        return FileReport(display, report.findings, report.diagnostics, report.original, report.output, written=True)
    return report


def _read_process_write(path: Path, display: str, settings: Settings, process: Callable[[bytes], FileReport]) -> FileReport:
    return write_result(path, settings, _read_process(path, display, process))


def file_contexts(path: Path, settings: Settings, config: Config | None, discovery: ContextDiscovery) -> Contexts:
    """The build contexts of a Dockerfile: the given one, else those its repository names."""
    from dockerfix.context.repository import repository_root

    root = repository_root(path, config.root if config is not None else None, discovery.roots)
    return contexts_for(path, settings.context, discovery, root)


def _dockerfiles(
    named: Path, finder: ConfigFinder, seen: set[Path], errors: list[str], real_paths: dict[str, str],
    workflows: bool = False,
) -> Iterator[tuple[Path, Config | None]]:  # fmt: skip
    """The Dockerfiles a path names (and, with ``workflows``, the GitHub workflow files), each
    once in a run, with its configuration; the problems go to ``errors``. ``real_paths``:
    the run's real paths of the files and folders seen (folders.real_path)."""
    from dockerfix.discovery import find_dockerfiles

    found, problems = find_dockerfiles(named, workflows)
    errors.extend(problems)
    for path in found:
        key = Path(real_path(path, real_paths))
        if key in seen:  # named twice, or found through two arguments
            continue
        seen.add(key)
        try:
            config = finder.for_file(path, key)
        except ConfigError as exc:
            if str(exc) not in errors:
                errors.append(str(exc))
            continue
        if config is not None and path != named and config.excludes(path):
            continue  # excluded by the configuration (a file named on the command line is not)
        yield path, config


@frozen
class Job:
    """A file of a run as discovery found it, with its settings; path None: standard input."""

    path: Path | None
    display: str
    settings: Settings
    config: Config | None = None
    workflow: bool = False
    data: bytes = b""

    @property
    def local(self) -> bool:
        """Done in the run's own process: standard input, and under --write a workflow file
        (it reads the Dockerfiles its steps build and context discovery reads it, so it waits
        for the files before it to be written and is written before the files after it)."""
        return self.path is None or (self.workflow and self.settings.mode is Mode.WRITE)


@frozen
class Task:
    """What reading and fixing one file needs, all picklable: the unit of work of a pool."""

    path: Path
    display: str
    settings: Settings
    contexts: Contexts | None  # the Dockerfile's build contexts; None for a workflow file


class RuleCache(dict[Settings, "list[DockerfileRule]"]):
    """The rules of each settings, made once."""

    def __missing__(self, settings: Settings) -> list[DockerfileRule]:
        rules = self[settings] = selected_rules(settings)
        return rules


def compute(task: Task, rules: RuleCache) -> FileReport:
    """Read and fix one file; nothing is written."""
    path, display, settings = task.path, task.display, task.settings
    if task.contexts is None:
        return _read_process(path, display, _workflow_process(path, display, settings, selected_workflow_rules(settings)))
    return _read_process(path, display, _dockerfile_process(path, display, settings, rules[settings], task.contexts))


# Below this many files a run stays in one process: starting a pool of two workers cost 0.15-0.2 s
# of CPU time on a two-core machine, fixing one file 15-35 ms, so that two workers pay from about
# 11 files on (docs/architecture.md, "Many files").
POOL_MIN_FILES = 12
MAX_CHUNK = 8  # files sent to a worker at once (dockerfix.pool)


def use_pool(files: int, jobs: int) -> bool:
    """Whether ``files`` files are worth a pool of ``jobs`` worker processes."""
    return jobs > 1 and files >= max(POOL_MIN_FILES, 2 * jobs)


def usable_cpus() -> int:
    """The cores this process may run on."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counter is not None:
        return int(counter() or 1)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def run(paths: Iterable[str], settings: Settings, stdin: bytes | None = None, jobs: int = 1) -> RunReport:
    """Every file ``paths`` name, fixed (and written under --write), in the order found. With
    ``jobs`` > 1 and enough files, the reading and fixing runs in a pool of worker processes;
    the report is the same as in one process."""
    from dockerfix.context.repository import start_listing

    paths = list(paths)
    # git lists each repository while the rest of the run loads (the sources' readers, the
    # engine and the rules, on the first file)
    listings = start_listing([p for p in paths if p != STDIN]) if settings.context is None else {}
    from dockerfix.context.sources import ContextDiscovery

    discovery = ContextDiscovery(listings)
    try:
        return _run(paths, settings, stdin, jobs, discovery)
    finally:
        discovery.close()


def _run(paths: list[str], settings: Settings, stdin: bytes | None, jobs: int, discovery: ContextDiscovery) -> RunReport:
    report = RunReport()
    found = _jobs(paths, settings, stdin, report.errors, discovery.real_paths)
    rules = RuleCache()

    def task(job: Job) -> Task:
        assert job.path is not None
        contexts = None if job.workflow else file_contexts(job.path, job.settings, job.config, discovery)
        return Task(job.path, job.display, job.settings, contexts)

    def here(job: Job) -> FileReport:
        if job.path is None:
            return _guarded(STDIN, job.data, lambda data: process_bytes(data, STDIN, None, job.settings, rules[job.settings]))
        one = task(job)
        return write_result(one.path, one.settings, compute(one, rules))

    # enough files found to know that a pool is worth it: the workers start on them while the
    # run finds the rest and works out each one's build contexts
    head: list[Job] = []
    files = 0
    for job in found:
        head.append(job)
        files += job.path is not None
        if files >= stream_after(jobs):
            break
    remaining = itertools.chain(head, found)
    if not use_pool(files, jobs):  # one job, or all files found and too few
        report.files.extend(here(job) for job in remaining)
        return report
    # loaded once here, so that the forked workers start with them: many files name every tool
    import dockerfix.engine  # noqa: F401
    from dockerfix.pool import Pool, chunk_size
    from dockerfix.rules import ALL_RULES  # noqa: F401

    local: list[Job] = []

    def until_local() -> Iterator[Task]:
        """The tasks up to the next job done here, which waits in ``local``."""
        for job in remaining:
            if job.local:
                local.append(job)
                return
            yield task(job)

    with Pool(jobs) as pool:
        while True:
            # every file between two local jobs is read before any is written: a worker never
            # sees a file half-written, and none reads another's content
            done = pool.stream(until_local(), chunk_size(files, jobs))
            report.files.extend(write_result(t.path, t.settings, r) for t, r in done)
            if not local:
                return report
            report.files.append(here(local.pop()))


def stream_after(jobs: int) -> int:
    """The files a run finds before it starts its pool: enough for the pool to be worth it
    (use_pool) and for its chunks to be full (pool.chunk_size)."""
    return max(POOL_MIN_FILES, 2 * jobs, 4 * jobs * MAX_CHUNK)


def _jobs(
    paths: Iterable[str], settings: Settings, stdin: bytes | None, errors: list[str], real_paths: dict[str, str]
) -> Iterator[Job]:
    """The files of a run in order, each with its settings; the problems go to ``errors``."""
    from dockerfix.discovery import is_workflow_path

    finder = ConfigFinder(settings.config, settings.isolated)
    seen: set[Path] = set()
    for item in paths:
        if item == STDIN:
            try:
                config = finder.for_file(Path.cwd() / "Dockerfile")
            except ConfigError as exc:
                errors.append(str(exc))
                continue
            yield Job(None, STDIN, settings.for_file(config, None), data=stdin if stdin is not None else b"")
            continue
        for path, config in _dockerfiles(Path(item), finder, seen, errors, real_paths, workflows=True):
            yield Job(path, str(path), settings.for_file(config, path), config, is_workflow_path(path))


@record
class ContextsReport:
    """`dockerfix contexts`: each Dockerfile found and its build contexts."""

    files: list[tuple[str, Contexts]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def list_contexts(paths: Iterable[str], settings: Settings) -> ContextsReport:
    from dockerfix.context.sources import ContextDiscovery

    report = ContextsReport()
    finder = ConfigFinder(settings.config, settings.isolated)
    discovery = ContextDiscovery()
    seen: set[Path] = set()
    for item in paths:
        for path, config in _dockerfiles(Path(item), finder, seen, report.errors, discovery.real_paths):
            file_settings = settings.for_file(config, path)
            report.files.append((str(path), file_contexts(path, file_settings, config, discovery)))
    return report
