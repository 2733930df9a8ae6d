"""Finding the state backend's own resources (state bucket, lock table) by the policy's name pattern."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ttgate.gate.findings import Finding
from ttgate.gate.model import Resource
from ttgate.gate.rules.base import RuleContext
from ttgate.gate.values import Unknown
from ttgate.policy.names import backend_layer, name_regex, prefix_match


@dataclass
class BackendResource:
    """A resource of the state backend, or one that looks like it but whose name is unknown.

    Check it with ``context`` and pass the findings through :meth:`settle`: when the name is unknown,
    a failing check becomes TG001 (the name decides, since a resource that is not the backend need not
    follow the rule).
    """

    resource: Resource
    name: str | None  # None when unknown
    context: RuleContext  # a trial context when the name is unknown
    name_attribute: str
    unknown_name: Unknown | None = None
    outer: RuleContext | None = None

    def settle(self, findings: Iterable[Finding]) -> Iterator[Finding]:
        if self.outer is None or self.unknown_name is None:
            yield from findings
            return
        outcome = list(findings)
        if any(finding.rule == self.outer.rule.id for finding in outcome):
            what = f"its name ({self.name_attribute}), so whether it is part of the state backend"
            self.outer.unverifiable(self.resource, what, self.unknown_name, attribute=self.name_attribute)
            return
        self.outer.unverifiable_findings.extend(self.context.unverifiable_findings)
        yield from outcome


def backend_resources(
    context: RuleContext, resource_type: str, name_attribute: str, template: str, hint: str
) -> Iterator[BackendResource]:
    """Every resource of ``resource_type`` named like ``template`` (a policy pattern).

    A resource whose name is unknown but that looks like part of the backend (in the backend's layer,
    ``hint`` in its address) is visited too, with a trial context.
    """
    policy = context.policy
    for resource in context.model.resources(resource_type):
        if resource.present is False:
            continue
        envs = [*policy.environments, *([resource.stack.env] if resource.stack.env else [])]
        name = resource.values.get(name_attribute)
        if isinstance(name, str):
            if name_regex(template, policy, envs=envs).fullmatch(name):
                yield BackendResource(resource, name, context, name_attribute)
            continue
        if not isinstance(name, Unknown):
            continue
        follows = prefix_match(template, policy, name.prefix, envs=envs) if name.prefix else None
        if follows is True:  # "{project}-tf-state-{env}-${account_id}": the known part decides
            yield BackendResource(resource, None, context, name_attribute)
            continue
        looks_like_backend = (
            resource.stack.layer == backend_layer(policy) and hint in resource.address.lower()
        )
        if follows is None and looks_like_backend:
            yield BackendResource(resource, None, context.trial(), name_attribute, name, context)
