"""Terraform state locks, in both places Terraform's S3 backend keeps them.

- DynamoDB (``dynamodb_table``): the item ``LockID = "<bucket>/<key>"`` whose ``Info`` attribute is the
  lock's JSON (ID, Operation, Info, Who, Version, Created, Path). The item ``"<bucket>/<key>-md5"`` in the
  same table is the state's digest (attribute ``Digest``), not a lock: it is never reported or deleted.
- S3 (``use_lockfile``, Terraform >= 1.10): the object ``<key>.tflock`` beside the state, holding the
  same JSON, written with a conditional put.

:func:`find_held_locks` is the preflight of rollbacks and restores; :func:`list_locks` and
:func:`release_lock` back ``ttgate locks``.

A lock's age is the server's, never this machine's: the time AWS answered (the response's ``Date``
header) minus the time the lock was written (S3: the lockfile's ``LastModified``, set by S3; DynamoDB:
the lock's own ``Created``, checked against the server's time, so a holder whose clock is ahead shows
a lock "in the future", not a young or an old one). A releaser with a fast clock frees no live lock.
Every text that comes from a lock (Who, Operation, Path, the raw Info) is anyone's: whatever shows these
lines (``ttgate locks``, the CLI's error line, the workflow's preflight) passes them through the one
sanitiser, so a newline or ``::`` in them writes no line and no workflow command of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from ttgate.errors import UserError
from ttgate.operations.durations import format_age
from ttgate.operations.state.backend import (
    DIGEST_SUFFIX,
    LOCKFILE_SUFFIX,
    Backend,
    layer_state_key,
    resolve_backend,
)

if TYPE_CHECKING:
    from ttgate.integrations.aws import Aws
    from ttgate.policy import Policy

Where = Literal["dynamodb", "s3"]


@dataclass(frozen=True)
class Lock:
    """A held Terraform lock."""

    layer: str | None  # the policy layer whose state key it locks; None for a key no layer declares
    env: str
    state_key: str
    where: Where
    resource: str  # DynamoDB: the item's LockID; S3: the lockfile's object key
    lock_id: str  # Info.ID: what `terraform force-unlock` and `ttgate locks release` take
    operation: str
    who: str
    created: datetime | None
    path: str
    version: str
    bucket: str
    table: str | None = None
    etag: str | None = None  # S3 only: the lockfile's ETag when it was read
    raw_info: str | None = None  # DynamoDB only: the Info attribute exactly as read
    written: datetime | None = None  # S3 only: the lockfile's LastModified (the server's clock)
    server_now: datetime | None = None  # the server's time when the lock was read (Date header)

    def location(self) -> str:
        if self.where == "dynamodb":
            return f"dynamodb table {self.table}, LockID {self.resource}"
        return f"s3://{self.bucket}/{self.resource}"

    @property
    def release_id(self) -> str:
        """What `ttgate locks release` takes: Info's ID, or where the lock is when its Info has none
        (not JSON, or no ID): such a lock can still be released, by that name."""
        return self.lock_id or self.resource

    def since(self) -> datetime | None:
        """When the lock was taken: S3's write time for a lockfile, else the lock's own Created."""
        return self.written if self.where == "s3" and self.written is not None else self.created

    def age(self, now: datetime | None = None) -> timedelta | None:
        """How old the lock is by the server's clock (``now`` replaces it); negative when the lock
        is dated after the server's time; None when either time is unknown."""
        since, clock = self.since(), now or self.server_now
        if since is None or clock is None:
            return None
        return clock - since

    def describe_age(self, now: datetime | None = None) -> str:
        age = self.age(now)
        if age is None:
            what = "no server time" if (now or self.server_now) is None else "no readable creation time"
            return f"age unknown ({what})"
        if age < timedelta(0):
            return f"{format_age(-age)} in the future by the server's clock (the holder's clock is ahead)"
        return f"{format_age(age)} ago by the server's clock"

    def describe(self, now: datetime | None = None) -> str:
        """One line: which stack, where, who, what and since when (lock texts made inert)."""
        stack = f"{self.layer or self.state_key}/{self.env}"
        since_time = self.since()
        since = since_time.strftime("%Y-%m-%d %H:%M:%S UTC") if since_time else "an unknown time"
        ident = (
            f"ID {self.lock_id}"
            if self.lock_id
            else f"no ID (its Info is not a Terraform lock; release it as {self.resource})"
        )
        return (
            f"{stack} is locked in {self.location()}: {ident}, "
            f"{self.operation or 'unknown operation'} by {self.who or 'unknown'} "
            f"since {since} ({self.describe_age(now)})"
        )

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        age = self.age(now)
        since = self.since()
        return {
            "layer": self.layer,
            "env": self.env,
            "state_key": self.state_key,
            "where": self.where,
            "bucket": self.bucket,
            "table": self.table if self.where == "dynamodb" else None,
            "resource": self.resource,
            "id": self.lock_id,
            "operation": self.operation,
            "who": self.who,
            "release_id": self.release_id,
            "created": self.created.isoformat().replace("+00:00", "Z") if self.created else None,
            "since": since.isoformat().replace("+00:00", "Z") if since else None,
            "age_seconds": int(age.total_seconds()) if age is not None and age >= timedelta(0) else None,
            "in_future_seconds": int(-age.total_seconds())
            if age is not None and age < timedelta(0)
            else None,
            "path": self.path,
            "version": self.version,
            "description": self.describe(now),
        }


