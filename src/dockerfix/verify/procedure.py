"""The verification itself: build both versions from copies of the build context, compare the
images, edit an application file and a manifest, rebuild, and report. Never prints, never exits;
the user's files are only read."""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from dockerfix.context.build_context import DirectoryContext
from dockerfix.context.dockerignore import DockerIgnoreError
from dockerfix.document.flags import mounts
from dockerfix.document.model import Document, Instruction
from dockerfix.document.parse import parse
from dockerfix.document.source import SourceText
from dockerfix.ecosystems.pip import pip_call
from dockerfix.records import frozen, replace
from dockerfix.rules._mounts import base_problem
from dockerfix.rules.pip_cache import NO_CACHE_VAR
from dockerfix.runner import process_bytes, selected_rules
from dockerfix.settings import Settings
from dockerfix.verify.buildlog import Step, find_step
from dockerfix.verify.changes import ChangeError, file_settings
from dockerfix.verify.docker import BuildResult, DockerUnavailable, Engine, find_engine
from dockerfix.verify.filesystem import Entry, compare, compare_config, differing
from dockerfix.verify.interrupt import Interrupted, deferred, interruptible
from dockerfix.verify.plan import (
    Expectation,
    added_mounts,
    comment_line,
    expectations,
    file_to_add,
    manifest_to_edit,
    source_to_edit,
)
from dockerfix.verify.report import CacheCheck, StepReport, VerifyReport

# What a tool prints when it takes packages from its cache rather than the network.
EVIDENCE = {
    "pip": re.compile(r"Using cached \S+"),
    "apt": re.compile(r"Need to get 0 B\S*"),
    # npm takes a package that its cache holds silently; at loglevel http it prints every download
    "npm": re.compile(r"added \d+ packages?"),
}
# What a tool prints when it fetches packages at all (no such line: it ran quietly).
FETCHING = {
    "pip": re.compile(r"Collecting|Downloading|Using cached|Processing"),
    "apt": re.compile(r"Need to get|Get:\d"),
    "npm": re.compile(r"npm http fetch"),
}
# For a tool whose evidence is the absence of downloads: what a download looks like.
DOWNLOADED = {"npm": re.compile(r"npm http fetch GET 200 \S+\.tgz .*\(cache miss\)")}
# What the engine prints when it cannot give a build step the default network (a daemon started
# without its bridge, a rootless or nested engine without iptables): `--network host` is the way
NETWORK_SETUP = re.compile(
    r"network bridge not found|failed to create endpoint [^\n]*|could not find an available, non-overlapping "
    r"IPv4 address pool[^\n]*|iptables failed[^\n]*|failed to set up container networking[^\n]*"
    r"|failed to create network[^\n]*|netavark: [^\n]*|CNI network \"[^\"]*\" not found"
)
_NPM_LOUD = frozenset({"http", "timing", "info", "verbose", "silly"})


def npm_logs_downloads(doc: Document, inst: Instruction) -> bool:
    """Whether npm runs at loglevel http or above in ``inst`` (npm_config_loglevel, --loglevel)."""
    state = doc.state(inst)
    level = state.env.get("npm_config_loglevel") or state.env.get("NPM_CONFIG_LOGLEVEL") or ""
    m = re.search(r"--loglevel[= ](\w+)", inst.command_text)
    return (m.group(1) if m else level) in _NPM_LOUD


def cache_disabled(doc: Document, inst: Instruction) -> str | None:
    """What keeps pip in ``inst`` from using a cache, read as the pip cache rule reads it: its
    --no-cache-dir, a PIP_NO_CACHE_DIR on the command (`env` included) or in the stage that the
    command does not unset (`env -u`), or the base image's pip configuration."""
    state = doc.state(inst)
    for cmd in inst.script.commands:
        call = pip_call(cmd)
        if call is None:
            continue
        if call.no_cache_words:
            return "pip runs with --no-cache-dir"
        if NO_CACHE_VAR in call.invocation.env:
            return f"pip runs with {NO_CACHE_VAR} set"
        if NO_CACHE_VAR in state.env and NO_CACHE_VAR not in call.invocation.unset:
            return f"the stage sets {NO_CACHE_VAR}"
    return base_problem(doc, doc.stages[inst.stage], "pip")


