"""What applying the given plans would do, per environment and stack in apply order: the review surface's
"what merging does" section. Built from plan JSON by the plan loader; rendered by the reporters."""

from __future__ import annotations

from dataclasses import dataclass, field

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
