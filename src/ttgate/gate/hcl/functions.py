"""Terraform's built-in functions, evaluated on plain Python values.

Rules decide on what a configuration *will* do, so each function behaves as Terraform's does,
including its automatic conversions (numbers and bools become strings where a string is expected)
and its refusals (a :class:`FunctionError`, which the evaluator turns into an invalid value).

Unknown arguments are handled per function, declared at registration:

* ``strict``: an Unknown anywhere in the arguments makes the result that same Unknown object, so
  its link to a resource attribute survives (``tostring(aws_sqs_queue.q.arn)`` is still the queue's
  ARN);
* ``shallow``: only a top-level Unknown argument does; collections carry unknown leaves through
  (``merge``, ``lookup``, ``length`` of a list with unknown items is known);
* ``custom``: the function looks at unknowns itself (``coalesce``, ``jsonencode``, ``index``).

``can`` and ``try`` need lazy evaluation and live in the evaluator.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import inspect
import ipaddress
import itertools
import json
import math
import posixpath
import re
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, TypeVar

import re2  # type: ignore[import-untyped]

from ttgate.gate.hcl import bounds
from ttgate.gate.hcl.files import Files
from ttgate.gate.hcl.yaml_decode import YamlError, yaml_decode
from ttgate.gate.values import Invalid, Unknown, decode_json_template, deep_unknown, first_unknown

__all__ = ["KNOWN_FUNCTIONS", "FunctionError", "call"]


class FunctionError(Exception):
    """A call Terraform would reject (wrong argument count or type).

    The message is for a person, e.g. ``lookup: expects 2 or 3 arguments, got 1``.
    """


class _Reject(Exception):
    """Raised inside an implementation; :func:`call` prefixes the function name once."""


class _TooLarge(Exception):
    """Raised before building a result past ttgate's bounds (see :mod:`bounds`); ``args[0]`` says what."""


Mode = Literal["strict", "shallow", "custom"]
_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class _Spec:
    impl: Callable[..., Any]
    unknowns: Mode
    min_args: int
    max_args: int | None
    reads_files: bool = False  # the implementation's first parameter is the stack's Files


_REGISTRY: dict[str, _Spec] = {}
_MISSING: Any = object()  # an optional argument that was not given (null is a value)


def _function(*names: str, unknowns: Mode = "strict", reads_files: bool = False) -> Callable[[_F], _F]:
    """Register an implementation; its Python signature is the function's arity."""

    def register(impl: _F) -> _F:
        params = inspect.signature(impl).parameters.values()
        positional = [p for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
        positional = positional[1:] if reads_files else positional
        variadic = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
        required = sum(1 for p in positional if p.default is inspect.Parameter.empty)
        spec = _Spec(impl, unknowns, required, None if variadic else len(positional), reads_files)
        for name in names:
            _REGISTRY[name] = spec
        return impl

    return register


def _arity_text(spec: _Spec) -> str:
    low, high = spec.min_args, spec.max_args
    noun = "argument" if (high if high is not None else low) == 1 else "arguments"
    if high is None:
        return f"at least {low} {noun}"
    if low == high:
        return f"{low} {noun}"
    if high == low + 1:
        return f"{low} or {high} {noun}"
    return f"{low} to {high} {noun}"


def call(name: str, args: list[Any], files: Files | None = None) -> Any:
    """Call Terraform function ``name`` on already-evaluated ``args``.

    Functions ttgate does not know (including provider-defined ``provider::...`` ones) give an
    Unknown rather than an error: the configuration may well be valid, ttgate just cannot tell.
    ``files`` is what the file functions read (the stack's repository); without it they are Unknown.
    """
    if "::" in name:
        return Unknown(f"provider function {name}() is not evaluated by ttgate")
    spec = _REGISTRY.get(name)
    if spec is None:
        return Unknown(f"function {name}() is not evaluated by ttgate")
    if len(args) < spec.min_args or (spec.max_args is not None and len(args) > spec.max_args):
        raise FunctionError(f"{name}: expects {_arity_text(spec)}, got {len(args)}")
    problem = bounds.check_value(args)
    if problem is not None:
        return problem
    if spec.unknowns == "strict":
        for arg in args:
            found = deep_unknown(arg)
            if found is not None:
                return found
    elif spec.unknowns == "shallow":
        found = first_unknown(args)
        if found is not None:
            return found
    if spec.reads_files and files is None:
        return Unknown(f"{name}() reads files, and here no repository file can be read")
    try:
        result = spec.impl(files, *args) if spec.reads_files else spec.impl(*args)
        if isinstance(result, Invalid):  # a file function's refusal, named as the others are
            raise _Reject(result.reason)
    except _Reject as error:
        raise FunctionError(f"{name}: {error}") from None
    except _TooLarge as error:
        return bounds.too_large(str(error))
    except OverflowError:
        raise FunctionError(f"{name}: the result is out of the range of numbers ttgate evaluates") from None
    return bounds.check_value(result) or result


# --- conversions -----------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return type(value).__name__


def _norm(value: float | int) -> float | int:
    """Terraform has one number type: an integral result is an int whatever produced it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _number_text(value: float | int) -> str:
    """Numbers as Terraform prints them: ``30`` not ``30.0``, ``0.0000001`` not ``1e-07``."""
    value = _norm(value)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise _Reject(f"{value} is not a valid Terraform number")
    return format(Decimal(repr(value)), "f")


def _parse_number(text: str) -> float | int | None:
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return int(text)
    except ValueError:
        return _norm(float(text))


def _num(value: Any) -> float | int:
    if isinstance(value, bool) or value is None:
        raise _Reject(f"a number is required, got {_type_name(value)}")
    if isinstance(value, (int, float)):
        return _norm(value)
    if isinstance(value, str):
        number = _parse_number(value)
        if number is None:
            raise _Reject(f"cannot convert {json.dumps(value)} to a number")
        return number
    raise _Reject(f"a number is required, got {_type_name(value)}")


def _int(value: Any) -> int:
    number = _num(value)
    if not isinstance(number, int):
        raise _Reject(f"a whole number is required, got {_number_text(number)}")
    return number


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number_text(value)
    raise _Reject(f"a string is required, got {_type_name(value)}")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise _Reject(f"a bool is required, got {_type_name(value)}")


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    raise _Reject(f"a list, set or tuple is required, got {_type_name(value)}")


def _map(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise _Reject(f"a map or object is required, got {_type_name(value)}")


def _unify(items: list[Any]) -> list[Any]:
    """Terraform's element type unification for primitives: mixed kinds all become strings."""
    kinds = {
        _type_name(item)
        for item in items
        if item is not None and not isinstance(item, Unknown) and isinstance(item, (str, int, float))
    }
    if len(kinds) < 2 or any(isinstance(item, (list, dict)) for item in items):
        return list(items)
    return [item if item is None or isinstance(item, Unknown) else _str(item) for item in items]


def _key(value: Any) -> str:
    """An equality key: ``1`` and ``1.0`` are the same number, ``1``, ``"1"`` and ``true`` differ."""

    def prepare(item: Any) -> Any:
        if isinstance(item, float):
            return _norm(item)
        if isinstance(item, list):
            return [prepare(element) for element in item]
        if isinstance(item, dict):
            return {key: prepare(element) for key, element in item.items()}
        return item

    return json.dumps(prepare(value), sort_keys=True, default=repr)


def _make_set(items: Iterable[Any]) -> list[Any]:
    """A set as Terraform orders it: primitives sorted (strings lexically, numbers numerically)."""
    unique: dict[str, Any] = {}
    for item in _unify(list(items)):
        unique.setdefault(_key(item), item)
    result = list(unique.values())
    for kind in (str, bool):
        if result and all(isinstance(item, kind) for item in result):
            return sorted(result)
    if result and all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in result):
        return sorted(result)
    return result


