"""SQS through boto3 (a client from :meth:`ttgate.integrations.aws.Aws.client`): queue look-ups whose
failures (a queue that does not exist, missing credentials, a denied call) are one-line UserErrors."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

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
    """The queue's name from its URL (the last path segment), its ARN, or the name itself.

    Only for showing and matching names: a queue is found by :func:`find_queue`, which keeps the
    region and account a URL or ARN names.
    """
    text = url_or_name.rstrip("/")
    if text.startswith("arn:"):
        return text.rsplit(":", 1)[-1]
    return text.rsplit("/", 1)[-1]


# sqs.REGION.amazonaws.com, REGION.queue.amazonaws.com, vpce-...sqs.REGION.vpce.amazonaws.com, .com.cn
_REGION_IN_HOST = re.compile(r"(?:^|\.)([a-z]{2}(?:-[a-z]+)+-\d)\.")


@dataclass(frozen=True)
class QueueAddress:
    """What a queue URL or ARN says: the name, and the region and account when it names them."""

    name: str
    region: str | None
    account: str | None
    given: str

    @classmethod
    def parse(cls, text: str) -> QueueAddress:
        value = text.strip()
        if value.startswith("arn:"):
            parts = value.split(":")
            if len(parts) != 6 or parts[2] != "sqs" or not parts[5]:
                raise UserError(f"{value}: not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)")
            return cls(parts[5], parts[3] or None, parts[4] or None, value)
        if "://" not in value:
            if "/" in value or not value:
                raise UserError(f"{value!r}: give a queue name, URL or ARN")
            return cls(value, None, None, value)
        parsed = urlparse(value)
        segments = [segment for segment in parsed.path.split("/") if segment]
        if len(segments) != 2 or not segments[0].isdigit():
            raise UserError(f"{value}: not an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)")
        host = (parsed.hostname or "").lower()
        match = _REGION_IN_HOST.search(host)
        region = match.group(1) if match else None
        if region is None and host == "queue.amazonaws.com":
            region = "us-east-1"  # the legacy global endpoint
        return cls(segments[1], region, segments[0], value)


@dataclass(frozen=True)
class SqsClients:
    """The SQS clients a redrive uses: ``main`` retries throttling and 5xx; ``sender`` never retries
    by itself (a SendMessageBatch answered 5xx may have been carried out: the caller reconciles);
    ``probe`` gives up soon (the move task API, whose failure only means redriving by hand)."""

    main: Any
    sender: Any
    probe: Any

    @classmethod
    def single(cls, client: Any) -> SqsClients:
        return cls(client, client, client)


def find_queue(sqs: Any, url_or_name: str, *, account: Callable[[], str] | None = None) -> Queue:
    """The queue named ``url_or_name`` (a name, a URL or an ARN); refused in one line when it does not
    exist, or when a URL or ARN names another region than the client's, or another account than
    ``account()`` (the credentials'): a queue of the same name here is never used instead."""
    address = QueueAddress.parse(url_or_name)
    name = address.name
    region = getattr(getattr(sqs, "meta", None), "region_name", None)
    if address.region and region and address.region != region:
        raise UserError(
            f"{address.given} is a queue in {address.region}, and this session is in {region}: "
            f"pass --region {address.region} (a queue named {name} here is not that queue)"
        )
    mine = account() if account is not None and address.account else None
    if address.account and mine and address.account != mine:
        raise UserError(
            f"{address.given} is a queue of account {address.account}, and these credentials are "
            f"account {mine}: use a profile of that account (a queue named {name} here is not that queue)"
        )
    arguments: dict[str, Any] = {"QueueName": name}
    if address.account:
        arguments["QueueOwnerAWSAccountId"] = address.account
    try:
        url = sqs.get_queue_url(**arguments)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    except Exception as error:
        if error_code(error) in MISSING_QUEUE_CODES:
            where = f" {address.given}" if address.given != name else ""
            raise UserError(
                f"queue {name}{where} does not exist in this account and region; check the name, "
                "--region and --profile (ttgate dlq status --env ENV lists the DLQs)"
            ) from None
        raise aws_error(error, f"finding queue {name}") from None
    if address.account and QueueAddress.parse(str(arn)).account not in (None, address.account):
        raise UserError(f"{address.given}: SQS answered with {arn}, another account's queue; refused")
    return Queue(name=name, url=str(url), arn=str(arn))


def queue_attributes(sqs: Any, queue: Queue, names: list[str] | None = None) -> dict[str, str]:
    """The attributes of ``queue`` (all, or ``names``: counts, RedrivePolicy...), as SQS returns them."""
    try:
        response = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=names or ["All"])
    except Exception as error:
        raise aws_error(error, f"reading the attributes of queue {queue.name}") from None
    return {str(key): str(value) for key, value in response.get("Attributes", {}).items()}


def dead_letter_sources(sqs: Any, dlq: Queue) -> list[str]:
    """The URLs of the queues whose redrive policy names ``dlq`` (all pages)."""
    try:
        pages = sqs.get_paginator("list_dead_letter_source_queues").paginate(
            QueueUrl=dlq.url, PaginationConfig={"PageSize": 1000}
        )
        return [str(url) for page in pages for url in page.get("queueUrls", [])]
    except Exception as error:
        raise aws_error(error, f"listing the source queues of {dlq.name}") from None


def list_queue_urls(sqs: Any, prefix: str) -> list[str]:
    """The URLs of the queues whose names begin with ``prefix`` (all pages)."""
    try:
        # ListQueues returns a NextToken only when MaxResults is given: without it, 1,000 queues at most
        pages = sqs.get_paginator("list_queues").paginate(
            QueueNamePrefix=prefix, PaginationConfig={"PageSize": 1000}
        )
        return [str(url) for page in pages for url in page.get("QueueUrls", [])]
    except Exception as error:
        raise aws_error(error, f"listing the queues named {prefix}*") from None


__all__ = [
    "Queue",
    "QueueAddress",
    "SqsClients",
    "dead_letter_sources",
    "find_queue",
    "list_queue_urls",
    "queue_attributes",
    "queue_name",
]
