"""A lock's age is the server's, never the releaser's clock; a lock's texts never act on the output;
a lock whose Info is not a Terraform lock can still be released."""

from __future__ import annotations

import datetime as datetime_module
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.operations.aws_backend import APP_KEY, BUCKET, LOCK_ID, TABLE, lock_info, run
from tests.operations.state.test_locks import (
    items,
    lockfile_exists,
    put_dynamodb_lock,
    put_lockfile,
    server_clock,
)


def one_line_error(result: Any) -> str:
    """The refusal: exit 2 and one line on stderr (the lock was shown on stdout first)."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ttgate: error: "), lines
    return str(lines[0])


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FastClock(datetime):
    """This machine's clock, 20 minutes fast."""

    @classmethod
    def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
        return datetime.now(tz) + timedelta(minutes=20)


def test_a_fast_client_clock_never_frees_a_young_live_lock(
    aws_backend: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, dynamodb = aws_backend
    put_dynamodb_lock(dynamodb, info=lock_info(created=stamp(datetime.now(UTC) - timedelta(seconds=2))))
    # AWS answers with its own, right time (its Date header); only this machine's clock is fast.
    monkeypatch.setattr(
        "ttgate.operations.state.locks.server_time", lambda response: datetime.now(UTC), raising=False
    )
    monkeypatch.setattr(datetime_module, "datetime", FastClock)
    line = one_line_error(run("locks", "release", LOCK_ID, "--env", "dev", "--yes"))
    assert "old by the server's clock" in line and "--force" in line
    assert f"{BUCKET}/{APP_KEY}" in items(dynamodb)


def test_a_lockfile_is_as_old_as_s3_says_whatever_its_created_claims(
    aws_backend: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    s3, _ = aws_backend
    server_clock(monkeypatch, timedelta(seconds=3))  # written 3 s ago by S3's clock
    put_lockfile(s3, info=lock_info(created="2020-01-01T00:00:00Z"))  # a Created that claims years
    line = one_line_error(run("locks", "release", LOCK_ID, "--env", "dev", "--yes"))
    # Young by S3's clock (written seconds ago), whatever Created claims: refused.
    assert "old by the server's clock, younger than 15 minutes" in line, line
    assert lockfile_exists(s3)


def test_a_lock_created_in_the_future_says_so_and_needs_force(aws_backend: tuple[Any, Any]) -> None:
    _, dynamodb = aws_backend
    put_dynamodb_lock(dynamodb, info=lock_info(created=stamp(datetime.now(UTC) + timedelta(minutes=30))))
    result = run("locks", "list", "--env", "dev")
    assert result.exit_code == 0, result.output
    assert "in the future by the server's clock" in result.output and " ago" not in result.output
    document = json.loads(run("locks", "list", "--env", "dev", "--format", "json").output)
    lock = document["locks"][0]
    assert lock["age_seconds"] is None and 0 < lock["in_future_seconds"] <= 30 * 60
    line = one_line_error(run("locks", "release", LOCK_ID, "--env", "dev", "--yes"))
    assert "in the future" in line and "--force" in line
    assert run("locks", "release", LOCK_ID, "--env", "dev", "--yes", "--force").exit_code == 0


HOSTILE_WHO = "mallory\n::error title=ok::all clear\r\x1b]0;pwned\x07"


def test_texts_from_a_lock_write_no_line_and_no_workflow_command(
    aws_backend: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    s3, dynamodb = aws_backend
    server_clock(monkeypatch, timedelta(hours=1))
    info = json.loads(lock_info(who=HOSTILE_WHO))
    info["Operation"] = "Apply\n::add-mask::x"
    info["Path"] = "p\n::warning::y"
    put_dynamodb_lock(dynamodb, info=json.dumps(info))
    put_lockfile(s3, info=json.dumps(info))
    outputs = [
        run("locks", "list", "--env", "dev").output,
        run("locks", "list", "--env", "dev", "--format", "json").output,
        run("locks", "release", LOCK_ID, "--env", "dev", "--dry-run").output,
        run("locks", "release", LOCK_ID, "--env", "dev", "--yes").output,  # refused: a young DynamoDB lock
    ]
    for output in outputs:
        for line in output.splitlines():
            assert not line.lstrip().startswith("::"), line
        assert "\x1b" not in output and "\r" not in output and "\x07" not in output
    assert "mallory\\x0a::error" in outputs[0]
    # The JSON still reads back exactly what the lock says.
    assert json.loads(outputs[1])["locks"][0]["who"] == HOSTILE_WHO


@pytest.mark.parametrize("info", ["{not json", "", '{"Who": "no id"}'])
def test_a_lock_whose_info_is_not_a_terraform_lock_is_released_by_its_place(
    aws_backend: tuple[Any, Any], info: str
) -> None:
    _, dynamodb = aws_backend
    dynamodb.put_item(TableName=TABLE, Item={"LockID": {"S": f"{BUCKET}/{APP_KEY}"}, "Info": {"S": info}})
    listed = run("locks", "list", "--env", "dev").output
    assert f"release it as {BUCKET}/{APP_KEY}" in listed, listed
    # Its age is unknown (no Created): --force, as for any lock of unknown age.
    line = one_line_error(run("locks", "release", f"{BUCKET}/{APP_KEY}", "--env", "dev", "--yes"))
    assert "unknown age" in line
    result = run("locks", "release", f"{BUCKET}/{APP_KEY}", "--env", "dev", "--yes", "--force")
    assert result.exit_code == 0, result.output
    assert f"{BUCKET}/{APP_KEY}" not in items(dynamodb)
