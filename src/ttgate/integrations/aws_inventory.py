"""What is deployed in one account and region, read-only: the resources the runbook's rules read.

SQS queues with their attributes, Lambda functions and their event source mappings, CloudWatch metric
alarms and log groups, every page of each. Only List, Get and Describe calls are made
(:data:`OPERATIONS`); a test holds the set of operations sent to the read-only ones.

Each service is read on its own: access denied on one (the role lacks ``logs:DescribeLogGroups``) is
recorded with the permission it needs and the others are still read. Throttling and 5xx are retried by
the :class:`~ttgate.integrations.aws.Aws` clients (botocore's standard mode). A run makes at most
``max_calls`` calls: past that, what was not read is recorded, never guessed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ttgate.errors import UserError
from ttgate.gate.deployed.inventory import OPERATIONS, Inventory
from ttgate.integrations.aws import Aws, aws_error, error_code

DEFAULT_MAX_CALLS = 5_000
QUEUE_READERS = 8  # GetQueueAttributes calls in flight at once
_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "UnrecognizedClientException",
}
_GONE = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NonExistentQueue"}


class _CallBound(Exception):
    pass


class InventoryReader:
    """Reads an :class:`Inventory` through ``aws``'s clients, at most ``max_calls`` calls."""

    def __init__(self, aws: Aws, max_calls: int = DEFAULT_MAX_CALLS) -> None:
        self._aws = aws
        self._max_calls = max_calls
        self._lock = threading.Lock()

    def read(self) -> Inventory:
        inventory = Inventory(account=None, region=self._aws.region_name())
        self._inventory = inventory
        for service, reader in (
            ("sqs", self._queues),
            ("lambda", self._functions),
            ("cloudwatch", self._alarms),
            ("logs", self._log_groups),
        ):
            try:
                reader()
            except _CallBound:
                inventory.unread.append(
                    f"{service}: stopped at the bound of {self._max_calls} calls (--max-calls)"
                )
        return inventory

    def _call(self, service: str, operation: str, **arguments: Any) -> dict[str, Any]:
        """One call, counted and bounded; access denied comes back as PermissionError."""
        inventory = self._inventory
        with self._lock:
            if sum(inventory.calls.values()) >= self._max_calls:
                raise _CallBound
            inventory.calls[f"{service}:{operation}"] += 1
        method = getattr(self._aws.client(service), _snake(operation))
        try:
            answer = method(**arguments)
        except Exception as error:
            code = error_code(error)
            if code in _DENIED:
                raise PermissionError(f"{service}:{operation}") from None
            if code in _GONE:
                raise LookupError(code) from None
            raise aws_error(error, f"reading {service} ({service}:{operation})") from None
        return dict(answer)

    def _pages(
        self, service: str, operation: str, items: str, token_in: str, token_out: str, **arguments: Any
    ) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            page = self._call(service, operation, **arguments, **({token_in: token} if token else {}))
            yield from page.get(items) or []
            token = page.get(token_out)
            if not token:
                return

    def _denied(self, read: Callable[[], None]) -> None:
        try:
            read()
        except PermissionError as error:
            self._inventory.denied.append(str(error))

    def _queues(self) -> None:
        def attributes(url: str) -> dict[str, Any] | None:
            try:
                answer = self._call("sqs", "GetQueueAttributes", QueueUrl=url, AttributeNames=["All"])
            except LookupError:  # deleted between the list and the read
                return None
            return {"QueueUrl": url, "Attributes": answer.get("Attributes") or {}}

        def read() -> None:
            urls = list(
                self._pages("sqs", "ListQueues", "QueueUrls", "NextToken", "NextToken", MaxResults=1000)
            )
            # One GetQueueAttributes per queue: a few at a time, as a console page does, so a thousand
            # queues take seconds rather than a minute of round trips (the client is thread-safe).
            with ThreadPoolExecutor(max_workers=QUEUE_READERS) as pool:
                read_queues = list(pool.map(attributes, urls))
            self._inventory.queues.extend(queue for queue in read_queues if queue is not None)

        self._denied(read)

    def _functions(self) -> None:
        def functions() -> None:
            self._inventory.functions.extend(
                self._pages("lambda", "ListFunctions", "Functions", "Marker", "NextMarker")
            )

        def mappings() -> None:
            self._inventory.mappings.extend(
                self._pages(
                    "lambda", "ListEventSourceMappings", "EventSourceMappings", "Marker", "NextMarker"
                )
            )

        self._denied(functions)
        self._denied(mappings)

    def _alarms(self) -> None:
        def read() -> None:
            self._inventory.alarms.extend(
                self._pages(
                    "cloudwatch",
                    "DescribeAlarms",
                    "MetricAlarms",
                    "NextToken",
                    "NextToken",
                    AlarmTypes=["MetricAlarm"],
                )
            )

        self._denied(read)

    def _log_groups(self) -> None:
        def read() -> None:
            self._inventory.log_groups.extend(
                self._pages("logs", "DescribeLogGroups", "logGroups", "nextToken", "nextToken")
            )

        self._denied(read)


def _snake(operation: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in operation).lstrip("_")


def read_inventory(aws: Aws, max_calls: int = DEFAULT_MAX_CALLS) -> Inventory:
    """Everything :class:`InventoryReader` reads; the account is the one the ARNs name (no STS call:
    the role needs nothing more than the reads)."""
    if max_calls < 1:
        raise UserError(f"--max-calls {max_calls}: expected at least 1")
    inventory = InventoryReader(aws, max_calls).read()
    arns = [q["Attributes"].get("QueueArn") for q in inventory.queues]
    arns += [f.get("FunctionArn") for f in inventory.functions] + [g.get("arn") for g in inventory.log_groups]
    accounts = {arn.split(":")[4] for arn in arns if isinstance(arn, str) and arn.count(":") >= 5}
    inventory.account = accounts.pop() if len(accounts) == 1 else None
    return inventory


__all__ = ["DEFAULT_MAX_CALLS", "OPERATIONS", "Inventory", "InventoryReader", "read_inventory"]
