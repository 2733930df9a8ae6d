"""A plan past the size bound is a TG000 finding, read no further; the run goes on and every format renders.

A 555 MB plan used to reach 7.2 GB and end in MemoryError (exit 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ttgate.cli import main
from ttgate.gate.plan import read
from ttgate.gate.reporters import FORMATS

PLANS = Path(__file__).resolve().parents[2] / "plans" / "dev"


def _big_plan(path: Path, mebibytes: float) -> None:
    """A valid plan of about ``mebibytes``: one resource with a long tag."""
    document = json.loads((PLANS / "20_infra.json").read_text(encoding="utf-8"))
    padding = "x" * int(mebibytes * (1 << 20))
    document["planned_values"]["root_module"]["resources"][0]["values"]["tags"] = {"Pad": padding}
    path.write_text(json.dumps(document), encoding="utf-8")


def _check(tmp_path: Path, *arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *arguments])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_a_plan_past_the_bound_is_one_finding_and_the_other_plans_are_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".ttgate.yml").write_text("rules:\n  TG000: {plan_mebibytes: 1}\n", encoding="utf-8")
    _big_plan(tmp_path / "big.json", 1.5)
    outputs = [item for name in FORMATS for item in ("--format", f"{name}:report.{name}")]
    code, output = _check(
        tmp_path,
        "--plan",
        "20_infra/dev=big.json",
        "--plan",
        f"30_app/dev={PLANS / '30_app.json'}",
        "--fail-on",
        "error",
        *outputs,
    )
    assert code == 1, output
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    tg000 = [finding for finding in report["findings"] if finding["rule"] == "TG000"]
    assert len(tg000) == 1 and "larger than the 1 MiB ttgate reads in one plan" in tg000[0]["message"]
    assert "plan_mebibytes: 2" in tg000[0]["fix"]
    assert any(finding["rule"] != "TG000" for finding in report["findings"])  # 30_app/dev was checked
    for name in FORMATS:
        assert "1 MiB ttgate reads" in (tmp_path / f"report.{name}").read_text(encoding="utf-8")


def test_the_default_bound_reads_no_more_than_it_allows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "plan.json"
    _big_plan(path, 0.1)
    monkeypatch.setattr(read.Path, "stat", lambda self: type("S", (), {"st_size": 0})())  # a size that lies
    with pytest.raises(read.PlanTooLarge):
        read.read_plan(path, "plan.json", max_mebibytes=0)


def test_a_plan_the_memory_cannot_hold_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exhausted(text: str) -> object:
        raise MemoryError

    monkeypatch.setattr(read, "_loads", exhausted)
    code, output = _check(tmp_path, "--plan", f"20_infra/dev={PLANS / '20_infra.json'}")
    assert code == 2 and "not enough memory to read this plan" in output


@pytest.mark.parametrize(
    ("setting", "says"), [("plan_mebibytes: 0", "at least 1"), ("plan_mebibytes: 4096", "at most")]
)
def test_the_plan_bound_has_a_floor_and_a_ceiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".ttgate.yml").write_text(f"rules:\n  TG000: {{{setting}}}\n", encoding="utf-8")
    code, output = _check(tmp_path, "--plan", f"20_infra/dev={PLANS / '20_infra.json'}")
    assert code == 2 and "plan_mebibytes" in output and says in output
