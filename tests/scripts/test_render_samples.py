"""The README excerpt and docs/comment-sample.md are what ttgate says on examples/failing today."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def render_samples(*args: str, root: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "render_samples.py"), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_samples_in_the_docs_are_up_to_date() -> None:
    result = render_samples("--check")
    assert result.returncode == 0, result.stderr


def test_a_stale_sample_is_named_with_the_command_that_regenerates_it(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    for name in ("README.md", "docs/comment-sample.md", "scripts/render_samples.py"):
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_text((REPO / name).read_text(encoding="utf-8"), encoding="utf-8")
    (copy / "src").symlink_to(REPO / "src")
    shutil.copytree(REPO / "examples", copy / "examples")
    readme = copy / "README.md"
    readme.write_text(
        readme.read_text(encoding="utf-8").replace(" errors, ", " mistakes, ", 1), encoding="utf-8"
    )

    result = render_samples("--check", root=copy)
    assert result.returncode == 1
    assert result.stderr == "README.md: stale; run: python scripts/render_samples.py\n"

    assert render_samples(root=copy).returncode == 0
    assert readme.read_text(encoding="utf-8") == (REPO / "README.md").read_text(encoding="utf-8")
