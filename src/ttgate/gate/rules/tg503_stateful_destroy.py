"""TG503 stateful-destroy: a plan destroys or replaces a resource that holds data (a bucket, a table,
a queue with a DLQ, a key, a log group, a database, a secret), and says why when the plan shows it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ttgate.gate.findings import Finding, plural
from ttgate.gate.model import Location, Model, PlannedChange, Resource, Stack
from ttgate.gate.rules.base import INFRA_DEV, Example, Rule, RuleContext, RuleDoc
from ttgate.gate.rules.sqs import decode_policy
from ttgate.gate.values import display
from ttgate.policy import Parameter, Severity

# What is lost with each type. The list is the rule's default `resource_types`: what the runbook's
# stacks hold whose loss no apply can undo. Left out on purpose: aws_rds_cluster_instance (an Aurora
# instance holds no data, the cluster's storage does: replacing one is a failover), queues without a
# DLQ (their messages are in flight for seconds; a queue with a DLQ, or a DLQ, holds messages waiting
# for someone), and aws_kms_alias or aws_s3_bucket_* settings (recreated as they were).
LOSES = {
    "aws_s3_bucket": "its objects go with it (with force_destroy the apply deletes them; without, it "
    "stops half-way at the non-empty bucket)",
    "aws_dynamodb_table": "every item in it is deleted",
    "aws_sqs_queue": "the messages waiting in it are lost",
    "aws_kms_key": "it is scheduled for deletion, and everything it encrypts (state, queues, tables, "
    "secrets) becomes unreadable once it is gone",
    "aws_cloudwatch_log_group": "its log events are deleted",
    "aws_db_instance": "its data is deleted, unless a final snapshot is taken",
    "aws_rds_cluster": "its data is deleted, unless a final snapshot is taken",
    "aws_secretsmanager_secret": "its value is deleted after the recovery window, and until then no "
    "secret can take its name",
}
# The attribute that names the real object: the same value before a destroy and after a create is
# the same bucket or table, moved in the code without a moved block.
IDENTITY = {
    "aws_s3_bucket": "bucket",
    "aws_dynamodb_table": "name",
    "aws_sqs_queue": "name",
    "aws_cloudwatch_log_group": "name",
    "aws_db_instance": "identifier",
    "aws_rds_cluster": "cluster_identifier",
    "aws_secretsmanager_secret": "name",
}
_WHAT = {
    "aws_s3_bucket": "S3 bucket",
    "aws_dynamodb_table": "DynamoDB table",
    "aws_sqs_queue": "SQS queue",
    "aws_kms_key": "KMS key",
    "aws_cloudwatch_log_group": "log group",
    "aws_db_instance": "RDS instance",
    "aws_rds_cluster": "RDS cluster",
    "aws_secretsmanager_secret": "Secrets Manager secret",
}
_DESTROY_REASONS = {
    "delete_because_no_resource_config": "its resource block is no longer in the configuration",
    "delete_because_no_module": "the module call that created it is no longer in the configuration",
    "delete_because_count_index": "count no longer reaches this index",
    "delete_because_each_key": "for_each no longer has this key",
    "delete_because_wrong_repetition": "the block switched between count and for_each (or to neither)",
    "delete_because_no_move_target": "a moved block points it at an address that does not exist",
}
_BLOCK_REMAINS = ("delete_because_count_index", "delete_because_each_key")
_REPLACE_REASONS = {
    "replace_because_tainted": "it is tainted (a create that failed half-way, or terraform taint)",
    "replace_by_request": "the plan was made with -replace for it",
    "replace_by_triggers": "its lifecycle replace_triggered_by fired",
}
# An instance key: [0], ["a"], ["a]b"] (a for_each key may hold a bracket, inside its quotes).
_KEYS = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[^\]"])*\]')

_ORDERS = {"name": "tt-practice-dev-orders", "billing_mode": "PAY_PER_REQUEST", "hash_key": "id"}


def _example_plan(*changes: tuple[str, list[str], str | None]) -> dict[str, Any]:
    """A plan of the doc's example (address, actions, previous address), as `terraform show -json`
    writes it for the table: the fields the rule reads."""
    entries, planned = [], []
    for address, actions, previous in changes:
        kind, name = address.split(".")
        deleted = actions == ["delete"]
        entries.append(
            {
                "address": address,
                **({"previous_address": previous} if previous else {}),
                "mode": "managed",
                "type": kind,
                "name": name,
                "change": {
                    "actions": actions,
                    "before": None if actions == ["create"] else _ORDERS,
                    "after": None if deleted else _ORDERS,
                },
                **({"action_reason": "delete_because_no_resource_config"} if deleted else {}),
            }
        )
        if not deleted:
            planned.append(
                {"address": address, "mode": "managed", "type": kind, "name": name, "values": _ORDERS}
            )
    return {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": entries,
    }


RULE = Rule(
    id="TG503",
    name="stateful-destroy",
    default_severity=Severity.ERROR,
    summary="A plan destroys or replaces a resource that holds data, and says the likely cause.",
    parameters={"resource_types": Parameter(list(LOSES))},
    doc=RuleDoc(
        what="Reads the plans given with `--plan`: every `resource_changes` entry that deletes "
        "(`delete`) or replaces (`delete`+`create`, either order) a resource of the policy's "
        "`resource_types` (S3 buckets, DynamoDB tables, KMS keys, log groups, RDS instances and Aurora "
        "clusters, Secrets Manager secrets, and SQS queues that have a redrive policy or are another "
        "queue's DLQ) is an error, one per resource. Left out: Aurora instances "
        "(`aws_rds_cluster_instance`: the cluster's storage holds the data, replacing one is a failover) and "
        "queues with no DLQ on either side (their messages are in flight for seconds). A move, an import "
        "and a forget (a `removed` block with `destroy = false`) destroy nothing. The message names "
        "the likely cause when the plan "
        "shows it: the plan destroys everything its state holds and creates everything its code "
        "declares (the stack's backend key points at another stack's state, named when the stack's "
        "HCL is checked too); the attributes that force the replacement (`replace_paths`, such as a "
        "new `name`); a create of the same type and name at another address with no `moved` block "
        "(the block to add is in the fix, with both addresses); the same name created in another "
        "stack (a move between states); or Terraform's reason (a block removed, a count lowered, "
        "a taint). A state key pointing at an empty state makes the plan create everything and "
        "destroy nothing: TG503 cannot see that one, TG102 checks the key against the policy. HCL "
        "alone says nothing of what applying does: without plans the rule reports nothing.",
        why="Terraform deletes what its state holds and its code no longer declares, and replaces what "
        "cannot change in place. For these resources nothing brings the data back: a DynamoDB table's "
        "items, a bucket's objects, the messages a DLQ keeps for redrive, the logs of an incident, a "
        "KMS key and everything encrypted with it. The classic incident is a copied or renamed state "
        "key: the plan reads another stack's state and proposes to destroy everything it built. The "
        'runbook says to stop when a plan would destroy a state bucket, the lock table or a KMS key ("'
        'Layer-specific rollback order") and why a copied key destroys a layer ("State file '
        'locations").',
        runbook="Destroying stateful resources; State file locations; Layer-specific rollback order",
        fix="Make the plan keep the resource: add the `moved { from = … to = … }` block the message "
        "gives, restore the attribute that forces the replacement (or the resource block), set the "
        "backend key back to the layer's, or stop managing the resource without deleting it with "
        "`removed { from = … lifecycle { destroy = false } }` (Terraform ≥ 1.7; the plan then shows "
        "it as forgotten). When the deletion is intended, move the data first and acknowledge it in "
        "the code with `# ttgate:ignore TG503 <reason>` above the resource block (above the backend "
        "block for a resource whose block is gone).",
        bad=Example(
            f"{INFRA_DEV}/main.tf",
            """
            # Renamed from aws_dynamodb_table.orders: the plan destroys the table and creates an empty one.
            resource "aws_dynamodb_table" "order_items" {
              name         = "tt-practice-dev-orders"
              billing_mode = "PAY_PER_REQUEST"
              hash_key     = "id"

              attribute {
                name = "id"
                type = "S"
              }
            }
            """,
            plan=_example_plan(
                ("aws_dynamodb_table.orders", ["delete"], None),
                ("aws_dynamodb_table.order_items", ["create"], None),
            ),
        ),
        good=Example(
            f"{INFRA_DEV}/main.tf",
            """
            resource "aws_dynamodb_table" "order_items" {
              name         = "tt-practice-dev-orders"
              billing_mode = "PAY_PER_REQUEST"
              hash_key     = "id"

              attribute {
                name = "id"
                type = "S"
              }
            }

            moved {
              from = aws_dynamodb_table.orders
              to   = aws_dynamodb_table.order_items
            }
            """,
            plan=_example_plan(("aws_dynamodb_table.order_items", ["no-op"], "aws_dynamodb_table.orders")),
        ),
    ),
)


def path_text(path: tuple[str | int, ...]) -> str:
    """``("attribute", 0, "name")`` -> ``attribute[0].name``: a replace path as HCL writes it."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def unkeyed(address: str) -> str:
    """``module.a[0].aws_s3_bucket.logs["a"]`` -> ``module.a.aws_s3_bucket.logs``: the resource block an
    instance comes from, as a ``removed`` block's ``from`` names it."""
    return _KEYS.sub("", address)


