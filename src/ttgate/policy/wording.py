"""How a policy problem reads: key paths, values as the user wrote them, and did-you-mean suggestions."""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import Any

Key = str | int
KeyPath = tuple[Key, ...]


def key_path_text(path: KeyPath) -> str:
    """``rules.TG103.placement``, ``layers[1].name``: a key path as it is written in messages."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else key
    return text


def describe(value: Any) -> str:
    """A value as YAML would spell it, short enough for a one-line message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return json.dumps(shown, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{value!s} ({type(value).__name__})"


def expected_type(default: Any) -> str:
    """What a value must be to stand where ``default`` stands: ``an integer``, ``a list``..."""
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "an integer"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, str):
        return "a string"
    if isinstance(default, list):
        return "a list"
    if isinstance(default, dict):
        return "a mapping"
    return f"a {type(default).__name__}"


def suggestion(word: str, choices: Sequence[str]) -> str:
    """`` (did you mean "x"?)`` for the closest choice, or nothing."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
