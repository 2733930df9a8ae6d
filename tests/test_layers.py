"""The architecture, checked: every module imports only from its own part or from parts below it, and
no modules import each other, directly or through others (no import cycle).

Reading from the bottom: errors and values; the model (findings, policy...); the loaders and the rules beside
each other (rules never read files, loaders never run rules); the engine that joins them; the reporters;
the clients that touch the network or run git; the operations and the GitHub gate; the commands; the CLI.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"

# (layer, part): a part's modules may import any part of a lower layer, and themselves.
PARTS: list[tuple[int, str]] = [
    (0, "ttgate"),  # the package itself: the version
    (0, "ttgate.errors"),
    (0, "ttgate.gate.values"),  # the model is made of values; values name none of its classes
    (1, "ttgate.gate.model"),
    (2, "ttgate.gate.findings"),
    (2, "ttgate.gate.links"),
    (1, "ttgate.policy"),  # the whole tool's: imports only errors; gate.findings and up import it
    (3, "ttgate.gate.suppress"),
    (3, "ttgate.gate.fingerprint"),  # what identifies a finding across commits (SARIF, baselines)
    (4, "ttgate.gate.hcl"),
    (4, "ttgate.gate.plan"),
    (4, "ttgate.gate.rules"),
    (4, "ttgate.gate.deployed"),  # what `ttgate audit` read of AWS, as the model: a loader
    (5, "ttgate.gate.deployed.drift"),  # deployed against code: reads what the rules read
    (5, "ttgate.gate.engine"),
    (5, "ttgate.gate.selection"),  # `check --changed-from`: the stacks a diff can affect
    (5, "ttgate.gate.module_calls"),  # the gate's public reading of module calls (rollback)
    (6, "ttgate.gate.reporters"),
    (7, "ttgate.gate.run"),  # beside the engine in spirit, but it ends in the reporters' Report
    (7, "ttgate.gate.deployed.audit"),  # the audit's run: the engine on the deployed model, a Report
    (7, "ttgate.gate.baseline"),  # the baseline file, applied to a Report
    (8, "ttgate.gate.revision"),  # --new-from: run again on a revision written out by integrations.git
    (7, "ttgate.integrations"),
    (8, "ttgate.github.pulls"),  # both through the one GitHub client of ttgate.integrations.github
    (8, "ttgate.gate.stacks"),  # `ttgate stacks`: loads as run does, prints the model without rules
    (8, "ttgate.gate.changes"),  # `check --changed-from`: the diff, read through integrations.git
    (8, "ttgate.github.client"),
    (9, "ttgate.operations"),
    (9, "ttgate.github"),
    (10, "ttgate.commands"),
    (11, "ttgate.cli"),
    (12, "ttgate.__main__"),
]
# What operations may use of the gate: its public entry points. The policy (ttgate.policy) is the tool's,
# not the gate's; everything else in ttgate.gate (the parser, the model, the rules) is the gate's to change.
GATE_ENTRY_POINTS = {"ttgate.gate.run", "ttgate.gate.module_calls"}


def part_of(module: str) -> tuple[int, str]:
    """The most specific part a module belongs to."""
    matches = [(layer, part) for layer, part in PARTS if module == part or module.startswith(part + ".")]
    if not matches:
        raise AssertionError(f"{module} belongs to no part of the architecture; add it to PARTS")
    return max(matches, key=lambda match: len(match[1]))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, module: str) -> set[str]:
    """Every ttgate module the file imports, at the top or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # `from ttgate.gate import model` imports the module ttgate.gate.model
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "ttgate" or name.startswith("ttgate.")}


def known(name: str) -> bool:
    path = SOURCE / Path(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


SOURCES = sorted((SOURCE / "ttgate").rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(SOURCE)))
def test_no_module_imports_upward(path: Path) -> None:
    module = module_name(path)
    layer, part = part_of(module)
    upward = []
    for imported in sorted(imported_modules(path, module)):
        if not known(imported):
            continue
        their_layer, their_part = part_of(imported)
        if their_part != part and their_layer >= layer:
            upward.append(f"{imported} ({their_part}, layer {their_layer})")
    assert not upward, f"{module} ({part}, layer {layer}) imports from its own layer or above: {upward}"


