"""One audit: the deployed model checked with the rules that apply to running resources, the reads that
failed reported as findings, and the drift from the code when the code is given.

A rule runs only when every service it reads was read completely: with log groups denied, TG302 would
otherwise say every function lacks its log group. What was not read is a TG000 finding naming the
permission and the rules it left unchecked, so the gap shows in every format and in the audit's issue.
"""

from __future__ import annotations

from pathlib import Path

from ttgate.gate.deployed.drift import drift_findings
from ttgate.gate.deployed.inventory import Inventory
from ttgate.gate.deployed.model import deployed_model
from ttgate.gate.engine import run_rules
from ttgate.gate.findings import Finding
from ttgate.gate.model import Model
from ttgate.gate.reporters import Report
from ttgate.policy import Policy, Severity

# The rules about running resources, and the services each reads.
AUDIT_RULES: dict[str, tuple[str, ...]] = {
    "TG201": ("sqs", "lambda"),
    "TG202": ("sqs", "lambda"),
    "TG203": ("sqs",),
    "TG204": ("sqs", "cloudwatch"),
    "TG301": ("logs",),
    "TG302": ("lambda", "logs"),
}


def audit_report(
    inventory: Inventory, env: str, policy: Policy, root: Path, code: Model | None = None
) -> Report:
    deployed = deployed_model(inventory, env, root)
    read = inventory.services_read()
    runnable = [rule for rule, services in AUDIT_RULES.items() if set(services) <= read]
    findings = run_rules(deployed, policy, only=runnable)
    for finding in findings:
        finding.message = f"Deployed: {finding.message}"
    findings += _unread(inventory, deployed)
    notes = [
        f"audited {_where(inventory)} as {env}: {_counts(inventory)}; {sum(inventory.calls.values())} calls"
    ]
    skipped = [rule for rule in AUDIT_RULES if rule not in runnable]
    if skipped:
        notes.append(f"not checked, for want of a complete read: {', '.join(skipped)}")
    if code is not None:
        if any(stack.env == env for stack in code.stacks):
            findings += drift_findings(deployed, code, env, policy, read)
        else:
            notes.append(f"no stack of {env} in the code given: drift not compared")
    report = Report(sorted(findings, key=Finding.sort_key), stacks=1, files=0, notes=notes)
    stack = deployed.stacks[0]
    report.stack_list = [
        {
            "name": stack.name,
            "layer": None,
            "env": env,
            "source": stack.kind,
            "role": "root",
            "plan_file": None,
        }
    ]
    report.paths = [_where(inventory)]
    return report


def _where(inventory: Inventory) -> str:
    return f"aws://{inventory.account or 'unknown-account'}/{inventory.region or 'unknown-region'}"


def _counts(inventory: Inventory) -> str:
    parts = [
        (len(inventory.queues), "queue"),
        (len(inventory.functions), "function"),
        (len(inventory.mappings), "event source mapping"),
        (len(inventory.alarms), "alarm"),
        (len(inventory.log_groups), "log group"),
    ]
    return ", ".join(f"{count} {word}{'' if count == 1 else 's'}" for count, word in parts)


def _unread(inventory: Inventory, deployed: Model) -> list[Finding]:
    stack = deployed.stacks[0]
    findings = []
    for permission in inventory.denied:
        service = permission.split(":", 1)[0]
        rules = [rule for rule, services in AUDIT_RULES.items() if service in services]
        findings.append(
            Finding(
                rule="TG000",
                name="parse-error",
                severity=Severity.ERROR,
                message=f"Deployed: access denied to {permission}: {', '.join(rules)} not checked in "
                f"{_where(inventory)}.",
                fix=f"Allow {permission} to the audit's role (the read-only policy is in docs/audit.md).",
                address=permission,
                stack=stack,
                source=stack.kind,
            )
        )
    for what in inventory.unread:
        findings.append(
            Finding(
                rule="TG000",
                name="parse-error",
                severity=Severity.ERROR,
                message=f"Deployed: not everything was read: {what}.",
                fix="Raise --max-calls (each queue costs one GetQueueAttributes call), or audit fewer "
                "resources at a time.",
                stack=stack,
                source=stack.kind,
            )
        )
    return findings


__all__ = ["AUDIT_RULES", "audit_report"]
