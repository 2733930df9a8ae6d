"""The versioned JSON report (design.md, Public interfaces)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ttgate import __version__
from ttgate.errors import UserError
from ttgate.gate.findings import Finding, Related
from ttgate.gate.model import Location, Stack
from ttgate.gate.plan.changes import ACTIONS, EnvironmentChanges, ResourceChange, StackChanges
from ttgate.gate.reporters.report import Report
from ttgate.gate.reporters.sanitize import json_text
from ttgate.gate.values import display
from ttgate.policy import Severity

SCHEMA_VERSION = 1


def finding_dict(finding: Finding) -> dict[str, Any]:
    location = finding.location
    # Line 0: a resource read from a plan without its HCL has a file (the plan) but no line.
    line = location.line if location and location.line > 0 else None
    stack = finding.stack
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.label,
        "message": finding.message,
        "file": location.file if location else None,
        "line": line,
        "column": location.column if line is not None and location else None,
        "end_line": ((location.end_line or line) if line is not None and location else None),
        "address": finding.address,
        "stack": stack.name if stack else None,
        "layer": stack.layer if stack else None,
        "env": stack.env if stack else None,
        "source": finding.source,
        "suppressed": finding.suppressed,
        "suppression_reason": finding.suppression_reason,
        "existing": finding.existing,
        "fix": finding.fix,
        "related": [
            {"note": related.note, "file": related.location.file, "line": related.location.line or None}
            for related in finding.related
        ],
    }


def _change_dict(change: ResourceChange) -> dict[str, Any]:
    return {"address": change.address, "action": change.action, "previous_address": change.previous_address}


def plan_changes_dict(environment: EnvironmentChanges) -> dict[str, Any]:
    """One environment of what merging does: addresses and actions only, never a value."""
    return {
        "environment": environment.environment,
        "stacks": [
            {
                "label": section.label,
                "layer": section.layer,
                "plan_file": section.plan_file,
                "counts": {action: section.counts.get(action, 0) for action in ACTIONS},
                "changes": [_change_dict(change) for change in section.changes],
                "drift": [_change_dict(change) for change in section.drift],
                "errored": section.errored,
            }
            for section in environment.stacks
        ],
    }


def render(report: Report) -> str:
    document = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "ttgate", "version": __version__},
        "summary": {
            "errors": report.count(Severity.ERROR),
            "warnings": report.count(Severity.WARNING),
            "notices": report.count(Severity.NOTICE),
            "suppressed": len(report.suppressed),
            "new": len(report.new),
            "existing": len(report.existing),
            "stacks": report.stacks,
            "files": report.files,
            "notes": report.notes,
        },
        "paths": report.paths,
        "stacks": report.stack_list,
        "directories": report.directories,
        "findings": [finding_dict(finding) for finding in report.findings],
        "plan_changes": [plan_changes_dict(environment) for environment in report.plan_changes],
    }
    if report.selection is not None:  # `check --changed-from`: each checked stack and why
        document["selection"] = report.selection
    return json_text(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


_SEVERITY_LABELS = tuple(severity.label for severity in Severity)


def read_report(path: Path) -> Report:
    """A JSON report read back into the findings it was made from, for the Markdown reporters."""
    return report_from_document(load_report(path))


def load_report(path: Path) -> dict[str, Any]:
    """Read a ttgate JSON report (``ttgate check --format json:FILE``); anything else is a UserError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(
            f"--report {path}: no such file (write it with ttgate check --format json:{path})"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(
            f"--report {path}: cannot read: {getattr(error, 'strerror', None) or error}"
        ) from None
    try:
        report = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(f"--report {path}: not JSON ({error.msg} at line {error.lineno})") from None
    problem = _report_problem(report)
    if problem:
        raise UserError(f"--report {path}: not a ttgate report: {problem}")
    return report  # type: ignore[no-any-return]


def _report_problem(report: Any) -> str | None:
    tool = report.get("tool") if isinstance(report, dict) else None
    if not isinstance(tool, dict) or tool.get("name") != "ttgate":
        return 'no "tool": {"name": "ttgate"} (write it with ttgate check --format json:FILE)'
    if report.get("version") != 1:
        return f"report version {display(report.get('version'))}; this ttgate reads version 1"
    if not isinstance(report.get("summary"), dict) or not isinstance(report.get("findings"), list):
        return '"summary" or "findings" is missing'
    for index, finding in enumerate(report["findings"]):
        if not isinstance(finding, dict) or finding.get("severity") not in _SEVERITY_LABELS:
            return f"finding {index + 1} has no valid severity"
    if not isinstance(report.get("stacks", []), list):
        return '"stacks" is not a list'
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _line(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def _location(entry: dict[str, Any]) -> Location | None:
    if not entry.get("file"):
        return None
    line = _line(entry.get("line"))
    column = _line(entry.get("column")) or (1 if line else 0)
    return Location(str(entry["file"]), line, column, _line(entry.get("end_line")) or None)


def _stack_rows(document: dict[str, Any]) -> list[dict[str, str | None]]:
    rows = document.get("stacks", [])
    keys = ("name", "layer", "env", "source", "plan_file")
    return [{key: _text(row.get(key)) for key in keys} for row in rows if isinstance(row, dict)]


def report_from_document(document: dict[str, Any]) -> Report:
    """The inverse of :func:`render`, for a document :func:`load_report` accepted."""
    rows = _stack_rows(document)
    stacks = {
        row["name"]: Stack(row["name"], None, row["layer"], row["env"], row["source"] or "hcl")
        for row in rows
        if row["name"]
    }
    findings = []
    for entry in document["findings"]:
        name = _text(entry.get("stack"))
        if name and name not in stacks:
            stacks[name] = Stack(name, None, _text(entry.get("layer")), _text(entry.get("env")))
        related = [
            Related(str(item.get("note") or ""), _location(item) or Location("", 0, 0))
            for item in entry.get("related") or []
            if isinstance(item, dict)
        ]
        findings.append(
            Finding(
                rule=str(entry.get("rule") or ""),
                name=str(entry.get("name") or ""),
                severity=Severity.parse(entry["severity"]),
                message=str(entry.get("message") or ""),
                fix=str(entry.get("fix") or ""),
                location=_location(entry),
                address=_text(entry.get("address")),
                stack=stacks[name] if name else None,
                source=str(entry.get("source") or "hcl"),
                related=related,
                suppressed=bool(entry.get("suppressed")),
                suppression_reason=_text(entry.get("suppression_reason")),
                existing=entry.get("existing") is True,
            )
        )
    summary = document["summary"]
    notes, paths = summary.get("notes"), document.get("paths")
    environments = document.get("plan_changes")
    return Report(
        findings,
        stacks=_line(summary.get("stacks")) or len(rows),
        files=_line(summary.get("files")),
        notes=[str(note) for note in notes] if isinstance(notes, list) else [],
        stack_list=rows,
        paths=[str(path) for path in paths] if isinstance(paths, list) else [],
        plan_changes=[
            _environment(entry)
            for entry in (environments if isinstance(environments, list) else [])
            if isinstance(entry, dict)
        ],
        tool_version=str(document["tool"].get("version") or ""),
    )


def _changes(entries: Any) -> list[ResourceChange]:
    return [
        ResourceChange(str(entry["address"]), str(entry["action"]), _text(entry.get("previous_address")))
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict) and entry.get("address") is not None and entry.get("action") is not None
    ]


def _environment(entry: dict[str, Any]) -> EnvironmentChanges:
    """An environment of ``plan_changes`` read back (a report of an older ttgate has none)."""
    stacks = []
    for row in entry.get("stacks") or []:
        if not isinstance(row, dict):
            continue
        counts = row["counts"] if isinstance(row.get("counts"), dict) else {}
        stacks.append(
            StackChanges(
                label=str(row.get("label") or ""),
                layer=_text(row.get("layer")),
                plan_file=str(row.get("plan_file") or ""),
                counts={action: _line(counts.get(action)) for action in ACTIONS},
                changes=_changes(row.get("changes")),
                drift=_changes(row.get("drift")),
                errored=_text(row.get("errored")),
            )
        )
    return EnvironmentChanges(_text(entry.get("environment")), stacks)