def _identity(change: PlannedChange, values: Mapping[str, Any]) -> str | None:
    attribute = IDENTITY.get(change.type)
    value = values.get(attribute) if attribute else None
    return value if isinstance(value, str) and value else None


def _dead_letter_targets(model: Model) -> set[str]:
    """The ARN of every queue some redrive policy sends to, before or after the plans, in any stack."""
    targets: set[str] = set()

    def add(value: Any) -> None:
        policy = decode_policy(value)
        if isinstance(policy, dict) and isinstance(policy.get("deadLetterTargetArn"), str):
            targets.add(policy["deadLetterTargetArn"])

    for stack in model.stacks:
        for change in stack.planned_changes:
            if change.type in ("aws_sqs_queue", "aws_sqs_queue_redrive_policy"):
                add(change.before.get("redrive_policy"))
                add(change.after.get("redrive_policy"))
    for resource in model.resources("aws_sqs_queue", "aws_sqs_queue_redrive_policy"):
        add(resource.values.get("redrive_policy"))
    return targets


def _holds_messages(change: PlannedChange, targets: set[str], dlq_suffix: str) -> bool:
    """A queue with a DLQ, or one: a redrive policy, a redrive allow policy, a DLQ's ARN or name."""
    before = change.before
    if before.get("redrive_policy") or before.get("redrive_allow_policy"):
        return True
    name = before.get("name")
    return before.get("arn") in targets or (isinstance(name, str) and name.endswith(dlq_suffix))


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    types = set(context.params["resource_types"])
    targets = _dead_letter_targets(context.model)
    dlq_suffix = str(context.policy.settings("TG203").params.get("dlq_suffix", "-dlq"))
    creates = _creates_by_identity(context.model)
    for stack in context.model.stacks:
        destroyed = [
            change
            for change in stack.planned_changes
            if change.destroys
            and change.type in types
            and (change.type != "aws_sqs_queue" or _holds_messages(change, targets, dlq_suffix))
        ]
        if not destroyed:
            continue
        moves = _missing_moves(stack)
        if _reads_another_state(stack) and not any(change.address in moves for change in destroyed):
            yield _state_key_finding(context, stack, destroyed)
            continue
        for change in destroyed:
            yield _finding(context, stack, change, moves, creates)


