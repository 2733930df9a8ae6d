"""The state bucket's history every versions and restore test starts from."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.operations.aws_backend import BUCKET, TABLE
from tests.operations.state.state_history import (
    DIGEST_ID,
    DLQ,
    FUNCTION,
    KEY,
    LOCK_INFO,
    OTHER_LINEAGE,
    POLICY_DOC,
    QUEUE,
    WORKERS,
    Bucket,
    state_body,
)


@pytest.fixture
def bucket(aws_backend: tuple[Any, Any]) -> Bucket:
    """History of app/terraform.tfstate, oldest first: a state of another lineage (before a re-init),
    a body that is not state, serial 1, a delete marker, serials 2 and 3 (current). Around it: the
    lockfile's own versions, keys sharing the prefix, and the digest of the current state."""
    s3, dynamodb = aws_backend
    state = Bucket(s3, dynamodb, {})
    state.versions["other"] = state.put(state_body(7, [QUEUE], lineage=OTHER_LINEAGE))
    state.versions["junk"] = state.put(b'{"hello": "not a state"}')
    state.versions["v1"] = state.put(state_body(1, [QUEUE, DLQ, POLICY_DOC]))
    s3.delete_object(Bucket=BUCKET, Key=KEY)
    state.versions["v2"] = state.put(state_body(2, [QUEUE, DLQ, POLICY_DOC, FUNCTION]))
    lock = s3.put_object(Bucket=BUCKET, Key=KEY + ".tflock", Body=LOCK_INFO.encode(), IfNoneMatch="*")
    state.versions["tflock"] = lock["VersionId"]
    s3.delete_object(Bucket=BUCKET, Key=KEY + ".tflock")
    v3 = state_body(3, [QUEUE, POLICY_DOC, FUNCTION, WORKERS])
    state.versions["v3"] = state.put(v3)
    for other_key in (KEY + ".backup", "app/terraform.tfstate2", "infra/terraform.tfstate"):
        state.versions[other_key] = s3.put_object(Bucket=BUCKET, Key=other_key, Body=v3)["VersionId"]
    dynamodb.put_item(
        TableName=TABLE, Item={"LockID": {"S": DIGEST_ID}, "Digest": {"S": hashlib.md5(v3).hexdigest()}}
    )
    return state
