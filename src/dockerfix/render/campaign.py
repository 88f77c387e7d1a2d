"""A campaign's merged summary as Markdown, for a GitHub Actions job summary
(`$GITHUB_STEP_SUMMARY`): the count of each state, the findings by rule, one row per repository
(failures first) with its pull request, and the chunk summaries that were missing or unreadable.
Rows that would take the text past GitHub's limit for one step are counted, not listed."""

from __future__ import annotations

import re

from dockerfix.bot.matrix import MAX_STEP_SUMMARY, Merged, state_order

_PULL = re.compile(r"/pulls?/(\d+)/?$")


def markdown(merged: Merged, limit: int = MAX_STEP_SUMMARY) -> str:
    repos = merged.repositories
    noun = "repository" if len(repos) == 1 else "repositories"
    head = [[f"## dockerfix campaign: {len(repos)} {noun}"]]
    if repos:
        head.append(["| state | repositories |", "|---|---:|"])
        head[-1] += [f"| {_cell(state)} | {n} |" for state, n in merged.counts().items()]
    findings = merged.findings()
    if findings:
        head.append(["Findings by rule: " + ", ".join(f"{_cell(code)} {n}" for code, n in findings.items())])
    tail = []
    if merged.problems:
        tail.append(["### Summaries missing or unreadable"])
        tail.append([f"- {_cell(problem)}" for problem in merged.problems])
    if not repos:
        return _blocks(head + tail)
    rows = ["| repository | state | pull request | findings | details |", "|---|---|---|---|---|"]
    ordered = sorted(repos, key=lambda r: state_order(r["state"]))
    budget = limit - len(_blocks(head + tail).encode("utf-8")) - 300
    used = sum(len(r.encode("utf-8")) + 1 for r in rows)
    for record in ordered:
        row = _row(record)
        used += len(row.encode("utf-8")) + 1
        if used > budget:
            break
        rows.append(row)
    blocks = [*head, rows]
    hidden = len(ordered) - (len(rows) - 2)
    if hidden:
        blocks.append([f"{hidden} more repositories are not listed here (GitHub's size limit for a job summary): "
                       "the merged JSON summary has every one."])  # fmt: skip
    return _blocks(blocks + tail)


def _blocks(blocks: list[list[str]]) -> str:
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def _row(record: dict[str, object]) -> str:
    url = record.get("url")
    link = ""
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        m = _PULL.search(url)
        label = f"#{m.group(1)}" if m else "link"
        link = f"[{label}]({url.replace(' ', '%20').replace('(', '%28').replace(')', '%29')})"
    findings = record.get("findings")
    counts = ", ".join(f"{code} {n}" for code, n in findings.items()) if isinstance(findings, dict) else ""
    details = record.get("error") or record.get("message") or ""
    cells = [_cell(str(record["repository"])), _cell(str(record["state"])), link, _cell(counts), _cell(str(details))]
    return "| " + " | ".join(cells) + " |"


def _cell(text: str) -> str:
    """Text safe in a table cell: one line, no HTML, no column break."""
    text = " ".join(text.split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
