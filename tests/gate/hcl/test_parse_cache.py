"""The parse and grammar caches never mix kinds of file, and a planted entry is a miss (issue 18); the
grammar's tables ship with ttgate and entries are compact tagged arrays (issue 21)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ttgate.gate.hcl import grammar, serial
from ttgate.gate.hcl.native_syntax import parse_text
from ttgate.gate.hcl.parse import Parser

JSON_CONFIG = b'{"resource": {"aws_sqs_queue": {"q": {"name": "from-json"}}}}'


def test_a_tf_file_holding_json_marker_bytes_does_not_share_a_json_files_entry(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    Parser(cache_dir=cache, jobs=1).parse_many([(tmp_path / "a.tf.json", JSON_CONFIG)])
    parser = Parser(cache_dir=cache, jobs=1)
    parsed = parser.parse_many([(tmp_path / "b.tf", b"json\0" + JSON_CONFIG)])[tmp_path / "b.tf"]
    assert parser.hits == 0
    assert parsed.body is None and parsed.problem is not None  # HCL reads those bytes as an error


def _plant_foreign_grammar(cache: Path) -> Path:
    """A valid Lark parser of another grammar, stored where this grammar's entry goes."""
    from lark import Lark

    cache.mkdir(mode=0o700, exist_ok=True)
    foreign = Lark(
        "start: WORD+\n%import common.WORD\n%import common.WS\n%ignore WS\n",
        parser="lalr",
        lexer="contextual",
        propagate_positions=False,
    )
    key = grammar._grammar_key(grammar._grammar_text())
    path = cache / f"grammar-{key}.json"
    text = grammar._tables_text(foreign, key)  # under this grammar's key: only the probe tells
    assert text is not None
    path.write_text(text, encoding="utf-8")
    return path


def _key() -> str:
    return grammar._grammar_key(grammar._grammar_text())


def test_a_planted_valid_grammar_entry_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _plant_foreign_grammar(tmp_path / "cache")
    assert grammar._load(path, _key()) is None


def test_the_grammar_this_ttgate_stores_is_read_back(tmp_path: Path) -> None:
    from lark import Lark

    collector = grammar.CommentCollector()
    parser = Lark(
        grammar._grammar_text(),
        cache=False,
        postlex=collector,
        lexer_callbacks=collector.lexer_callbacks(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=False,
    )
    path = tmp_path / "grammar.json"
    path.write_text(grammar._tables_text(parser, _key()) or "", encoding="utf-8")
    assert grammar._load(path, _key()) is not None
    assert grammar._load(path, "another grammar or lark") is None


# --- the tables shipped with ttgate -----------------------------------------------------------------


def test_the_shipped_tables_are_those_of_the_installed_grammar() -> None:
    """Fails after a python-hcl2 or Lark upgrade until `python -m ttgate.gate.hcl.grammar --write`."""
    stored = json.loads(grammar.SHIPPED_TABLES.read_text(encoding="utf-8"))
    stale = "stale: run python -m ttgate.gate.hcl.grammar --write"
    assert stored[:2] == [grammar._TABLES_FORMAT, _key()], stale
    assert grammar._load(grammar.SHIPPED_TABLES, _key()) is not None
    assert grammar.main(["--check"]) == 0


def _no_build(grammar_text: str) -> Any:
    raise AssertionError("the grammar was built")


def test_a_run_with_no_cache_at_all_builds_no_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTGATE_CACHE_DIR", "")  # a fresh runner: nothing per user either
    monkeypatch.setattr(grammar, "_build", _no_build)
    grammar.lark_parser.cache_clear()
    try:
        tree = grammar.lark_parser().parse('x = "a${var.b}"\n\n')
        assert [str(sub.data) for sub in tree.iter_subtrees_topdown()].count("attribute") == 1
    finally:
        grammar.lark_parser.cache_clear()


@pytest.mark.slow  # builds the grammar (about 2 s)
def test_stale_shipped_tables_fall_back_to_building_and_the_private_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "grammar_tables.json"
    shipped = json.loads(grammar.SHIPPED_TABLES.read_text(encoding="utf-8"))
    other_release = [shipped[0], "python-hcl2 of another release", *shipped[2:]]
    stale.write_text(json.dumps(other_release), encoding="utf-8")
    cache = tmp_path / "cache"
    monkeypatch.setattr(grammar, "SHIPPED_TABLES", stale)
    monkeypatch.setenv("TTGATE_CACHE_DIR", str(cache))
    grammar.lark_parser.cache_clear()
    try:
        assert grammar._load(stale, _key()) is None
        built = grammar.lark_parser()
        assert grammar._reads_the_probe(built)
        assert [path.name for path in cache.glob("grammar-*.json")] == [f"grammar-{_key()}.json"]
        grammar.lark_parser.cache_clear()
        monkeypatch.setattr(grammar, "_build", _no_build)  # the next run reads the private cache
        assert grammar._reads_the_probe(grammar.lark_parser())
    finally:
        grammar.lark_parser.cache_clear()


# --- parse cache entries ------------------------------------------------------------------------------

_SAMPLE = """resource "aws_sqs_queue" "q" {
  name  = "${var.prefix}-q"
  tags  = { for k, v in var.tags : k => upper(v) if v != "" }
  count = var.on ? 1 : 0
  dynamic "x" {
    for_each = [1, 2.5, null, true]
    content { y = x.value[*].id }
  }
}
"""


def test_an_entry_is_tagged_arrays_and_reads_back_the_same_tree() -> None:
    parsed = parse_text(_SAMPLE)
    text = serial.dumps(parsed)
    assert "{" not in text.replace("${", "").replace("{ ", "")  # no JSON objects, only arrays
    assert serial.loads(text) == parsed
    assert serial.loads(text.encode()) == parsed


@pytest.mark.parametrize(
    "data",
    [
        [],  # untagged
        ["ParsedFile", None],  # a tag that is not a number
        [99, None],  # unknown tag
        [30, None],  # ParsedFile with too few fields
        [30, None, None, [0], "extra"],  # too many
        [30, None, [29, 1, 1, 1], [0]],  # SyntaxProblem whose message is not text
        [30, [28, [2, "a", {"node": "Lit"}], [0]], None, [0]],  # a JSON object inside
        [30, [28, [2, 1, [10, 1]], [0]], None, [0]],  # a map name that is not text
        [30, [28, [2, "a"], [0]], None, [0]],  # a name without a value
        [10, 1],  # a node, but not a parsed file
    ],
)
def test_a_malformed_entry_is_corrupt(data: Any) -> None:
    with pytest.raises(serial.CorruptEntry):
        serial.loads(json.dumps(data))


@pytest.mark.parametrize("text", ["NaN", "[10, Infinity]", "[10, -Infinity]", b"\xff\xfe"])
def test_non_finite_numbers_and_non_text_are_corrupt(text: str | bytes) -> None:
    with pytest.raises(ValueError):
        serial.loads(text)


def test_a_planted_entry_of_the_old_format_is_a_miss(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = Parser(cache_dir=cache, jobs=1)
    first.parse_many([(tmp_path / "a.tf", _SAMPLE.encode())])
    (entry,) = cache.rglob("*.json")
    entry.write_text('{"node": "ParsedFile", "fields": [null, null, {"tuple": []}]}', encoding="utf-8")
    again = Parser(cache_dir=cache, jobs=1)
    parsed = again.parse_many([(tmp_path / "a.tf", _SAMPLE.encode())])[tmp_path / "a.tf"]
    assert (again.hits, again.misses) == (0, 1)
    assert parsed == parse_text(_SAMPLE)
