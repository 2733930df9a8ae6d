"""The HCL grammar as a Lark parser, loaded from tables shipped with ttgate, or built and cached.

Lark's own cache (``cache=True``) is a pickle at a predictable path in the shared temporary directory:
whoever writes it first runs code in every later check. Building the grammar costs about two seconds, a
fresh CI runner's whole budget, so its LALR tables ship with the package as plain JSON
(``grammar_tables.json``, written by ``python -m ttgate.gate.hcl.grammar --write``), keyed by the hash
of the grammar text and Lark's version. When the installed python-hcl2 or Lark differs from the one the
tables were written for, the grammar is built and its tables kept in the user's private cache directory
instead. Either way Lark rebuilds its objects through its data-only deserialiser (only ``Rule`` and
``TerminalDef`` can appear), and the result must read a probe exactly before it is used.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from ttgate.gate.hcl.cache_dir import default_cache_dir, private_directory, write_atomically
from ttgate.gate.hcl.parse_clock import tick

# python-hcl2 accepts ASCII identifiers only; HCL (and so Terraform) takes any Unicode letter first,
# then letters, digits, underscores and dashes.
_ASCII_NAME = "NAME : /[a-zA-Z_][a-zA-Z0-9_-]*/"
_UNICODE_NAME = r"NAME : /[^\W\d][\w-]*/"
# python-hcl2 takes strip markers in directives (%{~ if x ~}) but not in interpolations (${~ x ~}).
_INTERPOLATION = "interpolation: INTERP_START expression RBRACE"
_STRIPPED_INTERPOLATION = "interpolation: INTERP_START STRIP_MARKER? expression STRIP_MARKER? RBRACE"
# Terraform accepts spaces after a heredoc's closing marker, and a newline before a for object's `=>`.
_HEREDOC_END = r"(?P=heredoc)\r?\n/"
_HEREDOC_END_SPACES = r"(?P=heredoc)[ \t]*\r?\n/"
_HEREDOC_TRIM_END = r"(?P=heredoc_trim)\r?\n/"
_HEREDOC_TRIM_END_SPACES = r"(?P=heredoc_trim)[ \t]*\r?\n/"
_FOR_OBJECT_ARROW = "expression FOR_OBJECT_ARROW"
_FOR_OBJECT_ARROW_AFTER_NEWLINE = "expression new_line_or_comment? FOR_OBJECT_ARROW"
# HCL drops a /* */ comment wherever it is, between block labels and inside expressions included
# (a `#` or `//` comment ends its line, so it stays a newline); python-hcl2 takes it where a newline
# may be only. It is ignored instead, and its text still reaches the comment collector.
_COMMENT_AS_NEWLINE = r"NL_OR_COMMENT: /\n[ \t]*/ | /#.*\n/ | /\/\/.*\n/ | /\/\*(.|\n)*?(\*\/)/"
_BLOCK_COMMENT = "BLOCK_COMMENT"
_COMMENT_IGNORED = (
    r"NL_OR_COMMENT: /\n[ \t]*/ | /#.*\n/ | /\/\/.*\n/"
    + f"\n{_BLOCK_COMMENT}: "
    + r"/\/\*(.|\n)*?(\*\/)/"
    + f"\n%ignore {_BLOCK_COMMENT}"
)
_GRAMMAR_CHANGES = (
    (_ASCII_NAME, _UNICODE_NAME),
    (_INTERPOLATION, _STRIPPED_INTERPOLATION),
    (_HEREDOC_END, _HEREDOC_END_SPACES),
    (_HEREDOC_TRIM_END, _HEREDOC_TRIM_END_SPACES),
    (_FOR_OBJECT_ARROW, _FOR_OBJECT_ARROW_AFTER_NEWLINE),
    (_COMMENT_AS_NEWLINE, _COMMENT_IGNORED),
)
_OPTIONS: dict[str, Any] = {"parser": "lalr", "lexer": "contextual", "propagate_positions": False}


def terraform_grammar(grammar: str) -> str:
    """python-hcl2's grammar, changed where Terraform accepts more; a change that no longer applies fails."""
    for old, new in _GRAMMAR_CHANGES:
        if grammar.count(old) != 1:
            raise RuntimeError(f"python-hcl2's grammar changed: {old!r} not found once")
        grammar = grammar.replace(old, new)
    return grammar


class CommentCollector:
    """python-hcl2's post-lexer, keeping the comment tokens of the last parse (suppressions read them).

    It sees the lexer's tokens before python-hcl2 merges a newline or comment into the operator after
    it, so every comment is seen once, with the parser's own line numbers.
    """

    def __init__(self) -> None:
        from hcl2.postlexer import PostLexer

        self._inner = PostLexer()
        self.comments: list[tuple[int, str]] = []

    @property
    def always_accept(self) -> tuple[()]:
        return ()

    def lexer_callbacks(self) -> dict[str, Any]:
        """The lexer's callbacks: an ignored /* */ comment is seen by the lexer only."""
        return {_BLOCK_COMMENT: self._collect_block_comment}

    def process(self, stream: Any) -> Any:
        self.comments = []
        return self._inner.process(self._collect(stream))

    def _collect_block_comment(self, token: Any) -> Any:
        self.comments.append((token.line, token.value))
        return token

    def _collect(self, stream: Any) -> Any:
        for token in stream:
            tick()  # parsing is charged to the run's budget
            if token.type == "NL_OR_COMMENT" and token.value.lstrip("\n \t"):
                self.comments.append((token.line + _leading_lines(token.value), token.value))
            yield token


def _leading_lines(value: str) -> int:
    return value[: len(value) - len(value.lstrip("\n \t"))].count("\n")


