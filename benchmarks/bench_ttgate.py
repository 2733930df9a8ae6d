"""Time ``ttgate check TREE`` cold (empty cache) and warm (same cache, second run).

Each of --runs repetitions uses a fresh, empty cache directory (``TTGATE_CACHE_DIR``): the first
invocation is the cold run, the second, with the same cache, the warm run. The script reports the
median wall time of each, the number of .tf/.tfvars files under TREE and the cold/warm ratio, as a
markdown table on stdout. ttgate's exit code 1 ("findings found") is expected; 2 is an error.

Run it with the Python of the environment where ttgate is installed:

    .venv/bin/python benchmarks/bench_ttgate.py benchmarks/out/tree1000 --runs 3
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HCL_SUFFIXES = (".tf", ".tfvars")


def count_files(tree: Path) -> int:
    """Count the .tf and .tfvars files (``*.auto.tfvars`` included) under ``tree``."""
    return sum(1 for p in tree.rglob("*") if p.is_file() and p.name.endswith(HCL_SUFFIXES))


def run_once(tree: Path, cache_dir: Path) -> float:
    """Run ttgate once against ``tree`` with ``cache_dir`` as its cache; return the wall time."""
    cmd = [sys.executable, "-m", "ttgate", "check", str(tree), "--format", "json:/dev/null"]
    env = {**os.environ, "TTGATE_CACHE_DIR": str(cache_dir)}
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"ttgate exited with {proc.returncode}: {' '.join(cmd)}")
    return elapsed


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time ttgate check cold and warm on a tree.")
    parser.add_argument("tree", type=Path, metavar="TREE")
    parser.add_argument("--runs", type=int, default=3, help="repetitions (median reported); default 3")
    args = parser.parse_args(argv)
    tree: Path = args.tree
    if not tree.is_dir():
        parser.error(f"{tree} is not a directory")
    if args.runs < 1:
        parser.error("--runs must be >= 1")

    files = count_files(tree)
    cold: list[float] = []
    warm: list[float] = []
    for i in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="ttgate-bench-cache-") as tmp:
            cache = Path(tmp) / "cache"  # does not exist yet: ttgate must create it
            cold.append(run_once(tree, cache))
            warm.append(run_once(tree, cache))
        print(f"run {i + 1}/{args.runs}: cold {fmt_s(cold[-1])}, warm {fmt_s(warm[-1])}", file=sys.stderr)

    cold_med, warm_med = statistics.median(cold), statistics.median(warm)
    ratio = cold_med / warm_med if warm_med > 0 else float("inf")
    print(f"ttgate on `{tree}` ({files} .tf/.tfvars files), median of {args.runs} run(s), ", end="")
    print(f"{os.cpu_count()} CPU(s), Python {platform.python_version()}")
    print()
    print("| tool | files | cold (median) | warm (median) | cold / warm |")
    print("|---|---:|---:|---:|---:|")
    print(f"| ttgate | {files} | {fmt_s(cold_med)} | {fmt_s(warm_med)} | {ratio:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
