"""`ttgate logs` (moto): every page, times in milliseconds, level and request id filters, --follow."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from tests.operations.aws_backend import REGION, fake_credentials
from ttgate.cli import main
from ttgate.errors import UserError
from ttgate.operations.logs.events import Query, follow, level_of
from ttgate.operations.logs.window import parse_duration, time_window

GROUP = "/aws/lambda/tt-practice-dev-worker"
# An hour ago on a whole minute, in epoch milliseconds (CloudWatch refuses events older than 14 days).
T0 = (int(time.time()) // 60 * 60 - 3600) * 1000


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    fake_credentials(monkeypatch, tmp_path)
    with mock_aws():
        client = boto3.client("logs", region_name=REGION)
        client.create_log_group(logGroupName=GROUP)
        client.create_log_stream(logGroupName=GROUP, logStreamName="2026/01/01/[$LATEST]abc")
        yield client


def put(logs: Any, *events: tuple[int, str]) -> None:
    logs.put_log_events(
        logGroupName=GROUP,
        logStreamName="2026/01/01/[$LATEST]abc",
        logEvents=[{"timestamp": stamp, "message": message} for stamp, message in events],
    )


def ttgate(*arguments: str) -> Any:
    return CliRunner().invoke(main, ["logs", "tt-practice-dev-worker", *arguments])


def test_every_page_is_read(logs: Any) -> None:
    for start in (0, 6000):  # FilterLogEvents returns 10,000 events a page
        put(logs, *((T0 + n, f"[INFO] event {n}") for n in range(start, start + 6000)))
    result = ttgate("--start", iso(T0), "--end", iso(T0 + 60_000), "--json")
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 12000


def test_start_and_end_are_milliseconds(logs: Any) -> None:
    put(
        logs,
        (T0 - 1, "[INFO] before"),
        (T0, "[INFO] first"),
        (T0 + 60_000, "[INFO] last"),
        (T0 + 60_001, "after"),
    )
    result = ttgate("--start", iso(T0), "--end", iso(T0 + 60_000))
    assert [line.split(" ", 2)[2] for line in result.output.splitlines()] == ["[INFO] first", "[INFO] last"]
    assert result.output.startswith(iso(T0).replace("T", " "))


def test_level_and_request_id_filters(logs: Any) -> None:
    request = "3f1c2b4a-1111-4222-8333-944455556666"
    put(
        logs,
        (T0, f"[INFO]\t2026-01-01T00:00:00.000Z\t{request}\tstarted"),
        (T0 + 1, f"[ERROR]\t2026-01-01T00:00:00.001Z\t{request}\tKeyError"),
        (T0 + 2, json.dumps({"level": "ERROR", "requestId": "other", "message": "boom"})),
    )
    window = ("--start", iso(T0), "--end", iso(T0 + 1000))
    errors = ttgate(*window, "--level", "ERROR").output.splitlines()
    assert len(errors) == 2
    mine = ttgate(*window, "--request-id", request).output.splitlines()
    assert len(mine) == 2 and all(request in line for line in mine)
    both = ttgate(*window, "--level", "ERROR", "--request-id", request).output.splitlines()
    assert len(both) == 1 and "KeyError" in both[0]


def test_filter_pattern_is_sent_to_cloudwatch(logs: Any) -> None:
    put(logs, (T0, "[INFO] payment ok"), (T0 + 1, "[INFO] refund ok"))
    result = ttgate("--start", iso(T0), "--filter", "refund")
    assert [line.split(" ", 2)[2] for line in result.output.splitlines()] == ["[INFO] refund ok"]


def test_follow_prints_each_new_event_once(logs: Any) -> None:
    put(logs, (T0, "one"))
    polls: list[float] = []

    def more(seconds: float) -> None:
        polls.append(seconds)
        put(logs, (T0 + len(polls), f"more {len(polls)}"))

    events = follow(logs, Query(GROUP, T0), sleep=more, rounds=3)
    assert [event.message for event in events] == ["one", "more 1", "more 2"]


def test_a_missing_log_group_is_one_line(logs: Any) -> None:
    result = CliRunner().invoke(main, ["logs", "tt-practice-dev-nothing", "--since", "5m"])
    assert result.exit_code == 2
    assert "log group /aws/lambda/tt-practice-dev-nothing does not exist" in result.output


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("2h", 7200), ("1h30m", 5400), ("7d", 604800), ("45s", 45)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_since_is_counted_back_from_now_in_milliseconds() -> None:
    assert time_window("30m", None, None, now_ms=T0) == (T0 - 1_800_000, None)
    assert time_window(None, None, None, now_ms=T0) == (T0 - 1_800_000, None)
    assert time_window(None, "2026-01-01T08:00:00+08:00", None) == (1_767_225_600_000, None)
    with pytest.raises(UserError, match="--since and --start/--end: give one"):
        time_window("30m", "2026-01-01T00:00:00Z", None)
    with pytest.raises(UserError, match="is before --start"):
        time_window(None, "2026-01-01T00:00:00Z", "2025-12-31T00:00:00Z")


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("[ERROR]\t2026-01-01T00:00:00.000Z\tid\tboom", "ERROR"),
        ("[WARNING] slow", "WARN"),
        ('{"level": "info", "message": "x"}', "INFO"),
        ("START RequestId: x Version: $LATEST", None),
    ],
)
def test_levels_of_text_and_json_logs(line: str, level: str | None) -> None:
    assert level_of(line) == level
