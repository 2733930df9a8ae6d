"""Issue 18: ``public_variables``, the job's values (TF_VAR_, --var-file) that are not secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policy.test_policy import load, load_error


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_runbook_policy_lists_no_public_variable(repo: Path) -> None:
    assert load(repo, "extends: runbook\n").public_variables == frozenset()


def test_public_variables_are_read_as_names(repo: Path) -> None:
    policy = load(repo, "public_variables: [environment, project, queue_name]\n")
    assert policy.public_variables == {"environment", "project", "queue_name"}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("environment", "expected a list of variable names, got"),
        ("[1]", "expected a non-empty string"),
        ('["var.x"]', "expected a Terraform variable name"),
        ('["a b"]', "expected a Terraform variable name"),
        ("[null]", "expected a non-empty string"),
    ],
)
def test_a_bad_public_variables_list_is_refused_with_its_place(
    repo: Path,
    value: str,
    problem: str,
) -> None:
    message = load_error(repo, f"project: x\npublic_variables: {value}\n")
    assert ".ttgate.yml:2" in message and "public_variables" in message and problem in message, message
