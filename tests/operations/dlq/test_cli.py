"""`ttgate dlq` end to end (moto in-process, and moto's server over HTTP): status, peek, investigate,
redrive, and the one-line errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from tests.operations.aws_backend import REGION, fake_credentials
from tests.operations.dlq.queues import drain, expected, fast_moto_counts, fill, make_queues, queue_names
from ttgate.cli import main


def ttgate(*arguments: str) -> Any:
    return CliRunner().invoke(main, list(arguments))


def test_redrive_dry_run_moves_nothing(sqs: Any) -> None:
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 12)
    result = ttgate("dlq", "redrive", "tt-practice-dev-main-dlq", "--dry-run")
    assert result.exit_code == 0, result.output
    assert (
        "tt-practice-dev-main-dlq: 12 visible, 0 in flight; would move all to tt-practice-dev-main-queue"
        in result.output
    )
    assert "with move-task" in result.output and "dry run: nothing moved" in result.output
    assert (len(drain(sqs, source_url)), len(drain(sqs, dlq_url))) == (0, 12)


def test_redrive_falls_back_by_hand_where_there_is_no_move_task(sqs: Any) -> None:
    dlq_url, source_url = make_queues(sqs, fifo=True)
    fill(sqs, dlq_url, 25, fifo=True)
    result = ttgate("dlq", "redrive", queue_names(True)[0])
    assert result.exit_code == 0, result.output
    assert "the move task was not available" in result.output and "moved 25 message(s)" in result.output
    assert sorted(drain(sqs, source_url), key=repr) == expected(25, fifo=True)
    assert not Path(".ttgate/redrive/tt-practice-dev-main-dlq.fifo.jsonl").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["dlq", "redrive", "tt-practice-dev-nope-dlq"], "queue tt-practice-dev-nope-dlq does not exist"),
        (["dlq", "redrive", "tt-practice-dev-main-queue"], "is not a dead-letter queue"),
        (["dlq", "redrive", "tt-practice-dev-main-dlq", "--rate", "900"], "at most 500/s"),
        (["dlq", "redrive", "tt-practice-dev-main-dlq", "--max", "0"], "--max 0: give at least 1"),
        (["dlq", "peek", "tt-practice-dev-gone-dlq"], "queue tt-practice-dev-gone-dlq does not exist"),
        (["dlq", "status", "--env", "qa"], "unknown environment 'qa'"),
        (["logs", "tt-practice-dev-worker", "--since", "ten minutes"], "--since 'ten minutes'"),
    ],
)
def test_user_errors_are_one_line_exit_2(sqs: Any, arguments: list[str], message: str) -> None:
    make_queues(sqs)
    result = ttgate(*arguments)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_no_credentials_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_credentials(monkeypatch, tmp_path)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = ttgate("dlq", "peek", "tt-practice-dev-main-dlq")
    assert result.exit_code == 2 and "no usable AWS credentials" in result.output


@pytest.mark.slow
def test_peek_leaves_messages_visible_and_masks_secrets(sqs: Any) -> None:
    dlq_url, _ = make_queues(sqs)
    sqs.send_message(
        QueueUrl=dlq_url,
        MessageBody=json.dumps({"order": 7, "password": "hunter2", "nested": {"api_key": "k-123"}}),
        MessageAttributes={
            "AuthToken": {"DataType": "String", "StringValue": "tok-secret"},
            "kind": {"DataType": "String", "StringValue": "refund"},
        },
    )
    result = ttgate("dlq", "peek", "tt-practice-dev-main-dlq", "-n", "3")
    assert result.exit_code == 0, result.output
    assert "kind = refund" in result.output and '"order": 7' in result.output
    assert (
        "hunter2" not in result.output and "tok-secret" not in result.output and "k-123" not in result.output
    )
    assert "received 0 time(s) before this peek" in result.output and " UTC (" in result.output
    shown = ttgate("dlq", "peek", "tt-practice-dev-main-dlq", "--show-sensitive", "--format", "json")
    assert json.loads(shown.output)[0]["attributes"]["AuthToken"] == "tok-secret"
    assert len(drain(sqs, dlq_url)) == 1  # still there, visible at once


def test_status_lists_the_dlqs_with_source_consumer_and_alarm(sqs: Any) -> None:
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 4)
    sqs.create_queue(QueueName="tt-practice-dev-other-queue")  # not a DLQ
    make_consumer(source_url)
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    cloudwatch.put_metric_alarm(
        AlarmName="tt-practice-dev-main-dlq-messages-alarm",
        MetricName="ApproximateNumberOfMessagesVisible",
        Namespace="AWS/SQS",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    result = ttgate("dlq", "status", "--env", "dev", "--format", "json")
    assert result.exit_code == 0, result.output
    [status] = json.loads(result.output)["dlqs"]
    assert status["name"] == "tt-practice-dev-main-dlq"
    assert (status["sources"], status["consumers"]) == (
        ["tt-practice-dev-main-queue"],
        ["tt-practice-dev-worker"],
    )
    assert status["alarm"] == "tt-practice-dev-main-dlq-messages-alarm" and status["alarm_state"] is not None


def make_consumer(source_url: str) -> None:
    """The Lambda tt-practice-dev-worker, reading the source queue through an event source mapping."""
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="worker", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lambdas = boto3.client("lambda", region_name=REGION)
    import io
    import zipfile

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("handler.py", "def handler(event, context):\n    return None\n")
    lambdas.create_function(
        FunctionName="tt-practice-dev-worker",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": archive.getvalue()},
    )
    sqs = boto3.client("sqs", region_name=REGION)
    arn = sqs.get_queue_attributes(QueueUrl=source_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lambdas.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="tt-practice-dev-worker", Enabled=False
    )


def test_investigate_shows_the_consumers_errors_around_the_message(sqs: Any) -> None:
    dlq_url, source_url = make_queues(sqs)
    make_consumer(source_url)
    sqs.send_message(QueueUrl=dlq_url, MessageBody="{}")
    [message] = sqs.receive_message(QueueUrl=dlq_url, AttributeNames=["All"], VisibilityTimeout=0)["Messages"]
    sent = int(message["Attributes"]["SentTimestamp"])
    logs = boto3.client("logs", region_name=REGION)
    group = "/aws/lambda/tt-practice-dev-worker"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    request = "3f1c2b4a-1111-4222-8333-944455556666"
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": sent - 6 * 60 * 1000, "message": "[ERROR] too early, outside the window"},
            {"timestamp": sent - 1000, "message": f"START RequestId: {request} Version: $LATEST"},
            {
                "timestamp": sent,
                "message": f"[ERROR]\t2025-01-01T00:00:00.000Z\t{request}\tKeyError: 'order'",
            },
            {"timestamp": sent + 4 * 60 * 1000, "message": "[INFO] later, inside"},
        ],
    )
    result = ttgate("dlq", "investigate", "tt-practice-dev-main-dlq")
    assert result.exit_code == 0, result.output
    assert f"request ids with errors: {request}" in result.output
    assert "errors (1):" in result.output and "KeyError: 'order'" in result.output
    assert "3 event(s) from " in result.output and "too early" not in result.output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.moto_server
@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_redrive_through_motos_server_over_http(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fifo: bool
) -> None:
    from moto.server import ThreadedMotoServer

    fake_credentials(monkeypatch, tmp_path)
    fast_moto_counts(monkeypatch)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
        dlq_url, source_url = make_queues(sqs, fifo=fifo)
        fill(sqs, dlq_url, 1000, fifo=fifo)
        result = ttgate("dlq", "redrive", queue_names(fifo)[0], "--manual")
        assert result.exit_code == 0, result.output
        assert "moved 1000 message(s)" in result.output
        assert sorted(drain(sqs, source_url), key=repr) == expected(1000, fifo=fifo)
        assert drain(sqs, dlq_url) == []
    finally:
        server.stop()


def test_a_queue_url_of_another_region_is_refused_not_cut_to_its_name(sqs: Any) -> None:
    """A us-east-1 URL redrove ap-southeast-1's queue of the same name."""
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 3)
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/tt-practice-dev-main-dlq"
    result = ttgate("dlq", "redrive", url)
    assert result.exit_code == 2, result.output
    assert "is a queue in us-east-1, and this session is in ap-southeast-1" in result.output
    assert drain(sqs, source_url) == []


