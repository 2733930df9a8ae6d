"""The runbook's dev state backend in moto, shared by the locks and state tests: names and helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ttgate.cli import main

REGION = "ap-southeast-1"
ACCOUNT = "123456789012"  # moto's account
BUCKET = f"tt-practice-tf-state-dev-{ACCOUNT}"  # the policy's name with moto's account
TABLE = "tt-practice-tf-locks"
APP_KEY = "app/terraform.tfstate"
INFRA_KEY = "infra/terraform.tfstate"
LOCK_ID = "9a1c0c4e-3b6f-2d7e-8c1a-5f0e6d7c8b9a"


def fake_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Test credentials only: no profile, config file, endpoint or instance metadata from outside."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.chdir(tmp_path)


def make_backend(s3: Any, dynamodb: Any) -> None:
    """The runbook's dev backend: a versioned state bucket and the LockID (S) table."""
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def lock_info(lock_id: str = LOCK_ID, *, who: str = "alice@ci-runner", created: str | None = None) -> str:
    """The Info JSON Terraform writes with a lock on the app stack's state."""
    return json.dumps(
        {
            "ID": lock_id,
            "Operation": "OperationTypeApply",
            "Info": "",
            "Who": who,
            "Version": "1.9.8",
            "Created": created or "2024-05-01T10:00:00.123456789Z",
            "Path": f"{BUCKET}/{APP_KEY}",
        }
    )


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def one_line_error(result: Any) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("ttgate: error: ")
    return lines[0]