@frozen
class VerifyOptions:
    dockerfile: Path
    context: Path | None = None  # None: as for the rest of dockerfix (changes.file_settings)
    settings: Settings = Settings()
    network: str | None = None  # --network for every build (host on machines without a bridge)
    docker: str | None = None  # the docker client to use
    keep: bool = False  # keep the images and print their tags
    # --before: the old version to compare the Dockerfile with, instead of dockerfix's rewrite
    before: bytes | None = None
    before_name: str | None = None  # how to show it (a path, or REV:path)


@frozen
class _Pending:
    """What the file comparison needs, kept until the other builds are done."""

    snapshots: tuple[dict[str, Entry], dict[str, Entry]]  # original, rewritten
    mounts: list[str]
    dockerfiles: tuple[bytes, bytes]
    folder: Path  # the original's copy of the context
    dockerfile: Path  # the original Dockerfile in it


class _Stop(Exception):
    """End the verification early; the report already says why."""


def verify(options: VerifyOptions, progress: Callable[[str], None] = lambda _: None) -> VerifyReport:
    """Verify dockerfix's rewrite of ``options.dockerfile``, or with ``options.before`` the change
    from that old version to the file. A SIGINT or SIGTERM stops the builds, removes what the
    verification made and ends the report as interrupted."""
    report = VerifyReport(str(options.dockerfile), str(options.context or ""), before=options.before_name)
    try:
        with interruptible():
            _verify(options, report, progress)
    except Interrupted as exc:
        report.interrupted = exc.name
    return report


def _verify(options: VerifyOptions, report: VerifyReport, progress: Callable[[str], None]) -> None:
    dockerfile = options.dockerfile
    try:
        data = dockerfile.read_bytes()
    except OSError as exc:
        report.error = f"cannot read {dockerfile}: {exc.strerror or exc}"
        return
    try:
        settings, root, notes = file_settings(dockerfile, replace(options.settings, context=options.context))
    except ChangeError as exc:
        report.error = str(exc)
        return
    report.context = str(root)
    report.notes += notes
    settings = replace(settings, context=root)
    if options.before is not None:
        original, rewritten = options.before, data
    else:
        result = process_bytes(data, str(dockerfile), dockerfile, settings, selected_rules(settings))
        if result.output is None:
            report.error = "; ".join(d.message for d in result.diagnostics) or "the file could not be processed"
            return
        original, rewritten = data, result.output
    report.changed = original != rewritten
    if not report.changed:
        return
    if options.before is not None:
        old_doc, new_doc = parse(SourceText.from_bytes(original)), parse(SourceText.from_bytes(rewritten))
        for target in added_mounts(new_doc, old_doc):  # those the old version has and the new one lacks
            report.problems.append(f"the new Dockerfile no longer mounts a cache at {target}")
    try:
        engine = find_engine(options.docker)
        build = DirectoryContext.load(root, dockerfile)
    except (DockerUnavailable, DockerIgnoreError, OSError) as exc:
        report.error = str(exc)
        return
    report.engine = engine.description
    session = _Session(options, engine, report, progress)
    try:
        session.run(original, rewritten, root, dockerfile, build)
    except _Stop:
        pass
    finally:
        with deferred():
            session.cleanup()


