"""Text that came from AWS (message bodies, attributes, log lines, queue and group names), made inert
for a terminal or an Actions log with the one sanitiser (:mod:`ttgate.gate.reporters.sanitize`).

A message body or a log line is written by whoever sent the message or ran the function: it may hold
terminal escapes (set the title, clear the screen), a carriage return and an erase-line that paint a
fake "all processed" over the real line, bidi overrides, or a line starting with ``::`` that a GitHub
Actions runner takes as a workflow command. :func:`inert` keeps line breaks and tabs (the layout of
a pretty-printed body or a Lambda log line) and escapes every other control character; :func:`safe`
is the last step of everything printed, so that no line starts a workflow command.
"""

from __future__ import annotations

from ttgate.gate.reporters.sanitize import json_text, no_command_lines, visible


def inert(text: str) -> str:
    """``text`` with every control character escaped but its newlines and tabs."""
    return "\n".join("\t".join(visible(part) for part in line.split("\t")) for line in text.split("\n"))


def safe(text: str) -> str:
    """What may be printed: :func:`inert`, and no line that is a workflow command."""
    return no_command_lines(inert(text))


def safe_json(document: str) -> str:
    """A JSON document (from ``json.dumps``) with no raw control character and no ``##[``."""
    return json_text(document)


__all__ = ["inert", "safe", "safe_json", "visible"]