# --- numbers ---------------------------------------------------------------------------------


@_function("min")
def _min(first: Any, *rest: Any) -> Any:
    return min(_num(value) for value in (first, *rest))


@_function("max")
def _max(first: Any, *rest: Any) -> Any:
    return max(_num(value) for value in (first, *rest))


@_function("abs")
def _abs(number: Any) -> Any:
    return abs(_num(number))


@_function("ceil")
def _ceil(number: Any) -> Any:
    return math.ceil(_num(number))


@_function("floor")
def _floor(number: Any) -> Any:
    return math.floor(_num(number))


@_function("signum")
def _signum(number: Any) -> Any:
    value = _num(number)
    return (value > 0) - (value < 0)


@_function("pow")
def _pow(base: Any, exponent: Any) -> Any:
    try:
        return _norm(math.pow(_num(base), _num(exponent)))
    except (OverflowError, ValueError) as error:
        raise _Reject(str(error)) from None


@_function("log")
def _log(number: Any, base: Any) -> Any:
    value, base_value = _num(number), _num(base)
    if value <= 0 or base_value <= 0 or base_value == 1:
        raise _Reject("the number and the base must be positive, and the base must not be 1")
    return _norm(math.log(value) / math.log(base_value))


_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@_function("parseint")
def _parseint(number: Any, base: Any) -> Any:
    text, radix = _str(number), _int(base)
    if not 2 <= radix <= 62:
        raise _Reject("base must be a whole number between 2 and 62 inclusive")
    digits = text[1:] if text[:1] in "+-" else text
    if len(digits) * math.log2(radix) > bounds.MAX_NUMBER_BITS + 8:
        raise _Reject(f"{json.dumps(text[:20])}... is out of the range of numbers ttgate evaluates")
    value = 0
    for char in digits:
        digit = _DIGITS.find(char if radix > 36 else char.lower())
        if digit < 0 or digit >= radix:
            digits = ""
            break
        value = value * radix + digit
    if not digits:
        raise _Reject(f"cannot parse {json.dumps(text)} as a base {radix} integer")
    return -value if text.startswith("-") else value


# --- strings ---------------------------------------------------------------------------------


@_function("lower")
def _lower(text: Any) -> Any:
    return _str(text).lower()


@_function("upper")
def _upper(text: Any) -> Any:
    return _str(text).upper()


