"""Write a tree of many small .tf files (1,000 roots of 100 by default): the run's file bound at work.

    python benchmarks/many_files.py OUTDIR [--roots 1000] [--files 100]
    /usr/bin/time -v ttgate check OUTDIR --format json:/dev/null

Each file declares one variable and one resource using it, so every file read is parsed and evaluated.
"""

from __future__ import annotations

import argparse
from pathlib import Path

_FILE = """variable "v{index}" {{
  type    = string
  default = "q{index}"
}}

resource "aws_sqs_queue" "q{index}" {{
  name = "${{var.v{index}}}-queue"
}}
"""


def write(root: Path, roots: int, files: int) -> int:
    for stack in range(roots):
        directory = root / f"stack{stack:04d}"
        directory.mkdir(parents=True, exist_ok=True)
        for index in range(files):
            (directory / f"f{index:03d}.tf").write_text(_FILE.format(index=index), encoding="utf-8")
    return roots * files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--roots", type=int, default=1000)
    parser.add_argument("--files", type=int, default=100)
    arguments = parser.parse_args(argv)
    print(f"{write(arguments.outdir, arguments.roots, arguments.files):,} files in {arguments.outdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
