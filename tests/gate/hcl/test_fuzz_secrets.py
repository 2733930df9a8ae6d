"""Seeded fuzzing of sensitivity: expressions generated over a secret never show it, and every string
or number they compute from it is marked.

The secret is the job's (a lasting mark, as ``TF_VAR_`` gives it), so ``nonsensitive()`` does not unmark
it either; it is a string, a map's value and key, and a list's item. What a report could show of a
value is its :func:`display`, its ``str`` and, for an unknown or invalid value, its reason; none may
hold the secret in any case, escape or encoding.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from ttgate.gate.hcl.evaluate import Evaluator
from ttgate.gate.hcl.parse import parse_text
from ttgate.gate.values import Unknown, display, is_lasting, is_sensitive, mark_sensitive

pytestmark = pytest.mark.fuzz

SECRET = 'QzX"Wv\\Jø7Kp-Mn'
CASES = 600

# One operand each ({0}); the generator nests them.
UNARY = (
    "upper({0})", "lower({0})", "title({0})", "strrev({0})", "base64encode({0})", "base64decode({0})",
    "trimspace({0})", "chomp({0})", "urlencode({0})", "sha256({0})", "sha1({0})", "md5({0})",
    "base64sha256({0})", "jsonencode({0})", "jsondecode({0})", "yamlencode({0})", "tostring({0})",
    "tonumber({0})", "sensitive({0})", "nonsensitive({0})", "substr({0}, 1, 5)", "indent(2, {0})",
    'replace({0}, "Q", "q")', 'replace({0}, "/[a-z]+/", "_")', 'format("%s-q", {0})', 'format("%q", {0})',
    'format("%d", {0})', 'join("-", [{0}, "q"])', 'split("-", {0})[0]', '"${{{0}}}-q"',
    '"%{{ if true }}${{{0}}}%{{ endif }}"', '"%{{ for x in [{0}] }}${{x}}%{{ endfor }}"',
    "[for x in [{0}] : upper(x)][0]", "keys({{for x in [{0}] : x => 1}})[0]", "keys({{({0}) = 1}})[0]",
    'lookup({{k = {0}}}, "k")', "element([{0}, 1], 0)", 'coalesce("", {0})', "try({0}, var.s)",
    "length({0})", "{0} + 1", "-({0})", '{0} == "x" ? "a" : {0}', 'regex("[A-Z]+", {0})',
    "regex({0}, \"a\")", "cidrhost({0}, 1)", "parseint({0}, 10)", 'timeadd({0}, "1h")', "file({0})",
    "{{a = 1}}[{0}]", "one([{0}])", "reverse([{0}])[0]", "sort([{0}])[0]", "tolist(toset([{0}]))[0]",
    "jsonencode({{a = [{0}]}})", 'formatlist("%s!", [{0}])[0]', "flatten([[{0}]])[0]",
    "zipmap([{0}], [1])", "csvdecode({0})", "yamldecode({0})", "uuidv5(\"dns\", {0})",
)  # fmt: skip


# Where the secret is: a string, a map's value, a map's key, a list's item.
LEAVES = (
    "var.s", 'var.m["a"]', "jsonencode(var.m)", "values(var.m)[0]", "keys(var.k)[0]", "jsonencode(var.k)",
    "var.l[0]", "join(\",\", var.l)", "tostring(one(var.l))", 'lookup(var.m, "a")', "yamlencode(var.m)",
    '[for k, v in var.k : "${k}=${v}"][0]', "element(flatten([var.l]), 0)", "format(\"%v\", var.l[0])",
)  # fmt: skip


def generate(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(LEAVES)
    return rng.choice(UNARY).format(generate(rng, depth - 1))


def forms(secret: str) -> set[str]:
    found: set[str] = set()
    for text in {secret, secret.lower(), secret.upper(), secret.title(), secret.swapcase()}:
        for variant in (text, text[::-1]):
            raw = variant.encode()
            found |= {
                variant,
                json.dumps(variant)[1:-1],
                variant.replace("\\", "\\\\").replace('"', '\\"'),
                urllib.parse.quote(variant, safe=""),
                base64.b64encode(raw).decode(),
                hashlib.sha256(raw).hexdigest(),
                hashlib.md5(raw).hexdigest(),
            }
    return found | {"jø7kp", "7kp-mn", "j\\u00f87kp"}


FORMS = {form.lower() for form in forms(SECRET)}


class _Scope:
    def lookup(self, name: str, trace: list[Any]) -> Any:
        if name != "var":
            return None
        values = {"s": SECRET, "m": {"a": SECRET}, "k": {SECRET: 1}, "l": [SECRET]}
        return mark_sensitive(values, lasting=True)


def shown(value: Any) -> Iterator[str]:
    """What a rule could write of a value: its display, its str, an unknown's reason, its leaves'."""
    yield display(value, limit=10_000)
    yield str(value)
    if isinstance(value, Unknown):
        yield value.reason
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from shown(item)
    elif isinstance(value, list):
        for item in value:
            yield from shown(item)


def unmarked_leaves(value: Any) -> Iterator[Any]:
    """Strings and numbers in a value (keys included) that carry no lasting mark."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from unmarked_leaves(key)
            yield from unmarked_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from unmarked_leaves(item)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool) and not is_lasting(value):
        yield value


@pytest.mark.parametrize("seed", [18, 1818])
def test_no_generated_expression_shows_the_secret(seed: int) -> None:
    rng = random.Random(seed)
    failures = []
    for index in range(CASES):
        text = generate(rng, rng.randint(1, 5))
        body = parse_text(f"x = {text}\n").body
        assert body is not None, text
        value = Evaluator(_Scope()).evaluate(body.attributes["x"].expr)
        leaked = sorted({form for piece in shown(value) for form in FORMS if form in piece.lower()})
        plain = list(unmarked_leaves(value))
        if (
            leaked
            or plain
            or (is_sensitive(value) and not is_lasting(value) and not isinstance(value, Unknown))
        ):
            failures.append((index, text, leaked, plain[:3]))
    assert failures == []
