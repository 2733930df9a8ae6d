"""Terraform's JSON configuration syntax (``*.tf.json``) into the same syntax tree as HCL files.

Terraform reads a JSON file by the schema of each block: strings are templates (``"${var.x}"``),
a variable's ``type`` is an expression, and whether an object is a nested block or an object value
depends on the provider's schema. ttgate has no provider schemas, so the nested blocks its rules read
(and Terraform's own meta-blocks) are listed here; every other object is an object value, which is
what a rule sees for a map attribute such as an alarm's ``dimensions``.
"""

from __future__ import annotations

import json
from typing import Any

from ttgate.gate.hcl import syntax as ast
from ttgate.gate.hcl.native_syntax import parse_text
from ttgate.gate.values import display

# Blocks with two labels, one label, or none, at the top level of a file.
_TWO_LABELS = {"resource", "data"}
_ONE_LABEL = {"module", "variable", "output", "provider", "check", "import", "moved", "removed"}
# Nested blocks: Terraform's meta-blocks, and the schema blocks ttgate's rules read.
_NESTED_BLOCKS = {
    "lifecycle",
    "provisioner",
    "connection",
    "dynamic",
    "backend",
    "cloud",
    "required_providers",
    "versioning_configuration",
    "versioning",
    "attribute",
    "logging_config",
    "metric_query",
    "metric",
    "dead_letter_config",
    "environment",
    "timeouts",
}
_EXPRESSION_KEYS = {"type"}  # in a variable block: an expression, not a template
_DECODER = json.JSONDecoder()


class _Positions:
    """Lines of JSON keys, found in document order (the standard library's decoder keeps none)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cursor = 0

    def line_of(self, key: str) -> int:
        found = self.text.find(json.dumps(key), self.cursor)
        if found < 0:
            return 1
        self.cursor = found + 1
        return self.text.count("\n", 0, found) + 1

    def literal_columns(self, key: str, value: Any) -> tuple[int, int]:
        """The columns (1-based, end exclusive) of the scalar written after the key just found, when it
        sits on the key's line; (0, 0) otherwise."""
        if isinstance(value, (dict, list)) or value is None:
            return (0, 0)
        start = self.cursor - 1 + len(json.dumps(key))
        colon = self.text.find(":", start)
        if colon < 0 or self.text[start:colon].strip():
            return (0, 0)
        begin = colon + 1
        while begin < len(self.text) and self.text[begin] in " \t":
            begin += 1
        try:
            _, end = _DECODER.raw_decode(self.text, begin)
        except ValueError:
            return (0, 0)
        if "\n" in self.text[begin:end]:
            return (0, 0)
        line_start = self.text.rfind("\n", 0, begin) + 1
        return (begin - line_start + 1, end - line_start + 1)


def parse_json_config(text: str) -> ast.ParsedFile:
    try:
        document = json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", 1)
        column = getattr(error, "colno", 1)
        return ast.ParsedFile(None, ast.SyntaxProblem(f"invalid JSON: {error}", line, column))
    except RecursionError:
        return ast.ParsedFile(None, ast.SyntaxProblem("JSON nested too deeply", 1, 1))
    if not isinstance(document, dict):
        return ast.ParsedFile(None, ast.SyntaxProblem("a .tf.json file must hold a JSON object", 1, 1))
    positions = _Positions(text)
    body = ast.Body()
    for block_type, content in document.items():
        if block_type == "//":
            continue
        line = positions.line_of(block_type)
        if block_type == "locals":
            for item in _items(content):
                body.blocks.append(ast.Block("locals", [], _body(item, positions, "locals"), line, 1, line))
        elif block_type in _TWO_LABELS:
            for first, by_name in _labelled(content):
                for second, item in _labelled(by_name):
                    item_line = positions.line_of(second)
                    block_body = _body(item, positions, block_type)
                    body.blocks.append(
                        ast.Block(block_type, [first, second], block_body, item_line, 1, item_line)
                    )
        elif block_type in _ONE_LABEL:
            for label, item in _labelled(content):
                item_line = positions.line_of(label)
                block_body = _body(item, positions, block_type)
                body.blocks.append(ast.Block(block_type, [label], block_body, item_line, 1, item_line))
        else:  # terraform, and blocks Terraform may add: no labels
            for item in _items(content):
                body.blocks.append(
                    ast.Block(block_type, [], _body(item, positions, block_type), line, 1, line)
                )
    return ast.ParsedFile(body)


def _items(content: Any) -> list[Any]:
    """A block's content: one object, or a list of them for repeated blocks."""
    return content if isinstance(content, list) else [content]


def _labelled(content: Any) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for item in _items(content):
        if isinstance(item, dict):
            pairs.extend((str(key), value) for key, value in item.items() if key != "//")
    return pairs


def _body(content: Any, positions: _Positions, block_type: str) -> ast.Body:
    body = ast.Body()
    if not isinstance(content, dict):
        return body
    for key, value in content.items():
        if key == "//":
            continue
        line = positions.line_of(key)
        literal_column, literal_end_column = positions.literal_columns(key, value)
        if key in _NESTED_BLOCKS and _is_block_content(value):
            body.blocks.extend(_nested(key, value, positions, line))
            continue
        if block_type == "variable" and key in _EXPRESSION_KEYS and isinstance(value, str):
            expr = _expression(value)
        else:
            expr = _value(value)
        if not isinstance(expr, ast.Lit):
            literal_column = literal_end_column = 0
        body.attributes[key] = ast.Attribute(
            key, expr, line, 1, line, _shown(value), literal_column, literal_end_column
        )
    return body


def _is_block_content(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and all(isinstance(v, dict) for v in value))


def _nested(block_type: str, value: Any, positions: _Positions, line: int) -> list[ast.Block]:
    if block_type in ("backend", "cloud", "provisioner", "dynamic"):  # labelled: {"s3": {...}}
        return [
            ast.Block(block_type, [label], _body(item, positions, block_type), line, 1, line)
            for label, item in _labelled(value)
        ]
    return [
        ast.Block(block_type, [], _body(item, positions, block_type), line, 1, line) for item in _items(value)
    ]


def _value(value: Any) -> ast.Expr:
    if isinstance(value, str):
        return ast.template_from_text(value)
    if isinstance(value, list):
        return ast.TupleExpr([_value(item) for item in value])
    if isinstance(value, dict):
        return ast.ObjectExpr(
            [(ast.Lit(str(key)), _value(item)) for key, item in value.items() if key != "//"]
        )
    return ast.Lit(value)


def _expression(text: str) -> ast.Expr:
    """A string Terraform reads as an expression (a variable's type): parsed as HCL."""
    parsed = parse_text(f"x = {text}\n")
    if parsed.body is None or "x" not in parsed.body.attributes:
        return ast.Unsupported(f"expression {display(text)}")
    return parsed.body.attributes["x"].expr


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
