"""Where a resource's attribute is written as one literal, and the edit that sets it: ``Finding.edit``.

The literal is the attribute's own expression (``visibility_timeout_seconds = 545``) or, when the value
reached it unchanged through variables, locals and module arguments, the one literal it came from (the
tfvars line of the environment, a variable's default, the caller's argument). Anything else (an
expression, a value computed from two literals, an unset attribute) has no edit: ``ttgate fix`` leaves
it to a person.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ttgate.gate.findings import LiteralEdit
from ttgate.gate.model import Location, Resource
from ttgate.gate.rules.base import RuleContext
from ttgate.gate.values import as_number


def literal_edit(context: RuleContext, resource: Resource, attribute: str, value: Any) -> LiteralEdit | None:
    """The edit that makes ``resource.attribute`` equal ``value``, or None when no single literal sets it.

    ``shared_by`` names the stacks whose resources read the same literal (when more than one resource
    does): ``ttgate fix`` refuses the edit when their findings ask for different values.
    """
    target = literal_source(resource, attribute)
    if target is None or target.literal is None:
        return None
    column, end_column, text = target.literal
    replacement = _written(value, text, target.file)
    if replacement is None:
        return None
    readers = [
        other
        for stack in context.model.stacks
        for other in stack.resources
        if other.type == resource.type and literal_source(other, attribute) == target
    ]
    shared_by = tuple(sorted({other.stack.name for other in readers})) if len(readers) > 1 else ()
    return LiteralEdit(target.file, target.line, column, end_column, replacement, shared_by)


def literal_source(resource: Resource, attribute: str) -> Location | None:
    """The location of the one literal that decides ``resource.attribute``, or None."""
    own = resource.attribute_locations.get(attribute)
    if own is None or resource.values.get(attribute) is None:
        return None
    if own.literal is not None:
        return own
    found = {
        origin.location
        for origin in resource.origins.get(attribute, [])
        if origin.location.literal is not None and not origin.sensitive
    }
    if len(found) != 1:
        return None
    (source,) = found
    assert source.literal is not None
    # Passed through unchanged (`= var.retention`), not computed from it (`= var.timeout * 6`).
    if not _same(_literal_value(source.literal[2]), resource.values.get(attribute)):
        return None
    return source


def _literal_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _same(written: Any, value: Any) -> bool:
    if isinstance(written, bool) or isinstance(value, bool):
        return written is value
    left, right = as_number(written), as_number(value)
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return bool(left == right)
    return written is not None and written == value


def _written(value: Any, original: str, file: str) -> str | None:
    """``value`` as the literal is written: a number stays a number, a quoted number stays quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = int(value) if value.is_integer() else value
    if isinstance(value, (int, float)):
        text = str(value)
        return json.dumps(text) if original.startswith('"') else text
    if isinstance(value, str):
        if not file.endswith(".json") and ("${" in value or "%{" in value):
            return None
        return json.dumps(value)
    return None


def member_edit(
    context: RuleContext, resource: Resource, attribute: str, key: str, current: Any, value: Any
) -> LiteralEdit | None:
    """The edit that sets ``key`` in the ``jsonencode({...})`` that gives ``resource.attribute``
    (``maxReceiveCount = 5`` in a ``redrive_policy``) from ``current`` to ``value``, or None."""
    target = member_source(resource, attribute, key, current)
    if target is None:
        return None
    file, line, column, end_column, text = target
    replacement = _written(value, text, file)
    if replacement is None:
        return None
    readers = [
        other
        for stack in context.model.stacks
        for other in stack.resources
        if other.type == resource.type
        and member_source(other, attribute, key, other_member(other, attribute, key)) == target
    ]
    shared_by = tuple(sorted({other.stack.name for other in readers})) if len(readers) > 1 else ()
    return LiteralEdit(file, line, column, end_column, replacement, shared_by)


def other_member(resource: Resource, attribute: str, key: str) -> Any:
    value = resource.values.get(attribute)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value.get(key) if isinstance(value, dict) else None


def member_source(
    resource: Resource, attribute: str, key: str, current: Any
) -> tuple[str, int, int, int, str] | None:
    """Where the one literal ``key = current`` of the attribute's ``jsonencode({...})`` is written:
    on the attribute itself, or in the one variable, local or argument it came from unchanged."""
    own = resource.attribute_locations.get(attribute)
    if own is None or current is None:
        return None
    places = [own] + [
        origin.location for origin in resource.origins.get(attribute, []) if not origin.sensitive
    ]
    found = {
        (place.file, line, column, end_column, text)
        for place in places
        for name, line, column, end_column, text in place.members
        if name == key
    }
    if not found:  # `maxReceiveCount = var.receives`: the one plain literal it came from
        found = {
            (place.file, place.line, place.literal[0], place.literal[1], place.literal[2])
            for place in places[1:]
            if place.literal is not None
        }
    if len(found) != 1:
        return None
    (source,) = found
    return source if _same(_literal_value(source[4]), current) else None