def test_a_destination_in_another_account_is_refused_not_a_local_namesake(sqs: Any) -> None:
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 3)
    other = "https://sqs.ap-southeast-1.amazonaws.com/999999999999/tt-practice-dev-main-queue"
    result = ttgate("dlq", "redrive", "tt-practice-dev-main-dlq", "--manual", "--to", other)
    assert result.exit_code == 2, result.output
    assert "is a queue of account 999999999999, and these credentials are account 123456789012" in (
        result.output
    )
    assert drain(sqs, source_url) == []


def test_urls_and_arns_of_this_account_and_region_are_used_whole(sqs: Any) -> None:
    dlq_url, source_url = make_queues(sqs)
    fill(sqs, dlq_url, 3)
    arn = "arn:aws:sqs:ap-southeast-1:123456789012:tt-practice-dev-main-queue"
    url = "https://sqs.ap-southeast-1.amazonaws.com/123456789012/tt-practice-dev-main-dlq"
    result = ttgate("dlq", "redrive", url, "--manual", "--to", arn)
    assert result.exit_code == 0, result.output
    assert "done: tt-practice-dev-main-dlq is empty" in result.output
    assert len(drain(sqs, source_url)) == 3


def test_ctrl_c_outside_the_copy_loop_says_what_to_run(sqs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Taking the lock or counting what is left is outside the loop that reports its own interrupt."""
    import ttgate.operations.dlq.redrive as redrive_module

    def interrupted(*_: Any, **__: Any) -> Any:
        raise KeyboardInterrupt

    dlq_url, _ = make_queues(sqs)
    fill(sqs, dlq_url, 3)
    monkeypatch.setattr(redrive_module, "redrive", interrupted)
    result = ttgate("dlq", "redrive", "tt-practice-dev-main-dlq", "--manual")
    assert result.exit_code == 130, result.output
    assert "Aborted!" not in result.output
    assert "finish with `ttgate dlq redrive tt-practice-dev-main-dlq --manual`" in result.output
