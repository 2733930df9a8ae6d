"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF viewer).

One run; ``tool.driver.rules`` holds every rule of the catalog with its help, so a viewer can explain
a result without ttgate. Suppressed findings stay in the log with an ``inSource`` suppression.
``partialFingerprints`` hash what identifies a finding across commits (:mod:`ttgate.gate.fingerprint`),
not its line, so code scanning keeps tracking an alert when code above it moves. ``baselineState`` is
``unchanged`` for a finding also on the base revision or in the baseline file, else ``new``.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

from ttgate import __version__
from ttgate.gate.findings import Finding
from ttgate.gate.fingerprint import FINGERPRINT_NAME, occurrences
from ttgate.gate.model import Location
from ttgate.gate.reporters.docs_url import rule_docs_url
from ttgate.gate.reporters.report import Report
from ttgate.gate.reporters.sanitize import json_text
from ttgate.gate.rules.base import Rule
from ttgate.policy import Severity

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/ttgate/ttgate"
SRCROOT = "%SRCROOT%"
FINGERPRINT = FINGERPRINT_NAME

RESULT_LIMIT = 25_000  # GitHub code scanning rejects a run with more results
AUTOMATION_ID_VARIABLE = "TTGATE_SARIF_ID"  # the action sets it to the comment key

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note"}
LEVEL_RANK = {Severity.ERROR: 3, Severity.WARNING: 2, Severity.NOTICE: 1}
_CATEGORIES = {
    "0": "ttgate",
    "1": "layers",
    "2": "sqs",
    "3": "logs",
    "4": "naming",
    "5": "state",
}


def _tags(rule_id: str) -> list[str]:
    category = _CATEGORIES.get(rule_id[2:3]) if rule_id.startswith("TG") else None
    return ["terraform", "runbook"] + ([category] if category else [])


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    from ttgate.gate.reporters.rule_docs import explain_text, markdown

    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.doc.what},
        "help": {"text": explain_text(rule), "markdown": markdown(rule)},
        "helpUri": rule_docs_url(rule.id),  # absolute: code scanning rejects relative links
        "defaultConfiguration": {"level": LEVELS[rule.default_severity]},
        "properties": {"tags": _tags(rule.id)},
    }


def _unknown_rule(finding: Finding) -> dict[str, Any]:
    """A descriptor for a finding whose rule is not in the catalog (defensive: keeps ruleIndex valid)."""
    return {
        "id": finding.rule,
        "name": finding.name,
        "shortDescription": {"text": finding.name},
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
        "properties": {"tags": _tags(finding.rule)},
    }


def artifact_location(file: str) -> dict[str, Any]:
    """A relative path becomes a percent-encoded URI relative to %SRCROOT%; an absolute one a file URI."""
    if file.startswith("/"):
        return {"uri": "file://" + quote(file, safe="/", errors="surrogateescape")}
    return {"uri": quote(file, safe="/", errors="surrogateescape"), "uriBaseId": SRCROOT}


def physical_location(location: Location) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(location.file)}
    if location.line >= 1:
        region: dict[str, int] = {"startLine": location.line}
        if location.column >= 1:
            region["startColumn"] = location.column
        region["endLine"] = max(location.end_line or location.line, location.line)
        physical["region"] = region
    return physical


def _result(finding: Finding, rule_index: int, hash_: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": f"{finding.message} Fix: {finding.fix}"},
    }
    location = finding.location
    if location is None and finding.stack is not None and finding.stack.plan_file:
        location = Location(finding.stack.plan_file, 0, 0)
    if location is not None and location.file:
        result["locations"] = [{"physicalLocation": physical_location(location)}]
    result["partialFingerprints"] = {FINGERPRINT: hash_}
    result["baselineState"] = "unchanged" if finding.existing else "new"
    if finding.related:
        result["relatedLocations"] = [
            {
                "id": number,
                "physicalLocation": physical_location(related.location),
                "message": {"text": related.note},
            }
            for number, related in enumerate(finding.related, start=1)
        ]
    if finding.suppressed:
        suppression: dict[str, Any] = {"kind": "inSource"}
        if finding.suppression_reason:
            suppression["justification"] = finding.suppression_reason
        result["suppressions"] = [suppression]
    stack = finding.stack
    properties = {
        "address": finding.address,
        "stack": stack.name if stack else None,
        "layer": stack.layer if stack else None,
        "env": stack.env if stack else None,
        "source": finding.source,
        "fix": finding.fix,
    }
    result["properties"] = {key: value for key, value in properties.items() if value is not None}
    return result


def document(report: Report) -> dict[str, Any]:
    from ttgate.gate.rules import RULES

    descriptors = [rule_descriptor(rule) for rule in RULES.values()]
    index = {rule_id: number for number, rule_id in enumerate(RULES)}
    findings = sorted(report.findings, key=lambda finding: finding.sort_key())
    kept = _most_severe(findings, RESULT_LIMIT)
    dropped = len(findings) - len(kept)
    findings = [finding for finding in findings if id(finding) in kept]
    results = []
    for finding, base, number in occurrences(findings):
        if finding.rule not in index:
            index[finding.rule] = len(descriptors)
            descriptors.append(_unknown_rule(finding))
        # Two findings sharing a fingerprint: number them in line order.
        hash_ = base if number == 1 else f"{base}:{number}"
        results.append(_result(finding, index[finding.rule], hash_))
    run: dict[str, Any] = {}
    automation_id = os.environ.get(AUTOMATION_ID_VARIABLE, "").strip()
    if automation_id:
        # Code scanning's category is the id up to its last slash: the whole key, so matrix jobs with
        # different keys keep separate analyses instead of replacing each other's.
        run["automationDetails"] = {"id": f"ttgate/{automation_id}/"}
    if dropped:
        run["properties"] = {
            "ttgateNote": f"{dropped} of {dropped + len(results)} findings left out, the least severe first: "
            f"GitHub code scanning accepts at most {RESULT_LIMIT:,} results per run. "
            "The JSON report has them all."
        }
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            run
            | {
                "tool": {
                    "driver": {
                        "name": "ttgate",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _most_severe(findings: list[Finding], limit: int) -> set[int]:
    """The ids of the ``limit`` findings to keep: active before suppressed, errors before warnings
    before notices, then in report order."""
    order = sorted(findings, key=lambda finding: (finding.suppressed, -LEVEL_RANK[finding.severity]))
    return {id(finding) for finding in order[:limit]}


def render(report: Report) -> str:
    return json_text(json.dumps(document(report), indent=2, ensure_ascii=False)) + "\n"