class _Session:
    def __init__(self, options: VerifyOptions, engine: Engine, report: VerifyReport, progress: Callable[[str], None]) -> None:
        self.options = options
        self.engine = engine
        self.report = report
        self.progress = progress
        self.token = secrets.token_hex(6)
        self.images: list[str] = []
        self.pending: _Pending | None = None
        self.compared = options.before is not None  # --before: a change of the user's, not a rewrite
        self.names = report.names  # the old version's and the new one's
        self.tmp = Path(tempfile.mkdtemp(prefix="dockerfix-verify-"))

    def cleanup(self) -> None:
        if self.options.keep:
            self.report.notes.append("kept images: " + ", ".join(self.images))
        else:
            self.engine.remove(*self.images)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _build(self, name: str, context: Path, dockerfile: Path, tag: str, cold: bool = False) -> BuildResult:
        self.progress(f"building {name}")
        if tag not in self.images:  # before the build: an interrupted one may have tagged it
            self.images.append(tag)
        result = self.engine.build(context, dockerfile, tag, no_cache=cold, network=self.options.network)
        self.report.builds[name] = round(result.seconds, 2)
        return result

    def run(self, original: bytes, rewritten: bytes, root: Path, dockerfile: Path, build: DirectoryContext) -> None:
        self._checks(original, rewritten, root, dockerfile, build)
        self._settle_files()

    def _checks(self, original: bytes, rewritten: bytes, root: Path, dockerfile: Path, build: DirectoryContext) -> None:
        report = self.report
        old_name, new_name = self.names
        old_doc = parse(SourceText.from_bytes(original))
        new_doc = parse(SourceText.from_bytes(rewritten))
        copies = {name: self.tmp / name for name in self.names}
        for folder in copies.values():
            shutil.copytree(root, folder, symlinks=True)
        try:
            rel: str | None = dockerfile.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            rel = None
        files = {name: copies[name] / rel if rel else self.tmp / f"Dockerfile.{name}" for name in self.names}
        files[old_name].write_bytes(original)
        files[new_name].write_bytes(rewritten)
        tags = {name: f"dockerfix-verify-{self.token}:{name}" for name in copies}

        # 1. both versions, cold
        first = self._build(f"{old_name}, cold", copies[old_name], files[old_name], tags[old_name], cold=True)
        if not first.ok:
            which = f"the old Dockerfile ({self.options.before_name})" if self.compared else "the original Dockerfile"
            report.error = f"{which} does not build here:\n" + self._failure(first)
            raise _Stop
        # Buildah (Podman) keeps the layers of each --no-cache build as a chain of their own, and a
        # later build may follow the original's chain and miss the rewritten's layers: there the
        # rewritten build takes the steps it shares with the original from the original's build
        second = self._build(
            f"{new_name}, cold", copies[new_name], files[new_name], tags[new_name], cold=not self.engine.podman
        )
        if self.engine.podman:
            report.notes.append(
                f"Podman: the {new_name} build took the leading steps it shares with the {old_name} one from its build"
            )
        if not second.ok:
            which = "new" if self.compared else "rewritten"
            report.problems.append(f"the {which} Dockerfile does not build:\n" + self._failure(second))
            raise _Stop

        # 2. the same image?
        self.progress("comparing the images")
        self.pending = _Pending(
            (self.engine.files(tags[old_name]), self.engine.files(tags[new_name])),
            added_mounts(old_doc, new_doc), (original, rewritten), copies[old_name], files[old_name],
        )  # fmt: skip
        report.config_differences = list(
            compare_config(self.engine.config(tags[old_name]), self.engine.config(tags[new_name]))
        )
        report.config_equal = not report.config_differences
        if not report.config_equal:
            report.problems.append("the image configurations differ")

        # 3. an application edit: which installs run again?
        edited = source_to_edit(new_doc, root, build, rel)
        added = edited is None and (edited := file_to_add(new_doc, root, build, self.token)) is not None
        report.edited_file = edited
        expected = expectations(new_doc, edited)
        if edited is None:
            if any(e.cached for e in expected):
                report.problems.append(
                    "no application file to edit was found, and a new file would not be copied in after the "
                    "installs (.dockerignore?), so the layer cache could not be checked"
                )
            return
        line = comment_line(edited, self.token) or self.token
        for folder in copies.values():
            if added:
                (folder / edited).write_text(line + "\n", encoding="utf-8")
            else:
                _append(folder / edited, line)
        if added:
            report.notes.append(f"the context holds no application file to edit: {edited} was added to both copies")
        after = {
            name: self._build(f"{name}, after edit", copies[name], files[name], tags[name]) for name in copies
        }
        for name, result in after.items():
            instructions = [s for s in result.steps if s.is_instruction and not s.instruction.startswith("FROM ")]
            report.step_counts[name] = len(instructions)
            report.rerun[name] = [f"[{step.label}] {step.instruction}" for step in instructions if not step.cached]
        self._steps(old_doc, new_doc, edited, after[old_name].steps, after[new_name].steps)
        if self.compared and len(report.rerun[new_name]) > len(report.rerun[old_name]):
            report.problems.append(
                f"after editing {edited}, {len(report.rerun[new_name])} steps ran again with the new Dockerfile, "
                f"{len(report.rerun[old_name])} with the old one"
            )

        # 4. a dependency change, twice: every install the edit left cached must run again, and
        # its second run read what the first left in its cache mount. A change of the user's is
        # asked this of the installs that have a cache mount: the others have nothing to read.
        if self.compared:
            expected = [e for e in expected if any(m.type == "cache" for m in mounts(e.instruction))]
        targets = [e for e in expected if e.cached]
        if targets:
            self._cache_reads(targets, new_doc, copies[new_name], files[new_name], tags[new_name], build)
            return
        # no install stays cached after the edit (they need the sources): they just ran again,
        # with the mounts the cold build filled
        for e in expected:
            if e.kind in EVIDENCE:
                self._evidence(e, find_step(after[new_name].steps, new_doc, e.instruction), new_doc, None)

    def _failure(self, result: BuildResult) -> str:
        """The end of a failed build's log, and what to pass when the engine's network setup failed it."""
        return _tail(result.log) + network_hint(result.log, self.options.network)

    def _settle_files(self) -> None:
        """Compare the two images' files. A file may differ between any two builds (an id an
        install script makes at random): when some differ, a second cold build of the original,
        made last so that no other build follows its layers, tells which paths do."""
        pending, report = self.pending, self.report
        if pending is None:
            return
        comparison = compare(*pending.snapshots, pending.mounts, pending.dockerfiles, sides=self.names)
        if comparison.differences:
            old_name = self.names[0]
            again_tag = f"dockerfix-verify-{self.token}:{old_name}-again"
            again = self._build(f"{old_name}, cold again", pending.folder, pending.dockerfile, again_tag, cold=True)
            if again.ok:
                unstable = differing(pending.snapshots[0], self.engine.files(again_tag))
                comparison = compare(*pending.snapshots, pending.mounts, pending.dockerfiles, unstable, self.names)
        report.files_equal = comparison.equal
        report.file_differences = list(comparison.differences)
        report.ignored += list(comparison.ignored)
        if not report.files_equal:
            count = len(report.file_differences)
            report.problems.insert(0, f"the images differ in {count} {'path' if count == 1 else 'paths'}")

    def _steps(
        self, old_doc: Document, new_doc: Document, edited: str, old_steps: tuple[Step, ...], new_steps: tuple[Step, ...]
    ) -> None:
        report = self.report
        old = expectations(old_doc, edited)
        unpaired = list(old)
        for k, e in enumerate(expectations(new_doc, edited)):
            status_new = _status(find_step(new_steps, new_doc, e.instruction))
            # the same install in the old file: the first left that reads the same, mounts
            # aside, else the one at the same place among the installs
            text = _short(e.instruction, 0)
            pair = next((o for o in unpaired if _short(o.instruction, 0) == text), old[k] if k < len(old) else None)
            if pair in unpaired:
                unpaired.remove(pair)
            status_old = _status(find_step(old_steps, old_doc, pair.instruction)) if pair is not None else "-"
            report.steps.append(
                StepReport(e.instruction.line_no, _short(e.instruction), e.kind, e.cached, status_old, status_new)
            )
            line = f"line {e.instruction.line_no}: the {e.kind} install ran again after editing {edited}"
            if self.compared and status_new == "ran" and status_old == "cached":
                report.problems.append(f"{line}; with the old Dockerfile it came from the layer cache")
            elif not self.compared and e.cached and status_new == "ran":
                report.problems.append(line)

    def _cache_reads(
        self, targets: list[Expectation], doc: Document, folder: Path, dockerfile: Path, tag: str, build: DirectoryContext
    ) -> None:
        """Change what each install reads (its manifest, else a step put right above it), build,
        and again: each install must run both times; the second shows whether its mount was read."""
        report = self.report
        manifests = {t.instruction.index: manifest_to_edit(doc, t.instruction, build) for t in targets}
        steps: dict[int, Step | None] = {}
        for round_ in (1, 2):
            token = f"{self.token}-{round_}"
            for manifest in dict.fromkeys(m for m in manifests.values() if m is not None):
                _append(folder / manifest, comment_line(manifest, token) or token)
            for t in targets:
                if manifests[t.instruction.index] is None:
                    _insert_before(dockerfile, t.instruction, f"RUN echo dockerfix-verify-{token}-{t.instruction.index}")
            result = self._build(f"rewritten, dependency change {round_}", folder, dockerfile, tag)
            if not result.ok:
                report.problems.append("the rewritten Dockerfile no longer builds after a dependency change: " + _tail(result.log))
                return
            current = parse(SourceText.from_bytes(dockerfile.read_bytes()))
            for t in targets:
                moved = _same_instruction(current, t.instruction)
                steps[t.instruction.index] = find_step(result.steps, current, moved) if moved is not None else None
        for t in targets:
            step = steps[t.instruction.index]
            if step is None or step.cached:
                report.problems.append(
                    f"line {t.instruction.line_no}: the {t.kind} install did not run again after a dependency change"
                )
                continue
            self._evidence(t, step, doc, manifests[t.instruction.index])

    def _evidence(self, target: Expectation, step: Step | None, doc: Document, manifest: str | None) -> None:
        """Whether the install's output shows that it took packages from its cache mount."""
        report = self.report
        if step is None or step.cached:
            return
        check = CacheCheck(target.instruction.line_no, target.kind, manifest)
        report.cache_checks.append(check)
        output = "\n".join(step.output)
        evidence = EVIDENCE.get(target.kind)
        if evidence is None:
            return  # the tool prints nothing that tells a cached package from a download
        if target.kind == "npm" and not npm_logs_downloads(doc, target.instruction):
            return  # below loglevel http npm prints no download
        m = evidence.search(output)
        downloaded = DOWNLOADED.get(target.kind)
        if m and not (downloaded and downloaded.search(output)):
            check.read = True
            check.evidence = m.group(0) + (", with no package downloaded" if downloaded else "")
        elif FETCHING[target.kind].search(output):
            check.read = False
            line = f"line {target.instruction.line_no}: {target.kind} downloaded again instead of reading its cache mount"
            reason = cache_disabled(doc, target.instruction) if target.kind == "pip" else None
            if reason is not None:
                # the command itself keeps the mount from being used: an inert mount
                report.problems.append(f"{line} ({reason})")
            elif self.compared:
                report.problems.append(line)
            else:
                # The mount was there; the tool chose to download. pip does when the index sends
                # no caching headers (some proxies strip them).
                report.notes.append(line + (" (does the package index send Cache-Control headers?)" if target.kind == "pip" else ""))

