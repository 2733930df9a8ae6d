"""Hostile plans (issue 10): a plan of the wrong shape is one line and exit 2, never exit 3.

The seeded slice here runs the mutations of benchmarks/fuzz_plans.py on a few hundred cases; the
script runs ten thousand, and also on plans from outside the repository when given `--plans DIR`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ttgate.cli import main

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "benchmarks"))

from fuzz_plans import DEFAULT_PLAN_DIRS, fuzz, load_plans  # noqa: E402
from fuzzing import dump_json  # noqa: E402

PLAN = REPO / "tests" / "plans" / "dev" / "20_infra.json"


def _check(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "--plan", f"20_infra/dev={path}", "--format", "json"])
    return result.exit_code, result.output


def _plan() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(PLAN.read_text(encoding="utf-8"))
    return document


def _refused(tmp_path: Path, text: str) -> str:
    path = tmp_path / "dev.json"
    path.write_text(text, encoding="utf-8")
    code, output = _check(path)
    assert code == 2, output
    assert output.startswith(f"ttgate: error: --plan {path}: ") and output.count("\n") == 1, output
    return output


def test_a_wrong_type_names_the_json_path(tmp_path: Path) -> None:
    document = _plan()
    document["resource_changes"][3]["change"]["after_unknown"] = []
    output = _refused(tmp_path, json.dumps(document))
    assert "resource_changes[3].change.after_unknown: expected an object, got a list" in output


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        (("resource_changes", 0, "address"), ["x"], "resource_changes[0].address: expected a string"),
        (("resource_changes", 1, "change"), "x", "resource_changes[1].change: expected an object"),
        (("resource_changes", 2, "change", "actions"), "create", "actions: expected a list"),
        (("planned_values", "root_module", "resources"), {}, "root_module.resources: expected a list"),
        (("configuration", "root_module", "module_calls"), [], "module_calls: expected an object"),
        (("prior_state", "values"), 5, "prior_state.values: expected an object, got a number"),
    ],
)
def test_wrong_types_where_the_loader_reads(
    tmp_path: Path, where: tuple[Any, ...], value: Any, expected: str
) -> None:
    document = _plan()
    parent = document
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    assert expected in _refused(tmp_path, json.dumps(document))


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("__HUGE_INT__", "number 99999999999999999999… (5000 characters) is beyond"),
        ("__HUGE_FLOAT__", "number 1e309 is beyond"),
        ("__NAN__", "number NaN is beyond"),
        ("__DEEP__", "nested more than 200 levels deep"),
    ],
)
def test_absurd_numbers_and_nesting(tmp_path: Path, token: str, expected: str) -> None:
    document = _plan()
    document["planned_values"]["root_module"]["resources"][0]["values"]["visibility_timeout_seconds"] = token
    assert expected in _refused(tmp_path, dump_json(document))


def test_a_lone_surrogate_is_named_and_never_printed(tmp_path: Path) -> None:
    document = _plan()
    document["planned_values"]["root_module"]["resources"][0]["values"]["name"] = "q\ud800"
    output = _refused(tmp_path, json.dumps(document))
    assert "planned_values.root_module.resources[0].values.name: half of a UTF-16 surrogate pair" in output


def test_a_key_with_a_terminal_escape_is_shown_escaped(tmp_path: Path) -> None:
    document = _plan()
    document["configuration"]["root_module"]["module_calls"] = {"\x1b[31m": []}
    output = _refused(tmp_path, json.dumps(document))
    assert "\x1b" not in output and '["\\u001b[31m"]' in output


@pytest.mark.fuzz
def test_seeded_type_mutations_never_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    plans = load_plans(list(DEFAULT_PLAN_DIRS))
    tally = fuzz(plans, cases=150, seed=7, timeout=20, workdir=tmp_path)
    assert not tally.failures, tally.failures[:5]
    assert tally.exit_codes.get(2, 0) > 0 and tally.exit_codes.get(0, 0) + tally.exit_codes.get(1, 0) > 0


@pytest.mark.parametrize("mask", ["sensitive_values", "after_sensitive"])
def test_a_resource_marked_sensitive_as_a_whole_hides_every_value(tmp_path: Path, mask: str) -> None:
    # fuzz_plans.py case 5277 (seed 1): `"sensitive_values": true` on a resource was exit 3.
    document = _plan()
    resource = document["planned_values"]["root_module"]["resources"][0]
    secret = resource["values"]["name"]
    if mask == "sensitive_values":
        resource["sensitive_values"] = True
    else:
        change = next(c for c in document["resource_changes"] if c["address"] == resource["address"])
        change["change"]["after_sensitive"] = True
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    code, output = _check(path)
    assert code in (0, 1), output
    assert secret not in output
