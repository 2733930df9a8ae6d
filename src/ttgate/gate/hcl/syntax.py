"""A small, picklable syntax tree for HCL files.

python-hcl2 parses; this module turns its Lark parse tree into plain dataclasses that keep exactly
what evaluation and reporting need: block structure, attribute expressions and source positions.
Being plain data, a parsed file can be cached by content hash and parsed in another process.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lark import Tree

from ttgate.gate.values import display

# --- expressions -----------------------------------------------------------------------------


@dataclass(slots=True)
class Lit:
    value: Any


@dataclass(slots=True)
class Template:
    parts: list[str | Expr]


@dataclass(slots=True)
class Name:
    name: str


@dataclass(slots=True)
class GetAttr:
    obj: Expr
    name: str


@dataclass(slots=True)
class Index:
    obj: Expr
    key: Expr


@dataclass(slots=True)
class Splat:
    """``obj[*].a.b`` or ``obj.*.a``: ``ops`` apply to every element."""

    obj: Expr
    ops: list[tuple[str, Any]]  # ("attr", name) or ("index", Expr)


@dataclass(slots=True)
class Call:
    name: str
    args: list[Expr]
    expand_last: bool = False


@dataclass(slots=True)
class BinOp:
    op: str
    left: Expr
    right: Expr


@dataclass(slots=True)
class Unary:
    op: str
    operand: Expr


@dataclass(slots=True)
class Cond:
    test: Expr
    then: Expr
    other: Expr


@dataclass(slots=True)
class TupleExpr:
    items: list[Expr]


@dataclass(slots=True)
class ObjectExpr:
    items: list[tuple[Expr, Expr]]


@dataclass(slots=True)
class ForExpr:
    key_var: str | None
    value_var: str
    collection: Expr
    key: Expr | None  # set for object comprehensions
    value: Expr
    condition: Expr | None
    grouping: bool = False


@dataclass(slots=True)
class TemplateIf:
    """``%{ if test }then%{ else }other%{ endif }`` inside a template; evaluates to a string."""

    test: Expr
    then: list[str | Expr]
    other: list[str | Expr]


@dataclass(slots=True)
class TemplateFor:
    """``%{ for key, value in collection }body%{ endfor }`` inside a template; a string."""

    key_var: str | None
    value_var: str
    collection: Expr
    body: list[str | Expr]


@dataclass(slots=True)
class Unsupported:
    """Syntax ttgate does not evaluate (unbalanced template directives...); evaluates to Unknown."""

    what: str


Expr = (
    Lit
    | Template
    | Name
    | GetAttr
    | Index
    | Splat
    | Call
    | BinOp
    | Unary
    | Cond
    | TupleExpr
    | ObjectExpr
    | ForExpr
    | TemplateIf
    | TemplateFor
    | Unsupported
)

# --- structure -------------------------------------------------------------------------------


@dataclass(slots=True)
class Attribute:
    name: str
    expr: Expr
    line: int
    column: int
    end_line: int
    text: str  # the expression's source, for messages
    # When the expression is one literal on one line (a number, a plain string, a bool): its columns
    # on ``line`` (1-based, end exclusive), for fixes that rewrite it in place; 0 otherwise.
    literal_column: int = 0
    literal_end_column: int = 0
    # An object value ``{ key = literal }``, alone or in ``jsonencode(...)``: (key, line, column,
    # end_column, text) of each member written as one literal on one line, for fixes inside it.
    members: list[tuple[str, int, int, int, str]] = field(default_factory=list)


@dataclass(slots=True)
class Block:
    type: str
    labels: list[str]
    body: Body
    line: int
    column: int
    end_line: int


@dataclass(slots=True)
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, block_type: str) -> list[Block]:
        return [block for block in self.blocks if block.type == block_type]


@dataclass(slots=True)
class SyntaxProblem:
    message: str
    line: int
    column: int


@dataclass(slots=True)
class ParsedFile:
    """One parsed .tf or .tfvars file; ``body`` is None when it could not be parsed."""

    body: Body | None
    problem: SyntaxProblem | None = None
    directives: list[tuple[int, str]] = field(default_factory=list)  # (line, "ttgate:..." comment)


# --- numbers --------------------------------------------------------------------------------

# Digits of the largest integer literal kept exactly; Python's int() refuses more than 4,300.
_MAX_LITERAL_DIGITS = 1233


def number_literal(text: str) -> int | float:
    """A number literal as Terraform reads it, with arbitrary precision where a float would overflow.

    ``1e309`` is a whole number beyond a float's range: it is kept as an int. A literal too large even
    for that is infinity, which evaluation turns into an Invalid value that says so.
    """
    if not any(char in text for char in ".eE"):
        return int(text) if len(text) <= _MAX_LITERAL_DIGITS else math.inf
    value = float(text)
    if math.isfinite(value):
        return value
    exact = Decimal(text)
    return int(exact) if exact.adjusted() <= _MAX_LITERAL_DIGITS else math.inf


# --- conversion from the Lark tree ----------------------------------------------------------

_BINARY_OPS = {"==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "&&", "||"}
_DIRECTIVE = re.compile(r"(?:#|//|/\*)[ \t]*(ttgate:[^\n*]*)")


def _token_text(node: Any) -> str:
    return str(node)


def _is_tree(node: Any, name: str | None = None) -> bool:
    return isinstance(node, Tree) and (name is None or node.data == name)


def _children(node: Any) -> list[Any]:
    """Children without newline/comment nodes and punctuation tokens."""
    return [
        child
        for child in node.children
        if child is not None and not (isinstance(child, Tree) and child.data == "new_line_or_comment")
    ]


def _subtrees(node: Any) -> list[Any]:
    # The hottest function of the conversion: one pass, no helper calls.
    return [
        child for child in node.children if isinstance(child, Tree) and child.data != "new_line_or_comment"
    ]


def _edge_token(node: Any, last: bool) -> Any:
    """The first (or last) token of a subtree, ignoring newlines and comments.

    Positions come from tokens: the parser runs without Lark's position propagation, which
    costs more than half of the parse time, and only blocks and attributes need a span.
    """
    children = node.children[::-1] if last else node.children
    for child in children:
        if _is_tree(child):
            if child.data == "new_line_or_comment":
                continue
            found = _edge_token(child, last)
            if found is not None:
                return found
        elif child is not None and getattr(child, "type", "") != "NL_OR_COMMENT":
            return child
    return None


def _span(node: Any) -> tuple[int, int, int, int]:
    """(line, column, end_line, end_column) of a subtree, 1-based, end exclusive."""
    first, last = _edge_token(node, last=False), _edge_token(node, last=True)
    if first is None or last is None:
        return (1, 1, 1, 1)
    # An operator token may carry the newline before it (python-hcl2's post-lexer merges them).
    value = str(first)
    offset = len(value) - len(value.lstrip())
    line, column = first.line, first.column
    if offset:
        skipped = value[:offset]
        line += skipped.count("\n")
        column = len(skipped) - skipped.rfind("\n") if "\n" in skipped else column + offset
    return (line, column, last.end_line, last.end_column)


class TerraformRejects(ValueError):
    """Syntax python-hcl2 accepts and Terraform refuses: Terraform's summary, then its reason."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def _ends_its_line(item: Any, following: Any) -> bool:
    """Whether a body item ends before the line the following item starts on (HCL needs a newline)."""
    last = _edge_token(item, last=True)
    if last is None or str(last).endswith("\n"):  # a heredoc's token takes its newline
        return True
    line, _, _, _ = _span(following)
    return bool(line > last.end_line)


