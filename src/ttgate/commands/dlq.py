"""`ttgate dlq`: the runbook's dead-letter queue procedures: status, peek, investigate, redrive."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ttgate.commands.options import AWS, connect, echo_json, echo_safe, output_format

if TYPE_CHECKING:
    from ttgate.integrations.sqs import SqsClients
    from ttgate.operations.dlq.redrive import RedriveOutcome, RedrivePlan


DESPITE_REDRIVE_POLICY = click.option(
    "--despite-redrive-policy",
    is_flag=True,
    help="Read a queue that has a redrive policy of its own (each read counts toward maxReceiveCount).",
)


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
        echo_json({"env": env, "dlqs": [status.to_json() for status in statuses]})
        return
    if not statuses:
        echo_safe(f"no DLQs in {env} (no queue named by the policy's dlq pattern or by a redrive policy)")
        return
    for status in statuses:
        from datetime import timedelta

        if status.unread:
            echo_safe(f"{status.name}: named by a redrive policy, not read here: {status.unread}")
            continue
        age = status.oldest_age_seconds
        oldest = format_age(timedelta(seconds=age)) if age is not None else "unknown"
        echo_safe(
            f"{status.name}: {status.visible} visible, {status.in_flight} in flight, oldest {oldest}; "
            f"alarm {status.alarm} {status.alarm_state or 'MISSING'}; "
            f"source {', '.join(status.sources) or 'none'}; consumer {', '.join(status.consumers) or 'none'}"
        )


@dlq.command("peek")
@click.argument("queue")
@click.option("-n", "count", type=click.IntRange(1, 100), default=5, show_default=True, help="How many.")
@click.option("--show-sensitive", is_flag=True, help="Print attributes and JSON keys that look like secrets.")
@DESPITE_REDRIVE_POLICY
@AWS
@output_format()
def peek_command(
    queue: str,
    count: int,
    show_sensitive: bool,
    despite_redrive_policy: bool,
    output_format: str,
    **options: Any,
) -> None:
    """Read messages without consuming them (made visible again at once; the receive count grows)."""
    from ttgate.integrations.sqs import find_queue
    from ttgate.operations.dlq.peek import peek, refuse_if_receives_move_messages

    _, aws = connect(**options)
    sqs = aws.client("sqs")
    dlq = find_queue(sqs, queue, account=aws.account_id)
    warning = refuse_if_receives_move_messages(sqs, dlq, allowed=despite_redrive_policy)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    messages = [m.shown(show_sensitive=show_sensitive) for m in peek(sqs, dlq, count)]
    if output_format == "json":
        echo_json([message.to_json() for message in messages])
        return
    if not messages:
        echo_safe(f"{queue}: no visible messages")
    for message in messages:
        sent = "unknown"
        if message.sent:
            local = message.sent.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
            sent = f"{message.sent:%Y-%m-%d %H:%M:%S} UTC ({local})"
        group = f", group {message.group_id}" if message.group_id else ""
        echo_safe(
            f"message {message.message_id}: received {message.receive_count} time(s) before this peek, "
            f"sent {sent}{group}"
        )
        for name, value in sorted(message.attributes.items()):
            echo_safe(f"  {name} = {value}")
        echo_safe("  " + message.body.replace("\n", "\n  "))


@dlq.command("investigate")
@click.argument("queue")
@click.option("--message-id", help="The message (default: the first one the DLQ gives).")
@click.option(
    "--function", help="The consumer Lambda (default: from the source queue's event source mapping)."
)
@DESPITE_REDRIVE_POLICY
@AWS
def investigate_command(
    queue: str, message_id: str | None, function: str | None, despite_redrive_policy: bool, **options: Any
) -> None:
    """The consumer's log events while the message was retried (5 min before it was sent to 5 min
    after its last receive), errors first."""
    from datetime import UTC, datetime

    from ttgate.operations.dlq.investigate import investigate
    from ttgate.operations.logs.events import format_event

    policy, aws = connect(**options)
    found = investigate(
        aws,
        policy,
        queue,
        message_id=message_id,
        function=function,
        despite_redrive_policy=despite_redrive_policy,
    )
    if found.warning:
        click.echo(f"warning: {found.warning}", err=True)
    message = found.message

    def moment(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")

    echo_safe(
        f"message {message.message_id}, sent {message.sent:%Y-%m-%d %H:%M:%S} UTC, received "
        f"{message.receive_count} time(s) before this look; {found.group}, {len(found.events)} event(s) "
        f"from {moment(found.start_ms)} to {moment(found.end_ms)} UTC"
    )
    echo_safe(f"request ids with errors: {', '.join(found.request_ids) or 'none'}")
    echo_safe(f"errors ({len(found.errors)}):")
    for event in found.errors:
        echo_safe("  " + format_event(event))
    echo_safe("all events:")
    for event in found.events:
        echo_safe("  " + format_event(event))


@dlq.command("redrive")
@click.argument("queue")
@click.option(
    "--to",
    "to",
    metavar="QUEUE",
    help="Destination: name, URL or ARN (default: the queue whose DLQ this is).",
)
@click.option("--max", "max_messages", type=int, help="Move at most this many (implies --manual).")
@click.option(
    "--rate",
    type=float,
    help="Messages per second at most, fractions too (the move task: whole numbers up to 500).",
)
@click.option("--manual", is_flag=True, help="Receive, copy and delete here instead of SQS's move task.")
@click.option("--dry-run", is_flag=True, help="Say what would move, where and how; move nothing.")
@click.option(
    "--journal",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The redrive by hand's journal (default: .ttgate/redrive/QUEUE.jsonl); a second run resumes it.",
)
@click.option(
    "--break-lock", is_flag=True, help="Take over another run's redrive lock (only when that run is dead)."
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
    break_lock: bool,
    **options: Any,
) -> None:
    """Move a DLQ's messages back to their queue, losing none.

    SQS's message move task is used when it can be (one per queue: a running one is reported, not
    doubled; Ctrl-C cancels it). Otherwise, or with --manual or --max, messages are copied in batches
    with their body, attributes and FIFO group, and each is deleted from the DLQ only once its copy
    was accepted. One redrive by hand per DLQ at a time (a lock tag on the DLQ). The journal makes an
    interrupted run resume without duplicates. Exit 0 only when the DLQ is empty (or --max moved).
    """
    from ttgate.integrations.sqs import SqsClients
    from ttgate.operations.dlq.redrive import plan_redrive

    _, aws = connect(**options)
    clients = SqsClients(
        main=aws.client("sqs"), sender=aws.client("sqs", retries=0), probe=aws.client("sqs", retries=1)
    )
    plan = plan_redrive(
        clients.main,
        queue,
        to=to,
        max_messages=max_messages,
        rate=rate,
        manual=manual,
        account=aws.account_id,
    )
    echo_safe(plan.describe())
    if dry_run:
        echo_safe("dry run: nothing moved")
        return
    try:
        outcome = redrive_with_progress(clients, plan, journal, break_lock)
    except KeyboardInterrupt:
        # Outside the copy loop (which reports its own interrupt): taking the lock, starting a move
        # task, or counting what is left. Say what to do, not click's bare "Aborted!".
        import shlex

        rerun = f"ttgate dlq redrive {shlex.quote(queue)}" + (" --manual" if manual else "")
        echo_safe(
            "interrupted (Ctrl-C) while taking the redrive lock, starting, or counting what is left: "
            "messages already moved stay moved and the journal holds any copy in progress; "
            f"see what is left with `ttgate dlq status`, and finish with `{rerun}`"
        )
        sys.exit(130)
    if outcome.fell_back:
        echo_safe(f"the move task was not available ({outcome.fell_back}): moving by hand instead")
    for note in outcome.notes:
        echo_safe(f"note: {note}")
    if outcome.task is not None:
        echo_safe(f"move task {outcome.task.describe()}")
        if outcome.task.status != "COMPLETED":
            from ttgate.errors import UserError

            raise UserError(f"the move task did not complete: {outcome.task.describe()}")
        return
    sys.exit(report_manual(queue, plan, outcome))


def report_manual(queue: str, plan: RedrivePlan, outcome: RedriveOutcome) -> int:
    """Print what a redrive by hand did and what is left, and why; returns the exit status."""
    import shlex

    result, left = outcome.manual, outcome.left
    assert result is not None
    journal = outcome.journal
    rerun = f"ttgate dlq redrive {shlex.quote(queue)} --manual"
    if journal is not None:
        rerun += f" --journal {shlex.quote(str(journal))}"
    if result.interrupted:
        echo_safe(
            f"interrupted: moved {result.done} message(s) before Ctrl-C ({result.resumed} copied earlier)"
        )
    else:
        echo_safe(f"moved {result.done} message(s) ({result.resumed} copied by an earlier run)")
    if result.possible_duplicates:
        extra = sum(result.possible_duplicates.values())
        echo_safe(
            f"{extra} duplicate(s) may have arrived, of {len(result.possible_duplicates)} message(s): a "
            "SendMessageBatch got no answer and was sent again, and SQS cannot tell whether the first "
            "arrived (a standard queue, or a FIFO re-send after its 5-minute deduplication window):"
        )
        for message_id, count in sorted(result.possible_duplicates.items()):
            echo_safe(f"  {message_id}: up to {count} extra")
    if result.failed:
        echo_safe(f"{len(result.failed)} message(s) refused by the destination, left in the DLQ:")
        for message_id, reason in sorted(result.failed.items()):
            echo_safe(f"  {message_id}: {reason}")
    for group, message_id in sorted(result.stopped_groups.items()):
        behind = "" if not result.held_back else f" ({len(result.held_back)} message(s) held back in all)"
        echo_safe(f"FIFO group {group} stopped at refused message {message_id} to keep its order{behind}")
    if result.undeleted:
        echo_safe(f"{len(result.undeleted)} copied but not deleted yet: the journal has them")
    if left is not None and not left.empty:
        echo_safe(
            f"not done: {left.visible} visible, {left.in_flight} in flight, {left.delayed} delayed still in "
            f"{plan.dlq.name} (SQS's approximate counts)"
        )
        if left.in_flight:
            echo_safe(
                f"  in flight: received by another reader or an interrupted run; they become visible again "
                f"within the visibility timeout (up to {max(left.visibility_timeout, 120)} s)"
            )
        if left.visible and plan.dlq.fifo and not result.failed and not result.held_back:
            echo_safe(
                "  visible but not received: their FIFO message groups are locked by in-flight messages"
            )
        if not result.interrupted:
            echo_safe(f"run again then: {rerun}")
    if result.interrupted or (not result.complete and (left is None or left.empty)):
        echo_safe(f"to finish: {rerun}")
    if result.interrupted:
        return 130
    if not result.complete:
        return 1
    if left is not None and not left.empty:
        asked = plan.max_messages is not None and result.done >= plan.max_messages
        return 0 if asked and not left.in_flight else 1
    echo_safe(f"done: {plan.dlq.name} is empty")
    return 0


def redrive_with_progress(
    clients: SqsClients, plan: RedrivePlan, journal: Path | None, break_lock: bool
) -> RedriveOutcome:
    """The redrive, with a progress bar when stderr is a terminal."""
    from ttgate.operations.dlq.redrive import redrive

    if not sys.stderr.isatty():
        return redrive(clients, plan, journal=journal, break_lock=break_lock)
    total = min(plan.visible, plan.max_messages or plan.visible)
    with click.progressbar(length=max(total, 1), label="moving", file=sys.stderr) as bar:
        return redrive(
            clients,
            plan,
            journal=journal,
            break_lock=break_lock,
            on_moved=bar.update,
            on_task=lambda task: bar.update(task.moved - bar.pos),
        )


COMMANDS = [dlq]
