"""Each layout of docs/layouts.md as an example tree (tests/data/layouts/<layout>/): `ttgate stacks`
prints the stacks expected (stacks.json; stacks.txt where present), and a layer rule runs on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import findings
from ttgate.cli import main

LAYOUTS = Path(__file__).resolve().parents[1] / "data" / "layouts"


def stacks_output(layout: str, monkeypatch: pytest.MonkeyPatch, *options: str) -> str:
    monkeypatch.chdir(LAYOUTS / layout)
    result = CliRunner().invoke(main, ["stacks", "--no-cache", *options])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    "layout", ["runbook", "var_files", "backend_config", "workspaces", "envs", "no_env", "terragrunt"]
)
def test_stacks_json_is_the_model_expected(layout: str, monkeypatch: pytest.MonkeyPatch) -> None:
    output = stacks_output(layout, monkeypatch, "--format", "json")

    expected = json.loads((LAYOUTS / layout / "stacks.json").read_text(encoding="utf-8"))
    assert json.loads(output) == expected
    assert expected["version"] == 1


@pytest.mark.parametrize("layout", ["var_files", "backend_config", "terragrunt"])
def test_stacks_text_names_var_files_and_edges(layout: str, monkeypatch: pytest.MonkeyPatch) -> None:
    output = stacks_output(layout, monkeypatch)

    assert output == (LAYOUTS / layout / "stacks.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("layout", "rule", "stacks"),
    [
        ("runbook", "TG102", {"deploy/20_infra/environments/dev"}),
        # api's key is layer 20_infra's: api is reported, not queues (20_infra, whose key it is)
        ("var_files", "TG102", {"components/api@dev", "components/api@prod"}),
        # compute's prod backend.conf was copied from network's: core's key
        ("backend_config", "TG102", {"layers/compute@prod"}),
        ("workspaces", "TG101", {"stacks/10_core@dev", "stacks/10_core@prod"}),
        ("envs", "TG102", {"envs/prod"}),
        ("no_env", "TG102", {"global/edge"}),
        # root.hcl's key is path_relative_to_include(): no layer's key, in every unit
        (
            "terragrunt",
            "TG102",
            {"live/dev/10_core/vpc", "live/dev/20_infra/queues", "live/dev/30_app/worker"},
        ),
    ],
)
def test_a_layer_rule_runs_on_each_layout(layout: str, rule: str, stacks: set[str]) -> None:
    found = findings(rule, LAYOUTS / layout)

    assert {f.stack.name for f in found if f.stack is not None} == stacks
