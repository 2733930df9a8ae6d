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
    from ttgate.gate.reporters.sanitize import json_text, visible
    from ttgate.operations.state.locks import list_locks

    policy, aws, backend = open_backend(**options)
    held = list_locks(policy, backend, aws)
    if output_format == "json":
        document = {
            "env": backend.env,
            "bucket": backend.bucket,
            "table": backend.table,
            "locks": [lock.to_json() for lock in held],
        }
        click.echo(json_text(json.dumps(document, indent=2)))
        return
    places = f"dynamodb table {backend.table} and " if backend.table else ""
    if not held:
        click.echo(f"no locks held in {backend.env} ({places}s3://{backend.bucket}/*.tflock)")
        return
    click.echo(f"{len(held)} lock(s) held in {backend.env} ({places}s3://{backend.bucket}/*.tflock):")
    for lock in held:
        click.echo(f"  {visible(lock.describe())}")  # a lock's texts are anyone's: one inert line
    click.echo("release one (only when its operation is dead): ttgate locks release ID --env ENV --yes")


@locks.command("release")
@click.argument("lock_id")
@BACKEND
@yes("Really delete the lock.")
@click.option("--force", is_flag=True, help="Release a lock younger than the policy's threshold (15 min).")
@click.option("--dry-run", is_flag=True, help="Print exactly what would be deleted; delete nothing.")
def release_command(lock_id: str, yes: bool, force: bool, dry_run: bool, **options: Any) -> None:
    """Release a lock, only if its ID is LOCK_ID (the ID Terraform printed with the lock error).

    A lock whose Info is not a Terraform lock (no JSON, no ID) is released by where it is: its
    DynamoDB LockID or its lockfile's key, as `ttgate locks list` shows. Shows the lock first.
    Refuses a lock younger than the policy's operations.lock_release_min_age_minutes (default 15),
    by the server's clock, unless --force: a running apply holds its lock at its approval prompt.
    Never deletes the -md5 digest items, and never a lock someone else
    took in the meantime.

    \b
    Examples:
      ttgate locks release 9a1c0c4e-3b6f-2d7e-8c1a-5f0e6d7c8b9a --env dev --dry-run
      ttgate locks release 9a1c0c4e-3b6f-2d7e-8c1a-5f0e6d7c8b9a --env dev --yes
    """
    from ttgate.gate.reporters.sanitize import visible
    from ttgate.operations.state.locks import describe_delete, locks_with_id, refuse_young_locks, release_lock

    if not lock_id.strip():
        raise UserError("LOCK_ID is empty: give the lock's ID (ttgate locks list shows it)")
    if dry_run and yes:
        raise UserError("--dry-run and --yes: choose one (--dry-run deletes nothing)")
    if not yes and not dry_run:
        raise UserError(
            f"releasing lock {lock_id} needs --yes: be sure its operation is not running any more "
            "(ttgate locks list shows who holds it and since when; --dry-run shows what would be deleted)"
        )
    policy, aws, backend = open_backend(**options)
    matching = locks_with_id(lock_id, policy, backend, aws)
    for lock in matching:
        click.echo(visible(f"{lock.describe()}, path {lock.path or 'unknown'}"))
    if dry_run:
        try:
            refuse_young_locks(matching, policy.operations.lock_release_min_age_minutes)
        except UserError as refusal:
            click.echo(visible(f"without --force: {refusal}"))
        for lock in matching:
            click.echo(visible(f"would delete {describe_delete(lock)}"))
        click.echo("dry run: nothing deleted")
        return
    for lock in release_lock(lock_id, policy, backend, aws, force=force, locks=matching):
        click.echo(
            visible(
                f"released {lock.location()} (ID {lock.release_id}, "
                f"{lock.operation or 'unknown operation'} by {lock.who or 'unknown'})"
            )
        )


COMMANDS = [locks]