_FRACTION = re.compile(r"\.(\d+)")


def parse_created(text: Any) -> datetime | None:
    """Terraform's Created (RFC 3339, nanoseconds, ``Z`` or an offset) as an aware datetime, else None."""
    if not isinstance(text, str) or not text:
        return None
    value = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text.strip(), count=1)
    value = value.replace("Z", "+00:00").replace("z", "+00:00")
    try:
        created = datetime.fromisoformat(value)
    except ValueError:
        return None
    return created if created.tzinfo else created.replace(tzinfo=UTC)


def server_time(response: Mapping[str, Any]) -> datetime | None:
    """The time the AWS server answered (its ``Date`` header), or None when it sent none."""
    from email.utils import parsedate_to_datetime

    headers = (response.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
    date = headers.get("date")
    if not isinstance(date, str):
        return None
    try:
        parsed = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _info(text: Any) -> dict[str, Any]:
    if not isinstance(text, str):
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _lock(
    info_text: Any,
    *,
    policy: Policy,
    backend: Backend,
    state_key: str,
    where: Where,
    resource: str,
    etag: Any,
    written: datetime | None = None,
    server_now: datetime | None = None,
) -> Lock:
    info = _info(info_text)
    layer = policy.layer_for_state_key(state_key)
    return Lock(
        layer=layer.name if layer else None,
        env=backend.env,
        state_key=state_key,
        where=where,
        resource=resource,
        lock_id=str(info.get("ID") or ""),
        operation=str(info.get("Operation") or ""),
        who=str(info.get("Who") or ""),
        created=parse_created(info.get("Created")),
        path=str(info.get("Path") or ""),
        version=str(info.get("Version") or ""),
        bucket=backend.bucket,
        table=backend.table,
        etag=str(etag) if etag else None,
        raw_info=info_text if isinstance(info_text, str) else None,
        written=written,
        server_now=server_now,
    )


# --------------------------------------------------------------------------------------------------
# Reading locks


def _dynamodb_lock(aws: Aws, policy: Policy, backend: Backend, state_key: str) -> Lock | None:
    from ttgate.integrations.aws import aws_error

    assert backend.table is not None
    lock_item_id = f"{backend.bucket}/{state_key}"
    try:
        response = aws.dynamodb().get_item(
            TableName=backend.table, Key={"LockID": {"S": lock_item_id}}, ConsistentRead=True
        )
    except Exception as error:
        raise aws_error(error, f"reading the lock of {state_key} in dynamodb table {backend.table}") from None
    item = response.get("Item")
    if not item:
        return None
    return _lock(
        item.get("Info", {}).get("S"),
        policy=policy,
        backend=backend,
        state_key=state_key,
        where="dynamodb",
        resource=lock_item_id,
        etag=None,
        server_now=server_time(response),
    )


def _s3_lock(aws: Aws, policy: Policy, backend: Backend, state_key: str) -> Lock | None:
    from ttgate.integrations.aws import aws_error, error_code

    lockfile = state_key + LOCKFILE_SUFFIX
    try:
        response = aws.s3().get_object(Bucket=backend.bucket, Key=lockfile)
        body = response["Body"].read()
    except Exception as error:
        if error_code(error) in ("NoSuchKey", "404"):
            return None
        raise aws_error(error, f"reading the lockfile s3://{backend.bucket}/{lockfile}") from None
    return _lock(
        body.decode("utf-8", errors="replace"),
        policy=policy,
        backend=backend,
        state_key=state_key,
        where="s3",
        resource=lockfile,
        etag=response.get("ETag"),
        written=response.get("LastModified"),
        server_now=server_time(response),
    )


def find_held_locks(
    stacks: Iterable[tuple[str, str]],
    policy: Policy,
    env: str | None,
    aws: Aws,
    *,
    account_id: str | None = None,
    bucket: str | None = None,
    table: str | None = None,
) -> list[Lock]:
    """The locks held on the states of ``stacks`` ((layer, env) pairs), in DynamoDB and as S3 lockfiles.

    ``env``, when given, is the only environment allowed in ``stacks`` (``bucket`` and ``account_id``
    then apply to it); None takes each stack's own. The bucket is ``bucket`` or the policy's name for
    the environment (the account from ``account_id``, else STS); the table is ``table`` or the policy's
    (``""``: none). A missing bucket or table, missing credentials or a denied call raise UserError.
    An empty list means no stack is locked.
    """
    backends: dict[str, Backend] = {}
    held: list[Lock] = []
    for layer_name, stack_env in stacks:
        if env is not None and stack_env != env:
            raise ValueError(f"stack {layer_name}/{stack_env} is not in environment {env}")
        state_key = layer_state_key(policy, layer_name)
        if stack_env not in backends:
            backends[stack_env] = resolve_backend(
                policy, stack_env, aws, account_id=account_id, bucket=bucket, table=table
            )
        backend = backends[stack_env]
        if backend.table:
            found = _dynamodb_lock(aws, policy, backend, state_key)
            if found:
                held.append(found)
        found = _s3_lock(aws, policy, backend, state_key)
        if found:
            held.append(found)
    return held


def list_locks(policy: Policy, backend: Backend, aws: Aws) -> list[Lock]:
    """Every lock held in the environment: the table's lock items for its bucket (never the ``-md5``
    digests) and every ``*.tflock`` object in its bucket."""
    from ttgate.integrations.aws import aws_error

    locks: list[Lock] = []
    prefix = backend.bucket + "/"
    if backend.table:
        try:
            pages = (
                aws.dynamodb()
                .get_paginator("scan")
                .paginate(
                    TableName=backend.table,
                    FilterExpression="begins_with(LockID, :bucket)",
                    ExpressionAttributeValues={":bucket": {"S": prefix}},
                    ConsistentRead=True,
                )
            )
            items = [(item, server_time(page)) for page in pages for item in page.get("Items", [])]
        except Exception as error:
            raise aws_error(error, f"scanning dynamodb table {backend.table}") from None
        for item, answered in items:
            lock_item_id = item.get("LockID", {}).get("S", "")
            if is_digest_item(item):
                continue
            locks.append(
                _lock(
                    item.get("Info", {}).get("S"),
                    policy=policy,
                    backend=backend,
                    state_key=lock_item_id[len(prefix) :],
                    where="dynamodb",
                    resource=lock_item_id,
                    etag=None,
                    server_now=answered,
                )
            )
    try:
        pages = aws.s3().get_paginator("list_objects_v2").paginate(Bucket=backend.bucket)
        lockfiles = [
            obj["Key"]
            for page in pages
            for obj in page.get("Contents", [])
            if obj["Key"].endswith(LOCKFILE_SUFFIX)
        ]
    except Exception as error:
        raise aws_error(error, f"listing s3://{backend.bucket}") from None
    for lockfile in lockfiles:
        found = _s3_lock(aws, policy, backend, lockfile[: -len(LOCKFILE_SUFFIX)])
        if found:  # it may have been released since the listing
            locks.append(found)
    order = {layer.state_key: layer.order for layer in policy.layers}
    locks.sort(key=lambda lock: (order.get(lock.state_key, len(order)), lock.state_key, lock.where))
    return locks


def is_digest_item(item: dict[str, Any]) -> bool:
    """A ``<bucket>/<key>-md5`` item holds the state's MD5 (``Digest``); it is never a lock."""
    lock_item_id = item.get("LockID", {}).get("S", "")
    return lock_item_id.endswith(DIGEST_SUFFIX) and "Info" not in item


# --------------------------------------------------------------------------------------------------
# Releasing a lock


def locks_with_id(lock_id: str, policy: Policy, backend: Backend, aws: Aws) -> list[Lock]:
    """Every lock of the environment whose Info ID is ``lock_id`` (Terraform writes the same ID to
    DynamoDB and the lockfile when both are configured); refused when there is none."""
    held = list_locks(policy, backend, aws)
    matching = [lock for lock in held if lock.release_id == lock_id]
    if matching:
        return matching
    if held:
        others = "; ".join(f"{lock.layer or lock.state_key}: {lock.release_id}" for lock in held)
        raise UserError(
            f"no lock with ID {lock_id} in {backend.env}: nothing released (held now: {others}; "
            "if the ID changed, someone else holds the lock)"
        )
    raise UserError(f"no lock with ID {lock_id} in {backend.env}: no lock is held, nothing released")


def refuse_young_locks(locks: Iterable[Lock], min_age_minutes: int, now: datetime | None = None) -> None:
    """A lock younger than the policy's threshold most likely belongs to a running operation (an apply
    at its approval prompt holds it for as long as nobody answers): releasing it lets a second apply
    write the state the first one then overwrites. Refused, as is a lock whose age cannot be read and
    one dated in the future (by the server's clock, never this machine's)."""
    threshold = timedelta(minutes=min_age_minutes)
    for lock in locks:
        age = lock.age(now)
        setting = f"policy operations.lock_release_min_age_minutes: {min_age_minutes}"
        operation, who = lock.operation or "operation", lock.who or "unknown"
        if age is None or age < timedelta(0):
            why = lock.describe_age(now).removeprefix("age unknown ")
            dated = f"is dated {why}" if age is not None else f"has an unknown age {why}"
            raise UserError(
                f"{lock.location()} {dated}: not released; if its {operation} by {who} is surely dead, "
                "pass --force"
            )
        if age < threshold:
            raise UserError(
                f"{lock.location()} is only {format_age(age)} old by the server's clock, younger than "
                f"{min_age_minutes} minutes ({setting}): its {operation} by {who} is probably "
                "still running; not released. Wait for it, or pass --force if you know it is dead"
            )


def describe_delete(lock: Lock) -> str:
    """What releasing ``lock`` deletes, and on which condition."""
    if lock.where == "dynamodb":
        if lock.raw_info is None:
            return f"{lock.location()} (only if it still has no Info)"
        return f"{lock.location()} (only if its Info is still {lock.raw_info})"
    return f"{lock.location()} (only if its ETag is still {lock.etag})"


def release_lock(
    lock_id: str,
    policy: Policy,
    backend: Backend,
    aws: Aws,
    *,
    force: bool = False,
    locks: list[Lock] | None = None,
) -> list[Lock]:
    """Delete the locks whose Info ID is ``lock_id`` (``locks``, when already read); returns them.

    Refused for a lock younger than the policy's threshold unless ``force``. Each delete is
    conditional on the lock being exactly what was read (DynamoDB: the Info attribute unchanged; S3:
    the lockfile's ETag), so a lock taken again in between is left alone.
    """
    from ttgate.integrations.aws import aws_error, error_code

    matching = locks if locks is not None else locks_with_id(lock_id, policy, backend, aws)
    if not force:
        refuse_young_locks(matching, policy.operations.lock_release_min_age_minutes)
    released: list[Lock] = []
    for lock in matching:
        try:
            if lock.where == "dynamodb":
                assert lock.table is not None
                condition: dict[str, Any] = (
                    {"ConditionExpression": "attribute_exists(LockID) AND attribute_not_exists(Info)"}
                    if lock.raw_info is None
                    else {
                        "ConditionExpression": "Info = :info",
                        "ExpressionAttributeValues": {":info": {"S": lock.raw_info}},
                    }
                )
                aws.dynamodb().delete_item(
                    TableName=lock.table, Key={"LockID": {"S": lock.resource}}, **condition
                )
            else:
                if lock.etag is None:
                    raise UserError(f"{lock.location()} has no ETag to compare: not released")
                aws.s3().delete_object(Bucket=lock.bucket, Key=lock.resource, IfMatch=lock.etag)
        except UserError:
            raise
        except Exception as error:
            if error_code(error) in ("ConditionalCheckFailedException", "PreconditionFailed", "NoSuchKey"):
                done = f" (released before: {', '.join(r.location() for r in released)})" if released else ""
                raise UserError(
                    f"{lock.location()} changed after it was read (released or taken again by someone "
                    f"else): not released{done}"
                ) from None
            raise aws_error(error, f"releasing the lock {lock.location()}") from None
        released.append(lock)
    return released


__all__ = [
    "Lock",
    "describe_delete",
    "find_held_locks",
    "is_digest_item",
    "list_locks",
    "locks_with_id",
    "parse_created",
    "refuse_young_locks",
    "release_lock",
    "server_time",
]
