"""The lines a pull request changed: the right-hand side's added lines, read from a unified diff's hunks
(the ``patch`` GitHub gives for each file of a pull request)."""

from __future__ import annotations

import re

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def added_lines(patch: str) -> set[int]:
    """The line numbers, in the new file, of the lines ``patch`` adds or changes. Context lines and
    removed lines are not changed lines: a suggestion on them would be about code the PR did not touch."""
    added: set[int] = set()
    line = 0
    for text in patch.splitlines():
        hunk = _HUNK.match(text)
        if hunk:
            line = int(hunk.group(1))
        elif not line or text.startswith("\\"):  # before the first hunk; "\ No newline at end of file"
            continue
        elif text.startswith("+"):
            added.add(line)
            line += 1
        elif not text.startswith("-"):
            line += 1
    return added


__all__ = ["added_lines"]
