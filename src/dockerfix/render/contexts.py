"""`dockerfix contexts`: each Dockerfile and the build context(s) it is built with, as text or JSON."""

from __future__ import annotations

import json

from dockerfix.context.choice import ContextChoice, Contexts
from dockerfix.runner import ContextsReport

_HOW = {"given": "--context or the configuration", "default": "the Dockerfile's folder: no file names another"}


def _line(choice: ContextChoice, contexts: Contexts) -> str:
    if choice.folder is None:
        return f"unknown ({choice.where}: {choice.unknown})"
    if contexts.kind in _HOW:
        return f"{choice.label} ({_HOW[contexts.kind]})"
    return f"{choice.label} ({choice.where})"


def contexts_text(report: ContextsReport) -> str:
    lines: list[str] = []
    for path, contexts in report.files:
        lines.append(path)
        lines.extend(f"  {_line(c, contexts)}" for c in contexts.choices)
    return "".join(line + "\n" for line in lines)


def _choice(choice: ContextChoice) -> dict[str, object]:
    return {
        "context": None if choice.folder is None else choice.label,
        "path": None if choice.folder is None else str(choice.folder),
        "sources": [{"file": name, "line": line} for name, line in choice.sources],
        "dockerfile_folder": choice.own_folder,
        "unknown": choice.unknown,
    }


def contexts_json(report: ContextsReport) -> str:
    data = {
        "dockerfiles": [
            {
                "path": path,
                "repository": None if contexts.root is None else str(contexts.root),
                "chosen_by": contexts.kind,
                "contexts": [_choice(c) for c in contexts.choices],
            }
            for path, contexts in report.files
        ],
        "errors": report.errors,
    }
    return json.dumps(data, indent=2) + "\n"
