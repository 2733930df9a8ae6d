"""The one way to make a boto3 client: every service's client retries throttling and 5xx."""

from __future__ import annotations

import pytest

from ttgate.integrations.aws import RETRY_ATTEMPTS, Aws


@pytest.mark.parametrize("service", ["s3", "dynamodb", "sts", "sqs", "logs", "lambda", "cloudwatch"])
def test_every_client_retries_in_standard_mode(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws = Aws(region="ap-southeast-1")
    client = aws.client(service)
    retries = client.meta.config.retries
    # botocore counts the first request too: RETRY_ATTEMPTS retries after it
    assert (retries["mode"], retries["total_max_attempts"]) == ("standard", RETRY_ATTEMPTS + 1)
    assert aws.client(service) is client  # made once per session
