"""Suppressions: `# ttgate:ignore TG201 reason…` on a finding's line or on the line above its block.

A suppressed finding stays in the report (marked, with its reason) and counts apart; a suppression
without a reason does not suppress, and the finding says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ttgate.gate.findings import Finding, Related
from ttgate.gate.model import Location, Model
from ttgate.gate.values import display

_IGNORE = re.compile(r"^ttgate:ignore\s+(?P<rules>TG\d{3}(?:\s*,\s*TG\d{3})*)(?:\s+(?P<reason>.*))?$", re.I)


@dataclass(frozen=True)
class Suppression:
    rules: frozenset[str]
    reason: str
    location: Location


def _suppressions(model: Model) -> tuple[dict[tuple[str, int], Suppression], list[str]]:
    found: dict[tuple[str, int], Suppression] = {}
    problems: list[str] = []
    for file, directives in model.files.items():
        for line, text in directives:
            match = _IGNORE.match(text.strip())
            if match is None:
                if text.lower().startswith("ttgate:ignore"):
                    problems.append(
                        f"{file}:{line}: cannot read the suppression {display(text)}; "
                        "write `ttgate:ignore TG201 reason`"
                    )
                continue
            rules = frozenset(rule.strip().upper() for rule in match.group("rules").split(","))
            reason = (match.group("reason") or "").strip(" -–—:")
            found[(file, line)] = Suppression(rules, reason, Location(file, line))
    return found, problems


def apply_suppressions(model: Model, findings: list[Finding]) -> None:
    suppressions, problems = _suppressions(model)
    model.notes.extend(problems)
    if not suppressions:
        return
    for finding in findings:
        for candidate in _candidates(finding):
            suppression = suppressions.get(candidate)
            if suppression is None or not ({finding.rule, finding.for_rule} & suppression.rules):
                continue
            if suppression.reason:
                finding.suppressed = True
                finding.suppression_reason = suppression.reason
            else:
                finding.related.append(
                    Related(
                        f"ttgate:ignore {finding.rule} here has no reason, so it does not apply; add one",
                        suppression.location,
                    )
                )
            break


def _candidates(finding: Finding) -> list[tuple[str, int]]:
    places: list[tuple[str, int]] = []
    for location in (finding.location, finding.block):
        if location is not None and location.line > 0:
            places += [(location.file, location.line), (location.file, location.line - 1)]
    return places
