"""The HCL grammar as a Lark parser, built in-process or loaded from the per-user cache as JSON.

Lark's own cache (``cache=True``) is a pickle at a predictable path in the shared temporary directory:
whoever writes it first runs code in every later check. Building the grammar costs about a second, so
its tables are kept instead as plain JSON in the user's private cache directory; Lark rebuilds its
objects from them through its data-only deserialiser (only ``Rule`` and ``TerminalDef`` can appear).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from ttgate.gate.hcl.cache_dir import default_cache_dir, private_directory, write_atomically
from ttgate.gate.hcl.parse_budget import tick

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


@functools.cache
def lark_parser() -> Any:
    """The parser, built once per process; its tables come from the private cache when they can."""
    grammar = _grammar_text()
    cache_dir = default_cache_dir()
    path = None
    if cache_dir is not None and private_directory(cache_dir):
        path = cache_dir / f"grammar-{_grammar_key(grammar)}.json"
        loaded = _load(path)
        if loaded is not None:
            return loaded
    from lark import Lark

    collector = CommentCollector()
    callbacks = collector.lexer_callbacks()
    parser = Lark(grammar, cache=False, postlex=collector, lexer_callbacks=callbacks, **_OPTIONS)
    if path is not None:
        _save(parser, path)
    return parser


def _grammar_key(grammar: str) -> str:
    from importlib.metadata import version

    return hashlib.sha256(f"{version('lark')}\0{grammar}".encode()).hexdigest()[:32]


def _save(parser: Any, path: Path) -> None:
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {
        key: value for key, value in data["options"].items() if key not in ("postlex", "lexer_callbacks")
    }
    try:
        text = json.dumps({"data": _encode(data), "memo": _encode(memo)})
    except (TypeError, ValueError):
        return  # not cached: the next run builds it again
    write_atomically(path, text)


def _load(path: Path) -> Any:
    """The parser rebuilt from its JSON tables, or None when the entry is missing, corrupt or foreign."""
    from lark import Lark

    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        data, memo = _decode(stored["data"]), _decode(stored["memo"])
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


# Lark's tables hold tuples and integer-keyed dicts, which JSON has not: both are tagged.


def _encode(value: Any) -> Any:
    if isinstance(value, tuple):
        return {"tuple": [_encode(item) for item in value]}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            return {"map": {key: _encode(item) for key, item in value.items()}}
        return {"pairs": [[_encode(key), _encode(item)] for key, item in value.items()]}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in the grammar cache")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, dict):
        if "tuple" in value:
            return tuple(_decode(item) for item in value["tuple"])
        if "map" in value:
            return {key: _decode(item) for key, item in value["map"].items()}
        return {_decode(key): _decode(item) for key, item in value["pairs"]}
    return value
