"""What SQS rules share: reading redrive policies and finding the dead-letter queues."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ttgate.gate.links import derived, find_resource, remedy_for, resource_name
from ttgate.gate.model import Model, Resource, linked_resource
from ttgate.gate.rules.base import RuleContext
from ttgate.gate.values import Unknown, decode_json_template, display


@dataclass
class Redrive:
    """A source queue's redrive policy, wherever it is written."""

    source: Resource
    declared_on: Resource  # the queue itself, or an aws_sqs_queue_redrive_policy resource
    policy: dict[str, Any] | Unknown
    target: Resource | Unknown | None = None


@dataclass
class DeadLetterQueue:
    queue: Resource
    sources: list[Redrive] = field(default_factory=list)


def decode_policy(value: Any) -> dict[str, Any] | Unknown | None:
    """A redrive policy as a dict: from JSON text, from a jsonencode() with unknown leaves, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, Unknown):
        if isinstance(value.partial, dict):
            return value.partial
        # A JSON heredoc or string template: `{"deadLetterTargetArn": "${aws_sqs_queue.dlq.arn}", ...}`
        decoded = decode_json_template(value)
        return decoded if isinstance(decoded, dict) else value
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return Unknown(f"redrive_policy is not valid JSON: {display(value[:60])}")
        return decoded if isinstance(decoded, dict) else Unknown("redrive_policy is not a JSON object")
    return Unknown(f"redrive_policy has an unexpected value {display(value)}")


def redrives(model: Model) -> list[Redrive]:
    """Every redrive policy of the model; computed once for all the rules (do not modify)."""
    return derived(model, "redrives", _find_redrives)


def _find_redrives(model: Model) -> list[Redrive]:
    found: list[Redrive] = []
    for queue in model.resources("aws_sqs_queue"):
        policy = decode_policy(queue.values.get("redrive_policy"))
        if policy is not None:
            found.append(Redrive(queue, queue, policy))
    for separate in model.resources("aws_sqs_queue_redrive_policy"):
        source = find_resource(model, separate.values.get("queue_url"), ("aws_sqs_queue",), separate.stack)
        policy = decode_policy(separate.values.get("redrive_policy"))
        if isinstance(source, Resource) and policy is not None:
            found.append(Redrive(source, separate, policy))
    for redrive in found:
        if isinstance(redrive.policy, Unknown):
            # Unknown until apply, but built from one queue's ARN (a plan's configuration says so): its DLQ.
            linked = linked_resource(redrive.policy)
            if linked is not None and linked.type == "aws_sqs_queue" and linked.mode == "managed":
                redrive.target = linked
            else:
                redrive.target = redrive.policy
            continue
        target = redrive.policy.get("deadLetterTargetArn")
        redrive.target = find_resource(model, target, ("aws_sqs_queue",), redrive.declared_on.stack)
    return found


def queue_label(queue: Resource) -> str:
    """A queue's name when known, else its address."""
    name = resource_name(queue)
    return name if isinstance(name, str) else queue.address


def dead_letter_queues(
    context: RuleContext, dlq_suffix: str, *, unknown_targets: bool
) -> list[DeadLetterQueue]:
    """The DLQs: redrive targets, and queues named like one.

    With ``unknown_targets``, a redrive policy whose target is unknown is TG001 (the rules that only
    look at the DLQs found leave that to the one that checks the redrive's target).
    """
    by_queue: dict[Resource, DeadLetterQueue] = {}
    for redrive in redrives(context.model):
        if isinstance(redrive.target, Resource):
            by_queue.setdefault(redrive.target, DeadLetterQueue(redrive.target)).sources.append(redrive)
        elif isinstance(redrive.target, Unknown) and unknown_targets:
            what = f"the dead-letter queue of {queue_label(redrive.source)}"
            context.unverifiable(
                redrive.declared_on,
                what,
                redrive.target,
                attribute="redrive_policy",
                remedy=remedy_for(redrive.target),
            )
    for queue in context.model.resources("aws_sqs_queue"):
        name = resource_name(queue)
        if isinstance(name, str) and dlq_suffix and name.endswith(dlq_suffix):
            by_queue.setdefault(queue, DeadLetterQueue(queue))
    return sorted(by_queue.values(), key=lambda dlq: (dlq.queue.stack.name, dlq.queue.address))


_STREAM_ONLY = ("starting_position", "topics", "self_managed_event_source")


def _may_be_sqs(mapping: Resource) -> bool:
    """Whether an event source that cannot be followed may still be an SQS queue."""
    if any(mapping.values.get(stream_only) is not None for stream_only in _STREAM_ONLY):
        return False  # SQS takes no starting position, topics or self-managed source: a stream or Kafka
    source = mapping.values.get("event_source_arn")
    if isinstance(source, str):
        return ":sqs:" in source
    return not (
        isinstance(source, Unknown)
        and source.resource is not None
        and source.resource.type not in ("aws_sqs_queue", "terraform_remote_state")
    )


def sqs_consumers(context: RuleContext) -> Iterator[tuple[Resource, Resource]]:
    """(event source mapping, queue) for every Lambda that consumes a queue of the checked stacks.

    The queue is searched in the mapping's scope (``links.same_scope``). A mapping whose source may be
    a queue but cannot be followed, or may be two queues, is TG001; a source that is plainly not SQS
    (Kinesis, DynamoDB streams) or a queue outside the check or the scope is skipped.
    """
    for mapping in context.model.resources("aws_lambda_event_source_mapping"):
        source = mapping.values.get("event_source_arn")
        queue = find_resource(context.model, source, ("aws_sqs_queue",), mapping.stack)
        if queue is None:
            continue
        if isinstance(queue, Unknown):
            if _may_be_sqs(mapping):
                context.unverifiable(
                    mapping,
                    "the queue it consumes",
                    queue,
                    attribute="event_source_arn",
                    remedy=remedy_for(queue),
                )
            continue
        yield mapping, queue