def _creates_by_identity(model: Model) -> dict[tuple[str | None, str, str], Stack]:
    """(environment, type, name) -> the stack whose plan creates it: a move between stacks."""
    found: dict[tuple[str | None, str, str], Stack] = {}
    for stack in model.stacks:
        for change in stack.planned_changes:
            identity = _identity(change, change.after)
            if change.action in ("create", "replace") and identity is not None:
                found[(stack.env, change.type, identity)] = stack
    return found


def _missing_moves(stack: Stack) -> dict[str, str]:
    """Destroyed address -> the created address that is most likely the same object moved in the code
    with no ``moved`` block: the same name in AWS, else the same block name or block, else the only
    destroy and the only create of the type in the stack."""
    destroyed = [change for change in stack.planned_changes if change.action == "destroy"]
    created = [change for change in stack.planned_changes if change.action == "create"]
    pairs: dict[str, str] = {}
    taken: set[str] = set()

    def pair(old: PlannedChange, candidates: list[PlannedChange]) -> None:
        free = [candidate for candidate in candidates if candidate.address not in taken]
        if len(free) == 1:
            pairs[old.address] = free[0].address
            taken.add(free[0].address)

    for old in destroyed:
        identity = _identity(old, old.before)
        if identity is not None:
            pair(
                old,
                [new for new in created if new.type == old.type and _identity(new, new.after) == identity],
            )
    for old in destroyed:
        if old.address not in pairs:
            pair(
                old,
                [
                    new
                    for new in created
                    if new.type == old.type
                    and (new.name == old.name or unkeyed(new.address) == unkeyed(old.address))
                ],
            )
    # An instance whose block remains (a lowered count, a removed for_each key) is not a renamed block.
    unpaired = [old for old in destroyed if old.address not in pairs and old.reason not in _BLOCK_REMAINS]
    for kind in {old.type for old in unpaired}:
        olds = [old for old in unpaired if old.type == kind]
        news = [new for new in created if new.type == kind and new.address not in taken]
        if len(olds) == 1 and len(news) == 1:
            pairs[olds[0].address] = news[0].address
            taken.add(news[0].address)
    return pairs