def _is_separator(char: str) -> bool:
    """Go's ``strings.Title`` word boundary, which Terraform's ``title`` uses."""
    if char.isascii():
        return not (char.isalnum() or char == "_")
    if char.isalpha() or char.isdigit():
        return False
    return char.isspace()


@_function("title")
def _title(text: Any) -> Any:
    result, previous = [], " "
    for char in _str(text):
        result.append(char.upper() if _is_separator(previous) else char)
        previous = char
    return "".join(result)


@_function("split")
def _split(separator: Any, text: Any) -> Any:
    sep, value = _str(separator), _str(text)
    return list(value) if sep == "" else value.split(sep)


@_function("join")
def _join(separator: Any, first: Any, *rest: Any) -> Any:
    parts = []
    for collection in (first, *rest):
        for element in _list(collection):
            if element is None:
                raise _Reject("cannot join a list with a null element")
            parts.append(_str(element))
    glue = _str(separator)
    if sum(map(len, parts)) + len(glue) * len(parts) > bounds.MAX_STRING:
        raise _TooLarge("the result of join()")
    return glue.join(parts)


def _go_expand(template: str, match: Any) -> str:
    """Go's ``Regexp.Expand``: ``$1``, ``${1}``, ``$name``, ``${name}`` and ``$$``."""
    out: list[str] = []
    i = 0
    while i < len(template):
        char = template[i]
        if char != "$" or i + 1 == len(template):
            out.append(char)
            i += 1
            continue
        if template[i + 1] == "$":
            out.append("$")
            i += 2
            continue
        if template[i + 1] == "{":
            end = template.find("}", i + 2)
            name = template[i + 2 : end] if end > 0 else ""
            following = end + 1
        else:
            word = re.match(r"\w+", template[i + 1 :], re.ASCII)
            name = word.group() if word else ""
            following = i + 1 + len(name)
        if not re.fullmatch(r"\w+", name, re.ASCII):
            out.append("$")
            i += 1
            continue
        if name.isdigit():
            group = match.group(int(name)) if int(name) <= match.re.groups else None
        else:
            group = match.groupdict().get(name)
        out.append(group or "")
        i = following
    return "".join(out)


# Terraform's patterns are RE2: linear time whatever the pattern, which Python's backtracking `re` is not
# ("(a+)+$" takes minutes there). google-re2 is RE2 itself, so the syntax is Go's too (\\pL, \\z...).
_MAX_PATTERN = 10_000


def _re2_options() -> Any:
    options = re2.Options()
    options.log_errors = False  # a bad pattern is the user's error, reported once, not logged to stderr
    options.max_mem = 32 << 20
    return options


_RE2_OPTIONS = _re2_options()


@functools.lru_cache(maxsize=256)
def _go_regex(pattern: str) -> Any:
    """Compile a Go (RE2) pattern with RE2 itself."""
    if len(pattern) > _MAX_PATTERN:
        raise _Reject(f"a regular expression of more than {_MAX_PATTERN:,} characters is not evaluated")
    try:
        return re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as error:
        raise _Reject(f"invalid regular expression {json.dumps(pattern)}: {_error_text(error)}") from None


def _error_text(error: Exception) -> str:
    detail = error.args[0] if error.args else error
    return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)


@_function("replace")
def _replace(text: Any, search: Any, replacement: Any) -> Any:
    value, needle, repl = _str(text), _str(search), _str(replacement)
    if len(needle) > 1 and needle.startswith("/") and needle.endswith("/"):
        return _bounded_sub(_go_regex(needle[1:-1]), repl, value)
    if len(value) + value.count(needle) * len(repl) > bounds.MAX_STRING:
        raise _TooLarge("the result of replace()")
    return value.replace(needle, repl)


def _bounded_sub(pattern: Any, replacement: str, text: str) -> str:
    """``pattern.sub`` that stops as soon as the result would pass the string limit."""
    pieces: list[str] = []
    size, last = 0, 0
    for match in pattern.finditer(text):
        piece = _go_expand(replacement, match)
        size += match.start() - last + len(piece)
        if size > bounds.MAX_STRING:
            raise _TooLarge("the result of replace()")
        pieces += [text[last : match.start()], piece]
        last = match.end()
    return "".join(pieces) + text[last:]


def _match_value(match: Any) -> Any:
    """Terraform's ``regex`` result shape: the match, a list of groups, or a map of named groups."""
    pattern = match.re
    if pattern.groups == 0:
        return match.group()
    if pattern.groupindex:
        if len(pattern.groupindex) != pattern.groups:
            raise _Reject("named and unnamed capture groups cannot be mixed")
        return match.groupdict()
    return list(match.groups())


@_function("regex")
def _regex(pattern: Any, text: Any) -> Any:
    match = _go_regex(_str(pattern)).search(_str(text))
    if match is None:
        raise _Reject("pattern did not match any part of the given string")
    return _match_value(match)


@_function("regexall")
def _regexall(pattern: Any, text: Any) -> Any:
    return [_match_value(match) for match in _go_regex(_str(pattern)).finditer(_str(text))]


@_function("substr")
def _substr(text: Any, offset: Any, length: Any) -> Any:
    value, start, count = _str(text), _int(offset), _int(length)
    if start < 0:
        start = max(len(value) + start, 0)
    return value[start:] if count < 0 else value[start : start + count]


