"""Time ``ttgate check --changed-from`` on a one-stack change in a generated monorepo, warm.

Writes a tree with ``make_monorepo.py`` (N = 667 root stacks: 4,000 .tf/.tfvars files), commits it in
a new git repository, warms the parse cache with one full run, changes one stack (a comment appended
to a 30_app root's main.tf, a stack no other reads) and reports, as a markdown table, the median wall
time of:

- ``full``: ``ttgate check TREE`` (every stack), warm;
- ``changed``: ``ttgate check TREE --changed-from HEAD``, warm: the selected stack plus every stack of
  its environment (the scope links are searched in), loaded; only the selected stack's findings kept;
- ``stack alone``: ``ttgate check STACK_DIR``, warm: the floor, what loading the one stack costs
  (its cross-stack findings would differ: nothing of its environment is loaded).

    .venv/bin/python benchmarks/bench_changed.py [--stacks 667] [--runs 3] [--out benchmarks/out/changed]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHANGED_STACK = "practice/deploy/svc010/30_app/environments/dev"


def ttgate(tree: Path, cache: Path, *arguments: str) -> tuple[float, dict[str, object]]:
    """One run's wall time and JSON report."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "ttgate", "check", *arguments, "--format", f"json:{report}"]
        start = time.perf_counter()
        process = subprocess.run(
            command,
            cwd=tree,
            env={**os.environ, "TTGATE_CACHE_DIR": str(cache)},
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - start
        if process.returncode not in (0, 1):
            raise SystemExit(f"ttgate exited with {process.returncode}: {process.stderr.strip()}")
        return elapsed, json.loads(report.read_text(encoding="utf-8"))


def git(tree: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *arguments],
        cwd=tree,
        check=True,
        capture_output=True,
    )


def median(tree: Path, cache: Path, runs: int, *arguments: str) -> tuple[float, dict[str, object]]:
    times, report = [], {}
    for _ in range(runs):
        elapsed, report = ttgate(tree, cache, *arguments)
        times.append(elapsed)
    return statistics.median(times), report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stacks", type=int, default=667, help="root stacks to generate (default 667)")
    parser.add_argument("--runs", type=int, default=3, help="repetitions, median reported (default 3)")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "changed", help="where the tree goes")
    args = parser.parse_args(argv)
    tree: Path = args.out
    shutil.rmtree(tree, ignore_errors=True)
    subprocess.run([sys.executable, str(HERE / "make_monorepo.py"), str(args.stacks), str(tree)], check=True)
    files = sum(1 for p in tree.rglob("*") if p.is_file() and p.name.endswith((".tf", ".tfvars")))
    git(tree, "init", "-q")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "generated")
    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(scratch)
        ttgate(tree, cache, ".")  # warms the cache
        full, full_report = median(tree, cache, args.runs, ".")
        with (tree / CHANGED_STACK / "main.tf").open("a", encoding="utf-8") as stream:
            stream.write("\n# changed\n")
        changed, report = median(tree, cache, args.runs, ".", "--changed-from", "HEAD")
        alone, _ = median(tree, cache, args.runs, CHANGED_STACK)
    summary = report["summary"]
    assert isinstance(summary, dict) and isinstance(full_report["summary"], dict)
    print(f"{files} .tf/.tfvars files, {full_report['summary']['stacks']} stacks; ", end="")
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores")
    print(f"note: {summary['notes'][-1]}; files read: {summary['files']}\n")
    print("| run | median wall |")
    print("|---|---:|")
    print(f"| full, warm | {full:.2f} s |")
    print(f"| --changed-from, one stack changed, warm | {changed:.2f} s |")
    print(f"| the stack alone, warm (floor) | {alone:.2f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
