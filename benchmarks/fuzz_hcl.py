"""Fuzz ttgate's HCL parsing and evaluation: every case must end in a report, never a crash or a hang.

Three kinds of case, all seeded and reproducible:

- **expressions**: random HCL expressions (numbers at and past a float's range, strings with escapes and
  line separators, function calls with random arguments, operators, for expressions, templates...)
  written as a local that a queue's and a log group's attributes read;
- **mutations**: an example .tf file from ``examples/`` with random edits (cut, duplicate, insert
  hostile snippets such as ``count = 1e309``, unclosed brackets, comment markers, U+2028);
- **odd**: a root stack whose strings (in .tf, .tf.json and terraform.tfvars.json), resource labels,
  file names and directory names hold odd characters and encodings: lone surrogates, tag characters,
  bidi and other invisible formatting characters, C0/C1 controls, bytes that are not UTF-8, workflow
  commands, links, mentions and references. Every format must render, the JSON ones must read back,
  and every output must encode as UTF-8 (what writing it to a terminal or file does).

Each case is written to a temporary directory and checked in-process as ``ttgate check`` does (load,
rules, every report format), under a per-case timeout (SIGALRM) and an address-space limit. The script
prints counts of reports, crashes (exceptions, "please report it" values) and timeouts, and the first
few failures to reproduce:

    PYTHONPATH=src .venv/bin/python benchmarks/fuzz_hcl.py --expressions 10000 --mutations 10000
    PYTHONPATH=src .venv/bin/python benchmarks/fuzz_hcl.py --expressions 0 --mutations 0 --odd 10000
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
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

NUMBERS = [
    "0", "1", "-1", "30", "1.5", "1e3", "1e308", "1e309", "-1e309", "1.7976931348623157e308", "1e-400",
    "4" * 400, "9" * 1300, "1e1300", "0.1", "1209600", "345600", "9007199254740993",
]  # fmt: skip
STRINGS = [
    '""', '"a"', '"nan"', '"inf"', '"-inf"', '"1e309"', '"30"', '"true"', '"# ttgate:ignore TG201 x"',
    '"\\u2028"', '"x\u2028y"', '"\\n"', '"${"', '"$${x}"', '"%%{x}"', '"\\\\"', '"(a+)+$"', '"/(a|aa)+$/"',
    '"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"', '"arn:aws:sqs:eu-west-1:123456789012:q"', '"%999999999d"',
    '"é"', '"\\U0001F600"',
]  # fmt: skip
NAMES = ["var.x", "local.y", "each.key", "count.index", "aws_sqs_queue.q.arn", "path.module", "nope"]
FUNCTIONS = [
    "abs", "ceil", "floor", "max", "min", "pow", "log", "signum", "parseint", "sum", "tonumber",
    "tostring", "tobool", "tolist", "toset", "tomap", "format", "formatlist", "join", "split", "replace",
    "regex", "regexall", "substr", "strrev", "indent", "upper", "lower", "title", "trim", "trimspace",
    "length", "range", "setproduct", "concat", "flatten", "distinct", "sort", "reverse", "keys", "values",
    "lookup", "element", "merge", "zipmap", "chunklist", "slice", "coalesce", "coalescelist", "compact",
    "contains", "index", "jsonencode", "jsondecode", "yamlencode", "yamldecode", "base64encode",
    "base64decode", "urlencode", "cidrsubnet", "cidrhost", "cidrsubnets", "try", "can", "one", "sum",
    "transpose", "setunion", "setproduct", "matchkeys", "startswith", "endswith", "strcontains", "md5",
    "sha256", "uuidv5", "timeadd", "formatdate", "nope", "provider::aws::arn_parse",
]  # fmt: skip
OPERATORS = ["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"]
SNIPPETS = [
    "{", "}", "[", "]", "(", ")", '"', "${", "%{", "~}", "<<EOT\n", "\nEOT\n", "#", "//", "/*", "*/",
    "# ttgate:ignore TG201 reason\n", "\u2028", "\f", "\r\n", "\x00", "\ufeff", "...", "=>", "?", ":",
    "\ncount = 1e309\n", '\ncount = "nan"\n', "\ncount = 100000000\n", "\nfor_each = toset(range(1000))\n",
    "\n" + "(" * 300 + "1" + ")" * 300 + "\n", '\nsource = "./"\n', "\ndynamic \"x\" {\nfor_each = 3\n}\n",
    "\nmodule \"m\" {\nsource = \"./\"\ncount = 1000\n}\n", " = ", "1e309", "-", "!", "null",
]  # fmt: skip


# Characters issue 18 found harmful or that must come out inert, and a few ordinary ones around them.
ODD_CHARACTERS = [
    "\ud800", "\udfff", "\udcff", "\U000e0041", "\U000e007f", "\U000e0001", "\u00ad", "\u180e",
    "\ufff9", "\ufffb", "\u202e", "\u2066", "\u061c", "\u200b", "\u200d", "\u2060", "\ufeff", "\ufe0f",
    "\u2028", "\u2029", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\t", "\n", "\r", "é", "ß",
    "\U0001f600", "\u0301", "\uffff", "\U0010ffff", "a", "-", "_", "/", ".", ":", "%", "$", "{", "}",
    '"', "\\", "`", "<", ">", "|", "*", "[", "]", "#", "@", "!", "&",
]  # fmt: skip
ODD_WORDS = [
    "::error::x", "##[error]x", "@octocat", "@org/team", "octo-org/infra#1234", "#1", "GH-12",
    "https://evil.example/x", "www.evil.example", "mailto:a@evil.example", "[x](https://evil.example)",
    "<img src=x onerror=alert(1)>", "<!-- x -->", "${", "%{", "$${x}", "%%{x}", "\x1b]0;title\x07",
    "\x1b[2J", "a" * 300, "tt-practice-dev-q-queue", "", " ",
]  # fmt: skip
# Bytes of file and directory names: any but "/" and NUL, so also bytes that are not UTF-8.
ODD_NAME_BYTES = [
    b"\xff", b"\xfe", b"\xc3", b"\xed\xa0\x80", b"\x80", "é".encode(), "\u202e".encode(),
    "\U000e0041".encode(), "\u00ad".encode(), b"\n", b"\r", b"\t", b"\x1b[2J", b"::error::n", b"##[x]",
    b"#1", b"@u", b" ", b"-", b"a", b"%41", b"%{", b"${", b"`", b"|", b"*", b"[x](y)", b"\\",
]  # fmt: skip


def odd_text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 6)):
        parts.append(rng.choice(ODD_CHARACTERS) if rng.random() < 0.7 else rng.choice(ODD_WORDS))
    return "".join(parts)


def hcl_string(text: str, rng: random.Random) -> str:
    """``text`` as an HCL string literal: raw where HCL allows, else (or at random) as an escape."""
    out = []
    for char in text:
        code = ord(char)
        raw_ok = char not in '"\\\n\r' and not 0xD800 <= code <= 0xDFFF and code >= 0x20
        if raw_ok and rng.random() < 0.7:
            out.append(char.replace("${", "$${"))
        elif char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def odd_name(rng: random.Random) -> bytes:
    name = b"".join(rng.choice(ODD_NAME_BYTES) for _ in range(rng.randint(1, 4)))
    return name if name not in (b".", b"..") and not name.startswith(b".") else b"x" + name


ODD_BACKEND = """terraform {
  backend "s3" {
    key    = "infra/terraform.tfstate"
    region = "ap-southeast-1"
  }
}
provider "aws" {
  region = "ap-southeast-1"
}
"""


def odd_case(rng: random.Random) -> dict[bytes, bytes]:
    """A tree (relative byte paths to contents) of root stacks whose strings and names are odd."""
    stack = b"practice/deploy/20_infra/environments/dev/"
    label = odd_text(rng) if rng.random() < 0.3 else "q"
    main = (
        'variable "queue_name" {\n  default = "q"\n}\n'
        f'resource "aws_sqs_queue" {hcl_string(label, rng)} {{\n'
        f"  name = {hcl_string(odd_text(rng), rng)}\n"
        f"  tags = {{ note = {hcl_string(odd_text(rng), rng)} }}\n}}\n"
        'resource "aws_sqs_queue" "from_var" {\n  name = var.queue_name\n}\n'
        'resource "aws_cloudwatch_log_group" "l" {\n'
        f"  name = {hcl_string(odd_text(rng), rng)}\n  retention_in_days = 3\n}}\n"
        f"# ttgate:ignore TG301 {odd_text(rng).replace(chr(10), ' ')}\n"
    )
    tree = {
        stack + b"backend.tf": ODD_BACKEND.encode(),
        stack + b"main.tf": main.encode("utf-8", "surrogatepass"),
        stack + b"json.tf.json": json.dumps(
            {"resource": {"aws_sqs_queue": {"j": {"name": odd_text(rng)}}}}
        ).encode(),
        stack + b"terraform.tfvars.json": json.dumps({"queue_name": odd_text(rng)}).encode(),
    }
    # A stack in an odd directory, with an odd file name, and a file name with odd bytes beside it.
    directory = b"practice/deploy/20_infra/environments/" + odd_name(rng) + b"/"
    tree[directory + b"backend.tf"] = ODD_BACKEND.encode()
    tree[directory + odd_name(rng) + b".tf"] = main.encode("utf-8", "surrogatepass")
    tree[stack + odd_name(rng) + b".tf"] = b'resource "aws_sqs_queue" "n" {\n  name = "bad_name"\n}\n'
    if rng.random() < 0.2:
        tree[stack + b"raw.tf"] = b'locals {\n  x = "' + rng.choice(ODD_NAME_BYTES) + b'"\n}\n'
    return tree


def check_tree(tree: dict[bytes, bytes], timeout: int) -> Outcome:
    """Check a tree as `ttgate check` does: every format rendered, JSON read back, UTF-8 encodable."""
    from ttgate.errors import UserError
    from ttgate.gate.reporters import FORMATS
    from ttgate.gate.run import check_inputs, run_gate

    with tempfile.TemporaryDirectory(prefix="ttgate-fuzz-") as directory:
        root = os.fsencode(directory)
        for relative, data in tree.items():
            path = os.path.join(root, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(data)
        # CPU time, not wall time: on a shared machine the wall clock measures the other jobs.
        previous = signal.signal(signal.SIGPROF, _on_alarm)
        signal.setitimer(signal.ITIMER_PROF, timeout)
        try:
            report = run_gate(
                check_inputs([Path(directory)], [], []), root=None, policy_file=None, cache=False, jobs=1
            )
            rendered = {name: render(report, False) for name, render in FORMATS.items()}
            for name, text in rendered.items():
                text.encode("utf-8")  # what printing it or writing it to a file does
                if name in ("json", "sarif"):
                    json.loads(text)
        except _Timeout:
            return Outcome("timeout")
        except UserError as error:
            return Outcome("error", str(error))
        except BaseException as error:  # counting every crash, MemoryError included, is the point
            return Outcome("crash", f"{type(error).__name__}: {error}"[:300])
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous)
    return Outcome("report")


def _load_the_policy_once() -> None:
    """Odd cases all use the built-in policy: read it once (a third of a small case's time is YAML)."""
    from typing import Any

    import ttgate.policy

    load = ttgate.policy.load_policy
    loaded: list[Any] = []

    def once(*args: Any, **kwargs: Any) -> Any:
        if not loaded:
            loaded.append(load(*args, **kwargs))
        return loaded[0]

    ttgate.policy.load_policy = once


def odd_cases(count: int, seed: int) -> Iterator[tuple[int, dict[bytes, bytes]]]:
    rng = random.Random(f"odd:{seed}")
    for index in range(count):
        yield index, odd_case(rng)


def expression(rng: random.Random, depth: int = 0) -> str:
    """A random HCL expression; deeper ones are mostly leaves so that most cases stay small."""
    if depth > 4 or rng.random() < 0.3:
        return rng.choice([rng.choice(NUMBERS), rng.choice(STRINGS), rng.choice(NAMES), "true", "null"])
    kind = rng.randrange(9)
    inner = lambda: expression(rng, depth + 1)  # noqa: E731
    if kind == 0:
        return f"{inner()} {rng.choice(OPERATORS)} {inner()}"
    if kind == 1:
        arguments = ", ".join(inner() for _ in range(rng.randrange(4)))
        return f"{rng.choice(FUNCTIONS)}({arguments}{'...' if rng.random() < 0.05 else ''})"
    if kind == 2:
        return f"[{', '.join(inner() for _ in range(rng.randrange(4)))}]"
    if kind == 3:
        return "{" + ", ".join(f"k{index} = {inner()}" for index in range(rng.randrange(4))) + "}"
    if kind == 4:
        return f"{inner()} ? {inner()} : {inner()}"
    if kind == 5:
        if rng.random() < 0.5:
            return f"[for i, v in {inner()} : {inner()} if {inner()}]"
        return f"{{for k, v in {inner()} : tostring(k) => {inner()}{'...' if rng.random() < 0.3 else ''}}}"
    if kind == 6:
        return f'"pre-${{{inner()}}}-%{{ if {inner()} }}a%{{ else }}b%{{ endif }}"'
    if kind == 7:
        return f"{inner()}[{inner()}]" if rng.random() < 0.5 else f"{inner()}[*].a"
    return f"{rng.choice('-!')}{inner()}"


def expression_case(rng: random.Random) -> str:
    """The expression as a local that a queue, and the count, for_each and dynamic blocks of others, read."""
    value = expression(rng)
    return (
        'provider "aws" {\n  region = "eu-west-1"\n}\n'
        f"locals {{\n  y = 3\n  x = {value}\n}}\n"
        'variable "x" {\n  default = 30\n}\n'
        'resource "aws_sqs_queue" "q" {\n  name = "q"\n  visibility_timeout_seconds = local.x\n'
        "  message_retention_seconds = local.x\n"
        "  redrive_policy = jsonencode({ maxReceiveCount = local.x })\n}\n"
        'resource "aws_cloudwatch_log_group" "l" {\n  name = "g"\n  retention_in_days = local.x\n'
        "  count = local.x\n}\n"
        'resource "aws_sqs_queue" "each" {\n  for_each = local.x\n  name = each.key\n}\n'
        'resource "aws_s3_bucket_lifecycle_configuration" "b" {\n  bucket = "b"\n'
        '  dynamic "rule" {\n    for_each = local.x\n    content {\n      id = rule.key\n    }\n  }\n}\n'
        'module "m" {\n  source = "./"\n  count = local.x\n}\n'
    )


def mutation_case(rng: random.Random, sources: list[str]) -> str:
    text = rng.choice(sources)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(text) + 1)
        end = min(len(text), at + rng.randrange(40))
        edit = rng.randrange(5)
        if edit == 0:
            text = text[:at] + text[end:]
        elif edit == 1:
            text = text[:end] + text[at:end] + text[end:]
        elif edit == 2:
            text = text[:at] + rng.choice(SNIPPETS) + text[at:]
        elif edit == 3:
            text = text[:at] + rng.choice(NUMBERS + STRINGS) + text[end:]
        else:
            text = text[:at] + expression(rng, 3) + text[at:]
    return text


