"""The rule catalog. IDs are public API: users configure and suppress rules by them.

Each rule is a module ``tgNNN_<name>.py`` in this package defining ``RULE``; they are found by name,
so adding a rule is adding its module (and its doc, which lives in the rule).
"""

from __future__ import annotations

import importlib
import pkgutil

from ttgate.gate.rules.base import Rule


def _discover() -> dict[str, Rule]:
    found: dict[str, Rule] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda module: module.name):
        if info.name.startswith("tg") and info.name[2:5].isdigit():
            rule: Rule = importlib.import_module(f"{__name__}.{info.name}").RULE
            found[rule.id] = rule
    return dict(sorted(found.items()))


RULES: dict[str, Rule] = _discover()
