"""The moto backend every locks and state test starts from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.operations.aws_backend import REGION, fake_credentials, make_backend


@pytest.fixture
def aws_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """S3 and DynamoDB clients (moto) with the dev state bucket and lock table made; cwd is tmp_path."""
    fake_credentials(monkeypatch, tmp_path)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        make_backend(s3, dynamodb)
        yield s3, dynamodb


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS credentials anywhere (and no AWS to reach): what a user without a session has."""
    fake_credentials(monkeypatch, tmp_path)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
