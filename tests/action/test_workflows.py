"""action.yml and the workflows: they parse, keep expressions out of scripts, pin actions, grant little.

zizmor and check-jsonschema's vendored GitHub schemas run on them too (offline), as scripts/test.sh
and CI do.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ACTION = REPO / "action.yml"
WORKFLOWS = sorted(
    [*(REPO / ".github" / "workflows").glob("*.yml"), *(REPO / "examples" / "workflows").glob("*.yml")]
)
FILES = [ACTION, *WORKFLOWS]
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True; keep it a string as GitHub does.
    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)
    assert isinstance(document, dict), f"{path}: not a mapping"
    return document


def steps(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    document = load(path)
    if path == ACTION:
        for index, step in enumerate(document["runs"]["steps"]):
            yield f"runs.steps[{index}]", step
        return
    for job_id, job in document["jobs"].items():
        for index, step in enumerate(job.get("steps", [])):
            yield f"jobs.{job_id}.steps[{index}]", step


def test_there_are_workflows_to_check() -> None:
    names = {path.relative_to(REPO).as_posix() for path in WORKFLOWS}
    assert {".github/workflows/ci.yml", "examples/workflows/pr-gate.yml"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_expression_inside_a_script(path: Path) -> None:
    offenders = [where for where, step in steps(path) if "${{" in step.get("run", "")]
    assert not offenders, f"{path.name}: pass values to run: through env:, not ${{{{ }}}}: {offenders}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_remote_action_is_pinned_to_a_commit_with_its_version(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for where, step in steps(path):
        uses = step.get("uses")
        if uses is None or uses.startswith("./"):
            continue
        assert PINNED.match(uses), f"{path.name} {where}: {uses} is not pinned to a full commit SHA"
        line = next(line for line in text.splitlines() if f"uses: {uses}" in line)
        assert re.search(r"#\s*v\d", line), (
            f"{path.name} {where}: say which version the SHA is: {line.strip()}"
        )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_permissions_are_read_only_at_the_top_and_each_write_is_explained(path: Path) -> None:
    document = load(path)
    assert document.get("permissions") in ({}, {"contents": "read"}), f"{path.name}: top-level permissions"
    lines = path.read_text(encoding="utf-8").splitlines()
    for job_id, job in document["jobs"].items():
        permissions = job.get("permissions", {})
        assert isinstance(permissions, dict), f"{path.name} {job_id}: list the permissions one by one"
        for scope, level in permissions.items():
            assert level in ("read", "write", "none"), f"{path.name} {job_id}: {scope}: {level}"
    grants = [line for line in lines if re.match(r"\s+[a-z-]+: write\b", line)]
    unexplained = [line.strip() for line in grants if "#" not in line]
    assert not unexplained, f"{path.name}: say why each write permission is needed: {unexplained}"


def test_write_permissions_are_where_they_are_used() -> None:
    ci = load(REPO / ".github" / "workflows" / "ci.yml")["jobs"]
    for job_id, job in ci.items():
        granted = {scope for scope, level in (job.get("permissions") or {}).items() if level == "write"}
        uses = [step.get("uses", "") for step in job["steps"]]
        with_ = [step.get("with", {}) for step in job["steps"]]
        comments = any(
            u == "./" and w.get("comment", "on-findings") != "never" for u, w in zip(uses, with_, strict=True)
        )
        uploads = any("upload-sarif" in u for u in uses)
        assert ("pull-requests" in granted) == comments, job_id
        assert ("security-events" in granted) == uploads, job_id
        assert "id-token" not in granted, job_id
    gate = load(REPO / "examples" / "workflows" / "pr-gate.yml")["jobs"]
    assert gate["plan"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert gate["gate"]["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "security-events": "write",
    }


def test_the_consumer_workflow_passes_labelled_plans_to_the_action() -> None:
    document = load(REPO / "examples" / "workflows" / "pr-gate.yml")
    assert document["on"] == {"pull_request": {"paths": ["practice/deploy/**"]}}
    assert document["jobs"]["plan"]["strategy"]["matrix"]["layer"] == ["10_core", "20_infra", "30_app"]
    gate = next(step for step in document["jobs"]["gate"]["steps"] if step.get("id") == "gate")
    assert gate["uses"].startswith("ttgate/ttgate@")
    assert gate["with"]["path"] == "practice/deploy"
    plans = document["jobs"]["gate"]["env"]["PLANS"].split()
    assert plans == [f"{layer}/dev=plans/{layer}/plan.json" for layer in ("10_core", "20_infra", "30_app")]
    scripts = "\n".join(
        step.get("run", "") for _, step in steps(REPO / "examples" / "workflows" / "pr-gate.yml")
    )
    assert 'terraform init -input=false -backend-config="bucket=tt-practice-tf-state-dev-' in scripts
    assert "terraform plan -input=false -lock=false -out=tfplan" in scripts
    assert "terraform show -json tfplan >" in scripts
    # The comment and the job summary send readers of a too-long report to this artifact.
    upload = next(
        step for step in document["jobs"]["gate"]["steps"] if step.get("name") == "Upload the full report"
    )
    assert "steps.gate.outputs.json-report" in upload["with"]["path"]
    assert "!cancelled()" in upload["if"]  # after a failing check too


def test_action_inputs_and_outputs() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {
        "path",
        "plans",
        "policy",
        "comment",
        "comment-key",
        "fail-on",
        "github-token",
        "sarif-file",
        "docs-url",
        "check-all",
    }
    assert action["inputs"]["comment"]["default"] == "update"
    assert action["inputs"]["check-all"]["default"] == "false"
    assert action["inputs"]["fail-on"]["default"] == "error"
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert set(action["outputs"]) == {
        "errors",
        "warnings",
        "notices",
        "suppressed",
        "comment-url",
        "json-report",
        "sarif-file",
    }
    for _, step in steps(ACTION):
        if "uses" in step:
            continue
        assert step.get("shell") == "bash"
        assert step["run"].startswith("set -euo pipefail\n")


def tool(name: str) -> str:
    """The tool beside the running Python (the project's virtualenv), else on PATH, else skip."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]' installs it)")
    return found


