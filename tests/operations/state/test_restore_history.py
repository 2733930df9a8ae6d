"""A restore reads the key's whole history: its serial, and whether the current object is the damage."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.operations.aws_backend import BUCKET, TABLE, one_line_error, run
from tests.operations.state.state_history import (
    DIGEST_ID,
    DLQ,
    FUNCTION,
    KEY,
    LINEAGE,
    OTHER_LINEAGE,
    QUEUE,
    Bucket,
    restore_args,
    state_body,
)


def history(aws_backend: tuple[Any, Any], *bodies: bytes) -> Bucket:
    """A key whose versions are ``bodies``, oldest first, the last one current with its digest."""
    s3, dynamodb = aws_backend
    bucket = Bucket(s3, dynamodb, {})
    for number, body in enumerate(bodies, start=1):
        bucket.versions[f"v{number}"] = bucket.put(body)
    dynamodb.put_item(
        TableName=TABLE,
        Item={"LockID": {"S": DIGEST_ID}, "Digest": {"S": hashlib.md5(bodies[-1]).hexdigest()}},
    )
    return bucket


def test_a_restore_after_a_forced_push_takes_a_serial_no_version_ever_had(
    aws_backend: tuple[Any, Any],
) -> None:
    # serial 5 was current; then `terraform state push -force` of an older state lowered it to 2.
    bucket = history(
        aws_backend,
        state_body(1, [QUEUE]),
        state_body(4, [QUEUE, DLQ]),
        state_body(5, [QUEUE, DLQ, FUNCTION]),
        state_body(2, [QUEUE, DLQ]),
    )
    result = run(*restore_args(bucket.versions["v2"], "--upload", "--yes"))
    assert result.exit_code == 0, result.output
    # current + 1 would be 3; and after another apply 5 + 1 again: a plan saved at serial 5 would apply.
    assert json.loads(bucket.current()[1])["serial"] == 6


def test_one_old_foreign_version_does_not_make_a_healthy_current_state_damaged(
    aws_backend: tuple[Any, Any],
) -> None:
    bucket = history(
        aws_backend,
        state_body(1, [QUEUE]),
        state_body(9, [QUEUE], lineage=OTHER_LINEAGE),  # a bad push, repaired since
        state_body(10, [QUEUE, DLQ]),
        state_body(11, [QUEUE, DLQ, FUNCTION]),
    )
    before = bucket.state_versions()
    args = restore_args(bucket.versions["v2"], "--upload", "--yes", "--replace-damaged-current")
    line = one_line_error(run(*args))
    assert "not the odd one out" in line and bucket.versions["v2"] in line
    assert bucket.state_versions() == before
    assert bucket.current()[0] == bucket.versions["v4"]


def test_a_damaged_current_object_is_replaced_only_by_the_lineage_it_broke(
    aws_backend: tuple[Any, Any],
) -> None:
    bucket = history(
        aws_backend,
        state_body(3, [QUEUE], lineage=OTHER_LINEAGE),  # before a re-init
        state_body(1, [QUEUE, DLQ]),
        state_body(2, [QUEUE, DLQ, FUNCTION]),
        b'{"version": 4, "lineage": "',  # an interrupted write
    )
    line = one_line_error(
        run(*restore_args(bucket.versions["v1"], "--upload", "--yes", "--replace-damaged-current"))
    )
    assert f"has {LINEAGE}" in line and "restore a version of that lineage" in line
    result = run(*restore_args(bucket.versions["v3"], "--upload", "--yes", "--replace-damaged-current"))
    assert result.exit_code == 0, result.output
    restored = json.loads(bucket.current()[1])
    assert (restored["serial"], restored["lineage"]) == (4, LINEAGE)
    assert bucket.s3.get_object(Bucket=BUCKET, Key=KEY)["VersionId"] != bucket.versions["v4"]
