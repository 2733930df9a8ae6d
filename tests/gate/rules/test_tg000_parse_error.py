"""TG000: a file that cannot be read is reported; every other file is still checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import plan_builder as plans
from tests.helpers import by_address, findings, stack, summary, write_tree
from ttgate.errors import UserError
from ttgate.gate.model import Model
from ttgate.gate.plan import PlanSpec, add_plans
from ttgate.policy import Policy

APP = "practice/deploy/30_app/environments/dev"
BAD_RETENTION = 'resource "aws_cloudwatch_log_group" "g" {\n  name = "g"\n  retention_in_days = 10\n}\n'


def test_clean_tree_has_no_finding(tmp_path: Path) -> None:
    assert findings("TG000", tmp_path, stack("30_app", "dev", 'resource "aws_sqs_queue" "q" {}\n')) == []


def test_unclosed_block_is_reported_and_other_files_still_checked(tmp_path: Path) -> None:
    tree = stack("30_app", "dev", BAD_RETENTION, broken__tf='resource "aws_sqs_queue" "q" {\n  name = "q"\n')
    found = findings("TG000", tmp_path, tree) + findings("TG301", tmp_path)
    assert summary(found) == [
        ("TG000", f"{APP}/broken.tf", 3, "30_app/dev"),
        ("TG301", f"{APP}/main.tf", 3, "30_app/dev"),
    ]
    assert "unclosed block" in found[0].message
    assert found[0].location is not None and found[0].location.column == 1


def test_stray_brace(tmp_path: Path) -> None:
    (finding,) = findings("TG000", tmp_path, stack("30_app", "dev", "locals {\n  a = 1\n}\n}\n"))
    assert summary([finding]) == [("TG000", f"{APP}/main.tf", 4, "30_app/dev")]
    assert '"}"' in finding.message


def test_broken_tfvars_and_module_file(tmp_path: Path) -> None:
    assert summary(
        findings(
            "TG000",
            tmp_path,
            {
                "practice/deploy/components/lambda/main.tf": "resource {\n",
                **stack(
                    "30_app",
                    "dev",
                    'variable "a" {\n  default = 1\n}\n'
                    'module "lambda" {\n  source = "../../../components/lambda"\n}\n',
                    terraform__tfvars="a = \n",
                ),
            },
        )
    ) == [
        ("TG000", "practice/deploy/components/lambda/main.tf", 2, ""),
        ("TG000", f"{APP}/terraform.tfvars", 1, "30_app/dev"),
    ]


def test_non_utf8_file(tmp_path: Path) -> None:
    write_tree(tmp_path, stack("30_app", "dev", BAD_RETENTION))
    (tmp_path / APP / "latin1.tf").write_bytes(b'locals {\n  a = "caf\xe9"\n}\n')
    found = findings("TG000", tmp_path) + findings("TG301", tmp_path)
    assert summary(found) == [
        ("TG000", f"{APP}/latin1.tf", 2, "30_app/dev"),
        ("TG301", f"{APP}/main.tf", 3, "30_app/dev"),
    ]
    assert "UTF-8" in found[0].message


def test_declarations_terraform_rejects_across_files_are_reported_once_in_its_words(tmp_path: Path) -> None:
    first = 'resource "aws_sqs_queue" "q" {\n}\nlocals {\n  a = 1\n}\nvariable "v" {\n}\n'
    second = (
        'resource "aws_sqs_queue" "q" {\n}\nlocals {\n  a = 2\n}\nvariable "v" {\n}\n'
        'resource "aws_sqs_queue" {\n}\noutput "o" "p" {\n}\nmodule "9lives" {\n  source = "./x"\n}\n'
    )
    found = findings("TG000", tmp_path, stack("30_app", "dev", first, second__tf=second))
    assert [(f.location.file, f.location.line, f.message.split(":")[0]) for f in found if f.location] == [
        (f"{APP}/second.tf", 1, 'Duplicate resource "aws_sqs_queue" configuration'),
        (f"{APP}/second.tf", 4, "Duplicate local value definition"),
        (f"{APP}/second.tf", 6, "Duplicate variable declaration"),
        (f"{APP}/second.tf", 8, "Missing name for resource"),
        (f"{APP}/second.tf", 10, "Extraneous label for output"),
        (f"{APP}/second.tf", 12, "Invalid module name"),
    ]
    assert f"already declared at {APP}/main.tf:" in found[0].message
    assert "ttgate checked the first declaration only" in found[0].message
    assert "Cannot read this file" not in found[0].message


def test_tg000_a_bad_plan_is_an_input_error_not_a_finding(tmp_path: Path, builtin_policy: Policy) -> None:
    path = tmp_path / "20_infra.json"
    path.write_text('{"format_version": "1.2", "planned_values": {', encoding="utf-8")
    with pytest.raises(UserError, match="invalid JSON"):
        add_plans(Model(root=tmp_path), [PlanSpec("20_infra/dev", path)], builtin_policy)


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(True, id="broken file"),
        pytest.param(False, id="no broken file"),
    ],
)
def test_tg000_broken_hcl_beside_a_plan_is_still_reported_and_the_plan_checked(
    tmp_path: Path, broken: bool
) -> None:
    extra = {"broken__tf": 'resource "aws_sqs_queue" "q" {\n  name = "q"\n'} if broken else {}
    plan = plans.Plan(environment="dev").resource(
        "aws_cloudwatch_log_group.worker",
        {"name": "/aws/lambda/tt-practice-dev-worker", "retention_in_days": 10},
    )
    tree = stack("30_app", "dev", **extra)
    parse_errors = findings("TG000", tmp_path, tree, plans={"30_app/dev": plan})
    assert sorted(by_address(parse_errors + findings("TG301", tmp_path, plans={"30_app/dev": plan}))) == [
        *([("TG000", None, "30_app/dev", "error")] if broken else []),
        ("TG301", "aws_cloudwatch_log_group.worker", "30_app/dev", "error"),
    ]
    if broken:
        [parse_error] = parse_errors
        assert parse_error.location is not None and parse_error.location.file == f"{plans.APP_DEV}/broken.tf"


def test_a_reserved_variable_name_is_terraforms_error_in_any_module(tmp_path: Path) -> None:
    # alphagov/govuk-aws terraform/projects/app-govuk-attachments/main.tf:42 (variable "lifecycle")
    module = 'variable "lifecycle" {\n  default = 1\n}\n\nvariable "locals" {\n}\n\nvariable "life" {\n}\n'
    main = 'module "m" {\n  source = "../../../../modules/m"\n}\n'
    found = findings(
        "TG000", tmp_path, {**stack("30_app", "dev", main), "practice/modules/m/main.tf": module}
    )
    assert [(f.location.file, f.location.line, f.message) for f in found if f.location] == [
        (
            "practice/modules/m/main.tf",
            line,
            f'Invalid variable name: The variable name "{name}" is reserved due to its special meaning '
            "inside module blocks; Terraform rejects the module.",
        )
        for name, line in (("lifecycle", 1), ("locals", 5))
    ]