@_function("trim")
def _trim(text: Any, cutset: Any) -> Any:
    return _str(text).strip(_str(cutset))


@_function("dirname")
def _dirname(path: Any) -> Any:
    """Go's filepath.Dir, as Terraform: ``dirname("a/b/c.hcl")`` is ``a/b``, ``dirname("c.hcl")`` is ``.``."""
    text = _str(path)
    return _clean_path(text[: text.rfind("/") + 1])


@_function("basename")
def _basename(path: Any) -> Any:
    """Go's filepath.Base, as Terraform: the last element, trailing slashes dropped; ``.`` for ``""``."""
    text = _str(path)
    if not text:
        return "."
    stripped = text.rstrip("/")
    return stripped[stripped.rfind("/") + 1 :] if stripped else "/"


def _clean_path(text: str) -> str:
    cleaned = posixpath.normpath(text) if text else "."
    # normpath keeps a leading "//" (POSIX allows it a meaning); Go's Clean does not.
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


@_function("trimspace")
def _trimspace(text: Any) -> Any:
    return _str(text).strip()


@_function("trimprefix")
def _trimprefix(text: Any, prefix: Any) -> Any:
    return _str(text).removeprefix(_str(prefix))


@_function("trimsuffix")
def _trimsuffix(text: Any, suffix: Any) -> Any:
    return _str(text).removesuffix(_str(suffix))


@_function("startswith")
def _startswith(text: Any, prefix: Any) -> Any:
    return _str(text).startswith(_str(prefix))


@_function("endswith")
def _endswith(text: Any, suffix: Any) -> Any:
    return _str(text).endswith(_str(suffix))


@_function("strcontains")
def _strcontains(text: Any, substring: Any) -> Any:
    return _str(substring) in _str(text)


@_function("strrev")
def _strrev(text: Any) -> Any:
    return _str(text)[::-1]


@_function("chomp")
def _chomp(text: Any) -> Any:
    return _str(text).rstrip("\r\n")


@_function("indent")
def _indent(spaces: Any, text: Any) -> Any:
    value, width = _str(text), _int(spaces)
    if len(value) + value.count("\n") * max(width, 0) > bounds.MAX_STRING:
        raise _TooLarge("the result of indent()")
    return value.replace("\n", "\n" + " " * width)


@_function("urlencode")
def _urlencode(text: Any) -> Any:
    return urllib.parse.quote_plus(_str(text), safe="")


_VERB = re.compile(
    r"%(?P<flags>[-+# 0]*)(?:\[(?P<index>\d+)\])?(?P<width>\d*)(?:\.(?P<precision>\d*))?(?P<verb>.?)"
)


def _pad(text: str, flags: str, width: str) -> str:
    if not width:
        return text
    return text.ljust(int(width)) if "-" in flags else text.rjust(int(width))


def _format_one(verb: str, flags: str, width: str, precision: str | None, value: Any) -> str:
    if any(
        len(number) > 7 or int(number) > bounds.MAX_STRING for number in (width, precision or "") if number
    ):
        raise _TooLarge(f"a width or precision in %{verb}")
    if value is None:
        raise _Reject(f"null value cannot be formatted with %{verb}")
    if verb == "v":
        if "#" in flags or isinstance(value, (list, dict)):
            return _pad(_json(value), flags.replace("#", ""), width)
        verb = "s"
    if verb in "sq":
        text = _str(value)
        if precision is not None:
            text = text[: int(precision or 0)]
        return _pad(json.dumps(text, ensure_ascii=False) if verb == "q" else text, flags, width)
    if verb == "t":
        return _pad("true" if _bool(value) else "false", flags, width)
    align = "<" if "-" in flags else ""
    sign = "+" if "+" in flags else (" " if " " in flags else "")
    alternate = "#" if "#" in flags else ""
    zero = "0" if "0" in flags and not align else ""
    spec = f"{align}{sign}{alternate}{zero}{width}"
    if verb in "dboxX":
        return format(_int(value), spec + verb)
    if verb in "eEfFgG":
        digits = f".{precision or 0}" if precision is not None else ""
        return format(float(_num(value)), spec + digits + verb)
    raise _Reject(f"unsupported format verb %{verb}")


@_function("format")
def _format(spec: Any, *args: Any) -> Any:
    template, out = _str(spec), []
    position, used = 0, 0
    i = 0
    while i < len(template):
        if template[i] != "%":
            out.append(template[i])
            i += 1
            continue
        if template.startswith("%%", i):
            out.append("%")
            i += 2
            continue
        verb = _VERB.match(template, i)
        assert verb is not None
        if not verb["verb"]:
            raise _Reject("format string ends with an incomplete verb")
        if verb["index"]:
            position = int(verb["index"]) - 1
        if position >= len(args) or position < 0:
            raise _Reject(f"not enough arguments for %{verb['verb']} at offset {i}")
        out.append(_format_one(verb["verb"], verb["flags"], verb["width"], verb["precision"], args[position]))
        position += 1
        used = max(used, position)
        i = verb.end()
    if used < len(args):
        raise _Reject(f"too many arguments; only {used} used by the format string")
    return "".join(out)


