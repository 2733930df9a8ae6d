"""Compare ttgate's HCL parser with Terraform's on every .tf and .tfvars file under a folder.

ttgate's verdict comes from ``ttgate.gate.hcl.parse.Parser`` (no cache): a file whose
``ParsedFile.problem`` is set failed. Terraform's comes from ``terraform fmt -check -no-color``,
which only parses (no providers, no init): exit 0 or 3 means every file parsed, exit 2 comes with
"Error:" diagnostics whose "on FILE line N:" names the files that did not. Files are given to
Terraform in batches; a batch that fails without naming a file is run again one file at a time.
Files that are not UTF-8 (encrypted ones, say) fail for both without asking Terraform.

Every disagreement is listed (ttgate fails where Terraform parses, and the reverse), then grouped by
the shape of ttgate's message (numbers and quoted text blanked) to show the classes.

    PYTHONPATH=src python benchmarks/parse_vs_terraform.py CORPUS
    PYTHONPATH=src python benchmarks/parse_vs_terraform.py CORPUS --json parse.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ttgate.gate.hcl.parse import Parser

SKIP_DIRS = frozenset({".terraform", ".git", "node_modules", ".terragrunt-cache", "__pycache__"})
SUFFIXES = (".tf", ".tfvars")
DIAGNOSTIC_FILE = re.compile(r"^\s+on (.+) line \d+", re.MULTILINE)
BATCH = 200
NOT_TEXT = 'not UTF-8 (not given to terraform, which rejects such files with "Invalid character encoding")'


def hcl_files(root: Path) -> list[Path]:
    """Every .tf / .tfvars file under ``root``, relative to it, skipping what ttgate's loader skips."""
    found: list[Path] = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS and not d.startswith("."))
        found += [
            Path(directory, name).relative_to(root) for name in sorted(files) if name.endswith(SUFFIXES)
        ]
    return found


def ttgate_failures(root: Path, files: list[Path], jobs: int) -> dict[Path, str]:
    parsed = Parser(cache_dir=None, jobs=jobs).parse_many(
        (path, (root / path).read_bytes()) for path in files
    )
    return {
        path: f"{result.problem.line}:{result.problem.column}: {result.problem.message}"
        for path, result in parsed.items()
        if result.problem is not None
    }


def _fmt(root: Path, batch: list[Path]) -> subprocess.CompletedProcess[str]:
    command = ["terraform", "fmt", "-check", "-no-color", *(path.as_posix() for path in batch)]
    return subprocess.run(
        command, cwd=root, capture_output=True, text=True, encoding="utf-8", errors="replace", check=False
    )


def _first_error(stderr: str, name: str) -> str:
    """The summary line of the first "Error:" diagnostic about ``name``."""
    for block in stderr.split("Error: ")[1:]:
        if f"on {name} line" in block:
            return block.splitlines()[0].strip()
    return stderr.strip().splitlines()[0] if stderr.strip() else "error"


def terraform_batch(root: Path, batch: list[Path]) -> dict[Path, str]:
    proc = _fmt(root, batch)
    if proc.returncode in (0, 3):
        return {}
    by_name = {path.as_posix(): path for path in batch}
    named = {by_name[name] for name in DIAGNOSTIC_FILE.findall(proc.stderr) if name in by_name}
    if named:
        return {path: _first_error(proc.stderr, path.as_posix()) for path in named}
    if len(batch) == 1:
        return {batch[0]: _first_error(proc.stderr, batch[0].as_posix())}
    failures: dict[Path, str] = {}
    for path in batch:
        failures.update(terraform_batch(root, [path]))
    return failures


def is_text(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def terraform_failures(root: Path, files: list[Path], jobs: int) -> dict[Path, str]:
    # Terraform rejects a file that is not UTF-8 too ("Invalid character encoding"), but renders a
    # diagnostic per bad character: an encrypted (git-crypt) file takes it minutes. Not worth asking.
    failures = {path: NOT_TEXT for path in files if not is_text(root / path)}
    texts = [path for path in files if path not in failures]
    batches = [texts[start : start + BATCH] for start in range(0, len(texts), BATCH)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(lambda batch: terraform_batch(root, batch), batches):
            failures.update(result)
    return failures


def shape(message: str) -> str:
    """A ttgate message with positions, numbers and quoted text blanked, to group similar failures."""
    message = re.sub(r"^\d+:\d+: ", "", message)
    message = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", message)
    return re.sub(r"\d+", "N", message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder to scan for .tf and .tfvars files")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="parallel parsers (default: cores)"
    )
    parser.add_argument("--json", type=Path, help="save the disagreements to this file")
    args = parser.parse_args()
    if not args.root.is_dir():
        raise SystemExit(f"{args.root}: not a directory")
    root = args.root.resolve()
    files = hcl_files(root)
    print(f"{len(files)} files under {root}", file=sys.stderr)
    ttgate = ttgate_failures(root, files, args.jobs)
    if shutil.which("terraform") is None:
        raise SystemExit("terraform is not on PATH: only ttgate's verdicts are available")
    terraform = terraform_failures(root, files, args.jobs)
    only_ttgate = sorted(set(ttgate) - set(terraform))
    only_terraform = sorted(set(terraform) - set(ttgate))
    print(f"files: {len(files)}; ttgate cannot parse {len(ttgate)}; terraform cannot parse {len(terraform)}")
    print(f"\nttgate fails, terraform parses ({len(only_ttgate)}):")
    for path in only_ttgate:
        print(f"  {path}:{ttgate[path]}")
    print(f"\nterraform fails, ttgate parses ({len(only_terraform)}):")
    for path in only_terraform:
        print(f"  {path}: {terraform[path]}")
    print("\nttgate-only failures by message shape:")
    for message, count in Counter(shape(ttgate[path]) for path in only_ttgate).most_common():
        print(f"  {count:4}  {message}")
    if args.json:
        document = {
            "files": len(files),
            "ttgate_fails": {str(path): ttgate[path] for path in only_ttgate},
            "terraform_fails": {str(path): terraform[path] for path in only_terraform},
            "both_fail": {
                str(path): [ttgate[path], terraform[path]] for path in sorted(set(ttgate) & set(terraform))
            },
        }
        args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
