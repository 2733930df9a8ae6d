"""Reporters: pure functions from a report to text, one module per format.

The formats import the report from :mod:`report`, never from this package, which names them all.
"""

from __future__ import annotations

from collections.abc import Callable

from ttgate.gate.reporters.docs_url import DEFAULT_DOCS_URL, DOCS_URL_VARIABLE, rule_docs_url
from ttgate.gate.reporters.report import Report

__all__ = ["DEFAULT_DOCS_URL", "DOCS_URL_VARIABLE", "FORMATS", "Report", "rule_docs_url"]


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
