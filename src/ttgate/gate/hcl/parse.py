"""Parsing HCL files, with a content-hash cache and every core on a cold run.

The cache lives in the user's private cache directory (see :mod:`cache_dir`). Entries are compact JSON
syntax trees (:mod:`serial`), never pickles: a planted entry can at worst be a miss. They are keyed by the
SHA-256 of the file's bytes and the versions of ttgate's syntax tree and of python-hcl2, and written
atomically (temporary file, then rename), so two runs sharing the directory never read a half-written
entry.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ttgate.gate.hcl import serial
from ttgate.gate.hcl.cache_dir import default_cache_dir, private_directory, write_atomically
from ttgate.gate.hcl.grammar import lark_parser
from ttgate.gate.hcl.json_syntax import parse_json_config
from ttgate.gate.hcl.native_syntax import parse_text
from ttgate.gate.hcl.parse_budget import bounded, in_workers, was_cut
from ttgate.gate.hcl.syntax import ParsedFile, SyntaxProblem

__all__ = ["Parser", "default_cache_dir", "lark_parser", "parse_text"]

# Bump when the syntax tree changes shape or the grammar accepts more, so old cache entries are never read.
SYNTAX_VERSION = "12"
# Below this many uncached files, starting worker processes costs more than it saves.
_PARALLEL_THRESHOLD = 24


def _parser_version() -> str:
    from importlib.metadata import version

    try:
        return version("python-hcl2")
    except Exception:
        return "unknown"


def _usable_cores() -> int:
    """The cores this process may run on (a CI container's or a taskset's), not the machine's."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def is_json_config(path: Path) -> bool:
    return path.name.endswith(".json")


def is_var_file(path: Path) -> bool:
    return path.name.endswith((".tfvars", ".tfvars.json"))


# What a var file's syntax error may say: its values are often secrets (a password holding `%{`), so
# the parser's reason, which quotes the offending token, is replaced by where it is.
_VAR_FILE_SAFE_REASONS = ("unexpected end of file", "not UTF-8 text", "cannot be read", "not read:")


def _without_quotes(parsed: ParsedFile) -> ParsedFile:
    problem = parsed.problem
    if problem is None or problem.message.startswith(_VAR_FILE_SAFE_REASONS):
        return parsed
    message = "a syntax error here (the text is not shown: a var file's values may be secrets)"
    return ParsedFile(parsed.body, SyntaxProblem(message, problem.line, problem.column), parsed.directives)


def _parse_bytes(data: bytes, json_syntax: bool = False) -> ParsedFile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return ParsedFile(None, SyntaxProblem(f"not UTF-8 text (byte {error.start})", line, column))
    lark_parser()  # built (once per process) before the budget's clock starts: no file's work
    return bounded(parse_json_config if json_syntax else parse_text, text)


class Parser:
    """Parses many files at once, reusing cached results."""

    def __init__(self, cache_dir: Path | None = None, jobs: int | None = None) -> None:
        self.cache_dir = cache_dir if cache_dir is not None and private_directory(cache_dir) else None
        self.jobs = jobs if jobs is not None else _usable_cores()
        self._salt = f"{SYNTAX_VERSION}:{_parser_version()}".encode()
        self.hits = 0
        self.misses = 0

    def _key(self, kind: bytes, data: bytes) -> str:
        # The kind always stands between salt and bytes: a .tf whose bytes begin `json\0` is no .tf.json.
        return hashlib.sha256(self._salt + b"\0" + kind + b"\0" + data).hexdigest()

    def _cache_path(self, key: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / key[:2] / f"{key}.json"

    def _read_cache(self, key: str) -> ParsedFile | None:
        path = self._cache_path(key)
        if path is None:
            return None
        try:
            return serial.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError, TypeError):
            return None  # missing, corrupt or foreign: parse the file again

    def _write_cache(self, key: str, parsed: ParsedFile) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        try:
            text = serial.dumps(parsed)
        except (RecursionError, ValueError):
            return  # a tree nested too deeply to store: this file is just not cached
        write_atomically(path, text)

    def parse_many(self, contents: Iterable[tuple[Path, bytes]]) -> dict[Path, ParsedFile]:
        results: dict[Path, ParsedFile] = {}
        pending: list[tuple[Path, str, bytes]] = []
        for path, data in contents:
            key = self._key(b"json" if is_json_config(path) else b"hcl", data)
            cached = self._read_cache(key)
            if cached is not None:
                self.hits += 1
                results[path] = _without_quotes(cached) if is_var_file(path) else cached
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
                with in_workers(self.jobs), ProcessPoolExecutor(max_workers=self.jobs) as pool:
                    parsed_files = list(pool.map(_parse_bytes, blobs, kinds, chunksize=8))
            except (RecursionError, pickle.PicklingError):
                # A tree too deep to send back from a worker: parse here instead.
                parsed_files = [_parse_bytes(data, kind) for data, kind in zip(blobs, kinds, strict=True)]
        else:
            parsed_files = [_parse_bytes(data, kind) for data, kind in zip(blobs, kinds, strict=True)]
        for (path, key, _), parsed in zip(pending, parsed_files, strict=True):
            results[path] = _without_quotes(parsed) if is_var_file(path) else parsed
            if not was_cut(parsed):  # parsed again by the next run, under its own budget
                self._write_cache(key, parsed)
        return results
