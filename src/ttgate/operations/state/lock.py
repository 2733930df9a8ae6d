"""Taking a Terraform state lock the way Terraform does, for ttgate's own writes to a state.

Both places the S3 backend may look are locked: the DynamoDB item ``LockID = "<bucket>/<key>"``
(conditional put, only when absent) when the environment has a lock table, and the S3 lockfile
``<key>.tflock`` (conditional put, ``If-None-Match: *``), so a Terraform configured with either (or
both) waits for us. Each is released with a delete conditional on it still being ours.
"""

from __future__ import annotations

import getpass
import json
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ttgate.errors import UserError
from ttgate.operations.state.backend import LOCKFILE_SUFFIX, Backend, layer_state_key
from ttgate.operations.state.locks import find_held_locks

if TYPE_CHECKING:
    from ttgate.integrations.aws import Aws
    from ttgate.policy import Policy

OPERATION = "ttgate state restore"


@dataclass(frozen=True)
class OwnLock:
    """A lock ttgate wrote: where, and the exact Info to compare when releasing it."""

    lock_id: str
    info: str
    table: str | None  # None: no DynamoDB item was written
    places: tuple[str, ...]  # human-readable, for the dry run and the messages


def lock_info_text(lock_id: str, path: str, now: datetime | None = None) -> str:
    """The Info JSON Terraform writes (ID, Operation, Info, Who, Version, Created, Path)."""
    from ttgate import __version__

    try:
        who = f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):  # no user name in a container without /etc/passwd entry
        who = f"ttgate@{socket.gethostname()}"
    created = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(
        {
            "ID": lock_id,
            "Operation": OPERATION,
            "Info": "",
            "Who": who,
            "Version": f"ttgate {__version__}",
            "Created": created,
            "Path": path,
        }
    )


def lock_places(backend: Backend, key: str) -> tuple[str, ...]:
    places = [f"s3://{backend.bucket}/{key}{LOCKFILE_SUFFIX}"]
    if backend.table:
        places.insert(0, f"dynamodb table {backend.table}, LockID {backend.bucket}/{key}")
    return tuple(places)


@contextmanager
def state_lock(aws: Aws, policy: Policy, backend: Backend, layer: str) -> Iterator[OwnLock]:
    """Hold the lock of ``layer``'s state for the duration; refused (UserError) when someone holds it."""
    key = layer_state_key(policy, layer)
    lock_id = str(uuid.uuid4())
    info = lock_info_text(lock_id, f"{backend.bucket}/{key}")
    own = OwnLock(lock_id, info, backend.table, lock_places(backend, key))
    taken: list[str] = []
    try:
        if backend.table:
            _take_dynamodb(aws, policy, backend, layer, key, info)
            taken.append("dynamodb")
        _take_lockfile(aws, policy, backend, layer, key, info)
        taken.append("s3")
        yield own
    except UserError as error:
        left = _release(aws, backend, key, info, taken)
        if left:
            raise UserError(f"{error}; and {left}") from None
        raise
    except BaseException:
        _release(aws, backend, key, info, taken)
        raise
    left = _release(aws, backend, key, info, taken)
    if left:
        raise UserError(left)


def _refused(aws: Aws, policy: Policy, backend: Backend, layer: str) -> UserError:
    held = find_held_locks(
        [(layer, backend.env)], policy, backend.env, aws, bucket=backend.bucket, table=backend.table or ""
    )
    what = held[0].describe() if held else f"{layer}/{backend.env} was locked by someone else meanwhile"
    return UserError(f"{what}: restore refused, nothing written")


def _take_dynamodb(aws: Aws, policy: Policy, backend: Backend, layer: str, key: str, info: str) -> None:
    from ttgate.integrations.aws import aws_error, error_code

    try:
        aws.dynamodb().put_item(
            TableName=backend.table,
            Item={"LockID": {"S": f"{backend.bucket}/{key}"}, "Info": {"S": info}},
            ConditionExpression="attribute_not_exists(LockID)",
        )
    except Exception as error:
        if error_code(error) == "ConditionalCheckFailedException":
            raise _refused(aws, policy, backend, layer) from None
        raise aws_error(error, f"locking {key} in dynamodb table {backend.table}") from None


def _take_lockfile(aws: Aws, policy: Policy, backend: Backend, layer: str, key: str, info: str) -> None:
    from ttgate.integrations.aws import aws_error, error_code

    try:
        aws.s3().put_object(
            Bucket=backend.bucket,
            Key=key + LOCKFILE_SUFFIX,
            Body=info.encode("utf-8"),
            ContentType="application/json",
            IfNoneMatch="*",
        )
    except Exception as error:
        if error_code(error) in ("PreconditionFailed", "ConditionalRequestConflict"):
            raise _refused(aws, policy, backend, layer) from None
        raise aws_error(error, f"writing the lockfile s3://{backend.bucket}/{key}{LOCKFILE_SUFFIX}") from None


def _release(aws: Aws, backend: Backend, key: str, info: str, taken: list[str]) -> str | None:
    """Delete what was taken, each only while it is still ours; what is left, if anything, as a sentence."""
    left: list[str] = []
    if "s3" in taken:
        lockfile = key + LOCKFILE_SUFFIX
        try:
            body = aws.s3().get_object(Bucket=backend.bucket, Key=lockfile)
            if body["Body"].read().decode("utf-8", errors="replace") == info:
                aws.s3().delete_object(Bucket=backend.bucket, Key=lockfile, IfMatch=body["ETag"])
        except Exception:
            left.append(f"s3://{backend.bucket}/{lockfile}")
    if "dynamodb" in taken:
        try:
            aws.dynamodb().delete_item(
                TableName=backend.table,
                Key={"LockID": {"S": f"{backend.bucket}/{key}"}},
                ConditionExpression="Info = :info",
                ExpressionAttributeValues={":info": {"S": info}},
            )
        except Exception:
            left.append(f"dynamodb table {backend.table}, LockID {backend.bucket}/{key}")
    if not left:
        return None
    lock_id = json.loads(info)["ID"]
    return (
        f"could not release ttgate's own lock {lock_id} ({'; '.join(left)}); release it with: "
        f"ttgate locks release {lock_id} --env {backend.env} --yes --force"
    )


__all__ = ["OPERATION", "OwnLock", "lock_places", "state_lock"]
