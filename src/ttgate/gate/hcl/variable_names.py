"""Variable names Terraform reserves: ``variable "lifecycle" {}`` is a module Terraform rejects.

A caller could never set such a variable, since ``lifecycle = ...`` in a module block means something
else, so ``terraform validate`` refuses the declaration in any module ("Invalid variable name"). The names
are those of Terraform's module block schema (configs/module_call.go); ``ignore_nested_deprecations``,
which only the newest releases add there, is left out so older configurations are not held to it.
Names that are no identifier at all are rejected where declarations are read (modules.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from ttgate.gate.hcl.modules import ModuleSource
from ttgate.gate.model import Location, Problem

RESERVED = frozenset(
    {
        "source",
        "version",
        "count",
        "for_each",
        "depends_on",
        "providers",
        "_",
        "lifecycle",
        "locals",
        "provider",
    }
)
_FIX = "Rename the variable, its uses and the arguments that set it (terraform validate reports the same)."


def reserved_variable_names(modules: Iterable[ModuleSource]) -> list[Problem]:
    """A TG000 problem, in Terraform's words, for each variable a module declares under a reserved name."""
    problems: list[Problem] = []
    for module in sorted(modules, key=lambda module: module.directory):
        for name, declared in module.variables.items():
            if name in RESERVED:
                block = declared.block
                problems.append(
                    Problem(
                        f'Invalid variable name: The variable name "{name}" is reserved due to its special '
                        "meaning inside module blocks; Terraform rejects the module",
                        Location(declared.file, block.line, block.column, block.end_line),
                        _FIX,
                    )
                )
    return problems
