"""References to resources, data sources and module calls a root module never declares.

``terraform validate`` rejects ``data.terraform_remote_state.network.outputs.x`` when no file of the
module declares that data source ("Reference to undeclared resource"); evaluation alone would give an
unknown value and check on in silence. This pass reports them in Terraform's words, once per
reference, at the attribute that makes it.

Conservative on purpose: only root modules ttgate reads whole (a root stack's own directory, every
file parsed, no declaration Terraform rejects, no ``terragrunt.hcl`` whose ``generate`` blocks may add
files), only native ``.tf`` files, and only resource, data and module references. Names bound by
``for`` expressions, template ``for`` directives and ``dynamic`` blocks are not references; the
targets of ``moved``, ``removed`` and ``import`` blocks and ``lifecycle.ignore_changes`` are skipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ttgate.gate.hcl import syntax as ast
from ttgate.gate.hcl.modules import ModuleSource
from ttgate.gate.model import Location, Problem, Stack

TERRAGRUNT_FILE = "terragrunt.hcl"
# Names a traversal may start with that are not resource types.
_RESERVED = frozenset(
    {"var", "local", "module", "data", "path", "terraform", "count", "each", "self", "ephemeral"}
)
# Blocks whose expressions name addresses that need not exist (or are not expressions at all).
_SKIPPED_BLOCKS = frozenset({"moved", "removed", "import", "terraform", "variable"})
# Meta-arguments naming provider configurations (`aws.west`), which look like resource references.
_PROVIDER_ARGUMENTS = frozenset({"provider", "providers"})
_FIX = "Declare it in the root module, or correct the reference (terraform validate reports the same)."


def undeclared_references(
    roots: Iterable[tuple[Stack, ModuleSource]], body_of: Callable[[str], ast.Body | None]
) -> list[Problem]:
    """TG000 problems for the undeclared references of each root module read whole (once per module)."""
    problems: list[Problem] = []
    seen: set[Path] = set()
    for stack, module in roots:
        if module.directory in seen or not _read_whole(stack, module, body_of):
            continue
        seen.add(module.directory)
        declared = _Declared(module)
        for file in module.files:
            body = body_of(file)
            if file.endswith(".tf") and body is not None:
                for block in body.blocks:
                    declared.scoped(block)
        for file in module.files:
            body = body_of(file)
            if not file.endswith(".tf") or body is None:
                continue
            for message, attribute in _body(body, frozenset(), declared, top=True):
                problems.append(Problem(message, Location(file, attribute.line, attribute.column), _FIX))
    return problems


def _read_whole(stack: Stack, module: ModuleSource, body_of: Callable[[str], ast.Body | None]) -> bool:
    directory = stack.directory
    return (
        stack.role in ("root", "module")  # a module no root calls is checked as a root
        and stack.kind == "hcl"
        and stack.unit_source is None
        and directory is not None
        and module.directory == directory
        and not (directory / TERRAGRUNT_FILE).exists()
        and not module.rejections
        and all(body_of(file) is not None for file in module.files)
    )


class _Declared:
    def __init__(self, module: ModuleSource) -> None:
        self.resources = {(mode, type_, name) for mode, type_, name in module.resources}
        self.modules = set(module.module_calls)

    def scoped(self, block: ast.Block) -> None:
        """Data sources declared inside ``check`` blocks are visible there; counted as declared."""
        if block.type == "check":
            for inner in block.body.blocks_of("data"):
                if len(inner.labels) == 2:
                    self.resources.add(("data", inner.labels[0], inner.labels[1]))

    def problem(self, root: str, names: list[str]) -> str | None:
        """Terraform's message for a traversal ``root.names...`` that names nothing declared."""
        if root == "data":
            if len(names) >= 2 and ("data", names[0], names[1]) not in self.resources:
                return (
                    f'Reference to undeclared resource: A data resource "{names[0]}" "{names[1]}" has not '
                    "been declared in the root module"
                )
            return None
        if root == "resource":  # `resource.aws_x.y`: the explicit form of `aws_x.y`
            return self.problem(names[0], names[1:]) if names else None
        if root == "module":
            if names and names[0] not in self.modules:
                return (
                    f'Reference to undeclared module: No module call named "{names[0]}" is declared in '
                    "the root module"
                )
            return None
        if names and ("managed", root, names[0]) not in self.resources:
            return (
                f'Reference to undeclared resource: A managed resource "{root}" "{names[0]}" has not been '
                "declared in the root module"
            )
        return None


