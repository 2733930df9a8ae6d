"""`ttgate logs`: a Lambda function's CloudWatch logs, every page, times done right."""

from __future__ import annotations

from typing import Any

import click

from ttgate.commands.options import AWS, connect, echo_json, echo_safe


@click.command("logs")
@click.argument("function")
@click.option("--since", help="How far back: 30m, 2h, 1h30m, 7d (default: 30m).")
@click.option("--start", help="From this time (ISO 8601; without an offset, UTC).")
@click.option("--end", help="Until this time (ISO 8601; default: now).")
@click.option(
    "--level",
    type=click.Choice(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]),
    help="Only this level.",
)
@click.option("--filter", "pattern", help="A CloudWatch Logs filter pattern, sent as it is.")
@click.option("--request-id", help="Only the lines of this request.")
@click.option("--follow", is_flag=True, help="Keep printing new events until Ctrl-C.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per event.")
@AWS
def logs(
    function: str,
    since: str | None,
    start: str | None,
    end: str | None,
    level: str | None,
    pattern: str | None,
    request_id: str | None,
    follow: bool,
    as_json: bool,
    **options: Any,
) -> None:
    """Log events of FUNCTION (its log group /aws/lambda/FUNCTION, or a group starting with /).

    \b
    Examples:
      ttgate logs tt-practice-dev-worker --since 1h --level ERROR
      ttgate logs tt-practice-dev-worker --start 2025-01-31T14:00Z --end 2025-01-31T14:10Z
      ttgate logs tt-practice-dev-api-server --request-id 3f1c... --follow
    """
    from ttgate.errors import UserError
    from ttgate.integrations.cloudwatch_logs import logs_client
    from ttgate.operations.logs import events as log_inspection
    from ttgate.operations.logs.window import time_window

    if follow and end is not None:
        raise UserError("--follow and --end: choose one (--follow keeps reading until Ctrl-C)")
    policy, aws = connect(**options)
    start_ms, end_ms = time_window(since, start, end)
    query = log_inspection.Query(
        log_inspection.log_group(policy, function), start_ms, end_ms, pattern, level, request_id
    )
    client = logs_client(aws)
    events = log_inspection.follow(client, query) if follow else log_inspection.read(client, query)
    try:
        for event in events:
            if as_json:
                echo_json(log_inspection.to_json(event), indent=None)
            else:
                echo_safe(log_inspection.format_event(event))
    except KeyboardInterrupt:
        return


COMMANDS = [logs]
