"""Mutations of policies: `ttgate check --policy` must exit 0, 1 or 2 in time, never 3.

    python benchmarks/fuzz_policy.py [--cases 10000] [--seed 1] [--timeout 10]

Each case takes the built-in runbook.yml, replaces 1 to 3 values at random paths by values of other
types or harmful ones (see fuzzing.py), or appends one of the hostile texts of issues 10 and 18 (an
alias bomb, a NUL byte, unknown placeholders, empty or negative parameters, YAML tags on values they
refuse, long numbers, deep nesting), or writes a policy of random YAML tags, raw bytes (controls, bytes
that are not UTF-8) and sizes, and checks the dev plan of 20_infra with it. Prints the exit statuses,
the timeouts and the first failures; exits 1 on any.
"""

from __future__ import annotations

import json
import random
import sys
import time
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
    # issue 18: one-line policies that were exit 3
    "project: a\x00b\n",
    "project: a\x1bb\n",
    "project: a\x7fb\n",
    "project: 1" + "9" * 5000 + "\n",
    "project: 1.0e999999\n",
    "project: " + "[" * 3000 + "\n",
    "project: !!bool x\n",
    "project: !!timestamp x\n",
    "project: !!int x\n",
    "project: !!float x\n",
]
# YAML's tags and a few that no loader knows, and values they accept or refuse.
TAGS = [
    "!!bool", "!!int", "!!float", "!!str", "!!null", "!!timestamp", "!!binary", "!!set", "!!omap",
    "!!pairs", "!!seq", "!!map", "!!merge", "!!value", "!!python/name:os.system", "!!python/object:x",
    "!custom", "!", "!<tag:yaml.org,2002:int>", "!!yaml",
]  # fmt: skip
TAG_VALUES = [
    "x", "1", "-1", "0x1F", "0o17", "1_000", "0b101", "1:30", "1e999", ".inf", ".nan", "2001-12-14",
    "2001-13-45", "2001-12-14t21:59:43.10-05:00", "aGVsbG8=", "@@", "[a, b]", "{a: 1}", "{a}", "[a]",
    "~", "yes", "on", "''", '""', "9" * 5000, "1." + "0" * 5000, "- a",
]  # fmt: skip
KEYS = ["project", "region", "environments", "stack_path", "state_bucket", "rules", "layers", "x", "? a"]
RAW_BYTES = [
    b"\x00", b"\x01", b"\x07", b"\x08", b"\x0b", b"\x0c", b"\x1b", b"\x7f", b"\x80", b"\x85", b"\x9b",
    b"\xc3", b"\xff", b"\xfe", b"\xef\xbb\xbf", b"\xed\xa0\x80", b"\xe2\x80\xae", b"\xf3\xa0\x81\x81",
    b"\t", b"\r", b"\n", b":", b"- ", b"{", b"[", b"&a", b"*a", b"!!", b"%YAML 1.1\n", b"---\n", b"...\n",
]  # fmt: skip


def generated(rng: random.Random) -> bytes:
    """A policy of random keys, YAML tags, raw bytes, long numbers and deep nesting."""
    kind = rng.randrange(4)
    key = rng.choice(KEYS)
    if kind == 0:
        return f"{key}: {rng.choice(TAGS)} {rng.choice(TAG_VALUES)}\n".encode()
    if kind == 1:
        text = bytearray(f"extends: runbook\n{key}: a".encode())
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text) + 1)
            text[at:at] = rng.choice(RAW_BYTES)
        return bytes(text)
    if kind == 2:
        depth = rng.choice([10, 63, 65, 100, 1000, 3000, 50_000])
        opener, closer = rng.choice([("[", "]"), ("{a: ", "}"), ("- ", "")])
        if opener == "- ":
            body = "".join("  " * level + "- \n" for level in range(min(depth, 2000)))
            return f"{key}:\n{body}".encode()
        return f"{key}: {opener * depth}1{closer * depth}\n".encode()
    size = rng.choice([1, 100, 4299, 4300, 4301, 10_000, 1_000_000])
    number = rng.choice(["9" * size, "-" + "9" * size, "1." + "9" * size, "1e" + "9" * min(size, 50)])
    return f"extends: runbook\n{key}: {number}\n".encode()


def fuzz(cases: int, seed: int, timeout: float, workdir: Path) -> Tally:
    base = yaml.safe_load(RUNBOOK.read_text(encoding="utf-8"))
    tally = Tally()
    policy = workdir / "policy.yml"
    for case, rng in seeded(seed, cases):
        draw = rng.random()
        if draw < 0.15:
            data = ("extends: runbook\n" + rng.choice(HOSTILE)).encode("utf-8", "surrogatepass")
        elif draw < 0.5:
            data = generated(rng)
        else:
            # JSON is YAML: the mutated values (a lone surrogate included) are written escaped.
            data = json.dumps(mutate(base, rng, rng.randint(1, 3))).encode()
        policy.write_bytes(data)
        arguments = ["check", "--plan", f"20_infra/dev={PLAN}", "--policy", str(policy), "--format", "json"]
        began = time.perf_counter()
        outcome, output = run_check(arguments, timeout)
        tally.slowest = max(tally.slowest, time.perf_counter() - began)
        tally.record(f"case {case} (seed {seed})", outcome, output)
        if (case + 1) % 500 == 0:
            print(f"  {case + 1}: {tally.summary()}", flush=True)
    return tally


def main() -> int:
    arguments = fuzz_arguments(__doc__.splitlines()[0]).parse_args()
    return run_and_report(lambda workdir: fuzz(arguments.cases, arguments.seed, arguments.timeout, workdir))


if __name__ == "__main__":
    sys.exit(main())
