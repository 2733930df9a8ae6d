"""Where what is deployed differs from what the code declares, for the values the runbook's rules read.

Resources are matched by name (a queue's, a function's, an alarm's, a log group's), the code's in the
audited environment's stacks. Compared: a queue's visibility timeout, retention and maxReceiveCount, a
function's timeout, a log group's retention, and presence (an alarm deleted in the console is "only in
code"). A value the code leaves unset is compared with AWS's default for it (what Terraform creates); a
value the code cannot know statically is not compared. "Only in AWS" is reported for names the policy
says belong to the environment (``{project}-{env}-``), so an account's other workloads are not drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ttgate.gate.findings import Finding
from ttgate.gate.model import Model, Resource
from ttgate.gate.rules.sqs import decode_policy
from ttgate.gate.values import Unknown
from ttgate.policy import Policy, Severity

RULE_ID = "TG601"
RULE_NAME = "deployed-drift"
_SERVICE = {
    "aws_sqs_queue": "sqs",
    "aws_lambda_function": "lambda",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_cloudwatch_log_group": "logs",
}
_NAME = {
    "aws_sqs_queue": "name",
    "aws_lambda_function": "function_name",
    "aws_cloudwatch_metric_alarm": "alarm_name",
    "aws_cloudwatch_log_group": "name",
}


@dataclass(frozen=True)
class Compared:
    """One value compared: its argument, what AWS has when the code leaves it unset, how to read it."""

    attribute: str
    unset: Any
    read: Callable[[Resource], Any]


def _plain(attribute: str) -> Callable[[Resource], Any]:
    return lambda resource: resource.values.get(attribute)


def _max_receive_count(resource: Resource) -> Any:
    policy = decode_policy(resource.values.get("redrive_policy"))
    if policy is None:
        return None
    if isinstance(policy, Unknown):
        return policy
    value = policy.get("maxReceiveCount")
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


_COMPARED: dict[str, tuple[Compared, ...]] = {
    "aws_sqs_queue": (
        Compared("visibility_timeout_seconds", 30, _plain("visibility_timeout_seconds")),
        Compared("message_retention_seconds", 345_600, _plain("message_retention_seconds")),
        Compared("redrive_policy.maxReceiveCount", None, _max_receive_count),
    ),
    "aws_lambda_function": (Compared("timeout", 3, _plain("timeout")),),
    "aws_cloudwatch_log_group": (Compared("retention_in_days", None, _plain("retention_in_days")),),
    "aws_cloudwatch_metric_alarm": (),
}


def _name(resource: Resource) -> str | None:
    value = resource.values.get(_NAME[resource.type])
    return value if isinstance(value, str) else None


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def drift_findings(
    deployed: Model, code: Model, env: str, policy: Policy, services_read: set[str]
) -> list[Finding]:
    """Findings for every difference (warning severity: the code or AWS must change, a person decides
    which). Only services read completely are compared for "only in code"."""
    stack = deployed.stacks[0]
    findings: list[Finding] = []
    for resource_type, compared in _COMPARED.items():
        live = {name: r for r in stack.resources_of("managed", resource_type) if (name := _name(r))}
        declared: dict[str, Resource] = {}
        for resource in code.resources(resource_type, env=env):
            name = _name(resource)
            if name is not None and resource.present is True:
                declared.setdefault(name, resource)
        for name, source in declared.items():
            target = live.get(name)
            if target is None:
                if _SERVICE[resource_type] in services_read:
                    findings.append(_only_in_code(source, name, stack.name))
                continue
            findings.extend(_differences(source, target, compared, name))
        prefix = _prefix(resource_type, policy.project, env)
        for name, target in live.items():
            if name not in declared and name.startswith(prefix):
                findings.append(_only_in_aws(target, name))
    return findings


def _prefix(resource_type: str, project: str, env: str) -> str:
    prefix = f"{project}-{env}-"
    return f"/aws/lambda/{prefix}" if resource_type == "aws_cloudwatch_log_group" else prefix


def _differences(
    source: Resource, target: Resource, compared: tuple[Compared, ...], name: str
) -> Iterator[Finding]:
    for item in compared:
        wanted = item.read(source)
        if isinstance(wanted, Unknown):
            continue
        wanted = _number(item.unset if wanted is None else wanted)
        actual = _number(item.read(target))
        if actual == wanted:
            continue
        shown_wanted = "unset" if wanted is None else wanted
        shown_actual = "unset" if actual is None else actual
        yield _finding(
            f"Deployed {_kind(source)} {name} has {item.attribute} = {shown_actual}; the code declares "
            f"{shown_wanted} ({source.address} in {source.stack.name}).",
            f"Apply the code again ({source.stack.label}), or change the code to {shown_actual} if the "
            "change was deliberate (an incident's fix must reach the code, or the next apply reverts it).",
            target,
            source,
        )


def _only_in_code(source: Resource, name: str, deployed_stack: str) -> Finding:
    return _finding(
        f"{_kind(source).capitalize()} {name} is declared in code ({source.address} in {source.stack.name}) "
        f"but not deployed ({deployed_stack}): deleted outside Terraform, or never applied.",
        f"Apply {source.stack.label} to recreate it, or remove it from the code if it is gone for good.",
        None,
        source,
    )


def _only_in_aws(target: Resource, name: str) -> Finding:
    return _finding(
        f"Deployed {_kind(target)} {name} is not declared in the code of its environment: created by "
        "hand, by another tool, or by AWS itself (Lambda creates its log group when none exists).",
        "Import it into the stack that should own it (an import block), or delete it if nothing uses it.",
        target,
        None,
    )


def _kind(resource: Resource) -> str:
    return {
        "aws_sqs_queue": "queue",
        "aws_lambda_function": "function",
        "aws_cloudwatch_metric_alarm": "alarm",
        "aws_cloudwatch_log_group": "log group",
    }[resource.type]


def _finding(message: str, fix: str, deployed: Resource | None, code: Resource | None) -> Finding:
    from ttgate.gate.findings import Related

    anchor = deployed or code
    assert anchor is not None
    related = [Related("declared here", code.location)] if deployed and code and code.location else []
    return Finding(
        rule=RULE_ID,
        name=RULE_NAME,
        severity=Severity.WARNING,
        message=message,
        fix=fix,
        location=None if deployed else code.location if code else None,
        address=anchor.address,
        stack=anchor.stack,
        source=anchor.stack.kind,
        related=related,
    )


__all__ = ["RULE_ID", "RULE_NAME", "drift_findings"]
