"""TG000 parse-error: a file that cannot be read is reported, and everything else is still checked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import Any

from ttgate.gate.findings import Finding
from ttgate.gate.hcl import bounds
from ttgate.gate.plan.read import MAX_PLAN_MEBIBYTES, PLAN_MEBIBYTES_CEILING
from ttgate.gate.rules.base import INFRA_DEV, Example, Rule, RuleContext, RuleDoc
from ttgate.policy import Severity
from ttgate.policy.rule_spec import Declared, Parameter, ParameterProblem


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
        # The run's evaluation budget (gate/hcl/bounds.py): a configuration that truly needs more
        # raises it; the ceilings keep a hostile policy from lifting it altogether.
        "evaluation_steps": Parameter(
            bounds.MAX_RUN_STEPS, minimum=1, check=_at_most(bounds.RUN_STEPS_CEILING)
        ),
        "evaluation_seconds": Parameter(
            bounds.MAX_RUN_SECONDS, minimum=1, check=_at_most(bounds.RUN_SECONDS_CEILING)
        ),
        # Bytes of one --plan file read (gate/plan/read.py).
        "plan_mebibytes": Parameter(MAX_PLAN_MEBIBYTES, minimum=1, check=_at_most(PLAN_MEBIBYTES_CEILING)),
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
