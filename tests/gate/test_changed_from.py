"""`ttgate check --changed-from REV`: only the stacks a change can affect, with a full run's findings.

Each test makes a real git repository in tmp_path (the failing example tree, committed on main),
changes it on a branch, and runs the CLI as a pull request's check would.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ttgate.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "failing" / "practice"
LAYOUTS = Path(__file__).resolve().parents[1] / "data" / "layouts"
DEPLOY = "practice/deploy"
INFRA_DEV = f"{DEPLOY}/20_infra/environments/dev"
APP_DEV = f"{DEPLOY}/30_app/environments/dev"
CORE_DEV = f"{DEPLOY}/10_core/environments/dev"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The failing example tree committed on main, a branch `change` checked out."""
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE, root / "practice")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "checkout", "-qb", "change")
    monkeypatch.chdir(root)
    monkeypatch.setenv("TTGATE_CACHE_DIR", str(tmp_path / "cache"))
    return root


def run(repo: Path, *options: str) -> tuple[int, dict[str, Any], str]:
    """Exit status, JSON report and terminal output of `ttgate check . OPTIONS`."""
    report = repo.parent / "report.json"
    report.unlink(missing_ok=True)
    result = CliRunner().invoke(
        main, ["check", ".", "--format", f"json:{report}", "--format", "text", *options]
    )
    document = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return result.exit_code, document, result.output


def selected(document: dict[str, Any]) -> dict[str, str]:
    return {entry["directory"]: entry["reason"] for entry in document["selection"]["stacks"]}


def append(repo: Path, path: str, text: str) -> None:
    with (repo / path).open("a", encoding="utf-8") as stream:
        stream.write(text)


def test_a_changed_file_selects_its_stack_only(repo: Path) -> None:
    append(repo, f"{APP_DEV}/main.tf", "\n# a comment\n")
    status, document, output = run(repo, "--changed-from", "main")
    assert selected(document) == {APP_DEV: "changed files"}
    assert {entry["name"] for entry in document["stacks"]} == {APP_DEV}
    assert {finding["stack"] for finding in document["findings"]} <= {APP_DEV}
    assert "checked 1 of 6 stacks changed since main (1 with changed files); 5 not affected" in output
    assert status in (0, 1)


def test_committed_and_uncommitted_changes_both_count(repo: Path) -> None:
    append(repo, f"{APP_DEV}/main.tf", "\n# committed\n")
    git(repo, "commit", "-qam", "one")
    (repo / f"{DEPLOY}/30_app/environments/prod/notes.txt").write_text("untracked\n", encoding="utf-8")
    _, document, _ = run(repo, "--changed-from", "main")
    assert selected(document) == {
        APP_DEV: "changed files",
        f"{DEPLOY}/30_app/environments/prod": "changed files",
    }


def test_a_changed_module_selects_every_root_calling_it_transitively(repo: Path) -> None:
    # components/lambda_worker now calls a new module; changing that module reaches every 30_app root.
    component = repo / DEPLOY / "components"
    (component / "naming").mkdir()
    (component / "naming" / "main.tf").write_text(
        'variable "name" {\n  type = string\n}\n\noutput "name" {\n  value = var.name\n}\n', encoding="utf-8"
    )
    append(
        repo,
        f"{DEPLOY}/components/lambda_worker/main.tf",
        '\nmodule "naming" {\n  source = "../naming"\n  name = "x"\n}\n',
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "naming module")
    append(repo, f"{DEPLOY}/components/naming/main.tf", "\n# changed\n")
    _, document, output = run(repo, "--changed-from", "HEAD")
    assert selected(document) == {
        APP_DEV: "calls a changed module",
        f"{DEPLOY}/30_app/environments/prod": "calls a changed module",
    }
    assert "2 calling a changed module" in output


def test_a_stack_whose_state_is_read_selects_the_reader(repo: Path) -> None:
    append(repo, f"{INFRA_DEV}/main.tf", "\n# changed\n")
    _, document, _ = run(repo, "--changed-from", "main")
    assert selected(document) == {
        INFRA_DEV: "changed files",
        APP_DEV: "reads the state of a selected stack",
    }
    reader = next(entry for entry in document["selection"]["stacks"] if entry["directory"] == APP_DEV)
    assert reader["because"] == INFRA_DEV


