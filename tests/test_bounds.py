"""Hostile input, bounded: caches hold data, numbers never overflow, expansion and regexes stay linear."""

from __future__ import annotations

import json
import os
import pickle
import stat
from pathlib import Path

import pytest

from ttgate.gate.hcl.parse import Parser, parse_text

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
    text = (Path(__file__).parents[1] / "examples").rglob("*.tf")
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
