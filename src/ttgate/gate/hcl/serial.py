"""Parsed files as compact JSON data for the parse cache, and back, validated.

A cache entry is data, and every JSON array in it starts with a tag saying what it is: ``[0, ...]`` a
list, ``[1, ...]`` a tuple, ``[2, name, value, name, value, ...]`` a dict with text keys, and
``[NODE + i, field, ...]`` the i-th class of :mod:`syntax` with its fields in order; anything else is a
JSON string, number, true, false or null. Tagged arrays rather than ``{"node": ..., "fields": ...}``
objects make entries about half the size and let reading build each node with one call and no key
look-ups: on a warm run that decoding is most of the time spent before evaluation.

Reading checks every tag, each node's number of fields and the type of its text and number fields;
anything else (an object, NaN, an unknown tag) makes the entry a miss (:class:`CorruptEntry`).
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from ttgate.gate.hcl import syntax

_LIST, _TUPLE, _MAP, _NODE = 0, 1, 2, 10
# The order is the format: append new classes, and bump parse.SYNTAX_VERSION whenever this changes.
_NODE_CLASSES: tuple[type, ...] = (
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
_TAGS: dict[type, int] = {cls: _NODE + index for index, cls in enumerate(_NODE_CLASSES)}
_FIELD_NAMES: dict[type, tuple[str, ...]] = {
    cls: tuple(field.name for field in dataclasses.fields(cls)) for cls in _NODE_CLASSES
}
# Field annotations whose values are leaves, and the Python types a stored leaf must have.
_LEAF_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "str | None": (str, type(None)),
}
# For each tag: the class, its number of fields, and (position, allowed types) of its leaf fields.
_DECODERS: dict[int, tuple[type, int, tuple[tuple[int, tuple[type, ...]], ...]]] = {
    _TAGS[cls]: (
        cls,
        len(dataclasses.fields(cls)),
        tuple(
            (position, _LEAF_TYPES[str(field.type)])
            for position, field in enumerate(dataclasses.fields(cls))
            if str(field.type) in _LEAF_TYPES
        ),
    )
    for cls in _NODE_CLASSES
}


class CorruptEntry(ValueError):
    """A cache entry that is not a parsed file ttgate wrote."""


def dumps(parsed: syntax.ParsedFile) -> str:
    """A parsed file as the text of a cache entry; ValueError or RecursionError if it cannot be one."""
    return json.dumps(to_data(parsed), separators=(",", ":"), allow_nan=False)


def loads(text: str | bytes) -> syntax.ParsedFile:
    """A cache entry's parsed file; CorruptEntry (a ValueError) or RecursionError if it is not one."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except UnicodeDecodeError as error:
        raise CorruptEntry("not UTF-8") from error
    return from_data(data)


def _refuse_constant(name: str) -> Any:
    raise CorruptEntry(f"{name} is never stored")


def to_data(value: Any) -> Any:
    """A syntax tree as JSON-compatible data; a non-finite number (never parsed) is refused."""
    tag = _TAGS.get(type(value))
    if tag is not None:
        return [tag, *(to_data(getattr(value, name)) for name in _FIELD_NAMES[type(value)])]
    if isinstance(value, list):
        return [_LIST, *(to_data(item) for item in value)]
    if isinstance(value, tuple):
        return [_TUPLE, *(to_data(item) for item in value)]
    if isinstance(value, dict):
        data: list[Any] = [_MAP]
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError("cannot cache a dict with a key that is not text")
            data += (key, to_data(item))
        return data
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("a non-finite number is not cached")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(f"cannot cache a {type(value).__name__}")


def from_data(data: Any) -> syntax.ParsedFile:
    parsed = _value(data)
    if type(parsed) is not syntax.ParsedFile:
        raise CorruptEntry("not a parsed file")
    return parsed


def _value(data: Any) -> Any:
    kind = type(data)
    if kind is list:
        return _array(data)
    if kind is dict:
        raise CorruptEntry("unexpected object")
    return data  # json.loads makes nothing else but text, numbers, booleans and null


def _array(data: list[Any]) -> Any:
    if not data:
        raise CorruptEntry("an untagged array")
    tag = data[0]
    items: list[Any] = []
    append = items.append  # one loop, no helper call per leaf: this is most of a warm run's decoding
    for item in data[1:]:
        kind = type(item)
        if kind is list:
            item = _array(item)
        elif kind is dict:
            raise CorruptEntry("unexpected object")
        append(item)
    if type(tag) is not int:
        raise CorruptEntry("an untagged array")
    decoder = _DECODERS.get(tag)
    if decoder is not None:
        cls, size, leaves = decoder
        if len(items) != size:
            raise CorruptEntry(f"{cls.__name__} with {len(items)} fields")
        for position, allowed in leaves:
            if not isinstance(items[position], allowed):
                raise CorruptEntry(f"{cls.__name__} field {position} is a {type(items[position]).__name__}")
        return cls(*items)
    if tag == _LIST:
        return items
    if tag == _TUPLE:
        return tuple(items)
    if tag == _MAP:
        names = items[0::2]
        if len(items) % 2 or any(type(name) is not str for name in names):
            raise CorruptEntry("a map's names are not text")
        return dict(zip(names, items[1::2], strict=True))
    raise CorruptEntry(f"unknown tag {tag}")
