"""Shared by fuzz_plans.py, fuzz_policy.py and their fast slices in tests/: seeded mutations of JSON-like
documents, and one `ttgate check` run in this process with a time limit.

A mutation replaces one value anywhere in a document by a value of another type, or one of the values
issue 10 found harmful (huge and non-finite numbers, a lone surrogate, absurd nesting, a terminal
escape). A case passes when ttgate exits 0, 1 or 2 in time; exit 3 (an internal error) or a timeout
fails it.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

# Values written into the JSON text as they are, which json.dumps cannot produce.
RAW_TOKENS = {
    "__HUGE_INT__": "9" * 5000,
    "__HUGE_FLOAT__": "1e309",
    "__NAN__": "NaN",
    "__INFINITY__": "-Infinity",
    "__DEEP__": "[" * 100_000 + "]" * 100_000,
    "__DEEP_OBJECT__": '{"a":' * 5000 + "1" + "}" * 5000,
}
REPLACEMENTS: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    10**30,
    "",
    "x",
    "inf",
    "nan",
    "-5",
    "\ud800",
    "a\udfffb",
    "\x1b[31mred\x1b[0m",
    "::error::x",
    "\x00",
    "x" * 10_000,
    [],
    [None],
    [[[]]],
    {},
    {"": None},
    {"address": []},
    *RAW_TOKENS,
]

Path_ = tuple[str | int, ...]


def paths(document: Any, limit: int = 50_000) -> list[Path_]:
    """Every value's path in ``document`` (breadth first, at most ``limit``)."""
    found: list[Path_] = []
    queue: list[tuple[Any, Path_]] = [(document, ())]
    while queue and len(found) < limit:
        value, path = queue.pop(0) if len(queue) < 1000 else queue.pop()
        found.append(path)
        if isinstance(value, dict):
            queue.extend((item, (*path, key)) for key, item in value.items())
        elif isinstance(value, list):
            queue.extend((item, (*path, index)) for index, item in enumerate(value))
    return found


def _replace(document: Any, path: Path_, value: Any, delete: bool) -> Any:
    if not path:
        return value
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if delete and isinstance(parent, dict):
        parent.pop(last, None)
    else:
        parent[last] = value
    return document


def mutate(document: Any, rng: random.Random, count: int = 1) -> Any:
    """``document`` (a copy) with ``count`` values replaced (or keys deleted) at random paths."""
    mutated = json.loads(json.dumps(document))
    for _ in range(count):
        candidates = paths(mutated)
        path = rng.choice(candidates)
        value = json.loads(json.dumps(rng.choice(REPLACEMENTS)))
        mutated = _replace(mutated, path, value, delete=rng.random() < 0.1)
    return mutated


def dump_json(document: Any) -> str:
    """JSON text with the raw tokens put in place."""
    text = json.dumps(document)
    for token, raw in RAW_TOKENS.items():
        text = text.replace(f'"{token}"', raw)
    return text


class Timeout(BaseException):
    """A case ran out of time (a BaseException, so no `except Exception` in ttgate swallows it)."""


@dataclass
class Tally:
    cases: int = 0
    exit_codes: dict[int, int] = field(default_factory=dict)
    timeouts: int = 0
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0  # seconds of the slowest case

    def record(self, name: str, outcome: int | None, output: str) -> None:
        self.cases += 1
        if outcome is None:
            self.timeouts += 1
            self.failures.append(f"{name}: timeout")
            return
        self.exit_codes[outcome] = self.exit_codes.get(outcome, 0) + 1
        if outcome not in (0, 1, 2):
            self.failures.append(f"{name}: exit {outcome}: {output.strip()[-300:]}")

    def summary(self) -> str:
        codes = ", ".join(f"exit {code}: {n}" for code, n in sorted(self.exit_codes.items()))
        return (
            f"{self.cases} cases: {codes}; timeouts: {self.timeouts}; failures: {len(self.failures)}; "
            f"slowest case {self.slowest:.2f} s"
        )


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise Timeout


def run_check(arguments: list[str], seconds: float) -> tuple[int | None, str]:
    """(exit status, or None on timeout; stderr and stdout) of `ttgate ARGUMENTS` in this process."""
    from click.testing import CliRunner

    from ttgate.cli import main

    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        result = CliRunner().invoke(main, arguments, catch_exceptions=True)
    except Timeout:
        return None, ""
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return 3, f"{output}{type(result.exception).__name__}: {result.exception}"
    return result.exit_code, output


def seeded(seed: int, cases: int) -> Iterator[tuple[int, random.Random]]:
    for case in range(cases):
        yield case, random.Random(seed * 1_000_003 + case)


def ensure_source_on_path() -> None:
    """Let the scripts run from a checkout without installing ttgate."""
    source = Path(__file__).resolve().parents[1] / "src"
    if str(source) not in sys.path:
        sys.path.insert(0, str(source))


def fuzz_arguments(description: str) -> argparse.ArgumentParser:
    """The options every fuzz script takes: --cases, --seed, --timeout."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0)
    return parser


def run_and_report(fuzz: Callable[[Path], Tally], header: str = "") -> int:
    """Run ``fuzz`` in a temporary directory, print its tally and first failures; 1 when any failed."""
    ensure_source_on_path()
    with tempfile.TemporaryDirectory() as workdir:
        started = time.perf_counter()
        tally = fuzz(Path(workdir))
        elapsed = time.perf_counter() - started
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{header}{tally.summary()}; {elapsed:.0f} s; peak memory {peak:.0f} MiB")
    for failure in tally.failures[:20]:
        print(failure)
    return 1 if tally.failures else 0
