"""The report every format renders: a run's findings and what was checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ttgate import __version__
from ttgate.gate.findings import Finding
from ttgate.gate.plan.changes import EnvironmentChanges
from ttgate.policy import Severity


@dataclass
class Report:
    findings: list[Finding]
    stacks: int
    files: int
    notes: list[str] = field(default_factory=list)  # run-level facts, e.g. "plan X errored"
    stack_list: list[dict[str, str | None]] = field(default_factory=list)  # in apply order
    paths: list[str] = field(default_factory=list)  # what was checked, as given (paths and plans)
    directories: dict[str, str] = field(default_factory=dict)  # every .tf directory -> how it was checked
    # With plans given: what merging does, per environment, each stack in apply order.
    plan_changes: list[EnvironmentChanges] = field(default_factory=list)
    # `check --changed-from`: the stacks checked and why (see ttgate.gate.selection); None: all of them.
    selection: dict[str, Any] | None = None
    tool_version: str = __version__  # of the ttgate that made it (a report read back may be older)

    @property
    def active(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.suppressed]

    @property
    def new(self) -> list[Finding]:
        """Active findings that are not on the base revision or in the baseline: the ones that fail a run."""
        return [finding for finding in self.active if not finding.existing]

    @property
    def existing(self) -> list[Finding]:
        return [finding for finding in self.active if finding.existing]

    @property
    def suppressed(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.suppressed]

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.active if finding.severity is severity)
