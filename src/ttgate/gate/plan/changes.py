"""What applying the given plans would do, per environment and stack in apply order: the review surface's
"what merging does" section. Built from plan JSON by the plan loader; rendered by the reporters.

The contract (:class:`ResourceChange`, :class:`StackChanges`, :class:`EnvironmentChanges`) holds
addresses and actions only, never an attribute value: plans carry sensitive values. Each changed
resource is one :class:`ResourceChange` under its main action (replace, destroy, create, update,
forget; a resource that only moves or is only imported is listed as ``move`` or ``import``); the
counts add the moves and imports that come with another action (a moved resource that is also
updated counts once under ``update`` and once under ``move``), so ``counts["move"]`` is every
resource with a ``previous_address``.

:class:`~ttgate.gate.model.PlannedChange` (the model's) is the loader's fuller record of one entry of
``resource_changes``, kept on the stack for rules (TG503): type, Terraform's reason, the paths that force
replacement and the values before and after (sensitive ones masked). It never reaches a report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ttgate.gate.model import PlannedChange

# The kinds of change a reviewer is shown, in the order they are listed.
ACTIONS = ("create", "update", "replace", "destroy", "move", "import", "forget")


@dataclass(frozen=True)
class ResourceChange:
    address: str
    action: str  # one of ACTIONS; "drift" entries use "update", "destroy" (deleted outside Terraform), ...
    previous_address: str | None = None  # a move's old address


@dataclass
class StackChanges:
    """One plan: a stack's label (``20_infra/dev``), its layer, and what it would change."""

    label: str
    layer: str | None
    plan_file: str
    counts: dict[str, int] = field(default_factory=dict)  # action -> resources; every action in ACTIONS
    changes: list[ResourceChange] = field(default_factory=list)
    drift: list[ResourceChange] = field(default_factory=list)  # what Terraform found changed outside it
    errored: str | None = None  # the plan could not be read: why (the other plans are still shown)


@dataclass
class EnvironmentChanges:
    environment: str | None  # None when the plans' labels name no environment
    stacks: list[StackChanges] = field(default_factory=list)  # in apply order (lowest layer first)


# -- reading resource_changes ------------------------------------------------------------------------


def main_action(actions: Iterable[str], moved: bool, importing: bool) -> str:
    """The action a reviewer reads first: ``["delete", "create"]`` and ``["create", "delete"]`` are a
    replace; a no-op that moves or imports is that move or import."""
    kinds = tuple(actions)
    if "delete" in kinds and "create" in kinds:
        return "replace"
    if "delete" in kinds:
        return "destroy"
    if "create" in kinds:
        return "create"  # create alone; ["create", "forget"] creates a new object and keeps the old one
    if "update" in kinds:
        return "update"
    if "forget" in kinds:
        return "forget"
    if moved:
        return "move"
    if importing:
        return "import"
    return "no-op"


def planned_change(entry: Any, masked: Any) -> PlannedChange | None:
    """One entry of ``resource_changes``/``resource_drift``; None for data sources and malformed entries.
    ``masked(values, sensitive_mask)`` hides what the plan marks sensitive."""
    if not isinstance(entry, Mapping):
        return None
    address, kind = entry.get("address"), entry.get("type")
    if not isinstance(address, str) or not isinstance(kind, str) or entry.get("mode") == "data":
        return None
    change = entry.get("change")
    change = change if isinstance(change, dict) else {}
    actions = [action for action in change.get("actions") or () if isinstance(action, str)]
    previous = entry.get("previous_address")
    previous = previous if isinstance(previous, str) and previous != address else None
    importing = isinstance(change.get("importing"), dict)
    reason = entry.get("action_reason")
    module = entry.get("module_address")
    before, after = change.get("before"), change.get("after")
    return PlannedChange(
        address=address,
        type=kind,
        name=str(entry.get("name") or ""),
        module_path=module if isinstance(module, str) else "",
        action=main_action(actions, previous is not None, importing),
        previous_address=previous,
        importing=importing,
        reason=reason if isinstance(reason, str) else None,
        replace_paths=_paths(change.get("replace_paths")),
        before=masked(before, change.get("before_sensitive")) if isinstance(before, dict) else {},
        after=masked(after, change.get("after_sensitive")) if isinstance(after, dict) else {},
    )


def _paths(value: Any) -> tuple[tuple[str | int, ...], ...]:
    if not isinstance(value, list):
        return ()
    paths = []
    for path in value:
        if isinstance(path, list) and path and all(isinstance(step, str | int) for step in path):
            paths.append(tuple(path))
    return tuple(paths)


# -- the report's sections ---------------------------------------------------------------------------


def stack_changes(
    label: str,
    layer: str | None,
    plan_file: str,
    planned: Iterable[PlannedChange],
    drift: Iterable[PlannedChange] = (),
) -> StackChanges:
    """A stack's section: what changes (sorted by address within each action) and Terraform's drift."""
    section = StackChanges(label, layer, plan_file, counts=dict.fromkeys(ACTIONS, 0))
    changes: list[ResourceChange] = []
    for item in planned:
        if item.action == "no-op":
            continue
        section.counts[item.action] += 1
        if item.previous_address is not None and item.action != "move":
            section.counts["move"] += 1
        if item.importing and item.action != "import":
            section.counts["import"] += 1
        changes.append(ResourceChange(item.address, item.action, item.previous_address))
    section.changes = sorted(changes, key=lambda change: (ACTIONS.index(change.action), change.address))
    section.drift = sorted(
        (ResourceChange(item.address, item.action) for item in drift if item.action != "no-op"),
        key=lambda change: change.address,
    )
    return section


def errored_section(label: str, layer: str | None, plan_file: str, why: str) -> StackChanges:
    return StackChanges(label, layer, plan_file, counts=dict.fromkeys(ACTIONS, 0), errored=why)


def by_environment(
    sections: Iterable[tuple[str | None, StackChanges]],
    layer_order: Mapping[str, int],
    environments: Iterable[str],
) -> list[EnvironmentChanges]:
    """Sections grouped by environment (the policy's order; unnamed last), each stack in apply order
    (lowest layer first; stacks of no known layer after them, by label)."""
    grouped: dict[str | None, list[StackChanges]] = {}
    for environment, section in sections:
        grouped.setdefault(environment, []).append(section)
    env_order = {name: index for index, name in enumerate(environments)}
    last = len(env_order)

    def env_key(environment: str | None) -> tuple[int, int, str]:
        if environment is None:
            return (2, last, "")
        return (0 if environment in env_order else 1, env_order.get(environment, last), environment)

    def stack_key(section: StackChanges) -> tuple[int, str]:
        return (layer_order.get(section.layer or "", len(layer_order)), section.label)

    return [
        EnvironmentChanges(environment, sorted(grouped[environment], key=stack_key))
        for environment in sorted(grouped, key=env_key)
    ]
