"""The in-process SQS the DLQ command tests share (the fault tests use moto's server instead)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.operations.aws_backend import REGION, fake_credentials


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    fake_credentials(monkeypatch, tmp_path)
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)
