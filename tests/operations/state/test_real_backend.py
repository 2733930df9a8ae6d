"""Against moto's server as a real HTTP endpoint, with state, locks and digests written by Terraform
itself when it is installed (skipped cleanly otherwise)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.operations.aws_backend import ACCOUNT, APP_KEY, BUCKET, REGION, TABLE, lock_info, make_backend, run

pytest.importorskip("flask", reason="moto's server needs moto[server]")
pytestmark = pytest.mark.moto_server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """moto's server on a free port, the dev backend made in it, and AWS_ENDPOINT_URL pointing there."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("moto's server did not start")
                time.sleep(0.2)
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
        monkeypatch.chdir(tmp_path)
        make_backend(client("s3"), client("dynamodb"))
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def lock_item() -> dict[str, Any] | None:
    item = client("dynamodb").get_item(TableName=TABLE, Key={"LockID": {"S": f"{BUCKET}/{APP_KEY}"}})
    return item.get("Item")


def test_a_lock_created_seconds_ago_needs_force(endpoint: str) -> None:
    created = (datetime.now(UTC) - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    client("dynamodb").put_item(
        TableName=TABLE,
        Item={"LockID": {"S": f"{BUCKET}/{APP_KEY}"}, "Info": {"S": lock_info(created=created)}},
    )
    lock_id = json.loads(lock_info())["ID"]
    result = run("locks", "release", lock_id, "--env", "dev", "--account-id", ACCOUNT, "--yes")
    assert result.exit_code == 2, result.output
    assert lock_item() is not None
    result = run("locks", "release", lock_id, "--env", "dev", "--account-id", ACCOUNT, "--yes", "--force")
    assert result.exit_code == 0, result.output
    assert lock_item() is None


BACKEND_TF = """
terraform {{
  backend "s3" {{
    bucket                      = "{bucket}"
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
variable "n" {{ default = 1 }}
resource "terraform_data" "a" {{ input = var.n }}
resource "terraform_data" "b" {{ count = var.n }}
"""


@pytest.mark.terraform
@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_terraform_own_lock_state_and_digest(endpoint: str, tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "main.tf").write_text(
        BACKEND_TF.format(bucket=BUCKET, key=APP_KEY, region=REGION, table=TABLE, url=endpoint)
    )

    def terraform(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["terraform", *args, "-no-color"], cwd=stack, capture_output=True, text=True, timeout=120
        )

    assert terraform("init", "-input=false").returncode == 0
    for count in ("1", "3"):
        assert terraform("apply", "-auto-approve", "-var", f"n={count}").returncode == 0, count
    versions = client("s3").list_object_versions(Bucket=BUCKET, Prefix=APP_KEY)["Versions"]

    def serial(version_id: str) -> int:
        body = client("s3").get_object(Bucket=BUCKET, Key=APP_KEY, VersionId=version_id)["Body"].read()
        return int(json.loads(body)["serial"])

    # LastModified has whole seconds: the serial says which version came first.
    first = min((v["VersionId"] for v in versions if v["Key"] == APP_KEY), key=serial)

    # A live apply waiting at its approval prompt holds the lock.
    waiting = subprocess.Popen(
        ["terraform", "apply", "-no-color", "-var", "n=5"],
        cwd=stack,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while lock_item() is None:
            assert time.monotonic() < deadline, "terraform did not take the lock"
            time.sleep(0.3)
        lock_id = json.loads(lock_item()["Info"]["S"])["ID"]  # type: ignore[index]
        result = run("locks", "release", lock_id, "--env", "dev", "--account-id", ACCOUNT, "--yes")
        assert result.exit_code == 2 and "--force" in result.stderr
        restore = ["state", "restore", "--layer", "30_app", "--env", "dev", "--account-id", ACCOUNT]
        result = run(*restore, "--version-id", first, "--upload", "--yes")
        assert result.exit_code == 2 and "is locked" in result.stderr
    finally:
        waiting.kill()  # its lock stays behind, as after a dead runner
        waiting.wait(timeout=30)
    subprocess.run(
        ["terraform", "force-unlock", "-force", lock_id], cwd=stack, capture_output=True, timeout=60
    )
    result = run(*restore, "--version-id", first, "--upload", "--yes")
    assert result.exit_code == 0, result.output
    assert lock_item() is None  # ttgate's own lock is released
    pulled = terraform("state", "pull")
    assert pulled.returncode == 0, pulled.stderr
    assert json.loads(pulled.stdout)["serial"] == 3
    plan = terraform("plan", "-input=false", "-detailed-exitcode", "-var", "n=1")
    assert plan.returncode == 0, plan.stdout + plan.stderr  # the restored state matches n=1: no changes