def test_zizmor_finds_nothing() -> None:
    done = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", *map(str, FILES)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("schema", "paths"), [("vendor.github-actions", [ACTION]), ("vendor.github-workflows", WORKFLOWS)]
)
def test_github_schemas_accept_the_files(schema: str, paths: list[Path]) -> None:
    done = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_no_workflow_installs_ttgate_by_name_from_an_index(path: Path) -> None:
    """A name on a package index need not be this project's: ttgate is installed from the checked-out
    source, its dependencies from a hashed lock (issue 19)."""
    for job in load(path).get("jobs", {}).values():
        for step in job.get("steps", []):
            script = step.get("run", "")
            if "pip install" not in script:
                continue
            assert not re.search(r"ttgate(\[[^\]]*\])?\s*(==|>=|~=)", script), (path.name, step.get("name"))
            assert "TTGATE_REQUIREMENT" not in script, (path.name, step.get("name"))
            if "ttgate" in step.get("name", "").lower():
                assert "--require-hashes" in script, (path.name, step.get("name"))


AUDIT = REPO / ".github" / "workflows" / "audit.yml"


def audit_step(name: str) -> dict[str, Any]:
    return next(step for _, step in steps(AUDIT) if step.get("name") == name)


def test_the_audit_runs_daily_per_environment_with_a_read_only_role_and_keeps_its_issue() -> None:
    document = load(AUDIT)
    assert "schedule" in document["on"] and "workflow_dispatch" in document["on"]
    audit = document["jobs"]["audit"]
    assert audit["strategy"]["matrix"]["environment"] == "${{ fromJSON(needs.environments.outputs.list) }}"
    assert audit["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "issues": "write",
        "security-events": "write",
    }
    assert document["jobs"]["environments"]["permissions"] == {}
    role = audit_step("Configure AWS credentials (OIDC, read-only)")["with"]["role-to-assume"]
    assert role == "${{ fromJSON(vars.AWS_AUDIT_ROLES)[matrix.environment] }}"
    run = audit_step("ttgate audit")["run"]
    assert 'ttgate audit --env "$ENVIRONMENT"' in run and "json:$RUNNER_TEMP/audit.json" in run
    issue = audit_step("Keep the environment's issue up to date")
    assert 'ttgate issue --report "$RUNNER_TEMP/audit.json" --key "$ENVIRONMENT" --strict' in issue["run"]
    assert issue["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    upload = audit_step("Upload SARIF to code scanning")
    assert upload["with"]["category"] == "ttgate-audit-${{ matrix.environment }}"


def _environments(tmp_path: Path, roles: str, only: str = "") -> tuple[int, str, str]:
    """The first job's script, run as a runner runs it: bash, env: values, a GITHUB_OUTPUT file."""
    script = audit_step("Read AWS_AUDIT_ROLES")["run"]
    output = tmp_path / "output"
    output.write_text("")
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        env={"PATH": "/usr/bin:/bin", "ROLES": roles, "ONLY": only, "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, output.read_text(), done.stdout + done.stderr


def test_the_environments_come_from_the_roles_variable(tmp_path: Path) -> None:
    roles = '{"prod": "arn:aws:iam::1:role/a", "dev": "arn:aws:iam::2:role/a"}'
    assert _environments(tmp_path, roles)[:2] == (0, 'list=["dev", "prod"]\n')
    assert _environments(tmp_path, roles, "prod")[:2] == (0, 'list=["prod"]\n')
    status, output, log = _environments(tmp_path, roles, "qa")
    assert status != 0 and output == "" and "not a key of AWS_AUDIT_ROLES" in log
    for bad in ("", "not json", "[]", '{"../x": "arn"}'):
        status, output, log = _environments(tmp_path, bad)
        assert status != 0 and output == "" and "::error title=AWS_AUDIT_ROLES::" in log, bad
