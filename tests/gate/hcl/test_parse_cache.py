"""Issue 18: the parse and grammar caches never mix kinds of file, and a planted entry is a miss."""

from __future__ import annotations

from pathlib import Path

import pytest

from ttgate.gate.hcl import grammar
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
    path = cache / f"grammar-{grammar._grammar_key(grammar._grammar_text())}.json"
    grammar._save(foreign, path)
    assert path.exists()
    return path


def test_a_planted_valid_grammar_entry_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _plant_foreign_grammar(tmp_path / "cache")
    assert grammar._load(path) is None


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
    grammar._save(parser, path)
    assert grammar._load(path) is not None