@_function("formatlist")
def _formatlist(spec: Any, *args: Any) -> Any:
    lengths = {len(arg) for arg in args if isinstance(arg, list)}
    if len(lengths) > 1:
        raise _Reject("all list arguments must have the same length")
    count = lengths.pop() if lengths else 1
    rows = [[arg[i] if isinstance(arg, list) else arg for arg in args] for i in range(count)]
    results, size = [], 0
    for row in rows:
        results.append(_format(spec, *row))
        size += len(results[-1])
        if size > bounds.MAX_STRING:
            raise _TooLarge("the result of formatlist()")
    return results


# --- type conversions ------------------------------------------------------------------------


@_function("tostring")
def _tostring(value: Any) -> Any:
    return None if value is None else _str(value)


@_function("tonumber")
def _tonumber(value: Any) -> Any:
    return None if value is None else _num(value)


@_function("tobool")
def _tobool(value: Any) -> Any:
    return None if value is None else _bool(value)


@_function("tolist", unknowns="shallow")
def _tolist(value: Any) -> Any:
    return None if value is None else _unify(_list(value))


@_function("toset")
def _toset(value: Any) -> Any:
    return None if value is None else _make_set(_list(value))


@_function("tomap", unknowns="shallow")
def _tomap(value: Any) -> Any:
    if value is None:
        return None
    mapping = _map(value)
    return dict(zip(mapping, _unify(list(mapping.values())), strict=True))


@_function("sensitive", "nonsensitive", unknowns="shallow")
def _identity(value: Any) -> Any:
    """The value itself: the evaluator marks what ``sensitive()`` returns, and keeps the marks of what
    ``nonsensitive()`` returns (a pull request's author must not unmark a secret to print it)."""
    return value


# --- collections -----------------------------------------------------------------------------


@_function("length", unknowns="shallow")
def _length(value: Any) -> Any:
    if isinstance(value, (str, list, dict)):
        return len(value)
    raise _Reject(f"a string, list, set, map or object is required, got {_type_name(value)}")


@_function("lookup", unknowns="shallow")
def _lookup(mapping: Any, key: Any, default: Any = _MISSING) -> Any:
    values, name = _map(mapping), _str(key)
    if name in values:
        return values[name]
    if default is not _MISSING:
        return default
    raise _Reject(f"the map has no element for the key {json.dumps(name)} and no default was given")


@_function("merge", unknowns="shallow")
def _merge(*mappings: Any) -> Any:
    result: dict[str, Any] = {}
    for mapping in mappings:
        if mapping is not None:
            result.update(_map(mapping))
    return result


@_function("concat", unknowns="shallow")
def _concat(*lists: Any) -> Any:
    return [element for collection in lists for element in _list(collection)]


@_function("coalesce", unknowns="custom")
def _coalesce(first: Any, *rest: Any) -> Any:
    candidates = (first, *rest)
    for value in candidates:
        if isinstance(value, Unknown):
            return value
        if value is None or value == "":
            continue
        if any(isinstance(other, str) for other in candidates) and not isinstance(value, (list, dict)):
            return _str(value)
        return value
    raise _Reject("no non-null, non-empty-string arguments")


@_function("coalescelist", unknowns="custom")
def _coalescelist(first: Any, *rest: Any) -> Any:
    for value in (first, *rest):
        if isinstance(value, Unknown) or (value is not None and _list(value)):
            return value
    raise _Reject("no non-null, non-empty arguments")


@_function("compact")
def _compact(values: Any) -> Any:
    return [_str(value) for value in _list(values) if value is not None and value != ""]


@_function("contains")
def _contains(values: Any, value: Any) -> Any:
    unified = _unify([*_list(values), value])
    wanted = _key(unified[-1])
    return any(_key(element) == wanted for element in unified[:-1])


@_function("distinct")
def _distinct(values: Any) -> Any:
    unique: dict[str, Any] = {}
    for element in _unify(_list(values)):
        unique.setdefault(_key(element), element)
    return list(unique.values())


@_function("element", unknowns="shallow")
def _element(values: Any, index: Any) -> Any:
    elements, position = _list(values), _int(index)
    if not elements:
        raise _Reject("cannot use element function with an empty list")
    if position < 0:
        raise _Reject("cannot use element function with a negative index")
    return elements[position % len(elements)]


@_function("flatten", unknowns="shallow")
def _flatten(values: Any) -> Any:
    result: list[Any] = []
    for element in _list(values):
        if isinstance(element, Unknown):
            return element  # it may be a list to splice in: the length is unknown
        if isinstance(element, list):
            flattened = _flatten(element)
            if isinstance(flattened, Unknown):
                return flattened
            result.extend(flattened)
        else:
            result.append(element)
    return result


@_function("index", unknowns="custom")
def _index(values: Any, value: Any) -> Any:
    if isinstance(values, Unknown):
        return values
    found = deep_unknown(value)
    if found is not None:
        return found
    wanted = _key(value)
    for position, element in enumerate(_list(values)):
        found = deep_unknown(element)
        if found is not None:
            return found  # this element might be the one searched for
        if _key(element) == wanted:
            return position
    raise _Reject("item not found")


