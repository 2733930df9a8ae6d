"""TG002 module-source-missing: a local module source that is not in the checkout, once per source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from ttgate.gate.findings import Finding
from ttgate.gate.model import MissingModule
from ttgate.gate.rules.base import APP_DEV, Example, Rule, RuleContext, RuleDoc
from ttgate.gate.values import short
from ttgate.policy import Severity

RULE = Rule(
    id="TG002",
    name="module-source-missing",
    default_severity=Severity.WARNING,
    summary="A local module source directory is not in the checkout, so that module was not checked.",
    doc=RuleDoc(
        what="Reports a `module` block whose local `source` (`./…`, `../…`) names a directory that does not "
        "exist, once per directory whatever the number of calls, and says what to run: "
        "`git submodule update --init` when the directory lies in a git submodule declared in "
        "`.gitmodules`, else correcting the path. Registry and remote sources are not read at all; a "
        "rule that needs one of their values reports TG001 instead.",
        why="A module the gate cannot see is a module the gate did not check: the queues, functions and "
        "log groups it declares are missing from every rule. Terraform refuses the configuration at "
        "`terraform init` for the same reason (runbook: Common terraform commands by layer).",
        runbook="Common Terraform commands by layer",
        fix="Check out the submodule (`git submodule update --init --recursive`; in GitHub Actions, "
        "`actions/checkout` with `submodules: recursive`), or correct the source path: it is relative "
        "to the directory of the calling module.",
        bad=Example(
            f"{APP_DEV}/main.tf",
            """
            module "worker" {
              source = "../../components/lambda_worker"
            }
            """,
        ),
        good=Example(
            f"{APP_DEV}/main.tf",
            """
            module "worker" {
              source = "../../../components/lambda_worker"
            }
            """,
            files={"practice/deploy/components/lambda_worker/main.tf": 'variable "timeout" {\n}\n'},
        ),
    ),
)


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    roots = {stack.name: stack for stack in context.model.stacks if stack.directory is not None}
    for missing in sorted(context.model.missing_modules.values(), key=lambda item: item.directory):
        first = missing.calls[0]
        yield context.finding(
            _message(missing),
            _fix(missing),
            location=first,
            stack=roots.get(PurePosixPath(first.file).parent.as_posix()),
        )


def _message(missing: MissingModule) -> str:
    where = f'module source "{short(missing.source)}" ({short(missing.directory)}) does not exist'
    if missing.submodule is not None:
        where += f": it lies in the git submodule {missing.submodule}, which is not checked out"
    others = len(missing.calls) - 1
    calls = f" Also called at {', '.join(str(call) for call in missing.calls[1:4])}" if others else ""
    if others > 3:
        calls += f" and {others - 3} more"
    return f"The {where}, so that module was not checked.{calls + '.' if calls else ''}"


def _fix(missing: MissingModule) -> str:
    if missing.submodule is not None:
        return (
            "Run `git submodule update --init --recursive` before ttgate (in GitHub Actions: "
            "`actions/checkout` with `submodules: recursive`), then run ttgate again."
        )
    return (
        "Correct the source path (it is relative to the directory of the calling module), or add the module."
    )
