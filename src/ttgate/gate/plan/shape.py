"""The shape of a `terraform show -json` plan, checked before the loader reads it.

Terraform documents the format ("JSON Output Format"): objects whose unknown keys a reader ignores
(new minor versions add some), and known keys whose types never change within a major version. Only
the keys the loader reads are checked here; resource values are the provider's and are any JSON. A
plan that breaks the format is refused with the JSON path of the first wrong value, so the loader
never meets a list where it reads an object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

JsonPath = tuple[str | int, ...]
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


class ShapeError(ValueError):
    """A value of the wrong type, at ``path``."""

    def __init__(self, path: JsonPath, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem


def path_text(path: JsonPath) -> str:
    """``resource_changes[3].change.after_unknown``: the path as a reader writes it."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        elif _PLAIN_KEY.fullmatch(key):
            text += f".{key}" if text else key
        else:  # a key from the file may hold anything, a terminal escape included: show it escaped
            text += f"[{json.dumps(key)}]"
    return text or "(the document)"


def describe(value: Any) -> str:
    """What a JSON value is, as a reader of the file would say it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


Check = Callable[[Any, JsonPath], None]


def _kind(expected: str, test: Callable[[Any], bool]) -> Check:
    def check(value: Any, path: JsonPath) -> None:
        if value is not None and not test(value):
            raise ShapeError(path, f"expected {expected}, got {describe(value)}")

    return check


ANY: Check = _kind("any value", lambda value: True)
STRING = _kind("a string", lambda value: isinstance(value, str))
BOOLEAN = _kind("a boolean", lambda value: isinstance(value, bool))
OBJECT = _kind("an object", lambda value: isinstance(value, dict))
# after_unknown and the sensitivity masks mirror a value's shape with true where it is marked.
MASK = _kind("true, false, a list or an object", lambda value: isinstance(value, bool | list | dict))


def list_of(item: Check) -> Check:
    def check(value: Any, path: JsonPath) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            raise ShapeError(path, f"expected a list, got {describe(value)}")
        for index, element in enumerate(value):
            item(element, (*path, index))

    return check


def map_of(item: Check) -> Check:
    def check(value: Any, path: JsonPath) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            raise ShapeError(path, f"expected an object, got {describe(value)}")
        for key, element in value.items():
            item(element, (*path, key))

    return check


def one_of(*choices: str) -> Check:
    def check(value: Any, path: JsonPath) -> None:
        STRING(value, path)
        if value is not None and value not in choices:
            raise ShapeError(path, f"expected one of {', '.join(choices)}, got {json.dumps(value[:40])}")

    return check


@dataclass
class Obj:
    """An object with these known keys (others are ignored, as the format asks); null is allowed."""

    fields: Mapping[str, Check] = field(default_factory=dict)

    def __call__(self, value: Any, path: JsonPath) -> None:
        OBJECT(value, path)
        if value is None:
            return
        for key, check in self.fields.items():
            if key in value:
                check(value[key], (*path, key))


def _lazy(get: Callable[[], Check]) -> Check:
    """A check defined later (a module contains modules)."""
    return lambda value, path: get()(value, path)


STATE_RESOURCE = Obj(
    {
        "address": STRING,
        "mode": one_of("managed", "data"),
        "type": STRING,
        "name": STRING,
        "values": OBJECT,
        "sensitive_values": MASK,
    }
)
STATE_MODULE: Obj = Obj(
    {
        "address": STRING,
        "resources": list_of(STATE_RESOURCE),
        "child_modules": list_of(_lazy(lambda: STATE_MODULE)),
    }
)
OUTPUT = Obj({"sensitive": BOOLEAN, "value": ANY})
STATE_VALUES = Obj({"outputs": map_of(OUTPUT), "root_module": STATE_MODULE})

CHANGE = Obj(
    {
        "actions": list_of(one_of("no-op", "create", "read", "update", "delete", "forget")),
        "before": ANY,
        "after": OBJECT,
        "after_unknown": OBJECT,
        "before_sensitive": MASK,
        "after_sensitive": MASK,
    }
)
RESOURCE_CHANGE = Obj(
    {
        "address": STRING,
        "mode": one_of("managed", "data"),
        "type": STRING,
        "name": STRING,
        "change": CHANGE,
    }
)

EXPRESSION = Obj({"references": list_of(STRING)})
CONFIG_RESOURCE = Obj({"address": STRING, "expressions": OBJECT})
CONFIG_MODULE: Obj = Obj(
    {
        "resources": list_of(CONFIG_RESOURCE),
        "outputs": map_of(Obj({"expression": EXPRESSION, "sensitive": BOOLEAN})),
        "module_calls": map_of(Obj({"module": _lazy(lambda: CONFIG_MODULE)})),
    }
)

PLAN = Obj(
    {
        "format_version": STRING,
        "variables": map_of(Obj({"value": ANY})),
        "planned_values": STATE_VALUES,
        "resource_changes": list_of(RESOURCE_CHANGE),
        "prior_state": Obj({"values": STATE_VALUES}),
        "configuration": Obj({"root_module": CONFIG_MODULE}),
        "errored": BOOLEAN,
    }
)


def check_plan_shape(document: Any) -> None:
    """Raise :class:`ShapeError` at the first value whose type the format does not allow."""
    if not isinstance(document, dict):
        raise ShapeError((), f"expected an object, got {describe(document)}")
    PLAN(document, ())


def first_lone_surrogate(value: Any) -> JsonPath | None:
    """Where a string (or key) holds half of a UTF-16 pair, which no file or terminal can show."""
    stack: list[tuple[Any, JsonPath]] = [(value, ())]
    while stack:
        current, path = stack.pop()
        if isinstance(current, str):
            if not _encodable(current):
                return path
        elif isinstance(current, dict):
            for key, item in current.items():
                if not _encodable(key):
                    return (*path, key)
                stack.append((item, (*path, key)))
        elif isinstance(current, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(current))
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
