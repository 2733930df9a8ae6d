"""Issue 18: one-line policies that were exit 3 (raw control bytes, numbers past Python's limits, deep
nesting, YAML tags on values they refuse) and ``extends`` into a symbolic link loop are one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import write_tree
from ttgate.cli import main

STACK = {"s/main.tf": 'provider "aws" {\n  region = "eu-west-1"\n}\n'}


def _check(tmp_path: Path, policy: bytes) -> tuple[int, str]:
    write_tree(tmp_path, STACK)
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / ".ttgate.yml").write_bytes(policy)
    result = CliRunner().invoke(main, ["check", str(tmp_path / "s")], env={"TTGATE_DEBUG": ""})
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (b"project: a\x00b\n", ".ttgate.yml:1: not valid YAML: character U+0000 is not allowed"),
        (b"project: a\x1bb\n", "character U+001B is not allowed"),
        (b"project: a\x7fb\n", "character U+007F is not allowed"),
        (b"project: 1" + b"9" * 5000 + b"\n", ".ttgate.yml:1: project: not a valid int value"),
        (b"project: 1.0e+999999\n", "project: expected a finite number"),
        (b"project: " + b"[" * 3000 + b"\n", "nested more deeply than a policy can be"),
        (b"project: " + b"[" * 100 + b"1" + b"]" * 100 + b"\n", "nested more deeply than a policy can be"),
        (b"project: !!bool x\n", ".ttgate.yml:1: project: not a valid bool value"),
        (b"project: !!timestamp x\n", "project: not a valid timestamp value"),
        (b"project: !!int x\n", "project: not a valid int value"),
        (b"project: !!float x\n", "project: not a valid float value"),
        (b"x: !!timestamp 2001-13-45\n", "x: not a valid timestamp value"),
    ],
)
def test_hostile_one_line_policies_are_one_line_exit_2(tmp_path: Path, policy: bytes, expected: str) -> None:
    code, stderr = _check(tmp_path, policy)
    assert code == 2, stderr
    assert len(stderr.splitlines()) == 1 and stderr.startswith("ttgate: error: "), stderr
    assert expected in stderr


def test_extends_into_a_symbolic_link_loop_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "loop.yml").symlink_to("loop.yml")
    (tmp_path / "a.yml").symlink_to("b.yml")
    (tmp_path / "b.yml").symlink_to("a.yml")
    for target in ("loop.yml", "a.yml"):
        code, stderr = _check(tmp_path, f"extends: {target}\n".encode())
        assert code == 2, stderr
        assert "is a broken symbolic link, or a loop of them" in stderr


def test_extends_into_a_fifo_does_not_wait(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "pipe.yml")
    code, stderr = _check(tmp_path, b"extends: pipe.yml\n")
    assert code == 2 and "is not a regular file" in stderr, stderr
