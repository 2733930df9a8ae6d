"""What was read of one account and region, as plain data: the AWS integration fills it
(:mod:`ttgate.integrations.aws_inventory`), the deployed loader reads it (:mod:`.model`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# service -> (IAM action of each call made); the read-only policy in docs/audit.md lists exactly these.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "sqs": ("ListQueues", "GetQueueAttributes"),
    "lambda": ("ListFunctions", "ListEventSourceMappings"),
    "cloudwatch": ("DescribeAlarms",),
    "logs": ("DescribeLogGroups",),
}


@dataclass
class Inventory:
    account: str | None
    region: str | None
    queues: list[dict[str, Any]] = field(default_factory=list)  # QueueUrl + Attributes
    functions: list[dict[str, Any]] = field(default_factory=list)  # ListFunctions entries
    mappings: list[dict[str, Any]] = field(default_factory=list)  # ListEventSourceMappings entries
    alarms: list[dict[str, Any]] = field(default_factory=list)  # DescribeAlarms MetricAlarms
    log_groups: list[dict[str, Any]] = field(default_factory=list)  # DescribeLogGroups entries
    denied: list[str] = field(default_factory=list)  # "sqs:ListQueues": permissions the role lacks
    unread: list[str] = field(default_factory=list)  # what the call bound left out, for a person
    calls: Counter[str] = field(default_factory=Counter)  # "sqs:ListQueues" -> calls made

    @property
    def complete(self) -> bool:
        return not self.denied and not self.unread

    def services_read(self) -> set[str]:
        """The services every resource of which was read (neither denied nor cut)."""
        incomplete = {item.split(":", 1)[0] for item in self.denied + self.unread}
        return set(OPERATIONS) - incomplete


__all__ = ["OPERATIONS", "Inventory"]
