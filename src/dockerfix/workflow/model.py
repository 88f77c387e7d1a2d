"""A workflow file as the DFX3xx rules see it: its lossless text, the YAML subset's tree (None
where the reader gives up), the builds its steps run, and the Dockerfiles those build (read by
the runner and handed in, so that rules never do I/O)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from dockerfix.context.readers import WorkflowBuild, workflow_builds
from dockerfix.context.yaml_subset import Node, YamlError, parse_yaml
from dockerfix.document.model import Document
from dockerfix.document.source import SourceText
from dockerfix.records import field, frozen, replace

# the labels of GitHub-hosted runners: a fresh virtual machine for every job
_HOSTED = re.compile(r"^(?:ubuntu|windows|macos)-[A-Za-z0-9.-]+$")


@frozen
class WorkflowDocument:
    source: SourceText
    path: str  # the workflow, absolute and POSIX (what the builds' references name)
    root: str  # the repository root: the folder that holds .github/
    tree: Node | None  # None: outside the YAML subset (``problem`` says where)
    problem: str | None = None
    builds: tuple[WorkflowBuild, ...] = ()
    # the Dockerfiles the builds name, by absolute POSIX path; None: missing or not readable
    dockerfiles: Mapping[str, Document | None] = field(default_factory=dict)

    @property
    def lines(self) -> tuple[str, ...]:
        return self.source.lines

    def dockerfile(self, build: WorkflowBuild) -> Document | None:
        name = build.reference.dockerfile
        return self.dockerfiles.get(name) if name is not None else None

    def with_source(self, source: SourceText) -> WorkflowDocument:
        """The same file after an edit: parsed again, with the same Dockerfiles."""
        again = parse_workflow(source, self.path, self.root)
        return replace(again, dockerfiles=self.dockerfiles)


def parse_workflow(source: SourceText, path: str, root: str) -> WorkflowDocument:
    """The workflow's tree and builds. Pure: the Dockerfiles are added by the caller."""
    from pathlib import Path

    text = "".join(line + "\n" for line in source.lines)
    try:
        tree = parse_yaml(text)
    except YamlError as exc:
        return WorkflowDocument(source, path, root, None, f"line {exc.line}: {exc.message}")
    try:
        builds = tuple(workflow_builds(Path(path), tree, Path(root)))
    except YamlError as exc:  # a `run:` script the shell reader cannot follow is kept as unknown
        return WorkflowDocument(source, path, root, None, f"line {exc.line}: {exc.message}")
    return WorkflowDocument(source, path, root, tree, None, builds)


def hosted_runner(job: Node) -> bool:
    """The job runs on a GitHub-hosted runner (`runs-on` names only hosted labels). A
    self-hosted label, a runner group, an expression or an unknown label: False, since such a
    runner may keep its builder, and its cache, between jobs."""
    runs_on = job.get("runs-on")
    if runs_on is None:
        return False
    labels = [runs_on] if runs_on.text is not None else list(runs_on.items)
    if not labels or len(labels) != len([n for n in labels if n.text is not None]):
        return False
    return all(_HOSTED.match(n.text or "") for n in labels)


def job_steps(build: WorkflowBuild) -> tuple[Node, ...]:
    steps = build.job_node.get("steps")
    return steps.items if steps is not None else ()


def steps_before(build: WorkflowBuild) -> tuple[Node, ...]:
    return job_steps(build)[: build.index]


def uses(step: Node, action: str) -> bool:
    """The step runs ``action`` (`owner/name`, any version; ``*/name`` for any owner)."""
    text = (step.get("uses") or Node(None, 0)).text or ""
    name = text.partition("@")[0].lower()
    if action.startswith("*/"):
        return name.endswith(action[1:])
    return name == action


def with_dockerfiles(doc: WorkflowDocument, read: Callable[[str], bytes | None]) -> WorkflowDocument:
    """``doc`` with the Dockerfiles its builds name, read through ``read`` (an absolute POSIX
    path to its bytes; None when there is no such file). One that does not parse is None."""
    from dockerfix.document.parse import ParseError, parse
    from dockerfix.document.source import DecodeError

    found: dict[str, Document | None] = {}
    for build in doc.builds:
        name = build.reference.dockerfile
        if name is None or name in found:
            continue
        data = read(name)
        try:
            found[name] = parse(SourceText.from_bytes(data)) if data is not None else None
        except (DecodeError, ParseError):
            found[name] = None
    return replace(doc, dockerfiles=found)
