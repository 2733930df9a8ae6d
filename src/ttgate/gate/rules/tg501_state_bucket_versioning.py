"""TG501 state-bucket-versioning: the Terraform state bucket keeps every version of the state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ttgate.gate.findings import Finding, Related
from ttgate.gate.links import same_resource
from ttgate.gate.model import Location, Resource
from ttgate.gate.rules.backend import backend_resources
from ttgate.gate.rules.base import CORE_DEV, Example, Rule, RuleContext, RuleDoc, where
from ttgate.gate.values import Unknown, display
from ttgate.policy import Severity

RULE = Rule(
    id="TG501",
    name="state-bucket-versioning",
    default_severity=Severity.ERROR,
    summary="The Terraform state bucket has versioning Enabled: state rollback restores object versions.",
    doc=RuleDoc(
        what="Finds every `aws_s3_bucket` whose `bucket` name matches the policy's `state_bucket` pattern "
        "(`{project}-tf-state-{env}-{account_id}`, any environment and account) and requires versioning "
        "Enabled: an `aws_s3_bucket_versioning` resource in the same stack whose `bucket` is that bucket "
        '(its name, or `aws_s3_bucket.x.id`) with `versioning_configuration { status = "Enabled" }`, or '
        "the legacy inline `versioning { enabled = true }`. A status of Suspended or Disabled is reported "
        "on the versioning resource. A bucket whose name cannot be evaluated is checked when it lives in "
        "the state backend's layer (10_core) and its address says `state`; if it is not versioned, "
        "TG001 asks for the name.",
        why="State-based rollback, the runbook's recommended rollback, lists the state object's versions "
        "and restores an earlier one. Without versioning every apply overwrites the only copy of the "
        "state: a bad apply or a corrupted push cannot be undone.",
        runbook="State versioning; State-based rollback",
        fix='Add `resource "aws_s3_bucket_versioning"` with `bucket = aws_s3_bucket.state.id` and '
        '`versioning_configuration { status = "Enabled" }`, or set the status back to "Enabled".',
        bad=Example(
            f"{CORE_DEV}/main.tf",
            """
            resource "aws_s3_bucket" "state" {
              bucket = "tt-practice-tf-state-dev-057336397237"
            }

            resource "aws_s3_bucket_versioning" "state" {
              bucket = aws_s3_bucket.state.id
              versioning_configuration {
                status = "Suspended"
              }
            }
            """,
        ),
        good=Example(
            f"{CORE_DEV}/main.tf",
            """
            resource "aws_s3_bucket" "state" {
              bucket = "tt-practice-tf-state-dev-057336397237"
            }

            resource "aws_s3_bucket_versioning" "state" {
              bucket = aws_s3_bucket.state.id
              versioning_configuration {
                status = "Enabled"
              }
            }
            """,
        ),
    ),
)


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    buckets = backend_resources(context, "aws_s3_bucket", "bucket", context.policy.state_bucket, "state")
    for bucket in buckets:
        yield from bucket.settle(_check_bucket(bucket.context, bucket.resource, bucket.name))


def _check_bucket(context: RuleContext, bucket: Resource, name: str | None) -> Iterator[Finding]:
    label = f"State bucket {name}" if name else f"State bucket {bucket.address}"
    ref = f"{bucket.type}.{bucket.name}"
    designating: list[Resource] = []
    maybe: list[tuple[Resource, Unknown]] = []
    for versioning in bucket.stack.resources:
        if versioning.mode != "managed" or versioning.type != "aws_s3_bucket_versioning":
            continue
        same = same_resource(versioning.values.get("bucket"), bucket, attribute="bucket")
        if isinstance(same, Unknown):
            maybe.append((versioning, same))
        elif same and versioning.present is True:
            designating.append(versioning)
        elif same and isinstance(versioning.present, Unknown):
            maybe.append((versioning, versioning.present))
    why = (
        'State rollback (runbook "State Versioning") restores an earlier version of the state object; '
        "without versioning each apply overwrites the only copy and there is nothing to roll back to."
    )
    if designating:
        for versioning in designating:
            yield from _check_versioning(context, bucket, versioning, label, why)
        return
    inline = bucket.values.get("versioning")
    if isinstance(inline, Unknown):
        context.unverifiable(bucket, "its inline versioning block", inline, attribute="versioning")
        return
    enabled = _inline_enabled(inline)
    if enabled is True:
        return
    if isinstance(enabled, Unknown):
        context.unverifiable(bucket, "versioning.enabled", enabled, attribute="versioning")
        return
    if maybe:
        versioning, unknown = maybe[0]
        context.unverifiable(bucket, f"whether {versioning.address} versions it", unknown)
        return
    resource_block = (
        f'resource "aws_s3_bucket_versioning" "{bucket.name}" {{ bucket = {ref}.id '
        'versioning_configuration { status = "Enabled" } }'
    )
    if enabled is False:
        yield context.finding(
            f"{label} ({where(bucket)}) has versioning disabled (inline versioning block). {why}",
            f"Set enabled = true in the versioning block, or better replace it with {resource_block}.",
            resource=bucket,
            attribute="versioning",
        )
        return
    yield context.finding(
        f"{label} ({where(bucket)}) has no versioning: no aws_s3_bucket_versioning resource in "
        f"{bucket.stack.label} designates it. {why}",
        f"Add {resource_block} next to the bucket.",
        resource=bucket,
    )


def _inline_enabled(inline: Any) -> bool | Unknown | None:
    """Inline ``versioning { enabled = ... }`` (AWS provider < 4): True, False, Unknown, None (absent)."""
    blocks = inline if isinstance(inline, list) else [inline] if isinstance(inline, dict) else []
    for block in blocks:
        if isinstance(block, dict) and "enabled" in block:
            value = block["enabled"]
            if isinstance(value, Unknown):
                return value
            return value is True or value == "true"
    return False if blocks else None


def _check_versioning(
    context: RuleContext, bucket: Resource, versioning: Resource, label: str, why: str
) -> Iterator[Finding]:
    configuration = versioning.values.get("versioning_configuration")
    if isinstance(configuration, Unknown):
        context.unverifiable(
            versioning, "versioning_configuration", configuration, attribute="versioning_configuration"
        )
        return
    block = configuration[0] if isinstance(configuration, list) and configuration else configuration
    status = block.get("status") if isinstance(block, dict) else None
    if isinstance(status, Unknown):
        context.unverifiable(
            versioning, "versioning_configuration.status", status, attribute="versioning_configuration"
        )
        return
    if status == "Enabled":
        return
    related = [Related(f"the bucket {bucket.address}", bucket.location)] if bucket.location else []
    location: Location | None = versioning.location_of("versioning_configuration")
    shown = "missing" if status is None else f"= {display(status)}"
    yield context.finding(
        f"{label} ({where(bucket)}) is not versioned: {versioning.address} has "
        f'versioning_configuration.status {shown}, not "Enabled". {why}',
        'Set status = "Enabled" in the versioning_configuration block of '
        f"{versioning.type}.{versioning.name}.",
        resource=versioning,
        attribute="versioning_configuration",
        location=location,
        related=related,
    )