def _reads_another_state(stack: Stack) -> bool:
    """Nothing the state holds stays (no no-op, update, move or import), the plan destroys some of it
    and creates what the code declares: the state is not this code's, typically a changed backend key."""
    actions = {change.action for change in stack.planned_changes}
    return (
        "destroy" in actions and "create" in actions and not actions & {"no-op", "update", "move", "import"}
    )


def _backend_key(stack: Stack) -> tuple[str | None, Location | None]:
    backend = stack.backend
    if backend is None:
        return None, stack.location
    key = backend.config.get("key")
    location = backend.attribute_locations.get("key", backend.location)
    return (key if isinstance(key, str) else None), location


def _listed(changes: list[PlannedChange]) -> str:
    return ", ".join(f"{_WHAT.get(change.type, change.type)} {change.address}" for change in changes)


def _state_key_finding(context: RuleContext, stack: Stack, destroyed: list[PlannedChange]) -> Finding:
    destroyed = sorted(destroyed, key=lambda change: change.address)
    key, location = _backend_key(stack)
    layer = context.policy.layer(stack.layer) if stack.layer else None
    others = sum(1 for change in stack.planned_changes if change.action == "destroy") - len(destroyed)
    cause = (
        "The plan destroys everything its state holds and creates everything the code declares: the state "
        "it read is not this code's, most likely because the backend key changed"
    )
    if key is not None:
        owner = context.policy.layer_for_state_key(key)
        if layer is not None and key != layer.state_key:
            whose = f"{owner.name}'s state" if owner is not None else "not this layer's"
            cause += f' (key = "{key}" is {whose}; {layer.name} keeps its state at "{layer.state_key}")'
        else:
            cause += f' (key = "{key}"; is it the key the stack used until now?)'
    more = f", and {plural(others, 'other resource')}" if others > 0 else ""
    fix = (
        f'Set the backend key back to the state this stack was applied with ("{layer.state_key}" for '
        f"{layer.name})"
        if layer is not None
        else "Set the backend key back to the state this stack was applied with"
    )
    return context.finding(
        f"The plan of {stack.label} destroys {_listed(destroyed)}{more}. {cause}. Nothing brings their "
        "data back once the apply deletes them.",
        f"{fix}, run terraform init -reconfigure and plan again: the plan should then change only what "
        f"the pull request changes. If the state really moved, migrate it (terraform init "
        f"-migrate-state) instead of planning against an empty or foreign state.",
        stack=stack,
        location=location or Location(stack.plan_file or "", 0, 0),
        address=destroyed[0].address if len(destroyed) == 1 else None,
    )


