"""A Terraform module directory as declarations: variables, locals, outputs, resources, calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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


def _declare(module: ModuleSource, block: Block, file: str) -> None:
    kind, labels = block.type, block.labels
    if kind == "variable" and labels:
        module.variables[labels[0]] = Declared(block, file)
    elif kind == "locals":
        for name, attribute in block.body.attributes.items():
            module.locals[name] = DeclaredAttribute(attribute, file)
    elif kind == "output" and labels:
        module.outputs[labels[0]] = Declared(block, file)
    elif kind == "resource" and len(labels) == 2:
        module.resources[("managed", labels[0], labels[1])] = Declared(block, file)
    elif kind == "data" and len(labels) == 2:
        module.resources[("data", labels[0], labels[1])] = Declared(block, file)
    elif kind == "module" and labels:
        module.module_calls[labels[0]] = Declared(block, file)
    elif kind == "provider":
        module.providers.append(Declared(block, file))
    elif kind == "terraform":
        for inner in block.body.blocks:
            if inner.type in ("backend", "cloud"):
                module.backends.append(Declared(inner, file))
