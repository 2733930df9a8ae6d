"""A policy larger than any real one is refused before its YAML is read (21 MB took 218 s and 6.4 GB)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ttgate.cli import main
from ttgate.policy import yaml_file

PLAN = Path(__file__).resolve().parents[1] / "plans" / "dev" / "20_infra.json"


def _check(tmp_path: Path, text: str) -> tuple[int, str]:
    policy = tmp_path / "policy.yml"
    policy.write_text(text, encoding="utf-8")
    arguments = ["check", "--plan", f"20_infra/dev={PLAN}", "--policy", str(policy)]
    result = CliRunner().invoke(main, arguments)
    return result.exit_code, result.output


def test_a_policy_past_the_bound_is_one_line_and_no_yaml_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_: object) -> object:
        raise AssertionError("the YAML of a policy past the bound was read")

    monkeypatch.setattr(yaml_file, "_no_alias_loader", never)
    keys = "".join(f"k{index}: v{index}\n" for index in range(yaml_file.MAX_POLICY_CHARACTERS // 8))
    code, output = _check(tmp_path, "extends: runbook\n" + keys)
    [line] = output.strip().splitlines()
    assert code == 2 and "policy.yml: larger than a policy can be" in line


def test_a_policy_inside_the_bound_is_read(tmp_path: Path) -> None:
    comment = "# " + "x" * (yaml_file.MAX_POLICY_CHARACTERS - 100) + "\n"
    code, output = _check(tmp_path, "extends: runbook\n" + comment)
    assert code in (0, 1), output
