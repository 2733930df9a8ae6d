"""Type mutations of plans: `ttgate check --plan` must exit 0, 1 or 2 in time, never 3.

    python benchmarks/fuzz_plans.py [--cases 10000] [--seed 1] [--timeout 10] [--plans DIR ...]

Each case takes one plan (tests/plans/dev/*.json, or the *.json of the directories given: add real
plans with `--plans tests/plans/dev CORPUS/plans`), replaces 1 to 3 values at random paths by values
of other types or harmful ones (see fuzzing.py), and runs `ttgate check --plan 20_infra/dev=CASE
--format json` in this process. Prints the exit statuses, the timeouts and the first failures; exits 1
when any case failed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from fuzzing import Tally, dump_json, fuzz_arguments, mutate, run_and_report, run_check, seeded

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_PLAN_DIRS = (REPOSITORY / "tests" / "plans" / "dev",)


def load_plans(directories: list[Path]) -> list[tuple[str, Any]]:
    plans = []
    for directory in directories:
        for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
            plans.append((path.name, json.loads(path.read_text(encoding="utf-8"))))
    return plans


def fuzz(plans: list[tuple[str, Any]], cases: int, seed: int, timeout: float, workdir: Path) -> Tally:
    tally = Tally()
    case_file = workdir / "case.json"
    for case, rng in seeded(seed, cases):
        name, plan = rng.choice(plans)
        case_file.write_text(dump_json(mutate(plan, rng, rng.randint(1, 3))), encoding="utf-8")
        outcome, output = run_check(
            ["check", "--plan", f"20_infra/dev={case_file}", "--format", "json", "--no-cache"], timeout
        )
        tally.record(f"case {case} (seed {seed}, {name})", outcome, output)
    return tally


def main() -> int:
    parser = fuzz_arguments(__doc__.splitlines()[0])
    parser.add_argument("--plans", type=Path, nargs="*", default=list(DEFAULT_PLAN_DIRS))
    arguments = parser.parse_args()
    plans = load_plans(arguments.plans)
    if not plans:
        print("no plans found", file=sys.stderr)
        return 2
    return run_and_report(
        lambda workdir: fuzz(plans, arguments.cases, arguments.seed, arguments.timeout, workdir),
        header=f"{len(plans)} plans; ",
    )


if __name__ == "__main__":
    sys.exit(main())
