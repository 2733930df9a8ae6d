"""Run ``ttgate check`` over every repository of a corpus and report what it made of each one.

Each directory directly under CORPUS is one repository. For each, the script runs

    python -m ttgate check . --format text --format json:TMP --fail-on error

inside the repository (so file paths are relative to it), with a timeout, and prints one row:
.tf files, seconds, exit code, TG000 and TG001 counts, unaccounted directories and the other rules'
counts; then, per repository, the TG000 findings, the unaccounted directories and, on exit 2 or 3,
the error line. ttgate is imported from the running interpreter's path: put the sources to measure
first on PYTHONPATH (relative entries are made absolute; the script says which ttgate it measures).
A fresh parse cache is used per run (``--cache DIR`` to reuse one), so the seconds are those of a
cold run.

"Unaccounted" directories are directories holding .tf files that ttgate neither checked nor
mentioned. When the report lists the directories it checked (``report["directories"]``, strings or
objects with a "path"), that list is used. Today's report does not, so the script approximates it:
a directory is accounted for when it is a stack's directory, when it is reached from one by
following local module sources (``source = "./…"`` or ``"../…"``, read with a regular expression,
transitively), when a finding or a related location names a file in it, or when a report note names
it. Directories ttgate skips by design (hidden ones, node_modules, .terraform) are not counted.
An unaccounted directory is "root-like" when it has a backend, cloud or provider block (ttgate
should have checked it as a stack); the others are modules that nothing checked calls.

    PYTHONPATH=src python benchmarks/corpus.py CORPUS --json run.json
    PYTHONPATH=src python benchmarks/corpus.py CORPUS --compare run.json --json run2.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

SKIP_DIRS = frozenset({".terraform", ".git", "node_modules", ".terragrunt-cache", "__pycache__"})
# What makes ttgate take a directory as a root stack: a backend, cloud or provider block.
ROOT_LIKE = re.compile(r'^\s*(backend\s+"|cloud\s*\{|provider\s+")', re.MULTILINE)
LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.\.?/[^"]*)"', re.MULTILINE)
SHORT = 110


def tf_directories(repo: Path) -> dict[str, int]:
    """Directories (relative, POSIX, "." for the root) holding .tf files, with their .tf count."""
    counts: dict[str, int] = {}
    for directory, subdirs, files in os.walk(repo):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS and not d.startswith("."))
        tf_files = sum(1 for name in files if name.endswith(".tf"))
        if tf_files:
            counts[Path(directory).relative_to(repo).as_posix()] = tf_files
    return counts


def _normal(path: Path, repo: Path) -> str | None:
    try:
        return Path(os.path.normpath(path)).relative_to(repo).as_posix()
    except ValueError:
        return None  # a module outside the repository


def called_modules(repo: Path, start: set[str]) -> set[str]:
    """Every directory reached from ``start`` through local module sources, ``start`` included."""
    reached: set[str] = set()
    pending = list(start)
    while pending:
        directory = pending.pop()
        if directory in reached:
            continue
        reached.add(directory)
        for tf_file in (repo / directory).glob("*.tf"):
            text = tf_file.read_text(encoding="utf-8", errors="replace")
            for source in LOCAL_SOURCE.findall(text):
                target = _normal(repo / directory / source.split("//")[0], repo)
                if target is not None:
                    pending.append(target)
    return reached


def checked_directories(repo: Path, report: dict[str, Any]) -> set[str]:
    listed = report.get("directories")
    if isinstance(listed, list):
        return {str(item.get("path") if isinstance(item, dict) else item) for item in listed}
    stacks = {str(stack["name"]) for stack in report.get("stacks", []) if stack.get("source") == "hcl"}
    accounted = called_modules(repo, stacks)
    for finding in report.get("findings", []):
        for file in [finding.get("file")] + [related.get("file") for related in finding.get("related", [])]:
            if file:
                accounted.add(Path(file).parent.as_posix())
    return accounted


def unaccounted(repo: Path, report: dict[str, Any], directories: dict[str, int]) -> list[str]:
    accounted = checked_directories(repo, report)
    notes = " ".join(report.get("summary", {}).get("notes", []))
    return [d for d in directories if d not in accounted and (d == "." or d not in notes)]


def root_like(repo: Path, directories: list[str]) -> list[str]:
    """The directories that look like root stacks, which ttgate should have checked, not skipped."""
    return [
        directory
        for directory in directories
        if any(
            ROOT_LIKE.search(tf_file.read_text(encoding="utf-8", errors="replace"))
            for tf_file in (repo / directory).glob("*.tf")
        )
    ]


def shorten(text: str, width: int = SHORT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return shorten(lines[-1], 2 * SHORT) if lines else ""


def measure(repo: Path, timeout: float, env: dict[str, str]) -> dict[str, Any]:
    directories = tf_directories(repo)
    row: dict[str, Any] = {"repo": repo.name, "files": sum(directories.values()), "rules": {}}
    with tempfile.TemporaryDirectory() as scratch:
        report_path = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "ttgate", "check", ".", "--format", "text"]
        command += ["--format", f"json:{report_path}"]
        started = time.monotonic()
        try:
            proc = subprocess.run(
                command, cwd=repo, env=env, capture_output=True, timeout=timeout, check=False
            )
            row["exit"], row["error"], row["summary"] = (
                proc.returncode,
                last_line(proc.stderr.decode("utf-8", "replace")),
                last_line(proc.stdout.decode("utf-8", "replace")),
            )
        except subprocess.TimeoutExpired:
            row["exit"], row["error"], row["summary"] = "timeout", f"no result after {timeout:.0f} s", ""
        row["seconds"] = round(time.monotonic() - started, 2)
        report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else None
    if report is None:
        row["tg000"], row["unaccounted"] = [], sorted(directories)
        row["unaccounted_roots"] = root_like(repo, row["unaccounted"])
        return row
    active = [finding for finding in report["findings"] if not finding.get("suppressed")]
    row["rules"] = dict(sorted(Counter(finding["rule"] for finding in active).items()))
    row["tg000"] = [
        f"{finding.get('file')}: {shorten(finding['message'])}"
        for finding in active
        if finding["rule"] == "TG000"
    ]
    row["tg001"] = [finding["message"] for finding in active if finding["rule"] == "TG001"]
    row["stacks"] = len(report.get("stacks", []))
    row["notes"] = report.get("summary", {}).get("notes", [])
    row["unaccounted"] = unaccounted(repo, report, directories)
    row["unaccounted_roots"] = root_like(repo, row["unaccounted"])
    return row


def total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    rules: Counter[str] = Counter()
    for row in rows:
        rules.update(row["rules"])
    return {
        "repo": "TOTAL",
        "files": sum(row["files"] for row in rows),
        "seconds": round(sum(row["seconds"] for row in rows), 2),
        "exit": dict(sorted(Counter(str(row["exit"]) for row in rows).items())),
        "rules": dict(sorted(rules.items())),
        "tg000": [entry for row in rows for entry in row["tg000"]],
        "unaccounted": [entry for row in rows for entry in row["unaccounted"]],
        "unaccounted_roots": [entry for row in rows for entry in row.get("unaccounted_roots", [])],
    }


def table_line(row: dict[str, Any]) -> str:
    rules = row["rules"]
    others = " ".join(f"{rule}:{count}" for rule, count in rules.items() if rule not in ("TG000", "TG001"))
    exit_code = (
        row["exit"]
        if not isinstance(row["exit"], dict)
        else ",".join(f"{k}×{v}" for k, v in row["exit"].items())
    )
    skipped = f"{len(row['unaccounted'])} ({len(row.get('unaccounted_roots', []))})"
    return (
        f"| {row['repo']} | {row['files']} | {row['seconds']} | {exit_code} | {rules.get('TG000', 0)} "
        f"| {rules.get('TG001', 0)} | {skipped} | {others} |"
    )


def print_rows(rows: list[dict[str, Any]]) -> None:
    print(
        "| repository | .tf files | seconds | exit | TG000 | TG001 | unaccounted (root-like) | other rules |"
    )
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |")
    for row in [*rows, total(rows)]:
        print(table_line(row))
    for row in rows:
        details = [f"  error: {row['error']}"] if row["exit"] not in (0, 1) else []
        details += [f"  TG000 {entry}" for entry in row["tg000"]]
        roots = set(row.get("unaccounted_roots", []))
        details += [
            f"  unaccounted: {directory}{' (root-like)' if directory in roots else ''}"
            for directory in row["unaccounted"]
        ]
        if details:
            print(f"\n{row['repo']}:")
            print("\n".join(details))


def compare(old_rows: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """Print what changed per repository, and per rule over the repositories in both runs."""
    old_by_repo = {row["repo"]: row for row in old_rows}
    print("\n| repository | exit | TG000 | TG001 | unaccounted dirs |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        old = old_by_repo.get(row["repo"])
        if old is None:
            continue
        cells = [f"{old['exit']} → {row['exit']}" if old["exit"] != row["exit"] else str(row["exit"])]
        for before, after in (
            (old["rules"].get("TG000", 0), row["rules"].get("TG000", 0)),
            (old["rules"].get("TG001", 0), row["rules"].get("TG001", 0)),
            (len(old["unaccounted"]), len(row["unaccounted"])),
        ):
            cells.append(f"{before} → {after}" if before != after else str(after))
        if any("→" in cell for cell in cells):
            print(f"| {row['repo']} | {' | '.join(cells)} |")
    common = set(old_by_repo) & {row["repo"] for row in rows}
    before = total([old for repo, old in old_by_repo.items() if repo in common])["rules"]
    after = total([row for row in rows if row["repo"] in common])["rules"]
    changes = ", ".join(
        f"{rule} {before.get(rule, 0)} → {after.get(rule, 0)}"
        for rule in sorted(set(before) | set(after))
        if before.get(rule, 0) != after.get(rule, 0)
    )
    print(f"\nper rule, over the repositories in both runs: {changes or 'no change'}")


def absolute_path_list(value: str) -> str:
    """PYTHONPATH with every entry absolute: ttgate runs inside each repository, not here."""
    return os.pathsep.join(str(Path(entry).resolve()) for entry in value.split(os.pathsep) if entry)


def ttgate_location(env: dict[str, str]) -> str:
    """Where the measured ttgate is imported from, so a run never measures another copy unnoticed."""
    probe = [sys.executable, "-c", "import ttgate; print(ttgate.__file__)"]
    proc = subprocess.run(
        probe, env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() or proc.stderr.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="a folder whose subdirectories are repositories")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per repository (default 300)")
    parser.add_argument("--json", type=Path, help="save the rows to this file")
    parser.add_argument("--compare", type=Path, help="rows saved by an earlier run, to print the difference")
    parser.add_argument("--cache", type=Path, help="parse cache to use (default: a fresh one per run)")
    parser.add_argument("--only", nargs="*", default=[], help="only these repositories (directory names)")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"{args.corpus}: not a directory")
    repos = sorted(p for p in args.corpus.iterdir() if p.is_dir() and (not args.only or p.name in args.only))
    with tempfile.TemporaryDirectory() as fresh_cache:
        env = {**os.environ, "TTGATE_CACHE_DIR": str(args.cache or fresh_cache), "NO_COLOR": "1"}
        env["PYTHONPATH"] = absolute_path_list(os.environ.get("PYTHONPATH", ""))
        print(f"measuring {ttgate_location(env)}", file=sys.stderr)
        rows = []
        for repo in repos:
            print(f"checking {repo.name}", file=sys.stderr)
            rows.append(measure(repo, args.timeout, env))
    print_rows(rows)
    if args.compare:
        compare(json.loads(args.compare.read_text(encoding="utf-8")), rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
