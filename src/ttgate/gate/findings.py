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


@dataclass(frozen=True)
class LiteralEdit:
    """A fix that is one literal: in ``file`` at ``line``, the text from ``column`` to ``end_column``
    (1-based, end exclusive; the literal as written, quotes included) becomes ``replacement``.

    Where the value came from a variable, the edit is at the tfvars line or default that set it; a rule
    leaves it None when no single literal decides the finding (an expression, a value shared by stacks
    with different needs, a value set in two places).
    """

    file: str  # relative to the checked root, POSIX slashes, like Location.file
    line: int
    column: int
    end_column: int
    replacement: str  # HCL text, e.g. ``725`` or ``"14"``
    shared_by: tuple[str, ...] = ()  # stacks reading the same literal: ttgate fix refuses when they differ


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
    # Also found on the base revision or in the baseline file (--new-from, --baseline): reported apart,
    # collapsed, and never failing the run.
    existing: bool = False
    edit: LiteralEdit | None = None  # the fix as one literal change, for `ttgate fix` and PR suggestions

    def sort_key(self) -> tuple[str, str, int, str, str]:
        stack = self.stack.name if self.stack is not None else ""
        file = self.location.file if self.location is not None else ""
        line = self.location.line if self.location is not None else 0
        return (stack, file, line, self.rule, self.message)
