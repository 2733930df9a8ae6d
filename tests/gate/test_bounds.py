"""Hostile input, bounded: caches hold data, numbers never overflow, expansion and regexes stay linear."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.helpers import check, load, write_tree
from ttgate.cli import main
from ttgate.gate.hcl import bounds, parse_budget, run_budget
from ttgate.gate.hcl.bounds import MAX_FILE_BYTES
from ttgate.gate.hcl.evaluate import Evaluator, Trace
from ttgate.gate.hcl.parse import Parser, parse_text
from ttgate.gate.plan import read
from ttgate.gate.reporters import FORMATS
from ttgate.gate.rules import tg000_parse_error as tg000
from ttgate.gate.values import Invalid, Unknown

PROVIDER = 'provider "aws" {\n  region = "eu-west-1"\n}\n'
SOURCE = b'resource "aws_sqs_queue" "q" {\n  visibility_timeout_seconds = 30\n}\n'


def _parse(cache: Path) -> Parser:
    parser = Parser(cache, jobs=1)
    parser.parse_many([(Path("main.tf"), SOURCE)])
    return parser


# --- caches -------------------------------------------------------------------------------------


class _Explode:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch /nonexistent-ttgate-pwned",))


def test_parse_cache_entries_are_json_and_a_planted_pickle_is_never_loaded(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _parse(cache)
    entries = [path for path in cache.rglob("*") if path.is_file() and not path.name.startswith("grammar")]
    assert entries and all(path.suffix == ".json" for path in entries)
    for entry in entries:
        json.loads(entry.read_text(encoding="utf-8"))
        entry.write_bytes(pickle.dumps(_Explode()))
    parser = _parse(cache)
    assert parser.hits == 0


@pytest.mark.parametrize(
    "content",
    [b"", b"{}", b"[1, 2]", b'{"node": "os.system", "fields": ["id"]}', b'{"node": "Lit"}', b"\xff" * 10],
)
def test_a_corrupt_or_foreign_cache_entry_is_a_miss(tmp_path: Path, content: bytes) -> None:
    cache = tmp_path / "cache"
    _parse(cache)
    for entry in cache.rglob("*.json"):
        if not entry.name.startswith("grammar"):
            entry.write_bytes(content)
    parser = _parse(cache)
    assert parser.hits == 0 and parser.misses == 1


def test_cache_round_trip_gives_the_same_tree(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    text = (Path(__file__).resolve().parents[2] / "examples").rglob("*.tf")
    contents = [(path, path.read_bytes()) for path in sorted(text)]
    first = Parser(cache, jobs=1).parse_many(contents)
    again = Parser(cache, jobs=1)
    second = again.parse_many(contents)
    assert again.hits == len(contents)
    assert second == first


def test_cache_directory_is_private_to_the_user(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _parse(cache)
    for directory in [cache, *(path for path in cache.rglob("*") if path.is_dir())]:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_a_cache_directory_others_can_write_is_not_used(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    _parse(cache)
    assert not list(cache.rglob("*.json"))
    assert _parse(cache).misses == 1


def test_the_grammar_is_not_cached_as_a_pickle_in_the_temporary_directory() -> None:
    from ttgate.gate.hcl import grammar

    # Lark's own cache is a pickle at a predictable path in the shared temporary directory.
    assert grammar.lark_parser().options.cache is False


# --- suppressions come from comments, on the parser's lines ------------------------------------


def test_ttgate_ignore_inside_a_string_is_not_a_suppression() -> None:
    text = (
        'locals {\n  note = "# ttgate:ignore TG201 not a comment"\n'
        "  doc = <<EOT\n// ttgate:ignore TG201 x\nEOT\n}\n"
    )
    assert parse_text(text).directives == []


@pytest.mark.parametrize("separator", ["\u2028", "\f", "\x1c", "\x85"])
def test_characters_python_splits_lines_on_do_not_shift_suppression_lines(separator: str) -> None:
    text = f'locals {{\n  a = "x{separator}y"\n}}\n# ttgate:ignore TG201 reason\nresource "a" "b" {{}}\n'
    parsed = parse_text(text)
    assert parsed.body is not None
    assert parsed.directives == [(4, "ttgate:ignore TG201 reason")]
    assert parsed.body.blocks[1].line == 5


def test_crlf_and_block_comments_keep_their_lines() -> None:
    text = (
        "a = 1\r\n/*\r\n text\r\n*/\r\n/* ttgate:ignore TG202 block */\r\n"
        "// ttgate:ignore TG203 slashes\r\nb = 2 # ttgate:ignore TG204 end of line\r\n"
    )
    assert parse_text(text).directives == [
        (5, "ttgate:ignore TG202 block"),
        (6, "ttgate:ignore TG203 slashes"),
        (7, "ttgate:ignore TG204 end of line"),
    ]


def log_group(retention: str) -> str:
    body = f'  name              = "g"\n  retention_in_days = {retention}\n'
    return PROVIDER + 'resource "aws_cloudwatch_log_group" "l" {\n' + body + "}\n"


# --- numbers ---------------------------------------------------------------------------------


def evaluate(text: str) -> Any:
    body = parse_text(f"x = {text}\n").body
    assert body is not None, text
    return Evaluator(_NoNames()).evaluate(body.attributes["x"].expr)


class _NoNames:
    def lookup(self, name: str, trace: Trace) -> Any:
        return Invalid(f"{name} is not declared")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e309", 10**309),
        ("1e309 - 1e309", 0),
        ("ceil(1e309)", 10**309),
        ("4" * 400 + " + 1", int("4" * 399 + "5")),
        ("1.5e309 > 1e308", True),
        ('tonumber("12")', 12),
    ],
)
def test_numbers_beyond_a_float_are_exact_as_in_terraform(text: str, value: Any) -> None:
    assert evaluate(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "1e309 * 1.5",
        "1e309 / 3",
        "1e1300",
        "9" * 2000,
        "1e1000 * 1e1000 * 1e1000",
        'tonumber("1e309") + 1',
        '"nan" + 1',
        '"inf" * 2',
        "pow(10, 400)",
        'parseint("' + "f" * 2000 + '", 16)',
        'jsondecode("[1e999]")',
        'format("%d", 1e1300)',
    ],
)
def test_numbers_out_of_range_are_invalid_with_a_reason(text: str) -> None:
    value = evaluate(text)
    assert isinstance(value, Unknown), (text, value)
    assert "please report it" not in value.reason
    assert "range" in value.reason or "number" in value.reason


# --- expansion -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "setproduct(range(1000), range(1000), range(1000))",
        'format("%999999999d", 1)',
        'format("%.999999999f", 1)',
        'indent(999999999, "a\\nb")',
        'join("", [for i in range(1000) : format("%5000d", i)])',
        'replace(format("%500000s", ""), "/ /", "xxxxxxxxxx")',
        'replace(format("%500000s", ""), " ", "xxxxxxxxxx")',
        pytest.param(
            "[for a in range(1000) : [for b in range(1000) : [for c in range(100) : c]]]",
            marks=pytest.mark.slow,
        ),
        'formatlist("%100000d", range(1000))',
    ],
)
def test_expansion_past_the_bounds_is_unknown_with_a_reason(text: str) -> None:
    value = evaluate(text)
    assert isinstance(value, Unknown) and not isinstance(value, Invalid), (text, value)
    assert "hostile input" in value.reason


def test_catastrophic_backtracking_patterns_run_in_linear_time() -> None:
    text = "a" * 50_000 + "!"
    assert evaluate(f'regexall("(a+)+$", "{text}")') == []
    assert evaluate(f'replace("{text}", "/(a|aa)+$/", "x")') == text
    assert evaluate(r'regex("\\pL+", "héllo")') == "héllo"


def test_doubling_templates_through_locals_stop_at_the_size_bound(tmp_path: Path) -> None:
    locals_ = "".join(f'  l{index + 1} = "${{local.l{index}}}${{local.l{index}}}"\n' for index in range(40))
    write_tree(
        tmp_path, {"main.tf": 'locals {\n  l0 = "aaaaaaaa"\n' + locals_ + "}\n" + log_group("local.l40")}
    )
    messages = [finding.message for finding in check(tmp_path, "TG001")]
    assert len(messages) == 1 and "larger than ttgate evaluates" in messages[0]


def test_a_huge_count_is_one_template_instance_with_a_reason(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": log_group("14").replace('"l" {\n', '"l" {\n  count = 100000000\n')})
    [resource] = load(tmp_path).stacks[0].resources
    assert resource.address == "aws_cloudwatch_log_group.l"
    assert isinstance(resource.present, Unknown) and "more than ttgate expands" in resource.present.reason


def counted_log_group(count: str) -> dict[str, str]:
    return {"main.tf": log_group("14").replace('"l" {\n', f'"l" {{\n  count = {count}\n')}


def test_a_count_beyond_a_float_is_one_template_instance_with_a_reason(tmp_path: Path) -> None:
    write_tree(tmp_path, counted_log_group("1e309"))
    [resource] = load(tmp_path).stacks[0].resources
    assert isinstance(resource.present, Unknown) and "more than ttgate expands" in resource.present.reason
    assert check(tmp_path) == []  # the one instance it checks is fine


@pytest.mark.parametrize("count", ['"nan"', '"inf"', "-1e309"])
def test_a_count_that_is_not_a_whole_number_is_reported_not_a_crash(tmp_path: Path, count: str) -> None:
    write_tree(tmp_path, counted_log_group(count))
    refused = [
        finding for finding in check(tmp_path) if "count must be a whole number" in finding.message.lower()
    ]
    assert [(finding.rule, finding.severity.label) for finding in refused] == [("TG000", "error")], refused
    assert "Terraform refuses to plan this block" in refused[0].message


@pytest.mark.parametrize(
    "total",
    [
        2_000,  # the bound lowered: the same fan-out (1000⁴ instances) stops at the second level, fast
        pytest.param(bounds.MAX_INSTANCES_TOTAL, marks=pytest.mark.slow, id="the-real-bound"),
    ],
)
def test_nested_module_fan_out_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, total: int
) -> None:
    monkeypatch.setattr(bounds, "MAX_INSTANCES_TOTAL", total)
    fan_out = 'module "m" {{\n  source = "../{next}"\n  count = 1000\n}}\n'
    files = {"main.tf": 'module "m" {\n  source = "./a"\n  count = 1000\n}\n'}
    files.update(
        {f"{name}/main.tf": fan_out.format(next=after) for name, after in zip("abc", "bcd", strict=True)}
    )
    files["d/main.tf"] = log_group("14")
    write_tree(tmp_path, files)
    addresses = [resource.address for resource in load(tmp_path).stacks[0].resources]
    assert 0 < len(addresses) <= total


def test_a_module_reached_through_a_symlink_loop_is_recursion_reported_once(tmp_path: Path) -> None:
    module = 'module "left" {\n  source = "./loop"\n}\nmodule "right" {\n  source = "./loop"\n}\n'
    write_tree(tmp_path, {"main.tf": 'module "m" {\n  source = "./mod"\n}\n', "mod/main.tf": module})
    (tmp_path / "mod" / "loop").symlink_to(".")
    messages = [finding.message for finding in check(tmp_path, "TG000")]
    assert len(messages) == 1 and "module recursion" in messages[0]


def test_a_file_past_the_size_bound_is_a_problem_not_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'locals {\n  a = "' + "x" * MAX_FILE_BYTES + '"\n}\n'})
    messages = [finding.message for finding in check(tmp_path, "TG000")]
    assert len(messages) == 1 and "MiB ttgate reads" in messages[0]


def test_a_module_source_too_long_for_the_file_system_is_a_missing_module(tmp_path: Path) -> None:
    # Found by benchmarks/fuzz_hcl.py: Path.is_dir() raises ENAMETOOLONG instead of returning False.
    write_tree(tmp_path, {"main.tf": 'module "m" {\n  source = "./' + "9" * 5000 + '"\n}\n'})
    assert check(tmp_path, "TG000") == []
    messages = [finding.message for finding in check(tmp_path, "TG002")]
    assert len(messages) == 1 and "does not exist" in messages[0] and len(messages[0]) < 400


# --- the run's evaluation budget ------------------------------------------------------------------

# About 20,000 evaluation steps per instance: a heavy attribute, 40 times.
HEAVY = """resource "aws_sqs_queue" "q" {{
  count = {count}
  name  = "q-${{length([for a in range(100) : [for b in range(100) : a]])}}"
}}
"""


def _budget_policy(root: Path, steps: int = 200_000, seconds: int = 600) -> None:
    policy = f"rules:\n  TG000: {{evaluation_steps: {steps}, evaluation_seconds: {seconds}}}\n"
    (root / ".ttgate.yml").write_text(policy, encoding="utf-8")


def _spent(monkeypatch: pytest.MonkeyPatch) -> list[bounds.RunBudget]:
    """The budgets of the runs to come, as they end (what each spent, and what cut it)."""
    budgets: list[bounds.RunBudget] = []
    real = bounds.run_budget

    @contextlib.contextmanager
    def spy(steps: int = bounds.MAX_RUN_STEPS, seconds: float = bounds.MAX_RUN_SECONDS) -> Any:
        with real(steps, seconds) as budget:
            yield budget
        budgets.append(budget)

    monkeypatch.setattr(bounds, "run_budget", spy)
    return budgets


def _names(root: Path) -> list[Any]:
    return [resource.values.get("name") for resource in load(root).stacks[0].resources]


def test_count_of_a_heavy_attribute_shares_one_budget_and_says_what_was_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"main.tf": HEAVY.format(count=40)})
    _budget_policy(tmp_path)
    budgets = _spent(monkeypatch)
    names = _names(tmp_path)
    assert budgets[-1].cut == "steps" and budgets[-1].spent <= 200_000 + 20
    known = [name for name in names if isinstance(name, str)]
    cut = [name for name in names if isinstance(name, Unknown) and name.reason == bounds.RUN_BUDGET_SPENT]
    assert len(names) == 40 and 0 < len(known) < 12 and len(known) + len(cut) == 40
    messages = [finding.message for finding in check(tmp_path, "TG000")]
    assert len(messages) == 1
    assert "evaluation budget ran out (its 200,000 evaluation steps" in messages[0]
    assert '"aws_sqs_queue.q[' in messages[0] and "resource(s) were not evaluated" in messages[0]


def test_ten_thousand_heavy_instances_stop_at_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Main spent 10,000 times an instance's work here (50 minutes at the real size).
    write_tree(tmp_path, {"main.tf": HEAVY.format(count=10_000)})
    _budget_policy(tmp_path)
    budgets = _spent(monkeypatch)
    found = check(tmp_path, "TG000")
    assert budgets[-1].cut == "steps" and budgets[-1].spent <= 200_000 + 10_000 * 4
    assert len(found) == 1 and "9,99" in found[0].message  # 9,99x resources were not evaluated


def test_the_budget_is_run_wide_across_roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {f"root{index}/main.tf": HEAVY.format(count=4) for index in range(6)})
    _budget_policy(tmp_path)
    budgets = _spent(monkeypatch)
    found = check(tmp_path, "TG000")
    assert budgets[-1].cut == "steps" and len(found) == 1


def test_a_configuration_inside_the_budget_spends_it_and_is_not_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"main.tf": HEAVY.format(count=3)})
    _budget_policy(tmp_path)
    budgets = _spent(monkeypatch)
    assert _names(tmp_path) == ["q-100"] * 3 and check(tmp_path, "TG000") == []
    assert budgets[-1].cut is None and budgets[-1].spent > 3 * 10_000


@pytest.mark.parametrize("guard", ["time", "memory"])
def test_the_clock_and_the_memory_are_backstops_of_the_same_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, guard: str
) -> None:
    write_tree(tmp_path, {"main.tf": HEAVY.format(count=40)})
    _budget_policy(tmp_path, steps=tg000.EVALUATION_STEPS_CEILING, seconds=600)
    if guard == "time":
        ticks = iter(range(0, 10**9, 60))  # each look at the clock: a minute later
        monkeypatch.setattr(bounds.time, "process_time", lambda: float(next(ticks)))
    else:
        monkeypatch.setattr(bounds, "_peak_memory", lambda: bounds.MAX_RUN_MEMORY + 1)
    budgets = _spent(monkeypatch)
    messages = [finding.message for finding in check(tmp_path, "TG000")]
    assert budgets[-1].cut == guard and budgets[-1].spent < 1_000_000
    assert len(messages) == 1 and "evaluation budget ran out" in messages[0]


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ("evaluation_steps: 0", "at least 1"),
        (f"evaluation_steps: {tg000.EVALUATION_STEPS_CEILING + 1}", "at most"),
        (f"evaluation_seconds: {tg000.EVALUATION_SECONDS_CEILING + 1}", "at most"),
        ('evaluation_steps: "many"', "expected"),
    ],
)
def test_a_policy_cannot_lift_the_budget_altogether(tmp_path: Path, setting: str, says: str) -> None:
    write_tree(
        tmp_path, {"main.tf": HEAVY.format(count=1), ".ttgate.yml": f"rules:\n  TG000: {{{setting}}}\n"}
    )
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 2 and "evaluation_" in result.output and says in result.output


def test_a_cut_run_renders_in_every_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {"main.tf": HEAVY.format(count=40)})
    _budget_policy(tmp_path)
    monkeypatch.chdir(tmp_path)
    outputs = [f"{name}:{tmp_path / ('report.' + name)}" for name in FORMATS]
    arguments = ["check", ".", "--fail-on", "never"]
    result = CliRunner().invoke(main, [*arguments, *(item for o in outputs for item in ("--format", o))])
    assert result.exit_code == 0, result.output
    for name in FORMATS:
        assert "evaluation budget ran out" in (tmp_path / f"report.{name}").read_text(encoding="utf-8")


# --- files and bytes one run reads ----------------------------------------------------------------


def _stacks(count: int) -> dict[str, str]:
    return {f"s{index:03d}/main.tf": HEAVY.format(count=1) for index in range(count)}


def test_files_past_the_runs_count_are_named_once_and_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bounds, "MAX_FILES", 5)
    write_tree(tmp_path, _stacks(12))
    model = load(tmp_path)
    assert sum(len(stack.resources) for stack in model.stacks) == 5
    messages = [finding.message for finding in check(tmp_path, "TG000")]
    assert len(messages) == 1
    assert "more than the 5 configuration files ttgate reads in one run" in messages[0]
    assert '7 file(s) in 7 directories, from "s005/main.tf" on, were not read' in messages[0]


def test_bytes_past_the_runs_bound_are_named_once_and_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = len(HEAVY.format(count=1))
    monkeypatch.setattr(bounds, "MAX_RUN_FILE_BYTES", size * 3)
    write_tree(tmp_path, _stacks(4))
    messages = [finding.message for finding in check(tmp_path, "TG000")]
    assert len(messages) == 1 and "0 MiB of configuration" in messages[0] and "s003/main.tf" in messages[0]


def test_one_file_is_read_up_to_a_mebibyte() -> None:
    # An 8 MiB .tf just under the old bound took 67 s and 1.5 GB to parse; the largest real one is 113 KB.
    assert bounds.MAX_FILE_BYTES == 1024 * 1024


def test_tg000_holds_the_same_defaults_as_the_bounds() -> None:
    assert (tg000.EVALUATION_STEPS, tg000.EVALUATION_SECONDS) == (
        bounds.MAX_RUN_STEPS,
        bounds.MAX_RUN_SECONDS,
    )
    assert tg000.PLAN_MEBIBYTES == read.MAX_PLAN_MEBIBYTES


# --- parsing under the run's budget ---------------------------------------------------------------


def _dense(name: str, count: int) -> str:
    """A file of about 2 x ``count`` tokens, which python-hcl2 parses at some 12 to 20 µs a token."""
    return f"locals {{\n  {name} = [{', '.join(['1'] * count)}]\n}}\n"


@pytest.mark.slow
def test_dense_files_are_cut_by_the_runs_budget_and_named_once(tmp_path: Path) -> None:
    # A dense megabyte took 24 s of CPU to parse, outside every budget; three of them over a minute.
    write_tree(
        tmp_path,
        {
            "main.tf": HEAVY.format(count=1),
            "z0.tf": _dense("z0", 200_000),  # some 400,000 tokens: seconds, past a one-second budget
            "z1.tf": _dense("z1", 200_000),
            ".ttgate.yml": "rules:\n  TG000: {evaluation_seconds: 1}\n",
        },
    )
    model = load(tmp_path)
    assert [resource.values.get("name") for resource in model.stacks[0].resources] == ["q-100"]
    messages = [finding.message for finding in check(tmp_path, "TG000")]
    assert len(messages) == 1
    assert "budget (1 CPU seconds, parsing and evaluation together) ran out while parsing" in messages[0]
    assert '2 file(s) in 1 directory, from "z0.tf" on, were not parsed' in messages[0]


def test_a_normal_file_is_parsed_whole_under_the_default_budget(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": HEAVY.format(count=1), "big.tf": _dense("big", 20_000)})
    assert check(tmp_path, "TG000") == []


@pytest.mark.parametrize("jobs", [1, 2])
def test_files_parsed_in_workers_are_cut_too_and_their_time_is_charged(tmp_path: Path, jobs: int) -> None:
    files = [(tmp_path / f"d{index:02d}.tf", _dense(f"d{index}", 15_000).encode()) for index in range(24)]
    parser = Parser(cache_dir=tmp_path / "cache", jobs=jobs)
    with bounds.run_budget(seconds=0.001):
        parsed = parser.parse_many(files)
        charged = bounds.work.seconds
    assert all(parse_budget.was_cut(result) for result in parsed.values())
    assert charged > 0.001
    # A cut file is not cached: the next run, with a budget to spare, parses it.
    again = Parser(cache_dir=tmp_path / "cache", jobs=1).parse_many(files[:1])
    assert [result.problem for result in again.values()] == [None]


def test_files_past_the_runs_count_are_refused_without_a_look(monkeypatch: pytest.MonkeyPatch) -> None:
    # 100,000 small files: the 90,000 past the bound cost no system call each (scaled down here).
    looked: list[str] = []

    class _Os:
        @staticmethod
        def stat(path: Any) -> os.stat_result:
            looked.append(str(path))
            return os.stat(__file__)

    monkeypatch.setattr(bounds, "MAX_FILES", 5)
    monkeypatch.setattr(run_budget, "os", _Os)
    reading = run_budget.ReadBudget()
    admitted = [reading.admit(Path(f"s{index:03d}/main.tf")) for index in range(40)]
    assert admitted == [True] * 5 + [False] * 35 and len(looked) == 6
    problem = reading.problem(lambda path: path.as_posix())
    assert problem is not None and '35 file(s) in 35 directories, from "s005/main.tf" on' in problem.message