def gate_internals(imported: set[str]) -> list[str]:
    """The gate modules among ``imported`` that are not its public entry points."""
    return sorted(
        name
        for name in imported
        if (name == "ttgate.gate" or name.startswith("ttgate.gate."))
        and not any(name == entry or name.startswith(entry + ".") for entry in GATE_ENTRY_POINTS)
    )


OPERATIONS = [path for path in SOURCES if module_name(path).startswith("ttgate.operations")]


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda path: str(path.relative_to(SOURCE)))
def test_operations_use_the_gate_only_through_its_entry_points(path: Path) -> None:
    module = module_name(path)
    internals = gate_internals(imported_modules(path, module))
    assert not internals, (
        f"{module} imports the gate's internals {internals}: use ttgate.policy or one of "
        f"{sorted(GATE_ENTRY_POINTS)} (or give the gate a public entry point)"
    )


def test_the_entry_point_check_knows_an_internal_when_it_sees_one(tmp_path: Path) -> None:
    operation = tmp_path / "operation.py"
    operation.write_text(
        "from ttgate.gate.hcl.parse import parse_text\n"
        "from ttgate.gate import names\n"
        "from ttgate.gate.module_calls import module_calls\n"
        "from ttgate.policy import Policy\n",
        encoding="utf-8",
    )
    imported = imported_modules(operation, "ttgate.operations.rollback.operation")
    internals = gate_internals(imported)
    assert {"ttgate.gate.hcl.parse", "ttgate.gate.names"} <= set(internals)
    assert not [name for name in internals if "module_calls" in name or name.startswith("ttgate.policy")]
    assert OPERATIONS, "no operations module found: the check would pass vacuously"


def test_the_check_knows_an_upward_import_when_it_sees_one(tmp_path: Path) -> None:
    rule = tmp_path / "rule.py"
    rule.write_text("from ttgate.gate.hcl.loader import load_tree\n", encoding="utf-8")
    assert "ttgate.gate.hcl.loader" in imported_modules(rule, "ttgate.gate.rules.rule")
    assert part_of("ttgate.gate.hcl.loader")[0] >= part_of("ttgate.gate.rules.rule")[0]


# Every import counts, at the top, inside a function or under TYPE_CHECKING: a module that needs
# another only for its types still cannot be read, checked or moved without it, and TYPE_CHECKING is
# where cycles hide (instances named the loader's StackBuilder there). A package's __init__ counts
# only when imported from (`from ttgate.gate.reporters import Report`), not for its submodules.
MODULES = {module_name(path): path for path in SOURCES}


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Each module -> the modules among ``modules`` it imports (itself left out)."""
    return {
        module: {name for name in imported_modules(path, module) if name in modules and name != module}
        for module, path in modules.items()
    }


def find_cycle(graph: Mapping[str, Collection[str]]) -> list[str] | None:
    """One import cycle, as the modules along it with the first again at the end; None when there is none."""
    finished: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in finished:
            return None
        path.append(module)
        for imported in sorted(graph.get(module, ())):
            cycle = visit(imported)
            if cycle is not None:
                return cycle
        path.pop()
        finished.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle is not None:
            return cycle
    return None


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph(MODULES))
    assert cycle is None, "modules import each other: " + " -> ".join(cycle or [])


def test_the_check_finds_a_cycle_it_is_given(tmp_path: Path) -> None:
    files = {
        "ttgate.gate.hcl.instances": "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ttgate.gate.hcl.loader import StackBuilder\n",
        "ttgate.gate.hcl.loader": "def load() -> None:\n    from ttgate.gate.hcl.parse import Parser\n",
        "ttgate.gate.hcl.parse": "from ttgate.gate.hcl import instances\n",
        "ttgate.gate.rules": "from ttgate.gate.hcl.loader import load\n",
    }
    modules = {}
    for module, text in files.items():
        modules[module] = tmp_path / f"{module}.py"
        modules[module].write_text(text, encoding="utf-8")
    assert find_cycle(import_graph(modules)) == [
        "ttgate.gate.hcl.instances",
        "ttgate.gate.hcl.loader",
        "ttgate.gate.hcl.parse",
        "ttgate.gate.hcl.instances",
    ]
    modules["ttgate.gate.hcl.parse"].write_text("import json\n", encoding="utf-8")
    assert find_cycle(import_graph(modules)) is None
