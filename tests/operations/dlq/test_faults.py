"""`ttgate dlq redrive` against moto's server over HTTP behind a fault-injecting proxy (proxy.py): a
SendMessageBatch that was carried out but got a 500, partial accepts, a later failure, FIFO
deduplication collisions and refusals, messages in flight, two redrives at once, Ctrl-C, a move task
API that answers 500. Nothing is lost, and every duplicate SQS cannot prevent is printed with its count.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from tests.helpers import REPO
from tests.operations.aws_backend import REGION, fake_credentials
from tests.operations.dlq.proxy import Endpoint, moto_behind_proxy
from tests.operations.dlq.queues import drain, fill, make_queues, queue_names
from tests.operations.dlq.scenarios import printed_duplicates
from ttgate.cli import main

pytestmark = pytest.mark.moto_server


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Endpoint]:
    fake_credentials(monkeypatch, tmp_path)
    monkeypatch.setattr("ttgate.operations.dlq.lock.SETTLE_SECONDS", 0.05)
    with moto_behind_proxy() as running:
        monkeypatch.setenv("AWS_ENDPOINT_URL", running.url)
        yield running


def direct(endpoint: Endpoint) -> Any:
    """A client of moto itself: what really is in the queues, without the proxy's faults."""
    return boto3.client("sqs", region_name=REGION, endpoint_url=endpoint.moto_url)


def ttgate(*arguments: str) -> Any:
    return CliRunner().invoke(main, list(arguments))


def orders(rows: list[tuple[Any, ...]]) -> list[int]:
    return [json.loads(body)["order"] for body, _, _ in rows]


def counted(result: Any) -> int:
    """The duplicates the run printed (0 when it printed none)."""
    return printed_duplicates(result.output)


def test_an_ambiguous_send_is_not_retried_blindly_and_its_duplicates_are_printed(endpoint: Endpoint) -> None:
    """botocore retried a SendMessageBatch the server had carried out: 30 of 30 duplicated, exit 0."""
    sqs = direct(endpoint)
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 30)
    endpoint.faults.ambiguous = {1, 2, 3}
    result = ttgate("dlq", "redrive", queue_names(False)[0], "--manual")
    arrived = Counter(orders(drain(sqs, source_url)))
    assert set(arrived) == set(range(30))  # none lost
    duplicates = sum(count - 1 for count in arrived.values())
    assert duplicates == 30  # SQS semantics: three sends carried out without an answer, then a fourth
    assert duplicates == counted(result), result.output  # none silent
    assert drain(sqs, dlq_url) == []


def test_an_ambiguous_fifo_send_is_sent_again_with_the_same_ids_and_deduplicated(endpoint: Endpoint) -> None:
    sqs = direct(endpoint)
    dlq_url, source_url = make_queues(sqs, fifo=True)
    fill(sqs, dlq_url, 20, fifo=True)
    endpoint.faults.ambiguous = {1, 2}
    endpoint.faults.drop_connection = True
    result = ttgate("dlq", "redrive", queue_names(True)[0], "--manual")
    assert result.exit_code == 0, result.output
    assert sorted(orders(drain(sqs, source_url))) == list(range(20))  # each exactly once
    assert counted(result) == 0


def test_entries_accepted_before_a_later_failure_are_journaled(endpoint: Endpoint) -> None:
    """The first attempt's accepted entries were not journaled when the retry failed: sent twice."""
    sqs = direct(endpoint)
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 10)
    endpoint.faults.refuse = lambda entry, number: number == 1 and int(entry["Id"]) >= 5
    endpoint.faults.denied = {2}  # the retry of the 5 refused entries: AccessDenied, the run stops
    first = ttgate("dlq", "redrive", queue_names(False)[0], "--manual")
    assert first.exit_code == 2 and "AccessDenied" in first.output
    endpoint.faults.refuse, endpoint.faults.denied = None, set()
    second = ttgate("dlq", "redrive", queue_names(False)[0], "--manual")
    assert second.exit_code == 0, second.output
    assert sorted(orders(drain(sqs, source_url))) == list(range(10))  # 5 + 5, not 5 + 10
    assert "(5 copied by an earlier run)" in second.output


def test_a_fifo_copy_is_not_dropped_as_a_duplicate_of_another_message(endpoint: Endpoint) -> None:
    """The copy of an old message kept its deduplication id; a producer had just sent a new message
    with that id: SQS said Successful and dropped the copy, ttgate deleted the original."""
    sqs = direct(endpoint)
    dlq_url, source_url = make_queues(sqs, fifo=True)
    fill(sqs, dlq_url, 5, fifo=True)
    sqs.send_message(
        QueueUrl=source_url, MessageBody="new", MessageGroupId="group-3", MessageDeduplicationId="dedup-3"
    )
    endpoint.faults.age_ms = 10 * 60 * 1000  # the DLQ's messages were first sent 10 minutes ago
    result = ttgate("dlq", "redrive", queue_names(True)[0], "--manual")
    assert result.exit_code == 0, result.output
    bodies = [body for body, _, _ in drain(sqs, source_url)]
    assert "new" in bodies and sorted(json.loads(b)["order"] for b in bodies if b != "new") == [0, 1, 2, 3, 4]


