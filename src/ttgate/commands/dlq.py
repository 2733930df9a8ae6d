"""`ttgate dlq`: the runbook's dead-letter queue procedures: status, peek, investigate, redrive."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ttgate.commands.options import AWS, connect, output_format

if TYPE_CHECKING:
    from ttgate.operations.dlq.redrive import RedriveOutcome, RedrivePlan


@click.group()
def dlq() -> None:
    """Dead-letter queues: what is in them, why it failed, and putting it back safely.

    \b
    An incident, in order:
      ttgate dlq status --env prod
      ttgate dlq peek tt-practice-prod-main-dlq -n 5
      ttgate dlq investigate tt-practice-prod-main-dlq
      ttgate dlq redrive tt-practice-prod-main-dlq --dry-run
      ttgate dlq redrive tt-practice-prod-main-dlq
    """


@dlq.command("status")
@click.option("--env", required=True, help="Environment (dev, stage, prod...).")
@AWS
@output_format()
def status_command(env: str, output_format: str, **options: Any) -> None:
    """Every DLQ of an environment: messages, oldest age, alarm, source queue and consumer."""
    from ttgate.errors import UserError
    from ttgate.operations.dlq.status import dlq_status
    from ttgate.operations.durations import format_age

    policy, aws = connect(**options)
    if env not in policy.environments:
        raise UserError(
            f"unknown environment {env!r} (the policy's environments: {', '.join(policy.environments)})"
        )
    statuses = dlq_status(aws, policy, env)
    if output_format == "json":
        click.echo(json.dumps({"env": env, "dlqs": [status.to_json() for status in statuses]}, indent=2))
        return
    if not statuses:
        click.echo(f"no DLQs in {env} (no queue named by the policy's dlq pattern or by a redrive policy)")
        return
    for status in statuses:
        from datetime import timedelta

        age = status.oldest_age_seconds
        oldest = format_age(timedelta(seconds=age)) if age is not None else "unknown"
        click.echo(
            f"{status.name}: {status.visible} visible, {status.in_flight} in flight, oldest {oldest}; "
            f"alarm {status.alarm} {status.alarm_state or 'MISSING'}; "
            f"source {', '.join(status.sources) or 'none'}; consumer {', '.join(status.consumers) or 'none'}"
        )


@dlq.command("peek")
@click.argument("queue")
@click.option("-n", "count", type=click.IntRange(1, 100), default=5, show_default=True, help="How many.")
@click.option("--show-sensitive", is_flag=True, help="Print attributes and JSON keys that look like secrets.")
@AWS
@output_format()
def peek_command(queue: str, count: int, show_sensitive: bool, output_format: str, **options: Any) -> None:
    """Read messages without consuming them (made visible again at once; the receive count grows)."""
    from ttgate.integrations.sqs import find_queue
    from ttgate.operations.dlq.peek import peek

    _, aws = connect(**options)
    sqs = aws.client("sqs")
    messages = [m.shown(show_sensitive=show_sensitive) for m in peek(sqs, find_queue(sqs, queue), count)]
    if output_format == "json":
        click.echo(json.dumps([message.to_json() for message in messages], indent=2, ensure_ascii=False))
        return
    if not messages:
        click.echo(f"{queue}: no visible messages")
    for message in messages:
        sent = "unknown"
        if message.sent:
            local = message.sent.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
            sent = f"{message.sent:%Y-%m-%d %H:%M:%S} UTC ({local})"
        group = f", group {message.group_id}" if message.group_id else ""
        click.echo(
            f"message {message.message_id}: received {message.receive_count} time(s), sent {sent}{group}"
        )
        for name, value in sorted(message.attributes.items()):
            click.echo(f"  {name} = {value}")
        click.echo("  " + message.body.replace("\n", "\n  "))


@dlq.command("investigate")
@click.argument("queue")
@click.option("--message-id", help="The message (default: the first one the DLQ gives).")
@click.option(
    "--function", help="The consumer Lambda (default: from the source queue's event source mapping)."
)
@AWS
def investigate_command(queue: str, message_id: str | None, function: str | None, **options: Any) -> None:
    """The consumer's log events from the message's SentTimestamp - 5 min to + 5 min, errors first."""
    from ttgate.operations.dlq.investigate import investigate
    from ttgate.operations.logs.events import format_event

    policy, aws = connect(**options)
    found = investigate(aws, policy, queue, message_id=message_id, function=function)
    message = found.message
    click.echo(
        f"message {message.message_id}, sent {message.sent:%Y-%m-%d %H:%M:%S} UTC, received "
        f"{message.receive_count} time(s); {found.group}, {len(found.events)} event(s) in ±5 min"
    )
    click.echo(f"request ids with errors: {', '.join(found.request_ids) or 'none'}")
    click.echo(f"errors ({len(found.errors)}):")
    for event in found.errors:
        click.echo("  " + format_event(event))
    click.echo("all events:")
    for event in found.events:
        click.echo("  " + format_event(event))


@dlq.command("redrive")
@click.argument("queue")
@click.option("--to", "to", metavar="QUEUE", help="Destination (default: the queue whose DLQ this is).")
@click.option("--max", "max_messages", type=int, help="Move at most this many (implies --manual).")
@click.option("--rate", type=float, help="Messages per second at most (the move task: up to 500).")
@click.option("--manual", is_flag=True, help="Receive, copy and delete here instead of SQS's move task.")
@click.option("--dry-run", is_flag=True, help="Say what would move, where and how; move nothing.")
@click.option(
    "--journal",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The redrive by hand's journal (default: .ttgate/redrive/QUEUE.jsonl); a second run resumes it.",
)
@AWS
def redrive_command(
    queue: str,
    to: str | None,
    max_messages: int | None,
    rate: float | None,
    manual: bool,
    dry_run: bool,
    journal: Path | None,
    **options: Any,
) -> None:
    """Move a DLQ's messages back to their queue, losing none.

    SQS's message move task is used when it can be (one per queue: a running one is reported, not
    doubled; Ctrl-C cancels it). Otherwise, or with --manual or --max, messages are copied in batches
    with their body, attributes and FIFO group and deduplication ids, and each is deleted from the DLQ
    only once its copy was accepted. The journal makes an interrupted run resume without duplicates.
    """
    from ttgate.operations.dlq.redrive import plan_redrive

    _, aws = connect(**options)
    sqs = aws.client("sqs")
    plan = plan_redrive(sqs, queue, to=to, max_messages=max_messages, rate=rate, manual=manual)
    click.echo(plan.describe())
    if dry_run:
        click.echo("dry run: nothing moved")
        return
    outcome = redrive_with_progress(sqs, plan, journal)
    if outcome.fell_back:
        click.echo(f"the move task was not available ({outcome.fell_back}): moved by hand")
    if outcome.task is not None:
        click.echo(f"move task {outcome.task.describe()}")
        if outcome.task.status != "COMPLETED":
            from ttgate.errors import UserError

            raise UserError(f"the move task did not complete: {outcome.task.describe()}")
        return
    result = outcome.manual
    assert result is not None
    click.echo(
        f"moved {result.moved + result.resumed} message(s) ({result.resumed} copied by an earlier run)"
    )
    if result.failed:
        click.echo(f"{len(result.failed)} message(s) refused by the destination, left in the DLQ:")
        for message_id, reason in sorted(result.failed.items()):
            click.echo(f"  {message_id}: {reason}")
    if result.undeleted:
        click.echo(
            f"{len(result.undeleted)} copied but not deleted yet: run again to finish (the journal has them)"
        )
    if not result.complete:
        sys.exit(1)


def redrive_with_progress(sqs: Any, plan: RedrivePlan, journal: Path | None) -> RedriveOutcome:
    """The redrive, with a progress bar when stderr is a terminal."""
    from ttgate.operations.dlq.redrive import redrive

    if not sys.stderr.isatty():
        return redrive(sqs, plan, journal=journal)
    total = min(plan.visible, plan.max_messages or plan.visible)
    with click.progressbar(length=max(total, 1), label="moving", file=sys.stderr) as bar:
        return redrive(
            sqs,
            plan,
            journal=journal,
            on_moved=bar.update,
            on_task=lambda task: bar.update(task.moved - bar.pos),
        )


COMMANDS = [dlq]
