"""What a rollback must never do by itself: destroy, replace or weaken the state backend.

The lowest layer (10_core in the runbook) holds the state buckets, the lock table and the KMS keys
every stack's state depends on. A rollback whose Terraform plan deletes one of them (a destroy, or a
replace, which deletes too) or weakens it without deleting it is refused, naming each resource; such a
change is made by hand. Weakening means what loses the backend's history, secrecy or locking:

- versioning: ``aws_s3_bucket_versioning`` destroyed (the provider then suspends versioning) or set to
  ``Suspended``/``Disabled``; a bucket's inline ``versioning`` turned off;
- KMS: a key disabled (``is_enabled = false``) or destroyed (AWS schedules its deletion); an alias
  destroyed or replaced (whoever encrypts by alias loses the key);
- access: a bucket policy destroyed, or one that newly allows everyone (``Principal: "*"``) or drops a
  Deny statement; a public access block destroyed or any of its four settings turned off; a public ACL;
  the bucket's default encryption configuration destroyed;
- locking: the lock table's hash or range key changed.

Any document that is not ``terraform show -json`` of a plan is refused too (a state, a different JSON),
whatever the layer: a check that reads nothing must not pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError

if TYPE_CHECKING:
    from ttgate.policy import Policy

# Destroyed or replaced, each of these loses the backend (or a piece every read needs).
PROTECTED_TYPES = (
    "aws_s3_bucket",
    "aws_dynamodb_table",
    "aws_kms_key",
    "aws_kms_external_key",
    "aws_kms_replica_key",
    "aws_kms_alias",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_public_access_block",
    "aws_s3_account_public_access_block",
    "aws_s3_bucket_server_side_encryption_configuration",
)
PUBLIC_ACCESS_SETTINGS = (
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
)
PUBLIC_ACLS = ("public-read", "public-read-write", "authenticated-read")


@dataclass(frozen=True)
class ProtectedChange:
    address: str
    action: str  # "destroy", "replace" or what the update weakens ("suspend versioning", ...)
    name: str | None  # the bucket's, table's or key's own name or id, when the plan knows it

    def describe(self) -> str:
        named = f" ({self.name})" if self.name else ""
        return f"{self.action} {self.address}{named}"


def _first(value: Any) -> dict[str, Any]:
    """A nested block as the plan writes it (a list of one object), or {}."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def _versioning_off(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    status = _first(after.get("versioning_configuration")).get("status")
    if status in ("Suspended", "Disabled"):
        return f"set versioning {status} on"
    return None


