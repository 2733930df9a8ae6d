"""Finding the state backend's own resources (state bucket, lock table) by the policy's name pattern."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ttgate.gate.findings import Finding
from ttgate.gate.model import Resource
from ttgate.gate.names import backend_layer, name_regex
from ttgate.gate.rules.base import RuleContext
from ttgate.gate.values import Unknown


def backend_resources(
    context: RuleContext,
    resource_type: str,
    name_attribute: str,
    template: str,
    hint: str,
    check: Callable[[Resource, str | None], Iterator[Finding]],
) -> Iterator[Finding]:
    """Run ``check`` on every resource of ``resource_type`` named like ``template`` (a policy pattern).

    A resource whose name is unknown but that looks like part of the backend (in the backend's layer,
    ``hint`` in its address) is checked too; if it would fail, TG001 says the name decides, since a
    resource that is not the backend need not follow the rule.
    """
    policy = context.policy
    for resource in context.model.resources(resource_type):
        if resource.present is False:
            continue
        envs = [*policy.environments, *([resource.stack.env] if resource.stack.env else [])]
        name = resource.values.get(name_attribute)
        if isinstance(name, str):
            if name_regex(template, policy, envs=envs).fullmatch(name):
                yield from check(resource, name)
            continue
        looks_like_backend = (
            resource.stack.layer == backend_layer(policy) and hint in resource.address.lower()
        )
        if isinstance(name, Unknown) and looks_like_backend:
            outcome = list(check(resource, None))
            if any(finding.rule == context.rule.id for finding in outcome):
                what = f"its name ({name_attribute}), so whether it is part of the state backend"
                yield from context.unverifiable(resource, what, name, attribute=name_attribute)
            else:
                yield from outcome
