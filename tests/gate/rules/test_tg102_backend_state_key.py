"""TG102 backend-state-key: each root stack's S3 backend uses its layer's key, encrypted and locked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import plan_builder as plans
from tests.helpers import (
    by_address,
    expected_on_examples,
    findings,
    on_examples,
    stack,
    summary,
    write_tree,
)
from tests.helpers import (
    load as load_model,
)

APP_PROD = "practice/deploy/30_app/environments/prod"
APP_DEV = "practice/deploy/30_app/environments/dev"
INFRA_PROD = "practice/deploy/20_infra/environments/prod"


def backend(
    key: str = "app/terraform.tfstate",
    extra: str = "",
    encrypt: str = "true",
    lock: str = 'dynamodb_table = "tt-practice-tf-locks"',
) -> str:
    return f"""
terraform {{
  backend "s3" {{
    key     = "{key}"
    region  = "ap-southeast-1"
    encrypt = {encrypt}
    {lock}
{extra}
  }}
}}
"""


def app(env: str = "prod", **kwargs: str) -> dict[str, str]:
    """The 30_app stack of env with the given backend.tf."""
    return stack("30_app", env, backend__tf=backend(**kwargs))


def test_runbook_backends_pass(tmp_path: Path) -> None:
    assert (
        findings(
            "TG102",
            tmp_path,
            {**stack("10_core", "prod"), **stack("20_infra", "prod"), **stack("30_app", "prod")},
        )
        == []
    )


def test_lockfile_instead_of_a_table_passes(tmp_path: Path) -> None:
    assert findings("TG102", tmp_path, app(lock="use_lockfile = true")) == []


def test_key_of_another_layer(tmp_path: Path) -> None:
    found = findings("TG102", tmp_path, app(key="core/terraform.tfstate"))
    # reported on the key line
    assert summary(found) == [("TG102", f"{APP_PROD}/backend.tf", 3, "30_app/prod")]
    assert found[0].severity.label == "error"
    assert '"core/terraform.tfstate"' in found[0].message and "10_core" in found[0].message
    assert 'key = "app/terraform.tfstate"' in found[0].fix


def test_two_stacks_sharing_a_key_reports_the_one_with_the_wrong_key(tmp_path: Path) -> None:
    found = findings("TG102", tmp_path, {**stack("20_infra", "prod"), **app(key="infra/terraform.tfstate")})
    assert summary(found) == [("TG102", f"{APP_PROD}/backend.tf", 3, "30_app/prod")]
    assert "20_infra/prod writes the same key" in found[0].message
    related = [(r.location.file, r.location.line) for r in found[0].related]
    assert related == [(f"{INFRA_PROD}/backend.tf", 3)]  # its key


def test_same_key_in_another_environment_is_not_shared(tmp_path: Path) -> None:
    assert findings("TG102", tmp_path, {**stack("30_app", "dev"), **stack("30_app", "prod")}) == []


def test_two_stacks_of_one_layer_and_env_report_the_second_by_name(tmp_path: Path) -> None:
    files = {**stack("30_app", "prod")}
    files["other/30_app/environments/prod/backend.tf"] = files[f"{APP_PROD}/backend.tf"]
    files["other/30_app/environments/prod/main.tf"] = ""
    found = findings("TG102", tmp_path, files)
    assert summary(found) == [("TG102", f"{APP_PROD}/backend.tf", 3, "30_app/prod")]
    assert "other/30_app/environments/prod" in found[0].message


def test_no_backend_is_local_state(tmp_path: Path) -> None:
    found = findings(
        "TG102", tmp_path, {f"{APP_DEV}/main.tf": 'provider "aws" {\n  region = "ap-southeast-1"\n}\n'}
    )
    assert summary(found) == [("TG102", f"{APP_DEV}/main.tf", 1, "30_app/dev")]
    assert "local file" in found[0].message


def test_local_backend(tmp_path: Path) -> None:
    local = 'terraform {\n  backend "local" {\n    path = "terraform.tfstate"\n  }\n}\n'
    found = findings("TG102", tmp_path, stack("30_app", "dev", backend__tf=local))
    assert summary(found) == [("TG102", f"{APP_DEV}/backend.tf", 2, "30_app/dev")]
    assert '"local" backend' in found[0].message


@pytest.mark.parametrize("encrypt", ["false", '"false"'])
def test_encrypt_must_be_true(tmp_path: Path, encrypt: str) -> None:
    found = findings("TG102", tmp_path, app(encrypt=encrypt))
    assert summary(found) == [("TG102", f"{APP_PROD}/backend.tf", 5, "30_app/prod")]
    assert "encrypt" in found[0].message and "encrypt = true" in found[0].fix


def test_a_lock_is_required(tmp_path: Path) -> None:
    found = findings("TG102", tmp_path, app(lock=""))
    assert summary(found) == [("TG102", f"{APP_PROD}/backend.tf", 2, "30_app/prod")]
    assert "no state lock" in found[0].message
    assert 'dynamodb_table = "tt-practice-tf-locks"' in found[0].fix


def test_encrypt_and_lock_can_be_relaxed_by_the_policy(tmp_path: Path) -> None:
    policy = "rules:\n  TG102:\n    require_encrypt: false\n    require_lock: false\n"
    assert findings("TG102", tmp_path, {".ttgate.yml": policy, **app(encrypt="false", lock="")}) == []


def test_bucket_must_be_the_environments_state_bucket(tmp_path: Path) -> None:
    good = 'bucket = "tt-practice-tf-state-prod-057336397237"'
    assert findings("TG102", tmp_path / "good", app(extra=good)) == []
    for wrong in ("tt-practice-tf-state-dev-057336397237", "tt-practice-tf-state-prod-0573", "my-state"):
        write_tree(tmp_path / wrong, app(extra=f'bucket = "{wrong}"'))
        found = findings("TG102", tmp_path / wrong)
        assert summary(found) == [("TG102", f"{APP_PROD}/backend.tf", 7, "30_app/prod")], wrong
        assert "tt-practice-tf-state-prod-{account_id}" in found[0].message


def test_a_variable_in_the_backend_is_unverifiable(tmp_path: Path) -> None:
    # Terraform allows only literals in a backend block; ttgate cannot evaluate var.* there either
    with_variable = backend().replace('"app/terraform.tfstate"', "var.key")
    found = findings(
        "TG001",
        tmp_path,
        stack(
            "30_app",
            "dev",
            backend__tf=with_variable,
            variables__tf='variable "key" {\n  default = "app/terraform.tfstate"\n}\n',
        ),
    )
    assert summary(found) == [("TG001", f"{APP_DEV}/backend.tf", 3, "30_app/dev")]  # the key line
    assert found[0].message.startswith("TG102 (backend-state-key) cannot check the backend of 30_app/dev")
    assert "key is unknown" in found[0].message
    assert findings("TG102", tmp_path) == []


def test_stacks_without_a_layer_are_not_checked(tmp_path: Path) -> None:
    assert (
        findings("TG102", tmp_path, {"sandbox/main.tf": 'provider "aws" {\n  region = "ap-southeast-1"\n}\n'})
        == []
    )


# --- the examples -------------------------------------------------------------------------------

MINE = ("TG102", "TG103", "TG501", "TG502")


def test_examples_passing_have_no_backend_or_state_findings() -> None:
    assert [on_examples(rule, "passing") for rule in MINE] == [set()] * len(MINE)


def test_examples_failing_report_what_is_expected() -> None:
    found = {(rule, file, stack) for rule in MINE for rule, file, _, stack in on_examples(rule, "failing")}
    expected = {(rule, file, stack) for rule in MINE for rule, file, _, stack in expected_on_examples(rule)}
    assert expected == {("TG102", f"{APP_PROD}/backend.tf", APP_PROD)}  # the data this test relies on
    assert found == expected


def test_examples_failing_report_the_key_line() -> None:
    found = {(rule, file, line) for rule in MINE for rule, file, line, _ in on_examples(rule, "failing")}
    expected = {(rule, file, line) for rule in MINE for rule, file, line, _ in expected_on_examples(rule)}
    assert found == expected


def test_suppressing_tg102_also_silences_its_unverifiable_notice(tmp_path: Path) -> None:
    with_variable = backend().replace(
        'key     = "app/terraform.tfstate"',
        "# ttgate:ignore TG102 key set by the wrapper script\n    key = var.key",
    )
    [notice] = findings("TG001", tmp_path, stack("30_app", "dev", backend__tf=with_variable))
    assert notice.suppressed
    assert notice.suppression_reason == "key set by the wrapper script"


def test_tg102_a_plan_alone_carries_no_backend_and_gives_no_finding(tmp_path: Path) -> None:
    by_label = {
        f"{layer}/dev": plans.Plan(environment="dev").resource(
            "aws_ssm_parameter.marker", {"name": f"/dev/{layer}", "value": layer}
        )
        for layer in ("10_core", "20_infra", "30_app")
    }
    found = findings("TG102", tmp_path, plans=by_label)
    assert by_address(found) == []


@pytest.mark.parametrize(
    "key, expected",
    [
        ("core/terraform.tfstate", [("TG102", None, "30_app/dev", "error")]),
        ("app/terraform.tfstate", []),
    ],
)
def test_tg102_a_plan_over_its_hcl_stack_keeps_the_hcls_backend(
    tmp_path: Path, key: str, expected: list[tuple[str, None, str, str]]
) -> None:
    files = stack("30_app", "dev")
    files[f"{plans.APP_DEV}/backend.tf"] = files[f"{plans.APP_DEV}/backend.tf"].replace(
        "app/terraform.tfstate", key
    )
    write_tree(tmp_path, files)
    plan = plans.Plan(environment="dev").resource(
        "aws_ssm_parameter.marker", {"name": "/dev/app", "value": "app"}
    )
    found = findings("TG102", tmp_path, plans={"30_app/dev": plan})
    assert by_address(found) == expected
    for finding in (f for f in found if f.rule == "TG102"):
        assert finding.source == "plan"
        assert finding.location is not None
        assert (finding.location.file, finding.location.line) == (f"{plans.APP_DEV}/backend.tf", 3)  # key =


# -- partial backends completed by terraform init -backend-config=FILE -------------------------

PARTIAL = 'terraform {\n  backend "s3" {}\n}\nprovider "aws" {}\n'
CORE_DEV = "10_core/environments/dev"
BACKEND_CONF = """
    bucket         = "tt-practice-tf-state-dev-123456789012"
    key            = "core/terraform.tfstate"
    encrypt        = true
    dynamodb_table = "tt-practice-tf-locks"
