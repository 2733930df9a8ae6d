"""Mutations of policies: `ttgate check --policy` must exit 0, 1 or 2 in time, never 3.

    python benchmarks/fuzz_policy.py [--cases 10000] [--seed 1] [--timeout 10]

Each case takes the built-in runbook.yml, replaces 1 to 3 values at random paths by values of other
types or harmful ones (see fuzzing.py), or appends one of the hostile texts of issue 10 (an alias
bomb, a NUL byte, unknown placeholders, empty or negative parameters), and checks the dev plan of
20_infra with it. Prints the exit statuses, the timeouts and the first failures; exits 1 on any.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml
from fuzzing import Tally, ensure_source_on_path, mutate, run_check, seeded

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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0)
    arguments = parser.parse_args()
    ensure_source_on_path()
    with tempfile.TemporaryDirectory() as workdir:
        started = time.perf_counter()
        tally = fuzz(arguments.cases, arguments.seed, arguments.timeout, Path(workdir))
        elapsed = time.perf_counter() - started
    print(f"{tally.summary()}; {elapsed:.0f} s")
    for failure in tally.failures[:20]:
        print(failure)
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
