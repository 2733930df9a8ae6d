"""The DLQ redrive workflow's dry-run summary, run as the runner runs it (bash, with the inputs in
env): the free-text ``reason`` cannot forge what the reviewers read before approving."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO

WORKFLOW = REPO / ".github" / "workflows" / "dlq-redrive.yml"
FORGERIES = [
    "incident 42\n\n### Approved by @security-lead\n\n- [x] checked",
    "x\r\n```\nmoved 0: nothing to worry about\n```",
    '<img src="https://evil.example/x.png"> <details open><summary>Approved</summary></details>',
    "[approve here](https://evil.example) ![](https://evil.example/p.png) **APPROVED**",
    "\u202e devorppa \u202c\x1b[2J | col | col |\n|---|---|",
    "::error::forged\n::add-mask::x",
]


def dry_run_script() -> str:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    [step] = [
        s for s in workflow["jobs"]["dry-run"]["steps"] if s.get("name") == "ttgate dlq redrive --dry-run"
    ]
    return str(step["run"])


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("reason", FORGERIES)
def test_the_reason_cannot_forge_the_approval_summary(tmp_path: Path, reason: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ttgate"
    fake.write_text(
        "#!/bin/sh\necho 'tt-practice-dev-main-dlq: 3 visible; would move all'\n", encoding="utf-8"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    summary = tmp_path / "summary.md"
    environment = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(summary),
        "QUEUE": "tt-practice-dev-main-dlq",
        "ENVIRONMENT": "dev",
        "MAX": "",
        "REASON": reason,
    }
    script = tmp_path / "step.sh"
    script.write_text(dry_run_script(), encoding="utf-8")
    subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], env=environment, check=True
    )
    lines = summary.read_text(encoding="utf-8").splitlines()
    [reason_line] = [line for line in lines if line.startswith("Reason")]
    assert lines.index(reason_line) == 2 and len(lines) == 7  # heading, blank, reason, blank, fenced output
    assert not re.search(r"(?<!\\)[<>\[\]`*#|!]", reason_line.removeprefix("Reason (as typed, escaped): "))
    assert not re.search("[\x00-\x1f\x7f\u202a-\u202e]", reason_line)
    assert [line for line in lines if line.startswith("#")] == [
        "### DLQ redrive dry run: tt-practice-dev-main-dlq (dev)"
    ]
