"""Reporters: pure functions from a report to text, one module per format."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from ttgate import __version__
from ttgate.gate.findings import Finding
from ttgate.policy import Severity

# Absolute: a relative link would resolve against the page showing it (a job summary, a PR, code
# scanning), not against ttgate's docs. The GitHub action sets TTGATE_DOCS_URL to the docs/rules folder
# of the repository and ref it runs from (or its docs-url input), so every link opens a file that exists
# at the version that wrote it; DEFAULT_DOCS_URL is only for runs outside the action.
DOCS_URL_VARIABLE = "TTGATE_DOCS_URL"
DEFAULT_DOCS_URL = "https://github.com/ttgate/ttgate/blob/main/docs/rules"


def rule_docs_url(rule_id: str) -> str:
    base = os.environ.get(DOCS_URL_VARIABLE, "").strip().rstrip("/") or DEFAULT_DOCS_URL
    return f"{base}/{quote(rule_id, safe='')}.md"


@dataclass
class Report:
    findings: list[Finding]
    stacks: int
    files: int
    notes: list[str] = field(default_factory=list)  # run-level facts, e.g. "plan X errored"
    stack_list: list[dict[str, str | None]] = field(default_factory=list)  # in apply order
    paths: list[str] = field(default_factory=list)  # what was checked, as given (paths and plans)
    directories: dict[str, str] = field(default_factory=dict)  # every .tf directory -> how it was checked
    tool_version: str = __version__  # of the ttgate that made it (a report read back may be older)

    @property
    def active(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.suppressed]

    @property
    def suppressed(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.suppressed]

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.active if finding.severity is severity)


def _text(report: Report, color: bool) -> str:
    from ttgate.gate.reporters.text import render

    return render(report, color=color)


def _json(report: Report, color: bool) -> str:
    from ttgate.gate.reporters.json_report import render

    return render(report)


def _github(report: Report, color: bool) -> str:
    from ttgate.gate.reporters.github import render

    return render(report)


def _sarif(report: Report, color: bool) -> str:
    from ttgate.gate.reporters.sarif import render

    return render(report)


def _markdown(report: Report, color: bool) -> str:
    from ttgate.gate.reporters.markdown import render

    return render(report)


FORMATS: dict[str, Callable[[Report, bool], str]] = {
    "text": _text,
    "json": _json,
    "github": _github,
    "sarif": _sarif,
    "markdown": _markdown,
}
