"""The safe restore of an earlier version of a stack's state.

A restore never runs Terraform. It downloads an earlier version of exactly the stack's state key,
refuses anything that is not Terraform state (format version 4, lineage, serial) or that has another
lineage than the current state, gives it the highest serial any version of the key ever had + 1
(so a plain ``terraform state push`` accepts it, and no saved plan made against an older serial
applies over it) and either writes it to a file or, on request, uploads it as the
new current object: conditionally on the current version still being current, and followed by the
DynamoDB ``-md5`` digest Terraform checks its reads against.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError
from ttgate.operations.state.backend import DIGEST_SUFFIX, Backend, layer_state_key, resolve_backend
from ttgate.operations.state.lock import lock_places, state_lock
from ttgate.operations.state.locks import find_held_locks
from ttgate.operations.state.versions import (
    StateInfo,
    StateVersion,
    get_state_object,
    list_versions,
    parse_state,
)

if TYPE_CHECKING:
    from ttgate.integrations.aws import Aws
    from ttgate.policy import Policy


@dataclass
class Restore:
    """An earlier version made ready to become the current state again."""

    bucket: str
    key: str
    version_id: str
    original: StateInfo  # the version as stored
    current_version_id: str | None  # None: the key has no current object (deleted)
    current_etag: str | None
    current: StateInfo | None
    serial: int  # the serial the restored state is given
    body: bytes  # the restored state, serial bumped
    added: list[str] = field(default_factory=list)  # in the restored state, not in the current one
    removed: list[str] = field(default_factory=list)  # in the current state, not in the restored one
    encryption: dict[str, str] = field(default_factory=dict)  # the current object's SSE settings
    # Why the current object was replaced although it is not this state (--replace-damaged-current)
    damaged_current: str | None = None

    @property
    def md5(self) -> str:
        return hashlib.md5(self.body).hexdigest()


REPLACE_DAMAGED = "--replace-damaged-current"


def prepare_restore(
    aws: Aws, bucket: str, key: str, version_id: str, *, replace_damaged: bool = False
) -> Restore:
    """Read the version and the current state, check them, and build the restored document.

    A current object that is not Terraform state (an interrupted apply, a bad push) or holds another
    lineage is refused, unless ``replace_damaged`` and the current object is the odd one out. The
    restored state always gets the highest serial in the key's history + 1, so Terraform takes it over
    every version it may have seen and a plan saved against any of them is stale.
    """
    from ttgate.integrations.aws import aws_error, error_code

    where = f"s3://{bucket}/{key}"
    old = get_state_object(aws, bucket, key, version_id)
    data, original = parse_state(old["Body"].read(), f"{where} version {version_id}")
    try:
        current_response: dict[str, Any] | None = aws.s3().get_object(Bucket=bucket, Key=key)
    except Exception as error:
        if error_code(error) != "NoSuchKey":
            raise aws_error(error, f"reading the current state {where}") from None
        current_response = None
    current: StateInfo | None = None
    damaged_current: str | None = None
    current_version_id = current_etag = None
    encryption: dict[str, str] = {}
    if current_response is not None:
        current_version_id = str(current_response.get("VersionId") or "null")
        current_etag = str(current_response["ETag"])
        if current_version_id == version_id:
            raise UserError(f"{where} version {version_id} is already the current state: nothing to restore")
        try:
            _, current = parse_state(current_response["Body"].read(), f"the current state {where}")
        except UserError as error:
            damaged_current = str(error)
        if current is not None and current.lineage != original.lineage:
            damaged_current = (
                f"{where} version {version_id} has lineage {original.lineage}, the current state "
                f"{current.lineage}: it is another state, not an earlier version of this one"
            )
        if damaged_current is not None and not replace_damaged:
            raise UserError(
                f"{damaged_current}; refused (if the current object is the damage, "
                f"{REPLACE_DAMAGED} replaces it, its version kept in the bucket's history)"
            )
        if current_response.get("ServerSideEncryption"):
            encryption["ServerSideEncryption"] = str(current_response["ServerSideEncryption"])
        if current_response.get("SSEKMSKeyId"):
            encryption["SSEKMSKeyId"] = str(current_response["SSEKMSKeyId"])
    history, _ = list_versions(aws, bucket, key, limit=100_000)
    if damaged_current is not None:
        _refuse_unless_odd_one_out(history, current_version_id, current, original, where, version_id)
        current = None
    # Terraform refuses a serial it has seen with other content: after a `state push -force` lowered
    # the serial, current + 1 may be one an older version (or a saved plan) already carries.
    serial = max([original.serial, current.serial if current else 0, *_serials(history)]) + 1
    data["serial"] = serial
    body = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return Restore(
        bucket=bucket,
        key=key,
        version_id=version_id,
        original=original,
        current_version_id=current_version_id,
        current_etag=current_etag,
        current=current,
        serial=serial,
        body=body,
        added=sorted(original.addresses - (current.addresses if current else frozenset())),
        removed=sorted((current.addresses if current else frozenset()) - original.addresses),
        encryption=encryption,
        damaged_current=damaged_current,
    )


def _serials(history: list[StateVersion]) -> list[int]:
    """The serials of every version of the key that is Terraform state."""
    return [version.info.serial for version in history if version.info is not None]


def _refuse_unless_odd_one_out(
    history: list[StateVersion],
    current_version_id: str | None,
    current: StateInfo | None,
    original: StateInfo,
    where: str,
    version_id: str,
) -> None:
    """The current object may be replaced as damaged only when it is the odd one out: it broke the
    key's history. The version just before it (the newest other good version) must carry the restored
    version's lineage, and the current object none (not state) or another one. One old version of a
    foreign lineage must never make a healthy current state look damaged."""
    others = [v for v in history if v.version_id != current_version_id and v.info is not None]
    before = others[0] if others else None
    if before is None or before.info is None:
        return  # nothing to compare with: the lineage check above already named the difference
    if current is not None and before.info.lineage == current.lineage:
        raise UserError(
            f"{where}: the current state continues the version before it ({before.version_id}, lineage "
            f"{current.lineage}); it is not the odd one out, version {version_id} (lineage "
            f"{original.lineage}) is: {REPLACE_DAMAGED} refused"
        )
    if before.info.lineage != original.lineage:
        raise UserError(
            f"{where}: version {version_id} has lineage {original.lineage}, but the last good version "
            f"before the current object ({before.version_id}) has {before.info.lineage}: restore a "
            f"version of that lineage; {REPLACE_DAMAGED} refused"
        )


def ready_restore(
    aws: Aws,
    policy: Policy,
    backend: Backend,
    *,
    layer: str,
    version_id: str,
    out: Path | None,
    upload: bool,
    replace_damaged: bool = False,
) -> tuple[Restore, Path | None]:
    """The restore of ``layer``'s state to ``version_id``, and the file it goes to (None: uploaded).

    Refused while the stack is locked, and when the file exists; nothing is written here.
    """
    key = layer_state_key(policy, layer)
    if not version_id.strip():
        raise UserError(
            "--version-id is empty: give a version of the state (ttgate state versions lists them)"
        )
    _refuse_while_locked(aws, policy, backend, layer)
    if upload:
        refuse_unversioned_bucket(aws, backend.bucket)
        refuse_a_digest_elsewhere(aws, policy, backend, key)
    restore = prepare_restore(aws, backend.bucket, key, version_id, replace_damaged=replace_damaged)
    if upload:
        return restore, None
    target = out or Path(f"{layer}-{backend.env}-restore-{restore.serial}.tfstate")
    if target.exists():
        raise UserError(f"{target} exists: not overwritten (remove it, or pass --out)")
    return restore, target


def refuse_unversioned_bucket(aws: Aws, bucket: str) -> None:
    """An upload replaces the current object: only a versioned bucket keeps the replaced one."""
    from ttgate.integrations.aws import aws_error

    try:
        status = aws.s3().get_bucket_versioning(Bucket=bucket).get("Status")
    except Exception as error:
        raise aws_error(error, f"reading the versioning of s3://{bucket}") from None
    if status != "Enabled":
        raise UserError(
            f"s3://{bucket}: versioning is {status or 'never enabled'}, not Enabled: an upload would "
            "overwrite the only copy of the current state; refused (enable versioning, or restore to a file)"
        )


def refuse_a_digest_elsewhere(aws: Aws, policy: Policy, backend: Backend, key: str) -> None:
    """Terraform compares every read with the ``-md5`` digest in the lock table: an upload that
    leaves it stale makes Terraform reject the state. When the digest is not in the table in use
    (``--table ""`` or a wrong one) but is in the policy's table, refuse and name that table."""
    if backend.table and _digest(aws, backend.table, backend.bucket, key, missing_table_ok=False):
        return
    policy_table = resolve_backend(policy, backend.env, aws, bucket=backend.bucket).table
    if (
        policy_table
        and policy_table != backend.table
        and _digest(aws, policy_table, backend.bucket, key, missing_table_ok=True) is not None
    ):
        given = f"--table {backend.table}" if backend.table else 'no table (--table "")'
        raise UserError(
            f"the state's digest {backend.bucket}/{key}{DIGEST_SUFFIX} is in dynamodb table "
            f"{policy_table}, and {given} would leave it stale: Terraform would reject the restored "
            f"state; pass --table {policy_table}"
        )


