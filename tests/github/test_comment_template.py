"""`--comment-template` through the real CLI: `ttgate comment --dry-run`, `ttgate comment` against the local
GitHub fake (tests/github/github_server.py), and `ttgate check --format markdown`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.github.github_server import FakeGitHub, serve
from tests.github.test_github_server import BOT, KEY, TOKEN, environment, own
from tests.reports import finding, report
from ttgate.cli import main
from ttgate.gate.reporters.json_report import render as json_report
from ttgate.gate.reporters.markdown import marker

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = """\
## ttgate says {{ counts.text }}
{% for group in groups %}
### {{ group.label }}
{% for f in group.findings %}
- {{ f.rule }} at {{ f.place }}: {{ f.fix }}
{% endfor %}
{% endfor %}
::error::not a command
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    report_file, template_file = tmp_path / "report.json", tmp_path / "comment.md.j2"
    report_file.write_text(json_report(report(finding(), finding(rule="TG202", line=9))))
    template_file.write_text(TEMPLATE)
    return report_file, template_file


def test_dry_run_prints_the_custom_body(files: tuple[Path, Path]) -> None:
    report_file, template_file = files
    args = ["comment", "--report", str(report_file), "--key", "k", "--dry-run"]
    result = CliRunner().invoke(main, [*args, "--comment-template", str(template_file)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        marker("k"),
        "## ttgate says 2 errors",
        "### 20_infra/dev",
        "- TG201 at practice/deploy/20_infra/environments/dev/main.tf:3: "
        "Set visibility_timeout_seconds to at least 60.",
    ]
    assert "\\x3a:error::not a command" in lines and lines[-1].startswith("<!-- ttgate:digest sha256=")


def test_a_broken_template_stops_before_any_request(files: tuple[Path, Path], tmp_path: Path) -> None:
    report_file, template_file = files
    template_file.write_text("line one\n{{ ''.__class__.__mro__ }}\n")
    args = ["comment", "--report", str(report_file), "--repo", "acme/infra", "--pr", "7"]
    result = CliRunner(env={"GITHUB_TOKEN": TOKEN}).invoke(
        main, [*args, "--comment-template", str(template_file)]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"ttgate: error: {template_file}:2: comment template: SecurityError: access to attribute "
        "'__class__' of 'str' object is unsafe.\n"
    )


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(tokens={TOKEN: BOT})) as fake:
        yield fake


@pytest.mark.slow
def test_the_custom_body_is_posted_and_kept_up_to_date(
    tmp_path: Path, github: FakeGitHub, files: tuple[Path, Path]
) -> None:
    report_file, template_file = files
    command = [sys.executable, "-m", "ttgate", "comment", "--report", str(report_file), "--key", KEY]
    command += ["--comment-template", str(template_file)]
    env = environment(tmp_path, github)

    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert first.stdout.startswith("ttgate comment: created "), first.stderr
    [posted] = own(github)
    assert posted.startswith(f"{marker(KEY)}\n## ttgate says 2 errors\n")

    report_file.write_text(json_report(report(finding())))
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert second.stdout.startswith("ttgate comment: updated ")
    [updated] = own(github)
    assert "## ttgate says 1 error\n" in updated and "TG202" not in updated


def test_check_writes_the_summary_with_the_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: tuple[Path, Path]
) -> None:
    _, template_file = files
    template_file.write_text("{{ kind }} of {{ checked.stacks }} stacks: {{ counts.text }}\n")
    monkeypatch.chdir(REPO)
    out = tmp_path / "summary.md"
    formats = ["--format", f"markdown:{out}", "--format", f"json:{tmp_path / 'r.json'}"]
    result = CliRunner().invoke(
        main, ["check", "examples/failing", *formats, "--comment-template", str(template_file)]
    )
    assert result.exit_code == 1, result.output
    summary = json.loads((tmp_path / "r.json").read_text())["summary"]
    assert (
        out.read_text()
        == f"summary of 6 stacks: {summary['errors']} errors, {summary['warnings']} warnings\n"
    )


def test_check_refuses_a_broken_template_before_checking(tmp_path: Path, files: tuple[Path, Path]) -> None:
    _, template_file = files
    template_file.write_text("{% for %}")
    result = CliRunner().invoke(
        main, ["check", str(tmp_path), "--format", "markdown", "--comment-template", str(template_file)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"ttgate: error: {template_file}:1: comment template: ")
    assert result.stderr.count("\n") == 1
