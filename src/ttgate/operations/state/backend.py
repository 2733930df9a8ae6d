"""Where an environment's Terraform state lives: its S3 bucket, its DynamoDB lock table, and the names
Terraform's S3 backend gives the objects beside a state (the ``.tflock`` lockfile, the ``-md5`` digest item).

Every other module of :mod:`ttgate.operations.state` starts from a :class:`Backend` that
:func:`connect` or :func:`resolve_backend` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ttgate.errors import UserError
from ttgate.operations.aws_session import open_session

if TYPE_CHECKING:
    from ttgate.integrations.aws import Aws
    from ttgate.policy import Policy

LOCKFILE_SUFFIX = ".tflock"  # S3 lockfile beside the state (use_lockfile, Terraform >= 1.10)
DIGEST_SUFFIX = "-md5"  # the lock table's item holding the state's MD5, beside the lock items


@dataclass(frozen=True)
class Backend:
    """Where an environment's state lives: its bucket and (when there is one) its lock table."""

    env: str
    bucket: str
    table: str | None


def connect(
    policy: Policy,
    env: str,
    *,
    account_id: str | None = None,
    bucket: str | None = None,
    table: str | None = None,
    region: str | None = None,
    profile: str | None = None,
) -> tuple[Aws, Backend]:
    """An AWS session (``region`` or the policy's) and ``env``'s backend, as :func:`resolve_backend`."""
    if account_id is not None and bucket is not None:
        raise UserError("--account-id and --bucket: give one (the bucket's name already holds the account)")
    aws = open_session(policy, region, profile)
    return aws, resolve_backend(policy, env, aws, account_id=account_id, bucket=bucket, table=table)


def resolve_backend(
    policy: Policy,
    env: str,
    aws: Aws,
    *,
    account_id: str | None = None,
    bucket: str | None = None,
    table: str | None = None,
) -> Backend:
    """The bucket and table of ``env``: given, or the policy's names (the account from STS when needed).

    ``table=""`` means there is no lock table (S3 lockfiles only).
    """
    if env not in policy.environments:
        raise UserError(
            f"unknown environment {env!r} (the policy's environments: {', '.join(policy.environments)})"
        )
    if bucket is None:
        bucket = policy.bucket_for(env, account_id)
        if "{account_id}" in bucket:
            bucket = policy.bucket_for(env, aws.account_id())
    if table is None:
        table = policy.lock_table_for(env, account_id)
        if "{account_id}" in table:
            table = policy.lock_table_for(env, aws.account_id())
    return Backend(env=env, bucket=bucket, table=table or None)


def layer_state_key(policy: Policy, layer_name: str) -> str:
    """The layer's state key in the bucket; refused for a layer the policy does not have."""
    layer = policy.layer(layer_name)
    if layer is None:
        names = ", ".join(layer.name for layer in policy.layers)
        raise UserError(f"unknown layer {layer_name!r} (the policy's layers: {names})")
    return layer.state_key


__all__ = ["DIGEST_SUFFIX", "LOCKFILE_SUFFIX", "Backend", "connect", "layer_state_key", "resolve_backend"]
