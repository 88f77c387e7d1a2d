"""Machine-readable reports: JSON (dockerfix's own schema, docs/cli.md), SARIF 2.1.0 for code
scanning, and GitHub Actions workflow commands (annotations)."""

from __future__ import annotations

import difflib
import json
from collections import Counter
from typing import Any

from dockerfix import __version__
from dockerfix.rules import ALL_RULES
from dockerfix.rules.base import Applicability, Finding
from dockerfix.runner import FileReport, RunReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
JSON_VERSION = 1


def _rule_names() -> dict[str, str]:
    from dockerfix.diagnostics import CODES

    names = {r.code: r.name for r in ALL_RULES}
    names.update({code: name for code, (name, _) in CODES.items()})
    return names


def _fix(f: Finding) -> dict[str, str] | None:
    if f.fix is None:
        return None
    return {"applicability": f.fix.applicability.value, "message": f.fix.title}


def to_json(report: RunReport) -> str:
    """One object: the schema version, every finding and diagnostic, each file's outcome."""
    names = _rule_names()
    findings: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    for file in report.files:
        for d in file.diagnostics:
            findings.append(
                {"code": d.code, "name": names.get(d.code, ""), "filename": file.path, "line": d.line + 1,
                 "message": d.message, "severity": "error" if d.error else "warning", "fix": None}
            )  # fmt: skip
        for f in sorted(file.findings, key=lambda f: (f.line, f.code)):
            findings.append(
                {"code": f.code, "name": names.get(f.code, ""), "filename": file.path, "line": f.line + 1,
                 "message": f.message, "severity": "warning", "fix": _fix(f)}
            )  # fmt: skip
        files.append({"filename": file.path, "changed": file.changed, "written": file.written, "error": file.error})
    data = {"version": JSON_VERSION, "tool": f"dockerfix {__version__}", "findings": findings, "files": files,
            "errors": list(report.errors)}  # fmt: skip
    return json.dumps(data, indent=2) + "\n"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(report: RunReport) -> str:
    """GitHub Actions workflow commands: an annotation per finding on its line."""
    lines: list[str] = []
    for error in report.errors:
        lines.append(f"::error title=dockerfix::{escape_data(error)}")
    for file in report.files:
        path = escape_property(file.path)
        for d in file.diagnostics:
            level = "error" if d.error else "warning"
            lines.append(f"::{level} file={path},line={d.line + 1},title={d.code}::{escape_data(d.message)}")
        for f in sorted(file.findings, key=lambda f: (f.line, f.code)):
            level = "warning" if f.fix is not None else "notice"
            lines.append(f"::{level} file={path},line={f.line + 1},title={f.code}::{escape_data(f.message)}")
    return "".join(line + "\n" for line in lines)


def _replacements(file: FileReport) -> list[dict[str, Any]]:
    """The file's whole change as SARIF replacements over the original lines."""
    if not file.changed or file.original is None or file.output is None:
        return []
    before = file.original.decode("utf-8-sig", "replace").splitlines(keepends=True)
    after = file.output.decode("utf-8-sig", "replace").splitlines(keepends=True)
    out: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        region: dict[str, int] = {"startLine": i1 + 1, "startColumn": 1}
        if i2 > i1:
            region.update({"endLine": i2, "endColumn": len(before[i2 - 1].rstrip("\r\n")) + 2})
        else:
            region.update({"endLine": i1 + 1, "endColumn": 1})
        out.append({"deletedRegion": region, "insertedContent": {"text": "".join(after[j1:j2])}})
    return out


def to_sarif(report: RunReport) -> str:
    """A SARIF 2.1.0 log with one run. Each result names its rule; the first fixable result of
    a file carries the file's whole change as a SARIF fix."""
    rules = [
        {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.documentation()},
            "help": {"text": f"docs/rules/{r.code}.md, or `dockerfix rules {r.code}`", "markdown": r.documentation()},
            "defaultConfiguration": {"level": "warning"},
        }
        for r in ALL_RULES
    ]
    index = {r["id"]: k for k, r in enumerate(rules)}
    results: list[dict[str, Any]] = []
    for file in report.files:
        location = {"physicalLocation": {"artifactLocation": {"uri": file.path.lstrip("./") or file.path}}}
        fixed = False
        for d in file.diagnostics:
            results.append(
                {
                    "ruleId": d.code,
                    "level": "error" if d.error else "warning",
                    "message": {"text": d.message},
                    "locations": [_at(location, d.line)],
                }
            )
        for f in sorted(file.findings, key=lambda f: (f.line, f.code)):
            result: dict[str, Any] = {
                "ruleId": f.code,
                "level": "warning" if f.fix is not None else "note",
                "message": {"text": f.message},
                "locations": [_at(location, f.line)],
            }
            if f.code in index:
                result["ruleIndex"] = index[f.code]
            if f.fix is not None and f.fix.applicability is Applicability.SAFE and not fixed:
                replacements = _replacements(file)
                if replacements:
                    result["fixes"] = [
                        {
                            "description": {"text": "dockerfix's changes to this file"},
                            "artifactChanges": [
                                {"artifactLocation": location["physicalLocation"]["artifactLocation"],
                                 "replacements": replacements}
                            ],
                        }
                    ]  # fmt: skip
                    fixed = True
            results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dockerfix",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def _at(location: dict[str, Any], line: int) -> dict[str, Any]:
    physical = dict(location["physicalLocation"])
    physical["region"] = {"startLine": line + 1}
    return {"physicalLocation": physical}


def statistics(report: RunReport) -> str:
    """How many findings each code has, most first."""
    names = _rule_names()
    counts = Counter(f.code for file in report.files for f in file.findings)
    counts.update(d.code for file in report.files for d in file.diagnostics)
    fixable = Counter(f.code for file in report.files for f in file.findings if f.fix is not None)
    lines = [
        f"{n:>5}  {code}  {names.get(code, ''):<28} {'[*] ' + str(fixable[code]) + ' fixable' if fixable[code] else ''}".rstrip()
        for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return "".join(line + "\n" for line in lines)
