"""TG202 sqs-redrive: a queue consumed by a Lambda sends messages that keep failing to a DLQ."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ttgate.gate.findings import Finding, Related
from ttgate.gate.links import remedy_for, resource_name
from ttgate.gate.model import Resource
from ttgate.gate.rules.aws_limits import SQS_MAX_RECEIVE_COUNT
from ttgate.gate.rules.base import INFRA_DEV, Example, Rule, RuleContext, RuleDoc, where
from ttgate.gate.rules.literal import member_edit
from ttgate.gate.rules.sqs import Redrive, redrives, sqs_consumers
from ttgate.gate.values import Unknown, as_number, display
from ttgate.policy import Parameter, Severity

RULE = Rule(
    id="TG202",
    name="sqs-redrive",
    default_severity=Severity.ERROR,
    summary="A Lambda-consumed queue has a redrive policy to a DLQ; every maxReceiveCount is the policy's.",
    parameters={"max_receive_count": Parameter(3, minimum=1)},
    doc=RuleDoc(
        what="For every queue an `aws_lambda_event_source_mapping` consumes (followed from "
        "`event_source_arn` through module outputs and `terraform_remote_state`, in any stack of the "
        "environment), looks for a redrive policy: the queue's `redrive_policy` or an "
        "`aws_sqs_queue_redrive_policy` for it: none is an error. Every redrive policy, on any queue, "
        "is checked too: one without a queue as `deadLetterTargetArn` or without `maxReceiveCount` "
        "(it has no default) is an error, a `maxReceiveCount` other than the policy's "
        "`max_receive_count` (3) is a warning, reported on the `redrive_policy` line. The policy may "
        "be `jsonencode()`, a JSON string or a heredoc. A target or count that cannot be known "
        "statically is TG001 on a Lambda-consumed queue, and left alone on others. A `maxReceiveCount` "
        "AWS refuses (outside 1–1000, fractional or not finite) is an error.",
        why="The runbook moves a message to the DLQ once it has failed 3 times (`max_receive_count` in "
        "the SQS module). Without a redrive policy a message the function keeps failing on is "
        "retried until it expires: it is never isolated, inspected or reprocessed, and no DLQ alarm "
        "fires. Another count changes how soon on-call hears about a failure.",
        runbook="Max receive count; How retries work",
        fix="Give the queue a DLQ and `redrive_policy = jsonencode({ deadLetterTargetArn = "
        "aws_sqs_queue.dlq.arn, maxReceiveCount = 3 })` (the 20_infra SQS module does this; use it). "
        "A `maxReceiveCount` written as one literal (in the `jsonencode({...})`, an object module "
        "argument, or the tfvars entry or default it comes from) is fixed by `ttgate fix`.",
        bad=Example(
            f"{INFRA_DEV}/main.tf",
            """
            resource "aws_sqs_queue" "events" {
              name = "tt-practice-dev-events-queue"
            }

            resource "aws_lambda_event_source_mapping" "events" {
              event_source_arn = aws_sqs_queue.events.arn
              function_name    = aws_lambda_function.event_processor.arn
            }
            """,
        ),
        good=Example(
            f"{INFRA_DEV}/main.tf",
            """
            resource "aws_sqs_queue" "events_dlq" {
              name                      = "tt-practice-dev-events-dlq"
              message_retention_seconds = 1209600
            }

            resource "aws_sqs_queue" "events" {
              name = "tt-practice-dev-events-queue"

              redrive_policy = jsonencode({
                deadLetterTargetArn = aws_sqs_queue.events_dlq.arn
                maxReceiveCount     = 3
              })
            }
            """,
        ),
    ),
)


def _label(resource: Resource) -> str:
    name = resource_name(resource)
    return name if isinstance(name, str) else resource.address


def _consumed_queues(context: RuleContext) -> Iterator[tuple[Resource, Resource]]:
    """(queue, first event source mapping) per Lambda-consumed queue."""
    seen: set[int] = set()
    for mapping, queue in sqs_consumers(context):
        if id(queue) not in seen:
            seen.add(id(queue))
            yield queue, mapping


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    by_source: dict[int, list[Redrive]] = {}
    for redrive in redrives(context.model):
        by_source.setdefault(id(redrive.source), []).append(redrive)
    consumed: set[int] = set()
    for queue, mapping in _consumed_queues(context):
        consumed.add(id(queue))
        if id(queue) not in by_source:
            yield _missing(context, queue, mapping)
    # Every redrive policy follows the runbook, whoever consumes the queue (a service, a person); what
    # cannot be known is TG001 only where a Lambda consumes the queue.
    for found in by_source.values():
        for redrive in found:
            yield from _check_redrive(context, redrive.source, redrive, id(redrive.source) in consumed)


def _consumer_note(mapping: Resource) -> list[Related]:
    if mapping.location is None:
        return []
    return [Related(f"consumed by event source mapping {where(mapping)}", mapping.location)]


def _missing(context: RuleContext, queue: Resource, mapping: Resource) -> Finding:
    count = context.params["max_receive_count"]
    return context.finding(
        f"Queue {_label(queue)} ({where(queue)}) is consumed by a Lambda ({where(mapping)}) but has no "
        "redrive policy: a message the function keeps failing on is retried until the queue's retention "
        "deletes it, blocking capacity meanwhile, and nobody can inspect or reprocess it. The runbook "
        f"moves it to a dead-letter queue after {count} failed receives.",
        f"Add a dead-letter queue (`{{project}}-{{env}}-{{name}}-dlq`) and set redrive_policy = "
        f"jsonencode({{ deadLetterTargetArn = aws_sqs_queue.<dlq>.arn, maxReceiveCount = {count} }}) on "
        f"{queue.address} (or an aws_sqs_queue_redrive_policy for it).",
        resource=queue,
        related=_consumer_note(mapping),
    )


def _ignore(*_: object, **__: object) -> None:
    """A redrive of a queue no Lambda consumes: what cannot be known is left alone."""


def _check_redrive(
    context: RuleContext, queue: Resource, redrive: Redrive, consumed: bool
) -> Iterator[Finding]:
    unverifiable = context.unverifiable if consumed else _ignore
    declared = redrive.declared_on
    wanted = context.params["max_receive_count"]
    if isinstance(redrive.policy, Unknown):
        unverifiable(
            declared, f"the redrive policy of {_label(queue)}", redrive.policy, attribute="redrive_policy"
        )
        return
    problems: list[tuple[str, str]] = []  # (message, fix): errors
    target_value: Any = redrive.policy.get("deadLetterTargetArn")
    if isinstance(redrive.target, Unknown):
        unverifiable(
            declared,
            f"the dead-letter queue of {_label(queue)} (deadLetterTargetArn)",
            redrive.target,
            attribute="redrive_policy",
            remedy=remedy_for(redrive.target),
        )
    elif redrive.target is None and not _is_queue_arn(target_value):
        if target_value is None or target_value == "":
            problems.append(
                (
                    "has no deadLetterTargetArn",
                    "set deadLetterTargetArn to the DLQ's ARN (aws_sqs_queue.<dlq>.arn)",
                )
            )
        else:
            problems.append(
                (
                    f"has deadLetterTargetArn = {display(target_value)}, which is not an SQS queue ARN",
                    "set deadLetterTargetArn to the DLQ's ARN (aws_sqs_queue.<dlq>.arn)",
                )
            )
    raw_count = redrive.policy.get("maxReceiveCount")
    count = as_number(raw_count)
    if isinstance(count, Unknown):
        unverifiable(
            declared,
            f"maxReceiveCount of {_label(queue)}'s redrive policy",
            count,
            attribute="redrive_policy",
        )
    elif raw_count is None:
        problems.append(
            (
                "has no maxReceiveCount (it is required: SQS rejects the policy)",
                f"set maxReceiveCount = {wanted}",
            )
        )
    elif count is None or not SQS_MAX_RECEIVE_COUNT.accepts(count):
        problems.append(
            (
                f"has maxReceiveCount = {display(raw_count)}, not a value AWS accepts "
                f"({SQS_MAX_RECEIVE_COUNT})",
                f"set maxReceiveCount = {wanted}",
            )
        )
    on = "" if declared is queue else f" (set by {declared.address})"
    if problems:
        yield context.finding(
            f"The redrive policy of queue {_label(queue)} ({where(queue)}){on} "
            + "; ".join(message for message, _ in problems)
            + ": SQS rejects it at apply time, and until it is fixed the Lambda-consumed queue has no "
            "working dead-letter queue for the messages it keeps failing on.",
            "In redrive_policy: " + "; ".join(fix for _, fix in problems) + ".",
            resource=declared,
            attribute="redrive_policy",
            # Only a refused maxReceiveCount is one literal to set; a missing key or target is not.
            edit=member_edit(context, declared, "redrive_policy", "maxReceiveCount", raw_count, wanted)
            if len(problems) == 1 and raw_count is not None
            else None,
        )
        return
    if count is None or isinstance(count, Unknown) or count == wanted:
        return
    effect = (
        "a failing message is retried more often, delaying the DLQ alarm and holding a consumer longer"
        if count > wanted
        else "a message can land in the DLQ after a single transient failure (a throttle, a timeout)"
        if count == 1
        else "a message lands in the DLQ after fewer retries than the runbook allows"
    )
    yield context.finding(
        f"Queue {_label(queue)} ({where(queue)}){on} moves a message to its dead-letter queue after "
        f"maxReceiveCount = {display(count)} receives; the runbook's retry strategy is {wanted} attempts: "
        f"{effect}.",
        f"Set maxReceiveCount = {wanted} in the redrive_policy of {declared.address}"
        + (
            " (or in the variable or module argument it comes from)"
            if declared.origins.get("redrive_policy")
            else ""
        )
        + ", or change rules.TG202.max_receive_count in .ttgate.yml if the team agreed on another number.",
        resource=declared,
        attribute="redrive_policy",
        severity=context.at_most_warning,
        edit=member_edit(context, declared, "redrive_policy", "maxReceiveCount", raw_count, wanted),
    )


def _is_queue_arn(value: Any) -> bool:
    """A literal SQS ARN of a queue outside the checked stacks still designates a queue."""
    return (
        isinstance(value, str)
        and value.startswith("arn:")
        and value.split(":")[2:3] == ["sqs"]
        and len(value.split(":")) == 6
        and bool(value.split(":")[5])
    )
