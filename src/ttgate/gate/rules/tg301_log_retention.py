"""TG301 log-retention: log groups keep logs for a number of days CloudWatch accepts and the policy allows."""

from __future__ import annotations

from collections.abc import Iterator

from ttgate.gate.findings import Finding
from ttgate.gate.rules.base import INFRA_DEV, Example, Rule, RuleContext, RuleDoc, where
from ttgate.gate.rules.literal import literal_edit
from ttgate.gate.values import Unknown, as_number, display
from ttgate.policy import Parameter, Severity

# What the CloudWatch Logs API accepts for retentionInDays (PutRetentionPolicy).
CLOUDWATCH_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

_ACCEPTED = ", ".join(map(str, CLOUDWATCH_RETENTION_DAYS))

RULE = Rule(
    id="TG301",
    name="log-retention",
    default_severity=Severity.ERROR,
    summary="Log group retention is a value CloudWatch accepts and the policy allows; unset is a warning.",
    parameters={
        "allowed_days": Parameter(
            minimum=1, default=[1, 3, 5, 7, 14, 30, 60, 90, 120, 180, 365, 400, 545, 731, 1827, 3653]
        ),
        "default_days": Parameter(14, choices=CLOUDWATCH_RETENTION_DAYS),
    },
    doc=RuleDoc(
        what="Checks `retention_in_days` of every `aws_cloudwatch_log_group`, including those created by "
        "the Lambda component from its `log_retention_days` variable: a value CloudWatch does not accept "
        "(it accepts 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, "
        "2557, 2922, 3288, 3653) is an error, so is a value outside the policy's `allowed_days`. An "
        "unset (or 0) retention means the logs never expire: a warning.",
        why="The runbook sets a default retention of 14 days, configurable per function from a fixed "
        "list. A value CloudWatch rejects fails at apply time, in the middle of a deploy; a log group "
        "without retention keeps every log line forever.",
        runbook="Log retention",
        fix="Set `retention_in_days` (or the Lambda component's `log_retention_days`) to 14 or another "
        "allowed value. "
        "Fixed by `ttgate fix` where the retention is one literal (on the attribute, or the tfvars entry, "
        "variable default or module argument it comes from): it becomes the policy's default, or the "
        "nearest allowed value to a number CloudWatch or the policy refuses.",
        bad=Example(
            f"{INFRA_DEV}/main.tf",
            """
            resource "aws_cloudwatch_log_group" "worker" {
              name              = "/aws/lambda/tt-practice-dev-worker"
              retention_in_days = 10
            }
            """,
        ),
        good=Example(
            f"{INFRA_DEV}/main.tf",
            """
            resource "aws_cloudwatch_log_group" "worker" {
              name              = "/aws/lambda/tt-practice-dev-worker"
              retention_in_days = 14
            }
            """,
        ),
    ),
)


def _nearest(days: float, allowed: list[int]) -> int:
    return min(allowed, key=lambda candidate: (abs(candidate - days), -candidate))


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    allowed = sorted(context.params["allowed_days"])
    default = context.params["default_days"]
    for group in context.model.resources("aws_cloudwatch_log_group"):
        value = group.values.get("retention_in_days")
        name = group.values.get("name")
        label = f"Log group {name}" if isinstance(name, str) else f"Log group {group.address}"
        if isinstance(value, Unknown):
            context.unverifiable(group, "retention_in_days", value, attribute="retention_in_days")
            continue
        days = as_number(value) if value is not None else 0
        if days is None or isinstance(days, Unknown):
            yield context.finding(
                f"{label} ({where(group)}) has retention_in_days = {display(value)}, which is not a number.",
                f"Set retention_in_days = {default}.",
                resource=group,
                attribute="retention_in_days",
                edit=literal_edit(context, group, "retention_in_days", default),
            )
            continue
        if days == 0:
            yield context.finding(
                f"{label} ({where(group)}) sets no retention, so its logs never expire: they are kept "
                f"(and billed) forever.",
                f"Set retention_in_days = {default} (the runbook's default), or another allowed value: "
                f"{', '.join(map(str, allowed))}.",
                resource=group,
                attribute="retention_in_days",
                severity=context.at_most_warning,
                edit=literal_edit(context, group, "retention_in_days", default),
            )
            continue
        if days not in CLOUDWATCH_RETENTION_DAYS:
            nearest = _nearest(days, [d for d in allowed if d in CLOUDWATCH_RETENTION_DAYS] or allowed)
            yield context.finding(
                f"{label} ({where(group)}) has retention_in_days = {display(days)}, which CloudWatch "
                f"rejects (not a value AWS accepts: one of {_ACCEPTED}): terraform apply fails with "
                "InvalidParameterException.",
                f"Use an accepted value, such as {nearest}; the policy allows "
                f"{', '.join(map(str, allowed))}.",
                resource=group,
                attribute="retention_in_days",
                edit=literal_edit(context, group, "retention_in_days", nearest),
            )
            continue
        if days not in allowed:
            yield context.finding(
                f"{label} ({where(group)}) keeps logs for {display(days)} days, which the policy does not "
                f"allow (allowed: {', '.join(map(str, allowed))}).",
                f"Set retention_in_days = {_nearest(days, allowed)}, or add {display(days)} to "
                "rules.TG301.allowed_days in .ttgate.yml if the team agrees.",
                resource=group,
                attribute="retention_in_days",
                edit=literal_edit(context, group, "retention_in_days", _nearest(days, allowed)),
            )
