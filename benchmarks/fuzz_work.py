"""Fuzz the run's work budget: heavy configurations must end in a report inside 30 s and 2 GiB.

Seeded, reproducible cases of the work a pull request can ask of the evaluator: a ``count`` or
``for_each`` of heavy attributes, nested ``for`` expressions over ranges, large strings (``format``
padding, ``join``, ``replace``, ``strrev``), templates nested deeply or doubling through locals, and
module fan-out. Each case is a tree written to a temporary directory and checked by ``ttgate check``
(every report format rendered) in a forked child with the default policy: the parent reads the
child's wall time, CPU time and peak memory (``os.wait4``'s resource usage), so every case is measured
alone.
A case fails when it exits 3, runs over ``--timeout`` seconds (default 30) or over ``--memory`` MiB
(default 2048):

    PYTHONPATH=src .venv/bin/python benchmarks/fuzz_work.py --cases 10000 [--seed 1]
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Sizes drawn for the loops: most small, some at and past the bounds.
SIZES = [1, 2, 10, 40, 100, 300, 1000, 1024, 5000, 10_000, 100_000]
# An address-space limit for the child, above the 2 GiB a case may use: a runaway is stopped, not the
# machine.
_ADDRESS_SPACE = 4 << 30


def _size(rng: random.Random) -> int:
    return rng.choice(SIZES)


def heavy(rng: random.Random, depth: int = 0) -> str:
    """An expression that does much work for its text."""
    a, b = _size(rng), _size(rng)
    width = rng.choice([10, 1000, 100_000, 2_000_000, 999_999_999])
    choices = [
        f"length([for a in range({a}) : [for b in range({b}) : a]])",
        f"length(flatten([for a in range({a}) : [for b in range({b}) : [a, b]]]))",
        f'length(format("%{width}s", ""))',
        f'length(join("", [for i in range({a}) : "{"x" * rng.choice([1, 100, 10_000])}"]))',
        f'length(replace(format("%{width}s", ""), " ", "xxxxxxxxxx"))',
        f'length(strrev(format("%{width}s", "")))',
        f"length(setproduct(range({min(a, 1024)}), range({min(b, 1024)})))",
        f"length(jsonencode([for a in range({a}) : {{ k = a, v = tostring(a) }}]))",
        "TEMPLATE",
        f"sum([for a in range({a}) : a])",
    ]
    text = rng.choice(choices)
    if text == "TEMPLATE":  # a template nested n deep: "${"${"x"}"}"
        levels = rng.choice([1, 10, 100, 500])
        text = "length(" + '"${' * levels + '"x"' + '}"' * levels + ")"
    if depth < 1 and rng.random() < 0.2:
        text = f"{text} + {heavy(rng, depth + 1)}"
    return text


def doubling_locals(rng: random.Random) -> str:
    """Locals that double a string (or a list) at each level."""
    levels = rng.choice([5, 20, 40, 64])
    lines = ['  d0 = "x"'] if rng.random() < 0.5 else ["  d0 = [1]"]
    string = lines[0].endswith('"x"')
    for level in range(1, levels):
        previous = f"local.d{level - 1}"
        body = f'"${{{previous}}}${{{previous}}}"' if string else f"concat({previous}, {previous})"
        lines.append(f"  d{level} = {body}")
    return "locals {\n" + "\n".join(lines) + "\n}\n"


def case(rng: random.Random) -> dict[str, str]:
    """The files of one case."""
    meta = rng.choice(["count", "for_each", "none", "module"])
    instances = rng.choice([1, 3, 40, 1000, 10_000, 100_000])
    attribute = heavy(rng)
    files: dict[str, str] = {}
    if meta == "count":
        head = f"  count = {instances}\n"
    elif meta == "for_each":
        head = f"  for_each = toset([for i in range({min(instances, 1024)}) : tostring(i)])\n"
    else:
        head = ""
    body = f'  name = "q-${{{attribute}}}"\n  visibility_timeout_seconds = {heavy(rng)}\n'
    queue = f'resource "aws_sqs_queue" "q" {{\n{head}{body}}}\n'
    if meta == "module":
        files["modules/m/main.tf"] = queue
        files["main.tf"] = f'module "m" {{\n  source = "./modules/m"\n  count = {instances}\n}}\n'
    else:
        files["main.tf"] = queue
    if rng.random() < 0.3:
        used = f"local.d{rng.choice([4, 19])}"
        reader = f'resource "aws_cloudwatch_log_group" "g" {{\n  name = "${{length({used})}}"\n}}\n'
        files["locals.tf"] = doubling_locals(rng) + (reader if rng.random() < 0.5 else "")
    return files


def cases(count: int, seed: int) -> Iterator[tuple[int, dict[str, str]]]:
    for index in range(count):
        yield index, case(random.Random(f"{seed}:{index}"))


@dataclass
class Outcome:
    code: int  # the exit code (-N: killed by signal N)
    seconds: float  # wall time
    cpu: float  # user + system time: on a shared machine, the steadier number
    peak_mib: int


def _child(directory: Path, timeout: int) -> None:
    """The forked child: check the tree as `ttgate check` does, every format written; exit with its code."""
    resource.setrlimit(resource.RLIMIT_AS, (_ADDRESS_SPACE, _ADDRESS_SPACE))
    signal.alarm(timeout + 5)  # past it, the parent counts a timeout anyway
    from ttgate.cli import main
    from ttgate.gate.reporters import FORMATS

    formats = [item for name in FORMATS for item in ("--format", f"{name}:{directory / ('report.' + name)}")]
    arguments = ["check", str(directory / "tree"), "--no-cache", "--fail-on", "never", *formats]
    code = 3
    try:
        main(arguments, standalone_mode=True)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 3
    except BaseException:  # anything uncaught is an internal error
        code = 3
    os._exit(code)


def run_case(files: dict[str, str], timeout: int) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="fuzz-work-") as workdir:
        root = Path(workdir)
        for name, text in files.items():
            path = root / "tree" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            _child(root, timeout)
        _, status, usage = os.wait4(pid, 0)
        seconds = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        return Outcome(code, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=int, default=0, help="skip the cases before this index")
    parser.add_argument("--timeout", type=int, default=30, help="seconds a case may take")
    parser.add_argument("--memory", type=int, default=2048, help="MiB a case may use")
    parser.add_argument("--every", type=int, default=100, help="print progress every this many cases")
    arguments = parser.parse_args(argv)
    import ttgate.cli  # noqa: F401 - loaded once, before the children fork

    codes: collections.Counter[int] = collections.Counter()
    failures: list[tuple[int, str]] = []
    slowest = (0.0, -1)
    busiest = (0.0, -1)
    largest = (0, -1)
    over_30 = [0, 0]  # cases over 30 s of wall time, of CPU time
    began = time.perf_counter()
    for index, files in cases(arguments.cases, arguments.seed):
        if index < arguments.start:
            continue
        outcome = run_case(files, arguments.timeout)
        codes[outcome.code] += 1
        slowest = max(slowest, (outcome.seconds, index))
        busiest = max(busiest, (outcome.cpu, index))
        over_30[0] += outcome.seconds > 30
        over_30[1] += outcome.cpu > 30
        largest = max(largest, (outcome.peak_mib, index))
        if outcome.code not in (0, 1, 2):
            failures.append((index, f"exit {outcome.code}"))
        elif outcome.seconds > arguments.timeout:
            failures.append((index, f"{outcome.seconds:.1f} s"))
        elif outcome.peak_mib > arguments.memory:
            failures.append((index, f"{outcome.peak_mib} MiB"))
        if (index + 1) % arguments.every == 0:
            print(
                f"{index + 1} cases, {time.perf_counter() - began:.0f} s: exits "
                f"{dict(sorted(codes.items()))}, slowest {slowest[0]:.1f} s (case {slowest[1]}), most CPU "
                f"{busiest[0]:.1f} s (case {busiest[1]}), "
                f"largest {largest[0]} MiB (case {largest[1]}), over 30 s wall/CPU {over_30}, "
                f"{len(failures)} failures",
                flush=True,
            )
    print(
        f"done: {sum(codes.values())} cases in {time.perf_counter() - began:.0f} s; exits "
        f"{dict(sorted(codes.items()))}; slowest {slowest[0]:.1f} s (case {slowest[1]}); most CPU "
        f"{busiest[0]:.1f} s (case {busiest[1]}); largest "
        f"{largest[0]} MiB (case {largest[1]}); over 30 s wall/CPU {over_30}; failures {len(failures)}"
    )
    for index, what in failures[:20]:
        print(f"  case {index}: {what}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
