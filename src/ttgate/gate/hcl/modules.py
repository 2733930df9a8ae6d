"""A Terraform module directory as declarations: variables, locals, outputs, resources, calls."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ttgate.gate.hcl.syntax import Attribute, Block, ParsedFile


@dataclass(frozen=True)
class Declared:
    """A block and the file (relative to the checked root) it is written in."""

    block: Block
    file: str


@dataclass(frozen=True)
class DeclaredAttribute:
    attribute: Attribute
    file: str


@dataclass(frozen=True)
class Rejection:
    """A declaration Terraform refuses (a duplicate name, a wrong number of labels), in its words."""

    message: str
    file: str
    line: int
    column: int
    consequence: str  # what ttgate did instead


@dataclass
class ModuleSource:
    directory: Path
    variables: dict[str, Declared] = field(default_factory=dict)
    locals: dict[str, DeclaredAttribute] = field(default_factory=dict)
    outputs: dict[str, Declared] = field(default_factory=dict)
    resources: dict[tuple[str, str, str], Declared] = field(default_factory=dict)  # (mode, type, name)
    module_calls: dict[str, Declared] = field(default_factory=dict)
    backends: list[Declared] = field(default_factory=list)
    providers: list[Declared] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)  # the first declaration is the one kept

    @property
    def is_root(self) -> bool:
        """Terraform cannot tell a root module from a child; a backend or provider block is the sign."""
        return bool(self.backends or self.providers)

    managed_types: set[str] = field(default_factory=set)  # filled by build_module, read on every lookup


def build_module(directory: Path, files: list[tuple[str, ParsedFile]]) -> ModuleSource:
    module = ModuleSource(directory)
    for file, parsed in sorted(files):
        module.files.append(file)
        if parsed.body is None:
            continue
        for block in parsed.body.blocks:
            _declare(module, block, file)
    module.managed_types = {type_ for mode, type_, _ in module.resources if mode == "managed"}
    return module


# Block types Terraform knows at the top level, with their labels; others are left to Terraform.
_LABELS = {
    "variable": ("name",),
    "output": ("name",),
    "module": ("name",),
    "resource": ("type", "name"),
    "data": ("type", "name"),
    "provider": ("name",),
    "locals": (),
    "terraform": (),
}
_NAMED = ("variable", "output", "module", "resource", "data")
# HCL's identifiers: a letter (any script) or underscore, then letters, digits, underscores, dashes.
_IDENTIFIER = re.compile(r"[^\W\d][\w-]*")
_SKIPPED = "ttgate skipped this block"
_FIRST_KEPT = "ttgate checked the first declaration only"


def _declare(module: ModuleSource, block: Block, file: str) -> None:
    kind, labels = block.type, block.labels
    if not _well_formed(module, block, file):
        return
    if kind == "variable":
        _add(module, module.variables, labels[0], Declared(block, file), "Duplicate variable declaration")
    elif kind == "locals":
        for name, attribute in block.body.attributes.items():
            first = module.locals.get(name)
            if first is None:
                module.locals[name] = DeclaredAttribute(attribute, file)
            else:
                _reject(
                    module,
                    f'Duplicate local value definition: local value "{name}" was already defined '
                    f"at {first.file}:{first.attribute.line}",
                    file,
                    attribute.line,
                    attribute.column,
                    _FIRST_KEPT,
                )
    elif kind == "output":
        _add(module, module.outputs, labels[0], Declared(block, file), "Duplicate output definition")
    elif kind in ("resource", "data"):
        key = ("managed" if kind == "resource" else "data", labels[0], labels[1])
        summary = f'Duplicate {"resource" if kind == "resource" else "data"} "{labels[0]}" configuration'
        _add(module, module.resources, key, Declared(block, file), summary)
    elif kind == "module":
        _add(module, module.module_calls, labels[0], Declared(block, file), "Duplicate module call")
    elif kind == "provider":
        module.providers.append(Declared(block, file))
    elif kind == "terraform":
        for inner in block.body.blocks:
            if inner.type in ("backend", "cloud"):
                module.backends.append(Declared(inner, file))


def _well_formed(module: ModuleSource, block: Block, file: str) -> bool:
    """Whether the block has the labels Terraform expects; what it refuses is a rejection."""
    expected = _LABELS.get(block.type)
    if expected is None:
        return True
    labels = block.labels
    if len(labels) < len(expected):
        missing = expected[len(labels)]
        names = ", ".join(expected)
        summary = f"Missing {missing} for {block.type}: all {block.type} blocks must have {len(expected)} "
        plural = "s" if len(expected) > 1 else ""
        _reject(module, f"{summary}label{plural} ({names})", file, block.line, block.column)
        return False
    if len(labels) > len(expected):
        count = f"only {len(expected)} ({', '.join(expected)})" if expected else "no labels"
        _reject(
            module,
            f"Extraneous label for {block.type}: {count} expected for {block.type} blocks",
            file,
            block.line,
            block.column,
        )
        return False
    if block.type in _NAMED and not _IDENTIFIER.fullmatch(labels[-1]):
        _reject(
            module,
            f"Invalid {block.type} name: a name must start with a letter or underscore and may contain "
            f"only letters, digits, underscores, and dashes",
            file,
            block.line,
            block.column,
        )
        return False
    return True


def _add(
    module: ModuleSource, declared: dict[Any, Declared], key: Any, declaration: Declared, summary: str
) -> None:
    first = declared.get(key)
    if first is None:
        declared[key] = declaration
        return
    block = declaration.block
    what = {"variable": "variable", "output": "output", "module": "module call"}.get(block.type)
    named = f'{what} "{key}"' if what else f'{block.labels[0]} {block.type} "{block.labels[1]}"'
    _reject(
        module,
        f"{summary}: {named} was already declared at {first.file}:{first.block.line}",
        declaration.file,
        block.line,
        block.column,
        _FIRST_KEPT,
    )


def _reject(
    module: ModuleSource, message: str, file: str, line: int, column: int, consequence: str = _SKIPPED
) -> None:
    module.rejections.append(Rejection(message, file, line, column, consequence))