def _inline_versioning_off(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    if "versioning" not in after:
        return None
    was = _first(before.get("versioning")).get("enabled")
    now = _first(after.get("versioning")).get("enabled")
    if was is True and now is not True:
        return "turn versioning off on"
    return None


def _key_disabled(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    if after.get("is_enabled") is False and before.get("is_enabled") is not False:
        return "disable the KMS key"
    return None


def _public_access_opened(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    opened = [s for s in PUBLIC_ACCESS_SETTINGS if before.get(s) is True and after.get(s) is not True]
    return f"turn off {', '.join(opened)} on" if opened else None


def _statements(policy: Any) -> list[dict[str, Any]]:
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return []
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    return [s for s in statements or [] if isinstance(s, dict)]


def _allows_everyone(statement: dict[str, Any]) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def _policy_opened(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    if "policy" not in after:
        return None
    if after.get("policy") is None:
        return "open (cannot read the new policy of)"
    old, new = _statements(before.get("policy")), _statements(after.get("policy"))
    if any(_allows_everyone(s) for s in new) and not any(_allows_everyone(s) for s in old):
        return "allow everyone (Principal *) in"
    denies = [s for s in new if s.get("Effect") == "Deny"]
    if any(s not in denies for s in old if s.get("Effect") == "Deny"):
        return "drop a Deny statement from"
    return None


def _acl_opened(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    acl = after.get("acl")
    if acl in PUBLIC_ACLS and before.get("acl") != acl:
        return f"make public ({acl})"
    return None


def _lock_key_changed(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    changed = [k for k in ("hash_key", "range_key") if k in after and before.get(k) != after.get(k)]
    if before and changed:
        return f"change the {' and '.join(changed)} of"
    return None


# What an update (or a create over nothing) may weaken, by resource type.
WEAKENINGS: dict[str, tuple[Callable[[dict[str, Any], dict[str, Any]], str | None], ...]] = {
    "aws_s3_bucket_versioning": (_versioning_off,),
    "aws_s3_bucket": (_inline_versioning_off, _acl_opened, _policy_opened),
    "aws_kms_key": (_key_disabled,),
    "aws_kms_external_key": (_key_disabled,),
    "aws_kms_replica_key": (_key_disabled,),
    "aws_s3_bucket_public_access_block": (_public_access_opened,),
    "aws_s3_account_public_access_block": (_public_access_opened,),
    "aws_s3_bucket_policy": (_policy_opened,),
    "aws_s3_bucket_acl": (_acl_opened,),
    "aws_dynamodb_table": (_lock_key_changed,),
}


def _name(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    for state in (before, after):
        for field in ("bucket", "name", "key_id", "target_key_id", "id"):
            if state.get(field):
                return str(state[field])
    return None


def protected_changes(plan: dict[str, Any]) -> list[ProtectedChange]:
    """The destroys, replaces and weakenings of the state backend in ``terraform show -json``."""
    found: list[ProtectedChange] = []
    for change in plan.get("resource_changes") or []:
        if not isinstance(change, dict):
            continue
        kind = change.get("type")
        body = _first(change.get("change"))
        actions = body.get("actions") or []
        before, after = _first(body.get("before")), _first(body.get("after"))
        address = str(change.get("address"))
        if kind in PROTECTED_TYPES and "delete" in actions:
            action = "replace" if "create" in actions else "destroy"
            found.append(ProtectedChange(address, action, _name(before, after)))
            continue
        if not ({"update", "create"} & set(actions)):
            continue
        for weakens in WEAKENINGS.get(str(kind), ()):
            what = weakens(before, after)
            if what is not None:
                found.append(ProtectedChange(address, what, _name(before, after)))
    return found


def read_plan(plan_text: str) -> dict[str, Any]:
    """The ``terraform show -json tfplan`` document; UserError for anything else."""
    try:
        plan = json.loads(plan_text)
    except ValueError as error:
        raise UserError(f"the plan is not JSON (terraform show -json tfplan): {error}") from None
    if not isinstance(plan, dict) or "format_version" not in plan:
        raise UserError(
            "the document is not a Terraform plan (terraform show -json tfplan): no format_version"
        )
    if "planned_values" not in plan and "resource_changes" not in plan:
        what = "a state (terraform show -json without a plan)" if "values" in plan else "not a plan"
        raise UserError(
            f"the document is {what}: it has no planned_values or resource_changes; "
            "give terraform show -json tfplan"
        )
    if not isinstance(plan.get("resource_changes", []), list):
        raise UserError("the plan's resource_changes is not a list: not a Terraform plan")
    if plan.get("errored") is True:
        raise UserError("the plan errored (its errored field is true): nothing to check, nothing to apply")
    return plan


def refuse_protected_changes(plan_text: str, layer: str, policy: Policy) -> None:
    """UserError naming every backend resource the plan deletes or weakens, when ``layer`` is the
    lowest; UserError for a document that is not a plan, whatever the layer."""
    plan = read_plan(plan_text)
    lowest = min(policy.layers, key=lambda candidate: candidate.order).name
    if layer != lowest:
        return
    found = protected_changes(plan)
    if found:
        raise UserError(
            f"refused: the {layer} rollback plan would {'; '.join(c.describe() for c in found)}: "
            "the state backend (state bucket, its versioning, policy and public access block, lock table, "
            "KMS keys and aliases) is never destroyed, replaced or weakened by a rollback; change it by "
            "hand, following the runbook"
        )