def _body(
    body: ast.Body, bound: frozenset[str], declared: _Declared, *, top: bool
) -> Iterator[tuple[str, ast.Attribute]]:
    for name, attribute in body.attributes.items():
        if name in _PROVIDER_ARGUMENTS:
            continue  # `provider = aws.us_east_1`: a provider configuration, not a resource
        for message in _expression(attribute.expr, bound, declared):
            yield message, attribute
    for block in body.blocks:
        if top and block.type in _SKIPPED_BLOCKS:
            continue
        if block.type == "lifecycle":
            kept = ast.Body(
                {k: v for k, v in block.body.attributes.items() if k != "ignore_changes"}, block.body.blocks
            )
            yield from _body(kept, bound, declared, top=False)
        elif block.type == "dynamic" and block.labels:
            iterator = block.body.attributes.get("iterator")
            name = iterator.expr.name if iterator and isinstance(iterator.expr, ast.Name) else block.labels[0]
            for attr_name, attribute in block.body.attributes.items():
                if attr_name != "iterator":
                    for message in _expression(attribute.expr, bound, declared):
                        yield message, attribute
            for inner in block.body.blocks:
                yield from _body(inner.body, bound | {name}, declared, top=False)
        else:
            yield from _body(block.body, bound, declared, top=False)


def _expression(expr: Any, bound: frozenset[str], declared: _Declared) -> Iterator[str]:
    if isinstance(expr, (ast.GetAttr, ast.Index, ast.Splat)):
        yield from _traversal(expr, bound, declared)
    elif isinstance(expr, ast.ForExpr):
        yield from _expression(expr.collection, bound, declared)
        inner = bound | {expr.value_var} | ({expr.key_var} if expr.key_var else set())
        for part in (expr.key, expr.value, expr.condition):
            if part is not None:
                yield from _expression(part, inner, declared)
    elif isinstance(expr, ast.TemplateFor):
        yield from _expression(expr.collection, bound, declared)
        inner = bound | {expr.value_var} | ({expr.key_var} if expr.key_var else set())
        for piece in expr.body:
            yield from _expression(piece, inner, declared)
    elif isinstance(expr, ast.ObjectExpr):
        for key, value in expr.items:
            if not isinstance(key, ast.Name):  # a bare key is a name, not a reference
                yield from _expression(key, bound, declared)
            yield from _expression(value, bound, declared)
    elif dataclasses.is_dataclass(expr) and not isinstance(expr, ast.Name):
        for field in dataclasses.fields(expr):
            yield from _children(getattr(expr, field.name), bound, declared)


def _children(value: Any, bound: frozenset[str], declared: _Declared) -> Iterator[str]:
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _children(item, bound, declared)
    elif dataclasses.is_dataclass(value):
        yield from _expression(value, bound, declared)


def _traversal(expr: Any, bound: frozenset[str], declared: _Declared) -> Iterator[str]:
    """``root.a.b[i]...``: the root's first attribute names (up to an index), and any index keys."""
    names: list[str] = []
    node = expr
    while True:
        if isinstance(node, ast.GetAttr):
            names.insert(0, node.name)
            node = node.obj
        elif isinstance(node, ast.Index):
            yield from _expression(node.key, bound, declared)
            names.clear()  # what follows an index is an attribute of an element, not an address part
            node = node.obj
        elif isinstance(node, ast.Splat):
            for kind, operand in node.ops:
                if kind == "index":
                    yield from _expression(operand, bound, declared)
            names.clear()
            node = node.obj
        else:
            break
    if not isinstance(node, ast.Name):
        yield from _expression(node, bound, declared)
        return
    root = node.name
    if root in bound or (root in _RESERVED and root not in ("data", "module")):
        return
    message = declared.problem(root, names)
    if message is not None:
        yield message