@_function("keys", unknowns="shallow")
def _keys(mapping: Any) -> Any:
    return sorted(_map(mapping))


@_function("values", unknowns="shallow")
def _values(mapping: Any) -> Any:
    values = _map(mapping)
    return [values[key] for key in sorted(values)]


@_function("list", "map", unknowns="custom")
def _removed(*_args: Any) -> Any:
    raise _Reject("this function was removed in Terraform 0.15; use tolist()/tomap() or [...]/{...}")


@_function("range")
def _range(first: Any, second: Any = _MISSING, third: Any = _MISSING) -> Any:
    start: float | int = 0
    if second is _MISSING:
        end = _num(first)
    else:
        start, end = _num(first), _num(second)
    step = _num(third) if third is not _MISSING else (-1 if end < start else 1)
    if step == 0:
        raise _Reject("step must not be zero")
    if step < 0 < end - start or step > 0 > end - start:
        raise _Reject("end must move away from start in the direction of step")
    result: list[float | int] = []
    number = start
    while (number < end) if step > 0 else (number > end):
        if len(result) >= 1024:
            raise _Reject("more than 1024 values were generated")
        result.append(_norm(number))
        number += step
    return result


@_function("reverse", unknowns="shallow")
def _reverse(values: Any) -> Any:
    return _list(values)[::-1]


@_function("slice", unknowns="shallow")
def _slice(values: Any, start: Any, end: Any) -> Any:
    elements, low, high = _list(values), _int(start), _int(end)
    if not 0 <= low <= high <= len(elements):
        raise _Reject(f"indices {low} and {high} are out of range for a list of {len(elements)}")
    return elements[low:high]


@_function("sort")
def _sort(values: Any) -> Any:
    elements = _list(values)
    if any(element is None for element in elements):
        raise _Reject("cannot sort a list with a null element")
    return sorted(_str(element) for element in elements)


@_function("sum")
def _sum(values: Any) -> Any:
    elements = _list(values)
    if not elements:
        raise _Reject("cannot sum an empty list")
    return _norm(sum(_num(element) for element in elements))


@_function("zipmap", unknowns="custom")
def _zipmap(keys: Any, values: Any) -> Any:
    found = deep_unknown(keys) or first_unknown([values])
    if found is not None:
        return found
    names, elements = _list(keys), _list(values)
    if len(names) != len(elements):
        raise _Reject(f"{len(names)} keys but {len(elements)} values")
    return {_str(name): element for name, element in zip(names, elements, strict=True)}


@_function("one", unknowns="shallow")
def _one(values: Any) -> Any:
    elements = _list(values)
    if len(elements) > 1:
        raise _Reject(f"must be a list, set, or tuple with zero or one elements, got {len(elements)}")
    return elements[0] if elements else None


@_function("chunklist", unknowns="shallow")
def _chunklist(values: Any, size: Any) -> Any:
    elements, chunk = _list(values), _int(size)
    if chunk < 0:
        raise _Reject("the size argument must be positive")
    if chunk == 0:
        return [elements]
    return [elements[i : i + chunk] for i in range(0, len(elements), chunk)]


@_function("setunion")
def _setunion(first: Any, *rest: Any) -> Any:
    return _make_set(element for collection in (first, *rest) for element in _list(collection))


@_function("setintersection")
def _setintersection(first: Any, *rest: Any) -> Any:
    others = [{_key(element) for element in _unify(_list(collection))} for collection in rest]
    return _make_set(e for e in _unify(_list(first)) if all(_key(e) in keys for keys in others))


@_function("setsubtract")
def _setsubtract(first: Any, second: Any) -> Any:
    removed = {_key(element) for element in _unify(_list(second))}
    return _make_set(e for e in _unify(_list(first)) if _key(e) not in removed)


@_function("setproduct")
def _setproduct(first: Any, *rest: Any) -> Any:
    collections = [_list(collection) for collection in (first, *rest)]
    if math.prod(len(collection) for collection in collections) * len(collections) > bounds.MAX_VALUE_SIZE:
        raise _TooLarge("the result of setproduct()")
    return [list(row) for row in itertools.product(*collections)]


@_function("matchkeys")
def _matchkeys(values: Any, keys: Any, searchset: Any) -> Any:
    elements, names = _list(values), _list(keys)
    if len(elements) != len(names):
        raise _Reject("length of keys and values should be equal")
    wanted = {_key(item) for item in _list(searchset)}
    return [value for value, name in zip(elements, names, strict=True) if _key(name) in wanted]


@_function("transpose")
def _transpose(mapping: Any) -> Any:
    result: dict[str, list[str]] = {}
    for key, targets in sorted(_map(mapping).items()):
        for target in _list(targets):
            result.setdefault(_str(target), []).append(key)
    return result


@_function("alltrue")
def _alltrue(values: Any) -> Any:
    return all([_bool(element) for element in _list(values)])


@_function("anytrue")
def _anytrue(values: Any) -> Any:
    return any([_bool(element) for element in _list(values)])


