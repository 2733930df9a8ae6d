"""`ttgate dlq redrive` with SQS's message move task, against the documented request and response
shapes (botocore's Stubber: moto does not implement the API)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.operations.aws_backend import REGION, fake_credentials
from ttgate.errors import UserError
from ttgate.integrations.sqs import Queue
from ttgate.operations.dlq.move_task import MoveTaskUnavailable, follow_task, start_task

ACCOUNT = "123456789012"
DLQ = Queue(
    name="tt-practice-dev-main-dlq",
    url=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/tt-practice-dev-main-dlq",
    arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:tt-practice-dev-main-dlq",
)
SOURCE = Queue(
    name="tt-practice-dev-main-queue",
    url=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/tt-practice-dev-main-queue",
    arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:tt-practice-dev-main-queue",
)
HANDLE = "eyJ0YXNrSWQiOiJkYTFiMjM0NS0xYjJjLTRkM2UtOGY5MC0xMjM0NTY3ODkwYWIifQ=="


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Any, Stubber]]:
    fake_credentials(monkeypatch, tmp_path)
    sqs = boto3.client("sqs", region_name=REGION)
    with Stubber(sqs) as stubber:
        yield sqs, stubber
        stubber.assert_no_pending_responses()


def task(status: str, moved: int, *, handle: bool = True, **extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "Status": status,
        "SourceArn": DLQ.arn,
        "DestinationArn": SOURCE.arn,
        "MaxNumberOfMessagesPerSecond": 100,
        "ApproximateNumberOfMessagesMoved": moved,
        "ApproximateNumberOfMessagesToMove": 250,
        "StartedTimestamp": 1_700_000_000_000,
        **extra,
    }
    if handle:
        result["TaskHandle"] = HANDLE
    return result


def expect_listing(stubber: Stubber, *results: dict[str, Any]) -> None:
    stubber.add_response(
        "list_message_move_tasks", {"Results": list(results)}, {"SourceArn": DLQ.arn, "MaxResults": 1}
    )


def test_a_task_starts_after_checking_none_is_running(stubbed: tuple[Any, Stubber]) -> None:
    sqs, stubber = stubbed
    expect_listing(stubber, task("COMPLETED", 12, handle=False))  # an old, finished task
    stubber.add_response(
        "start_message_move_task",
        {"TaskHandle": HANDLE},
        {"SourceArn": DLQ.arn, "DestinationArn": SOURCE.arn, "MaxNumberOfMessagesPerSecond": 100},
    )
    assert start_task(sqs, DLQ, SOURCE, 100) == HANDLE


def test_without_a_destination_messages_go_back_to_their_sources(stubbed: tuple[Any, Stubber]) -> None:
    sqs, stubber = stubbed
    expect_listing(stubber)
    stubber.add_response("start_message_move_task", {"TaskHandle": HANDLE}, {"SourceArn": DLQ.arn})
    assert start_task(sqs, DLQ, None, None) == HANDLE


def test_a_running_task_is_reported_not_started_again(stubbed: tuple[Any, Stubber]) -> None:
    sqs, stubber = stubbed
    expect_listing(stubber, task("RUNNING", 40))
    with pytest.raises(UserError, match=r"already running on tt-practice-dev-main-dlq \(running, 40 of 250"):
        start_task(sqs, DLQ, SOURCE, None)


def test_progress_is_followed_until_the_task_completes(stubbed: tuple[Any, Stubber]) -> None:
    sqs, stubber = stubbed
    expect_listing(stubber, task("RUNNING", 0))
    expect_listing(stubber, task("RUNNING", 120))
    expect_listing(stubber, task("COMPLETED", 250, handle=False))
    seen: list[str] = []
    final = follow_task(sqs, DLQ, HANDLE, lambda t: seen.append(t.describe()), sleep=lambda _: None)
    assert (final.status, final.moved) == ("COMPLETED", 250)
    assert seen == ["running, 0 of 250 moved", "running, 120 of 250 moved", "completed, 250 of 250 moved"]


def test_a_failed_task_says_why(stubbed: tuple[Any, Stubber]) -> None:
    sqs, stubber = stubbed
    expect_listing(
        stubber, task("FAILED", 3, handle=False, FailureReason="AWS.SimpleQueueService.KmsAccessDenied")
    )
    final = follow_task(sqs, DLQ, HANDLE, sleep=lambda _: None)
    assert final.describe() == "failed, 3 of 250 moved: AWS.SimpleQueueService.KmsAccessDenied"


def test_ctrl_c_cancels_the_task(stubbed: tuple[Any, Stubber]) -> None:
    sqs, stubber = stubbed
    expect_listing(stubber, task("RUNNING", 10))
    stubber.add_response(
        "cancel_message_move_task", {"ApproximateNumberOfMessagesMoved": 17}, {"TaskHandle": HANDLE}
    )

    def interrupt(_: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(UserError, match="cancelled after about 17 message"):
        follow_task(sqs, DLQ, HANDLE, sleep=interrupt)


def test_an_endpoint_without_move_tasks_falls_back(stubbed: tuple[Any, Stubber]) -> None:
    sqs, stubber = stubbed
    expect_listing(stubber)
    stubber.add_client_error("start_message_move_task", "UnsupportedOperation", "not for this queue")
    with pytest.raises(MoveTaskUnavailable, match="UnsupportedOperation"):
        start_task(sqs, DLQ, SOURCE, None)


def test_other_errors_are_one_line(stubbed: tuple[Any, Stubber]) -> None:
    sqs, stubber = stubbed
    expect_listing(stubber)
    stubber.add_client_error("start_message_move_task", "InvalidParameterValue", "bad destination")
    with pytest.raises(
        UserError, match="starting a message move task on tt-practice-dev-main-dlq: InvalidParameterValue"
    ):
        start_task(sqs, DLQ, SOURCE, None)