def _check_single_line_block(block: Any, body: Any) -> None:
    """``name { a = 1 }``: an item on the opening brace's line makes a single-line block, which holds
    one argument and closes on that line, as Terraform requires."""
    opening = next(child for child in block.children if getattr(child, "type", "") == "LBRACE")
    closing = block.children[-1]
    items = [child for child in _subtrees(body) if child.data in ("attribute", "block")]
    if not items:
        return
    first = items[0]
    line, column, _, _ = _span(first)
    if line != opening.line:
        return
    if first.data == "block":
        raise TerraformRejects(
            "Argument definition required: a single-line block can contain only a single argument; "
            "place a nested block on a line of its own within its parent block",
            line,
            column,
        )
    last = _edge_token(first, last=True)
    if len(items) > 1 or str(last).endswith("\n") or last.end_line != closing.line:
        raise TerraformRejects(
            "Invalid single-argument block definition: an argument on the same line as its block's "
            "opening brace makes a single-line block, which must be closed on that line, right after "
            "the argument",
            line,
            column,
        )


class _Converter:
    def __init__(self, text: str) -> None:
        self._text = text
        # Object expression -> its literal members' positions (see Attribute.members).
        self._members: dict[int, list[tuple[str, int, int, int, str]]] = {}

    # structure

    def body(self, node: Any) -> Body:
        body = Body()
        previous: Any = None
        for child in _subtrees(node):
            if child.data not in ("attribute", "block"):
                continue
            if previous is not None and not _ends_its_line(previous, child):
                line, column, _, _ = _span(child)
                if previous.data == "attribute":
                    raise TerraformRejects(
                        "Missing newline after argument: an argument definition must end with a newline",
                        line,
                        column,
                    )
                raise TerraformRejects(
                    "Missing newline after block definition: a block definition must end with a newline",
                    line,
                    column,
                )
            previous = child
            if child.data == "attribute":
                attribute = self.attribute(child)
                first = body.attributes.get(attribute.name)
                if first is not None:
                    raise TerraformRejects(
                        f'Attribute redefined: the argument "{attribute.name}" was already set on line '
                        f"{first.line}; each argument may be set only once",
                        attribute.line,
                        attribute.column,
                    )
                body.attributes[attribute.name] = attribute
            else:
                body.blocks.append(self.block(child))
        return body

    def attribute(self, node: Any) -> Attribute:
        subtrees = _subtrees(node)
        name = self.key_name(subtrees[0])
        expr_node = subtrees[-1]
        line, column, _, _ = _span(node)
        text = self.source(expr_node).rstrip()
        expr = self.expr(expr_node)
        literal_line, literal_column, literal_end_line, literal_end_column = _span(expr_node)
        literal = isinstance(expr, Lit) and literal_line == line == literal_end_line and "\n" not in text
        return Attribute(
            name=name,
            expr=expr,
            line=line,
            column=column,
            end_line=line + text.count("\n"),
            text=text,
            literal_column=literal_column if literal else 0,
            literal_end_column=literal_end_column if literal else 0,
            members=self._encoded_members(expr),
        )

    def _encoded_members(self, expr: Expr) -> list[tuple[str, int, int, int, str]]:
        if isinstance(expr, Call) and expr.name == "jsonencode" and len(expr.args) == 1:
            return self._members.get(id(expr.args[0]), [])
        return self._members.get(id(expr), []) if isinstance(expr, ObjectExpr) else []

    def block(self, node: Any) -> Block:
        subtrees = _subtrees(node)
        body_node = subtrees[-1]
        head = subtrees[:-1]
        block_type = self.key_name(head[0])
        labels = [self.block_label(part) for part in head[1:]]
        line, column, end_line, _ = _span(node)
        _check_single_line_block(node, body_node)
        return Block(block_type, labels, self.body(body_node), line, column, end_line)

    def block_label(self, node: Any) -> str:
        if node.data == "string" and not isinstance(self.string(node), Lit):
            line, column, _, _ = _span(node)
            raise TerraformRejects(
                "Invalid string literal: template sequences are not allowed in a block label "
                '(a literal "$" is written "$$")',
                line,
                column,
            )
        return self.label(node)

    def key_name(self, node: Any) -> str:
        if node.data == "string":
            return self.label(node)
        return "".join(_token_text(token) for token in node.children)

    def label(self, node: Any) -> str:
        if node.data == "string":
            value = self.string(node)
            if isinstance(value, Lit) and isinstance(value.value, str):
                return value.value
            return self.source(node).strip('"')
        return self.key_name(node)

    def source(self, node: Any) -> str:
        first, last = _edge_token(node, last=False), _edge_token(node, last=True)
        if first is None or last is None:
            return ""
        value = str(first)
        start = first.start_pos + len(value) - len(value.lstrip())
        # Character offsets, not lines: a heredoc token ends after the newline that closes it, on a
        # line that splitlines() does not have.
        return self._text[start : last.end_pos].replace("\r\n", "\n")

    # expressions

    def expr(self, node: Any) -> Expr:
        if not _is_tree(node):
            raise ValueError(f"unexpected {getattr(node, 'data', None) or display(str(node))}")
        kind = node.data
        method = getattr(self, f"_{kind}", None)
        if method is None:
            return Unsupported(kind)
        result: Expr = method(node)
        return result

    def _expr_term(self, node: Any) -> Expr:
        subtrees = _subtrees(node)
        return self.expr(subtrees[0])

    def _int_lit(self, node: Any) -> Expr:
        return Lit(number_literal(_token_text(node.children[0])))

    def _float_lit(self, node: Any) -> Expr:
        return Lit(number_literal(_token_text(node.children[0])))

    def _literal_value(self, node: Any) -> Expr:
        text = _token_text(node.children[0])
        return Lit({"true": True, "false": False, "null": None}[text])

    def _identifier(self, node: Any) -> Expr:
        return Name(_token_text(node.children[0]))

    def _keyword(self, node: Any) -> Expr:
        return Name(_token_text(node.children[0]))

    def _string(self, node: Any) -> Expr:
        return self.string(node)

    def string(self, node: Any) -> Expr:
        # Directives come from the parser as flat markers; strip markers (~) are applied first, then
        # the markers are nested into TemplateIf/TemplateFor.
        items: list[str | Expr | _Directive] = []
        for part in _subtrees(node):
            inner = part.children[0]
            if _is_tree(inner, "interpolation"):
                strip_left, strip_right = _strip_markers(inner)
                items.append(_Directive("strip", strip_left, False))
                items.append(self.expr(_subtrees(inner)[0]))
                items.append(_Directive("strip", False, strip_right))
            elif _is_tree(inner):
                items.append(self.directive(inner))
            else:
                token = _token_text(inner)
                if inner.type == "ESCAPED_INTERPOLATION" or inner.type == "ESCAPED_DIRECTIVE":
                    items.append(token[1:])
                else:
                    items.append(_unescape(token))
        if not any(isinstance(item, _Directive) and item.kind != "strip" for item in items):
            return _template([item for item in _strip(items) if not isinstance(item, _Directive)])
        try:
            parts, _, _ = _nest(_strip(items), 0, ())
        except ValueError as error:
            return Unsupported(f"template directive ({error})")
        return _template(parts)

    def directive(self, node: Any) -> _Directive:
        strip_left, strip_right = _strip_markers(node)
        kind = node.data.removeprefix("template_").removesuffix("_start")
        directive = _Directive(kind, strip_left, strip_right)
        subtrees = _subtrees(node)
        if kind == "if":
            directive.test = self.expr(subtrees[-1])
        elif kind == "for":
            names = [_token_text(part.children[0]) for part in subtrees if part.data == "identifier"]
            directive.names = names
            directive.test = self.expr(subtrees[-1])
        return directive

    def _template_string(self, node: Any) -> Expr:
        return Lit(_unescape(_token_text(node.children[0])[2:-2]))

    def _heredoc_template(self, node: Any) -> Expr:
        return self.heredoc(_token_text(node.children[0]), trim=False)

    def _heredoc_template_trim(self, node: Any) -> Expr:
        return self.heredoc(_token_text(node.children[0]), trim=True)

    def heredoc(self, token: str, trim: bool) -> Expr:
        lines = token.split("\n")
        body_lines = lines[1:-2]  # drop the "<<EOT" line, the closing marker and the final ""
        if trim:
            indents = [len(line) - len(line.lstrip()) for line in body_lines if line.strip()]
            cut = min(indents, default=0)
            body_lines = [line[cut:] for line in body_lines]
        text = "\n".join(body_lines) + ("\n" if body_lines else "")
        return template_from_text(text)

    def _tuple(self, node: Any) -> Expr:
        return TupleExpr([self.expr(child) for child in _subtrees(node)])

    def _object(self, node: Any) -> Expr:
        items: list[tuple[Expr, Expr]] = []
        members: list[tuple[str, int, int, int, str]] = []
        for elem in _subtrees(node):
            key_node, value_node = _subtrees(elem)
            key, value = self.object_key(key_node), self.expr(value_node)
            items.append((key, value))
            line, column, end_line, end_column = _span(value_node)
            if (
                isinstance(key, Lit)
                and isinstance(key.value, str)
                and isinstance(value, Lit)
                and line == end_line
            ):
                members.append((key.value, line, column, end_column, self.source(value_node).strip()))
        obj = ObjectExpr(items)
        if members:
            self._members[id(obj)] = members
        return obj

    def object_key(self, node: Any) -> Expr:
        inner = _subtrees(node)[0]
        if inner.data == "keyword":
            return Lit(_token_text(inner.children[0]))
        key = self.expr(inner)
        # A bare identifier as a key is the literal name, as in Terraform.
        if isinstance(key, Name):
            return Lit(key.name)
        return key

    def _function_call(self, node: Any) -> Expr:
        subtrees = _subtrees(node)
        names = [_token_text(part.children[0]) for part in subtrees if part.data == "identifier"]
        arguments = next((part for part in subtrees if part.data == "arguments"), None)
        args: list[Expr] = []
        expand = False
        if arguments is not None:
            args = [self.expr(child) for child in _subtrees(arguments)]
            expand = any(not _is_tree(child) and _token_text(child) == "..." for child in arguments.children)
        return Call("::".join(names), args, expand)

    def _get_attr_expr_term(self, node: Any) -> Expr:
        obj_node, attr_node = _subtrees(node)
        return GetAttr(self.expr(obj_node), self.key_name(_subtrees(attr_node)[0]))

    def _index_expr_term(self, node: Any) -> Expr:
        obj_node, index_node = _subtrees(node)
        return Index(self.expr(obj_node), self.index_key(index_node))

    def index_key(self, node: Any) -> Expr:
        if node.data == "short_index":
            digits = [tok for tok in node.children if getattr(tok, "type", "") == "INT_LITERAL"]
            return Lit(number_literal(_token_text(digits[0])))
        return self.expr(_subtrees(node)[0])

    def _attr_splat_expr_term(self, node: Any) -> Expr:
        return self.splat(node)

    def _full_splat_expr_term(self, node: Any) -> Expr:
        return self.splat(node)

    def splat(self, node: Any) -> Expr:
        """``[*]`` applies every following step to each element. The legacy ``.*`` takes only ``.name``
        and ``.0`` steps: a bracketed index ends it (``x.*.arn[0]`` is the first ARN, as in Terraform).
        """
        obj_node, splat_node = _subtrees(node)
        legacy = node.data == "attr_splat_expr_term"
        ops: list[tuple[str, Any]] = []
        after: list[Any] = []
        for op in _subtrees(splat_node):
            if after or (legacy and op.data == "braces_index"):
                after.append(op)
            elif op.data == "get_attr":
                ops.append(("attr", self.key_name(_subtrees(op)[0])))
            else:
                ops.append(("index", self.index_key(op)))
        result: Expr = Splat(self.expr(obj_node), ops)
        for op in after:
            if op.data == "get_attr":
                result = GetAttr(result, self.key_name(_subtrees(op)[0]))
            else:
                result = Index(result, self.index_key(op))
        return result

    def _binary_op(self, node: Any) -> Expr:
        left_node, term = _subtrees(node)[:2]
        operator_node, right_node = _subtrees(term)[:2]
        operator = _token_text(operator_node.children[0]).strip()
        if operator not in _BINARY_OPS:
            return Unsupported(f"operator {operator}")
        return BinOp(operator, self.expr(left_node), self.expr(right_node))

    def _unary_op(self, node: Any) -> Expr:
        operator = _token_text(node.children[0])
        return Unary(operator, self.expr(_subtrees(node)[0]))

    def _conditional(self, node: Any) -> Expr:
        test, then, other = _subtrees(node)
        return Cond(self.expr(test), self.expr(then), self.expr(other))

    def _for_tuple_expr(self, node: Any) -> Expr:
        return self.for_expr(node, is_object=False)

    def _for_object_expr(self, node: Any) -> Expr:
        return self.for_expr(node, is_object=True)

    def for_expr(self, node: Any, is_object: bool) -> Expr:
        subtrees = _subtrees(node)
        intro = subtrees[0]
        intro_parts = _subtrees(intro)
        names = [_token_text(part.children[0]) for part in intro_parts if part.data == "identifier"]
        collection = self.expr(intro_parts[-1])
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        condition_node = next((part for part in subtrees if part.data == "for_cond"), None)
        condition = self.expr(_subtrees(condition_node)[0]) if condition_node is not None else None
        exprs = [part for part in subtrees[1:] if part.data != "for_cond"]
        grouping = any(not _is_tree(child) and _token_text(child) == "..." for child in node.children)
        if is_object:
            return ForExpr(
                key_var,
                value_var,
                collection,
                self.expr(exprs[0]),
                self.expr(exprs[1]),
                condition,
                grouping,
            )
        return ForExpr(key_var, value_var, collection, None, self.expr(exprs[0]), condition)


