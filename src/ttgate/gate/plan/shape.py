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


# Checks pass the path down as a chain, () or (parent chain, key): one small tuple per level, made
# into a JsonPath only for the error. A 100 MB plan has millions of values to walk.
Chain = tuple[Any, ...]
Check = Callable[[Any, Chain], None]


def _flatten(chain: Chain) -> JsonPath:
    keys: list[str | int] = []
    while chain:
        chain, key = chain
        keys.append(key)
    return tuple(reversed(keys))


@dataclass(frozen=True)
class _Kind:
    """A JSON type (null allowed); ``types`` None for any value."""

    expected: str
    types: type | tuple[type, ...] | None

    def __call__(self, value: Any, path: Chain) -> None:
        if value is not None and self.types is not None and not isinstance(value, self.types):
            raise ShapeError(_flatten(path), f"expected {self.expected}, got {describe(value)}")


ANY = _Kind("any value", None)
STRING = _Kind("a string", str)
BOOLEAN = _Kind("a boolean", bool)
OBJECT = _Kind("an object", dict)
# after_unknown and the sensitivity masks mirror a value's shape with true where it is marked.
MASK = _Kind("true, false, a list or an object", (bool, list, dict))


def list_of(item: Check) -> Check:
    def check(value: Any, path: Chain) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            raise ShapeError(_flatten(path), f"expected a list, got {describe(value)}")
        for index, element in enumerate(value):
            if element is not None:
                item(element, (path, index))

    return check


def map_of(item: Check) -> Check:
    def check(value: Any, path: Chain) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            raise ShapeError(_flatten(path), f"expected an object, got {describe(value)}")
        for key, element in value.items():
            if element is not None:
                item(element, (path, key))

    return check


def one_of(*choices: str) -> Check:
    def check(value: Any, path: Chain) -> None:
        STRING(value, path)
        if value is not None and value not in choices:
            raise ShapeError(
                _flatten(path), f"expected one of {', '.join(choices)}, got {json.dumps(value[:40])}"
            )

    return check


@dataclass
class Obj:
    """An object with these known keys (others are ignored, as the format asks); null is allowed."""

    fields: Mapping[str, Check] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A key whose check is a plain type is tested inline: no call, no path, unless it is wrong.
        self._typed = [
            (key, check.types, check)
            for key, check in self.fields.items()
            if isinstance(check, _Kind) and check.types is not None
        ]
        self._nested = [(key, check) for key, check in self.fields.items() if not isinstance(check, _Kind)]

    def __call__(self, value: Any, path: Chain) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            raise ShapeError(_flatten(path), f"expected an object, got {describe(value)}")
        get = value.get
        for key, types, kind in self._typed:
            item = get(key)
            if item is not None and not isinstance(item, types):
                kind(item, (path, key))
        for key, check in self._nested:
            item = get(key)
            if item is not None:
                check(item, (path, key))


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
        "replace_paths": list_of(_Kind("a list", list)),
        "importing": OBJECT,
    }
)
RESOURCE_CHANGE = Obj(
    {
        "address": STRING,
        "mode": one_of("managed", "data"),
        "type": STRING,
        "name": STRING,
        "module_address": STRING,
        "previous_address": STRING,
        "action_reason": STRING,
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
        "resource_drift": list_of(RESOURCE_CHANGE),
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
