"""`ttgate locks`: the Terraform state locks of an environment, and releasing one safely."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ttgate.commands.common import load_policy, policy_option
from ttgate.errors import UserError

if TYPE_CHECKING:
    from ttgate.gate.policy import Policy
    from ttgate.integrations.aws import Aws
    from ttgate.operations.locks import Backend

F = TypeVar("F", bound=Callable[..., Any])


def backend_options(function: F) -> F:
    """The options that say where an environment's state lives (shared with `ttgate state`)."""
    for option in reversed(
        [
            click.option("--env", required=True, help="Environment (dev, stage, prod...)."),
            click.option("--account-id", help="AWS account of the state bucket (default: from STS)."),
            click.option("--bucket", help="State bucket (default: the policy's name for the environment)."),
            click.option("--table", help='Lock table (default: the policy\'s; "" for none).'),
            click.option("--region", help="AWS region (default: the policy's region)."),
            click.option("--profile", help="AWS profile (default: the usual credential chain)."),
            policy_option(),
        ]
    ):
        function = option(function)
    return function


def load_context(
    *,
    env: str,
    account_id: str | None,
    bucket: str | None,
    table: str | None,
    region: str | None,
    profile: str | None,
    policy_file: Path | None,
) -> tuple[Policy, Aws, Backend]:
    from ttgate.integrations.aws import Aws
    from ttgate.operations.locks import resolve_backend

    if account_id is not None and bucket is not None:
        raise UserError("--account-id and --bucket: give one (the bucket's name already holds the account)")
    policy = load_policy(policy_file, Path.cwd())
    aws = Aws(region=region or policy.region, profile=profile)
    backend = resolve_backend(policy, env, aws, account_id=account_id, bucket=bucket, table=table)
    return policy, aws, backend


@click.group()
def locks() -> None:
    """Terraform state locks: DynamoDB lock items and S3 lockfiles (<key>.tflock).

    \b
    Examples:
      ttgate locks list --env dev
      ttgate locks release 9a1c0c4e-3b6f-2d7e-8c1a-5f0e6d7c8b9a --env dev --yes
    """


@locks.command("list")
@backend_options
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
def list_command(output_format: str, **options: Any) -> None:
    """List the locks held in an environment: who holds each, what operation, since when.

    \b
    Example:
      ttgate locks list --env prod --account-id 123456789012
    """
    from datetime import UTC, datetime

    from ttgate.operations.locks import list_locks

    policy, aws, backend = load_context(**options)
    held = list_locks(policy, backend, aws)
    now = datetime.now(UTC)
    if output_format == "json":
        document = {
            "env": backend.env,
            "bucket": backend.bucket,
            "table": backend.table,
            "locks": [lock.to_json(now) for lock in held],
        }
        click.echo(json.dumps(document, indent=2))
        return
    places = f"dynamodb table {backend.table} and " if backend.table else ""
    if not held:
        click.echo(f"no locks held in {backend.env} ({places}s3://{backend.bucket}/*.tflock)")
        return
    click.echo(f"{len(held)} lock(s) held in {backend.env} ({places}s3://{backend.bucket}/*.tflock):")
    for lock in held:
        click.echo(f"  {lock.describe(now)}")
    click.echo("release one (only when its operation is dead): ttgate locks release ID --env ENV --yes")


@locks.command("release")
@click.argument("lock_id")
@backend_options
@click.option("--yes", is_flag=True, help="Really delete the lock.")
def release_command(lock_id: str, yes: bool, **options: Any) -> None:
    """Release a lock, only if its ID is LOCK_ID (the ID Terraform printed with the lock error).

    Never deletes the -md5 digest items, and never a lock someone else took in the meantime.

    \b
    Example:
      ttgate locks release 9a1c0c4e-3b6f-2d7e-8c1a-5f0e6d7c8b9a --env dev --yes
    """
    from ttgate.operations.locks import release_lock

    if not lock_id.strip():
        raise UserError("LOCK_ID is empty: give the lock's ID (ttgate locks list shows it)")
    if not yes:
        raise UserError(
            f"releasing lock {lock_id} needs --yes: be sure its operation is not running any more "
            "(ttgate locks list shows who holds it and since when)"
        )
    policy, aws, backend = load_context(**options)
    for lock in release_lock(lock_id, policy, backend, aws):
        click.echo(f"released {lock.location()} (ID {lock.lock_id}, {lock.operation} by {lock.who})")


COMMANDS = [locks]
