"""Restoring a state version safely, against a versioned bucket and lock table (moto)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.operations.aws_backend import BUCKET, REGION, TABLE, one_line_error, run
from tests.operations.state.state_history import (
    DIGEST_ID,
    DLQ,
    KEY,
    LINEAGE,
    LOCK_INFO,
    OTHER_LINEAGE,
    POLICY_DOC,
    QUEUE,
    Bucket,
    assert_unchanged,
    restore_args,
    state_body,
)
from ttgate.errors import UserError
from ttgate.gate.rules import RULES
from ttgate.integrations.aws import Aws
from ttgate.operations.state.backend import resolve_backend
from ttgate.operations.state.restore import prepare_restore, upload_restore
from ttgate.operations.state.versions import resource_addresses
from ttgate.policy import load_policy

# -- restore to a file ---------------------------------------------------------------------------------


def test_restore_to_file_bumps_serial_and_shows_the_difference(bucket: Bucket, tmp_path: Path) -> None:
    before, digest = bucket.state_versions(), bucket.digest()
    result = run(*restore_args(bucket.versions["v1"]))
    assert result.exit_code == 0, result.output
    target = tmp_path / "30_app-dev-restore-8.tfstate"
    restored = json.loads(target.read_text())
    assert restored["serial"] == 8  # the highest serial of the history (7, another lineage) + 1
    assert restored["lineage"] == LINEAGE
    assert resource_addresses(restored["resources"]) == resource_addresses([QUEUE, DLQ, POLICY_DOC])
    assert "  + aws_sqs_queue.dlq" in result.output
    assert "  - module.api.aws_lambda_function.api" in result.output
    assert '  - module.workers.aws_lambda_function.worker["a"]' in result.output
    assert "adds 1 and removes 3 resource(s)" in result.output
    assert "serial set to 8" in result.output
    assert_unchanged(bucket, before, digest)


def test_restore_out_option_and_no_overwrite(bucket: Bucket, tmp_path: Path) -> None:
    out = tmp_path / "restore.tfstate"
    assert run(*restore_args(bucket.versions["v2"], "--out", str(out))).exit_code == 0
    assert json.loads(out.read_text())["serial"] == 8
    line = one_line_error(run(*restore_args(bucket.versions["v2"], "--out", str(out))))
    assert "exists" in line


def test_restore_out_into_a_missing_directory_is_refused_up_front(bucket: Bucket, tmp_path: Path) -> None:
    out = tmp_path / "no-such-dir" / "restore.tfstate"
    result = run(*restore_args(bucket.versions["v2"], "--out", str(out)))
    line = one_line_error(result)
    assert line.startswith(f"ttgate: error: --out {out}: directory ") and "does not exist" in line
    assert "serial" not in result.output  # refused before reading anything
    assert not out.parent.exists()


def test_restore_refuses_another_lineage(bucket: Bucket, tmp_path: Path) -> None:
    before, digest = bucket.state_versions(), bucket.digest()
    line = one_line_error(run(*restore_args(bucket.versions["other"], "--upload", "--yes")))
    assert f"lineage {OTHER_LINEAGE}" in line and LINEAGE in line and "refused" in line
    assert_unchanged(bucket, before, digest)
    one_line_error(run(*restore_args(bucket.versions["other"])))
    assert not list(tmp_path.glob("*.tfstate"))


def test_restore_refuses_a_body_that_is_not_state(bucket: Bucket, tmp_path: Path) -> None:
    before, digest = bucket.state_versions(), bucket.digest()
    line = one_line_error(run(*restore_args(bucket.versions["junk"], "--upload", "--yes")))
    assert "is not Terraform state" in line and bucket.versions["junk"] in line
    assert_unchanged(bucket, before, digest)


def test_restore_unknown_version(bucket: Bucket, tmp_path: Path) -> None:
    before, digest = bucket.state_versions(), bucket.digest()
    line = one_line_error(run(*restore_args("no-such-version", "--upload", "--yes")))
    assert "no-such-version does not exist" in line and "NoSuchVersion" in line
    assert_unchanged(bucket, before, digest)


def test_restore_of_another_key_version_is_unknown(bucket: Bucket) -> None:
    line = one_line_error(run(*restore_args(bucket.versions["tflock"])))
    assert "does not exist" in line


def test_restore_the_current_version_is_refused(bucket: Bucket) -> None:
    line = one_line_error(run(*restore_args(bucket.versions["v3"])))
    assert "already the current state" in line


@pytest.mark.parametrize("place", ["dynamodb", "s3"])
def test_restore_refused_while_locked(bucket: Bucket, tmp_path: Path, place: str) -> None:
    if place == "dynamodb":
        bucket.dynamodb.put_item(
            TableName=TABLE, Item={"LockID": {"S": f"{BUCKET}/{KEY}"}, "Info": {"S": LOCK_INFO}}
        )
    else:
        bucket.s3.put_object(Bucket=BUCKET, Key=KEY + ".tflock", Body=LOCK_INFO.encode(), IfNoneMatch="*")
    before, digest = bucket.state_versions(), bucket.digest()
    line = one_line_error(run(*restore_args(bucket.versions["v1"], "--upload", "--yes")))
    assert "30_app/dev is locked" in line and "alice@ci-runner" in line and "OperationTypeApply" in line
    assert_unchanged(bucket, before, digest)
    one_line_error(run(*restore_args(bucket.versions["v1"])))
    assert not list(tmp_path.glob("*.tfstate"))


def test_restore_flags(bucket: Bucket) -> None:
    assert "needs --yes" in one_line_error(run(*restore_args(bucket.versions["v1"], "--upload")))
    assert "confirms --upload" in one_line_error(run(*restore_args(bucket.versions["v1"], "--yes")))
    assert "choose one" in one_line_error(
        run(*restore_args(bucket.versions["v1"], "--upload", "--yes", "--out", "x.tfstate"))
    )


# -- restore by upload ---------------------------------------------------------------------------------


def test_upload_writes_the_new_current_object_and_its_digest(bucket: Bucket, tmp_path: Path) -> None:
    before = bucket.state_versions()
    result = run(*restore_args(bucket.versions["v1"], "--upload", "--yes"))
    assert result.exit_code == 0, result.output
    version_id, body = bucket.current()
    assert version_id not in before and len(bucket.state_versions()) == len(before) + 1
    restored = json.loads(body)
    assert (restored["serial"], restored["lineage"]) == (8, LINEAGE)
    assert resource_addresses(restored["resources"]) == resource_addresses([QUEUE, DLQ, POLICY_DOC])
    assert bucket.digest() == hashlib.md5(body).hexdigest()  # what Terraform compares its read with
    assert f"uploaded as s3://{BUCKET}/{KEY} version {version_id}" in result.output
    assert not list(tmp_path.glob("*.tfstate"))


@pytest.mark.parametrize("table", ["", "some-other-table"])
def test_upload_with_no_or_a_wrong_table_refuses_to_leave_a_stale_digest(bucket: Bucket, table: str) -> None:
    if table:
        bucket.dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    before, digest = bucket.state_versions(), bucket.digest()
    line = one_line_error(run(*restore_args(bucket.versions["v2"], "--upload", "--yes", "--table", table)))
    assert f"--table {TABLE}" in line and "digest" in line
    assert_unchanged(bucket, before, digest)


def test_upload_without_any_digest_needs_no_table(bucket: Bucket) -> None:
    bucket.dynamodb.delete_item(TableName=TABLE, Key={"LockID": {"S": DIGEST_ID}})
    result = run(*restore_args(bucket.versions["v2"], "--upload", "--yes", "--table", ""))
    assert result.exit_code == 0, result.output
    assert json.loads(bucket.current()[1])["serial"] == 8


class ClientSpy:
    """An S3 client whose listed methods are replaced; everything else is the real (moto) client."""

    def __init__(self, client: Any, **replaced: Any) -> None:
        self._client = client
        self._replaced = replaced

    def __getattr__(self, name: str) -> Any:
        return self._replaced.get(name) or getattr(self._client, name)


def spy_on_s3(monkeypatch: pytest.MonkeyPatch, **replaced: Any) -> None:
    original = Aws.s3
    monkeypatch.setattr(Aws, "s3", lambda self: ClientSpy(original(self), **replaced))


@pytest.mark.parametrize("status", ["never", "Suspended"])
def test_upload_to_an_unversioned_bucket_is_refused(
    bucket: Bucket, status: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, digest = bucket.state_versions(), bucket.digest()
    if status == "Suspended":
        bucket.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    else:  # GetBucketVersioning of a bucket never versioned has no Status
        spy_on_s3(monkeypatch, get_bucket_versioning=lambda **kwargs: {})
    line = one_line_error(run(*restore_args(bucket.versions["v1"], "--upload", "--yes")))
    assert "versioning" in line and "not Enabled" in line
    if status == "Suspended":
        bucket.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    assert_unchanged(bucket, before, digest)


def test_an_empty_version_id_is_refused(bucket: Bucket) -> None:
    before, digest = bucket.state_versions(), bucket.digest()
    line = one_line_error(run(*restore_args("", "--upload", "--yes")))
    assert "--version-id is empty" in line
    assert_unchanged(bucket, before, digest)


def test_upload_takes_the_lock_around_its_write_and_releases_it(
    bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[bool, bool]] = []
    real_put = Aws(region=REGION).s3().put_object

    def put_object(**kwargs: Any) -> Any:
        if kwargs["Key"] == KEY:  # the state write: both locks must be held now
            item = bucket.dynamodb.get_item(TableName=TABLE, Key={"LockID": {"S": f"{BUCKET}/{KEY}"}})
            listed = bucket.s3.list_objects_v2(Bucket=BUCKET, Prefix=KEY + ".tflock").get("Contents")
            seen.append(("Item" in item, bool(listed)))
        return real_put(**kwargs)

    spy_on_s3(monkeypatch, put_object=put_object)
    result = run(*restore_args(bucket.versions["v1"], "--upload", "--yes"))
    assert result.exit_code == 0, result.output
    assert seen == [(True, True)]
    lock_items = bucket.dynamodb.scan(TableName=TABLE)["Items"]
    assert [i["LockID"]["S"] for i in lock_items] == [DIGEST_ID]
    assert not bucket.s3.list_objects_v2(Bucket=BUCKET, Prefix=KEY + ".tflock").get("Contents")


def test_upload_dry_run_prints_what_it_would_write_and_writes_nothing(bucket: Bucket) -> None:
    before, digest = bucket.state_versions(), bucket.digest()
    result = run(*restore_args(bucket.versions["v1"], "--upload", "--dry-run"))
    assert result.exit_code == 0, result.output
    restore = prepare_restore(Aws(region=REGION), BUCKET, KEY, bucket.versions["v1"])
    assert f"would write s3://{BUCKET}/{KEY}" in result.stdout
    assert f"if its version is still {bucket.versions['v3']}" in result.stdout
    assert f"would set {DIGEST_ID} in dynamodb table {TABLE} to {restore.md5}" in result.stdout
    assert "dry run: nothing written" in result.stdout
    assert_unchanged(bucket, before, digest)


def test_restore_racing_a_newer_write_writes_nothing(bucket: Bucket) -> None:
    policy = load_policy(RULES)
    aws = Aws(region=REGION)
    backend = resolve_backend(policy, "dev", aws)
    restore = prepare_restore(aws, BUCKET, KEY, bucket.versions["v1"])
    assert (restore.current_version_id, restore.serial) == (bucket.versions["v3"], 8)
    # An apply finishes between reading "current" and writing: serial 4 is now taken.
    newer = bucket.put(state_body(4, [QUEUE]))
    bucket.dynamodb.put_item(
        TableName=TABLE,
        Item={"LockID": {"S": DIGEST_ID}, "Digest": {"S": hashlib.md5(state_body(4, [QUEUE])).hexdigest()}},
    )
    before, digest = bucket.state_versions(), bucket.digest()
    with pytest.raises(UserError, match="changed after the restore was prepared"):
        upload_restore(aws, restore, policy=policy, layer="30_app", backend=backend)
    assert bucket.state_versions() == before
    assert bucket.current() == (newer, state_body(4, [QUEUE]))
    assert bucket.digest() == digest


def test_restore_after_the_state_was_deleted(bucket: Bucket) -> None:
    bucket.s3.delete_object(Bucket=BUCKET, Key=KEY)
    result = run(*restore_args(bucket.versions["v3"], "--upload", "--yes"))
    assert result.exit_code == 0, result.output
    _, body = bucket.current()
    assert json.loads(body)["serial"] == 8
    assert bucket.digest() == hashlib.md5(body).hexdigest()


# -- a current object that is the damage ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "problem"),
    [
        (b'{"version": 4, "lineage": "', "is not Terraform state"),  # an interrupted write
        (state_body(9, [QUEUE], lineage=OTHER_LINEAGE), f"the current state {OTHER_LINEAGE}"),  # a bad push
    ],
    ids=["truncated", "foreign lineage"],
)
def test_a_damaged_current_object_is_replaced_only_when_asked_loudly(
    bucket: Bucket, current: bytes, problem: str
) -> None:
    damaged = bucket.put(current)
    before = bucket.state_versions()
    line = one_line_error(run(*restore_args(bucket.versions["v2"], "--upload", "--yes")))
    assert problem in line and "--replace-damaged-current" in line
    assert bucket.state_versions() == before and bucket.current()[0] == damaged

    result = run(*restore_args(bucket.versions["v2"], "--upload", "--yes", "--replace-damaged-current"))
    assert result.exit_code == 0, result.output
    assert "WARNING: the current object is replaced" in result.stderr
    version_id, body = bucket.current()
    assert damaged in bucket.state_versions() and version_id != damaged  # the damage stays in history
    restored = json.loads(body)
    highest = 9 if b"serial" in current else 7  # the highest serial any version of the key ever had
    assert (restored["serial"], restored["lineage"]) == (highest + 1, LINEAGE)
    assert bucket.digest() == hashlib.md5(body).hexdigest()
