"""What a rule tells the policy about itself: its ID, default severity and parameters.

The rules live in the gate; the policy validates their settings through :class:`RuleSpec` alone, so it
needs nothing from the gate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ttgate.policy.severity import Severity
from ttgate.policy.wording import Key


class ParameterProblem(ValueError):
    """Raised by a parameter's cross-check: what is wrong, and under which key of the value."""

    def __init__(self, problem: str, *under: Key) -> None:
        super().__init__(problem)
        self.problem = problem
        self.under = under


@dataclass(frozen=True)
class Declared:
    """What the rest of the policy declares, for parameters that must refer to it (a layer name)."""

    layers: tuple[str, ...]
    environments: tuple[str, ...]


@dataclass(frozen=True)
class Parameter:
    """A rule parameter: its default (whose type a policy must give), range, choices and cross-check.

    ``check`` receives the typed value and what the policy declares, and raises
    :class:`ParameterProblem` when the value does not fit.
    """

    default: Any
    minimum: float | None = None
    choices: tuple[Any, ...] = ()
    check: Callable[[Any, Declared], None] | None = None


class RuleSpec(Protocol):
    """What the rule registry provides about a rule; policy validation needs only this."""

    @property
    def id(self) -> str: ...

    @property
    def default_severity(self) -> Severity: ...

    @property
    def parameters(self) -> Mapping[str, Parameter]:
        """Parameter name -> its spec."""
        ...