"""


def test_a_backend_conf_beside_the_root_completes_a_partial_backend(tmp_path: Path) -> None:
    # docs/corpus.md defect 8: three TG102 errors on main, for settings the file gives at init
    tree = {f"{CORE_DEV}/main.tf": PARTIAL, f"{CORE_DEV}/backend.conf": BACKEND_CONF}

    assert findings("TG102", tmp_path, tree, tg001="with") == []


@pytest.mark.parametrize(
    "config_file", ["backend.hcl", "dev.s3.tfbackend", "backend-dev.hcl", "environments/dev/backend.conf"]
)
def test_backend_config_files_are_found_by_common_conventions(tmp_path: Path, config_file: str) -> None:
    tree = {
        ".ttgate.yml": 'environments: [dev]\nlayouts:\n  - {roots: "app", workspace: "{env}"}\n',
        "app/main.tf": PARTIAL,
        f"app/{config_file}": BACKEND_CONF,
    }
    write_tree(tmp_path, tree)

    (found,) = [s for s in load_model(tmp_path).stacks if s.backend is not None]

    assert found.backend is not None
    assert found.backend.config["key"] == "core/terraform.tfstate"
    assert found.backend.config_files == (f"app/{config_file}",)
    assert found.backend.config_detected is not None


def test_backend_config_files_alone_do_not_split_a_root_no_layout_describes(tmp_path: Path) -> None:
    # NDR: backend-test.conf, backend-prod.conf beside a root read as one; only backend.conf applies
    tree = {
        "app/main.tf": PARTIAL,
        "app/backend-test.conf": 'key = "test"\n',
        "app/backend-prod.conf": 'key = "prod"\n',
        "app/backend.conf": 'key = "any"\n',
    }
    write_tree(tmp_path, tree)

    (found,) = load_model(tmp_path).stacks

    assert found.name == "app"
    assert found.backend is not None and found.backend.config["key"] == "any"


def test_a_partial_backend_with_no_backend_config_file_is_undecidable_not_an_error(tmp_path: Path) -> None:
    found = findings("TG102", tmp_path, {f"{CORE_DEV}/main.tf": PARTIAL}, tg001="with")

    (notice,) = found
    assert notice.rule == "TG001"
    assert "key, encrypt and the state lock (dynamodb_table or use_lockfile)" in notice.message
    assert "terraform init -backend-config=FILE completes it" in notice.message
    assert "backend_config:" in notice.fix


def test_a_backend_config_file_s_settings_are_judged(tmp_path: Path) -> None:
    # shyam424: state.tf `backend "s3" {}` and env-<env>/state.tfvars that sets no encrypt nor lock
    tree = {
        ".ttgate.yml": 'layouts:\n  - {roots: "roboshop", backend_config: ["env-{env}/state.tfvars"], '
        "layer_map: {roboshop: 30_app}}\n",
        "roboshop/state.tf": PARTIAL,
        "roboshop/env-dev/state.tfvars": 'bucket = "b"\nkey = "app/terraform.tfstate"\n',
    }

    found = findings("TG102", tmp_path, tree, tg001="with")

    assert sorted(f.message.split(": ", 1)[1][:20] for f in found) == [
        'backend bucket = "b"',
        "backend encrypt is n",
        "the S3 backend has n",
    ]


def test_a_key_copied_into_a_backend_config_file_is_reported_there(tmp_path: Path) -> None:
    tree = {
        ".ttgate.yml": 'layouts:\n  - {roots: "layers/*", '
        'backend_config: ["environments/{env}/backend.conf"], '
        "layer_map: {network: 10_core, compute: 30_app}}\n",
        "layers/network/main.tf": PARTIAL,
        "layers/network/environments/dev/backend.conf": BACKEND_CONF,
        "layers/compute/main.tf": PARTIAL,
        "layers/compute/environments/dev/backend.conf": BACKEND_CONF,
    }

    (finding,) = findings("TG102", tmp_path, tree)

    assert finding.stack is not None and finding.stack.name == "layers/compute@dev"
    assert finding.location is not None
    assert (finding.location.file, finding.location.line) == (
        "layers/compute/environments/dev/backend.conf",
        2,
    )
    assert "in layers/compute/environments/dev/backend.conf (its -backend-config file)" in finding.fix
    assert [r.location.file for r in finding.related if r.location] == [
        "layers/network/environments/dev/backend.conf"
    ]
