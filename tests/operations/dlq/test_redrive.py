"""`ttgate dlq redrive` by hand (moto): every message moves with its body, attributes and FIFO group,
and no fault (refused entries, throttling, a crash after the send) loses one."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.operations.aws_backend import REGION, fake_credentials
from tests.operations.dlq.queues import drain, expected, fast_moto_counts, fill, make_queues, queue_names
from ttgate.errors import UserError
from ttgate.integrations.sqs import SqsClients, find_queue
from ttgate.operations.dlq.journal import Journal
from ttgate.operations.dlq.manual import Pace, RedriveResult, copy_entry, redrive_manually


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    fake_credentials(monkeypatch, tmp_path)
    fast_moto_counts(monkeypatch)
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def no_sleep(_: float) -> None:
    pass


FAST = Pace(sleep=no_sleep, visibility_timeout=1)


def run(sqs: Any, tmp_path: Path, *, fifo: bool, pace: Pace = FAST) -> RedriveResult:
    dlq_name, source_name = queue_names(fifo)
    dlq, source = find_queue(sqs, dlq_name), find_queue(sqs, source_name)
    journal = Journal(tmp_path / "journal.jsonl", source=dlq.url, destination=source.url)
    return redrive_manually(SqsClients.single(sqs), dlq, source, journal, pace)


@pytest.mark.slow
@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_a_thousand_messages_move_whole(sqs: Any, tmp_path: Path, fifo: bool) -> None:
    dlq_url, source_url = make_queues(sqs, fifo=fifo)
    fill(sqs, dlq_url, 1000, fifo=fifo)
    result = run(sqs, tmp_path, fifo=fifo)
    assert (result.moved, result.complete) == (1000, True)
    assert drain(sqs, dlq_url) == []
    assert sorted(drain(sqs, source_url), key=repr) == expected(1000, fifo=fifo)
    assert not (tmp_path / "journal.jsonl").exists()  # nothing outstanding: the next run starts clean


def test_fifo_order_within_a_group_is_kept(sqs: Any, tmp_path: Path) -> None:
    dlq_url, source_url = make_queues(sqs, fifo=True)
    fill(sqs, dlq_url, 100, fifo=True)
    run(sqs, tmp_path, fifo=True)
    orders: dict[str, list[int]] = {}
    for body, _, group in drain(sqs, source_url):
        orders.setdefault(group, []).append(json.loads(body)["order"])
    assert all(order == sorted(order) for order in orders.values())


def test_max_moves_only_that_many(sqs: Any, tmp_path: Path) -> None:
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 35)
    result = run(sqs, tmp_path, fifo=False, pace=Pace(max_messages=23, sleep=no_sleep))
    assert result.moved == 23
    assert (len(drain(sqs, source_url)), len(drain(sqs, dlq_url))) == (23, 12)


def test_rate_paces_the_batches(sqs: Any, tmp_path: Path) -> None:
    dlq_url, _ = make_queues(sqs)
    fill(sqs, dlq_url, 30)
    slept: list[float] = []
    clock = iter(tick / 10 for tick in range(1000))  # a tenth of a second passes per look at the clock
    pace = Pace(rate=5, sleep=slept.append, clock=lambda: next(clock))
    run(sqs, tmp_path, fifo=False, pace=pace)
    assert slept and all(pause > 0 for pause in slept)  # 5 messages at 5/s: 1 s per batch, 0.1 s passed


def test_a_fractional_rate_sends_one_message_at_a_time(sqs: Any, tmp_path: Path) -> None:
    """--rate 0.5 used to receive batches of 10 and send nothing it could pace: one every 2 s now."""
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 3)
    slept: list[float] = []
    clock = iter(tick / 10 for tick in range(1000))
    sizes: list[int] = []

    class Counting(Faulty):
        def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            sizes.append(len(Entries))
            return dict(self.real.send_message_batch(QueueUrl=QueueUrl, Entries=Entries))

    pace = Pace(rate=0.5, sleep=slept.append, clock=lambda: next(clock))
    result = run(Counting(sqs), tmp_path, fifo=False, pace=pace)
    assert (result.moved, sizes) == (3, [1, 1, 1])
    assert len(slept) == 3 and all(pause > 1.5 for pause in slept)
    assert len(drain(sqs, source_url)) == 3


class Crash(BaseException):
    """A kill -9 between two calls: nothing after it runs, not even except Exception handlers."""


class Faulty:
    """An SQS client that refuses some entries, throttles, or crashes, around the real one."""

    def __init__(self, real: Any, *, refuse_every: int = 0, refuse_times: int = 1, crash: str = "") -> None:
        self.real = real
        self.refuse_every = refuse_every
        self.refusals: dict[str, int] = {}
        self.refuse_times = refuse_times
        self.crash = crash
        self.sends = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.sends += 1
        refused, sent = [], []
        for entry in Entries:
            body = entry["MessageBody"]
            number = json.loads(body)["order"]
            chosen = self.refuse_every and number % self.refuse_every == 0
            if chosen and self.refusals.get(body, 0) < self.refuse_times:
                self.refusals[body] = self.refusals.get(body, 0) + 1
                refused.append({"Id": entry["Id"], "SenderFault": False, "Code": "InternalError"})
                continue
            sent.append(entry)
        response = self.real.send_message_batch(QueueUrl=QueueUrl, Entries=sent) if sent else {}
        if self.crash == "after-send" and self.sends == 3:
            raise Crash
        return {"Successful": response.get("Successful", []), "Failed": refused}

    def delete_message_batch(self, **arguments: Any) -> dict[str, Any]:
        if self.crash == "before-delete" and self.sends >= 3:
            raise Crash
        return dict(self.real.delete_message_batch(**arguments))


@pytest.mark.slow
@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_refused_entries_are_retried_and_never_deleted_before(sqs: Any, tmp_path: Path, fifo: bool) -> None:
    dlq_url, source_url = make_queues(sqs, fifo=fifo)
    fill(sqs, dlq_url, 200, fifo=fifo)
    faulty = Faulty(sqs, refuse_every=7, refuse_times=2)
    result = run(faulty, tmp_path, fifo=fifo)
    assert (result.moved, result.failed) == (200, {})
    assert sorted(drain(sqs, source_url), key=repr) == expected(200, fifo=fifo)


def test_entries_refused_every_time_stay_in_the_dlq(sqs: Any, tmp_path: Path) -> None:
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 50)
    result = run(Faulty(sqs, refuse_every=10, refuse_times=99), tmp_path, fifo=False)
    assert result.moved == 45 and len(result.failed) == 5
    assert all(reason.startswith("InternalError") for reason in result.failed.values())
    assert len(drain(sqs, source_url)) == 45
    left = drain(sqs, dlq_url)  # hidden for the visibility timeout, then back
    assert sorted(json.loads(body)["order"] for body, _, _ in left) == [0, 10, 20, 30, 40]


@pytest.mark.slow
@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
@pytest.mark.parametrize("crash", ["before-delete", "after-send"])
def test_a_crash_loses_nothing_and_duplicates_one_batch_at_most(
    sqs: Any, tmp_path: Path, fifo: bool, crash: str
) -> None:
    """before-delete: the journal has the copies, the next run deletes them without a second copy.
    after-send: the journal missed them, the next run sends that one batch again (FIFO: deduplicated)."""
    dlq_url, source_url = make_queues(sqs, fifo=fifo)
    fill(sqs, dlq_url, 100, fifo=fifo)
    with pytest.raises(Crash):
        run(Faulty(sqs, crash=crash), tmp_path, fifo=fifo)
    time.sleep(1.2)  # the crashed batch comes back to the DLQ after its visibility timeout
    result = run(sqs, tmp_path, fifo=fifo)
    moved = drain(sqs, source_url)
    assert set(moved) == set(expected(100, fifo=fifo))  # none lost
    assert drain(sqs, dlq_url) == []
    if crash == "before-delete":
        assert result.resumed == 10 and len(moved) == 100
    else:
        assert len(moved) - 100 <= (0 if fifo else 10)
        # every duplicate is one the run names: the journal had the batch as sent without an answer
        assert len(moved) - 100 <= len(result.possible_duplicates)


@pytest.mark.slow
def test_throttling_is_retried_by_the_client(sqs: Any, tmp_path: Path) -> None:
    from ttgate.integrations.aws import Aws

    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 30)
    client = Aws(region=REGION).client("sqs")
    throttled = {"count": 0}

    # botocore calls every before-send handler and keeps the first response, so moto (called after
    # this one) would still carry out a throttled request: the throttled attempt gets a URL moto does
    # not serve, and the next attempt its own URL back.
    def throttle(request: Any, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        real_url = request.context.setdefault("real_url", request.url)
        request.url = real_url
        if throttled["count"] < 4 and "SendMessageBatch" in str(request.headers.get("X-Amz-Target", "")):
            throttled["count"] += 1
            request.url = "https://throttled.invalid/"
            body = json.dumps({"__type": "com.amazonaws.sqs#RequestThrottled", "message": "Rate exceeded"})
            return AWSResponse(real_url, 400, {"Content-Type": "application/x-amz-json-1.0"}, Raw(body))
        return None

    client.meta.events.register_first("before-send", throttle)
    result = run(client, tmp_path, fifo=False, pace=Pace(sleep=no_sleep))
    assert throttled["count"] == 4 and result.moved == 30
    assert len(drain(sqs, source_url)) == 30


class Raw:
    def __init__(self, text: str) -> None:
        self.data = text.encode()

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data

    def read(self, *_: Any) -> bytes:
        return self.data


def test_a_persistent_failure_stops_in_one_line(sqs: Any, tmp_path: Path) -> None:
    dlq_url, _ = make_queues(sqs)
    fill(sqs, dlq_url, 5)

    class Denied(Faulty):
        def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "SendMessageBatch")

    with pytest.raises(UserError, match=r"AccessDenied.*stopped after moving 0.*still in the DLQ"):
        run(Denied(sqs), tmp_path, fifo=False)
    time.sleep(1.2)
    assert len(drain(sqs, dlq_url)) == 5  # nothing deleted


def test_a_fifo_copy_never_reuses_the_original_deduplication_id() -> None:
    received = {
        "MessageId": "m-1",
        "Body": "{}",
        "Attributes": {"MessageGroupId": "g", "MessageDeduplicationId": "d-1", "SentTimestamp": "1000"},
    }
    entry = copy_entry(received, "0", fifo=True)
    # A producer may have sent another message with d-1 in the last 5 minutes: SQS would report the
    # copy accepted and drop it. The derived id is stable (a re-send of the same copy is dropped).
    assert entry["MessageGroupId"] == "g"
    assert entry["MessageDeduplicationId"].startswith("ttgate-redrive:m-1:")
    assert copy_entry(received, "1", fifo=True)["MessageDeduplicationId"] == entry["MessageDeduplicationId"]
    other = {**received, "MessageId": "m-2"}
    assert copy_entry(other, "0", fifo=True)["MessageDeduplicationId"] != entry["MessageDeduplicationId"]
