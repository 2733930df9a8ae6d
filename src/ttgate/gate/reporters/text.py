"""Text for a terminal: findings grouped by stack and file, then a one-line summary.

Findings that are existing (on the --new-from revision or in the --baseline file) come after the new
ones, one line each under their own heading: they do not fail the run and need no reading now.
"""

from __future__ import annotations

import textwrap
from itertools import groupby

import click

from ttgate.gate.findings import Finding, plural
from ttgate.gate.model import Location
from ttgate.gate.plan.changes import ACTIONS, EnvironmentChanges, ResourceChange, StackChanges
from ttgate.gate.reporters.report import Report
from ttgate.gate.reporters.sanitize import no_command_lines, visible
from ttgate.policy import Severity

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.NOTICE: "cyan"}
_WIDTH = 100
# Addresses listed per stack (and per stack's drift) before "… and N more": the section stays short.
PLAN_ADDRESSES_SHOWN = 10


def summary(report: Report) -> str:
    counts = [
        plural(report.count(Severity.ERROR), "error"),
        plural(report.count(Severity.WARNING), "warning"),
        plural(report.count(Severity.NOTICE), "notice"),
    ]
    scope = f"{plural(report.stacks, 'stack')}, {plural(report.files, 'file')}"
    text = f"{', '.join(counts)} in {scope}"
    if report.suppressed:
        text += f" ({len(report.suppressed)} suppressed)"
    if report.existing:
        text += f": {len(report.new)} new, {len(report.existing)} existing"
    return text + "."


def _stack_heading(finding: Finding) -> str:
    stack = finding.stack
    if stack is None:
        return "(no stack)"
    if stack.layer and stack.env:
        return visible(f"{stack.name}  [{stack.layer} / {stack.env}]")
    return visible(stack.name)


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(visible(text), width=_WIDTH, initial_indent=indent, subsequent_indent=indent)


def _place(location: Location) -> str:
    return f"{location.file}:{location.line}" if location.line > 0 else location.file


def _file(finding: Finding) -> str:
    return visible(finding.location.file) if finding.location else "(no file)"


def render(report: Report, color: bool = False) -> str:
    def style(text: str, **kwargs: object) -> str:
        return click.style(text, **kwargs) if color else text  # type: ignore[arg-type]

    lines: list[str] = []
    shown = sorted(report.new, key=lambda f: (_stack_heading(f), *f.sort_key()))
    for heading, by_stack in groupby(shown, key=_stack_heading):
        lines.append(style(heading, bold=True))
        for file, by_file in groupby(by_stack, key=_file):
            lines.append(f"  {style(file, underline=True)}")
            for finding in by_file:
                location = finding.location
                position = f"{location.line}:{location.column}" if location and location.line > 0 else "-"
                severity = style(f"{finding.severity.label:<7}", fg=_COLORS[finding.severity], bold=True)
                lines.append(f"    {position:<7} {severity} {finding.rule} {style(finding.name, dim=True)}")
                lines.append(_wrap(finding.message, " " * 6))
                lines.append(_wrap(f"fix: {finding.fix}", " " * 6))
                for related in finding.related[:4]:
                    lines.append(_wrap(f"↳ {related.note} ({_place(related.location)})", " " * 6))
        lines.append("")
    existing = sorted(report.existing, key=lambda f: (_stack_heading(f), *f.sort_key()))
    if existing:
        lines.append(
            style(f"Existing ({len(existing)}): already on the base revision or in the baseline", bold=True)
        )
        for heading, by_stack in groupby(existing, key=_stack_heading):
            lines.append(f"  {heading}")
            for finding in by_stack:
                place = visible(_place(finding.location)) if finding.location else "-"
                subject = f" {visible(finding.address)}" if finding.address else ""
                lines.append(f"    {place}  {finding.severity.label} {finding.rule} {finding.name}{subject}")
        lines.append("")
    if report.plan_changes:
        lines.extend(plan_section(report.plan_changes))
        lines.append("")
    for note in report.notes:
        lines.append(style(f"note: {visible(note)}", fg="yellow"))
    total = summary(report)
    if any(finding.severity is Severity.ERROR for finding in report.new):
        total = style(total, fg="red", bold=True)
    elif not report.new:
        total = style(total, fg="green", bold=True)
    lines.append(total)
    return no_command_lines("\n".join(lines) + "\n")


def _counts(section: StackChanges) -> str:
    parts = [f"{section.counts[action]} {action}" for action in ACTIONS if section.counts.get(action)]
    return ", ".join(parts) if parts else "no changes"


def _change_line(change: ResourceChange) -> str:
    moved = f" (from {change.previous_address})" if change.previous_address else ""
    return _wrap(f"{change.action:<8} {change.address}{moved}", " " * 6)


def _listed(changes: list[ResourceChange], heading: str | None = None) -> list[str]:
    lines = [f"      {heading}"] if heading and changes else []
    lines += [_change_line(change) for change in changes[:PLAN_ADDRESSES_SHOWN]]
    if len(changes) > PLAN_ADDRESSES_SHOWN:
        lines.append(f"      … and {len(changes) - PLAN_ADDRESSES_SHOWN} more")
    return lines


def plan_section(environments: list[EnvironmentChanges]) -> list[str]:
    """What applying the plans does: per environment, each stack in apply order, its counts and the
    changed addresses (the first few), then what Terraform found changed outside it."""
    lines = ["What merging does (the plans, in apply order)"]
    for environment in environments:
        lines.append(f"  {visible(environment.environment or '(no environment)')}")
        for section in environment.stacks:
            heading = f"{section.label}: {_counts(section)}"
            if section.errored:
                heading = (
                    f"{heading} ({section.errored})"
                    if section.changes
                    else f"{section.label}: {section.errored}"
                )
            lines.append(_wrap(heading, " " * 4))
            lines += _listed(section.changes)
            lines += _listed(section.drift, f"drift (changed outside Terraform): {len(section.drift)}")
    return lines
