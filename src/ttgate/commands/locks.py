"""`ttgate locks`: the Terraform state locks of an environment, and releasing one safely."""

from __future__ import annotations

import json
from typing import Any

import click

from ttgate.commands.options import BACKEND, open_backend, output_format, yes
from ttgate.errors import UserError


@click.group()
def locks() -> None:
    """Terraform state locks: DynamoDB lock items and S3 lockfiles (<key>.tflock).

    \b
    Examples:
      ttgate locks list --env dev
      ttgate locks release 9a1c0c4e-3b6f-2d7e-8c1a-5f0e6d7c8b9a --env dev --yes
    """


@locks.command("list")
@BACKEND
@output_format()
def list_command(output_format: str, **options: Any) -> None:
    """List the locks held in an environment: who holds each, what operation, since when.

    \b
    Example:
      ttgate locks list --env prod --account-id 123456789012
    """
    from datetime import UTC, datetime

    from ttgate.operations.locks import list_locks

    policy, aws, backend = open_backend(**options)
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
@BACKEND
@yes("Really delete the lock.")
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
    policy, aws, backend = open_backend(**options)
    for lock in release_lock(lock_id, policy, backend, aws):
        click.echo(f"released {lock.location()} (ID {lock.lock_id}, {lock.operation} by {lock.who})")


COMMANDS = [locks]
