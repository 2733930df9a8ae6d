"""Markdown for ``$GITHUB_STEP_SUMMARY``: a headline, the stacks in apply order, findings per stack.

Every piece of text that comes from a finding or a file name goes through :func:`escape`, so a
message or path holding Markdown or HTML cannot break the layout or inject anything. GitHub refuses a
step summary over 1 MiB: past :data:`STEP_SUMMARY_LIMIT` the least severe findings are left out first
(suppressed ones before notices, notices before warnings), and the summary says how many.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from ttgate.gate.findings import Finding, Severity, plural
from ttgate.gate.reporters import Report

STEP_SUMMARY_LIMIT = 1024 * 1024  # bytes; GitHub rejects a larger step summary
# Absolute: a relative link in a job summary resolves against the run page, not ttgate's docs.
RULE_DOCS = "https://github.com/ttgate/ttgate/blob/main/docs/rules/{id}.md"
FULL_REPORT = "`ttgate check --format json:FILE` (or the SARIF report) lists them all"

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
# Characters that start Markdown constructs anywhere in a line (links, emphasis, code, tables, math).
_MARKDOWN = set("\\`*_[]()|~!$")
_ICONS = {Severity.ERROR: "🔴", Severity.WARNING: "🟡", Severity.NOTICE: "🔵"}


def escape(text: str, *, html_only: bool = False) -> str:
    """Make text safe to show: HTML entities, backslash-escaped Markdown, line breaks as ``<br>``.

    ``html_only`` is for text inside an HTML element such as ``<summary>``, where GitHub does not
    render Markdown, so a backslash would show: there Markdown characters become numeric character
    references, which show as themselves and never start a Markdown construct either.
    """
    out: list[str] = []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for char in text:
        if char in _HTML:
            out.append(_HTML[char])
        elif char == "\n":
            out.append("<br>")
        elif char < " " or char == "\x7f":
            out.append(" ")  # tabs and control characters: never a layout change
        elif char in _MARKDOWN:
            out.append(f"&#{ord(char)};" if html_only else "\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _counts(findings: Iterable[Finding]) -> str:
    findings = list(findings)
    parts = [
        plural(sum(1 for f in findings if f.severity is severity), severity.label)
        for severity in sorted(Severity, reverse=True)
    ]
    return ", ".join(part for part in parts if not part.startswith("0 ")) or "no findings"


def _where(finding: Finding) -> str:
    location = finding.location
    parts = []
    if location is not None and location.file:
        parts.append(escape(f"{location.file}:{location.line}" if location.line >= 1 else location.file))
    if finding.address:
        parts.append(escape(finding.address))
    return "<br>".join(parts) or "—"


def _rule(finding: Finding) -> str:
    link = RULE_DOCS.format(id=quote(finding.rule, safe=""))
    return f"[{escape(finding.rule)}]({link}) {escape(finding.name)}"


def _finding_row(finding: Finding) -> str:
    text = f"{escape(finding.message)}<br>**Fix:** {escape(finding.fix)}"
    for related in finding.related[:4]:
        where = f"{related.location.file}:{related.location.line}"
        text += f"<br>↳ {escape(related.note)} ({escape(where)})"
    severity = f"{_ICONS[finding.severity]} {finding.severity.label}"
    return f"| {severity} | {_rule(finding)} | {_where(finding)} | {text} |\n"


def _suppressed_row(finding: Finding) -> str:
    reason = escape(finding.suppression_reason or "(no reason given)")
    return f"| {finding.severity.label} | {_rule(finding)} | {_where(finding)} | {reason} |\n"


def _stack_name(finding: Finding) -> str:
    return finding.stack.name if finding.stack is not None else ""


def _stack_order(report: Report) -> dict[str, int]:
    order = {str(entry.get("name")): number for number, entry in enumerate(report.stack_list)}
    extra = sorted(
        {_stack_name(f) for f in report.findings} - set(order), key=lambda name: (name == "", name)
    )
    for name in extra:
        order[name] = len(order)
    return order


def _headline(report: Report) -> list[str]:
    errors = report.count(Severity.ERROR)
    status = "❌" if errors else "✅"
    counts = [
        plural(errors, "error"),
        plural(report.count(Severity.WARNING), "warning"),
        plural(report.count(Severity.NOTICE), "notice"),
        f"{len(report.suppressed)} suppressed",
    ]
    return [
        f"## {status} ttgate: {', '.join(counts)}",
        "",
        f"{plural(report.stacks, 'stack')} and {plural(report.files, 'file')} checked.",
        "",
    ]


def _stacks_table(report: Report, active: list[Finding]) -> list[str]:
    if not report.stack_list:
        return []
    lines = [
        "### Stacks, in apply order",
        "",
        "| # | stack | layer | env | source | findings |",
        "|---|---|---|---|---|---|",
    ]
    for number, entry in enumerate(report.stack_list, start=1):
        name = str(entry.get("name") or "")
        cells = [escape(str(entry.get(key) or "—")) for key in ("layer", "env", "source")]
        findings = _counts(f for f in active if _stack_name(f) == name)
        lines.append(f"| {number} | {escape(name)} | {' | '.join(cells)} | {findings} |")
    return [*lines, ""]


def _document(
    report: Report,
    rows: dict[int, str],
    kept: list[Finding],
    omitted: list[Finding],
) -> str:
    active = report.active
    lines = _headline(report)
    if omitted:
        left_out = [f for f in omitted if not f.suppressed]
        parts = [_counts(left_out)] if left_out else []
        hidden_suppressed = sum(1 for f in omitted if f.suppressed)
        if hidden_suppressed:
            parts.append(f"{hidden_suppressed} suppressed")
        lines += [
            "> [!WARNING]",
            f"> Shortened to stay under GitHub's 1 MiB step-summary limit: {' and '.join(parts)} not listed, "
            f"least severe first. {FULL_REPORT}.",
            "",
        ]
    lines += _stacks_table(report, active)

    order = _stack_order(report)
    shown = [f for f in kept if not f.suppressed]
    if active:
        lines += ["### Findings", ""]
    for name in sorted({_stack_name(f) for f in shown}, key=lambda n: order[n]):
        in_stack = [f for f in shown if _stack_name(f) == name]
        in_stack.sort(key=lambda f: (-f.severity, *f.sort_key()))
        all_in_stack = [f for f in active if _stack_name(f) == name]
        stack = in_stack[0].stack
        label = (
            f" ({escape(stack.label, html_only=True)})" if stack is not None and stack.label != name else ""
        )
        heading = escape(name, html_only=True) if name else "(no stack)"
        is_open = " open" if any(f.severity is Severity.ERROR for f in all_in_stack) else ""
        lines += [
            f"<details{is_open}>",
            f"<summary><b>{heading}</b>{label}: {_counts(all_in_stack)}</summary>",
            "",
            "| severity | rule | where | finding and fix |",
            "|---|---|---|---|",
        ]
        lines.append("".join(rows[id(f)] for f in in_stack).rstrip("\n"))
        lines += ["", "</details>", ""]

    suppressed = [f for f in kept if f.suppressed]
    if suppressed:
        lines += [
            f"### Suppressed ({len(report.suppressed)})",
            "",
            "| severity | rule | where | reason |",
            "|---|---|---|---|",
        ]
        lines.append("".join(rows[id(f)] for f in suppressed).rstrip("\n"))
        lines.append("")
    if report.notes:
        lines += ["### Notes", ""]
        lines += [f"- {escape(note)}" for note in report.notes]
        lines.append("")
    return "\n".join(lines) + "\n"


def _importance(report: Report) -> list[Finding]:
    """Most important first: errors, warnings, notices (each in stack apply order), then suppressed."""
    order = _stack_order(report)

    def key(finding: Finding) -> tuple[int, int, int, tuple[str, str, int, str, str]]:
        return (finding.suppressed, -finding.severity, order[_stack_name(finding)], finding.sort_key())

    return sorted(report.findings, key=key)


def render(report: Report, limit: int = STEP_SUMMARY_LIMIT) -> str:
    ranked = _importance(report)
    rows = {id(f): _suppressed_row(f) if f.suppressed else _finding_row(f) for f in ranked}
    keep = len(ranked)
    while True:
        text = _document(report, rows, ranked[:keep], ranked[keep:])
        excess = len(text.encode("utf-8")) - limit
        if excess <= 0:
            return text
        if keep == 0:
            break
        freed = 0
        while keep > 0 and freed < excess:  # drop the least important rows that cover the excess
            keep -= 1
            freed += len(rows[id(ranked[keep])].encode("utf-8"))
    # Even without findings the text is too long (huge notes): cut it at a line.
    marker = "\n\n_(cut at GitHub's 1 MiB step-summary limit)_\n"
    budget = limit - len(marker.encode("utf-8"))
    cut = text.encode("utf-8")[: max(budget, 0)].decode("utf-8", errors="ignore")
    return cut[: cut.rfind("\n") + 1 if "\n" in cut else 0] + marker