def _code_resource(stack: Stack, change: PlannedChange) -> Resource | None:
    """The resource whose block the change comes from: itself (a replace), or another instance of the
    same block (a lowered count, a removed for_each key)."""
    exact = next((resource for resource in stack.resources if resource.address == change.address), None)
    if exact is not None:
        return exact
    block = unkeyed(change.address)
    return next(
        (
            resource
            for resource in stack.resources
            if resource.location and unkeyed(resource.address) == block
        ),
        None,
    )


def _finding(
    context: RuleContext,
    stack: Stack,
    change: PlannedChange,
    moves: dict[str, str],
    creates: dict[tuple[str | None, str, str], Stack],
) -> Finding:
    what = _WHAT.get(change.type, change.type)
    verb = "replaces" if change.action == "replace" else "destroys"
    identity = _identity(change, change.before)
    named = f" ({display(identity)})" if identity else ""
    loses = LOSES.get(change.type, "its data is lost")
    cause, fix = _cause(change, stack, moves, creates)
    resource = _code_resource(stack, change)
    message = f"The plan of {stack.label} {verb} {what} {change.address}{named}: {loses}. {cause}"
    if resource is not None and resource.location is not None:
        return context.finding(message, fix, resource=resource, address=change.address, stack=stack)
    return context.finding(
        message,
        fix,
        stack=stack,
        address=change.address,
        location=stack.location or Location(stack.plan_file or "", 0, 0),
    )


def _cause(
    change: PlannedChange,
    stack: Stack,
    moves: dict[str, str],
    creates: dict[tuple[str | None, str, str], Stack],
) -> tuple[str, str]:
    """(the likely cause, as the plan shows it; the fix for that cause)."""
    where = "the resource block" if _code_resource(stack, change) else "the stack's backend block"
    acknowledge = (
        f"If deleting it is intended, move its data first and say so above {where}: "
        "`# ttgate:ignore TG503 <reason>`."
    )
    if change.action == "replace":
        identity_attribute = IDENTITY.get(change.type)
        paths = [path_text(path) for path in change.replace_paths]
        if paths:
            shown = ", ".join(paths)
            renamed = identity_attribute in {str(path[0]) for path in change.replace_paths}
            cause = f"Changing {shown} forces the replacement" + (
                f": AWS cannot rename it, so a new {identity_attribute} means a new, empty "
                f"{_WHAT.get(change.type, change.type)} and the old one deleted."
                if renamed
                else "."
            )
            return cause, f"Set {shown} back to what it is now. {acknowledge}"
        reason = _REPLACE_REASONS.get(change.reason or "")
        if reason:
            return f"Terraform replaces it because {reason}.", acknowledge
        return "Terraform cannot update it in place.", acknowledge
    target = moves.get(change.address)
    if target is not None:
        return (
            f"The plan also creates {target}: the same resource moved in the code without a moved block.",
            f"Add moved {{ from = {change.address}  to = {target} }} in {stack.label}; the plan then "
            "shows a move and keeps the resource.",
        )
    identity = _identity(change, change.before)
    elsewhere = creates.get((stack.env, change.type, identity)) if identity else None
    if elsewhere is not None and elsewhere is not stack:
        return (
            f"The plan of {elsewhere.label} creates one with the same name: it moves between stacks, and "
            "a moved block cannot cross states.",
            f"Keep it: removed {{ from = {change.address}  lifecycle {{ destroy = false }} }} in "
            f"{stack.label} and an import block for it in {elsewhere.label}, applied in that order.",
        )
    reason = _DESTROY_REASONS.get(change.reason or "")
    cause = f"Terraform deletes it because {reason}." if reason else "Terraform deletes it."
    return cause, (
        f"Restore it in the code, or stop managing it without deleting it: removed {{ from = "
        f"{unkeyed(change.address)}  lifecycle {{ destroy = false }} }} (Terraform ≥ 1.7). {acknowledge}"
    )
