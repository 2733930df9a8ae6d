"""The git history fixtures of test_rollback, shared with the other rollback tests."""

from tests.operations.rollback.test_rollback import _isolated_git, history

__all__ = ["_isolated_git", "history"]
