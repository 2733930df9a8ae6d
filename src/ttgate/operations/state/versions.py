"""The versions of a stack's state object in the versioned state bucket, and what each says about itself.

A version is read as Terraform state (format version 4, lineage, serial, resources) or reported as what
it is not; :func:`list_versions` backs ``ttgate state versions`` and :mod:`.restore` reads through
:func:`get_state_object`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError
from ttgate.operations.state.backend import Backend, layer_state_key

if TYPE_CHECKING:
    from ttgate.integrations.aws import Aws
    from ttgate.policy import Policy

STATE_FORMAT_VERSION = 4


@dataclass(frozen=True)
class StateInfo:
    """What a state document says about itself."""

    serial: int
    lineage: str
    terraform_version: str
    addresses: frozenset[str]  # resource instance addresses, data sources included

    @property
    def resource_count(self) -> int:
        return len(self.addresses)


@dataclass(frozen=True)
class StateVersion:
    version_id: str
    last_modified: datetime
    is_latest: bool
    size: int
    info: StateInfo | None  # None when the body was not read (beyond --limit) or is not state
    problem: str | None = None  # why info is None, when the body was read

    def to_json(self) -> dict[str, Any]:
        return {
            "version_id": self.version_id,
            "last_modified": self.last_modified.isoformat(),
            "is_latest": self.is_latest,
            "size": self.size,
            "serial": self.info.serial if self.info else None,
            "lineage": self.info.lineage if self.info else None,
            "terraform_version": self.info.terraform_version if self.info else None,
            "resource_count": self.info.resource_count if self.info else None,
            "problem": self.problem,
        }


def parse_state(body: bytes, what: str) -> tuple[dict[str, Any], StateInfo]:
    """The state document and its summary; UserError (naming ``what``) when it is not Terraform state."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise UserError(f"{what} is not Terraform state: not JSON ({error})") from None
    if not isinstance(data, dict):
        raise UserError(f"{what} is not Terraform state: expected a JSON object")
    version = data.get("version")
    if version is None:
        raise UserError(f"{what} is not Terraform state: it has no format version")
    if version != STATE_FORMAT_VERSION or isinstance(version, bool):
        raise UserError(
            f"{what} is not Terraform state of format version {STATE_FORMAT_VERSION} "
            f"(its version is {json.dumps(version)}; Terraform >= 0.12 writes 4)"
        )
    lineage = data.get("lineage")
    serial = data.get("serial")
    if not isinstance(lineage, str) or not lineage:
        raise UserError(f"{what} is not Terraform state: it has no lineage")
    if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
        raise UserError(f"{what} is not Terraform state: its serial is not a number")
    resources = data.get("resources", [])
    if not isinstance(resources, list):
        raise UserError(f"{what} is not Terraform state: resources is not a list")
    info = StateInfo(
        serial=serial,
        lineage=lineage,
        terraform_version=str(data.get("terraform_version") or ""),
        addresses=frozenset(resource_addresses(resources)),
    )
    return data, info


def resource_addresses(resources: list[Any]) -> set[str]:
    """``module.a.aws_sqs_queue.main``, ``data.aws_iam_policy_document.x``, ``aws_s3_bucket.b["k"]``..."""
    addresses: set[str] = set()
    for resource in resources:
        if not isinstance(resource, dict):
            continue
        parts = [str(resource["module"])] if resource.get("module") else []
        if resource.get("mode") == "data":
            parts.append("data")
        parts += [str(resource.get("type", "?")), str(resource.get("name", "?"))]
        base = ".".join(parts)
        instances = resource.get("instances") or []
        keys = [i.get("index_key") for i in instances if isinstance(i, dict)]
        if not keys or all(key is None for key in keys):
            addresses.add(base)
            continue
        for key in keys:
            addresses.add(base if key is None else f"{base}[{json.dumps(key)}]")
    return addresses


def list_versions(aws: Aws, bucket: str, key: str, limit: int = 20) -> tuple[list[StateVersion], int]:
    """The newest ``limit`` versions of exactly ``key`` (not ``key.tflock``, not other keys sharing the
    prefix, not delete markers), each with what its body says; and how many versions there are."""
    from ttgate.integrations.aws import aws_error

    s3 = aws.s3()
    try:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key)
        versions = [v for page in pages for v in page.get("Versions", []) if v.get("Key") == key]
    except Exception as error:
        raise aws_error(error, f"listing the versions of s3://{bucket}/{key}") from None
    versions.sort(key=lambda v: v["LastModified"], reverse=True)
    listed: list[StateVersion] = []
    for entry in versions[: max(0, limit)]:
        version_id = str(entry["VersionId"])
        body = get_state_object(aws, bucket, key, version_id)["Body"].read()
        info: StateInfo | None = None
        problem: str | None = None
        try:
            info = parse_state(body, "it")[1]
        except UserError as error:
            problem = str(error).removeprefix("it is ")
        listed.append(
            StateVersion(
                version_id=version_id,
                last_modified=entry["LastModified"],
                is_latest=bool(entry.get("IsLatest")),
                size=int(entry.get("Size", 0)),
                info=info,
                problem=problem,
            )
        )
    return listed, len(versions)


def stack_versions(
    aws: Aws, policy: Policy, backend: Backend, layer: str, limit: int
) -> tuple[str, list[StateVersion], int]:
    """The state key of ``layer`` in ``backend``, its newest ``limit`` versions and their total."""
    key = layer_state_key(policy, layer)
    versions, total = list_versions(aws, backend.bucket, key, limit)
    return key, versions, total


def get_state_object(aws: Aws, bucket: str, key: str, version_id: str | None = None) -> dict[str, Any]:
    """S3's GetObject answer for ``key`` (a version, or the current object); a missing version or a
    delete marker is refused in one line that says how to list the versions."""
    from ttgate.integrations.aws import aws_error, error_code

    where = f"s3://{bucket}/{key}" + (f" version {version_id}" if version_id else "")
    try:
        if version_id:
            response: dict[str, Any] = aws.s3().get_object(Bucket=bucket, Key=key, VersionId=version_id)
        else:
            response = aws.s3().get_object(Bucket=bucket, Key=key)
    except Exception as error:
        code = error_code(error)
        if code in ("NoSuchVersion", "InvalidArgument") and version_id:
            raise UserError(
                f"{where} does not exist ({code}); `ttgate state versions` lists the versions"
            ) from None
        if code == "MethodNotAllowed" and version_id:
            raise UserError(f"{where} is a delete marker, not a state version ({code})") from None
        raise aws_error(error, f"reading {where}") from None
    return response


__all__ = [
    "STATE_FORMAT_VERSION",
    "StateInfo",
    "StateVersion",
    "get_state_object",
    "list_versions",
    "parse_state",
    "resource_addresses",
    "stack_versions",
]
