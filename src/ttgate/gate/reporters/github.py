"""GitHub Actions workflow commands: one annotation per finding, on the diff.

``::error file=F,line=L,endLine=E,col=C,title=T::message`` (``::warning``, ``::notice`` by severity).
GitHub shows at most :data:`LIMIT` annotations of each severity per step and drops the rest silently,
and the composite action is one step, so this reporter leaves a warning and a notice to the comment step
and emits the most important ones (errors first, then by file and line) and ends with one
notice saying how many were left out and where the full report is. Suppressed and existing findings
(--new-from, --baseline) are not annotated: they are in the JSON, SARIF and Markdown reports.
"""

from __future__ import annotations

from collections import Counter

from ttgate.gate.findings import Finding, plural
from ttgate.gate.reporters.report import Report
from ttgate.gate.reporters.sanitize import visible
from ttgate.policy import Severity

LIMIT = 10  # annotations GitHub shows per severity per step
RESERVED = 1  # warnings and notices kept for the comment step of the composite action
FULL_REPORT = "the job summary"


def escape_data(text: str) -> str:
    """Escape a command's message (after ``::``) as the Actions toolkit does; then no other control
    character or legacy command is left (an annotation may span lines, a terminal escape may not)."""
    return visible(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """Escape a property value (``file=``, ``title=``): commas and colons end a property."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _order(finding: Finding) -> tuple[int, str, int, int, str, str]:
    location = finding.location
    return (
        -finding.severity,
        location.file if location else "\uffff",  # findings without a file after those with one
        location.line if location else 0,
        location.column if location else 0,
        finding.rule,
        finding.message,
    )


def message(finding: Finding) -> str:
    """The annotation's text: what is wrong, then the fix; says where when there is no file."""
    text = f"{finding.message} Fix: {finding.fix}"
    if finding.location is None:
        where = [part for part in (finding.address, finding.stack.label if finding.stack else None) if part]
        if where:
            text = f"[{' in '.join(where)}] {text}"
    return text


def annotation(finding: Finding) -> str:
    """One workflow command for one finding."""
    properties: list[tuple[str, str]] = []
    location = finding.location
    if location is not None and location.file:
        properties.append(("file", location.file))
        if location.line >= 1:
            end_line = max(location.end_line or location.line, location.line)
            properties += [("line", str(location.line)), ("endLine", str(end_line))]
            if location.column >= 1:
                properties.append(("col", str(location.column)))
    properties.append(("title", f"{finding.rule} {finding.name}"))
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{finding.severity.label} {joined}::{escape_data(message(finding))}"


def render(report: Report, full_report: str = FULL_REPORT) -> str:
    findings = sorted(report.new, key=_order)
    totals = Counter(finding.severity for finding in findings)
    overflow = any(count > LIMIT for count in totals.values())
    # The action's comment step runs in the same step for GitHub and may warn (the comment could not
    # be written) or notice (no pull request): keep it a warning slot and a notice slot. The closing
    # summary is itself a notice: keep a slot for it too.
    limits = {Severity.ERROR: LIMIT, Severity.WARNING: LIMIT - RESERVED, Severity.NOTICE: LIMIT - RESERVED}
    if overflow:
        limits[Severity.NOTICE] -= 1
    shown: Counter[Severity] = Counter()
    lines: list[str] = []
    for finding in findings:
        if shown[finding.severity] < limits[finding.severity]:
            shown[finding.severity] += 1
            lines.append(annotation(finding))
    hidden = {severity: totals[severity] - shown[severity] for severity in sorted(Severity, reverse=True)}
    left_out = sum(hidden.values())
    if left_out:
        parts = ", ".join(plural(count, severity.label) for severity, count in hidden.items() if count)
        text = (
            f"ttgate: {plural(left_out, 'more finding')} not annotated ({parts}): GitHub shows at most "
            f"{LIMIT} annotations of each severity per step. The full report is in {full_report}."
        )
        lines.append(f"::notice title=ttgate::{escape_data(text)}")
    return "".join(line + "\n" for line in lines)
