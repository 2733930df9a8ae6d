"""Errors a user can cause and fix: reported as one line, exit status 2, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the command line, the policy or an input file.

    The message is complete on its own: what is wrong, where, and (when it helps) what to do.
    """

    exit_code = 2
