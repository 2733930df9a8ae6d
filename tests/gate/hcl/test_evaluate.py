"""The expression evaluator: the language itself, over a scope of plain values."""

from __future__ import annotations

from typing import Any

import pytest

from ttgate.gate.hcl.evaluate import Evaluator, Trace
from ttgate.gate.hcl.parse import parse_text
from ttgate.gate.model import Resource, Stack
from ttgate.gate.values import (
    SENSITIVE,
    Invalid,
    Unknown,
    is_lasting,
    is_sensitive,
    mark_sensitive,
    unmarked,
)

STACK = Stack(name="s", directory=None, layer="20_infra", env="dev")
QUEUE = Resource(
    stack=STACK,
    address="aws_sqs_queue.q",
    mode="managed",
    type="aws_sqs_queue",
    name="q",
    module_path="",
    values={},
    location=None,
)
UNKNOWN = Unknown("var.u has no value")

VARS: dict[str, Any] = {
    "u": UNKNOWN,
    "t": True,
    "f": False,
    "s": "x",
    "n": None,
    "m": {"a": 1, "b": 2},
    "l": [
        {"id": 1, "a": [5], "team": "red"},
        {"id": 2, "a": [6], "team": "blue"},
        {"id": 3, "a": [7], "team": "red"},
    ],
    "queue": Unknown("aws_sqs_queue.q is known only after apply", QUEUE),
    "secret": mark_sensitive("Hunter2"),  # as a sensitive variable's value reaches the evaluator
    "secret_n": mark_sensitive("42"),
    "job_secret": mark_sensitive("Job-Token", lasting=True),  # TF_VAR_, --var-file, ephemeral
}


class DictScope:
    def lookup(self, name: str, trace: Trace) -> Any:
        if name == "var":
            return VARS
        return Invalid(f"{name} is not declared")


def ev(text: str) -> Any:
    body = parse_text(f"x = {text}\n").body
    assert body is not None, text
    return Evaluator(DictScope()).evaluate(body.attributes["x"].expr)


def is_invalid(value: Any) -> bool:
    return isinstance(value, Invalid)


def is_plain_unknown(value: Any) -> bool:
    return isinstance(value, Unknown) and not isinstance(value, Invalid)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("8 / 4 / 2", 1),
        ("7 / 2", 3.5),
        ("7 % 3", 1),
        ("2 * 3 % 4", 2),
        ("-2 * 3", -6),
        ("5 - -2", 7),
        ('"3" + 4', 7),
        ("true || false && false", True),
        ("!true == false", True),
        ("1 + 2 == 3 && 2 > 1", True),
        ("false ? 1 : true ? 2 : 3", 2),
    ],
)
def test_operators_and_precedence(text: str, value: Any) -> None:
    result = ev(text)
    assert result == value
    assert type(result) is type(value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 == 1.0", True),
        ('"1" == 1', False),
        ('true == "true"', False),
        ('"a" != "b"', True),
        ("null == null", True),
        ("var.n == null", True),
        ("[1, 2] == [1, 2]", True),
        ("{a = 1} == {a = 2}", False),
        ("1 >= 1", True),
        ('"2" < 10', True),
    ],
)
def test_comparisons(text: str, value: bool) -> None:
    assert ev(text) is value


def test_arithmetic_errors_are_invalid() -> None:
    assert is_invalid(ev("1 / 0"))
    assert is_invalid(ev('"a" + 1'))
    assert is_invalid(ev("-var.s"))
    assert is_invalid(ev('"yes" ? 1 : 2'))


def test_conditionals() -> None:
    assert ev('var.t ? "y" : "n"') == "y"
    assert ev('var.f ? "y" : "n"') == "n"
    assert ev('var.s == "x" ? 1 : 2') == 1
    assert ev('"true" ? 1 : 2') == 1


def test_conditional_on_unknown_is_known_when_both_branches_are_equal() -> None:
    assert ev("var.u ? 14 : 14") == 14
    assert ev("var.u ? 14 : 30") is UNKNOWN
    assert ev("var.u ? var.u : var.u") is UNKNOWN


def test_logic_with_unknown_short_circuits_on_a_deciding_value() -> None:
    assert ev("false && var.u") is False
    assert ev("var.u && false") is False
    assert ev("true || var.u") is True
    assert ev("var.u || true") is True
    assert ev("var.u && true") is UNKNOWN
    assert ev("false || var.u") is UNKNOWN
    assert ev("!var.u") is UNKNOWN


def test_comparison_and_arithmetic_with_unknown_are_unknown() -> None:
    assert ev("var.u == 1") is UNKNOWN
    assert ev("var.u + 1") is UNKNOWN
    assert ev("1 < var.u") is UNKNOWN


