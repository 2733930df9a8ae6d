"""Hostile policies (issue 10): aliases, control characters, unknown placeholders and parameters out of
range are one line naming file:line and exit 2; never exit 3, a hang or a silent pass."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ttgate.cli import main

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from fuzz_policy import BOMB, PLAN, fuzz  # noqa: E402


def _check(tmp_path: Path, text: str) -> tuple[int, str]:
    policy = tmp_path / "policy.yml"
    policy.write_text("extends: runbook\n" + text, encoding="utf-8")
    arguments = ["check", "--plan", f"20_infra/dev={PLAN}", "--policy", str(policy)]
    result = CliRunner().invoke(main, arguments, env={"TTGATE_DEBUG": ""})
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BOMB, "policy.yml:3:8: not valid YAML: aliases (*a) are not accepted"),
        ('project: "tt\\0x"\n', "policy.yml:2: project: a control character"),
        ('project: "tt\\ex"\n', "policy.yml:2: project: a control character"),
        ("rules:\n  TG401:\n    patterns:\n      lambda: '{bogus}'\n", "unknown placeholder {bogus}"),
        ("rules:\n  TG401:\n    patterns:\n      nonsense: '{project}'\n", 'unknown pattern "nonsense"'),
        ("rules:\n  TG401:\n    patterns:\n      alarm: '{name}-alarm'\n", "unknown placeholder {name}"),
        ("rules:\n  TG401:\n    patterns:\n      lambda: null\n", 'missing pattern "lambda"'),
        ("rules:\n  TG301:\n    allowed_days: []\n", "allowed_days: expected at least one value"),
        ("rules:\n  TG301:\n    allowed_days: [7, -3]\n", "allowed_days[1]: expected at least 1, got -3"),
        ("rules:\n  TG202:\n    max_receive_count: -3\n", "max_receive_count: expected at least 1"),
        ("rules:\n  TG204:\n    threshold: -1\n", "threshold: expected at least 0"),
        ("rules:\n  TG201:\n    multiplier: .inf\n", "multiplier: expected a finite number"),
        ("state_bucket: '{project}-{nope}'\n", "unknown placeholder {nope}"),
    ],
)
def test_hostile_policy_values_are_one_line_exit_2(tmp_path: Path, text: str, expected: str) -> None:
    code, stderr = _check(tmp_path, text)
    assert code == 2, stderr
    assert len(stderr.splitlines()) == 1 and stderr.startswith("ttgate: error: "), stderr
    assert expected in stderr


@pytest.mark.fuzz
def test_seeded_policy_mutations_never_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    tally = fuzz(cases=80, seed=3, timeout=20, workdir=tmp_path)
    assert not tally.failures, tally.failures[:5]
