"""`ttgate dlq peek`, `dlq investigate` and `logs` tell the truth and nothing else (moto): hostile
bodies and log lines print inert, secrets are masked by key and by value shape, a queue with its own
redrive policy is not peeked by default, investigate's counts and window follow the message."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from tests.operations.aws_backend import REGION
from tests.operations.dlq.queues import make_queues
from tests.operations.dlq.test_cli import make_consumer, ttgate
from ttgate.cli import main
from ttgate.operations.dlq.peek import masked_body

GROUP = "/aws/lambda/tt-practice-dev-worker"
HOSTILE = [
    "\x1b]0;pwned title\x07\x1b[2J",  # set the title, clear the screen
    "processing order 7 FAILED\r\x1b[2Kall processed",  # CR + erase line paints a fake success
    "\u202eevil\u202c reversed",  # a bidi override
    "::error::forged annotation",
    "::add-mask::nothing",
    "##[warning]legacy command",
]


def assert_inert(output: str) -> None:
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]", output), (
        output
    )
    assert not re.search(r"^\s*::", output, re.MULTILINE), output
    assert "##[" not in output


def test_hostile_bodies_and_log_lines_print_inert_everywhere(sqs: Any) -> None:
    dlq_url, source_url = make_queues(sqs)
    make_consumer(source_url)
    for body in HOSTILE:
        sqs.send_message(
            QueueUrl=dlq_url,
            MessageBody=body,
            MessageAttributes={"note": {"DataType": "String", "StringValue": body}},
        )
    sqs.send_message(QueueUrl=dlq_url, MessageBody=json.dumps({"lines": "\n".join(HOSTILE)}))
    sqs.send_message(QueueUrl=dlq_url, MessageBody="first line\n::error::second line")
    [first] = sqs.receive_message(QueueUrl=dlq_url, AttributeNames=["All"], VisibilityTimeout=0)["Messages"]
    sent = int(first["Attributes"]["SentTimestamp"])
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="s")
    logs.put_log_events(
        logGroupName=GROUP,
        logStreamName="s",
        logEvents=[{"timestamp": sent + n, "message": f"[ERROR] {line}"} for n, line in enumerate(HOSTILE)]
        + [{"timestamp": sent + 50, "message": "::error::at the start"}],
    )
    outputs = {
        "peek": ttgate("dlq", "peek", "tt-practice-dev-main-dlq", "-n", "10"),
        "peek json": ttgate("dlq", "peek", "tt-practice-dev-main-dlq", "-n", "10", "--format", "json"),
        "investigate": ttgate("dlq", "investigate", "tt-practice-dev-main-dlq"),
        "logs": ttgate("logs", "tt-practice-dev-worker", "--since", "1h"),
        "logs json": ttgate("logs", "tt-practice-dev-worker", "--since", "1h", "--json"),
    }
    for name, result in outputs.items():
        assert result.exit_code == 0, (name, result.output)
        assert_inert(result.output)
    assert "\\x1b]0;pwned title" in outputs["peek"].output  # shown, visibly
    assert "all processed" in outputs["logs"].output and "\\x0d\\x1b[2K" in outputs["logs"].output
    peeked = json.loads(outputs["peek json"].output)
    assert {message["body"] for message in peeked} >= set(HOSTILE)  # JSON keeps the values exact


@pytest.mark.parametrize(
    ("body", "secret", "kept"),
    [
        (  # an SNS envelope: the real message is JSON inside a JSON string
            json.dumps(
                {
                    "Type": "Notification",
                    "Message": json.dumps({"order": 7, "card": {"cvv": "1", "password": "hunter2"}}),
                }
            ),
            "hunter2",
            "Notification",
        ),
        ("order=7&password=hunter2&user=ann", "hunter2", "user=ann"),
        ("order=7&api_key=k-123", "k-123", "order=7"),
        (json.dumps({"db": "postgres://app:hunter2@db.internal:5432/orders"}), "hunter2", "db.internal"),
        ("connect mysql://root:s3cr3t@10.0.0.5/app failed", "s3cr3t", "10.0.0.5"),
        (json.dumps({"headers": {"X-Forward": "Bearer eyJhbGciOi.abc.def"}}), "eyJhbGciOi", "Bearer"),
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz", "Authorization"),
        (json.dumps({"client_secret": "cs-1", "Token": "t-1", "ok": 1}), "cs-1", '"ok": 1'),
        (json.dumps({"cfg": {"Authorization": "abc", "apiKey": "k-9"}}), "k-9", "cfg"),
        ("retrying with password=hunter2 token: t-77", "t-77", "retrying"),
        ("key AKIAABCDEFGHIJKLMNOP leaked", "AKIAABCDEFGHIJKLMNOP", "leaked"),
    ],
)
def test_secrets_are_masked_by_key_and_by_shape(body: str, secret: str, kept: str) -> None:
    shown = masked_body(body)
    assert secret not in shown and kept in shown


def test_a_queue_with_its_own_redrive_policy_is_not_peeked_by_default(sqs: Any) -> None:
    """Three peeks of such a queue moved its messages on to the next one."""
    _, source_url = make_queues(sqs)
    sqs.send_message(QueueUrl=source_url, MessageBody="{}")
    result = ttgate("dlq", "peek", "tt-practice-dev-main-queue")
    assert result.exit_code == 2, result.output
    assert "has a redrive policy of its own" in result.output and "after 3 receives" in result.output
    assert (
        sqs.get_queue_attributes(QueueUrl=source_url, AttributeNames=["All"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
        == "1"
    )
    anyway = ttgate("dlq", "peek", "tt-practice-dev-main-queue", "--despite-redrive-policy")
    assert anyway.exit_code == 0 and "has a redrive policy of its own" in anyway.output


def test_investigate_counts_without_its_own_receive_and_follows_the_retries(sqs: Any) -> None:
    dlq_url, source_url = make_queues(sqs)
    sqs.set_queue_attributes(QueueUrl=source_url, Attributes={"VisibilityTimeout": "240"})
    make_consumer(source_url)
    sqs.send_message(QueueUrl=dlq_url, MessageBody="{}")
    for _ in range(3):  # the consumer's three attempts
        [message] = sqs.receive_message(QueueUrl=dlq_url, AttributeNames=["All"], VisibilityTimeout=0)[
            "Messages"
        ]
    first = int(message["Attributes"]["ApproximateFirstReceiveTimestamp"])
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="s")
    logs.put_log_events(
        logGroupName=GROUP,
        logStreamName="s",
        logEvents=[
            {"timestamp": first, "message": "[ERROR] first attempt"},
            {"timestamp": first + 8 * 60 * 1000, "message": "[ERROR] third attempt, 8 minutes later"},
        ],
    )
    result = CliRunner().invoke(main, ["dlq", "investigate", "tt-practice-dev-main-dlq"])
    assert result.exit_code == 0, result.output
    assert "received 3 time(s) before this look" in result.output
    assert "third attempt" in result.output and "errors (2):" in result.output
