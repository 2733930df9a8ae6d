"""The GitHub action's overhead: install + check + comment, cold (no virtualenv) and warm (restored).

Runs the action's own steps (action.yml) with tests/action/test_action.py's runner, against the local stand-in
for the GitHub API, on examples/failing. Cold: an empty RUNNER_TEMP and no pip cache, so the locked
dependencies are downloaded (from whatever index pip is configured with) and installed with hash checks.
Warm: the same RUNNER_TEMP again, as after actions/cache restored the virtualenv; the restore itself (a
tarball download on GitHub) is not measured here.

    python benchmarks/bench_action.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.action.test_action import FakeGitHub, run_action, serve_fake_github  # noqa: E402


def one_run(workdir: Path, github: FakeGitHub) -> dict[str, float]:
    github.comments.clear()
    started = time.perf_counter()
    run = run_action(workdir, {"path": "examples/failing"}, github.url, {"PIP_NO_CACHE_DIR": "1"})
    total = time.perf_counter() - started
    assert run.step("comment").returncode == 0 and github.comments, run.log
    times = {step.id or "decide": step.seconds for step in run.steps}
    return times | {"total": total}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    results: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
    with serve_fake_github() as github:
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as temp:
                results["cold"].append(one_run(Path(temp), github))
                results["warm"].append(one_run(Path(temp), github))
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {runs} runs, median seconds")
    for kind, samples in results.items():
        columns = ", ".join(
            f"{name} {statistics.median(sample[name] for sample in samples):.2f}" for name in samples[0]
        )
        print(f"{kind}: {columns}")


if __name__ == "__main__":
    main()
