"""TG203 dlq-retention: a dead-letter queue keeps failed messages long enough to inspect and redrive them."""

from __future__ import annotations

from collections.abc import Iterator

from ttgate.gate.findings import Finding, Related
from ttgate.gate.model import Resource
from ttgate.gate.rules.aws_limits import SQS_MESSAGE_RETENTION, Rejected
from ttgate.gate.rules.base import (
    INFRA_DEV,
    Example,
    Rule,
    RuleContext,
    RuleDoc,
    number_or_default,
    seconds,
    where,
)
from ttgate.gate.rules.literal import literal_edit
from ttgate.gate.rules.sqs import DeadLetterQueue, dead_letter_queues, queue_label
from ttgate.gate.values import Unknown, display
from ttgate.policy import Parameter, Severity

SQS_DEFAULT_RETENTION = 345600  # 4 days
SQS_MAX_RETENTION = SQS_MESSAGE_RETENTION.high  # 14 days
_DLQ_RETENTION = "The dead-letter queue's retention"
_SOURCE_RETENTION = "The retention of a DLQ's source queue"


RULE = Rule(
    id="TG203",
    name="dlq-retention",
    default_severity=Severity.ERROR,
    summary="A DLQ keeps messages 14 days (1,209,600 s) and at least as long as its source queues.",
    # SQS keeps a message from 60 s to 14 days.
    parameters={
        "retention_seconds": Parameter(SQS_MAX_RETENTION, minimum=60),
        "dlq_suffix": Parameter("-dlq"),
    },
    doc=RuleDoc(
        what="Finds every dead-letter queue (the target of a redrive policy, written on the source queue "
        "or in an `aws_sqs_queue_redrive_policy`, and every queue whose name ends in `dlq_suffix`, as "
        "TG204 does) and checks its `message_retention_seconds` (unset: the SQS default, 345,600 s = 4 "
        "days): it must be at least `retention_seconds` (1,209,600 s = 14 days, the SQS maximum), and "
        "at least the retention of each standard source queue. Reported on the "
        "`message_retention_seconds` line, or on the queue's block when it is unset. A retention, or a "
        "redrive target, that cannot be known statically is TG001. A retention AWS refuses (outside "
        "60–1209600 s, fractional or not finite), on the DLQ or its source, is an error.",
        why="The runbook keeps DLQ messages 14 days (1,209,600 seconds) so failed messages can be "
        "inspected and reprocessed. For standard queues SQS keeps a message's original enqueue "
        "timestamp when it moves it to the DLQ, so its DLQ retention counts from when it was first "
        "sent: a DLQ that keeps messages less long than its source deletes a message that failed late "
        "as soon as it arrives (FIFO queues restart the clock, so only the 14 days apply to them).",
        runbook="DLQ retention",
        fix="Set `message_retention_seconds = 1209600` on the DLQ (the SQS module's "
        "`dlq_message_retention_seconds`, whose default is already 14 days). "
        "Fixed by `ttgate fix` where the retention is one literal (on the attribute, or the tfvars entry, "
        "variable default or module argument it comes from).",
        bad=Example(
            f"{INFRA_DEV}/main.tf",
            """
            resource "aws_sqs_queue" "events_dlq" {
              name                      = "tt-practice-dev-events-dlq"
              message_retention_seconds = 345600 # 4 days
            }

            resource "aws_sqs_queue" "events" {
              name           = "tt-practice-dev-events-queue"
              redrive_policy = jsonencode({
                deadLetterTargetArn = aws_sqs_queue.events_dlq.arn
                maxReceiveCount     = 3
              })
            }
            """,
        ),
        good=Example(
            f"{INFRA_DEV}/main.tf",
            """
            resource "aws_sqs_queue" "events_dlq" {
              name                      = "tt-practice-dev-events-dlq"
              message_retention_seconds = 1209600 # 14 days
            }
            """,
        ),
    ),
)


def _retention(queue: Resource) -> float | int | Unknown | Rejected:
    return number_or_default(queue, "message_retention_seconds", SQS_DEFAULT_RETENTION, SQS_MESSAGE_RETENTION)


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    for dlq in dead_letter_queues(context, context.params["dlq_suffix"], unknown_targets=True):
        yield from _check_dlq(context, dlq)


def _check_dlq(context: RuleContext, dlq: DeadLetterQueue) -> Iterator[Finding]:
    queue = dlq.queue
    required = context.params["retention_seconds"]
    retention = _retention(queue)
    if isinstance(retention, Unknown):
        context.unverifiable(
            queue, "message_retention_seconds", retention, attribute="message_retention_seconds"
        )
        return
    if isinstance(retention, Rejected):
        yield context.rejected(queue, "message_retention_seconds", _DLQ_RETENTION, retention)
        return
    problems: list[str] = []
    needed = required
    related: list[Related] = []
    if retention < required:
        problems.append(
            f"the runbook keeps failed messages {seconds(required)}"
            f"{', the SQS maximum,' if required == SQS_MAX_RETENTION else ''} so they can be "
            "inspected and redriven after an incident"
        )
    for redrive in dlq.sources:
        source = redrive.source
        fifo = source.values.get("fifo_queue")
        if fifo is True:
            continue  # a FIFO message's enqueue timestamp restarts when it moves to the DLQ
        source_retention = _retention(source)
        if isinstance(source_retention, Unknown):
            if retention < SQS_MAX_RETENTION:  # at the maximum no source can keep messages longer
                context.unverifiable(
                    source,
                    f"message_retention_seconds of {queue_label(source)} "
                    f"(source of dead-letter queue {queue_label(queue)})",
                    source_retention,
                    attribute="message_retention_seconds",
                )
            continue
        if isinstance(source_retention, Rejected):
            yield context.rejected(source, "message_retention_seconds", _SOURCE_RETENTION, source_retention)
            continue
        if retention >= source_retention:
            continue
        if isinstance(fifo, Unknown):
            context.unverifiable(
                source, f"whether {queue_label(source)} is a FIFO queue", fifo, attribute="fifo_queue"
            )
            continue
        needed = max(needed, source_retention)
        problems.append(
            f"it is shorter than its source queue {queue_label(source)} ({where(source)}), which keeps "
            f"messages {seconds(source_retention)}: SQS keeps a standard message's original enqueue "
            "timestamp when it moves it to the DLQ, so a message that failed after more than "
            f"{seconds(retention)} in the source is deleted as soon as it arrives"
        )
        location = source.location_of("message_retention_seconds")
        if location is not None:
            retained = seconds(source_retention)
            note = f"source queue {queue_label(source)}: message_retention_seconds {retained}"
            related.append(Related(note, location))
    if not problems:
        return
    unset = queue.values.get("message_retention_seconds") is None
    how = ", the SQS default (message_retention_seconds is unset)," if unset else ""
    yield context.finding(
        f"Dead-letter queue {queue_label(queue)} ({where(queue)}) keeps messages {seconds(retention)}"
        f"{how} but " + "; and ".join(problems) + ". Expired DLQ messages are gone: "
        "nobody can find out why they failed or reprocess them.",
        f"Set message_retention_seconds = {display(needed)} on {queue.address}"
        + (
            " (or in the variable or module argument it comes from)."
            if queue.origins.get("message_retention_seconds")
            else "."
        ),
        resource=queue,
        attribute=None if unset else "message_retention_seconds",
        related=related,
        edit=literal_edit(context, queue, "message_retention_seconds", needed),
    )
