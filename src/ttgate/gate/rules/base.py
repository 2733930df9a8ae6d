"""What every rule is made of, and the context it runs in.

A rule is a pure function from the model and its policy parameters to findings. It declares its
ID (public API: users suppress and configure by it), default severity, parameters and its doc.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ttgate.gate.findings import Finding, Related, Severity
from ttgate.gate.model import Location, Model, Resource, Stack, relative_posix
from ttgate.gate.values import Unknown, as_number, display


@dataclass(frozen=True)
class RuleDoc:
    what: str
    why: str
    runbook: str  # the runbook section the rule comes from
    fix: str
    bad: str  # a failing example (HCL)
    good: str  # the same example, passing


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    default_severity: Severity
    summary: str
    doc: RuleDoc
    check: Callable[[RuleContext], Iterator[Finding]]
    parameters: Mapping[str, Any] = field(default_factory=dict)


UNVERIFIABLE_ID = "TG001"


@dataclass
class RuleContext:
    rule: Rule
    model: Model
    params: Mapping[str, Any]
    severity: Severity
    unverifiable_severity: Severity | None  # None when TG001 is disabled
    policy: Any  # ttgate.gate.policy.Policy; typed loosely so rules need not import policy loading

    def model_relative(self, path: Path) -> str:
        return relative_posix(path, self.model.root)

    def finding(
        self,
        message: str,
        fix: str,
        *,
        resource: Resource | None = None,
        attribute: str | None = None,
        stack: Stack | None = None,
        location: Location | None = None,
        severity: Severity | None = None,
        related: list[Related] | None = None,
        address: str | None = None,
    ) -> Finding:
        if resource is not None:
            if location is None:
                location = resource.location_of(attribute) if attribute else resource.location
            stack = stack or resource.stack
            address = address or resource.address
            related = list(related or [])
            related.extend(origin_notes(resource, attribute))
        return Finding(
            rule=self.rule.id,
            name=self.rule.name,
            severity=severity or self.severity,
            message=message,
            fix=fix,
            location=location,
            block=resource.location if resource is not None else None,
            address=address,
            stack=stack,
            source=stack.kind if stack is not None else "hcl",
            related=related or [],
        )

    def unverifiable(
        self,
        subject: Resource,
        what: str,
        unknown: Unknown,
        *,
        attribute: str | None = None,
    ) -> Iterator[Finding]:
        """TG001: this rule could not decide; say which value and why, never pass silently."""
        if self.unverifiable_severity is None:
            return
        location = subject.location_of(attribute) if attribute else subject.location
        yield Finding(
            rule=UNVERIFIABLE_ID,
            name="unverifiable",
            severity=self.unverifiable_severity,
            message=f"{self.rule.id} ({self.rule.name}) cannot check {subject.address}: {what} is unknown "
            f"({unknown.reason}).",
            fix=(
                "The value is decided at apply time; check again once it exists, or suppress "
                if subject.stack.kind == "plan"
                else "Give the value a default or a tfvars entry, check with the plan (--plan), or suppress "
            )
            + f"{self.rule.id} here with a reason if it is checked elsewhere.",
            location=location,
            block=subject.location,
            for_rule=self.rule.id,
            address=subject.address,
            stack=subject.stack,
            source=subject.stack.kind,
            related=origin_notes(subject, attribute),
        )


def origin_notes(resource: Resource, attribute: str | None) -> list[Related]:
    if attribute is None:
        return []
    return [Related(origin.description, origin.location) for origin in resource.origins.get(attribute, [])]


def where(resource: Resource) -> str:
    """``module.queue.aws_sqs_queue.main in 20_infra/prod``: enough to find it in a hurry."""
    return f"{resource.address} in {resource.stack.label}"


def seconds(value: float | int) -> str:
    number = int(value) if float(value).is_integer() else value
    return f"{number} s"


def number_or_default(resource: Resource, attribute: str, default: float | int) -> float | int | Unknown:
    """An attribute as a number; AWS's default when unset; Unknown when unknown or not a number."""
    value: Any = resource.values.get(attribute)
    if value is None:
        return default
    number = as_number(value)
    if number is None:
        return Unknown(f"{attribute} = {display(value)} is not a number")
    return number
