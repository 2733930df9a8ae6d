"""The versioned JSON report (design.md, Public interfaces)."""

from __future__ import annotations

import json
from typing import Any

from ttgate import __version__
from ttgate.findings import Finding, Severity
from ttgate.reporters import Report

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
        "fix": finding.fix,
        "related": [
            {"note": related.note, "file": related.location.file, "line": related.location.line or None}
            for related in finding.related
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
            "stacks": report.stacks,
            "files": report.files,
            "notes": report.notes,
        },
        "paths": report.paths,
        "stacks": report.stack_list,
        "findings": [finding_dict(finding) for finding in report.findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
