"""Plans into the model: naming each plan's stack, and laying plans over the HCL stacks they plan.

A plan says what will happen; where the HCL of the same stack is checked too, the plan's stack
takes the HCL stack's place and borrows its file and line for every resource, so a finding from a
plan still points at the code to change.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError
from ttgate.gate.model import Location, Model, Problem, Resource, Stack, linked_resource, relative_posix
from ttgate.gate.plan.changes import (
    EnvironmentChanges,
    StackChanges,
    by_environment,
    errored_section,
    stack_changes,
)
from ttgate.gate.plan.load import build_plan_stack, plan_secrets, planned_changes
from ttgate.gate.plan.read import MAX_PLAN_MEBIBYTES, PlanTooLarge, read_plan
from ttgate.gate.values import SENSITIVE, Unknown, display, is_sensitive

if TYPE_CHECKING:
    from ttgate.policy import Policy


@dataclass(frozen=True)
class PlanSpec:
    label: str | None
    path: Path

    @classmethod
    def parse(cls, text: str) -> PlanSpec:
        """``[LABEL=]FILE``; an existing file whose name contains '=' is taken as a file."""
        if "=" in text and not Path(text).exists():
            label, _, file = text.partition("=")
            if not label or not file:
                raise UserError(f"--plan {text}: expected [LABEL=]FILE, e.g. 20_infra/dev=plans/infra.json")
            return cls(label.strip().strip("/"), Path(file))
        return cls(None, Path(text))


def _identity_from_label(label: str, policy: Policy, shown: str) -> tuple[str | None, str | None]:
    layers = [layer.name for layer in policy.layers]
    parts = PurePosixPath(label).parts
    if len(parts) == 1 and parts[0] in layers:
        return parts[0], None
    if len(parts) == 2 and parts[0] in layers:
        env = parts[1]
        if env not in policy.environments:
            raise UserError(
                f"--plan {shown}: environment {display(env)} is not in the policy "
                f"({', '.join(policy.environments)})"
            )
        return parts[0], env
    layer, stack_env = policy.stack_identity(label)
    if layer is not None:
        return layer, stack_env
    raise UserError(
        f"--plan {shown}: label {display(label)} names no stack; use a layer ({', '.join(layers)}), "
        f"LAYER/ENV (e.g. {layers[-1]}/{policy.environments[0]}) or a stack directory"
    )


def _tokens(text: str) -> list[str]:
    return [token for token in re.split(r"[^A-Za-z0-9_]+", text) if token]


def _infer_identity(
    path: Path, document: dict[str, Any], policy: Policy
) -> tuple[str | None, str | None, str]:
    """(layer, env, how) from the plan's location, its file name, or its variables."""
    layers = [layer.name for layer in policy.layers]
    layer, env = policy.stack_identity(path.resolve().parent.as_posix())
    if layer is not None:
        return layer, env, "from the directory it is in"
    tokens = _tokens(path.as_posix())
    for token in reversed(tokens):
        if layer is None and token in layers:
            layer = token
        if env is None and token in policy.environments:
            env = token
    how = "from the file name"
    if env is None:
        variables = document.get("variables")
        if isinstance(variables, dict):
            for name in ("environment", "env", "stage"):
                value = (
                    (variables.get(name) or {}).get("value")
                    if isinstance(variables.get(name), dict)
                    else None
                )
                if isinstance(value, str) and value in policy.environments:
                    env, how = value, "from the file name and the plan's variables"
                    break
    return layer, env, how


# From this size on, a plan's objects are frozen once read (see collector_paused). Not below: frozen
# objects are never collected, and a process that checks many small plans (a test run) would keep them.
FREEZE_FROM_BYTES = 10_000_000


