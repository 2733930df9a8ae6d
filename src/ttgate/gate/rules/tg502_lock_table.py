"""TG502 lock-table: the DynamoDB lock table has the key Terraform's S3 backend writes (LockID, a string)."""

from __future__ import annotations

from collections.abc import Iterator

from ttgate.gate.findings import Finding
from ttgate.gate.model import Resource
from ttgate.gate.rules.backend import backend_resources
from ttgate.gate.rules.base import CORE_DEV, Example, Rule, RuleContext, RuleDoc, where
from ttgate.gate.values import Unknown, display
from ttgate.policy import Severity

LOCK_KEY = "LockID"
WHY = (
    "Terraform's S3 backend locks state by writing an item whose only key is LockID (a string) into "
    'this table, and the runbook\'s force-unlock deletes items by that key ("State Lock Conflicts"); '
    "with another key schema every plan and apply fails to acquire the lock."
)


RULE = Rule(
    id="TG502",
    name="lock-table",
    default_severity=Severity.ERROR,
    summary="The state lock table's only key is LockID, of type S (string).",
    doc=RuleDoc(
        what="Finds every `aws_dynamodb_table` whose `name` matches the policy's `lock_table` pattern "
        '(`tt-practice-tf-locks`) and requires `hash_key = "LockID"`, no `range_key`, and an '
        '`attribute { name = "LockID", type = "S" }`. A table whose name cannot be evaluated is '
        "checked when it lives in the state backend's layer (10_core) and its address says `lock`; if "
        "it fails, TG001 asks for the name. A backend's `dynamodb_table` that no checked stack creates "
        "is not reported: the table may be managed elsewhere.",
        why="Every stack's S3 backend locks its state in this table, and the runbook releases a stuck "
        'lock by deleting the item with key {"LockID": {"S": …}}. The backend writes items keyed '
        "by LockID, a string; with any other key schema every plan and apply fails to take the lock, "
        "so no deploy and no emergency rollback can run.",
        runbook="Lock table; State lock conflicts",
        fix='Set `hash_key = "LockID"` with `attribute { name = "LockID", type = "S" }` and no range key.',
        bad=Example(
            f"{CORE_DEV}/main.tf",
            """
            resource "aws_dynamodb_table" "locks" {
              name         = "tt-practice-tf-locks"
              billing_mode = "PAY_PER_REQUEST"
              hash_key     = "id"

              attribute {
                name = "id"
                type = "S"
              }
            }
            """,
        ),
        good=Example(
            f"{CORE_DEV}/main.tf",
            """
            resource "aws_dynamodb_table" "locks" {
              name         = "tt-practice-tf-locks"
              billing_mode = "PAY_PER_REQUEST"
              hash_key     = "LockID"

              attribute {
                name = "LockID"
                type = "S"
              }
            }
            """,
        ),
    ),
)


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    tables = backend_resources(context, "aws_dynamodb_table", "name", context.policy.lock_table, "lock")
    for table in tables:
        label = f"Lock table {table.name or table.resource.address}"
        yield from table.settle(_check_table(table.context, table.resource, label))


def _check_table(context: RuleContext, table: Resource, label: str) -> Iterator[Finding]:
    hash_key = table.values.get("hash_key")
    if isinstance(hash_key, Unknown):
        context.unverifiable(table, "hash_key", hash_key, attribute="hash_key")
        return
    if hash_key != LOCK_KEY:
        shown = "is not set" if hash_key is None else f"is {display(hash_key)}"
        yield context.finding(
            f'{label} ({where(table)}): hash_key {shown}, not "{LOCK_KEY}". {WHY}',
            f'Set hash_key = "{LOCK_KEY}" and declare attribute {{ name = "{LOCK_KEY}", type = "S" }}. '
            "The key schema cannot change in place: Terraform replaces the table, so release every lock "
            "first.",
            resource=table,
            attribute="hash_key" if hash_key is not None else None,
        )
        return
    range_key = table.values.get("range_key")
    if isinstance(range_key, Unknown):
        context.unverifiable(table, "range_key", range_key, attribute="range_key")
        return
    if range_key is not None:
        yield context.finding(
            f"{label} ({where(table)}) has range_key = {display(range_key)}: the S3 backend writes lock "
            f"items with {LOCK_KEY} only, so DynamoDB rejects them (missing key). {WHY}",
            f"Remove range_key (and its attribute block); the table's only key is {LOCK_KEY}.",
            resource=table,
            attribute="range_key",
        )
        return
    attributes = table.values.get("attribute")
    if isinstance(attributes, Unknown):
        context.unverifiable(table, "its attribute blocks", attributes, attribute="attribute")
        return
    declared = [a for a in attributes if isinstance(a, dict)] if isinstance(attributes, list) else []
    for attribute in declared:
        attribute_name = attribute.get("name")
        if isinstance(attribute_name, Unknown):
            context.unverifiable(table, "an attribute block's name", attribute_name, attribute="attribute")
            return
        if attribute_name != LOCK_KEY:
            continue
        attribute_type = attribute.get("type")
        if isinstance(attribute_type, Unknown):
            context.unverifiable(
                table, f"the type of attribute {LOCK_KEY}", attribute_type, attribute="attribute"
            )
            return
        if attribute_type == "S":
            return
        yield context.finding(
            f'{label} ({where(table)}): attribute {LOCK_KEY} has type {display(attribute_type)}, not "S" '
            f"(string). {WHY}",
            f'Set type = "S" in the attribute block named "{LOCK_KEY}" (the table is replaced: release '
            "every lock first).",
            resource=table,
            attribute="attribute",
        )
        return
    yield context.finding(
        f'{label} ({where(table)}) declares hash_key = "{LOCK_KEY}" but no attribute block for it, '
        f"which terraform apply rejects. {WHY}",
        f'Add attribute {{ name = "{LOCK_KEY}", type = "S" }} to the table.',
        resource=table,
        attribute="attribute" if declared else "hash_key",
    )
