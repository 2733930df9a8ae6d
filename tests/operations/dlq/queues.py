"""The runbook's dev queue and DLQ in moto (or moto's server), filled with messages that carry every
kind of attribute, and read back whole: shared by the dlq tests and the redrive benchmark."""

from __future__ import annotations

import json
from typing import Any

PROJECT_ENV = "tt-practice-dev"
GROUPS = 7  # FIFO message groups the test messages are spread over


def queue_names(fifo: bool) -> tuple[str, str]:
    """(DLQ, source queue) with the policy's names."""
    suffix = ".fifo" if fifo else ""
    return f"{PROJECT_ENV}-main-dlq{suffix}", f"{PROJECT_ENV}-main-queue{suffix}"


def make_queues(sqs: Any, *, fifo: bool = False) -> tuple[str, str]:
    """Create the DLQ and its source queue (max receive count 3); returns their URLs."""
    dlq_name, source_name = queue_names(fifo)
    extra = {"FifoQueue": "true"} if fifo else {}
    dlq_url = sqs.create_queue(QueueName=dlq_name, Attributes=extra)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
    source_url = sqs.create_queue(QueueName=source_name, Attributes={**extra, "RedrivePolicy": redrive})[
        "QueueUrl"
    ]
    return dlq_url, source_url


def message(number: int, *, fifo: bool) -> dict[str, Any]:
    """A SendMessageBatch entry with a JSON body and String, Number and Binary attributes."""
    entry: dict[str, Any] = {
        "Id": str(number % 10),
        "MessageBody": json.dumps({"order": number, "text": "ünïcode ✓"}),
        "MessageAttributes": {
            "kind": {"DataType": "String", "StringValue": f"kind-{number % 3}"},
            "attempt": {"DataType": "Number", "StringValue": str(number)},
            "blob": {"DataType": "Binary", "BinaryValue": number.to_bytes(4, "big")},
        },
    }
    if fifo:
        entry["MessageGroupId"] = f"group-{number % GROUPS}"
        entry["MessageDeduplicationId"] = f"dedup-{number}"
    return entry


def fill(sqs: Any, url: str, count: int, *, fifo: bool = False) -> None:
    for start in range(0, count, 10):
        entries = [message(number, fifo=fifo) for number in range(start, min(start + 10, count))]
        response = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        assert not response.get("Failed"), response


def drain(sqs: Any, url: str) -> list[tuple[Any, ...]]:
    """Every message of the queue as (body, attributes, group id), read and deleted, in arrival order."""
    found: list[tuple[Any, ...]] = []
    while True:
        response = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=60,
        )
        messages = response.get("Messages", [])
        if not messages:
            return found
        for received in messages:
            attributes = {
                name: value.get("StringValue", value.get("BinaryValue"))
                for name, value in received.get("MessageAttributes", {}).items()
            }
            group = received.get("Attributes", {}).get("MessageGroupId")
            found.append((received["Body"], tuple(sorted(attributes.items())), group))
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )


def expected(count: int, *, fifo: bool) -> list[tuple[Any, ...]]:
    """What :func:`drain` reads from a queue :func:`fill` filled, sorted."""
    rows = []
    for number in range(count):
        entry = message(number, fifo=fifo)
        attributes = {
            name: value.get("StringValue", value.get("BinaryValue"))
            for name, value in entry["MessageAttributes"].items()
        }
        rows.append((entry["MessageBody"], tuple(sorted(attributes.items())), entry.get("MessageGroupId")))
    return sorted(rows, key=repr)


def fast_moto_counts(monkeypatch: Any) -> None:
    """moto reads every queue attribute, counting all messages, on each FIFO send and receive: moving
    1,000 messages takes minutes. The counts are not what these tests check; make them free."""
    from moto.sqs.models import Queue

    for count in (
        "approximate_number_of_messages",
        "approximate_number_of_messages_not_visible",
        "approximate_number_of_messages_delayed",
    ):
        monkeypatch.setattr(Queue, count, property(lambda _: 0))
