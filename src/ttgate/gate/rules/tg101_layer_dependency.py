"""TG101 layer-dependency: a stack depends only on its own layer or a lower one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from ttgate.gate.findings import Finding, Related
from ttgate.gate.model import Location, Stack
from ttgate.gate.rules.base import Example, Rule, RuleContext, RuleDoc
from ttgate.gate.values import Unknown
from ttgate.policy import Severity

RULE = Rule(
    id="TG101",
    name="layer-dependency",
    default_severity=Severity.ERROR,
    summary="A stack reads state (or uses module code) only of its own or a lower layer.",
    doc=RuleDoc(
        what="Each root stack belongs to a layer (10_core, 20_infra, 30_app, from its path as the policy "
        "says). A `terraform_remote_state` read is matched to a layer by its state key (core/, infra/, "
        "app/terraform.tfstate); a local module `source` by the layer directory it lives in. Reading "
        "a higher layer's state or using a higher layer's module code is reported. Shared modules "
        "(components/) belong to no layer and are always allowed. A read that ttgate links to the stack "
        "writing that state takes the layer of that stack (any key, as layouts describe it); Terragrunt "
        "`dependency` blocks and `dependencies { paths }` are edges too. An edge to a stack of another "
        "environment is a warning.",
        why="Layers are applied in order 10_core → 20_infra → 30_app and rolled back in reverse. A "
        "lower layer that reads a higher one breaks both: on a fresh environment the outputs do not "
        "exist yet, and a rollback of the higher layer changes what the lower one reads.",
        runbook="Layer dependencies; Layer-specific rollback order",
        fix="Move the value the lower layer needs down into that layer (or lower) and output it "
        "from there, or move the reading resource up into the higher layer.",
        bad=Example(
            "practice/deploy/10_core/environments/dev/main.tf",
            """
            # practice/deploy/10_core/environments/dev/main.tf
            data "terraform_remote_state" "infra" {
              backend = "s3"
              config = {
                bucket = "tt-practice-tf-state-dev-123456789012"
                key    = "infra/terraform.tfstate"
                region = "ap-southeast-1"
              }
            }
            """,
        ),
        good=Example(
            "practice/deploy/30_app/environments/dev/main.tf",
            """
            # practice/deploy/30_app/environments/dev/main.tf
            data "terraform_remote_state" "infra" {
              backend = "s3"
              config = {
                bucket = "tt-practice-tf-state-dev-123456789012"
                key    = "infra/terraform.tfstate"
                region = "ap-southeast-1"
              }
            }
            """,
        ),
    ),
)


def _layer_of_directory(relative: str, layer_names: set[str]) -> str | None:
    for part in reversed(PurePosixPath(relative).parts):
        if part in layer_names:
            return part
    return None


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    policy = context.policy
    names = {layer.name for layer in policy.layers}
    for stack in context.model.stacks:
        own = policy.layer(stack.layer) if stack.layer else None
        if own is None:
            continue
        yield from _remote_states(context, stack, own.order)
        yield from _dependencies(context, stack, own.order)
        yield from _module_code(context, stack, own.order, names)


def _dependencies(context: RuleContext, stack: Stack, own_order: int) -> Iterator[Finding]:
    """Terragrunt ``dependency`` blocks (outputs read like a remote state) and ``dependencies`` paths."""
    policy = context.policy
    for dependency in stack.dependencies:
        target = dependency.target
        edge = (
            dependency.name
            if dependency.name.startswith("dependencies.")
            else f"dependency.{dependency.name}"
        )
        yield from _other_environment(context, stack, target, edge, dependency.location)
        layer = policy.layer(target.layer) if target is not None and target.layer else None
        if target is None or layer is None or layer.order <= own_order:
            continue
        related = [Related(f"{target.name} is {layer.name}", target.location)] if target.location else []
        if dependency.name.startswith("dependencies."):
            what = (
                f"{stack.layer} is applied after {target.name} ({layer.name}) by {dependency.name}: a layer "
                f"may only depend on its own or a lower layer. Terragrunt's run-all would apply "
                f"{layer.name} before {stack.layer}, against the runbook's order (10_core → 20_infra → "
                "30_app), and a rollback in reverse would leave this unit depending on a newer layer."
            )
        else:
            what = (
                f"{stack.layer} reads the outputs of {target.name} ({layer.name}) through dependency "
                f'"{dependency.name}": a layer may only depend on its own or a lower layer. {layer.name} '
                f"is applied after {stack.layer}, so on a fresh environment those outputs do not exist "
                "yet, and a rollback (30_app → 20_infra → 10_core) would leave this unit reading a newer "
                "layer's outputs."
            )
        yield context.finding(
            what,
            f"Move what {stack.layer} needs from {target.name} down into {stack.layer} (or a lower layer); "
            f"or move this unit up into {layer.name}.",
            stack=stack,
            location=dependency.location,
            related=related,
        )


def _remote_states(context: RuleContext, stack: Stack, own_order: int) -> Iterator[Finding]:
    policy = context.policy
    for remote in stack.remote_states:
        key = remote.key
        if isinstance(key, Unknown):
            reader = next((r for r in stack.resources if r.address == remote.address), None)
            if reader is not None:
                context.unverifiable(reader, "the state key it reads", key, attribute="config")
            continue
        if key is None:
            continue
        yield from _other_environment(context, stack, remote.target, remote.address, remote.location)
        # The stack that writes the state decides its layer; the key only when no checked stack does.
        target = remote.target
        layer = (
            policy.layer(target.layer)
            if target is not None and target.layer is not None
            else policy.layer_for_state_key(key)
        )
        if layer is None or layer.order <= own_order:
            continue
        related = []
        if remote.target is not None and remote.target.location is not None:
            related.append(Related(f"state {key} is written by {remote.target.name}", remote.target.location))
        by_key = policy.layer_for_state_key(key)
        # The runbook's keys name the layer; another key names it through the stack that writes it.
        whose = layer.name if by_key is layer or target is None else f"{target.name}, a {layer.name} stack"
        yield context.finding(
            f"{stack.layer} reads the state of {whose} ({key}) through {remote.address}: a layer may "
            f"only read its own or a lower layer. {layer.name} is applied after {stack.layer}, so this "
            "stack would read outputs that do not exist yet on a fresh environment, and a rollback "
            "(30_app → 20_infra → 10_core) would leave it reading a newer layer's state.",
            f"Move what {stack.layer} needs from {layer.name} down into {stack.layer} (or a lower layer) and "
            f"output it from there; or move this resource up into {layer.name}.",
            stack=stack,
            location=remote.location,
            address=remote.address,
            related=related,
        )


def _other_environment(
    context: RuleContext, stack: Stack, target: Stack | None, edge: str, location: Location | None
) -> Iterator[Finding]:
    """A stack of one environment reading another environment's state (a warning: the runbook's
    layers are per environment, and nothing in it allows crossing)."""
    if target is None or target.env is None or stack.env is None or target.env == stack.env:
        return
    related = [Related(f"{target.name} is in {target.env}", target.location)] if target.location else []
    yield context.finding(
        f"{stack.name} ({stack.env}) depends on {target.name}, a stack of {target.env}, through {edge}: "
        f"on a fresh {stack.env} environment it would build on {target.env}'s resources, and a change or "
        f"rollback in {target.env} changes {stack.env}.",
        f"Read the {stack.env} stack instead (a key or path with the environment in it), or say here "
        "why this environment shares the other's (# ttgate:ignore TG101 with a reason).",
        stack=stack,
        location=location,
        severity=context.at_most_warning,
        related=related,
    )


def _module_code(context: RuleContext, stack: Stack, own_order: int, names: set[str]) -> Iterator[Finding]:
    policy = context.policy
    seen: set[tuple[str, int]] = set()
    for call in stack.module_calls:
        if call.directory is None or call.location is None:
            continue
        marker = (call.location.file, call.location.line)
        if marker in seen:
            continue
        seen.add(marker)
        relative = context.model_relative(call.directory)
        layer_name = _layer_of_directory(relative, names)
        layer = policy.layer(layer_name) if layer_name else None
        if layer is None or layer.order <= own_order:
            continue
        yield context.finding(
            f"{stack.layer} uses module code from {layer.name} ({relative}) in {call.address}: "
            "a layer may only "
            f"use modules of its own or a lower layer, or shared components. A change to {layer.name}'s "
            f"module would silently change {stack.layer}, which is applied and rolled back separately.",
            f"Move the module to a shared place (such as components/) or into {stack.layer}'s modules/.",
            stack=stack,
            location=call.location,
            address=call.address,
        )
