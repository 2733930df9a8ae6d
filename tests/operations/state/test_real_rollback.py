"""Rollbacks against the real Terraform S3 backend on moto's server (HTTP), with real git histories:
a renamed stack, direct mode's layer-by-layer order as the workflow's own scripts run it, and a
restore after a forced push that must leave a saved plan stale. Skipped cleanly without terraform."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.operations.aws_backend import ACCOUNT, APP_KEY, BUCKET, REGION, TABLE, run
from tests.operations.state.test_real_backend import client, endpoint  # the moto server fixture

__all__ = ["endpoint"]

pytest.importorskip("flask", reason="moto's server needs moto[server]")
pytestmark = [
    pytest.mark.moto_server,
    pytest.mark.terraform,
    pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed"),
]

WORKFLOW = Path(__file__).resolve().parents[3] / ".github" / "workflows" / "rollback.yml"
DEPLOY = "practice/deploy"

# The backend block of every stack: the bucket comes from -backend-config, as in the workflow.
BACKEND = """
terraform {{
  backend "s3" {{
    key                         = "{key}"
    region                      = "{region}"
    dynamodb_table              = "{table}"
    use_path_style              = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
    endpoints = {{ s3 = "{url}", dynamodb = "{url}" }}
  }}
}}
"""


def backend(key: str, url: str) -> str:
    return BACKEND.format(key=key, region=REGION, table=TABLE, url=url)


def infra_stack(url: str, queue: str) -> str:
    return backend("infra/terraform.tfstate", url) + f'output "queue_name" {{ value = "{queue}" }}\n'


def app_stack(url: str, extra: str = "") -> str:
    return (
        backend(APP_KEY, url)
        + f"""
