"""Terraform locks in DynamoDB and S3 lockfiles: finding, listing and releasing them (moto)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.operations.aws_backend import (
    ACCOUNT,
    APP_KEY,
    BUCKET,
    INFRA_KEY,
    LOCK_ID,
    REGION,
    TABLE,
    lock_info,
    one_line_error,
    run,
)
from ttgate.errors import UserError
from ttgate.gate.rules import RULES
from ttgate.integrations.aws import Aws, aws_error
from ttgate.operations.state.backend import resolve_backend
from ttgate.operations.state.locks import find_held_locks, list_locks, parse_created, release_lock
from ttgate.policy import Policy, load_policy

OTHER_ID = "11111111-2222-3333-4444-555555555555"


def put_dynamodb_lock(
    dynamodb: Any, key: str = APP_KEY, info: str | None = None, bucket: str = BUCKET
) -> None:
    dynamodb.put_item(
        TableName=TABLE, Item={"LockID": {"S": f"{bucket}/{key}"}, "Info": {"S": info or lock_info()}}
    )


def put_digest(dynamodb: Any, key: str, digest: str = "0cc0781024decc460b6d960684a56044") -> None:
    dynamodb.put_item(TableName=TABLE, Item={"LockID": {"S": f"{BUCKET}/{key}-md5"}, "Digest": {"S": digest}})


def put_lockfile(s3: Any, key: str = APP_KEY, info: str | None = None) -> None:
    # Terraform >= 1.10 (use_lockfile) creates it only if absent: a conditional put.
    s3.put_object(Bucket=BUCKET, Key=key + ".tflock", Body=(info or lock_info()).encode(), IfNoneMatch="*")


@pytest.fixture
def policy() -> Policy:
    return load_policy(RULES)


def server_clock(monkeypatch: pytest.MonkeyPatch, ahead: timedelta) -> None:
    """A server whose clock is ``ahead`` of moto's write times: moto's in-process S3 sends no Date
    header (a real S3, and moto's server, do: see test_real_backend), so the server's time when a
    lockfile is read is supplied here, as S3 would send it."""
    import ttgate.operations.state.locks as locks

    sent = locks.server_time
    monkeypatch.setattr(locks, "server_time", lambda response: sent(response) or datetime.now(UTC) + ahead)


@pytest.fixture
def aws_env(aws_backend: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """The backend with the digests of the app and infra states: items that are not locks. Lockfiles
    were written an hour ago by the server's clock."""
    server_clock(monkeypatch, timedelta(hours=1))
    put_digest(aws_backend[1], APP_KEY)
    put_digest(aws_backend[1], INFRA_KEY)
    return aws_backend


ALL_DEV = [("10_core", "dev"), ("20_infra", "dev"), ("30_app", "dev")]


# -- find_held_locks ----------------------------------------------------------------------------------


def test_no_lock_held_and_digests_are_not_locks(aws_env: Any, policy: Policy) -> None:
    assert find_held_locks(ALL_DEV, policy, "dev", Aws(region=REGION)) == []


def test_lock_held_in_dynamodb(aws_env: Any, policy: Policy) -> None:
    _, dynamodb = aws_env
    put_dynamodb_lock(dynamodb)
    [lock] = find_held_locks(ALL_DEV, policy, "dev", Aws(region=REGION))
    assert (lock.layer, lock.env, lock.where) == ("30_app", "dev", "dynamodb")
    assert lock.resource == f"{BUCKET}/{APP_KEY}"
    assert (lock.lock_id, lock.operation, lock.who, lock.version) == (
        LOCK_ID,
        "OperationTypeApply",
        "alice@ci-runner",
        "1.9.8",
    )
    assert lock.created == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert "alice@ci-runner" in lock.describe() and "OperationTypeApply" in lock.describe()


def test_lock_held_as_s3_lockfile(aws_env: Any, policy: Policy) -> None:
    s3, _ = aws_env
    put_lockfile(s3, INFRA_KEY, lock_info(OTHER_ID, who="bob@laptop"))
    [lock] = find_held_locks(ALL_DEV, policy, "dev", Aws(region=REGION))
    assert (lock.layer, lock.where, lock.resource) == ("20_infra", "s3", INFRA_KEY + ".tflock")
    assert (lock.lock_id, lock.who) == (OTHER_ID, "bob@laptop")
    assert lock.etag


def test_lock_held_in_both_places(aws_env: Any, policy: Policy) -> None:
    s3, dynamodb = aws_env
    put_dynamodb_lock(dynamodb)
    put_lockfile(s3)
    held = find_held_locks([("30_app", "dev")], policy, "dev", Aws(region=REGION))
    assert sorted(lock.where for lock in held) == ["dynamodb", "s3"]
    assert {lock.lock_id for lock in held} == {LOCK_ID}


def test_only_the_asked_stacks_are_checked(aws_env: Any, policy: Policy) -> None:
    _, dynamodb = aws_env
    put_dynamodb_lock(dynamodb, INFRA_KEY)
    assert find_held_locks([("30_app", "dev")], policy, "dev", Aws(region=REGION)) == []


def test_a_released_lockfile_is_not_held(aws_env: Any, policy: Policy) -> None:
    s3, _ = aws_env
    put_lockfile(s3)
    s3.delete_object(Bucket=BUCKET, Key=APP_KEY + ".tflock")  # a delete marker in the versioned bucket
    assert find_held_locks(ALL_DEV, policy, "dev", Aws(region=REGION)) == []


def test_bucket_and_account_id_options(aws_env: Any, policy: Policy) -> None:
    _, dynamodb = aws_env
    put_dynamodb_lock(dynamodb)
    assert find_held_locks([("30_app", "dev")], policy, "dev", Aws(region=REGION), account_id=ACCOUNT)
    assert find_held_locks([("30_app", "dev")], policy, "dev", Aws(region=REGION), bucket=BUCKET)


def test_missing_table_names_it_and_the_error_code(aws_env: Any, policy: Policy) -> None:
    with pytest.raises(UserError) as raised:
        find_held_locks([("30_app", "dev")], policy, "dev", Aws(region=REGION), table="no-such-table")
    assert "no-such-table" in str(raised.value) and "ResourceNotFoundException" in str(raised.value)


def test_missing_bucket_names_it_and_the_error_code(aws_env: Any, policy: Policy) -> None:
    with pytest.raises(UserError) as raised:
        find_held_locks([("30_app", "dev")], policy, "dev", Aws(region=REGION), account_id="999999999999")
    message = str(raised.value)
    assert "tt-practice-tf-state-dev-999999999999" in message and "NoSuchBucket" in message


def test_unknown_layer_and_environment(aws_env: Any, policy: Policy) -> None:
    with pytest.raises(UserError, match="unknown layer"):
        find_held_locks([("40_web", "dev")], policy, "dev", Aws(region=REGION))
    with pytest.raises(UserError, match="unknown environment"):
        find_held_locks([("30_app", "qa")], policy, None, Aws(region=REGION))


def test_access_denied_is_one_line_with_the_code() -> None:
    from botocore.exceptions import ClientError

    error = ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetObject")
    converted = aws_error(error, f"reading s3://{BUCKET}/{APP_KEY}")
    assert isinstance(converted, UserError)
    assert str(converted).startswith(f"reading s3://{BUCKET}/{APP_KEY}: AccessDenied: Access Denied")
    bug = KeyError("x")
    assert aws_error(bug, "anything") is bug


def test_created_with_nanoseconds_and_offsets() -> None:
    assert parse_created("2024-05-01T10:00:00.123456789Z") == datetime(
        2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC
    )
    assert parse_created("2024-05-01T12:00:00.5+02:00") == datetime(2024, 5, 1, 10, 0, 0, 500000, tzinfo=UTC)
    assert parse_created("yesterday") is None
    assert parse_created(None) is None


# -- ttgate locks list ----------------------------------------------------------------------------------


def test_list_locks_skips_digests_and_other_buckets(aws_env: Any, policy: Policy) -> None:
    s3, dynamodb = aws_env
    put_dynamodb_lock(dynamodb)
    put_dynamodb_lock(dynamodb, INFRA_KEY, bucket=f"tt-practice-tf-state-stage-{ACCOUNT}")
    put_lockfile(s3, INFRA_KEY, lock_info(OTHER_ID))
    aws = Aws(region=REGION)
    held = list_locks(policy, resolve_backend(policy, "dev", aws), aws)
    assert [(lock.layer, lock.where, lock.lock_id) for lock in held] == [
        ("20_infra", "s3", OTHER_ID),
        ("30_app", "dynamodb", LOCK_ID),
    ]


def test_cli_locks_list_text_and_json(aws_env: Any) -> None:
    s3, dynamodb = aws_env
    # Half a minute past 12: the server's Date header has whole seconds (exactly 12 minutes can read 11m59s).
    created = (datetime.now(UTC) - timedelta(minutes=12, seconds=30)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    put_dynamodb_lock(dynamodb, info=lock_info(created=created))
    put_lockfile(s3, INFRA_KEY, lock_info(OTHER_ID, who="bob@laptop"))

    result = run("locks", "list", "--env", "dev")
    assert result.exit_code == 0, result.output
    assert "2 lock(s) held in dev" in result.output
    assert f"ID {LOCK_ID}, OperationTypeApply by alice@ci-runner" in result.output
    assert "(12m" in result.output
    assert f"s3://{BUCKET}/{INFRA_KEY}.tflock" in result.output
    assert "-md5" not in result.output

    result = run("locks", "list", "--env", "dev", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["bucket"] == BUCKET and document["table"] == TABLE
    assert [(lock["where"], lock["id"], lock["who"]) for lock in document["locks"]] == [
        ("s3", OTHER_ID, "bob@laptop"),
        ("dynamodb", LOCK_ID, "alice@ci-runner"),
    ]
    assert 12 * 60 <= document["locks"][1]["age_seconds"] < 13 * 60


def test_cli_locks_list_none(aws_env: Any) -> None:
    result = run("locks", "list", "--env", "dev")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("no locks held in dev")


def test_cli_locks_list_without_a_table(aws_env: Any) -> None:
    s3, _ = aws_env
    put_lockfile(s3)
    result = run("locks", "list", "--env", "dev", "--table", "", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [lock["where"] for lock in json.loads(result.output)["locks"]] == ["s3"]


@pytest.mark.usefixtures("no_aws_credentials")
def test_cli_missing_credentials_is_one_line() -> None:
    line = one_line_error(run("locks", "list", "--env", "dev"))
    assert "NoCredentialsError" in line and "sts get-caller-identity" in line
    line = one_line_error(run("locks", "list", "--env", "dev", "--bucket", BUCKET))
    assert "NoCredentialsError" in line and TABLE in line


# -- ttgate locks release ---------------------------------------------------------------------------------


def items(dynamodb: Any) -> set[str]:
    return {item["LockID"]["S"] for item in dynamodb.scan(TableName=TABLE)["Items"]}


def lockfile_exists(s3: Any, key: str = APP_KEY) -> bool:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=key + ".tflock").get("Contents", [])
    return bool(listed)


def test_release_matching_id_from_both_places(aws_env: Any) -> None:
    s3, dynamodb = aws_env
    put_dynamodb_lock(dynamodb)
    put_lockfile(s3)
    result = run("locks", "release", LOCK_ID, "--env", "dev", "--yes")
    assert result.exit_code == 0, result.output
    assert result.output.count("released") == 2
    assert items(dynamodb) == {f"{BUCKET}/{APP_KEY}-md5", f"{BUCKET}/{INFRA_KEY}-md5"}  # digests kept
    assert not lockfile_exists(s3)


def test_release_refuses_another_id(aws_env: Any) -> None:
    s3, dynamodb = aws_env
    put_dynamodb_lock(dynamodb, info=lock_info(OTHER_ID))
    put_lockfile(s3, INFRA_KEY, lock_info(OTHER_ID))
    line = one_line_error(run("locks", "release", LOCK_ID, "--env", "dev", "--yes"))
    assert f"no lock with ID {LOCK_ID}" in line and OTHER_ID in line
    assert f"{BUCKET}/{APP_KEY}" in items(dynamodb)
    assert lockfile_exists(s3, INFRA_KEY)


def test_release_needs_yes(aws_env: Any) -> None:
    _, dynamodb = aws_env
    put_dynamodb_lock(dynamodb)
    line = one_line_error(run("locks", "release", LOCK_ID, "--env", "dev"))
    assert "--yes" in line
    assert f"{BUCKET}/{APP_KEY}" in items(dynamodb)


def test_release_never_touches_a_digest(aws_env: Any) -> None:
    _, dynamodb = aws_env
    line = one_line_error(
        run("locks", "release", "0cc0781024decc460b6d960684a56044", "--env", "dev", "--yes")
    )
    assert "no lock is held" in line
    assert len(items(dynamodb)) == 2


def test_release_refuses_a_lock_taken_again_after_reading(
    aws_env: Any, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3, dynamodb = aws_env
    put_dynamodb_lock(dynamodb)
    put_lockfile(s3)
    aws = Aws(region=REGION)
    backend = resolve_backend(policy, "dev", aws)
    stale = list_locks(policy, backend, aws)
    # Between the read and the delete, the stale locks are released and new ones (same stacks) taken.
    dynamodb.delete_item(TableName=TABLE, Key={"LockID": {"S": f"{BUCKET}/{APP_KEY}"}})
    s3.delete_object(Bucket=BUCKET, Key=APP_KEY + ".tflock")
    put_dynamodb_lock(dynamodb, info=lock_info(OTHER_ID))
    put_lockfile(s3, info=lock_info(OTHER_ID))
    monkeypatch.setattr("ttgate.operations.state.locks.list_locks", lambda *args: stale)
    with pytest.raises(UserError, match="changed after it was read"):
        release_lock(LOCK_ID, policy, backend, aws)
    [dynamodb_lock, s3_lock] = find_held_locks([("30_app", "dev")], policy, "dev", aws)
    assert dynamodb_lock.lock_id == s3_lock.lock_id == OTHER_ID


def test_release_s3_lockfile_changed_after_reading(
    aws_env: Any, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3, _ = aws_env
    put_lockfile(s3)
    aws = Aws(region=REGION)
    backend = resolve_backend(policy, "dev", aws)
    stale = list_locks(policy, backend, aws)
    s3.put_object(Bucket=BUCKET, Key=APP_KEY + ".tflock", Body=lock_info(OTHER_ID).encode())
    monkeypatch.setattr("ttgate.operations.state.locks.list_locks", lambda *args: stale)
    with pytest.raises(UserError, match="changed after it was read"):
        release_lock(LOCK_ID, policy, backend, aws)
    assert lockfile_exists(s3)


def recent(seconds: int = 7) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_release_refuses_a_young_lock_without_force(aws_env: Any) -> None:
    s3, dynamodb = aws_env
    put_dynamodb_lock(dynamodb, info=lock_info(created=recent()))
    put_lockfile(s3, info=lock_info(created=recent()))
    result = run("locks", "release", LOCK_ID, "--env", "dev", "--yes")
    assert result.exit_code == 2, result.output
    assert "--force" in result.stderr and "15 minutes" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    # The holder, operation, age and path were shown first.
    assert "alice@ci-runner" in result.stdout and "OperationTypeApply" in result.stdout
    assert f"{BUCKET}/{APP_KEY}" in result.stdout and " ago" in result.stdout
    assert f"{BUCKET}/{APP_KEY}" in items(dynamodb) and lockfile_exists(s3)
    result = run("locks", "release", LOCK_ID, "--env", "dev", "--yes", "--force")
    assert result.exit_code == 0, result.output
    assert f"{BUCKET}/{APP_KEY}" not in items(dynamodb) and not lockfile_exists(s3)


def test_release_force_still_checks_the_id(aws_env: Any) -> None:
    _, dynamodb = aws_env
    put_dynamodb_lock(dynamodb, info=lock_info(OTHER_ID, created=recent()))
    line = one_line_error(run("locks", "release", LOCK_ID, "--env", "dev", "--yes", "--force"))
    assert f"no lock with ID {LOCK_ID}" in line
    assert f"{BUCKET}/{APP_KEY}" in items(dynamodb)


def test_release_a_lock_of_unknown_age_needs_force(aws_env: Any) -> None:
    _, dynamodb = aws_env
    put_dynamodb_lock(dynamodb, info=lock_info(created="not a time"))
    result = run("locks", "release", LOCK_ID, "--env", "dev", "--yes")
    assert result.exit_code == 2 and "unknown age (no readable creation time)" in result.stderr
    assert f"{BUCKET}/{APP_KEY}" in items(dynamodb)


def test_release_threshold_is_a_policy_setting(aws_env: Any, tmp_path: Any) -> None:
    _, dynamodb = aws_env
    put_dynamodb_lock(dynamodb, info=lock_info(created=recent(120)))
    (tmp_path / ".ttgate.yml").write_text("operations:\n  lock_release_min_age_minutes: 1\n")
    result = run("locks", "release", LOCK_ID, "--env", "dev", "--yes")
    assert result.exit_code == 0, result.output


def test_release_dry_run_prints_what_it_would_delete_and_deletes_nothing(aws_env: Any) -> None:
    s3, dynamodb = aws_env
    put_dynamodb_lock(dynamodb)
    put_lockfile(s3)
    assert "choose one" in one_line_error(
        run("locks", "release", LOCK_ID, "--env", "dev", "--dry-run", "--yes")
    )
    result = run("locks", "release", LOCK_ID, "--env", "dev", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"would delete dynamodb table {TABLE}, LockID {BUCKET}/{APP_KEY}" in result.stdout
    assert f"would delete s3://{BUCKET}/{APP_KEY}.tflock" in result.stdout
    assert f"{BUCKET}/{APP_KEY}" in items(dynamodb) and lockfile_exists(s3)
