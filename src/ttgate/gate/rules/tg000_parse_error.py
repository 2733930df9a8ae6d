"""TG000 parse-error: a file that cannot be read is reported, and everything else is still checked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import Any

from ttgate.gate.findings import Finding
from ttgate.gate.rules.base import INFRA_DEV, Example, Rule, RuleContext, RuleDoc
from ttgate.policy import Severity
from ttgate.policy.rule_spec import Declared, Parameter, ParameterProblem

# The run's budgets (gate/hcl/bounds.py, gate/plan/read.py hold the same defaults for a policy without
# them; tests/gate/test_bounds.py checks they agree). The ceilings keep a policy, which a pull request
# may change, from lifting a bound altogether.
EVALUATION_STEPS = 5_000_000
EVALUATION_STEPS_CEILING = 500_000_000
EVALUATION_SECONDS = 20
EVALUATION_SECONDS_CEILING = 3600
PLAN_MEBIBYTES = 128
PLAN_MEBIBYTES_CEILING = 1024


def _at_most(ceiling: float) -> Callable[[Any, Declared], None]:
    def check(value: Any, _declared: Declared) -> None:
        if value > ceiling:
            raise ParameterProblem(f"at most {ceiling:,}")

    return check


RULE = Rule(
    id="TG000",
    name="parse-error",
    default_severity=Severity.ERROR,
    summary="A .tf, .tfvars or plan file cannot be read; every other file is still checked.",
    parameters={
        # What one run may evaluate, and the size of one --plan file it reads: a configuration that
        # truly needs more raises them.
        "evaluation_steps": Parameter(EVALUATION_STEPS, minimum=1, check=_at_most(EVALUATION_STEPS_CEILING)),
        "evaluation_seconds": Parameter(
            EVALUATION_SECONDS, minimum=1, check=_at_most(EVALUATION_SECONDS_CEILING)
        ),
        "plan_mebibytes": Parameter(PLAN_MEBIBYTES, minimum=1, check=_at_most(PLAN_MEBIBYTES_CEILING)),
    },
    doc=RuleDoc(
        what="Reports a Terraform file (.tf, .tfvars) or plan file that ttgate cannot parse, with the line, "
        "column and the parser's reason, and what Terraform itself rejects (a redefined attribute, a "
        "duplicate declaration, a template in a block label), in Terraform's words. The other files "
        "are still checked, so one broken file never hides the findings of the rest. A module source "
        "that is not in the checkout is TG002.",
        why="A file the gate cannot read is a file the gate did not check: passing it silently would "
        "turn the gate green on exactly the change nobody reviewed. Terraform itself would refuse it "
        "at `terraform init`/`plan` (runbook: Common Terraform commands by layer).",
        runbook="Common Terraform commands by layer",
        fix="Correct the syntax at the reported line; `terraform fmt` and `terraform validate` show the "
        "same problem.",
        bad=Example(
            f"{INFRA_DEV}/main.tf",
            """
            resource "aws_sqs_queue" "main" {
              name = "tt-practice-dev-main-queue"
            """,
        ),
        good=Example(
            f"{INFRA_DEV}/main.tf",
            """
            resource "aws_sqs_queue" "main" {
              name = "tt-practice-dev-main-queue"
            }
            """,
        ),
    ),
)


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    # A file in a root stack's directory belongs to that stack; a module's file to none in particular.
    roots = {stack.name: stack for stack in context.model.stacks if stack.directory is not None}
    for problem in context.model.problems:
        if problem.fix is not None:
            message, fix = f"{problem.message[0].upper()}{problem.message[1:]}.", problem.fix
        else:
            message = f"Cannot read this file: {problem.message}. Nothing in it was checked."
            fix = "Fix the syntax (`terraform validate` shows the same error), then run ttgate again."
        yield context.finding(
            message,
            fix,
            location=problem.location,
            stack=roots.get(PurePosixPath(problem.location.file).parent.as_posix()),
        )
