"""Read DLQ messages without consuming them: received with a short visibility timeout, made visible
again at once, never deleted.

Each read still counts in ApproximateReceiveCount (SQS counts every receive): the count shown leaves
out peek's own receive, and a DLQ that has a redrive policy of its own is refused by default, since
after its maxReceiveCount peeks SQS moves a message on to the next queue.

Secrets are masked unless asked: by key (attributes, JSON keys at any depth, JSON inside JSON strings
such as SNS envelopes' ``Message``, form-encoded bodies) and by value shape (passwords in URLs,
bearer and basic credentials, ``password=...`` in free text, AWS access key ids).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError
from ttgate.integrations.aws import aws_error

if TYPE_CHECKING:
    from ttgate.integrations.sqs import Queue

PEEK_VISIBILITY_SECONDS = 20  # long enough to read a few batches without seeing a message twice
SENSITIVE = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|token|credential|api[-_]?key|access[-_]?key|private[-_]?key"
    r"|auth|cookie|session|signature|dsn|connection[-_]?string|client[-_]?secret",
    re.IGNORECASE,
)
MASK = "***"
_KEY = r"[A-Za-z0-9_.\-]*(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[-_]?key|access[-_]?key|auth\w*)"
# user:password@ in a URL or DSN (postgres://app:hunter2@db:5432/app)
_DSN_PASSWORD = re.compile(r"([A-Za-z][\w+.\-]*://[^\s:/@]*:)([^\s@/]+)(@)")
_BEARER = re.compile(r"\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
_KEY_VALUE = re.compile(rf"(\b{_KEY}\b\s*[=:]\s*)(\"?)([^\s\"&,;]+)", re.IGNORECASE)
_ACCESS_KEY_ID = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
_FORM = re.compile(r"[\w.\-%+\[\]]+=[^&\s]*(?:&[\w.\-%+\[\]]+=[^&\s]*)*")


@dataclass(frozen=True)
class PeekedMessage:
    message_id: str
    body: str
    attributes: dict[str, str]  # message attributes (name -> value as text)
    receive_count: int
    sent: datetime | None
    group_id: str | None
    deduplication_id: str | None

    first_receive_ms: int | None = None  # ApproximateFirstReceiveTimestamp

    @classmethod
    def from_response(cls, message: dict[str, Any], own_receives: int = 1) -> PeekedMessage:
        """The message as received; ``own_receives`` (peek's own) are left out of the receive count."""
        system = message.get("Attributes", {})
        sent = system.get("SentTimestamp")
        first = system.get("ApproximateFirstReceiveTimestamp")
        return cls(
            message_id=str(message["MessageId"]),
            body=str(message.get("Body", "")),
            attributes={
                name: str(value.get("StringValue", value.get("BinaryValue", "")))
                for name, value in message.get("MessageAttributes", {}).items()
            },
            receive_count=max(0, int(system.get("ApproximateReceiveCount", 0)) - own_receives),
            sent=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
            group_id=system.get("MessageGroupId"),
            deduplication_id=system.get("MessageDeduplicationId"),
            first_receive_ms=int(first) if first else None,
        )

    @property
    def sent_ms(self) -> int | None:
        return int(self.sent.timestamp() * 1000) if self.sent else None

    def shown(self, *, show_sensitive: bool = False) -> PeekedMessage:
        """This message with sensitive-looking attributes and JSON keys masked (unless ``show_sensitive``)."""
        if show_sensitive:
            return self
        attributes = {
            name: MASK if SENSITIVE.search(name) else mask_text(value)
            for name, value in self.attributes.items()
        }
        return PeekedMessage(
            self.message_id,
            masked_body(self.body),
            attributes,
            self.receive_count,
            self.sent,
            self.group_id,
            self.deduplication_id,
            self.first_receive_ms,
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


def mask_text(text: str) -> str:
    """Secrets found by their shape in free text: URL passwords, bearer tokens, key=value, key ids."""
    text = _DSN_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = _BEARER.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    text = _KEY_VALUE.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    return _ACCESS_KEY_ID.sub(MASK, text)


def _mask_form(body: str) -> str:
    def pair(text: str) -> str:
        key, _, _ = text.partition("=")
        from urllib.parse import unquote_plus

        return f"{key}={MASK}" if SENSITIVE.search(unquote_plus(key)) else mask_text(text)

    return "&".join(pair(part) for part in body.split("&"))


def masked_body(body: str) -> str:
    """The body with its secrets masked: JSON pretty-printed (JSON inside strings too), a form-encoded
    body pair by pair, any other text by the shape of its values."""
    try:
        document = json.loads(body)
    except ValueError:
        if _FORM.fullmatch(body.strip()):
            return _mask_form(body.strip())
        return mask_text(body)
    return json.dumps(_mask(document), indent=2, ensure_ascii=False)


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: MASK if SENSITIVE.search(str(key)) else _mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item) for item in value]
    if isinstance(value, str):
        inner = value.strip()
        if inner[:1] in ("{", "["):  # an SNS envelope's Message, an EventBridge detail as text
            try:
                return json.dumps(_mask(json.loads(inner)), ensure_ascii=False)
            except ValueError:
                pass
        if _FORM.fullmatch(inner) and "=" in inner and "&" in inner:
            return _mask_form(inner)
        return mask_text(value)
    return value


class RedrivePolicyHere(UserError):
    """The queue has a redrive policy: receiving its messages moves them on after maxReceiveCount."""


def refuse_if_receives_move_messages(sqs: Any, queue: Queue, *, allowed: bool) -> str | None:
    """A warning when ``queue`` has its own redrive policy (refused unless ``allowed``), else None."""
    from ttgate.integrations.sqs import queue_attributes, queue_name

    redrive = queue_attributes(sqs, queue, ["RedrivePolicy"]).get("RedrivePolicy")
    if not redrive:
        return None
    try:
        policy = json.loads(redrive)
        target, count = queue_name(str(policy.get("deadLetterTargetArn", "?"))), policy.get("maxReceiveCount")
    except (ValueError, AttributeError):
        target, count = "?", "?"
    warning = (
        f"{queue.name} has a redrive policy of its own: each peek is a receive, and after {count} "
        f"receives SQS moves a message on to {target}"
    )
    if not allowed:
        raise RedrivePolicyHere(f"{warning}; refused (pass --despite-redrive-policy to read it anyway)")
    return warning


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


__all__ = ["PeekedMessage", "mask_text", "masked_body", "peek", "refuse_if_receives_move_messages"]
