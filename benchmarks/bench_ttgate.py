"""Time ``ttgate check TREE`` cold and warm, side by side with checkov, as CPU time of the process tree.

For each TREE and each of --runs repetitions: a cold run (``TTGATE_CACHE_DIR`` a new directory that does
not exist yet, so no parse cache and no per-user grammar: a fresh CI runner), then a warm run on the same
cache; with --checkov, one checkov run (``checkov -d TREE --framework terraform``). Each process is timed
as user + system CPU of it and every child it waited for (ttgate's parsing workers included), so a
machine shared with others still gives comparable numbers; wall time is reported beside it, and the load
average before and after. --cpus pins every process (``taskset -c``): one core for the comparison with
checkov, ``0,1`` for the two-core wall-time targets. Medians of --runs are printed as a markdown table.

Run it with the Python of the environment where ttgate is installed; checkov lives in its own venv
(see bench_checkov.py), never in ttgate's:

    .venv/bin/python benchmarks/bench_ttgate.py TREE1 TREE2 --runs 3 --cpus 1 \\
        --checkov benchmarks/out/checkov-venv/bin/checkov
    .venv/bin/python benchmarks/bench_ttgate.py benchmarks/out/tree4000 --runs 3 --cpus 0,1

ttgate's exit code 1 ("findings found") and checkov's 1 ("failed checks") are expected; 2 is an error.
``PYTHONDONTWRITEBYTECODE`` is cleared and one untimed run comes first, so ttgate's modules are imported
from bytecode as in an installed package.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HCL_SUFFIXES = (".tf", ".tfvars")


@dataclass(frozen=True)
class Timing:
    cpu: float  # user + system seconds of the process and the children it waited for
    wall: float


def count_files(tree: Path) -> int:
    """Count the .tf and .tfvars files (``*.auto.tfvars`` included) under ``tree``."""
    return sum(1 for p in tree.rglob("*") if p.is_file() and p.name.endswith(HCL_SUFFIXES))


def timed(cmd: list[str], env: dict[str, str], cpus: str | None) -> Timing:
    """Run ``cmd`` (pinned to ``cpus`` when given); its CPU time, children included, and wall time."""
    if cpus is not None:
        cmd = ["taskset", "-c", cpus, *cmd]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"exit code {proc.returncode}: {' '.join(cmd)}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(cpu, wall)


def ttgate_env(cache_dir: Path) -> dict[str, str]:
    env = {**os.environ, "TTGATE_CACHE_DIR": str(cache_dir)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def ttgate_cmd(tree: Path) -> list[str]:
    return [sys.executable, "-m", "ttgate", "check", str(tree), "--format", "json:/dev/null"]


def checkov_cmd(checkov: str, tree: Path) -> list[str]:
    return [checkov, "-d", str(tree), "--framework", "terraform", "--quiet", "--compact", "-o", "json"]


def median(timings: list[Timing], field: str) -> float:
    return statistics.median(getattr(timing, field) for timing in timings)


def load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def measure(tree: Path, runs: int, cpus: str | None, checkov: str | None) -> dict[str, list[Timing]]:
    results: dict[str, list[Timing]] = {"cold": [], "warm": [], "checkov": []}
    with tempfile.TemporaryDirectory(prefix="ttgate-bench-") as scratch:
        timed(ttgate_cmd(tree), ttgate_env(Path(scratch) / "untimed"), cpus)  # bytecode, disk cache
        for run in range(runs):
            cache = Path(scratch) / f"cache{run}"  # does not exist yet: ttgate creates it
            results["cold"].append(timed(ttgate_cmd(tree), ttgate_env(cache), cpus))
            results["warm"].append(timed(ttgate_cmd(tree), ttgate_env(cache), cpus))
            shutil.rmtree(cache, ignore_errors=True)
            line = f"{tree.name} run {run + 1}/{runs}: cold {results['cold'][-1].cpu:.2f} s CPU, "
            line += f"warm {results['warm'][-1].cpu:.2f} s CPU"
            if checkov is not None:
                env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}  # no network look-ups of guideline mappings
                results["checkov"].append(timed(checkov_cmd(checkov, tree), env, cpus))
                line += f", checkov {results['checkov'][-1].cpu:.2f} s CPU"
            print(f"{line} (load {load()})", file=sys.stderr)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time ttgate check cold and warm (and checkov) on trees.")
    parser.add_argument("trees", type=Path, nargs="+", metavar="TREE")
    parser.add_argument("--runs", type=int, default=3, help="repetitions (median reported); default 3")
    parser.add_argument("--cpus", help="pin every process to these cores (taskset -c), e.g. 1 or 0,1")
    parser.add_argument("--checkov", help="the checkov executable (its own venv); compared when given")
    args = parser.parse_args(argv)
    for tree in args.trees:
        if not tree.is_dir():
            parser.error(f"{tree} is not a directory")
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    if args.cpus is not None and shutil.which("taskset") is None:
        parser.error("--cpus needs taskset (util-linux)")

    load_before = load()
    rows = []
    for tree in args.trees:
        rows.append((tree, count_files(tree), measure(tree, args.runs, args.cpus, args.checkov)))
    pinned = f"pinned to CPU(s) {args.cpus}" if args.cpus else "not pinned"
    print(f"ttgate check, median of {args.runs} run(s), {pinned}, {os.cpu_count()} CPU(s) on the machine, ")
    print(f"Python {platform.python_version()}; load average {load_before} before, {load()} after.")
    print("CPU = user + system seconds of the whole process tree; wall in brackets.")
    print()
    header = "| tree | files | ttgate cold, nothing cached | ttgate warm |"
    rule = "|---|---:|---:|---:|"
    if args.checkov:
        header += " checkov | cold ratio | warm ratio |"
        rule += "---:|---:|---:|"
    print(header)
    print(rule)
    for tree, files, results in rows:
        cold, warm = results["cold"], results["warm"]
        cells = [tree.name, str(files)]
        cells += [f"{median(t, 'cpu'):.2f} s ({median(t, 'wall'):.2f} s)" for t in (cold, warm)]
        if args.checkov:
            checkov = results["checkov"]
            cells.append(f"{median(checkov, 'cpu'):.1f} s ({median(checkov, 'wall'):.1f} s)")
            cells.append(f"{median(checkov, 'cpu') / median(cold, 'cpu'):.1f}×")
            cells.append(f"{median(checkov, 'cpu') / median(warm, 'cpu'):.1f}×")
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
