"""What every rule is made of, and the context it runs in.

A rule module starts with its ``RULE = Rule(...)``: ID (public API: users suppress and configure by
it), default severity, parameters (defaults and validation) and doc with examples the doc test runs.
Its check function follows, attached with ``@RULE.check``: a pure function from the model and the
policy's parameters to findings.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ttgate.gate.findings import Finding, LiteralEdit, Related
from ttgate.gate.model import Location, Model, Resource, Stack, relative_posix
from ttgate.gate.rules.aws_limits import AcceptedRange, Rejected
from ttgate.gate.values import Unknown, as_number, display
from ttgate.policy import Parameter, Policy, Severity

# Where doc examples live in a tree: stack directories of the runbook's layout.
CORE_DEV = "practice/deploy/10_core/environments/dev"
INFRA_DEV = "practice/deploy/20_infra/environments/dev"
APP_DEV = "practice/deploy/30_app/environments/dev"
_STATE_KEYS = {"10_core": "core", "20_infra": "infra", "30_app": "app"}
_RUNBOOK_BACKEND = """\
terraform {{
  backend "s3" {{
    key            = "{key}/terraform.tfstate"
    region         = "ap-southeast-1"
    encrypt        = true
    dynamodb_table = "tt-practice-tf-locks"
  }}
}}
"""


@dataclass(frozen=True)
class Example:
    """A doc example: HCL shown in the docs, the file it is written to, and files it needs beside it.

    The doc test writes ``files`` and ``hcl`` (at ``file``) into a tree and checks the rule on it.
    The example's stack gets the runbook's backend (a ``backend.tf`` beside it) unless the example
    or ``files`` writes one. ``hcl`` is dedented, so it can be an indented triple-quoted string.
    """

    file: str
    hcl: str
    files: Mapping[str, str] = field(default_factory=dict)
    # For rules that read plans: the `terraform show -json` document of the example's stack, checked
    # as `--plan LAYER/ENV=FILE` beside the HCL.
    plan: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "hcl", textwrap.dedent(self.hcl).lstrip("\n"))

    def tree(self) -> dict[str, str]:
        """File path -> text of every file the example needs."""
        directory = self.file.rsplit("/", 1)[0]
        layer = directory.split("/")[-3] if directory.count("/") >= 2 else ""
        files = {f"{directory}/backend.tf": _RUNBOOK_BACKEND.format(key=_STATE_KEYS.get(layer, layer))}
        files.update((path, textwrap.dedent(text).lstrip("\n")) for path, text in self.files.items())
        files[self.file] = self.hcl
        return files


@dataclass(frozen=True)
class RuleDoc:
    what: str
    why: str
    runbook: str  # the runbook section the rule comes from
    fix: str
    bad: Example  # produces the rule's finding
    good: Example  # the same example, passing


CheckFunction = Callable[["RuleContext"], Iterator[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    default_severity: Severity
    summary: str
    doc: RuleDoc
    parameters: Mapping[str, Parameter] = field(default_factory=dict)
    _check: list[CheckFunction] = field(default_factory=list, repr=False, compare=False)

    def check(self, function: CheckFunction) -> CheckFunction:
        """Decorator: attach the rule's check function (exactly one)."""
        if self._check:
            raise ValueError(f"{self.id} already has a check function")
        self._check.append(function)
        return function

    @property
    def defaults(self) -> dict[str, Any]:
        return {name: parameter.default for name, parameter in self.parameters.items()}

    def run(self, context: RuleContext) -> list[Finding]:
        """The rule's findings, and the TG001 findings it reported on the way."""
        if not self._check:
            raise ValueError(f"{self.id} has no check function; decorate one with @RULE.check")
        findings = list(self._check[0](context))
        return [*findings, *context.unverifiable_findings]


UNVERIFIABLE_ID = "TG001"


