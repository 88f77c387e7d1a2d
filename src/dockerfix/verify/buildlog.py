"""Reading BuildKit's plain progress output (`--progress=plain`): the steps, whether each was
cached, and what each printed."""

from __future__ import annotations

import re

from dockerfix.document.model import Document, Instruction, Stage
from dockerfix.records import field, record

_LINE = re.compile(r"^#(\d+) (.*)$")
_NAME = re.compile(r"^\[(?P<label>[^\]]*)\] (?P<instruction>.*)$")
_OUTPUT = re.compile(r"^\d+\.\d+ (.*)$")
# BuildKit pads the position to the width of the count ("[ 3/12]", "[stage-0  3/12]") and, in a
# build for several platforms, puts the platform first ("[linux/amd64 builder 2/5]")
_POSITION = re.compile(r"^(?:(?P<stage>.*?\S) +)? *(?P<index>\d+)/(?P<total>\d+)$")
VERTEX_KINDS = frozenset({"FROM", "RUN", "COPY", "ADD", "WORKDIR"})  # instructions BuildKit shows as steps


@record
class Step:
    number: int
    label: str  # "stage-0 2/4", "internal", "builder 3/5"
    instruction: str  # as BuildKit prints it: continuations joined
    cached: bool = False
    done: bool = False
    error: str | None = None
    output: list[str] = field(default_factory=list)
    every_instruction: bool = False  # Buildah counts every instruction of a stage, BuildKit only its steps

    @property
    def is_instruction(self) -> bool:
        return _POSITION.match(self.label) is not None


def parse_log(text: str) -> list[Step]:
    """The build steps, in the order BuildKit first named them."""
    steps: dict[int, Step] = {}
    for line in text.splitlines():
        m = _LINE.match(line.rstrip("\r"))
        if not m:
            continue
        number, rest = int(m.group(1)), m.group(2)
        step = steps.get(number)
        if step is None:
            named = _NAME.match(rest)
            if named is None:
                continue
            steps[number] = Step(number, named.group("label"), named.group("instruction"))
            continue
        if rest == "CACHED":
            step.cached = True
        elif rest.startswith("DONE"):
            step.done = True
        elif rest.startswith("ERROR"):
            step.error = rest
        else:
            out = _OUTPUT.match(rest)
            if out:
                step.output.append(out.group(1))
    return list(steps.values())


# Buildah (Podman): "[2/3] STEP 4/6: RUN pip install ..." ("[i/n] " only with several stages);
# a step taken from the cache is followed by "--> Using cache <id>"; what a RUN prints follows
# its STEP line as it is
_BUILDAH_STEP = re.compile(r"^(?:\[(?P<stage>\d+)/\d+\] )?STEP (?P<index>\d+)/(?P<total>\d+): (?P<instruction>.*)$")
_BUILDAH_OWN = re.compile(r"^(?:\[\d+/\d+\] )?(?:--> |COMMIT\b|Successfully tagged |[0-9a-f]{64}$)")


def parse_buildah_log(text: str) -> list[Step]:
    """The build steps of a Podman (Buildah) build log, labelled as BuildKit labels them."""
    steps: list[Step] = []
    for line in text.splitlines():
        line = line.rstrip("\r")
        m = _BUILDAH_STEP.match(line)
        if m is not None:
            position = f"{m.group('index')}/{m.group('total')}"
            label = f"stage-{int(m.group('stage')) - 1} {position}" if m.group("stage") else position
            steps.append(Step(len(steps) + 1, label, m.group("instruction"), done=True, every_instruction=True))
        elif steps and line.startswith("--> Using cache "):
            steps[-1].cached = True
        elif steps and not _BUILDAH_OWN.match(line):
            steps[-1].output.append(line)
        if line.startswith("Error: ") and steps:
            steps[-1].error = line
    return steps


def _position(stage: Stage, inst: Instruction, every_instruction: bool) -> tuple[int, int]:
    """``inst``'s position among its stage's steps and their count: BuildKit counts the FROM and
    the instructions it runs as steps, Buildah every instruction."""
    counted = [stage.from_] + [i for i in stage.instructions if every_instruction or i.kind in VERTEX_KINDS]
    return next(k for k, i in enumerate(counted, start=1) if i.index == inst.index), len(counted)


def find_step(steps: list[Step] | tuple[Step, ...], doc: Document, inst: Instruction) -> Step | None:
    """The step that ran ``inst``. BuildKit prints instructions with variables expanded, so the
    step is found by its label: "<stage> <position>/<count>", where the stage is its name or
    stage-N, and may be missing in a one-stage file."""
    if inst.kind not in VERTEX_KINDS or not 0 <= inst.stage < len(doc.stages):
        return None
    stage = doc.stages[inst.stage]
    wanted = {every: _position(stage, inst, every) for every in (False, True)}  # BuildKit's, Buildah's
    names = {stage.name or f"stage-{stage.index}", f"stage-{stage.index}"}
    for step in steps:
        m = _POSITION.match(step.label)
        if m is None or (int(m.group("index")), int(m.group("total"))) != wanted[step.every_instruction]:
            continue
        prefix = m.group("stage")
        stage_label = prefix.split()[-1] if prefix else None
        if stage_label in names or (stage_label is None and len(doc.stages) == 1):
            return step
    return None
