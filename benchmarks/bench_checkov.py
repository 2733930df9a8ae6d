"""Time checkov on a tree, for comparison with ttgate.

checkov is installed into a scratch virtualenv (default ``benchmarks/out/checkov-venv``, git-ignored)
that is never a dependency of ttgate. The script then runs

    checkov -d TREE --framework terraform --quiet --compact -o json

--runs times (exit code 1, "failed checks", is expected) and prints the median wall time as a markdown
table, with checkov's version and the number of .tf/.tfvars files under TREE.

    python benchmarks/bench_checkov.py benchmarks/out/tree1000
    python benchmarks/bench_checkov.py benchmarks/out/tree100 --skip-install --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_VENV = HERE / "out" / "checkov-venv"
HCL_SUFFIXES = (".tf", ".tfvars")


def venv_bin(venv_dir: Path, name: str) -> Path:
    sub = "Scripts" if os.name == "nt" else "bin"
    suffix = ".exe" if os.name == "nt" else ""
    return venv_dir / sub / f"{name}{suffix}"


def ensure_checkov(venv_dir: Path, skip_install: bool) -> Path:
    """Create the scratch virtualenv if missing and pip-install checkov; return the checkov path."""
    checkov = venv_bin(venv_dir, "checkov")
    if skip_install:
        if not checkov.exists():
            raise SystemExit(f"--skip-install given but {checkov} does not exist")
        return checkov
    if not venv_bin(venv_dir, "python").exists():
        print(f"creating virtualenv {venv_dir}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=False).create(venv_dir)
    if not checkov.exists():
        print("installing checkov (this can take a few minutes)", file=sys.stderr)
        pip = [str(venv_bin(venv_dir, "python")), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "checkov"], check=True)
    return checkov


def checkov_version(checkov: Path) -> str:
    proc = subprocess.run([str(checkov), "--version"], capture_output=True, text=True, check=False)
    return proc.stdout.strip() or "unknown"


def count_files(tree: Path) -> int:
    return sum(1 for p in tree.rglob("*") if p.is_file() and p.name.endswith(HCL_SUFFIXES))


def run_once(checkov: Path, tree: Path) -> float:
    cmd = [str(checkov), "-d", str(tree), "--framework", "terraform", "--quiet", "--compact", "-o", "json"]
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}  # no network look-ups of guideline mappings
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"checkov exited with {proc.returncode}: {' '.join(cmd)}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time checkov on a Terraform tree.")
    parser.add_argument("tree", type=Path, metavar="TREE")
    parser.add_argument(
        "--venv", type=Path, default=DEFAULT_VENV, help=f"scratch venv (default {DEFAULT_VENV})"
    )
    parser.add_argument("--runs", type=int, default=1, help="repetitions (median reported); default 1")
    parser.add_argument("--skip-install", action="store_true", help="reuse the venv's checkov as is")
    args = parser.parse_args(argv)
    tree: Path = args.tree
    if not tree.is_dir():
        parser.error(f"{tree} is not a directory")
    if args.runs < 1:
        parser.error("--runs must be >= 1")

    checkov = ensure_checkov(args.venv, args.skip_install)
    version = checkov_version(checkov)
    files = count_files(tree)
    times: list[float] = []
    for i in range(args.runs):
        times.append(run_once(checkov, tree))
        print(f"run {i + 1}/{args.runs}: {times[-1]:.2f} s", file=sys.stderr)

    print(
        f"checkov {version} on `{tree}` ({files} .tf/.tfvars files), median of {args.runs} run(s), ", end=""
    )
    print(f"{os.cpu_count()} CPU(s)")
    print()
    print("| tool | files | wall time (median) |")
    print("|---|---:|---:|")
    print(f"| checkov {version} | {files} | {statistics.median(times):.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