data "terraform_remote_state" "infra" {{
  backend = "s3"
  config = {{
    bucket = "{BUCKET}"
    key = "infra/terraform.tfstate"
    region = "{REGION}"
    use_path_style = true
    skip_credentials_validation = true
    skip_requesting_account_id = true
    skip_metadata_api_check = true
    skip_region_validation = true
    endpoints = {{ s3 = "{url}" }}
  }}
}}
resource "terraform_data" "consumer" {{ input = data.terraform_remote_state.infra.outputs.queue_name }}
resource "terraform_data" "worker" {{ count = 2 }}
{extra}"""
    )


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def commit(repo: Path, message: str, files: dict[str, str]) -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def terraform(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["terraform", *args, "-no-color"], cwd=directory, capture_output=True, text=True, timeout=180
    )


def init(directory: Path) -> None:
    done = terraform(directory, "init", "-input=false", f"-backend-config=bucket={BUCKET}", "-reconfigure")
    assert done.returncode == 0, done.stdout + done.stderr


def apply(directory: Path) -> None:
    init(directory)
    done = terraform(directory, "apply", "-input=false", "-auto-approve")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("TF_IN_AUTOMATION", "1")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@example.com")
    (repo / ".gitignore").write_text(".terraform/\n.terraform.lock.hcl\n*.tfstate*\ntfplan\n")
    return repo


def test_a_renamed_stack_is_rolled_back_as_a_move_with_nothing_to_destroy(endpoint: str, repo: Path) -> None:
    old, new = f"{DEPLOY}/30_app/environments/dev", f"{DEPLOY}/apps/30_app/environments/dev"
    commit(repo, "infra", {f"{DEPLOY}/20_infra/environments/dev/main.tf": infra_stack(endpoint, "q-v1")})
    apply(repo / DEPLOY / "20_infra/environments/dev")
    target = commit(repo, "app", {f"{old}/main.tf": app_stack(endpoint)})
    apply(repo / old)
    (repo / new).parent.mkdir(parents=True)
    git(repo, "mv", old, new)
    commit(repo, "move 30_app under apps/", {})
    init(repo / new)  # the moved directory reads the same state key: nothing to change
    assert terraform(repo / new, "plan", "-input=false", "-detailed-exitcode").returncode == 0

    result = run(
        "rollback", "plan", "--to", target, "--env", "dev", "--format", "json", "--repo-dir", str(repo)
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert [(s["layer"], s["directory"], s["moved_from"]) for s in plan["stacks"]] == [("30_app", old, new)]
    assert not any("destroy" in w.replace("nothing to destroy", "") for w in plan["warnings"]), plan[
        "warnings"
    ]

    result = run(
        "rollback",
        "create",
        "--to",
        target,
        "--reason",
        "INC-7",
        "--no-push",
        "--base",
        "main",
        "--env",
        "dev",
        "--repo-dir",
        str(repo),
    )
    assert result.exit_code == 0, result.output
    assert "terraform destroy" not in result.output
    branch = next(line.split()[2] for line in result.output.splitlines() if line.startswith("Created branch"))
    git(repo, "switch", "-q", branch)
    # Where the rollback puts the stack back, Terraform finds its 3 resources: 0 to add, 0 to destroy.
    init(repo / old)
    planned = terraform(repo / old, "plan", "-input=false", "-detailed-exitcode")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "No changes" in planned.stdout


def workflow_steps(job: str) -> dict[str, str]:
    """The run: scripts of one job of the rollback workflow, by step name."""
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return {step["name"]: step["run"] for step in loaded["jobs"][job]["steps"] if "run" in step}


class Runner:
    """Runs the workflow's own scripts as a runner would: env, GITHUB_OUTPUT, the step summary."""

    def __init__(self, repo: Path, tmp: Path, target: str) -> None:
        self.repo, self.tmp, self.target = repo, tmp, target
        self.bin = tmp / "bin"
        self.bin.mkdir()
        wrapper = self.bin / "ttgate"
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m ttgate "$@"\n')
        wrapper.chmod(0o755)
        self.summary = tmp / "summary.md"
        self.log: list[str] = []

    def step(self, job: str, name: str, layer: str, directory: str) -> tuple[int, dict[str, str]]:
        output = self.tmp / "output"
        output.write_text("")
        env = {
            **os.environ,
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "DEPLOY_PATH": DEPLOY,
            "LAYER": layer,
            "TF_ENV": "dev",
            "TARGET": self.target,
            "STACK_DIR": directory,
            "AWS_ACCOUNT_ID": ACCOUNT,
            "RUNNER_TEMP": str(self.tmp),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(self.summary),
        }
        script = workflow_steps(job)[name]
        done = subprocess.run(
            ["bash", "-e", "-c", script], cwd=self.repo, env=env, capture_output=True, text=True, timeout=300
        )
        self.log.append(f"{job}: {name}: {done.returncode}")
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        return done.returncode, outputs

    def direct(self, layers: list[str], directories: dict[str, str]) -> list[str]:
        """Mode direct's layer jobs in the order their needs give; the layers whose apply ran."""
        applied = []
        for layer in layers:
            job = f"plan-{layer}"
            status, outputs = self.step(job, "terraform plan (saved)", layer, directories[layer])
            assert status == 0, self.log
            check = "Refuse a plan that destroys, replaces or weakens the state backend (10_core)"
            assert self.step(job, check, layer, directories[layer])[0] == 0
            if outputs["changes"] == "true":
                status, _ = self.step(
                    f"apply-{layer}", "terraform apply (the saved plan)", layer, directories[layer]
                )
                assert status == 0, self.log
                applied.append(layer)
        return applied

    def verify(self, layers: list[str], directories: dict[str, str]) -> list[str]:
        """The verify job of each layer; the layers left with changes."""
        name = "terraform plan (nothing may be left to change)"
        return [layer for layer in layers if self.step("verify", name, layer, directories[layer])[0] != 0]


