"""Fuzz the run's work budget: heavy configurations must end in a report inside 30 s and 2 GiB.

Seeded, reproducible cases of the work a pull request can ask of the evaluator: a ``count`` or
``for_each`` of heavy attributes, nested ``for`` expressions over ranges, large strings (``format``
padding, ``join``, ``replace``, ``strrev``), templates nested deeply or doubling through locals, and
module fan-out. Each case is a tree written to a temporary directory and checked by ``ttgate check``
(every report format rendered) in a forked child with the packaged policy (most cases with a smaller
step budget, see ``SMALL_BUDGET_STEPS``): the parent reads the
child's wall time, CPU time and peak memory (``os.wait4``'s resource usage), so every case is measured
alone.
A case fails when it exits 3, uses over ``--timeout`` CPU seconds (default 30; wall time is reported
beside it, but under ``nice`` on a shared machine it measures the other jobs) or over ``--memory`` MiB
(default 2048). ``--results`` keeps one JSON line per case, ``--start`` continues a run:

    PYTHONPATH=src .venv/bin/python benchmarks/fuzz_work.py --cases 10000 [--seed 1]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

# Sizes drawn for the loops, by how heavy the case is: most configurations loop over a few items, some
# over thousands, and a steady share asks for far more than the budget (see `_WEIGHTS`).
SIZES = {
    "light": [1, 2, 3, 10, 40, 100],
    "heavy": [100, 300, 1000, 1024, 5000],
    "extreme": [1024, 5000, 10_000, 100_000],
}
WIDTHS = {
    "light": [1, 10, 100, 1000],
    "heavy": [1000, 100_000],
    "extreme": [100_000, 2_000_000, 999_999_999],
}
INSTANCES = {"light": [1, 2, 3, 10], "heavy": [40, 100, 1000], "extreme": [1000, 10_000, 100_000]}
# Shares of light, heavy and extreme cases.
_WEIGHTS = {"light": 0.6, "heavy": 0.25, "extreme": 0.15}
# Every kind of heavy construct, drawn evenly.
KINDS = (
    "nested_for",
    "flatten",
    "format_pad",
    "join",
    "replace",
    "strrev",
    "setproduct",
    "jsonencode",
    "template",
    "sum",
)
# Most cases run with a twentieth of the default step budget (a repository's .ttgate.yml may set it so): what
# the budget cuts and how it is reported are the same, it only trips twenty times sooner, so a case that
# spends it costs well under a second rather than four to twenty. A steady share keeps the default
# budget, and with it the CPU-time backstop (20 s), which only such a case can reach.
SMALL_BUDGET_STEPS = 250_000
DEFAULT_BUDGET_SHARE = 0.02
# Wall-clock seconds after which a child is taken for hung (it is killed, and counted as a failure).
_HANG_SECONDS = 600
# An address-space limit for the child, above the 2 GiB a case may use: a runaway is stopped, not the
# machine.
_ADDRESS_SPACE = 4 << 30


def weight(rng: random.Random) -> str:
    return rng.choices(list(_WEIGHTS), weights=list(_WEIGHTS.values()))[0]


def heavy(rng: random.Random, level: str = "extreme", depth: int = 0) -> str:
    """An expression that does much work for its text, sized by ``level``."""
    a, b = rng.choice(SIZES[level]), rng.choice(SIZES[level])
    width = rng.choice(WIDTHS[level])
    kind = rng.choice(KINDS)
    if kind == "nested_for":
        text = f"length([for a in range({a}) : [for b in range({b}) : a]])"
    elif kind == "flatten":
        text = f"length(flatten([for a in range({a}) : [for b in range({b}) : [a, b]]]))"
    elif kind == "format_pad":
        text = f'length(format("%{width}s", ""))'
    elif kind == "join":
        text = f'length(join("", [for i in range({a}) : "{"x" * rng.choice([1, 100, 10_000])}"]))'
    elif kind == "replace":
        text = f'length(replace(format("%{width}s", ""), " ", "xxxxxxxxxx"))'
    elif kind == "strrev":
        text = f'length(strrev(format("%{width}s", "")))'
    elif kind == "setproduct":
        text = f"length(setproduct(range({min(a, 1024)}), range({min(b, 1024)})))"
    elif kind == "jsonencode":
        text = f"length(jsonencode([for a in range({a}) : {{ k = a, v = tostring(a) }}]))"
    elif kind == "template":  # a template nested n deep: "${"${"x"}"}"
        levels = rng.choice({"light": [1, 10], "heavy": [10, 100], "extreme": [100, 500]}[level])
        text = "length(" + '"${' * levels + '"x"' + '}"' * levels + ")"
    else:
        text = f"sum([for a in range({a}) : a])"
    if depth < 1 and rng.random() < 0.2:
        text = f"{text} + {heavy(rng, level, depth + 1)}"
    return text


def doubling_locals(rng: random.Random, level: str) -> tuple[str, int]:
    """Locals that double a string (or a list) at each level."""
    levels = rng.choice({"light": [5, 10], "heavy": [20, 24], "extreme": [40, 64]}[level])
    lines = ['  d0 = "x"'] if rng.random() < 0.5 else ["  d0 = [1]"]
    string = lines[0].endswith('"x"')
    for level in range(1, levels):
        previous = f"local.d{level - 1}"
        body = f'"${{{previous}}}${{{previous}}}"' if string else f"concat({previous}, {previous})"
        lines.append(f"  d{level} = {body}")
    return "locals {\n" + "\n".join(lines) + "\n}\n", levels


def case(rng: random.Random) -> dict[str, str]:
    """The files of one case."""
    level = weight(rng)
    meta = rng.choice(["count", "for_each", "none", "module"])
    instances = rng.choice(INSTANCES[level])
    attribute = heavy(rng, level)
    files: dict[str, str] = {}
    if meta == "count":
        head = f"  count = {instances}\n"
    elif meta == "for_each":
        head = f"  for_each = toset([for i in range({min(instances, 1024)}) : tostring(i)])\n"
    else:
        head = ""
    body = f'  name = "q-${{{attribute}}}"\n  visibility_timeout_seconds = {heavy(rng, level)}\n'
    queue = f'resource "aws_sqs_queue" "q" {{\n{head}{body}}}\n'
    if meta == "module":
        files["modules/m/main.tf"] = queue
        files["main.tf"] = f'module "m" {{\n  source = "./modules/m"\n  count = {instances}\n}}\n'
    else:
        files["main.tf"] = queue
    if rng.random() < 0.3:
        text, levels = doubling_locals(rng, level)
        used = f"local.d{rng.choice([levels // 4, levels - 1])}"
        reader = f'resource "aws_cloudwatch_log_group" "g" {{\n  name = "${{length({used})}}"\n}}\n'
        files["locals.tf"] = text + (reader if rng.random() < 0.5 else "")
    if rng.random() >= DEFAULT_BUDGET_SHARE:
        files[".ttgate.yml"] = f"rules:\n  TG000:\n    evaluation_steps: {SMALL_BUDGET_STEPS}\n"
    return files


def _level(files: dict[str, str]) -> str:
    """Which budget the case ran with (the default, or the small one of most cases)."""
    return "small-budget" if ".ttgate.yml" in files else "default-budget"


def cases(count: int, seed: int) -> Iterator[tuple[int, dict[str, str]]]:
    for index in range(count):
        yield index, case(random.Random(f"{seed}:{index}"))


@dataclass
class Outcome:
    code: int  # the exit code (-N: killed by signal N)
    seconds: float  # wall time
    cpu: float  # user + system time: on a shared machine, the steadier number
    peak_mib: int


def _arguments(directory: Path) -> list[str]:
    from ttgate.gate.reporters import FORMATS

    formats = [item for name in FORMATS for item in ("--format", f"{name}:{directory / ('report.' + name)}")]
    return ["check", str(directory / "tree"), "--no-cache", "--fail-on", "never", *formats]


def _check(directory: Path) -> int:
    """``ttgate check`` of the tree, every format written: its exit code (3 for anything uncaught)."""
    from ttgate.cli import main

    try:
        main(_arguments(directory), standalone_mode=True)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 3
    except BaseException:  # anything uncaught is an internal error
        return 3
    return 0


def preload() -> None:
    """Everything a case needs that is the same for every case, done once before the children fork:
    the modules imported, the grammar built, the packaged policy read (one small case checked here)."""
    with tempfile.TemporaryDirectory(prefix="fuzz-work-") as workdir:
        root = Path(workdir)
        _write(root, {"main.tf": 'resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n'})
        devnull = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(1), os.dup(2)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            code = _check(root)
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(devnull)
    if code != 0:  # a setup that fails every case (no packaged policy, say) must not pass for a result
        raise SystemExit(f"a plain case does not pass (exit {code}): the fuzzer cannot run")


def _child(directory: Path, timeout: int) -> None:
    """The forked child: check the tree as `ttgate check` does, every format written; exit with its code."""
    resource.setrlimit(resource.RLIMIT_AS, (_ADDRESS_SPACE, _ADDRESS_SPACE))
    # CPU seconds are the limit: under `nice -n 19` on a shared machine a case may wait far longer than
    # it runs. The wall-clock alarm only catches a child that hangs without using the CPU.
    resource.setrlimit(resource.RLIMIT_CPU, (timeout + 5, timeout + 10))
    signal.alarm(_HANG_SECONDS)
    os._exit(_check(directory))


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / "tree" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run_case(files: dict[str, str], timeout: int) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="fuzz-work-") as workdir:
        root = Path(workdir)
        _write(root, files)
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
    parser.add_argument("--timeout", type=int, default=30, help="CPU seconds a case may take")
    parser.add_argument("--memory", type=int, default=2048, help="MiB a case may use")
    parser.add_argument("--every", type=int, default=100, help="print progress every this many cases")
    parser.add_argument("--results", type=Path, help="append one JSON line per case to this file")
    arguments = parser.parse_args(argv)
    preload()
    results = arguments.results.open("a", encoding="utf-8") if arguments.results else None

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
        if results is not None:
            record = {"case": index, "seed": arguments.seed, "level": _level(files), **asdict(outcome)}
            results.write(json.dumps(record) + "\n")
            results.flush()
        slowest = max(slowest, (outcome.seconds, index))
        busiest = max(busiest, (outcome.cpu, index))
        over_30[0] += outcome.seconds > 30
        over_30[1] += outcome.cpu > 30
        largest = max(largest, (outcome.peak_mib, index))
        if outcome.code not in (0, 1, 2):
            failures.append((index, f"exit {outcome.code}"))
        elif outcome.cpu > arguments.timeout:
            failures.append((index, f"{outcome.seconds:.1f} s wall, {outcome.cpu:.1f} s CPU"))
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