def test_a_changed_policy_selects_everything(repo: Path) -> None:
    (repo / ".ttgate.yml").write_text("rules:\n  TG201:\n    severity: warning\n", encoding="utf-8")
    _, document, output = run(repo, "--changed-from", "main")
    assert document["selection"]["everything"] == "the policy .ttgate.yml changed"
    assert len(selected(document)) == 6
    assert "checked all 6 stacks: the policy .ttgate.yml changed since main" in output


def test_a_changed_shared_var_file_selects_the_stacks_using_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One root per component, a stack per environment; the policy adds a var file shared by all.
    repo = tmp_path / "components"
    shutil.copytree(LAYOUTS / "var_files", repo)
    policy = (repo / ".ttgate.yml").read_text(encoding="utf-8")
    shared = policy.replace('["env/{env}.tfvars"]', '["env/{env}.tfvars", "/common/{env}.tfvars"]')
    (repo / ".ttgate.yml").write_text(shared, encoding="utf-8")
    (repo / "common").mkdir()
    for env in ("dev", "prod"):
        (repo / "common" / f"{env}.tfvars").write_text(f'env = "{env}"\n', encoding="utf-8")
    (repo / "unshared").mkdir()
    (repo / "unshared" / "main.tf").write_text('provider "aws" {}\n', encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("TTGATE_CACHE_DIR", str(tmp_path / "cache"))
    append(repo, "common/prod.tfvars", "# changed\n")
    _, document, _ = run(repo, "--changed-from", "HEAD")
    assert selected(document) == {
        f"components/{name}": "uses a changed var file" for name in ("api", "network", "queues")
    }
    assert document["selection"]["total"] == 4


def test_a_var_file_given_on_the_command_line_selects_everything(repo: Path) -> None:
    (repo / "ci.tfvars").write_text('env = "dev"\n', encoding="utf-8")
    _, document, _ = run(repo, "--changed-from", "main", "--var-file", "ci.tfvars")
    assert document["selection"]["everything"] == "the --var-file ci.tfvars changed"


def test_a_deleted_file_selects_its_stack(repo: Path) -> None:
    git(repo, "rm", "-q", f"{APP_DEV}/outputs.tf")
    _, document, _ = run(repo, "--changed-from", "main")
    assert selected(document) == {APP_DEV: "changed files"}


def test_a_renamed_file_counts_at_both_paths(repo: Path) -> None:
    git(repo, "mv", f"{APP_DEV}/outputs.tf", f"{DEPLOY}/30_app/environments/prod/moved.tf")
    git(repo, "commit", "-qm", "move")
    _, document, _ = run(repo, "--changed-from", "main")
    assert selected(document) == {
        APP_DEV: "changed files",
        f"{DEPLOY}/30_app/environments/prod": "changed files",
    }


def test_a_renamed_module_selects_its_callers(repo: Path) -> None:
    git(repo, "mv", f"{DEPLOY}/30_app/modules/sqs_consumer", f"{DEPLOY}/30_app/modules/consumer")
    _, document, _ = run(repo, "--changed-from", "main")
    # The callers still name the old path (now missing); the new directory, which nothing calls, is
    # checked as a module library, as a full run checks it.
    assert selected(document) == {
        APP_DEV: "calls a changed module",
        f"{DEPLOY}/30_app/environments/prod": "calls a changed module",
        f"{DEPLOY}/30_app/modules/consumer": "changed files",
    }


def test_no_change_checks_nothing_and_passes(repo: Path) -> None:
    status, document, output = run(repo, "--changed-from", "main")
    assert status == 0
    assert document["findings"] == []
    assert document["selection"]["stacks"] == []
    assert "no stack changed since main: nothing checked (6 stacks not affected)" in output


@pytest.mark.parametrize(
    ("revision", "expected"),
    [
        ("no-such-branch", "--changed-from no-such-branch: no-such-branch: not a commit, branch or tag"),
        ("--help", "--changed-from --help: --help: not a commit, branch or tag"),
    ],
)
def test_a_bad_revision_is_one_line_exit_2(repo: Path, revision: str, expected: str) -> None:
    result = CliRunner().invoke(main, ["check", ".", f"--changed-from={revision}"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], result.output


def test_outside_a_git_repository_is_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "plain")
    monkeypatch.chdir(tmp_path / "plain")
    result = CliRunner().invoke(main, ["check", ".", "--changed-from", "main"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "not a git repository" in lines[0], result.output


def test_a_shallow_clone_without_the_base_says_to_fetch_it(repo: Path, tmp_path: Path) -> None:
    append(repo, f"{CORE_DEV}/main.tf", "\n# one\n")
    git(repo, "commit", "-qam", "one")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "change", f"file://{repo}", str(shallow))
    base = git(repo, "rev-parse", "main").strip()
    result = CliRunner().invoke(main, ["check", str(shallow), "--changed-from", base])
    assert result.exit_code == 2
    assert "shallow clone; fetch the base, e.g. `git fetch --depth=1 origin <base>`" in result.output


def test_findings_in_selected_stacks_are_those_of_a_full_run(repo: Path) -> None:
    append(repo, f"{INFRA_DEV}/main.tf", "\n# changed\n")
    append(repo, f"{DEPLOY}/30_app/modules/sqs_consumer/main.tf", "\n# changed\n")
    _, full, _ = run(repo)
    _, partial, _ = run(repo, "--changed-from", "main")
    chosen = set(selected(partial))
    assert chosen == {INFRA_DEV, APP_DEV, f"{DEPLOY}/30_app/environments/prod"}
    expected = [finding for finding in full["findings"] if finding["stack"] in chosen]
    assert expected  # the example has findings in these stacks: the comparison means something
    assert partial["findings"] == expected
    assert "selection" not in full


def test_terragrunt_units_follow_their_source_and_dependencies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The source is an expression, as real units write it; the local branch is what ttgate reads.
    repo = tmp_path / "live"
    (repo / "modules" / "app").mkdir(parents=True)
    (repo / "modules" / "app" / "main.tf").write_text(
        'variable "name" {\n  type = string\n}\n\noutput "name" {\n  value = var.name\n}\n', encoding="utf-8"
    )
    (repo / "modules" / "web").mkdir()
    (repo / "modules" / "web" / "main.tf").write_text(
        'variable "app" {\n  type = string\n}\n', encoding="utf-8"
    )
    source = '"${{get_env("LOCAL", "true") == "true" ? "../../../modules//{module}" : "git::x"}}"'
    unit = "terraform {{\n  source = " + source + "\n}}\n"
    for env in ("dev", "prod"):
        (repo / "live" / env / "app").mkdir(parents=True)
        (repo / "live" / env / "app" / "terragrunt.hcl").write_text(
            unit.format(module="app") + 'inputs = {\n  name = "app"\n}\n', encoding="utf-8"
        )
        (repo / "live" / env / "web").mkdir(parents=True)
        (repo / "live" / env / "web" / "terragrunt.hcl").write_text(
            unit.format(module="web")
            + 'dependency "app" {\n  config_path = "../app"\n}\n\n'
            + "inputs = {\n  app = dependency.app.outputs.name\n}\n",
            encoding="utf-8",
        )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("TTGATE_CACHE_DIR", str(tmp_path / "cache"))
    append(repo, "live/dev/app/terragrunt.hcl", "# changed\n")
    _, document, _ = run(repo, "--changed-from", "HEAD")
    assert selected(document) == {
        "live/dev/app": "changed files",
        "live/dev/web": "reads the state of a selected stack",
    }
    git(repo, "checkout", "-q", ".")
    append(repo, "modules/app/main.tf", "# changed\n")
    _, document, _ = run(repo, "--changed-from", "HEAD")
    assert selected(document) == {
        "live/dev/app": "calls a changed module",
        "live/prod/app": "calls a changed module",
        "live/dev/web": "reads the state of a selected stack",
        "live/prod/web": "reads the state of a selected stack",
    }
    git(repo, "checkout", "-q", ".")
    (repo / "live" / "root.hcl").write_text('locals {\n  region = "eu-west-2"\n}\n', encoding="utf-8")
    _, document, _ = run(repo, "--changed-from", "HEAD")
    assert document["selection"]["everything"] == "root.hcl, which Terragrunt units include or read, changed"
