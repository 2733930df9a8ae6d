"""Suppressions: `# ttgate:ignore TGnnn reason` on the line or above the block; a reason is required."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.helpers import check, stack, write_tree
from ttgate.cli import main

INFRA_DEV = "practice/deploy/20_infra/environments/dev"


def log_group(before_block: str = "", on_line: str = "", days: str = "10") -> str:
    return f"""
{before_block}
resource "aws_cloudwatch_log_group" "worker" {{
  name              = "/aws/lambda/tt-practice-dev-worker"
  retention_in_days = {days} {on_line}
}}
"""


def tg301(root: Path) -> list:
    return check(root, "TG301")


def test_a_suppression_on_the_line_marks_the_finding_and_keeps_it(tmp_path: Path) -> None:
    write_tree(
        tmp_path, stack("20_infra", "dev", main=log_group(on_line="# ttgate:ignore TG301 legacy group"))
    )
    [finding] = tg301(tmp_path)
    assert finding.suppressed
    assert finding.suppression_reason == "legacy group"


def test_a_suppression_above_the_block_covers_findings_inside_it(tmp_path: Path) -> None:
    above = "// ttgate:ignore TG301 - kept 10 days by agreement with the auditors"
    write_tree(tmp_path, stack("20_infra", "dev", main=log_group(before_block=above)))
    [finding] = tg301(tmp_path)
    assert finding.suppressed
    assert finding.suppression_reason == "kept 10 days by agreement with the auditors"


def test_a_suppression_without_a_reason_does_not_apply_and_says_so(tmp_path: Path) -> None:
    write_tree(tmp_path, stack("20_infra", "dev", main=log_group(on_line="# ttgate:ignore TG301")))
    [finding] = tg301(tmp_path)
    assert not finding.suppressed
    assert any("has no reason, so it does not apply" in related.note for related in finding.related)


def test_a_suppression_names_the_rules_it_silences(tmp_path: Path) -> None:
    write_tree(tmp_path, stack("20_infra", "dev", main=log_group(on_line="# ttgate:ignore TG201 wrong rule")))
    assert not tg301(tmp_path)[0].suppressed
    write_tree(
        tmp_path, stack("20_infra", "dev", main=log_group(on_line="# ttgate:ignore TG201, TG301 both"))
    )
    assert tg301(tmp_path)[0].suppressed


def test_a_suppression_elsewhere_in_the_file_does_nothing(tmp_path: Path) -> None:
    main_tf = log_group() + "\n\n# ttgate:ignore TG301 this is about nothing\nlocals {}\n"
    write_tree(tmp_path, stack("20_infra", "dev", main=main_tf))
    assert not tg301(tmp_path)[0].suppressed


def test_a_malformed_suppression_is_reported_as_a_note(tmp_path: Path) -> None:
    write_tree(tmp_path, stack("20_infra", "dev", main=log_group(on_line="# ttgate:ignore all of it")))
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--root", str(tmp_path), "--format", "json"])
    report = json.loads(result.output)
    assert any("cannot read the suppression" in note for note in report["summary"]["notes"])
    assert not any(f["suppressed"] for f in report["findings"])


def test_suppressing_a_rule_silences_its_unverifiable_notice_too(tmp_path: Path) -> None:
    unknown = log_group(days="var.days", on_line="# ttgate:ignore TG301 set by the platform team")
    write_tree(tmp_path, stack("20_infra", "dev", main=unknown, variables__tf='variable "days" {}\n'))
    [notice] = check(tmp_path, "TG001")
    assert notice.for_rule == "TG301"
    assert notice.suppressed


def test_suppressed_findings_stay_in_the_json_report_and_count_apart(tmp_path: Path) -> None:
    write_tree(
        tmp_path, stack("20_infra", "dev", main=log_group(on_line="# ttgate:ignore TG301 legacy group"))
    )
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--root", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0  # the only error is suppressed
    report = json.loads(result.output)
    assert report["summary"]["errors"] == 0
    assert report["summary"]["suppressed"] == 1
    [finding] = [f for f in report["findings"] if f["rule"] == "TG301"]
    assert finding["suppressed"] is True
    assert finding["suppression_reason"] == "legacy group"
    assert (finding["file"], finding["line"]) == (f"{INFRA_DEV}/main.tf", 3)
    text = CliRunner().invoke(main, ["check", str(tmp_path), "--root", str(tmp_path)]).output
    assert text.splitlines()[-1].endswith("(1 suppressed).")
