"""TG001 unverifiable: another rule could not decide because a value is unknown statically."""

from __future__ import annotations

from collections.abc import Iterator

from ttgate.gate.findings import Finding
from ttgate.gate.rules.base import APP_DEV, Example, Rule, RuleContext, RuleDoc
from ttgate.policy import Severity

# The component the examples call: TG201 needs the function's timeout.
WORKER_COMPONENT = """
variable "timeout" {}

resource "aws_sqs_queue" "jobs" {
  name                       = "tt-practice-dev-jobs-queue"
  visibility_timeout_seconds = 360
}

resource "aws_lambda_function" "this" {
  function_name = "tt-practice-dev-worker"
  timeout       = var.timeout
}

resource "aws_lambda_event_source_mapping" "this" {
  event_source_arn = aws_sqs_queue.jobs.arn
  function_name    = aws_lambda_function.this.arn
}
"""

RULE = Rule(
    id="TG001",
    name="unverifiable",
    default_severity=Severity.NOTICE,
    summary="A rule could not decide because a value is unknown statically; says which value.",
    doc=RuleDoc(
        what="Reported instead of a pass when a rule needs a value ttgate cannot know from the code: a "
        "variable with no default and no tfvars entry, an attribute known only after apply, a "
        "module from a registry, a remote state no checked stack writes. The message names the rule, "
        "the resource, the value and why it is unknown.",
        why="The runbook's checks (visibility timeouts, DLQ alarms, log retention) are only worth "
        "something if a green gate means they were checked. A rule that cannot decide says so "
        "instead of passing silently.",
        runbook="Values the gate cannot know",
        fix="Give the value a default or a tfvars entry, check the plan as well (`--plan`), or suppress "
        "the underlying rule on that line with a reason when it is verified elsewhere. Raise "
        "TG001's severity in the policy to make unknowns block merges.",
        bad=Example(
            f"{APP_DEV}/main.tf",
            """
            variable "worker_timeout" {}

            module "worker" {
              source  = "../../../components/lambda_worker"
              timeout = var.worker_timeout # no default, no tfvars entry
            }
            """,
            files={"practice/deploy/components/lambda_worker/main.tf": WORKER_COMPONENT},
        ),
        good=Example(
            f"{APP_DEV}/main.tf",
            """
            variable "worker_timeout" {
              default = 60
            }

            module "worker" {
              source  = "../../../components/lambda_worker"
              timeout = var.worker_timeout
            }
            """,
            files={"practice/deploy/components/lambda_worker/main.tf": WORKER_COMPONENT},
        ),
    ),
)


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    # Other rules emit TG001 findings themselves, through RuleContext.unverifiable.
    return iter(())
