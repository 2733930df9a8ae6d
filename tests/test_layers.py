"""The architecture, checked: every module imports only from its own part or from parts below it.

Reading from the bottom: errors; the model (values, findings, policy...); the loaders and the rules beside
each other (rules never read files, loaders never run rules); the engine that joins them; the reporters;
the clients that touch the network or run git; the operations and the GitHub gate; the commands; the CLI.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"

# (layer, part): a part's modules may import any part of a lower layer, and themselves.
PARTS: list[tuple[int, str]] = [
    (0, "ttgate"),  # the package itself: the version
    (0, "ttgate.errors"),
    (1, "ttgate.gate.values"),  # values and the model refer to each other: one part, two files
    (1, "ttgate.gate.model"),
    (2, "ttgate.gate.findings"),
    (2, "ttgate.gate.links"),
    (3, "ttgate.policy"),
    (3, "ttgate.gate.suppress"),
    (4, "ttgate.gate.hcl"),
    (4, "ttgate.gate.plan"),
    (4, "ttgate.gate.rules"),
    (5, "ttgate.gate.engine"),
    (5, "ttgate.gate.module_calls"),  # the gate's public reading of module calls (rollback)
    (6, "ttgate.gate.reporters"),
    (7, "ttgate.gate.run"),  # beside the engine in spirit, but it ends in the reporters' Report
    (7, "ttgate.integrations"),
    (8, "ttgate.github.pulls"),  # both through the one GitHub client of ttgate.integrations.github
    (8, "ttgate.github.client"),
    (9, "ttgate.operations"),
    (9, "ttgate.github"),
    (10, "ttgate.commands"),
    (11, "ttgate.cli"),
    (12, "ttgate.__main__"),
]
MUTUAL = {"ttgate.gate.values", "ttgate.gate.model"}
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
        same_part = their_part == part or {part, their_part} <= MUTUAL
        if not same_part and their_layer >= layer:
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
