"""Parsing HCL files, with a content-hash cache and every core on a cold run.

The cache lives in the user's cache directory. Entries are keyed by the SHA-256 of the file's bytes
and the versions of ttgate's syntax tree and of python-hcl2, and written atomically (temporary
file, then rename), so two runs sharing the directory never read a half-written entry.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from ttgate.gate.hcl.json_syntax import parse_json_config
from ttgate.gate.hcl.syntax import ParsedFile, SyntaxProblem, convert, find_directives

# Bump when the syntax tree changes shape, so old cache entries are never read.
SYNTAX_VERSION = "6"
_TOO_DEEP = "an expression is nested too deeply for ttgate (hundreds of levels of brackets or operators)"
# Below this many uncached files, starting worker processes costs more than it saves.
_PARALLEL_THRESHOLD = 24


def _parser_version() -> str:
    from importlib.metadata import version

    try:
        return version("python-hcl2")
    except Exception:
        return "unknown"


def default_cache_dir() -> Path | None:
    configured = os.environ.get("TTGATE_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    import platformdirs

    return Path(platformdirs.user_cache_dir("ttgate"))


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
_GRAMMAR_CHANGES = (
    (_ASCII_NAME, _UNICODE_NAME),
    (_INTERPOLATION, _STRIPPED_INTERPOLATION),
    (_HEREDOC_END, _HEREDOC_END_SPACES),
    (_HEREDOC_TRIM_END, _HEREDOC_TRIM_END_SPACES),
    (_FOR_OBJECT_ARROW, _FOR_OBJECT_ARROW_AFTER_NEWLINE),
)


def _terraform_grammar(grammar: str) -> str:
    """python-hcl2's grammar, changed where Terraform accepts more; a change that no longer applies fails."""
    for old, new in _GRAMMAR_CHANGES:
        if grammar.count(old) != 1:
            raise RuntimeError(f"python-hcl2's grammar changed: {old!r} not found once")
        grammar = grammar.replace(old, new)
    return grammar


@functools.cache
def lark_parser() -> Any:
    """python-hcl2's grammar and post-lexer, without Lark's position propagation (see syntax._span).

    Lark caches the compiled grammar in the temporary directory (keyed by grammar and options),
    like python-hcl2 does for its own parser, so it is built once per machine, not per run.
    """
    import hcl2
    from hcl2.postlexer import PostLexer
    from lark import Lark

    grammar = (Path(hcl2.__file__).parent / "hcl2.lark").read_text(encoding="utf-8")
    return Lark(
        _terraform_grammar(grammar),
        parser="lalr",
        cache=True,
        propagate_positions=False,
        postlex=PostLexer(),
    )


def parse_text(text: str) -> ParsedFile:
    """Parse one file's text; a syntax error becomes a :class:`SyntaxProblem`, never an exception."""
    from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput

    directives = find_directives(text)
    try:
        # python-hcl2 appends a newline too: its grammar has no end-of-file token.
        tree = lark_parser().parse(text + "\n")
    except UnexpectedCharacters as error:
        found = text.splitlines()[error.line - 1][error.column - 1 : error.column + 19] if error.line else ""
        reason = f"unexpected character {found[:1]!r}" if found else "unexpected character"
        return ParsedFile(None, SyntaxProblem(reason, error.line, error.column), directives)
    except UnexpectedInput as error:
        token = getattr(error, "token", None)
        expected = sorted(getattr(error, "expected", set()) or [])
        if token is not None and getattr(token, "type", "") == "$END":
            reason = "unexpected end of file (an unclosed block, string or bracket?)"
        elif token is not None:
            shown = str(token).strip()
            reason = f"unexpected {shown!r}" if shown else "unexpected end of line (a value is missing?)"
            if expected and len(expected) <= 5:
                reason += f", expected one of {', '.join(expected)}"
        else:
            reason = "syntax error"
        line = max(getattr(error, "line", 1) or 1, 1)
        column = max(getattr(error, "column", 1) or 1, 1)
        return ParsedFile(None, SyntaxProblem(reason, line, column), directives)
    except (LarkError, RecursionError) as error:
        return ParsedFile(None, SyntaxProblem(f"cannot parse: {error}", 1, 1), directives)
    try:
        body = convert(tree, text)
    except (ValueError, IndexError, KeyError) as error:
        return ParsedFile(None, SyntaxProblem(f"unsupported syntax: {error}", 1, 1), directives)
    except RecursionError:
        return ParsedFile(None, SyntaxProblem(_TOO_DEEP, 1, 1), directives)
    return ParsedFile(body, None, directives)


def is_json_config(path: Path) -> bool:
    return path.name.endswith(".json")


def _parse_bytes(data: bytes, json_syntax: bool = False) -> ParsedFile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return ParsedFile(None, SyntaxProblem(f"not UTF-8 text (byte {error.start})", line, column))
    if json_syntax:
        return parse_json_config(text)
    return parse_text(text)


class Parser:
    """Parses many files at once, reusing cached results."""

    def __init__(self, cache_dir: Path | None = None, jobs: int | None = None) -> None:
        self.cache_dir = cache_dir
        self.jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self._salt = f"{SYNTAX_VERSION}:{_parser_version()}".encode()
        self.hits = 0
        self.misses = 0

    def _key(self, data: bytes) -> str:
        return hashlib.sha256(self._salt + b"\0" + data).hexdigest()

    def _cache_path(self, key: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / key[:2] / f"{key}.pickle"

    def _read_cache(self, key: str) -> ParsedFile | None:
        path = self._cache_path(key)
        if path is None:
            return None
        try:
            with path.open("rb") as handle:
                cached = pickle.load(handle)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError, TypeError):
            return None
        return cached if isinstance(cached, ParsedFile) else None

    def _write_cache(self, key: str, parsed: ParsedFile) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except OSError:
            return  # a read-only or full cache directory only costs speed
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(parsed, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except (OSError, RecursionError, pickle.PicklingError):
            # A full disk, or a tree nested too deeply to pickle: this file is just not cached.
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def parse_many(self, contents: Iterable[tuple[Path, bytes]]) -> dict[Path, ParsedFile]:
        results: dict[Path, ParsedFile] = {}
        pending: list[tuple[Path, str, bytes]] = []
        for path, data in contents:
            key = self._key((b"json\0" if is_json_config(path) else b"") + data)
            cached = self._read_cache(key)
            if cached is not None:
                self.hits += 1
                results[path] = cached
            else:
                pending.append((path, key, data))
        self.misses += len(pending)
        if not pending:
            return results
        blobs = [data for _, _, data in pending]
        kinds = [is_json_config(path) for path, _, _ in pending]
        if self.jobs > 1 and len(pending) >= _PARALLEL_THRESHOLD:
            lark_parser()  # build it once here; forked workers inherit it
            try:
                with ProcessPoolExecutor(max_workers=self.jobs) as pool:
                    parsed_files = list(pool.map(_parse_bytes, blobs, kinds, chunksize=8))
            except (RecursionError, pickle.PicklingError):
                # A tree too deep to send back from a worker: parse here instead.
                parsed_files = [_parse_bytes(data, kind) for data, kind in zip(blobs, kinds, strict=True)]
        else:
            parsed_files = [_parse_bytes(data, kind) for data, kind in zip(blobs, kinds, strict=True)]
        for (path, key, _), parsed in zip(pending, parsed_files, strict=True):
            results[path] = parsed
            self._write_cache(key, parsed)
        return results
