"""Values of evaluated Terraform expressions.

Known values are plain Python data (str, int, float, bool, None, list, dict). What cannot be known
before apply, or without inputs ttgate was not given, is an :class:`Unknown` that says why. Rules
must treat an Unknown as "cannot decide", never as a default.

A value derived from a sensitive one (a variable or output declared ``sensitive = true``) is
*marked*, as Terraform marks it: a string or number becomes a :class:`SensitiveStr`,
:class:`SensitiveInt` or :class:`SensitiveFloat`. Rules compare and compute with it as with the plain
value (a sensitive timeout is still checked against the runbook's minimum), but every way of showing
it (``str``, ``repr``, f-strings, :func:`display`) prints ``(sensitive)``. Containers are marked leaf
by leaf; booleans and null cannot be marked and show as they are (they reveal at most one bit).
Values a plan marks sensitive never enter the model at all: they are ``Unknown("(sensitive)")``.

Some marks are *lasting*: a value the job itself gives (``TF_VAR_``, ``--var-file``) or an ephemeral one
is a :class:`LastingStr`, :class:`LastingInt` or :class:`LastingFloat`, and what is computed from it is
lasting too. ``nonsensitive()`` removes a mark as Terraform does, except a lasting one: the author of a
pull request must not be able to print the job's secrets by asking to.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

SENSITIVE = "(sensitive)"
# The stack name under which the model records the job's own secrets (TF_VAR_, --var-file): they are
# searched for in every stack's findings (no stack is named "").
EVERY_STACK = ""


class LinkedResource(Protocol):
    """A resource an unknown value comes from, as values see it.

    The model is made of values, so values name none of its classes: the model's Resource is the one
    kind of LinkedResource, and ``model.linked_resource`` gives an Unknown's link back as one.
    """

    mode: str  # "managed" or "data"
    type: str


class _Sensitive:
    """Shows as ``(sensitive)`` however it is formatted; computes as the value it wraps."""

    __slots__ = ()

    def __str__(self) -> str:
        return SENSITIVE

    def __repr__(self) -> str:
        return SENSITIVE

    def __format__(self, spec: str) -> str:
        return SENSITIVE


class SensitiveStr(_Sensitive, str):
    __slots__ = ()


class SensitiveInt(_Sensitive, int):
    __slots__ = ()


class SensitiveFloat(_Sensitive, float):
    __slots__ = ()


class _Lasting:
    """A mark ``nonsensitive()`` does not remove: the job's own values and ephemeral ones."""

    __slots__ = ()


class LastingStr(_Lasting, SensitiveStr):
    __slots__ = ()


class LastingInt(_Lasting, SensitiveInt):
    __slots__ = ()


class LastingFloat(_Lasting, SensitiveFloat):
    __slots__ = ()