def test_direct_mode_plans_each_layer_after_the_one_before_was_applied(
    endpoint: str, repo: Path, tmp_path: Path
) -> None:
    infra, app = f"{DEPLOY}/20_infra/environments/dev", f"{DEPLOY}/30_app/environments/dev"
    target = commit(
        repo, "v1", {f"{infra}/main.tf": infra_stack(endpoint, "q-v1"), f"{app}/main.tf": app_stack(endpoint)}
    )
    commit(
        repo,
        "v2",
        {
            f"{infra}/main.tf": infra_stack(endpoint, "q-v2"),
            f"{app}/main.tf": app_stack(endpoint, 'resource "terraform_data" "new" {}\n'),
        },
    )
    apply(repo / infra)
    apply(repo / app)
    result = run(
        "rollback", "plan", "--to", target, "--env", "dev", "--format", "json", "--repo-dir", str(repo)
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    layers = [stack["layer"] for stack in plan["stacks"]]
    directories = {stack["layer"]: stack["directory"] for stack in plan["stacks"]}
    assert layers == ["30_app", "20_infra"]

    runner = Runner(repo, tmp_path, target)
    restore = workflow_steps("plan-30_app")["Restore the deploy tree as it was at the target commit"]
    assert 'git checkout --no-overlay "$TARGET" -- "$DEPLOY_PATH"' in restore
    git(repo, "checkout", "--no-overlay", target, "--", DEPLOY)
    assert runner.direct(layers, directories) == ["30_app", "20_infra"]
    # 30_app was planned (and applied) before 20_infra's rollback: it still consumes q-v2.
    state = json.loads(client("s3").get_object(Bucket=BUCKET, Key=APP_KEY)["Body"].read())
    consumer = next(r for r in state["resources"] if r["name"] == "consumer")
    assert consumer["instances"][0]["attributes"]["input"]["value"] == "q-v2"
    # The verify job plans 30_app again, now reading 20_infra's rolled-back outputs, and says so.
    assert runner.verify(layers, directories) == ["30_app"]
    summary = runner.summary.read_text()
    assert "30_app in dev still has changes after the rollback of the layers below" in summary
    assert '"q-v2" -> "q-v1"' in summary
    # Dispatched again (or Re-run all jobs): 30_app's plan is made after 20_infra's rollback apply and
    # reads its outputs; 20_infra has nothing left and asks no approval.
    assert runner.direct(layers, directories) == ["30_app"]
    assert runner.verify(layers, directories) == []
    state = json.loads(client("s3").get_object(Bucket=BUCKET, Key=APP_KEY)["Body"].read())
    consumer = next(r for r in state["resources"] if r["name"] == "consumer")
    assert consumer["instances"][0]["attributes"]["input"]["value"] == "q-v1"


def test_a_restore_after_a_forced_push_leaves_a_saved_plan_stale(endpoint: str, repo: Path) -> None:
    app = repo / DEPLOY / "30_app/environments/dev"
    stack_tf = (
        backend(APP_KEY, endpoint) + 'variable "n" {}\nresource "terraform_data" "w" { count = var.n }\n'
    )
    commit(repo, "app", {f"{DEPLOY}/30_app/environments/dev/main.tf": stack_tf})
    init(app)
    for count in ("1", "2", "3"):
        done = terraform(app, "apply", "-input=false", "-auto-approve", "-var", f"n={count}")
        assert done.returncode == 0, done.stderr
    pulled = json.loads(terraform(app, "state", "pull").stdout)
    highest = pulled["serial"]
    # A plan saved now, against the current serial.
    saved = terraform(app, "plan", "-input=false", "-var", "n=5", "-out=tfplan")
    assert saved.returncode == 0, saved.stderr
    # Someone puts an older version back by hand, the runbook's old advice (copy the version over the
    # current object, fix the digest): the serial goes down, to one the key already had. (Terraform
    # 1.11's own `state push -force` of that file kept the remote serial here.)
    s3 = client("s3")
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix=APP_KEY)["Versions"]
    bodies = {
        v["VersionId"]: s3.get_object(Bucket=BUCKET, Key=APP_KEY, VersionId=v["VersionId"])["Body"].read()
        for v in versions
        if v["Key"] == APP_KEY
    }
    serials = {version: json.loads(body)["serial"] for version, body in bodies.items()}
    previous = next(version for version, serial in serials.items() if serial == highest - 1)
    s3.put_object(Bucket=BUCKET, Key=APP_KEY, Body=bodies[previous])
    client("dynamodb").put_item(
        TableName=TABLE,
        Item={
            "LockID": {"S": f"{BUCKET}/{APP_KEY}-md5"},
            "Digest": {"S": hashlib.md5(bodies[previous]).hexdigest()},
        },
    )
    assert json.loads(terraform(app, "state", "pull").stdout)["serial"] == highest - 1
    newest = max(serials, key=lambda version: serials[version])
    # Restore the state as it was when the plan was made.
    result = run(
        "state",
        "restore",
        "--layer",
        "30_app",
        "--env",
        "dev",
        "--account-id",
        ACCOUNT,
        "--version-id",
        newest,
        "--upload",
        "--yes",
    )
    assert result.exit_code == 0, result.output
    # The plan was saved against serial `highest`: against the restored state it must be stale.
    applied = terraform(app, "apply", "-input=false", "tfplan")
    assert applied.returncode != 0 and "stale" in (applied.stdout + applied.stderr).lower(), applied.stdout
    restored = json.loads(terraform(app, "state", "pull").stdout)
    assert restored["serial"] == highest + 1  # never a serial the key had, nor one a saved plan carries
