"""Mutations of policies: `ttgate check --policy` must exit 0, 1 or 2 in time, never 3.

    python benchmarks/fuzz_policy.py [--cases 10000] [--seed 1] [--timeout 10]

Each case takes the built-in runbook.yml, replaces 1 to 3 values at random paths by values of other
types or harmful ones (see fuzzing.py), or appends one of the hostile texts of issue 10 (an alias
bomb, a NUL byte, unknown placeholders, empty or negative parameters), and checks the dev plan of
20_infra with it. Prints the exit statuses, the timeouts and the first failures; exits 1 on any.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from fuzzing import Tally, fuzz_arguments, mutate, run_and_report, run_check, seeded

REPOSITORY = Path(__file__).resolve().parents[1]
RUNBOOK = REPOSITORY / "policies" / "runbook.yml"
PLAN = REPOSITORY / "tests" / "plans" / "dev" / "20_infra.json"
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)
HOSTILE = [
    BOMB,
    'project: "tt\\0x"\n',
    "rules:\n  TG401:\n    patterns:\n      lambda: '{bogus}'\n",
    "rules:\n  TG401:\n    patterns:\n      nonsense: '{project}'\n",
    "rules:\n  TG301:\n    allowed_days: []\n",
    "rules:\n  TG202:\n    max_receive_count: -3\n",
    "rules:\n  TG201:\n    multiplier: .inf\n",
    "rules:\n  TG204:\n    threshold: -1\n",
    "state_bucket: '{project}-{nope}'\n",
    "lock_table: '{'\n",
]


def fuzz(cases: int, seed: int, timeout: float, workdir: Path) -> Tally:
    base = yaml.safe_load(RUNBOOK.read_text(encoding="utf-8"))
    tally = Tally()
    policy = workdir / "policy.yml"
    for case, rng in seeded(seed, cases):
        if rng.random() < 0.2:
            text = "extends: runbook\n" + rng.choice(HOSTILE)
        else:
            # JSON is YAML: the mutated values (a lone surrogate included) are written escaped.
            text = json.dumps(mutate(base, rng, rng.randint(1, 3)))
        policy.write_text(text, encoding="utf-8")
        arguments = ["check", "--plan", f"20_infra/dev={PLAN}", "--policy", str(policy), "--format", "json"]
        outcome, output = run_check(arguments, timeout)
        tally.record(f"case {case} (seed {seed})", outcome, output)
    return tally


def main() -> int:
    arguments = fuzz_arguments(__doc__.splitlines()[0]).parse_args()
    return run_and_report(lambda workdir: fuzz(arguments.cases, arguments.seed, arguments.timeout, workdir))


if __name__ == "__main__":
    sys.exit(main())
