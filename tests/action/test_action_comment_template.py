"""action.yml's comment-template input: the job summary and the comment both come from the repository's
template, run through the action's real steps against the local GitHub fake."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.action.test_action import FakeGitHub, github, run_action, use_this_venv
from ttgate.github.comment import is_own_comment

__all__ = ["github"]  # the fixture, used by name

TEMPLATE = "## {{ kind }}: {{ counts.text }}\n::error::from the template\n"


@pytest.mark.action
def test_the_template_shapes_summary_and_comment(tmp_path: Path, github: FakeGitHub) -> None:
    template = tmp_path / "ttgate.md.j2"
    template.write_text(TEMPLATE, encoding="utf-8")
    inputs = {"path": "examples/failing", "comment-template": str(template)}

    run = run_action(tmp_path, inputs, github.url, use_this_venv())

    assert run.returncode == 1, run.log
    errors = run.outputs["errors"]
    assert run.summary.startswith(f"## summary: {errors} errors, ")
    assert "\\x3a:error::from the template" in run.summary
    [posted] = [r.body["body"] for r in github.requests if r.method == "POST" and r.path != "/graphql"]
    assert is_own_comment(posted, "PR gate/gate/examples/failing")
    assert posted.splitlines()[1].startswith(f"## comment: {errors} errors, ")
    assert not [line for line in run.step("check").stdout.splitlines() if "from the template" in line]