@contextmanager
def collector_paused() -> Iterator[None]:
    """A 100 MB plan becomes millions of objects that live as long as the check. The cyclic collector
    scanned them again and again, while they were made and while the rules indexed them: half the time
    of the check. Reading plans pauses it, and so does the check while the rules run; reference
    counting still frees whatever is dropped."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def add_plans(model: Model, specs: list[PlanSpec], policy: Policy) -> list[EnvironmentChanges]:
    """Each plan into the model as its stack; returns what applying them does, per environment, each
    stack in apply order (the report's ``plan_changes``)."""
    sections: list[tuple[str | None, StackChanges]] = []
    with collector_paused():
        for spec in specs:
            sections.append(_add_plan(model, spec, policy))
        if sum(_size(spec.path) for spec in specs) >= FREEZE_FROM_BYTES:
            gc.freeze()  # never scanned again: the model keeps them until the process ends
    return by_environment(sections, {layer.name: layer.order for layer in policy.layers}, policy.environments)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _add_plan(model: Model, spec: PlanSpec, policy: Policy) -> tuple[str | None, StackChanges]:
    """Add one plan's stack; its environment and section of what applying it does."""
    shown = spec.path.as_posix()
    layer: str | None = None
    env: str | None = None
    if spec.label is not None:
        layer, env = _identity_from_label(spec.label, policy, f"{spec.label}={shown}")
    try:
        document = read_plan(spec.path, shown, _plan_mebibytes(policy))
    except PlanTooLarge as error:
        # A finding, not exit 2: the other plans and the HCL are still checked, and the run fails on it.
        model.problems.append(
            Problem(
                f"this plan is larger than the {error.limit:,} MiB ttgate reads in one plan "
                f"({_size(spec.path) / 1e6:,.0f} MB), so nothing in it was read or checked",
                Location(relative_posix(spec.path, model.root), 0),
                "Give a plan per stack (`terraform show -json` of each root's plan); a plan that truly "
                f"needs more can raise the bound in .ttgate.yml: `rules: {{TG000: {{plan_mebibytes: "
                f"{error.limit * 2}}}}}`.",
            )
        )
        if spec.label is None:
            layer, env, _ = _infer_identity(spec.path, {}, policy)
        label = f"{layer}/{env}" if layer and env else spec.label or shown
        why = f"larger than the {error.limit:,} MiB ttgate reads in one plan; nothing in it was read"
        return env, errored_section(label, layer, relative_posix(spec.path, model.root), why)
    if spec.label is not None:
        if env is None:
            env = _infer_identity(spec.path, document, policy)[1]
    else:
        layer, env, how = _infer_identity(spec.path, document, policy)
        if layer is not None:
            label = f"{layer}/{env}" if env else layer
            model.notes.append(f"plan {shown}: stack {label} inferred {how}; give LABEL=FILE to be sure")
        else:
            model.notes.append(
                f"plan {shown}: could not tell its layer or environment; layer rules skip it "
                "(give LABEL=FILE, e.g. 20_infra/dev=FILE)"
            )
    hcl = _matching_stack(model, layer, env, spec.label)
    name = hcl.name if hcl is not None else (f"{layer}/{env}" if layer and env else spec.label or shown)
    stack = Stack(
        name=name,
        directory=hcl.directory if hcl else None,
        layer=layer,
        env=env,
        backend=hcl.backend if hcl else None,
        location=hcl.location if hcl else None,
    )
    plan_file = relative_posix(spec.path, model.root)
    build_plan_stack(document, stack, plan_file)
    stack.planned_changes, drift = planned_changes(document)
    section = stack_changes(stack.label, layer, plan_file, stack.planned_changes, drift)
    model.add_secrets(name, plan_secrets(document))
    if document.get("errored") is True:
        model.notes.append(f"plan {shown} errored: Terraform could not finish it, so it may be incomplete")
        section.errored = "Terraform could not finish this plan (errored): what it lists may be incomplete"
    if hcl is not None:
        _overlay(model, hcl, stack)
    else:
        model.stacks.append(stack)
    return env, section


def _plan_mebibytes(policy: Policy) -> int:
    try:
        return int(policy.settings("TG000").params.get("plan_mebibytes", MAX_PLAN_MEBIBYTES))
    except KeyError:
        return MAX_PLAN_MEBIBYTES


def _matching_stack(model: Model, layer: str | None, env: str | None, label: str | None) -> Stack | None:
    for stack in model.stacks:
        if stack.kind != "hcl":
            continue
        if label is not None and stack.name == label:
            return stack
        if layer is not None and env is not None and stack.layer == layer and stack.env == env:
            return stack
    return None


def _overlay(model: Model, hcl: Stack, plan: Stack) -> None:
    """Replace the HCL stack by the plan's, keeping the HCL's locations and value structure."""
    by_address = {resource.address: resource for resource in hcl.resources}
    replaced: dict[Resource, Resource] = {}
    for resource in plan.resources:
        source = by_address.get(resource.address)
        if source is None:
            continue
        replaced[source] = resource
        resource.location = source.location
        resource.attribute_locations = source.attribute_locations
        # Where the HCL sets a value the plan hides, its notes would show it again.
        resource.origins = {
            attribute: [origin.redacted() for origin in origins]
            if is_sensitive(resource.values.get(attribute))
            else origins
            for attribute, origins in source.origins.items()
        }
        resource.module_call = source.module_call
    for source, resource in replaced.items():
        for key, value in resource.values.items():
            hcl_value = source.values.get(key)
            # The plan knows only "unknown"; the HCL may know its shape (a jsonencode with a new ARN inside).
            if (
                isinstance(value, Unknown)
                and value.reason != SENSITIVE
                and isinstance(hcl_value, Unknown)
                and hcl_value.partial is not None
            ):
                resource.values[key] = Unknown(
                    value.reason, value.resource, value.attribute, _relink(hcl_value.partial, replaced)
                )
    plan.module_calls = hcl.module_calls
    if not plan.remote_states:
        plan.remote_states = hcl.remote_states
    index = model.stacks.index(hcl)
    model.stacks[index] = plan
    for other in model.stacks:
        for resource in other.resources:
            resource.values = {key: _relink(value, replaced) for key, value in resource.values.items()}


def _relink(value: Any, replaced: dict[Resource, Resource]) -> Any:
    if isinstance(value, Unknown):
        linked = linked_resource(value)
        target = replaced.get(linked) if linked is not None else None
        partial = _relink(value.partial, replaced) if value.partial is not None else None
        if target is None and partial is value.partial:
            return value
        return Unknown(value.reason, target or value.resource, value.attribute, partial)
    if isinstance(value, dict):
        return {key: _relink(item, replaced) for key, item in value.items()}
    if isinstance(value, list):
        return [_relink(item, replaced) for item in value]
    return value