def network_hint(log: str, network: str | None) -> str:
    """What to pass when a build failed for the engine's network setup rather than its steps."""
    m = NETWORK_SETUP.search(log)
    if m is None:
        return ""
    if network:
        return f"\n(this engine could not set up the build's network: {m.group(0)})"
    return (
        f"\nthe build failed for this engine's network setup ({m.group(0)}), not for its steps: "
        "run again with `--network host`"
    )


def _status(step: Step | None) -> str:
    if step is None:
        return "-"
    return "cached" if step.cached else "ran"


def _short(inst: Instruction, width: int = 48) -> str:
    """The instruction on one line, without its mounts, cut to ``width`` (0: whole)."""
    text = " ".join(inst.logical.split())
    text = re.sub(r"--mount=\S+\s*", "", text)
    return text if not width or len(text) <= width else text[: width - 3] + "..."


def _tail(log: str, lines: int = 12) -> str:
    return "\n".join(log.rstrip().splitlines()[-lines:])


def _append(path: Path, line: str) -> None:
    data = path.read_bytes()
    newline = b"\r\n" if b"\r\n" in data else b"\n"
    if data and not data.endswith((b"\n", b"\r")):
        data += newline
    path.write_bytes(data + line.encode() + newline)


def _same_instruction(doc: Document, inst: Instruction) -> Instruction | None:
    """``inst`` in ``doc``, a copy of its file that verify has added lines to: the first
    instruction that reads the same, blanks aside."""
    wanted = " ".join(inst.logical.split())
    return next((i for i in doc.instructions if " ".join(i.logical.split()) == wanted), None)


def _insert_before(dockerfile: Path, inst: Instruction, line: str) -> None:
    """Put ``line`` right above ``inst`` in the copy of the Dockerfile (earlier insertions stay)."""
    data = dockerfile.read_bytes()
    moved = _same_instruction(parse(SourceText.from_bytes(data)), inst)
    start = moved.start if moved is not None else inst.start
    lines = data.split(b"\n")
    lines.insert(start, line.encode())
    dockerfile.write_bytes(b"\n".join(lines))
