"""What a rollback must never do by itself: destroy or replace the state backend.

The lowest layer (10_core in the runbook) holds the state buckets, the lock table and the KMS keys
every stack's state depends on. A rollback whose Terraform plan deletes one of them (a destroy, or a
replace, which deletes too) is refused, naming each resource; such a change is made by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError

if TYPE_CHECKING:
    from ttgate.policy import Policy

PROTECTED_TYPES = ("aws_s3_bucket", "aws_dynamodb_table", "aws_kms_key")


@dataclass(frozen=True)
class ProtectedChange:
    address: str
    action: str  # "destroy" or "replace"
    name: str | None  # the bucket's, table's or key's own name or id, when the plan knows it

    def describe(self) -> str:
        named = f" ({self.name})" if self.name else ""
        return f"{self.action} {self.address}{named}"


def protected_changes(plan: dict[str, Any]) -> list[ProtectedChange]:
    """The destroys and replaces of a state bucket, lock table or KMS key in ``terraform show -json``."""
    found: list[ProtectedChange] = []
    for change in plan.get("resource_changes") or []:
        if not isinstance(change, dict) or change.get("type") not in PROTECTED_TYPES:
            continue
        actions = (change.get("change") or {}).get("actions") or []
        if "delete" not in actions:
            continue
        before = (change.get("change") or {}).get("before") or {}
        name = before.get("bucket") or before.get("name") or before.get("key_id") or before.get("id")
        action = "replace" if "create" in actions else "destroy"
        found.append(ProtectedChange(str(change.get("address")), action, str(name) if name else None))
    return found


def refuse_protected_changes(plan_text: str, layer: str, policy: Policy) -> None:
    """UserError naming every protected resource the plan deletes, when ``layer`` is the lowest."""
    lowest = min(policy.layers, key=lambda candidate: candidate.order).name
    if layer != lowest:
        return
    try:
        plan = json.loads(plan_text)
    except ValueError as error:
        raise UserError(f"the plan is not JSON (terraform show -json tfplan): {error}") from None
    if not isinstance(plan, dict):
        raise UserError("the plan is not a terraform show -json document")
    found = protected_changes(plan)
    if found:
        raise UserError(
            f"refused: the {layer} rollback plan would {'; '.join(c.describe() for c in found)}: "
            "the state backend (state bucket, lock table, KMS keys) is never destroyed or replaced by a "
            "rollback; change it by hand, following the runbook"
        )
