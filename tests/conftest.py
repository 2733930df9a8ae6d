"""Fixtures every test may ask for; the helpers themselves live in tests/helpers.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from tests.helpers import write_tree
from ttgate.gate.rules import RULES
from ttgate.policy import Policy, load_policy

WriteTree = Callable[[Mapping[str, str]], Path]


# What makes a test slow; each implies ``slow`` (pyproject.toml registers them all).
SLOW_BECAUSE = ("terraform", "moto_server", "precommit", "fuzz", "action")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test marked terraform, moto_server, precommit, fuzz or action is slow too: -m "not slow" skips it."""
    for item in items:
        if any(item.get_closest_marker(name) for name in SLOW_BECAUSE):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def tree(tmp_path: Path) -> WriteTree:
    """Write files (name -> text, dedented) under the test's own directory and return that directory."""
    return lambda files: write_tree(tmp_path, files)


@pytest.fixture
def builtin_policy() -> Policy:
    """The built-in policy, with no .ttgate.yml on top."""
    return load_policy(RULES)
