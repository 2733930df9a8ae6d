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


def test_a_client_without_automatic_retries_is_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """SendMessageBatch must not be retried by botocore: a 5xx may hide a batch the server accepted."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws = Aws(region="ap-southeast-1")
    sender = aws.client("sqs", retries=0)
    assert sender.meta.config.retries["total_max_attempts"] == 1
    assert sender is not aws.client("sqs") and sender is aws.client("sqs", retries=0)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        ("throttled", "not-done"),
        ("connect", "not-done"),
        ("server", "unknown"),
        ("read-timeout", "unknown"),
        ("closed", "unknown"),
        ("denied", "refused"),
    ],
)
def test_what_a_failed_call_means(error: str, outcome: str) -> None:
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    from ttgate.integrations.aws import call_outcome

    def client_error(code: str, status: int) -> ClientError:
        return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Send")

    errors = {
        "throttled": client_error("RequestThrottled", 400),
        "connect": EndpointConnectionError(endpoint_url="https://sqs"),
        "server": client_error("InternalError", 500),
        "read-timeout": ReadTimeoutError(endpoint_url="https://sqs"),
        "closed": ConnectionClosedError(endpoint_url="https://sqs"),
        "denied": client_error("AccessDenied", 403),
    }
    assert call_outcome(errors[error]) == outcome