@dataclass(slots=True)
class _Directive:
    """A template directive marker before nesting; ``strip`` marks an interpolation's ``~``."""

    kind: str  # if, else, endif, for, endfor, strip
    strip_left: bool
    strip_right: bool
    test: Expr | None = None  # the condition of an if, the collection of a for
    names: list[str] = field(default_factory=list)  # a for's variables


def _strip_markers(node: Any) -> tuple[bool, bool]:
    """Whether a directive or interpolation has ``~`` after its opening or before its closing brace."""
    children = _children(node)

    def is_marker(index: int) -> bool:
        return getattr(children[index], "type", "") == "STRIP_MARKER"

    return (len(children) > 2 and is_marker(1), len(children) > 3 and is_marker(-2))


def _strip(items: list[str | Expr | _Directive]) -> list[str | Expr | _Directive]:
    """Apply strip markers: ``~`` removes the whitespace (newlines included) on that side."""
    result = list(items)
    for index, item in enumerate(result):
        if not isinstance(item, _Directive):
            continue
        if item.strip_left and index > 0 and isinstance(result[index - 1], str):
            result[index - 1] = str(result[index - 1]).rstrip()
        if item.strip_right and index + 1 < len(result) and isinstance(result[index + 1], str):
            result[index + 1] = str(result[index + 1]).lstrip()
    return result