def _keeps_mark(method: Any) -> Any:
    """``method`` of str, int or float whose result is marked as its operands are."""

    @functools.wraps(method)
    def marked(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        lasting = any(isinstance(arg, _Lasting) for arg in args)
        if isinstance(result, tuple):  # partition, divmod
            return tuple(mark_sensitive(item, lasting=lasting) for item in result)
        return mark_sensitive(result, lasting=lasting)

    return marked


# What a rule derives from a marked value keeps the mark: ``name.lower()``, ``name[:8]``,
# ``name + "-dlq"``, ``timeout * 6``, ``name.split("-")``. (``"-".join([...])`` and ``re.sub`` belong to
# the plain separator or pattern and give plain text: a rule using them on a value marks the result with
# :func:`mark_like`.) Comparisons stay plain booleans.
_STR_METHODS = (
    "__add__", "__radd__", "__mul__", "__rmul__", "__mod__", "__getitem__", "capitalize", "casefold",
    "center", "expandtabs", "format", "ljust", "lower", "lstrip", "partition", "removeprefix",
    "removesuffix", "replace", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines", "strip",
    "swapcase", "title", "translate", "upper", "zfill",
)  # fmt: skip
_NUMBER_METHODS = (
    "__abs__", "__add__", "__ceil__", "__divmod__", "__floor__", "__floordiv__", "__mod__", "__mul__",
    "__neg__", "__pos__", "__pow__", "__radd__", "__rdivmod__", "__rfloordiv__", "__rmod__", "__rmul__",
    "__round__", "__rpow__", "__rsub__", "__rtruediv__", "__sub__", "__truediv__", "__trunc__",
)  # fmt: skip
for _name in _STR_METHODS:
    if hasattr(str, _name):
        setattr(SensitiveStr, _name, _keeps_mark(getattr(str, _name)))
# str has no __radd__: ``"prefix-" + name`` asks the subclass first, so it can keep the mark.
SensitiveStr.__radd__ = lambda self, other: (  # type: ignore[attr-defined]
    mark_like(other + str.__str__(self), self, other) if isinstance(other, str) else NotImplemented
)
for _kind, _base in ((SensitiveInt, int), (SensitiveFloat, float)):
    for _name in _NUMBER_METHODS:
        if hasattr(_base, _name):
            setattr(_kind, _name, _keeps_mark(getattr(_base, _name)))


def is_sensitive(value: Any) -> bool:
    """The value, or anything inside it, is marked sensitive."""
    if isinstance(value, _Sensitive):
        return True
    if isinstance(value, Unknown):
        return (
            value.reason == SENSITIVE or is_sensitive(value.partial) or is_sensitive(list(value.parts or ()))
        )
    if isinstance(value, dict):  # a key may be computed from a secret ({(var.secret) = 1})
        return any(is_sensitive(key) or is_sensitive(item) for key, item in value.items())
    if isinstance(value, list):
        return any(is_sensitive(item) for item in value)
    return False


def is_lasting(value: Any) -> bool:
    """The value, or anything inside it, carries a lasting mark (see the module's docstring)."""
    if isinstance(value, _Lasting):
        return True
    if isinstance(value, Unknown):
        return is_lasting(value.partial) or is_lasting(list(value.parts or ()))
    if isinstance(value, dict):
        return any(is_lasting(key) or is_lasting(item) for key, item in value.items())
    if isinstance(value, list):
        return any(is_lasting(item) for item in value)
    return False


def mark_sensitive(value: Any, lasting: bool = False) -> Any:
    """``value`` with every string and number in it marked sensitive (``lasting``: with a mark
    ``nonsensitive()`` does not remove); other objects as they are. A mark is never weakened."""
    if isinstance(value, bool) or value is None or isinstance(value, _Lasting):
        return value
    if isinstance(value, _Sensitive) and not lasting:
        return value
    if isinstance(value, str):
        return LastingStr(str.__str__(value)) if lasting else SensitiveStr(value)
    if isinstance(value, int):
        return LastingInt(int(value)) if lasting else SensitiveInt(value)
    if isinstance(value, float):
        return LastingFloat(float(value)) if lasting else SensitiveFloat(value)
    if isinstance(value, dict):  # keys too: a map built from a secret has it in its keys (zipmap)
        return {mark_sensitive(key, lasting): mark_sensitive(item, lasting) for key, item in value.items()}
    if isinstance(value, list):
        return [mark_sensitive(item, lasting) for item in value]
    if isinstance(value, Unknown):
        # The known pieces of a template keep their text for name prefixes; they show as (sensitive).
        parts = tuple(mark_sensitive(part, lasting) for part in value.parts) if value.parts else value.parts
        partial = mark_sensitive(value.partial, lasting)
        return replace(value, partial=partial, parts=parts)
    return value


def marked_leaf(value: Any) -> bool:
    """The value itself is marked (not only something inside a collection it holds)."""
    if isinstance(value, _Sensitive):
        return True
    if isinstance(value, Unknown):
        return value.reason == SENSITIVE or any(marked_leaf(part) for part in value.parts or ())
    return False


def unmarked(value: Any) -> Any:
    """``value`` with every mark removed, to compute on (never to show)."""
    if isinstance(value, SensitiveStr):
        return str.__str__(value)
    if isinstance(value, SensitiveInt):
        return int(value)
    if isinstance(value, SensitiveFloat):
        return float(value)
    if isinstance(value, dict):
        return {unmarked(key): unmarked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unmarked(item) for item in value]
    if isinstance(value, Unknown) and is_sensitive(value) and value.reason != SENSITIVE:
        parts = tuple(unmarked(part) for part in value.parts) if value.parts else value.parts
        return replace(value, partial=unmarked(value.partial), parts=parts)
    return value


def mark_like(value: Any, *sources: Any) -> Any:
    """``value`` marked sensitive when any of ``sources`` is (or holds) a marked value: what is computed
    from a sensitive value is sensitive, however it was computed (and lasting when a source is)."""
    if not any(is_sensitive(source) for source in sources):
        return value
    return mark_sensitive(value, lasting=any(is_lasting(source) for source in sources))


def plain_text(value: str) -> str:
    """The text a (possibly marked) string holds, for computing with it, never for showing."""
    return str.__str__(value)


def secret_strings(value: Any) -> Iterator[str]:
    """Every string and number inside a sensitive value, as text: what no report may contain."""
    if isinstance(value, Unknown):
        yield from secret_strings(value.partial)
        yield from secret_strings(list(value.parts or ()))
    elif isinstance(value, dict):  # not its keys: a sensitive object's "name" is no secret to search for
        for item in value.values():
            yield from secret_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from secret_strings(item)
    elif isinstance(value, str):
        yield str.__str__(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        yield str(int(number)) if number.is_integer() else repr(number)


@dataclass(frozen=True, eq=False)
class Unknown:
    """A value that cannot be determined statically.

    ``reason`` is written for a person ("var.timeout has no value"). ``resource`` and ``attribute``
    name the resource attribute the value comes from when that is known (``aws_sqs_queue.main.arn``
    is unknown until apply, but it is certainly that queue's ARN): cross-resource rules link through
    them. ``partial`` keeps the known structure of a value whose leaves are unknown, such as a
    ``jsonencode`` of an object holding a queue ARN. ``parts`` keeps a string template whose pieces
    are partly unknown (``"/aws/lambda/${aws_lambda_function.f.function_name}"``): its known prefix
    decides name patterns, as Terraform's refinements do, and its unknown pieces keep their links.
    """

    reason: str
    resource: LinkedResource | None = None
    attribute: str | None = None
    partial: Any = field(default=None)
    parts: tuple[str | Unknown, ...] | None = None

    @property
    def prefix(self) -> str:
        """The known beginning of a string template ("" when nothing is known)."""
        known = []
        for part in self.parts or ():
            if not isinstance(part, str):
                known.append(part.prefix)
                break
            known.append(part)
        return "".join(known)

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"

    def __str__(self) -> str:
        return "(unknown)"


def decode_json_template(value: Unknown) -> Any:
    """``jsondecode`` of a string template with unknown pieces, or None when it is not JSON.

    A redrive or bucket policy is often a heredoc: ``{"deadLetterTargetArn": "${aws_sqs_queue.dlq.arn}"}``.
    Each unknown piece stands in the JSON as a marker; a string that is exactly one marker is that
    unknown value again (with its link to the queue), a string holding one among text is unknown.
    """
    if not value.parts:
        return None
    markers: dict[str, Unknown] = {}
    text: list[str] = []
    for index, part in enumerate(value.parts):
        if isinstance(part, str):
            text.append(part)
            continue
        marker = f"@ttgate-unknown-{index}@"
        markers[marker] = part
        previous = "".join(text)
        inside_string = (previous.count('"') - previous.count('\\"')) % 2 == 1
        # A piece outside quotes (`"maxReceiveCount": ${var.count}`) stands for a whole JSON value.
        text.append(marker if inside_string else f'"{marker}"')
    try:
        decoded = json.loads("".join(text))
    except ValueError:
        return None

    def restore(item: Any) -> Any:
        if isinstance(item, str) and "@ttgate-unknown-" in item:
            return markers.get(item) or Unknown(f"part of the JSON string {display(item)} is unknown")
        if isinstance(item, list):
            return [restore(element) for element in item]
        if isinstance(item, dict):
            return {key: restore(element) for key, element in item.items()}
        return item

    return restore(decoded)


def _flat_pieces(value: Any) -> list[Any]:
    """A string's pieces, partly unknown ones expanded, adjacent known text joined."""
    pieces: list[Any] = []
    for piece in value.parts if isinstance(value, Unknown) and value.parts is not None else (value,):
        expanded = _flat_pieces(piece) if isinstance(piece, Unknown) and piece.parts is not None else [piece]
        for item in expanded:
            if isinstance(item, str) and pieces and isinstance(pieces[-1], str):
                pieces[-1] += item
            elif item != "":
                pieces.append(item)
    return pieces


def _same_piece(a: Any, b: Any) -> bool:
    if isinstance(a, Unknown) and isinstance(b, Unknown):
        linked = a.resource is not None and a.resource is b.resource and a.attribute == b.attribute
        return a is b or linked
    return isinstance(a, str) and isinstance(b, str) and a == b


def same_string(a: Any, b: Any) -> bool | None:
    """Whether two strings, either partly unknown, are equal: None when the unknown pieces decide.

    Equal when built the same way from the same unknown values (``"/aws/lambda/${var.prefix}-x"``
    against ``"/aws/lambda/" + function_name`` where ``function_name = "${var.prefix}-x"``); different
    when their known beginnings or ends differ.
    """
    left, right = _flat_pieces(a), _flat_pieces(b)
    if len(left) == len(right) and all(map(_same_piece, left, right)):
        return True
    if all(isinstance(piece, str) for piece in (*left, *right)):
        return False
    starts = [piece if isinstance(piece, str) else "" for piece in (left[0], right[0])]
    ends = [piece if isinstance(piece, str) else "" for piece in (left[-1], right[-1])]
    if not (starts[0].startswith(starts[1]) or starts[1].startswith(starts[0])):
        return False
    if not (ends[0].endswith(ends[1]) or ends[1].endswith(ends[0])):
        return False
    return None


def first_unknown(values: Iterable[Any]) -> Unknown | None:
    for value in values:
        if isinstance(value, Unknown):
            return value
    return None


def deep_unknown(value: Any) -> Unknown | None:
    """The first Unknown anywhere inside ``value``, or None when it is fully known."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        for item in value.values():
            found = deep_unknown(item)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = deep_unknown(item)
            if found is not None:
                return found
    return None


def as_number(value: Any) -> float | int | Unknown | None:
    """Terraform's number conversion: numbers and numeric strings; None when not a number."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = str.__str__(value).strip()
        try:
            number: int | float = mark_like(int(text), value)
            return number
        except ValueError:
            pass
        try:
            number = mark_like(float(text), value)
            return number
        except ValueError:
            return None
    return None


_QUOTE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quoted(text: str) -> str:
    """A string as Terraform quotes it: ``"a \\"b\\" c\\n"``, and ``$${`` for a literal ``${``."""
    escaped = "".join(_QUOTE_ESCAPES.get(char, char) for char in text)
    return '"' + escaped.replace("${", "$${").replace("%{", "%%{") + '"'


def display(value: Any, limit: int = 80) -> str:
    """A short, human form of a value for messages."""
    if isinstance(value, _Sensitive) or (isinstance(value, Unknown) and value.reason == SENSITIVE):
        return SENSITIVE
    if isinstance(value, Unknown):
        return f"unknown ({value.reason})"
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 1] + "…"
        return quoted(text)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        text = "[" + ", ".join(display(item, limit) for item in value[:limit]) + "]"
    elif isinstance(value, dict):
        text = (
            "{"
            + ", ".join(f"{key} = {display(item, limit)}" for key, item in list(value.items())[:limit])
            + "}"
        )
    else:
        text = str(value)  # numbers; never a Python repr
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, eq=False)
class Invalid(Unknown):
    """An expression Terraform itself would reject (a type error, a missing attribute).

    It is unknown to the rules like any other Unknown; ``try()`` and ``can()`` treat it as an error.
    """

    def __repr__(self) -> str:
        return f"Invalid({self.reason!r})"


def short(text: str, limit: int = 100) -> str:
    """An expression's source on one line, cut to ``limit`` characters, for messages."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
