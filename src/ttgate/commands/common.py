"""What several commands share: the --policy option and loading the policy with the rule catalog."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from ttgate.gate.policy import Policy

F = TypeVar("F", bound=Callable[..., Any])

POLICY_HELP = "Policy file (default: the nearest .ttgate.yml, else the built-in runbook policy)."


def policy_option() -> Callable[[F], F]:
    """The --policy option, the same on every command that reads the policy."""
    # No click-side checks: the policy loader says what is wrong with the file, in one line.
    return click.option("--policy", "policy_file", type=click.Path(path_type=Path), help=POLICY_HELP)


def load_policy(policy_file: Path | None, search_dir: Path) -> Policy:
    """The policy: --policy FILE, else the nearest .ttgate.yml from ``search_dir`` up, else the built-in."""
    from ttgate.gate.policy import load_policy as load
    from ttgate.gate.rules import RULES

    return load(RULES, explicit=policy_file, search_dir=search_dir)
