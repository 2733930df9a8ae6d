"""The GitHub action's overhead beyond the bare check, as on a hosted runner: cold and warm.

Runs the action's own steps (action.yml) with tests/action/test_action.py's runner, against the local
stand-in for the GitHub API, on examples/failing (9 errors: the comment is posted). Every run starts as a
hosted runner does: a new RUNNER_TEMP and an empty HOME (no pip cache, no user parse cache).

- cold: the cache holds nothing: the virtualenv is made from requirements/action.lock (the locked
  wheels downloaded from whatever index pip is configured with, hash-checked, installed) and every file
  is parsed.
- warm: the cache steps restore the virtualenv (verified against its manifest) and the parse cache that
  an earlier run saved, as on a pull request after one run on the default branch. The restore here is a
  directory copy; on GitHub it is a tarball download (about 1 s for the virtualenv, not measured).

The bare check is `ttgate check examples/failing` with the same parse cache state (cold: empty; warm:
filled), run by the same Python; the overhead is the action's total minus that, in wall time and in
CPU time (user + system of the processes; on a busy machine the wall time says more about the neighbours).

    python benchmarks/bench_action.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.action.test_action import (  # noqa: E402
    FakeGitHub,
    Services,
    run_action,
    serve_fake_github,
)

EXAMPLE = "examples/failing"


def bare_check(cache: Path, home: Path) -> tuple[float, float]:
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "PYTHONPATH": str(REPO / "src")}
    env["TTGATE_CACHE_DIR"] = str(cache)
    started, cpu = time.perf_counter(), children_cpu()
    subprocess.run(
        [sys.executable, "-m", "ttgate", "check", EXAMPLE, "--format", f"json:{home / 'bare.json'}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - started, children_cpu() - cpu


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_action_run(workdir: Path, github: FakeGitHub, services: Services) -> dict[str, float]:
    """A hosted runner's run: new RUNNER_TEMP, empty HOME; only ``services`` (the cache) carries over."""
    run_dir = Path(tempfile.mkdtemp(dir=workdir, prefix="run-"))
    home = run_dir / "home"
    home.mkdir()
    github.comments.clear()
    started = time.perf_counter()
    run = run_action(
        run_dir,
        {"path": EXAMPLE},
        github.url,
        {"HOME": str(home), "PIP_NO_CACHE_DIR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        services=services,
    )
    total = time.perf_counter() - started
    assert run.returncode == 1 and run.step("comment").returncode == 0 and github.comments, run.log
    times = {step.id or "decide": step.seconds for step in run.steps}
    cpu = {f"{step.id or 'decide'} cpu": step.cpu for step in run.steps}
    return times | {"total": total} | cpu | {"total cpu": sum(step.cpu for step in run.steps)}


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
                workdir = Path(temp)
                home = workdir / "home"
                home.mkdir()
                cache = workdir / "bare-cache"
                bare = {"cold": bare_check(cache, home)}  # empty parse cache
                bare["warm"] = bare_check(cache, home)  # the cache the first one filled
                services = Services(root=workdir)
                for kind in ("cold", "warm"):
                    run = one_action_run(workdir, github, services)
                    wall, cpu = bare[kind]
                    results[kind].append(
                        run
                        | {"bare check": wall, "overhead": run["total"] - wall}
                        | {"bare check cpu": cpu, "overhead cpu": run["total cpu"] - cpu}
                    )
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {runs} runs, median seconds")
    for kind, samples in results.items():
        columns = ", ".join(
            f"{name} {statistics.median(sample[name] for sample in samples):.2f}" for name in samples[0]
        )
        print(f"{kind}: {columns}")


if __name__ == "__main__":
    main()
