"""Fixtures every test may ask for, and the markers' rule; the helpers live in tests/helpers.py.

A test builds its files with ``write_tree(tmp_path, {...})`` (tests/helpers.py) and shares HCL through
tests/snippets.py.
"""

from __future__ import annotations

import pytest

from ttgate.gate.rules import RULES
from ttgate.policy import Policy, load_policy

# What makes a test slow; each implies ``slow`` (pyproject.toml registers them all).
SLOW_BECAUSE = ("terraform", "moto_server", "precommit", "fuzz", "action")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test marked terraform, moto_server, precommit, fuzz or action is slow too: -m "not slow" skips it."""
    for item in items:
        if any(item.get_closest_marker(name) for name in SLOW_BECAUSE):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def builtin_policy() -> Policy:
    """The built-in policy, with no .ttgate.yml on top."""
    return load_policy(RULES)
