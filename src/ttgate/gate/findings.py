"""Findings: what a rule reports (its severity is the policy's :class:`~ttgate.policy.Severity`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ttgate.policy import Severity

if TYPE_CHECKING:
    from ttgate.gate.model import Location, Stack


def plural(count: int, word: str) -> str:
    """``1 error``, ``3 errors``: counts in reports and comments."""
    return f"{count} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Related:
    """Another place that matters to a finding: where a value was set, the other end of a link."""

    note: str
    location: Location


@dataclass
class Finding:
    rule: str
    name: str
    severity: Severity
    message: str
    fix: str
    location: Location | None = None
    block: Location | None = None  # the enclosing block, for suppressions written above it
    address: str | None = None
    stack: Stack | None = None
    source: str = "hcl"  # "hcl" or "plan"
    related: list[Related] = field(default_factory=list)
    for_rule: str | None = None  # TG001: the rule that could not decide
    suppressed: bool = False
    suppression_reason: str | None = None

    def sort_key(self) -> tuple[str, str, int, str, str]:
        stack = self.stack.name if self.stack is not None else ""
        file = self.location.file if self.location is not None else ""
        line = self.location.line if self.location is not None else 0
        return (stack, file, line, self.rule, self.message)
