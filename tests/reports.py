"""Reports built by hand, for the reporter and comment tests: findings in two stacks of dev."""

from __future__ import annotations

from ttgate.gate.findings import Finding, Related
from ttgate.gate.model import Location, Stack
from ttgate.gate.reporters import Report
from ttgate.gate.rules import RULES
from ttgate.policy import Severity

INFRA = Stack("practice/deploy/20_infra/environments/dev", None, "20_infra", "dev")
APP = Stack("practice/deploy/30_app/environments/dev", None, "30_app", "dev")
STACK_LIST: list[dict[str, str | None]] = [
    {"name": s.name, "layer": s.layer, "env": s.env, "source": "hcl"} for s in (INFRA, APP)
]
# Markup and HTML a file name or message could hold: none of it may survive as markup in a report.
NASTY = "<script>alert(1)</script> | *bold* `code` [link](javascript:evil) ![img](x) $x$ _u_ ~s~ \\ &amp;"


def finding(
    rule: str = "TG201",
    severity: Severity = Severity.ERROR,
    *,
    message: str = "Queue q has a visibility timeout of 30 s, below 60 s.",
    fix: str = "Set visibility_timeout_seconds to at least 60.",
    file: str | None = "practice/deploy/20_infra/environments/dev/main.tf",
    line: int = 3,
    column: int = 3,
    end_line: int | None = None,
    address: str | None = "aws_sqs_queue.q",
    stack: Stack | None = INFRA,
    suppressed: bool = False,
    reason: str | None = None,
    related: list[Related] | None = None,
) -> Finding:
    rule_object = RULES.get(rule)
    return Finding(
        rule=rule,
        name=rule_object.name if rule_object else "custom",
        severity=severity,
        message=message,
        fix=fix,
        location=Location(file, line, column, end_line) if file is not None else None,
        address=address,
        stack=stack,
        suppressed=suppressed,
        suppression_reason=reason,
        related=related or [],
    )


def report(*findings: Finding, notes: list[str] | None = None) -> Report:
    return Report(list(findings), stacks=2, files=5, notes=notes or [], stack_list=list(STACK_LIST))