def _nest(
    items: list[str | Expr | _Directive], index: int, closers: tuple[str, ...]
) -> tuple[list[str | Expr], _Directive | None, int]:
    """Template parts from ``index`` up to one of ``closers``: (parts, the closer, index after it)."""
    parts: list[str | Expr] = []
    while index < len(items):
        item = items[index]
        index += 1
        if not isinstance(item, _Directive):
            parts.append(item)
        elif item.kind == "strip":
            continue
        elif item.kind in closers:
            return parts, item, index
        elif item.kind == "if" and item.test is not None:
            then, end, index = _nest(items, index, ("else", "endif"))
            other: list[str | Expr] = []
            if end is not None and end.kind == "else":
                other, end, index = _nest(items, index, ("endif",))
            if end is None:
                raise ValueError("%{if} without %{endif}")
            parts.append(TemplateIf(item.test, then, other))
        elif item.kind == "for" and item.test is not None and item.names:
            body, end, index = _nest(items, index, ("endfor",))
            if end is None:
                raise ValueError("%{for} without %{endfor}")
            names = item.names
            key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
            parts.append(TemplateFor(key_var, value_var, item.test, body))
        else:
            raise ValueError(f"%{{{item.kind}}} without its opening directive")
    return parts, None, index


def _template(parts: list[str | Expr]) -> Expr:
    merged: list[str | Expr] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + part
        else:
            merged.append(part)
    if not merged:
        return Lit("")
    if len(merged) == 1 and isinstance(merged[0], str):
        return Lit(merged[0])
    return Template(merged)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)