def example_sources() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.rglob("*.tf"))]


@dataclass
class Outcome:
    kind: str  # report, error (a user error: exit 2), crash, timeout
    detail: str = ""


class _Timeout(BaseException):
    """Raised by the alarm: a BaseException, so no `except Exception` in ttgate swallows it."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise _Timeout


def check_text(text: str, timeout: int) -> Outcome:
    """Check one main.tf as `ttgate check` does, every report format rendered."""
    from ttgate.errors import UserError
    from ttgate.gate.reporters import FORMATS
    from ttgate.gate.run import check_inputs, run_gate

    with tempfile.TemporaryDirectory(prefix="ttgate-fuzz-") as directory:
        root = Path(directory)
        (root / "main.tf").write_text(text, encoding="utf-8", errors="surrogatepass")
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(timeout)
        try:
            report = run_gate(check_inputs([root], [], []), root=None, policy_file=None, cache=False, jobs=1)
            rendered = [render(report, False) for render in FORMATS.values()]
        except _Timeout:
            return Outcome("timeout")
        except UserError as error:
            return Outcome("error", str(error))
        except BaseException as error:  # counting every crash, MemoryError included, is the point
            return Outcome("crash", f"{type(error).__name__}: {error}"[:300])
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    if any("please report it" in text for text in rendered):
        return Outcome("crash", "a value says 'please report it'")
    return Outcome("report")


def cases(kind: str, count: int, seed: int) -> Iterator[tuple[int, str]]:
    rng = random.Random(f"{kind}:{seed}")
    sources = example_sources() if kind == "mutation" else []
    for index in range(count):
        yield index, expression_case(rng) if kind == "expression" else mutation_case(rng, sources)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--expressions", type=int, default=10_000)
    parser.add_argument("--mutations", type=int, default=10_000)
    parser.add_argument("--odd", type=int, default=0, help="cases of odd characters in strings and names")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=20, help="seconds per case")
    parser.add_argument("--memory-gb", type=float, default=3.0, help="address-space limit of this process")
    args = parser.parse_args(argv)
    if args.odd and not (args.expressions or args.mutations):
        _load_the_policy_once()
    limit = int(args.memory_gb * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    failures: list[tuple[str, int, Outcome]] = []
    for kind, count in (("expression", args.expressions), ("mutation", args.mutations), ("odd", args.odd)):
        counts: collections.Counter[str] = collections.Counter()
        slowest = slowest_cpu = 0.0
        start = time.perf_counter()
        generated = (
            ((index, tree) for index, tree in odd_cases(count, args.seed))
            if kind == "odd"
            else cases(kind, count, args.seed)
        )
        for index, case in generated:
            began = time.perf_counter()
            cpu = time.process_time()
            outcome = (
                check_tree(case, args.timeout) if isinstance(case, dict) else check_text(case, args.timeout)
            )
            slowest = max(slowest, time.perf_counter() - began)
            slowest_cpu = max(slowest_cpu, time.process_time() - cpu)
            counts[outcome.kind] += 1
            if outcome.kind in ("crash", "timeout"):
                failures.append((kind, index, outcome))
                print(f"  {kind} #{index} (--seed {args.seed}): {outcome.kind} {outcome.detail}", flush=True)
            if (index + 1) % 250 == 0:
                print(f"  {kind} {index + 1}: {dict(counts)}, slowest {slowest_cpu:.2f} s CPU", flush=True)
        elapsed = time.perf_counter() - start
        if count:
            print(
                f"{kind}s: {count} cases in {elapsed:.0f} s (slowest {slowest:.2f} s, "
                f"{slowest_cpu:.2f} s of CPU time): "
                + ", ".join(f"{name} {counts[name]}" for name in ("report", "error", "crash", "timeout"))
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the process (every case): {peak:.0f} MiB")
    for kind, index, outcome in failures[:20]:
        print(f"  {kind} #{index} (--seed {args.seed}): {outcome.kind} {outcome.detail}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