def _digest(aws: Aws, table: str, bucket: str, key: str, *, missing_table_ok: bool) -> str | None:
    from ttgate.integrations.aws import aws_error, error_code

    digest_id = f"{bucket}/{key}{DIGEST_SUFFIX}"
    try:
        item = aws.dynamodb().get_item(TableName=table, Key={"LockID": {"S": digest_id}}, ConsistentRead=True)
    except Exception as error:
        if missing_table_ok and error_code(error) == "ResourceNotFoundException":
            return None
        raise aws_error(error, f"reading the digest {digest_id} in dynamodb table {table}") from None
    digest = item.get("Item", {}).get("Digest", {}).get("S")
    return str(digest) if digest is not None else None


def _refuse_while_locked(aws: Aws, policy: Policy, backend: Backend, layer: str) -> None:
    held = find_held_locks(
        [(layer, backend.env)], policy, backend.env, aws, bucket=backend.bucket, table=backend.table or ""
    )
    if held:
        raise UserError(f"{held[0].describe()}: restore refused, nothing written")


def write_restore_file(restore: Restore, target: Path) -> None:
    """The restored state into a new file, for `terraform state push`."""
    try:
        with target.open("xb") as handle:  # "x": never overwrite a file that appeared meanwhile
            handle.write(restore.body)
    except OSError as error:
        raise UserError(f"{target}: cannot write the restored state: {error.strerror or error}") from None


