"""Running the rules over a model: settings from the policy, then ordering."""

from __future__ import annotations

from collections.abc import Collection

from ttgate.gate.findings import Finding
from ttgate.gate.model import Model
from ttgate.gate.rules import RULES
from ttgate.gate.rules.base import UNVERIFIABLE_ID, RuleContext
from ttgate.gate.suppress import apply_suppressions
from ttgate.policy import Policy


def run_rules(model: Model, policy: Policy, only: Collection[str] | None = None) -> list[Finding]:
    """Every enabled rule's findings (``only``: just these rules), sorted, suppressions applied."""
    unverifiable = policy.settings(UNVERIFIABLE_ID)
    findings: list[Finding] = []
    for rule_id, rule in RULES.items():
        settings = policy.settings(rule_id)
        if not settings.enabled or (only is not None and rule_id not in only):
            continue
        context = RuleContext(
            rule=rule,
            model=model,
            params=settings.params,
            severity=settings.severity,
            unverifiable_severity=unverifiable.severity if unverifiable.enabled else None,
            policy=policy,
        )
        findings.extend(rule.run(context))
    findings = _unique(sorted(findings, key=Finding.sort_key))
    apply_suppressions(model, findings)
    return findings


def _unique(findings: list[Finding]) -> list[Finding]:
    """Drop exact repeats (the same module resource reached twice in one stack)."""
    seen: set[tuple[object, ...]] = set()
    unique = []
    for finding in findings:
        key = (
            finding.rule,
            finding.severity,
            finding.message,
            finding.location,
            finding.stack and finding.stack.name,
        )
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique
