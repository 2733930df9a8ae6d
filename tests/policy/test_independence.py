"""The policy is the whole tool's: it imports nothing from the gate, the operations, GitHub or the commands,
so each of them may import it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.test_layers import imported_modules, module_name

POLICY_PACKAGE = Path(__file__).resolve().parents[2] / "src" / "ttgate" / "policy"
ALLOWED = ("ttgate.errors", "ttgate.policy")


def test_no_policy_module_imports_from_the_rest_of_ttgate() -> None:
    outside = {
        f"{module_name(path)} imports {imported}"
        for path in sorted(POLICY_PACKAGE.rglob("*.py"))
        for imported in imported_modules(path, module_name(path))
        if not imported.startswith(ALLOWED)
    }
    assert not outside, sorted(outside)


def test_importing_the_policy_loads_no_other_part_of_ttgate() -> None:
    """The same at run time: ttgate.gate's package __init__ would pass the static check above."""
    script = (
        "import sys, ttgate.policy\n"
        "print('\\n'.join(sorted(name for name in sys.modules if name.startswith('ttgate'))))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout.split()

    assert "ttgate.policy" in loaded
    assert [name for name in loaded if name != "ttgate" and not name.startswith(ALLOWED)] == []