def upload_restore(aws: Aws, restore: Restore, *, policy: Policy, layer: str, backend: Backend) -> str:
    """Write the restored state as the new current object; returns its version ID.

    Takes the stack's lock for the write, as Terraform does (refused while someone holds it), and
    writes only if the current object is still the one the restore was prepared against (S3
    conditional write, ``IfMatch`` on its ETag; ``IfNoneMatch`` when there was none). Then sets the
    DynamoDB digest ``<bucket>/<key>-md5`` to the MD5 of the written bytes when the environment has
    a lock table, as Terraform does after its own writes.
    """
    with state_lock(aws, policy, backend, layer):
        return _write_restore(aws, restore, backend)


def describe_upload(restore: Restore, backend: Backend) -> list[str]:
    """Exactly what :func:`upload_restore` writes, one line each, for the dry run."""
    where = f"s3://{restore.bucket}/{restore.key}"
    condition = (
        f"if its version is still {restore.current_version_id} (If-Match {restore.current_etag})"
        if restore.current_etag
        else "if it still does not exist (If-None-Match *)"
    )
    lines = [f"would take the lock: {place}" for place in lock_places(backend, restore.key)]
    lines.append(
        f"would write {where} ({len(restore.body)} bytes, serial {restore.serial}, "
        f"md5 {restore.md5}) {condition}"
    )
    if backend.table:
        lines.append(
            f"would set {restore.bucket}/{restore.key}{DIGEST_SUFFIX} in dynamodb table {backend.table} "
            f"to {restore.md5}"
        )
    lines.append("would release the lock")
    return lines


def _write_restore(aws: Aws, restore: Restore, backend: Backend) -> str:
    from ttgate.integrations.aws import aws_error, error_code

    where = f"s3://{restore.bucket}/{restore.key}"
    # A real conditional write (S3 has honoured If-Match / If-None-Match on PutObject since 2024; moto 5
    # does too, which the race test relies on): no window between checking "current" and writing.
    condition = {"IfMatch": restore.current_etag} if restore.current_etag else {"IfNoneMatch": "*"}
    try:
        response = aws.s3().put_object(
            Bucket=restore.bucket,
            Key=restore.key,
            Body=restore.body,
            ContentType="application/json",
            **condition,
            **restore.encryption,
        )
    except Exception as error:
        if error_code(error) in ("PreconditionFailed", "ConditionalRequestConflict"):
            raise UserError(
                f"{where} changed after the restore was prepared (a newer write than version "
                f"{restore.current_version_id}): nothing written; run the restore again"
            ) from None
        raise aws_error(error, f"writing {where}") from None
    new_version = str(response.get("VersionId") or "null")
    if backend.table:
        digest_id = f"{restore.bucket}/{restore.key}{DIGEST_SUFFIX}"
        try:
            aws.dynamodb().put_item(
                TableName=backend.table,
                Item={"LockID": {"S": digest_id}, "Digest": {"S": restore.md5}},
            )
        except Exception as error:
            failure = aws_error(error, f"updating the digest {digest_id} in dynamodb table {backend.table}")
            raise UserError(
                f"{where} was written (version {new_version}) but {failure}; set its Digest to "
                f"{restore.md5} or Terraform will reject the state"
            ) from None
    return new_version


__all__ = [
    "Restore",
    "describe_upload",
    "prepare_restore",
    "ready_restore",
    "refuse_a_digest_elsewhere",
    "refuse_unversioned_bucket",
    "upload_restore",
    "write_restore_file",
]
