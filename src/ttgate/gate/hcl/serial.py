"""Parsed files as JSON data for the parse cache, and back, validated.

A cache entry is data: each node is ``{"node": <syntax class name>, "fields": [...]}``, and only the
classes of :mod:`syntax` can be named. Reading checks every node's name, its number of fields and the
type of its text and number fields; anything else makes the entry a miss (:class:`CorruptEntry`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from ttgate.gate.hcl import syntax

_NODE_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        syntax.Lit,
        syntax.Template,
        syntax.Name,
        syntax.GetAttr,
        syntax.Index,
        syntax.Splat,
        syntax.Call,
        syntax.BinOp,
        syntax.Unary,
        syntax.Cond,
        syntax.TupleExpr,
        syntax.ObjectExpr,
        syntax.ForExpr,
        syntax.TemplateIf,
        syntax.TemplateFor,
        syntax.Unsupported,
        syntax.Attribute,
        syntax.Block,
        syntax.Body,
        syntax.SyntaxProblem,
        syntax.ParsedFile,
    )
}
# Field annotations whose values are leaves, and the Python types a stored leaf must have.
_LEAF_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "str | None": (str, type(None)),
}
_FIELDS = {name: dataclasses.fields(cls) for name, cls in _NODE_CLASSES.items()}


class CorruptEntry(ValueError):
    """A cache entry that is not a parsed file ttgate wrote."""


def to_data(value: Any) -> Any:
    """A syntax tree as JSON-compatible data; a non-finite number (never parsed) is refused."""
    name = type(value).__name__
    if name in _NODE_CLASSES and type(value) is _NODE_CLASSES[name]:
        return {"node": name, "fields": [to_data(getattr(value, field.name)) for field in _FIELDS[name]]}
    if isinstance(value, tuple):
        return {"tuple": [to_data(item) for item in value]}
    if isinstance(value, list):
        return [to_data(item) for item in value]
    if isinstance(value, dict):
        return {"map": [[key, to_data(item)] for key, item in value.items()]}
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("a non-finite number is not cached")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(f"cannot cache a {type(value).__name__}")


def from_data(data: Any) -> syntax.ParsedFile:
    parsed = _node_or_value(data)
    if not isinstance(parsed, syntax.ParsedFile):
        raise CorruptEntry("not a parsed file")
    return parsed


def _node_or_value(data: Any) -> Any:
    if isinstance(data, list):
        return [_node_or_value(item) for item in data]
    if isinstance(data, dict):
        if set(data) == {"tuple"} and isinstance(data["tuple"], list):
            return tuple(_node_or_value(item) for item in data["tuple"])
        if set(data) == {"map"} and isinstance(data["map"], list):
            return {_key(pair): _node_or_value(pair[1]) for pair in data["map"]}
        if set(data) == {"node", "fields"}:
            return _node(data["node"], data["fields"])
        raise CorruptEntry("unexpected object")
    if data is None or isinstance(data, (str, int, float, bool)):
        return data
    raise CorruptEntry("unexpected value")


def _key(pair: Any) -> str:
    if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str):
        raise CorruptEntry("a map entry is not a [name, value] pair")
    return pair[0]


def _node(name: Any, stored: Any) -> Any:
    if not isinstance(name, str) or name not in _NODE_CLASSES or not isinstance(stored, list):
        raise CorruptEntry(f"unknown node {name!r}")
    fields = _FIELDS[name]
    if len(stored) != len(fields):
        raise CorruptEntry(f"{name} with {len(stored)} fields")
    values = [_node_or_value(item) for item in stored]
    for field, value in zip(fields, values, strict=True):
        expected = _LEAF_TYPES.get(str(field.type))
        if expected is not None and not isinstance(value, expected):
            raise CorruptEntry(f"{name}.{field.name} is a {type(value).__name__}")
    return _NODE_CLASSES[name](*values)