def _unescape(text: str) -> str:
    """HCL's escapes: \\n \\t \\r \\" \\\\ \\uNNNN \\UNNNNNNNN (one pass, so each is decoded once)."""
    if "\\" not in text:
        return text

    def decode(match: re.Match[str]) -> str:
        escape = match.group(1)
        if len(escape) > 1:
            return chr(int(escape[1:], 16))
        return _ESCAPES.get(escape, escape)

    return _ESCAPE.sub(decode, text)


def template_from_text(text: str) -> Expr:
    """Heredoc bodies and JSON strings: literal text with ``${...}`` interpolations, as a quoted string."""
    if "${" not in text and "%{" not in text:
        return Lit(text)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    try:
        from ttgate.gate.hcl.grammar import lark_parser

        tree = lark_parser().parse(f'x = "{escaped}"\n\n')
    except Exception:
        return Unsupported("heredoc template")
    converter = _Converter(f'x = "{escaped}"')
    attribute = next(child for child in _subtrees(tree.children[0]) if child.data == "attribute")
    return converter.expr(_subtrees(attribute)[-1])


def convert(tree: Any, text: str) -> Body:
    """Turn python-hcl2's raw Lark tree (``hcl2.parses_to_tree``) into a :class:`Body`."""
    return _Converter(text).body(_subtrees(tree)[0])


def find_directives(comments: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """``ttgate:`` comments by line, for suppressions, from the lexer's comment tokens.

    Only comments count (``# ttgate:ignore`` in a string is text), and lines are the parser's: a form
    feed or U+2028 does not end a line in HCL, so it does not shift a suppression either.
    """
    found: list[tuple[int, str]] = []
    for line, comment in comments:
        text = comment.lstrip("\n \t")
        match = _DIRECTIVE.match(text)
        if match:
            found.append((line, match.group(1).strip()))
    return found