@dataclass
class RuleContext:
    rule: Rule
    model: Model
    params: Mapping[str, Any]
    severity: Severity
    unverifiable_severity: Severity | None  # None when TG001 is disabled
    policy: Policy
    unverifiable_findings: list[Finding] = field(default_factory=list)

    @property
    def at_most_warning(self) -> Severity:
        """The rule's severity capped at warning, for findings the runbook leaves to judgment."""
        return min(self.severity, Severity.WARNING)

    def model_relative(self, path: Path) -> str:
        return relative_posix(path, self.model.root)

    def trial(self) -> RuleContext:
        """A context for a tentative check: its findings (TG001 included) are kept apart."""
        return RuleContext(
            self.rule, self.model, self.params, self.severity, self.unverifiable_severity, self.policy
        )

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
        edit: LiteralEdit | None = None,
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
            edit=edit,
        )

    def unverifiable(
        self,
        subject: Resource | Stack,
        what: str,
        unknown: Unknown,
        *,
        attribute: str | None = None,
        named: str | None = None,
        remedy: str | None = None,
        location: Location | None = None,
    ) -> None:
        """Report TG001: this rule could not decide; say which value and why, never pass silently.

        ``subject`` is the resource the unknown value belongs to, or the stack for a stack-wide
        setting (then ``named``, ``remedy`` and ``location`` say what it is and where).
        """
        if self.unverifiable_severity is None:
            return
        if isinstance(subject, Stack):
            stack, address, block, related = subject, None, None, []
        else:
            stack, address, block = subject.stack, subject.address, subject.location
            location = location or (subject.location_of(attribute) if attribute else subject.location)
            related = origin_notes(subject, attribute)
        if remedy is None:
            remedy = (
                "The value is decided at apply time; check again once it exists"
                if stack.kind == "plan"
                else "Give the value a default or a tfvars entry, check with the plan (--plan)"
            )
        self.unverifiable_findings.append(
            Finding(
                rule=UNVERIFIABLE_ID,
                name="unverifiable",
                severity=self.unverifiable_severity,
                message=f"{self.rule.id} ({self.rule.name}) cannot check {named or address}: {what} is "
                f"unknown ({unknown.reason}).",
                fix=f"{remedy}, or suppress {self.rule.id} here with a reason if it is checked elsewhere.",
                location=location,
                block=block,
                for_rule=self.rule.id,
                address=address,
                stack=stack,
                source=stack.kind,
                related=related,
            )
        )

    def rejected(
        self, subject: Resource, attribute: str, what: str, rejected: Rejected, *, consequence: str = ""
    ) -> Finding:
        """An error: ``attribute`` has a value AWS refuses, so the rule cannot judge it and apply fails."""
        return self.finding(
            f"{what} of {where(subject)} is {attribute} = {display(rejected.value)}: not a value AWS "
            f"accepts ({rejected.accepted}); terraform apply fails{consequence}.",
            f"Set {attribute} to {rejected.accepted} on {subject.address}.",
            resource=subject,
            attribute=attribute,
            severity=Severity.ERROR,
        )


def origin_notes(resource: Resource, attribute: str | None) -> list[Related]:
    if attribute is None:
        return []
    return [Related(origin.description, origin.location) for origin in resource.origins.get(attribute, [])]


def where(resource: Resource) -> str:
    """``module.queue.aws_sqs_queue.main in 20_infra/prod``: enough to find it in a hurry."""
    return f"{resource.address} in {resource.stack.label}"


_DURATION_UNITS = ((86_400, "day"), (3_600, "hour"), (60, "minute"))


def seconds(value: float | int) -> str:
    """A duration in seconds as a person reads it: ``30 s``, ``3,600 s (1 hour)``, ``1,209,600 s (14 days)``.

    The one way rules show seconds. From a minute up, the largest whole unit follows in brackets,
    to one decimal; ``about`` when that rounds (``359 s (about 6 minutes)``).
    """
    number = int(value) if float(value).is_integer() else value
    text = f"{number:,} s"
    for size, unit in _DURATION_UNITS:
        if abs(value) >= size:
            amount = value / size
            shown = round(amount, 1)
            words = f"{shown:g} {unit}" + ("" if shown == 1 else "s")
            return f"{text} ({words})" if shown == amount else f"{text} (about {words})"
    return text


def number_or_default(
    resource: Resource, attribute: str, default: float | int, accepted: AcceptedRange
) -> float | int | Unknown | Rejected:
    """An attribute as a number; AWS's default when unset; Unknown when unknown or not a number;
    Rejected when AWS would refuse it."""
    value: Any = resource.values.get(attribute)
    if value is None:
        return default
    number = as_number(value)
    if number is None:
        return Unknown(f"{attribute} = {display(value)} is not a number")
    if not isinstance(number, Unknown) and not accepted.accepts(number):
        return Rejected(value, accepted)
    return number