# --- encoding and hashing --------------------------------------------------------------------

_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class _WholeObject(Exception):
    """A lazily evaluated resource, module or remote state where a plain value was needed."""


def _json(value: Any) -> str:
    """JSON as Terraform writes it: compact, keys sorted, HTML-sensitive characters escaped."""

    def prepare(item: Any) -> Any:
        if isinstance(item, float):
            if not math.isfinite(item):
                raise _Reject(f"{item} cannot be encoded as JSON")
            return _norm(item)
        if isinstance(item, list):
            return [prepare(element) for element in item]
        if isinstance(item, dict):
            return {str(key): prepare(element) for key, element in item.items()}
        if item is not None and not isinstance(item, (str, int, bool)):
            # A whole resource, module or remote state: Terraform encodes every attribute, most of
            # which exist only after apply.
            raise _WholeObject
        return item

    text = json.dumps(prepare(value), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return re.sub("[<>&\u2028\u2029]", lambda match: _JSON_ESCAPES[match.group()], text)


@_function("jsonencode", unknowns="custom")
def _jsonencode(value: Any) -> Any:
    found = deep_unknown(value)
    if found is None:
        try:
            return _json(value)
        except _WholeObject:
            return Unknown("jsonencode of a whole resource, module or remote state (known after apply)")
    return Unknown(
        "jsonencode of a value that is unknown until apply",
        resource=found.resource,
        attribute=found.attribute,
        partial=found.partial if value is found else value,
    )


def _reject_constant(name: str) -> Any:
    raise _Reject(f"{name} is not valid JSON")


def _decoded(item: Any) -> Any:
    if isinstance(item, float):
        return _norm(item)
    if isinstance(item, list):
        return [_decoded(element) for element in item]
    if isinstance(item, dict):
        return {key: _decoded(element) for key, element in item.items()}
    return item


@_function("jsondecode", unknowns="custom")
def _jsondecode(text: Any) -> Any:
    if isinstance(text, Unknown):
        # jsondecode(<<EOF {"Resource": "${aws_sqs_queue.q.arn}"} EOF): the known structure, unknown leaves
        decoded = decode_json_template(text) if text.parts else None
        return text if decoded is None else decoded
    try:
        return _decoded(json.loads(_str(text), parse_constant=_reject_constant))
    except json.JSONDecodeError as error:
        raise _Reject(f"invalid JSON: {error}") from None


@_function("base64encode")
def _base64encode(text: Any) -> Any:
    return _base64(_str(text).encode())


@_function("base64decode")
def _base64decode(text: Any) -> Any:
    try:
        decoded = base64.b64decode(_str(text), validate=True)
    except (binascii.Error, ValueError):
        raise _Reject("the string is not valid base64") from None
    try:
        return decoded.decode()
    except UnicodeDecodeError:
        raise _Reject("the decoded bytes are not valid UTF-8") from None


def _register_digest(name: str, algorithm: str, encode: Callable[[bytes], str]) -> None:
    def digest(text: Any) -> Any:
        return encode(hashlib.new(algorithm, _str(text).encode()).digest())

    _function(name)(digest)


def _base64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


for _name, _algorithm, _encode in (
    ("md5", "md5", bytes.hex),
    ("sha1", "sha1", bytes.hex),
    ("sha256", "sha256", bytes.hex),
    ("sha512", "sha512", bytes.hex),
    ("base64sha256", "sha256", _base64),
    ("base64sha512", "sha512", _base64),
):
    _register_digest(_name, _algorithm, _encode)


@_function("uuidv5")
def _uuidv5(namespace: Any, name: Any) -> Any:
    spaces = {"dns": uuid.NAMESPACE_DNS, "url": uuid.NAMESPACE_URL, "oid": uuid.NAMESPACE_OID}
    spaces["x500"] = uuid.NAMESPACE_X500
    key = _str(namespace)
    try:
        space = spaces.get(key) or uuid.UUID(key)
    except ValueError:
        raise _Reject(f"{json.dumps(key)} is not a namespace name or a UUID") from None
    return str(uuid.uuid5(space, _str(name)))


# --- not static ------------------------------------------------------------------------------


@_function("uuid", "timestamp", "plantimestamp", unknowns="custom")
def _not_static() -> Any:
    return Unknown("the value changes on every run; it is not static")


@_function("bcrypt", unknowns="custom")
def _bcrypt(text: Any, cost: Any = _MISSING) -> Any:
    return Unknown("bcrypt uses a random salt; it is not static")


@_function("file", reads_files=True)
def _file(files: Files, path: Any) -> Any:
    return files.text(_str(path))


@_function("fileexists", reads_files=True)
def _fileexists(files: Files, path: Any) -> Any:
    return files.exists(_str(path))


@_function("filebase64", reads_files=True)
def _filebase64(files: Files, path: Any) -> Any:
    data = files.read(_str(path))
    return data if isinstance(data, Unknown) else _base64(data)


def _register_file_digest(name: str, algorithm: str, encode: Callable[[bytes], str]) -> None:
    def digest(files: Files, path: Any) -> Any:
        data = files.read(_str(path))
        return data if isinstance(data, Unknown) else encode(hashlib.new(algorithm, data).digest())

    _function(name, reads_files=True)(digest)


for _name, _algorithm, _encode in (
    ("filemd5", "md5", bytes.hex),
    ("filesha1", "sha1", bytes.hex),
    ("filesha256", "sha256", bytes.hex),
    ("filesha512", "sha512", bytes.hex),
    ("filebase64sha256", "sha256", _base64),
    ("filebase64sha512", "sha512", _base64),
):
    _register_file_digest(_name, _algorithm, _encode)


@_function("templatefile", unknowns="custom")
def _templatefile(path: Any, variables: Any) -> Any:
    # Evaluated by the evaluator, which has the template's scope; this entry gives its arity.
    return Unknown("templatefile() reads files, and here no repository file can be read")


# --- yamldecode and fileset (added for issue 17: kept apart) ----------------------------------


@_function("yamldecode")
def _yamldecode(text: Any) -> Any:
    try:
        return _decoded(yaml_decode(_str(text)))
    except YamlError as error:
        raise _Reject(f"invalid YAML: {error}") from None


@_function("fileset", reads_files=True)
def _fileset(files: Files, path: Any, pattern: Any) -> Any:
    """The files below ``path`` matching ``pattern`` (``*``, ``**``, ``?``, ``[...]``, ``{a,b}``)."""
    listed = files.listing(_str(path))
    if isinstance(listed, Unknown):
        return listed
    regex = _glob_regex(_str(pattern))
    return [name for name in listed if regex.fullmatch(name)]


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Terraform's fileset pattern (doublestar) as a regex over POSIX paths."""
    parts: list[str] = []
    index = 0
    depth = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            parts.append("(?:[^/]*/)*")
            index += 3
            continue
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
            continue
        if char == "*":
            parts.append("[^/]*")
        elif char == "?":
            parts.append("[^/]")
        elif char == "[":
            end = pattern.find("]", index + 2)
            if end < 0:
                raise _Reject(f"invalid pattern {json.dumps(pattern)}: unclosed [")
            body = pattern[index + 1 : end]
            negate = body.startswith(("!", "^"))
            body = body[1:] if negate else body
            parts.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            index = end
        elif char == "{":
            parts.append("(?:")
            depth += 1
        elif char == "}" and depth:
            parts.append(")")
            depth -= 1
        elif char == "," and depth:
            parts.append("|")
        elif char == "\\" and index + 1 < len(pattern):
            index += 1
            parts.append(re.escape(pattern[index]))
        else:
            parts.append(re.escape(char))
        index += 1
    if depth:
        raise _Reject(f"invalid pattern {json.dumps(pattern)}: unclosed {{")
    try:
        return re.compile("".join(parts))
    except re.error as error:
        raise _Reject(f"invalid pattern {json.dumps(pattern)}: {error}") from None


# --- networks --------------------------------------------------------------------------------

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(prefix: Any) -> _Network:
    text = _str(prefix)
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise _Reject(f"invalid CIDR expression {json.dumps(text)}") from None


@_function("cidrsubnet")
def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> Any:
    network, extra, number = _network(prefix), _int(newbits), _int(netnum)
    length = network.prefixlen + extra
    if extra < 0 or length > network.max_prefixlen:
        raise _Reject(f"would extend prefix to {length} bits, which is too long for the address")
    if not 0 <= number < 2**extra:
        raise _Reject(f"prefix extension of {extra} does not accommodate a subnet numbered {number}")
    first = network.network_address + (number << (network.max_prefixlen - length))
    return f"{first}/{length}"


@_function("cidrsubnets")
def _cidrsubnets(prefix: Any, *newbits: Any) -> Any:
    """Consecutive subnets, each aligned after the previous one, as Terraform allocates them."""
    network = _network(prefix)
    bits, start = network.max_prefixlen, int(network.network_address)
    last_of_network, top = start + network.num_addresses - 1, 2**bits
    result: list[str] = []
    current_last = start - 1
    for extra in (_int(value) for value in newbits):
        length = network.prefixlen + extra
        if extra < 0 or length > bits:
            raise _Reject(f"would extend prefix to {length} bits, which is not a valid subnet")
        size = 2 ** (bits - length)
        candidate = ((current_last % top) // size + 1) * size
        if current_last < start:
            candidate = start
        if candidate + size - 1 > last_of_network:
            raise _Reject(f"not enough remaining address space for a subnet with a prefix of {length} bits")
        result.append(f"{network.network_address + (candidate - start)}/{length}")
        current_last = candidate + size - 1
    return result


@_function("cidrhost")
def _cidrhost(prefix: Any, hostnum: Any) -> Any:
    network, number = _network(prefix), _int(hostnum)
    try:
        return str(network[number])
    except IndexError:
        raise _Reject(f"prefix of {network.prefixlen} bits does not accommodate host {number}") from None


@_function("cidrnetmask")
def _cidrnetmask(prefix: Any) -> Any:
    network = _network(prefix)
    if network.version != 4:
        raise _Reject("only IPv4 networks have a netmask")
    return str(network.netmask)


KNOWN_FUNCTIONS: frozenset[str] = frozenset(_REGISTRY)