def _grammar_text() -> str:
    import hcl2

    return terraform_grammar((Path(hcl2.__file__).parent / "hcl2.lark").read_text(encoding="utf-8"))


# Bump when the way tables are written to JSON changes.
_TABLES_FORMAT = 2
# The tables for the grammar of the python-hcl2 and Lark ttgate was released with; data, never code.
SHIPPED_TABLES = Path(__file__).with_name("grammar_tables.json")


@functools.cache
def lark_parser() -> Any:
    """The parser, once per process: from the shipped tables, else the private cache, else built."""
    grammar = _grammar_text()
    key = _grammar_key(grammar)
    shipped = _load(SHIPPED_TABLES, key)
    if shipped is not None:
        return shipped
    cache_dir = default_cache_dir()
    path = None
    if cache_dir is not None and private_directory(cache_dir):
        path = cache_dir / f"grammar-{key}.json"
        loaded = _load(path, key)
        if loaded is not None:
            return loaded
    parser = _build(grammar)
    if path is not None:
        text = _tables_text(parser, key)
        if text is not None:
            write_atomically(path, text)
    return parser


def _build(grammar: str) -> Any:
    from lark import Lark

    collector = CommentCollector()
    callbacks = collector.lexer_callbacks()
    return Lark(grammar, cache=False, postlex=collector, lexer_callbacks=callbacks, **_OPTIONS)


def _grammar_key(grammar: str) -> str:
    from importlib.metadata import version

    return hashlib.sha256(f"{version('lark')}\0{grammar}".encode()).hexdigest()[:32]


def _tables_text(parser: Any, key: str) -> str | None:
    """The parser's tables as JSON, under the key of the grammar they were built from."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {
        name: value for name, value in data["options"].items() if name not in ("postlex", "lexer_callbacks")
    }
    try:
        return json.dumps([_TABLES_FORMAT, key, _encode(data), _encode(memo)], separators=(",", ":"))
    except (TypeError, ValueError):
        return None  # not cached: the next run builds it again


def _load(path: Path, key: str) -> Any:
    """The parser rebuilt from JSON tables, or None when they are missing, corrupt, stale or foreign."""
    from lark import Lark

    try:
        stored_format, stored_key, data, memo = json.loads(
            path.read_text(encoding="utf-8"), object_hook=_decode_object
        )
        if (stored_format, stored_key) != (_TABLES_FORMAT, key):
            return None  # tables of another grammar, Lark or format: built again
        options = data["options"]
        if any(options.get(key) != value for key, value in _OPTIONS.items()) or options.get("regex"):
            return None
        collector = CommentCollector()
        parser = Lark._load_from_dict(  # type: ignore[no-untyped-call]
            data, memo, postlex=collector, lexer_callbacks=collector.lexer_callbacks()
        )
        return parser if _reads_the_probe(parser) else None
    except Exception:  # any damage to the entry is a miss: the grammar is built again
        return None


# Parsed by a grammar loaded from the cache before it is used: an entry that is valid Lark but not
# this grammar (planted, or left by a foreign build) reads it differently, and is a miss.
_PROBE = """# probe
terraform {
  required_version = ">= 1.0"
}
resource "a" "b" {
  x = [1, "s${var.v}", { k = true }]
  y = var.z != null ? -1.5 : local.w[0]
  z = [for i in var.l : upper(i) if i != ""]
  t = <<EOT
  %{ if true }yes%{ endif }
  EOT
}
"""


def _reads_the_probe(parser: Any) -> bool:
    tree = parser.parse(_PROBE + "\n")
    kinds = [str(subtree.data) for subtree in tree.iter_subtrees_topdown()]
    return (
        kinds.count("block") == 2
        and kinds.count("attribute") == 5
        and parser.options.postlex.comments == [(1, "# probe\n")]
    )


# Lark's tables hold tuples and integer-keyed dicts, which JSON has not: every tuple and every dict is a
# one-member JSON object, {"tuple": [...]} or {"pairs": [[key, value], ...]}, and no other object is
# written, so json.loads turns them back in its own loop through an object hook.


def _encode(value: Any) -> Any:
    if isinstance(value, tuple):
        return {"tuple": [_encode(item) for item in value]}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {"pairs": [[_encode(key), _encode(item)] for key, item in value.items()]}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in the grammar cache")


def _decode_object(stored: dict[str, Any]) -> Any:
    if len(stored) == 1:
        if isinstance(stored.get("tuple"), list):
            return tuple(stored["tuple"])
        if isinstance(stored.get("pairs"), list):
            return dict(stored["pairs"])  # a pair that is not [hashable, value] raises: a miss
    raise ValueError("not a grammar table")


def main(argv: list[str] | None = None) -> int:
    """``python -m ttgate.gate.hcl.grammar --write``: regenerate the shipped tables from the installed
    python-hcl2 and Lark (after upgrading either; a test fails until it is done)."""
    import argparse

    options = argparse.ArgumentParser(description=main.__doc__)
    options.add_argument("--write", action="store_true", help=f"write {SHIPPED_TABLES.name}")
    options.add_argument("--check", action="store_true", help="exit 1 unless the shipped tables are current")
    arguments = options.parse_args(argv)
    grammar = _grammar_text()
    key = _grammar_key(grammar)
    if arguments.check:
        current = _load(SHIPPED_TABLES, key) is not None
        print(f"{SHIPPED_TABLES.name}: {'current' if current else 'stale or missing'} (key {key})")
        return 0 if current else 1
    if not arguments.write:
        options.print_help()
        return 2
    text = _tables_text(_build(grammar), key)
    if text is None:
        print("the grammar's tables cannot be stored as JSON", file=sys.stderr)
        return 1
    SHIPPED_TABLES.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {SHIPPED_TABLES} (key {key}, {len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
