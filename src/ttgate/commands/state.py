"""`ttgate state`: list a stack's state versions and restore one safely. Never runs Terraform."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ttgate.commands.options import BACKEND, LAYER, open_backend, output_format, yes
from ttgate.errors import UserError


@click.group()
def state() -> None:
    """Terraform state versions in the versioned state bucket.

    \b
    Examples:
      ttgate state versions --layer 30_app --env dev
      ttgate state restore --layer 30_app --env dev --version-id VERSION
      ttgate state restore --layer 30_app --env dev --version-id VERSION --upload --yes
    """


@state.command("versions")
@LAYER
@BACKEND
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Versions to show.")
@output_format()
def versions_command(layer: str, limit: int, output_format: str, **options: Any) -> None:
    """List the versions of a stack's state object, newest first, with serial, lineage and resources.

    \b
    Example:
      ttgate state versions --layer 20_infra --env prod --limit 5
    """
    from ttgate.operations.state.versions import stack_versions

    policy, aws, backend = open_backend(**options)
    key, versions, total = stack_versions(aws, policy, backend, layer, limit)
    if output_format == "json":
        document = {
            "layer": layer,
            "env": backend.env,
            "bucket": backend.bucket,
            "key": key,
            "total": total,
            "versions": [version.to_json() for version in versions],
        }
        click.echo(json.dumps(document, indent=2))
        return
    if not versions:
        click.echo(f"s3://{backend.bucket}/{key} has no versions")
        return
    shown = f", the newest {len(versions)} shown" if total > len(versions) else ""
    click.echo(f"s3://{backend.bucket}/{key}: {total} version(s){shown}")
    click.echo(
        f"  {'VERSION ID':<36}  {'LAST MODIFIED (UTC)':<19}  {'SERIAL':>6}  {'LINEAGE':<36}  TF      RES"
    )
    for version in versions:
        when = version.last_modified.strftime("%Y-%m-%d %H:%M:%S")
        latest = "  (current)" if version.is_latest else ""
        if version.info is None:
            click.echo(
                f"  {version.version_id:<36}  {when:<19}  not Terraform state: {version.problem}{latest}"
            )
            continue
        info = version.info
        click.echo(
            f"  {version.version_id:<36}  {when:<19}  {info.serial:>6}  {info.lineage:<36}  "
            f"{info.terraform_version:<6}  {info.resource_count:>3}{latest}"
        )


@state.command("restore")
@LAYER
@BACKEND
@click.option("--version-id", required=True, help="The state version to restore (ttgate state versions).")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write the restored state to (default: <layer>-<env>-restore-<serial>.tfstate).",
)
@click.option("--upload", is_flag=True, help="Write it as the new current state object instead of a file.")
@yes("Confirm --upload.")
@click.option(
    "--dry-run", is_flag=True, help="With --upload: print exactly what would be written; write nothing."
)
@click.option(
    "--replace-damaged-current",
    "replace_damaged",
    is_flag=True,
    help="The current object is not Terraform state, or another lineage: replace it anyway (serial = the "
    "highest in the key's history + 1). Only when the current object is the damage.",
)
def restore_command(
    layer: str,
    version_id: str,
    out: Path | None,
    upload: bool,
    yes: bool,
    dry_run: bool,
    replace_damaged: bool,
    **options: Any,
) -> None:
    """Restore an earlier state version: same lineage only, serial bumped above the current one.

    Without --upload it writes a file for `terraform state push`; with --upload --yes it replaces the
    current object (only if no newer write happened) and updates the DynamoDB digest. Refuses while the
    stack is locked.

    \b
    Example:
      ttgate state restore --layer 30_app --env dev --version-id 3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY
    """
    from ttgate.operations.state.restore import (
        describe_upload,
        ready_restore,
        upload_restore,
        write_restore_file,
    )

    if not version_id.strip():
        raise UserError(
            "--version-id is empty: give a version of the state (ttgate state versions lists them)"
        )
    if dry_run and (yes or not upload):
        raise UserError(
            "--dry-run goes with --upload and without --yes: it shows what the upload would write"
        )
    if upload and out is not None:
        raise UserError("--upload and --out: choose one (upload replaces the current state object)")
    if upload and not yes and not dry_run:
        raise UserError("--upload replaces the current state object and needs --yes")
    if yes and not upload:
        raise UserError("--yes confirms --upload; without --upload the state is only written to a file")
    if out is not None and not out.parent.is_dir():
        raise UserError(f"--out {out}: directory {out.parent} does not exist; nothing read or written")
    policy, aws, backend = open_backend(**options)
    restore, target = ready_restore(
        aws,
        policy,
        backend,
        layer=layer,
        version_id=version_id,
        out=out,
        upload=upload,
        replace_damaged=replace_damaged,
    )
    if restore.damaged_current is not None:
        click.echo(
            "WARNING: the current object is replaced although it is not this state: "
            f"{restore.damaged_current}. Its version {restore.current_version_id} stays in the "
            "bucket's history.",
            err=True,
        )
    where = f"s3://{restore.bucket}/{restore.key}"
    original = restore.original
    click.echo(
        f"{where} version {version_id}: serial {original.serial}, lineage {original.lineage}, "
        f"terraform {original.terraform_version or '?'}, {original.resource_count} resource(s)"
    )
    if restore.current is not None:
        click.echo(
            f"current version {restore.current_version_id}: serial {restore.current.serial}, "
            f"{restore.current.resource_count} resource(s)"
        )
    else:
        click.echo(f"{where} has no current object (deleted): the version keeps its serial")
    click.echo(f"restoring adds {len(restore.added)} and removes {len(restore.removed)} resource(s):")
    for address in restore.added:
        click.echo(f"  + {address}")
    for address in restore.removed:
        click.echo(f"  - {address}")
    click.echo(f"serial set to {restore.serial} so `terraform state push` accepts it")
    if target is None and dry_run:
        for line in describe_upload(restore, backend):
            click.echo(line)
        click.echo("dry run: nothing written")
        return
    if target is None:
        new_version = upload_restore(aws, restore, policy=policy, layer=layer, backend=backend)
        digest = f", digest {restore.md5} in {backend.table}" if backend.table else ""
        click.echo(f"uploaded as {where} version {new_version}{digest}")
        if restore.current_version_id:
            click.echo(f"the replaced version {restore.current_version_id} stays in the bucket's history")
        click.echo("next: terraform plan in the stack, to see what bringing the infrastructure back changes")
        return
    write_restore_file(restore, target)
    click.echo(f"wrote {target}")
    click.echo(
        f"next, in the stack's directory: terraform state push {target.resolve()}, then terraform plan "
        "(30_app before 20_infra before 10_core)"
    )


COMMANDS = [state]
