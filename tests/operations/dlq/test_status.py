"""`ttgate dlq status` finds every DLQ (moto): past ListQueues' first 1,000 queues, and whatever its
name, when a redrive policy of the environment names it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from tests.operations.dlq.queues import fill, make_queues
from ttgate.cli import main


def status(env: str = "dev") -> dict[str, Any]:
    result = CliRunner().invoke(main, ["dlq", "status", "--env", env, "--format", "json"])
    assert result.exit_code == 0, result.output
    return {dlq["name"]: dlq for dlq in json.loads(result.output)["dlqs"]}


@pytest.mark.slow
def test_every_page_of_list_queues_is_read(sqs: Any) -> None:
    """ListQueues without MaxResults stops at 1,000 queues: "no DLQs in dev" while one held 42."""
    for number in range(2999):
        sqs.create_queue(QueueName=f"tt-practice-dev-a{number:04d}-queue")
    dlq_url, _ = make_queues(sqs)  # tt-practice-dev-main-*: after the 2,999 others
    fill(sqs, dlq_url, 42)
    assert status()["tt-practice-dev-main-dlq"]["visible"] == 42


def test_a_dlq_outside_the_environment_prefix_is_found_by_its_redrive_policy(sqs: Any) -> None:
    dlq_url = sqs.create_queue(QueueName="legacy-orders-deadletter")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3})
    sqs.create_queue(QueueName="tt-practice-dev-orders-queue", Attributes={"RedrivePolicy": redrive})
    fill(sqs, dlq_url, 3)
    found = status()["legacy-orders-deadletter"]
    assert (found["visible"], found["sources"]) == (3, ["tt-practice-dev-orders-queue"])