def test_templates() -> None:
    assert ev('"a${1}b${true}"') == "a1btrue"
    assert ev('"${var.s}-${var.m.b}"') == "x-2"
    assert ev('"${1.0}!"') == "1!"
    assert is_plain_unknown(ev('"${var.u}-x"'))
    assert ev('"${var.u}-x"').reason == UNKNOWN.reason
    assert is_invalid(ev('"a${var.n}"'))
    assert is_invalid(ev('"a${var.m}"'))


def test_single_interpolation_returns_the_value_itself() -> None:
    assert ev('"${var.m}"') == {"a": 1, "b": 2}
    assert ev('"${var.m.a}"') == 1
    assert ev('"${var.t}"') is True
    assert ev('"${var.queue}"') is VARS["queue"]


def test_template_over_a_resource_attribute_is_not_that_attribute() -> None:
    alarm_name = ev('"${var.queue.name}-messages-alarm"')
    assert is_plain_unknown(alarm_name)
    assert alarm_name.resource is None


def test_for_expressions() -> None:
    assert ev("[for v in var.l : v.id]") == [1, 2, 3]
    assert ev("[for i, v in var.l : i]") == [0, 1, 2]
    assert ev("{for k, v in var.m : k => v * 2}") == {"a": 2, "b": 4}
    assert ev("[for k, v in var.m : k if v > 1]") == ["b"]
    assert ev("{for v in var.l : v.id => v.team if v.id != 2}") == {"1": "red", "3": "red"}


def test_for_expression_grouping() -> None:
    assert ev("{for v in var.l : v.team => v.id...}") == {"red": [1, 3], "blue": [2]}
    assert is_invalid(ev("{for v in var.l : v.team => v.id}"))


def test_for_expression_over_unknown_or_null() -> None:
    assert ev("[for v in var.u : v]") is UNKNOWN
    assert ev("[for v in [1, 2] : v if var.u]") is UNKNOWN
    assert is_invalid(ev("[for v in var.n : v]"))


def test_splats() -> None:
    assert ev("var.l[*].id") == [1, 2, 3]
    assert ev("var.l.*.id") == [1, 2, 3]
    assert ev("var.l[*].a[0]") == [5, 6, 7]
    assert ev("var.l.*.a[0]") == [5]  # the legacy splat ends at a bracket: the first element's list
    assert ev("var.l.*.a.0") == [5, 6, 7]
    assert ev("var.l.*.id[1]") == 2
    assert ev("var.s[*]") == ["x"]
    assert ev("var.n[*].id") == []
    assert is_invalid(ev("var.m[*]"))
    assert ev("var.u[*].id") is UNKNOWN


@pytest.mark.parametrize(
    "text",
    [
        "var.l[5]",
        "var.l[-1]",
        'var.l["a"]',
        "var.m.zz",
        'var.m["zz"]',
        "var.n.x",
        "var.s.x",
        "local.x",
        "var.l[0].nope",
    ],
)
def test_index_and_attribute_errors_are_invalid(text: str) -> None:
    assert is_invalid(ev(text))


def test_indexing() -> None:
    assert ev("var.l[1].id") == 2
    assert ev('var.l["1"].id') == 2
    assert ev("var.l.0.id") == 1
    assert ev('var.m["b"]') == 2
    assert ev("[1, 2, 3][1]") == 2
    assert ev("{a = 1}.a") == 1


def test_try_and_can() -> None:
    assert ev('try(var.m.zz, "fallback")') == "fallback"
    assert ev('try(var.m.a, "fallback")') == 1
    assert ev('try(var.u, "fallback")') is UNKNOWN
    assert is_invalid(ev("try(var.m.zz, var.l[9])"))
    assert ev("can(var.m.zz)") is False
    assert ev("can(var.m.a)") is True
    assert ev("can(var.u)") is UNKNOWN


def test_function_calls_and_expansion() -> None:
    assert ev("max([1, 5, 3]...)") == 5
    assert ev("length(var.l)") == 3
    assert ev('lookup(var.m, "b", 0)') == 2
    assert is_invalid(ev('max("a"...)'))
    assert ev("max(var.u...)") is UNKNOWN
    assert is_plain_unknown(ev("provider::aws::arn_parse(var.s)"))


def test_unknown_attribute_keeps_the_resource_link() -> None:
    arn = ev("var.queue.arn")
    assert isinstance(arn, Unknown)
    assert (arn.resource, arn.attribute) == (QUEUE, "arn")
    # An attribute of an attribute stays the first attribute's (a nested field of the same value).
    assert ev("var.queue.arn.x").attribute == "arn"
    assert ev("var.queue[0]") is VARS["queue"]
    assert ev("tostring(var.queue.arn)").resource is QUEUE
    assert ev('var.t ? var.queue.arn : "other"').resource is QUEUE


