"""SQS through boto3 (a client from :meth:`ttgate.integrations.aws.Aws.client`): queue look-ups whose
failures (a queue that does not exist, missing credentials, a denied call) are one-line UserErrors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ttgate.errors import UserError
from ttgate.integrations.aws import aws_error, error_code

MISSING_QUEUE_CODES = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


@dataclass(frozen=True)
class Queue:
    """A queue by name, URL and ARN; ``fifo`` from its name (SQS requires the .fifo suffix)."""

    name: str
    url: str
    arn: str

    @property
    def fifo(self) -> bool:
        return self.name.endswith(".fifo")


def queue_name(url_or_name: str) -> str:
    """The queue's name from its URL (the last path segment) or from the name itself."""
    return url_or_name.rstrip("/").rsplit("/", 1)[-1]


def find_queue(sqs: Any, url_or_name: str) -> Queue:
    """The queue named (or whose URL is) ``url_or_name``; refused in one line when it does not exist."""
    name = queue_name(url_or_name)
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    except Exception as error:
        if error_code(error) in MISSING_QUEUE_CODES:
            raise UserError(
                f"queue {name} does not exist in this account and region; check the name, --region "
                "and --profile (ttgate dlq status --env ENV lists the DLQs)"
            ) from None
        raise aws_error(error, f"finding queue {name}") from None
    return Queue(name=name, url=str(url), arn=str(arn))


def queue_attributes(sqs: Any, queue: Queue) -> dict[str, str]:
    """Every attribute of ``queue`` (counts, RedrivePolicy, timestamps), as SQS returns them."""
    try:
        response = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])
    except Exception as error:
        raise aws_error(error, f"reading the attributes of queue {queue.name}") from None
    return {str(key): str(value) for key, value in response.get("Attributes", {}).items()}


def dead_letter_sources(sqs: Any, dlq: Queue) -> list[str]:
    """The URLs of the queues whose redrive policy names ``dlq`` (all pages)."""
    try:
        pages = sqs.get_paginator("list_dead_letter_source_queues").paginate(QueueUrl=dlq.url)
        return [str(url) for page in pages for url in page.get("queueUrls", [])]
    except Exception as error:
        raise aws_error(error, f"listing the source queues of {dlq.name}") from None


def list_queue_urls(sqs: Any, prefix: str) -> list[str]:
    """The URLs of the queues whose names begin with ``prefix`` (all pages)."""
    try:
        pages = sqs.get_paginator("list_queues").paginate(QueueNamePrefix=prefix)
        return [str(url) for page in pages for url in page.get("QueueUrls", [])]
    except Exception as error:
        raise aws_error(error, f"listing the queues named {prefix}*") from None


__all__ = [
    "Queue",
    "dead_letter_sources",
    "find_queue",
    "list_queue_urls",
    "queue_attributes",
    "queue_name",
]
