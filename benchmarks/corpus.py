"""Run ``ttgate check`` and ``ttgate stacks`` on every repository of a corpus; report what ttgate made of it.

Each directory directly under CORPUS is one repository. For each, the script runs, inside it (so paths
are relative to it), with a timeout:

    python -m ttgate check . --format text --format json:TMP [--policy P]
    python -m ttgate stacks . --format json [--policy P]

and prints one row: .tf and .tf.json files, terragrunt.hcl units, seconds, exit codes (0 and 1 are
results; 2 is a user error; 3 is a crash: ttgate's own failure, the most important thing to find),
TG000 and TG001 counts, stacks (all, with a layer, with an environment), hidden directories,
unaccounted directories and the other rules' counts. Then one row per layout class (when
``--repos`` gives each repository's class): repositories, stacks recognised, stacks with a layer /
an environment, which layer rules (TG101, TG102, TG103, TG401, TG501, TG502) produced findings (in
how many repositories, how many findings), TG000 and TG001.
Then, per repository, the TG000 findings, the unaccounted and hidden directories, and on exit 2 or 3
the error line.

The report's ``directories`` maps every directory holding configuration that ttgate saw to how it
was checked ("root", "module called from …", "not checked: a hidden directory, …"). A directory
holding .tf or .tf.json files is *unaccounted* when that map does not name it. Hidden directories
(a name starting with ".") are walked too, as Terraform skips them but a reader should be told:
those the report names as hidden, or that lie below one it names, are counted as "hidden", the others
as unaccounted. .terraform,
.terragrunt-cache, .git and node_modules are Terraform's or tools' working directories and are not
walked.

Policies: ``--policies DIR`` holds ``<repository directory name>.yml`` files (e.g.
``ministryofjustice+opg-use-an-lpa.yml``) passed with ``--policy`` to that repository; write them
outside the repositories, never into their trees. benchmarks/corpus-policies holds ours for the
repositories of benchmarks/corpus-repos.txt (docs/corpus.md says how they were written).

ttgate is imported from the running interpreter's path: put the sources to measure first on
PYTHONPATH (relative entries are made absolute; the script says which ttgate it measures). A fresh
parse cache is used per run (``--cache DIR`` to reuse one), so the seconds are those of a cold run.
Run one at a time on a shared machine.

    PYTHONPATH=src python benchmarks/corpus.py CORPUS --repos benchmarks/corpus-repos.txt \
        --policies benchmarks/corpus-policies --json run.json
    PYTHONPATH=src python benchmarks/corpus.py CORPUS --compare run.json --json run2.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

# Working directories of Terraform and other tools: never configuration a user wrote.
SKIP_DIRS = frozenset({".terraform", ".git", "node_modules", ".terragrunt-cache", "__pycache__"})
LAYER_RULES = ("TG101", "TG102", "TG103", "TG401", "TG501", "TG502")
EXIT_MEANING = {0: "ok", 1: "ok (findings)", 2: "user error", 3: "CRASH"}
SHORT = 110


def tf_directories(repo: Path) -> dict[str, dict[str, int]]:
    """Directories (relative, POSIX, "." for the root) holding .tf or .tf.json files, with counts."""
    found: dict[str, dict[str, int]] = {}
    for directory, subdirs, files in os.walk(repo):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS)
        tf = sum(1 for name in files if name.endswith(".tf"))
        tf_json = sum(1 for name in files if name.endswith(".tf.json"))
        terragrunt = sum(1 for name in files if name == "terragrunt.hcl")
        if tf or tf_json or terragrunt:
            where = Path(directory).relative_to(repo).as_posix()
            found[where] = {"tf": tf, "tf_json": tf_json, "terragrunt": terragrunt}
    return found


def is_hidden(directory: str) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in directory.split("/"))


def shorten(text: str, width: int = SHORT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return shorten(lines[-1], 2 * SHORT) if lines else ""


def run(command: list[str], repo: Path, env: dict[str, str], timeout: float) -> dict[str, Any]:
    started = time.monotonic()
    try:
        proc = subprocess.run(command, cwd=repo, env=env, capture_output=True, timeout=timeout, check=False)
        result = {
            "exit": proc.returncode,
            "stdout": proc.stdout.decode("utf-8", "replace"),
            "error": last_line(proc.stderr.decode("utf-8", "replace")),
        }
    except subprocess.TimeoutExpired:
        result = {"exit": "timeout", "stdout": "", "error": f"no result after {timeout:.0f} s"}
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def stack_counts(stacks_report: dict[str, Any] | None) -> dict[str, Any]:
    """Stacks per layout, environment and layer, from ``ttgate stacks --format json``."""
    if stacks_report is None:
        return {
            "stacks": 0,
            "roots": 0,
            "with_layer": 0,
            "with_env": 0,
            "layouts": {},
            "envs": {},
            "layers": {},
        }
    stacks = stacks_report.get("stacks", [])
    roots = [stack for stack in stacks if stack.get("role") == "root"]
    return {
        "stacks": len(stacks),
        "roots": len(roots),
        "with_layer": sum(1 for stack in stacks if stack.get("layer")),
        "with_env": sum(1 for stack in stacks if stack.get("env")),
        "with_var_files": sum(1 for stack in stacks if stack.get("var_files")),
        "with_workspace": sum(1 for stack in stacks if stack.get("workspace")),
        "remote_states": sum(len(stack.get("remote_states") or []) for stack in stacks),
        "layouts": dict(Counter(str(stack.get("layout")) for stack in stacks)),
        "envs": dict(Counter(str(stack.get("env")) for stack in stacks if stack.get("env"))),
        "layers": dict(Counter(str(stack.get("layer")) for stack in stacks if stack.get("layer"))),
        "notes": stacks_report.get("notes", []),
    }


def measure(repo: Path, timeout: float, env: dict[str, str], policy: Path | None) -> dict[str, Any]:
    directories = tf_directories(repo)
    visible = {d: c for d, c in directories.items() if not is_hidden(d)}
    row: dict[str, Any] = {
        "repo": repo.name,
        "files": sum(c["tf"] for c in visible.values()),
        "tf_json": sum(c["tf_json"] for c in visible.values()),
        "terragrunt": sum(c["terragrunt"] for c in directories.values()),
        "policy": str(policy) if policy else None,
        "rules": {},
    }
    policy_args = ["--policy", str(policy)] if policy else []
    with tempfile.TemporaryDirectory() as scratch:
        report_path = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "ttgate", "check", ".", "--format", "text"]
        command += ["--format", f"json:{report_path}", *policy_args]
        check = run(command, repo, env, timeout)
        report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else None
    stacks = run(
        [sys.executable, "-m", "ttgate", "stacks", ".", "--format", "json", *policy_args], repo, env, timeout
    )
    row.update(
        exit=check["exit"], error=check["error"], seconds=check["seconds"], summary=last_line(check["stdout"])
    )
    row.update(stacks_exit=stacks["exit"], stacks_error=stacks["error"])
    try:
        stacks_report = json.loads(stacks["stdout"]) if stacks["exit"] == 0 else None
    except json.JSONDecodeError:
        stacks_report, row["stacks_error"] = None, "stdout is not JSON"
    row["model"] = stack_counts(stacks_report)
    tf_dirs = [d for d, c in directories.items() if c["tf"] or c["tf_json"]]
    if report is None:
        row.update(tg000=[], tg001=[], notes=[], hidden=[], layer_rules={})
        row["unaccounted"] = sorted(d for d in tf_dirs)
        return row
    active = [finding for finding in report["findings"] if not finding.get("suppressed")]
    row["rules"] = dict(sorted(Counter(finding["rule"] for finding in active).items()))
    row["layer_rules"] = {rule: row["rules"][rule] for rule in LAYER_RULES if rule in row["rules"]}
    row["tg000"] = [
        f"{f.get('file')}:{f.get('line')}: {shorten(f['message'])}" for f in active if f["rule"] == "TG000"
    ]
    row["tg001"] = [
        f"{f.get('file')}:{f.get('line')}: {f['message']}" for f in active if f["rule"] == "TG001"
    ]
    row["notes"] = report.get("summary", {}).get("notes", [])
    listed = report.get("directories") or {}
    if isinstance(listed, list):  # an older report: strings or objects with a "path"
        listed = {str(item.get("path") if isinstance(item, dict) else item): "" for item in listed}
    row["how"] = dict(Counter(how.split(":")[0].split(" called from")[0] for how in listed.values()))
    skipped = {d for d, how in listed.items() if "hidden directory" in how}

    def under_skipped(directory: str) -> bool:
        return any(directory == d or directory.startswith(d + "/") for d in skipped)

    row["hidden"] = sorted(d for d in tf_dirs if is_hidden(d) and under_skipped(d))
    row["unaccounted"] = sorted(d for d in tf_dirs if d not in listed and not under_skipped(d))
    return row


def total(rows: list[dict[str, Any]], name: str = "TOTAL") -> dict[str, Any]:
    rules: Counter[str] = Counter()
    for row in rows:
        rules.update(row["rules"])
    model = {
        key: sum(row.get("model", {}).get(key, 0) for row in rows)
        for key in ("stacks", "with_layer", "with_env")
    }
    return {
        "repo": name,
        "files": sum(row["files"] for row in rows),
        "tf_json": sum(row.get("tf_json", 0) for row in rows),
        "terragrunt": sum(row.get("terragrunt", 0) for row in rows),
        "seconds": round(sum(row["seconds"] for row in rows), 2),
        "exit": dict(sorted(Counter(str(row["exit"]) for row in rows).items())),
        "stacks_exit": dict(sorted(Counter(str(row.get("stacks_exit")) for row in rows).items())),
        "rules": dict(sorted(rules.items())),
        "model": model,
        "tg000": [entry for row in rows for entry in row["tg000"]],
        "hidden": [entry for row in rows for entry in row.get("hidden", [])],
        "unaccounted": [entry for row in rows for entry in row["unaccounted"]],
    }


def exit_cell(value: Any) -> str:
    return ",".join(f"{k}×{v}" for k, v in value.items()) if isinstance(value, dict) else str(value)


def table_line(row: dict[str, Any]) -> str:
    rules = row["rules"]
    others = " ".join(f"{rule}:{count}" for rule, count in rules.items() if rule not in ("TG000", "TG001"))
    model = row["model"]
    return (
        f"| {row['repo']} | {row['files']} | {row.get('tf_json', 0)} | {row.get('terragrunt', 0)} "
        f"| {row['seconds']} "
        f"| {exit_cell(row['exit'])} | {exit_cell(row.get('stacks_exit'))} | {rules.get('TG000', 0)} "
        f"| {rules.get('TG001', 0)} | {model['stacks']}/{model['with_layer']}/{model['with_env']} "
        f"| {len(row.get('hidden', []))} | {len(row['unaccounted'])} | {others} |"
    )


def print_rows(rows: list[dict[str, Any]]) -> None:
    print(
        "| repository | .tf | .tf.json | terragrunt.hcl | seconds | check exit | stacks exit | TG000 | TG001 "
        "| stacks/layer/env | hidden dirs | unaccounted dirs | other rules |"
    )
    print("| --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | --- | ---: | ---: | --- |")
    for row in [*rows, total(rows)]:
        print(table_line(row))
    for row in rows:
        details = (
            [f"  check error ({EXIT_MEANING.get(row['exit'], row['exit'])}): {row['error']}"]
            if row["exit"] not in (0, 1)
            else []
        )
        if row.get("stacks_exit") != 0:
            details.append(f"  stacks error ({row.get('stacks_exit')}): {row.get('stacks_error')}")
        details += [f"  TG000 {entry}" for entry in row["tg000"]]
        details += [f"  hidden: {directory}" for directory in row.get("hidden", [])]
        details += [f"  unaccounted: {directory}" for directory in row["unaccounted"]]
        if details:
            print(f"\n{row['repo']}:")
            print("\n".join(details))


def print_layouts(rows: list[dict[str, Any]], classes: dict[str, str]) -> None:
    """One row per layout class: repositories, stacks, and which layer rules produced findings."""
    by_class: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_class.setdefault(classes.get(row["repo"], "?"), []).append(row)
    print(
        "\n| layout | repositories | described by a policy | stacks | with a layer | with an env "
        "| layer rules with findings: rule (repositories, findings) | TG000 | TG001 | crashes |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for layout, members in sorted(by_class.items()):
        fired: Counter[str] = Counter()
        found: Counter[str] = Counter()
        for row in members:
            fired.update(row.get("layer_rules", {}).keys())
            found.update(row.get("layer_rules", {}))
        rules = ", ".join(f"{rule} ({fired[rule]}, {found[rule]})" for rule in sorted(fired)) or "none"
        print(
            f"| {layout} | {len(members)} | {sum(1 for row in members if row.get('policy'))} "
            f"| {sum(row['model']['stacks'] for row in members)} "
            f"| {sum(row['model']['with_layer'] for row in members)} "
            f"| {sum(row['model']['with_env'] for row in members)} | {rules} "
            f"| {sum(row['rules'].get('TG000', 0) for row in members)} "
            f"| {sum(row['rules'].get('TG001', 0) for row in members)} "
            f"| {sum(1 for row in members if row['exit'] == 3 or row.get('stacks_exit') == 3)} |"
        )


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


def read_repos(path: Path) -> dict[str, str]:
    """``owner/name commit layout`` lines → {owner+name: layout}; # starts a comment."""
    classes: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("#")[0].split()
        if fields:
            classes[fields[0].replace("/", "+")] = fields[2] if len(fields) > 2 else "?"
    return classes


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
    parser.add_argument("--timeout", type=float, default=300, help="seconds per command (default 300)")
    parser.add_argument("--json", type=Path, help="save the rows to this file")
    parser.add_argument("--compare", type=Path, help="rows saved by an earlier run, to print the difference")
    parser.add_argument("--cache", type=Path, help="parse cache to use (default: a fresh one per run)")
    parser.add_argument("--repos", type=Path, help="corpus-repos.txt: `owner/name commit layout` a line")
    parser.add_argument(
        "--policies", type=Path, help="a folder of <owner+name>.yml policies, outside the repos"
    )
    parser.add_argument("--only", nargs="*", default=[], help="only these repositories (directory names)")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"{args.corpus}: not a directory")
    classes = read_repos(args.repos) if args.repos else {}
    repos = sorted(
        p
        for p in args.corpus.iterdir()
        if p.is_dir() and (not args.only or p.name in args.only) and (not classes or p.name in classes)
    )
    with tempfile.TemporaryDirectory() as fresh_cache:
        env = {**os.environ, "TTGATE_CACHE_DIR": str(args.cache or fresh_cache), "NO_COLOR": "1"}
        env["PYTHONPATH"] = absolute_path_list(os.environ.get("PYTHONPATH", ""))
        print(f"measuring {ttgate_location(env)}", file=sys.stderr)
        rows = []
        for repo in repos:
            policy = args.policies / f"{repo.name}.yml" if args.policies else None
            policy = policy.resolve() if policy and policy.is_file() else None
            print(f"checking {repo.name}{' with ' + policy.name if policy else ''}", file=sys.stderr)
            row = measure(repo, args.timeout, env, policy)
            row["layout_class"] = classes.get(repo.name, "?")
            rows.append(row)
    print_rows(rows)
    if classes:
        print_layouts(rows, classes)
    if args.compare:
        compare(json.loads(args.compare.read_text(encoding="utf-8")), rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
