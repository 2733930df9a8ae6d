"""A variable's ``type`` applied to its value, as Terraform converts it.

What matters to the rules: primitive conversions (``"30"`` to 30 for a number), and ``optional(type,
default)`` attributes of objects filled in where the caller left them out or null, however deep the
object sits in lists, sets, maps and tuples. Attributes an object type does not declare are dropped, as
Terraform drops them. Unknown values stay unknown; a value that does not fit is left as it is (Terraform
would refuse the configuration; that is not this module's to report).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ttgate.gate.hcl import syntax as ast
from ttgate.gate.hcl.evaluate import to_string
from ttgate.gate.values import Invalid, Unknown, as_number, display

EvaluateDefault = Callable[[ast.Expr], Any]


def convert(value: Any, type_expr: ast.Expr, evaluate_default: EvaluateDefault) -> Any:
    if isinstance(value, Unknown) or value is None:
        return value
    if isinstance(type_expr, ast.Name):
        return _primitive(value, type_expr.name)
    if not isinstance(type_expr, ast.Call) or not type_expr.args:
        return value
    name, inner = type_expr.name, type_expr.args[0]
    if name in ("list", "set") and isinstance(value, list):
        return [convert(item, inner, evaluate_default) for item in value]
    if name == "map" and isinstance(value, dict):
        return {key: convert(item, inner, evaluate_default) for key, item in value.items()}
    if name == "tuple" and isinstance(value, list) and isinstance(inner, ast.TupleExpr):
        return [
            convert(item, item_type, evaluate_default)
            for item, item_type in zip(value, inner.items, strict=False)
        ]
    if name == "object" and isinstance(value, dict) and isinstance(inner, ast.ObjectExpr):
        return _object(value, inner, evaluate_default)
    return value


def _object(value: dict[str, Any], spec: ast.ObjectExpr, evaluate_default: EvaluateDefault) -> dict[str, Any]:
    converted: dict[str, Any] = {}
    for key_expr, attribute_type in spec.items:
        key = _key(key_expr)
        if key is None:
            return value  # a computed key in a type: not Terraform, leave the value alone
        given = value.get(key)
        if isinstance(attribute_type, ast.Call) and attribute_type.name == "optional" and attribute_type.args:
            inner = attribute_type.args[0]
            if given is None and len(attribute_type.args) > 1:
                given = evaluate_default(attribute_type.args[1])
            converted[key] = convert(given, inner, evaluate_default)
        else:
            converted[key] = convert(given, attribute_type, evaluate_default)
    return converted


def _key(expr: ast.Expr) -> str | None:
    if isinstance(expr, ast.Lit) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.Name):
        return expr.name
    return None


def _primitive(value: Any, type_name: str) -> Any:
    if type_name == "number" and isinstance(value, str):
        number = as_number(value)
        return number if number is not None else Invalid(f"{display(value)} is not a number")
    if type_name == "bool" and value in ("true", "false"):
        return value == "true"
    if type_name == "string" and isinstance(value, (int, float, bool)):
        return to_string(value)
    return value
