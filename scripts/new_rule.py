"""Scaffold a new rule: its module, its test and its doc page, ready to run and to edit.

    python scripts/new_rule.py TG601 sqs-kms-key --resource-type aws_sqs_queue --attribute kms_master_key_id

writes ``src/ttgate/gate/rules/tg601_sqs_kms_key.py`` (``RULE`` with its doc, whose failing and passing
examples the doc test runs, and a check: every RESOURCE_TYPE sets ATTRIBUTE), its test
``tests/gate/rules/test_tg601_sqs_kms_key.py`` (each failing case beside its passing twin, in HCL and in
a plan, then the rule on examples/), and regenerates docs/rules/. The rule is then yours to edit:
CONTRIBUTING.md ("Adding a rule") says what comes next. An ID or a name that is taken, or one that is
not an ID or a name, is refused in one line (exit 2); nothing is written then.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RULES_PACKAGE = Path("src/ttgate/gate/rules")
RULE_TESTS = Path("tests/gate/rules")
RULE_DOCS = Path("docs/rules")

RULE_ID = re.compile(r"^TG\d{3}$")
RULE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
TERRAFORM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DECLARED_ID = re.compile(r'^\s*id="(TG\d{3})"', re.MULTILINE)
DECLARED_NAME = re.compile(r'^\s*name="([a-z0-9-]+)"', re.MULTILINE)
SEVERITIES = ("error", "warning", "notice")

# Where a resource type's examples live: the layer the runbook puts it in (TG103 layer-placement).
_EXAMPLE_STACKS = {
    "aws_lambda": ("APP_DEV", "30_app"),
    "aws_cloudwatch_log": ("APP_DEV", "30_app"),
    "aws_s3": ("CORE_DEV", "10_core"),
    "aws_dynamodb": ("CORE_DEV", "10_core"),
    "aws_kms": ("CORE_DEV", "10_core"),
    "aws_route53": ("CORE_DEV", "10_core"),
}


class Refused(Exception):
    """A request the scaffold will not carry out; its message is the one line the user sees."""


class DocsFailed(Exception):
    """The rule was written but does not load: the docs could not be regenerated from it."""


@dataclass(frozen=True)
class NewRule:
    rule_id: str
    name: str
    severity: str
    resource_type: str
    attribute: str
    runbook: str

    @property
    def module(self) -> str:
        return f"{self.rule_id.lower()}_{self.name.replace('-', '_')}"

    @property
    def example_stack(self) -> tuple[str, str]:
        """(the constant of ttgate.gate.rules.base naming the example's directory, its layer)."""
        for prefix, where in _EXAMPLE_STACKS.items():
            if self.resource_type.startswith(prefix):
                return where
        return ("INFRA_DEV", "20_infra")

    @property
    def example_value(self) -> tuple[str, str]:
        """A value that sets the attribute in the passing examples (the author makes it real): as HCL,
        and as the Python literal of its value in a plan."""
        if self.attribute.endswith("enabled"):
            return "true", "True"
        if self.attribute == "tags":
            return '{ team = "payments" }', '{"team": "payments"}'
        return '"CHANGE-ME"', '"CHANGE-ME"'


def existing_rules(root: Path) -> dict[str, str]:
    """ID -> name of every rule module under root (read, not imported: the new one may not run yet)."""
    found: dict[str, str] = {}
    for path in sorted((root / RULES_PACKAGE).glob("tg[0-9][0-9][0-9]_*.py")):
        text = path.read_text(encoding="utf-8")
        declared_id, declared_name = DECLARED_ID.search(text), DECLARED_NAME.search(text)
        rule_id = declared_id.group(1) if declared_id else path.name[:5].upper()
        found[rule_id] = declared_name.group(1) if declared_name else path.stem[6:].replace("_", "-")
    return found


def validate(rule: NewRule, root: Path) -> None:
    if not RULE_ID.match(rule.rule_id):
        raise Refused(f"{rule.rule_id!r} is not a rule ID: expected TG and three digits, e.g. TG601")
    if not RULE_NAME.match(rule.name):
        raise Refused(
            f"{rule.name!r} is not a rule name: lowercase words joined by hyphens, e.g. sqs-kms-key"
        )
    taken = existing_rules(root)
    if rule.rule_id in taken:
        raise Refused(f"{rule.rule_id} is taken by {rule.rule_id} {taken[rule.rule_id]}; choose a free ID")
    for rule_id, name in taken.items():
        if name == rule.name:
            raise Refused(f"the name {rule.name!r} is taken by {rule_id}; choose another name")
    for option, value in (("--resource-type", rule.resource_type), ("--attribute", rule.attribute)):
        if not TERRAFORM_NAME.match(value):
            raise Refused(f"{option} {value!r}: expected a Terraform name such as aws_sqs_queue")
    for path in (root / RULES_PACKAGE / f"{rule.module}.py", root / RULE_TESTS / f"test_{rule.module}.py"):
        if path.exists():
            raise Refused(f"{path.relative_to(root)} exists already")


def rule_module(rule: NewRule) -> str:
    stack_constant, _ = rule.example_stack
    subject = f"`{rule.resource_type}`"
    return f'''"""{rule.rule_id} {rule.name}: every {rule.resource_type} sets {rule.attribute}."""

from __future__ import annotations

from collections.abc import Iterator

from ttgate.gate.findings import Finding
from ttgate.gate.rules.base import {stack_constant}, Example, Rule, RuleContext, RuleDoc, where
from ttgate.gate.values import Unknown
from ttgate.policy import Severity

RESOURCE_TYPE = "{rule.resource_type}"
ATTRIBUTE = "{rule.attribute}"

RULE = Rule(
    id="{rule.rule_id}",
    name="{rule.name}",
    default_severity=Severity.{rule.severity.upper()},
    summary="Every {subject} sets `{rule.attribute}`.",
    doc=RuleDoc(
        what="Finds every {subject}, in the HCL and in plans, and requires `{rule.attribute}` to be "
        "set. A value that cannot be known statically is reported as TG001 (unverifiable).",
        why="TODO({rule.rule_id}): what goes wrong without it, in the runbook's words.",
        runbook="{rule.runbook}",
        fix="Set `{rule.attribute}` on the {subject}.",
        bad=Example(
            f"{{{stack_constant}}}/main.tf",
            """
            resource "{rule.resource_type}" "example" {{
            }}
            """,
        ),
        good=Example(
            f"{{{stack_constant}}}/main.tf",
            """
            resource "{rule.resource_type}" "example" {{
              {rule.attribute} = {rule.example_value[0]}
            }}
            """,
        ),
    ),
)


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    for resource in context.model.resources(RESOURCE_TYPE):
        if resource.present is False:
            continue
        value = resource.values.get(ATTRIBUTE)
        if isinstance(value, Unknown):
            context.unverifiable(resource, ATTRIBUTE, value, attribute=ATTRIBUTE)
        elif value is None:
            yield context.finding(
                f"{{where(resource)}} does not set {{ATTRIBUTE}}.",
                f"Set {{ATTRIBUTE}} on {{resource.address}}.",
                resource=resource,
            )
'''


def rule_test(rule: NewRule) -> str:
    _, layer = rule.example_stack
    resource = f"{rule.resource_type}.example"
    value, plan_value = rule.example_value
    return f'''"""{rule.rule_id} {rule.name}: every {rule.resource_type} sets {rule.attribute}."""

from __future__ import annotations

from pathlib import Path

from tests import plan_builder as plans
from tests.helpers import by_address, expected_on_examples, findings, on_examples, stack, summary

STACK = "practice/deploy/{layer}/environments/dev"
UNSET = """
resource "{rule.resource_type}" "example" {{
}}
"""
SET = """
resource "{rule.resource_type}" "example" {{
  {rule.attribute} = {value}
}}
"""
UNKNOWN = """
resource "{rule.resource_type}" "example" {{
  {rule.attribute} = var.unknown
}}

variable "unknown" {{}}
"""


def test_unset_is_reported_on_the_resource(tmp_path: Path) -> None:
    found = findings("{rule.rule_id}", tmp_path, stack("{layer}", "dev", main=UNSET))
    assert summary(found) == [("{rule.rule_id}", f"{{STACK}}/main.tf", 1, "{layer}/dev")]
    assert "does not set {rule.attribute}" in found[0].message


def test_set_passes(tmp_path: Path) -> None:
    assert findings("{rule.rule_id}", tmp_path, stack("{layer}", "dev", main=SET), tg001="with") == []


def test_a_value_unknown_statically_is_unverifiable(tmp_path: Path) -> None:
    found = findings("{rule.rule_id}", tmp_path, stack("{layer}", "dev", main=UNKNOWN), tg001="with")
    assert [(f.rule, f.for_rule) for f in found] == [("TG001", "{rule.rule_id}")]


def test_a_plan_that_leaves_it_unset_is_reported(tmp_path: Path) -> None:
    plan = plans.Plan(environment="dev").resource("{resource}", {{}})
    found = findings("{rule.rule_id}", tmp_path, plans={{"{layer}/dev": plan}})
    assert by_address(found) == [("{rule.rule_id}", "{resource}", "{layer}/dev", "{rule.severity}")]


def test_a_plan_that_sets_it_passes(tmp_path: Path) -> None:
    plan = plans.Plan(environment="dev").resource("{resource}", {{"{rule.attribute}": {plan_value}}})
    assert findings("{rule.rule_id}", tmp_path, plans={{"{layer}/dev": plan}}) == []


def test_examples() -> None:
    assert on_examples("{rule.rule_id}", "passing") == set()
    assert on_examples("{rule.rule_id}", "failing") == expected_on_examples("{rule.rule_id}")
'''


def regenerate_docs(root: Path) -> None:
    """docs/rules/ from the rules of root's own source tree (not whichever ttgate is installed)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "ttgate.gate.reporters.rule_docs", str(RULE_DOCS)]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DocsFailed(f"the new rule does not load, so docs/rules was not regenerated:\n{result.stderr}")


def scaffold(rule: NewRule, root: Path) -> list[Path]:
    validate(rule, root)
    module = root / RULES_PACKAGE / f"{rule.module}.py"
    test = root / RULE_TESTS / f"test_{rule.module}.py"
    module.write_text(rule_module(rule), encoding="utf-8")
    test.write_text(rule_test(rule), encoding="utf-8")
    regenerate_docs(root)
    return [module, test, root / RULE_DOCS / f"{rule.rule_id}.md", root / RULE_DOCS / "README.md"]


def next_steps(rule: NewRule) -> str:
    return f"""
Next (CONTRIBUTING.md, "Adding a rule"):
  1. Edit the rule: its check, its doc (why: the TODO; runbook: the section it cites) and examples.
  2. Edit its test: the cases that matter for this rule, each failing case beside its passing twin.
  3. python -m ttgate.gate.reporters.rule_docs docs/rules   # its doc page, after each edit
  4. python scripts/update_expectations.py {rule.rule_id}          # its findings on examples/, plans
  5. python scripts/render_samples.py                      # README excerpt, docs/comment-sample.md
  6. pytest -q -n 2 tests/gate/rules/test_{rule.module}.py tests/test_docs.py tests/gate/test_acceptance.py
"""


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def parse(argv: list[str] | None) -> tuple[NewRule, Path]:
    parser = _OneLineParser(
        prog="new_rule.py",
        description="Scaffold a rule: its module, its test and its doc page.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Example:\n  python scripts/new_rule.py TG601 sqs-kms-key --resource-type aws_sqs_queue "
        "--attribute kms_master_key_id",
    )
    parser.add_argument("rule_id", metavar="TGnnn", help="the new rule's ID (public API: users use it)")
    parser.add_argument("name", help="its name: lowercase words joined by hyphens")
    parser.add_argument("--severity", choices=SEVERITIES, default="error", help="default severity (error)")
    parser.add_argument(
        "--resource-type", default="aws_sqs_queue", help="the resources it checks (aws_sqs_queue)"
    )
    parser.add_argument("--attribute", default="tags", help="the attribute each must set (tags)")
    parser.add_argument(
        "--runbook",
        default="TODO: the runbook section it comes from (Section › Subsection)",
        help="the runbook section the rule cites",
    )
    parser.add_argument("--root", type=Path, default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    rule = NewRule(args.rule_id, args.name, args.severity, args.resource_type, args.attribute, args.runbook)
    return rule, args.root


def main(argv: list[str] | None = None) -> int:
    rule, root = parse(argv)
    try:
        written = scaffold(rule, root)
    except Refused as refused:
        print(f"new_rule.py: error: {refused}", file=sys.stderr)
        return 2
    except DocsFailed as failed:
        print(f"new_rule.py: error: {failed}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path.relative_to(root)}")
    print(next_steps(rule), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