def test_unknown_propagates_through_structures() -> None:
    value = ev("{ arn = var.queue.arn, n = 1 }")
    assert value["n"] == 1
    assert value["arn"].resource is QUEUE
    assert ev("[var.u, 1][1]") == 1
    assert ev("[var.u, 1][0]") is UNKNOWN


def test_values_in_messages_are_never_python_reprs() -> None:
    from ttgate.gate.values import display

    assert display([Unknown("aws_lambda_function.f[0].arn is known only after apply")]) == (
        "[unknown (aws_lambda_function.f[0].arn is known only after apply)]"
    )
    assert display({"a": [1, "x", None, True]}) == '{a = [1, "x", null, true]}'
    assert len(display(list(range(10_000)))) == 80


# -- sensitivity follows the value ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("upper(var.secret)", "HUNTER2"),
        ("lower(var.secret)", "hunter2"),
        ("strrev(var.secret)", "2retnuH"),
        ("substr(var.secret, 1, 3)", "unt"),
        ('replace(var.secret, "2", "3")', "Hunter3"),
        ("base64encode(var.secret)", "SHVudGVyMg=="),
        ('format("%s-q", var.secret)', "Hunter2-q"),
        ('join("-", [var.secret, "q"])', "Hunter2-q"),
        ('"${var.secret}-q"', "Hunter2-q"),
        ('[for s in [var.secret] : "${s}-q"][0]', "Hunter2-q"),
        ('{for s in [var.secret] : "k" => lower(s)}["k"]', "hunter2"),
        ("tonumber(var.secret_n) + 1", 43),
        ("var.secret_n * 2", 84),
        ("-var.secret_n", -42),
        ("length(var.secret)", 7),
        ('lower(sensitive("Public"))', "public"),
        ("nonsensitive(var.job_secret)", "Job-Token"),
        ("upper(nonsensitive(var.job_secret))", "JOB-TOKEN"),
        ("nonsensitive(upper(var.job_secret))", "JOB-TOKEN"),
        ('{a = "Hunter2"}[var.secret == "x" ? "a" : "a"]', "Hunter2"),
    ],
)
def test_a_value_computed_from_a_sensitive_one_is_marked(text: str, value: Any) -> None:
    result = ev(text)  # a key a secret chooses is sensitive (as Terraform's conditional with one is)
    assert is_sensitive(result), text
    assert unmarked(result) == value and f"{result}" == SENSITIVE


def test_nonsensitive_removes_a_mark_as_terraform_does_but_not_a_lasting_one() -> None:
    """``nonsensitive()`` of a value the configuration marked gives it plain, and what is computed from
    it is plain too; the job's own values (and ephemeral ones) keep their mark."""
    for text, value in (
        ("nonsensitive(var.secret)", "Hunter2"),
        ("upper(nonsensitive(var.secret))", "HUNTER2"),
        ('"${nonsensitive(lower(var.secret))}-q"', "hunter2-q"),
        ('nonsensitive(sensitive("x"))', "x"),
        ('nonsensitive("plain")', "plain"),
    ):
        result = ev(text)
        assert result == value and not is_sensitive(result), text
    assert is_sensitive(ev('"${nonsensitive(var.secret)}-${var.secret}"'))
    for text in ("nonsensitive(var.job_secret)", 'nonsensitive(format("%s", var.job_secret))'):
        assert is_lasting(ev(text)), text


def test_an_error_about_a_sensitive_value_does_not_quote_it() -> None:
    for text in ("-var.secret", "var.secret + 1", "jsondecode(var.secret)", "tonumber(var.secret)"):
        result = ev(text)
        assert is_invalid(result) and "Hunter2" not in result.reason, (text, result.reason)


def test_a_plain_value_beside_a_sensitive_one_stays_plain() -> None:
    pair = ev('[var.secret, upper("q")]')
    assert is_sensitive(pair[0]) and pair[1] == "Q" and not is_sensitive(pair[1])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("var.n.timeout", "var.n is null, so var.n.timeout cannot be read"),
        ('var.n["a"]', 'var.n is null, so var.n["a"] cannot be read'),
        ("var.n[0].x", "var.n is null, so var.n[0] cannot be read"),
        ("(var.t ? null : 1).x", "this value is null, so .x cannot be read from it"),
        ("var.s.x", "cannot read .x of a string"),
        ("var.s[0]", "cannot index a string"),
    ],
)
def test_reading_into_null_names_what_was_null(text: str, reason: str) -> None:
    value = ev(text)
    assert is_invalid(value)
    assert value.reason == reason