def test_fifo_order_within_a_group_survives_a_refused_entry(endpoint: Endpoint) -> None:
    sqs = direct(endpoint)
    dlq_url, source_url = make_queues(sqs, fifo=True)
    fill(sqs, dlq_url, 28, fifo=True)  # groups of 4: group-0 holds 0, 7, 14, 21
    endpoint.faults.refuse = lambda entry, _: json.loads(entry["MessageBody"])["order"] == 7
    result = ttgate("dlq", "redrive", queue_names(True)[0], "--manual")
    assert result.exit_code == 1, result.output
    assert "FIFO group group-0 stopped at refused message" in result.output
    moved: dict[str, list[int]] = {}
    for body, _, group in drain(sqs, source_url):
        moved.setdefault(group, []).append(json.loads(body)["order"])
    assert moved["group-0"] == [0]  # 14 and 21 wait behind 7, in the DLQ
    assert all(numbers == list(range(int(g[-1]), 28, 7)) for g, numbers in moved.items() if g != "group-0")
    assert sorted(orders(drain(sqs, dlq_url))) == [7, 14, 21]


def test_messages_in_flight_are_not_reported_done(endpoint: Endpoint) -> None:
    """After an interrupted run a rerun printed "moved 20", exit 0, with 10 in flight."""
    sqs = direct(endpoint)
    dlq_url, _ = make_queues(sqs)
    fill(sqs, dlq_url, 30)
    for _ in range(5):  # what the interrupted run still holds: 10 messages, hidden for a minute
        sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=2, VisibilityTimeout=60)
    result = ttgate("dlq", "redrive", queue_names(False)[0], "--manual")
    assert result.exit_code == 1, result.output
    assert "moved 20 message(s)" in result.output
    assert "not done: 0 visible, 10 in flight" in result.output and "run again then" in result.output


def test_fifo_messages_behind_locked_groups_are_reported(endpoint: Endpoint) -> None:
    sqs = direct(endpoint)
    dlq_url, _ = make_queues(sqs, fifo=True)
    fill(sqs, dlq_url, 14, fifo=True)
    held = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=1, VisibilityTimeout=60)["Messages"]
    assert len(held) == 1
    result = ttgate("dlq", "redrive", queue_names(True)[0], "--manual")
    assert result.exit_code == 1, result.output
    assert "1 in flight" in result.output and "locked by in-flight messages" in result.output


def test_the_move_task_answering_500_falls_back_by_hand(endpoint: Endpoint) -> None:
    sqs = direct(endpoint)
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 12)
    endpoint.faults.unavailable = {"ListMessageMoveTasks", "StartMessageMoveTask"}
    result = ttgate("dlq", "redrive", queue_names(False)[0])
    assert result.exit_code == 0, result.output
    assert "the move task was not available (ListMessageMoveTasks answered InternalError (HTTP 500))" in (
        result.output
    )
    assert len(drain(sqs, source_url)) == 12


def test_a_redrive_by_hand_is_refused_while_a_move_task_runs(endpoint: Endpoint) -> None:
    sqs = direct(endpoint)
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 12)
    arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    running = {
        "Status": "RUNNING",
        "SourceArn": arn,
        "TaskHandle": "h",
        "ApproximateNumberOfMessagesMoved": 3,
    }
    endpoint.faults.canned = {"ListMessageMoveTasks": {"Results": [running]}}
    result = ttgate("dlq", "redrive", queue_names(False)[0], "--manual")
    assert result.exit_code == 2, result.output
    assert "a message move task is already running" in result.output
    assert drain(sqs, source_url) == []


def background_redrive(endpoint: Endpoint, cwd: Path) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    return subprocess.Popen(
        [sys.executable, "-m", "ttgate", "dlq", "redrive", queue_names(False)[0], "--manual"],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # A pytest-xdist worker ignores SIGINT, and an ignored signal stays ignored across exec: the
        # redrive would never see the Ctrl-C the test sends. A person's shell leaves it at its default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_two_redrives_of_one_dlq_do_not_run_at_once(endpoint: Endpoint, tmp_path: Path) -> None:
    sqs = direct(endpoint)
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 30)
    endpoint.faults.hold_after = 1
    first = background_redrive(endpoint, tmp_path)
    try:
        assert endpoint.faults.held.wait(60), "the first redrive never sent"
        second = ttgate("dlq", "redrive", queue_names(False)[0], "--manual")
        assert second.exit_code == 2, second.output
        assert "another redrive of tt-practice-dev-main-dlq is running" in second.output
    finally:
        endpoint.faults.release.set()
        output, _ = first.communicate(timeout=120)
    assert first.returncode == 0, output
    assert sorted(orders(drain(sqs, source_url))) == list(range(30))
    assert sqs.list_queue_tags(QueueUrl=dlq_url).get("Tags", {}) == {}  # the lock is released


def test_ctrl_c_says_what_was_moved_and_what_to_run(endpoint: Endpoint, tmp_path: Path) -> None:
    sqs = direct(endpoint)
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 30)
    endpoint.faults.hold_after = 2
    run = background_redrive(endpoint, tmp_path)
    try:
        assert endpoint.faults.held.wait(60), "the redrive never sent twice"
        # Ctrl-C while the send's answer is held: the run must stop there, not after the answer came
        # (releasing first let a loaded machine finish the whole redrive before the signal was seen).
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=60)
    finally:
        endpoint.faults.release.set()
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 130, output
    assert "Aborted!" not in output
    assert "interrupted: moved 10 message(s)" in output, output
    assert "to finish: ttgate dlq redrive tt-practice-dev-main-dlq --manual --journal" in output
    # the batch sent when Ctrl-C came is in the journal as in doubt; the rerun names its duplicates
    rerun = ttgate("dlq", "redrive", queue_names(False)[0], "--manual")
    arrived = Counter(orders(drain(sqs, source_url)))
    assert set(arrived) == set(range(30))
    assert sum(count - 1 for count in arrived.values()) <= counted(rerun), rerun.output
