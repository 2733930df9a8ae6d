"""The gate's public answer to the one question the rest of the tool asks about HCL: which modules a
Terraform file calls, and from where.

The rollback needs it to tell which stacks reach a changed shared module. It asks here rather than
reading the gate's parser and syntax tree itself: those are the gate's to change, and operations import
nothing from the gate but the policy and its public entry points (``ttgate.gate.run`` and this module;
tests/test_layers.py holds them to it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModuleCall:
    """A ``module`` block's ``source``: its value when it is a literal, else None, and how it is written."""

    line: int
    source: str | None
    written: str


def module_calls(text: str) -> list[ModuleCall] | None:
    """The ``module`` blocks of a .tf file that set ``source``, in order; None when it cannot be parsed."""
    # Imported here: the parser (python-hcl2, lark) loads only when a rollback has module calls to follow.
    from ttgate.gate.hcl.parse import parse_text
    from ttgate.gate.hcl.syntax import Lit, Template

    parsed = parse_text(text)
    if parsed.body is None:
        return None
    calls: list[ModuleCall] = []
    for block in parsed.body.blocks_of("module"):
        attribute = block.body.attributes.get("source")
        if attribute is None:
            continue
        expr = attribute.expr
        source: str | None = None
        if isinstance(expr, Lit) and isinstance(expr.value, str):
            source = expr.value
        elif isinstance(expr, Template) and all(isinstance(part, str) for part in expr.parts):
            source = "".join(str(part) for part in expr.parts)
        calls.append(ModuleCall(line=attribute.line, source=source, written=attribute.text))
    return calls


__all__ = ["ModuleCall", "module_calls"]
