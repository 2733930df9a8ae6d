"""Read DLQ messages without consuming them: received with a short visibility timeout, made visible
again at once, never deleted. (Each read still counts in ApproximateReceiveCount: SQS counts every
receive.) Attributes whose names look sensitive are masked unless asked, in the body's JSON too."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ttgate.integrations.aws import aws_error

if TYPE_CHECKING:
    from ttgate.integrations.sqs import Queue

PEEK_VISIBILITY_SECONDS = 20  # long enough to read a few batches without seeing a message twice
SENSITIVE = re.compile(
    r"pass(word|wd)?|secret|token|credential|api[-_]?key|private[-_]?key|auth|cookie|session|signature",
    re.IGNORECASE,
)
MASK = "***"


@dataclass(frozen=True)
class PeekedMessage:
    message_id: str
    body: str
    attributes: dict[str, str]  # message attributes (name -> value as text)
    receive_count: int
    sent: datetime | None
    group_id: str | None
    deduplication_id: str | None

    @classmethod
    def from_response(cls, message: dict[str, Any]) -> PeekedMessage:
        system = message.get("Attributes", {})
        sent = system.get("SentTimestamp")
        return cls(
            message_id=str(message["MessageId"]),
            body=str(message.get("Body", "")),
            attributes={
                name: str(value.get("StringValue", value.get("BinaryValue", "")))
                for name, value in message.get("MessageAttributes", {}).items()
            },
            receive_count=int(system.get("ApproximateReceiveCount", 0)),
            sent=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
            group_id=system.get("MessageGroupId"),
            deduplication_id=system.get("MessageDeduplicationId"),
        )

    @property
    def sent_ms(self) -> int | None:
        return int(self.sent.timestamp() * 1000) if self.sent else None

    def shown(self, *, show_sensitive: bool = False) -> PeekedMessage:
        """This message with sensitive-looking attributes and JSON keys masked (unless ``show_sensitive``)."""
        if show_sensitive:
            return self
        attributes = {
            name: MASK if SENSITIVE.search(name) else value for name, value in self.attributes.items()
        }
        return PeekedMessage(
            self.message_id,
            masked_body(self.body),
            attributes,
            self.receive_count,
            self.sent,
            self.group_id,
            self.deduplication_id,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "body": self.body,
            "attributes": self.attributes,
            "receive_count": self.receive_count,
            "sent": self.sent.isoformat().replace("+00:00", "Z") if self.sent else None,
            "group_id": self.group_id,
            "deduplication_id": self.deduplication_id,
        }


def masked_body(body: str) -> str:
    """The body as pretty JSON with sensitive-looking keys masked; a body that is not JSON, as it is."""
    try:
        document = json.loads(body)
    except ValueError:
        return body
    return json.dumps(_mask(document), indent=2, ensure_ascii=False)


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: MASK if SENSITIVE.search(str(key)) else _mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return value


def peek(sqs: Any, dlq: Queue, count: int) -> list[PeekedMessage]:
    """Up to ``count`` messages of ``dlq``, each once, left in the queue and visible again."""
    seen: dict[str, dict[str, Any]] = {}
    try:
        while len(seen) < count:
            response = sqs.receive_message(
                QueueUrl=dlq.url,
                MaxNumberOfMessages=min(10, count - len(seen)),
                AttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
                VisibilityTimeout=PEEK_VISIBILITY_SECONDS,
                WaitTimeSeconds=1,
            )
            fresh = [m for m in response.get("Messages", []) if m["MessageId"] not in seen]
            if not fresh:
                break
            seen.update((message["MessageId"], message) for message in fresh)
    except Exception as error:
        raise aws_error(error, f"reading messages of {dlq.name}") from None
    finally:
        _make_visible(sqs, dlq, list(seen.values()))
    return [PeekedMessage.from_response(message) for message in seen.values()]


def _make_visible(sqs: Any, dlq: Queue, messages: list[dict[str, Any]]) -> None:
    for start in range(0, len(messages), 10):
        entries = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
            for index, message in enumerate(messages[start : start + 10])
        ]
        try:
            sqs.change_message_visibility_batch(QueueUrl=dlq.url, Entries=entries)
        except Exception as error:
            raise aws_error(
                error,
                f"making peeked messages of {dlq.name} visible again (they return by themselves in "
                f"{PEEK_VISIBILITY_SECONDS} s)",
            ) from None


__all__ = ["PeekedMessage", "masked_body", "peek"]
