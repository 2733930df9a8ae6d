"""Terraform built-in functions: results, Terraform's edge cases, unknowns and rejections."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ttgate.gate.hcl.functions import KNOWN_FUNCTIONS, FunctionError, call
from ttgate.gate.values import Unknown

QUEUE_ARN = Unknown("known after apply", attribute="arn")


def unknown(reason: str = "known after apply") -> Unknown:
    return Unknown(reason, attribute="arn")


# --- normal behaviour and Terraform's edge cases -------------------------------------------------

RESULTS: list[tuple[str, list[Any], Any]] = [
    # paths, as terraform console gives them (Go's filepath.Dir and filepath.Base)
    ("dirname", ["foo/bar/baz.txt"], "foo/bar"),
    ("dirname", ["baz.txt"], "."),
    ("dirname", ["/a"], "/"),
    ("dirname", [""], "."),
    ("dirname", ["a/b/"], "a/b"),
    ("basename", ["foo/bar/baz.txt"], "baz.txt"),
    ("basename", ["/"], "/"),
    ("basename", [""], "."),
    ("basename", ["a/b/"], "b"),
    # numbers: integral results are ints
    ("max", [1, 2.0], 2),
    ("max", [1, "3"], 3),
    ("min", [5, 2.5, 3], 2.5),
    ("abs", [-3], 3),
    ("abs", [-1.5], 1.5),
    ("ceil", [1.2], 2),
    ("floor", [-1.2], -2),
    ("signum", [-7], -1),
    ("signum", [0], 0),
    ("signum", [2.5], 1),
    ("pow", [2, 10], 1024),
    ("pow", [2, -1], 0.5),
    ("log", [16, 2], 4),
    ("parseint", ["FF", 16], 255),
    ("parseint", ["-1010", 2], -10),
    ("parseint", ["zA", 62], 2206),
    # strings, with numbers and bools converted as Terraform does
    ("lower", ["HeLLo"], "hello"),
    ("upper", [1], "1"),
    ("upper", [True], "TRUE"),
    ("title", ["hello world-foo_bar"], "Hello World-Foo_bar"),
    ("split", [",", "a,,b"], ["a", "", "b"]),
    ("split", [",", ""], [""]),
    ("join", ["-", ["a", 1, True]], "a-1-true"),
    ("join", [",", ["a"], ["b", "c"]], "a,b,c"),
    ("replace", ["a.b.c", ".", "-"], "a-b-c"),
    ("replace", ["hello-world", "/(\\w+)-(\\w+)/", "$2 $1"], "world hello"),
    ("replace", ["2024-05", "/(?P<y>\\d+)-(?P<m>\\d+)/", "${m}/${y} $$"], "05/2024 $"),
    ("replace", ["abc", "/[[:alpha:]]/", "x"], "xxx"),
    ("replace", ["a.b", "/", "x"], "a.b"),
    ("substr", ["hello world", 1, 4], "ello"),
    ("substr", ["hello world", -5, -1], "world"),
    ("substr", ["hello", 10, 2], ""),
    ("trim", ["?!hello?!", "!?"], "hello"),
    ("trimspace", ["  hi \n"], "hi"),
    ("trimprefix", ["helloworld", "hello"], "world"),
    ("trimprefix", ["helloworld", "x"], "helloworld"),
    ("trimsuffix", ["helloworld", "world"], "hello"),
    ("startswith", ["arn:aws:sqs", "arn:"], True),
    ("endswith", ["file.json", ".yaml"], False),
    ("strcontains", ["hello", "ell"], True),
    ("strrev", ["abc"], "cba"),
    ("chomp", ["hello\n\r\n"], "hello"),
    ("chomp", ["hello\nworld"], "hello\nworld"),
    ("indent", [2, "[\n  foo,\n]\n"], "[\n    foo,\n  ]\n  "),
    ("urlencode", ["a b&c=d/é~"], "a+b%26c%3Dd%2F%C3%A9~"),
    # format
    ("format", ["Hello, %s!", "Ander"], "Hello, Ander!"),
    ("format", ["There are %d lights", 4], "There are 4 lights"),
    ("format", ["%.2f", 3.14159], "3.14"),
    ("format", ["%8.3f|", 3.14159], "   3.142|"),
    ("format", ["%-5s|%5s|", "ab", "cd"], "ab   |   cd|"),
    ("format", ["%03d %+d %x %X %b %o", 7, 5, 255, 255, 5, 8], "007 +5 ff FF 101 10"),
    ("format", ["%q", 'say "hi"'], '"say \\"hi\\""'),
    ("format", ["%v %v %v", "s", 30.0, False], "s 30 false"),
    ("format", ["%v", {"b": 1, "a": [1]}], '{"a":[1],"b":1}'),
    ("format", ["%#v", "s"], '"s"'),
    ("format", ["%t", "true"], "true"),
    ("format", ["100%%"], "100%"),
    ("format", ["%[2]s %[1]s", "a", "b"], "b a"),
    ("format", ["%s", 1.5], "1.5"),
    ("formatlist", ["%s-%s", ["a", "b"], "x"], ["a-x", "b-x"]),
    ("formatlist", ["%s=%d", ["a", "b"], [1, 2]], ["a=1", "b=2"]),
    ("formatlist", ["static"], ["static"]),
    # type conversions
    ("tostring", [True], "true"),
    ("tostring", [30.0], "30"),
    ("tostring", [0.1], "0.1"),
    ("tostring", [1e-7], "0.0000001"),
    ("tostring", [None], None),
    ("tonumber", ["42"], 42),
    ("tonumber", ["1.5"], 1.5),
    ("tonumber", ["2.0"], 2),
    ("tonumber", [None], None),
    ("tobool", ["false"], False),
    ("tobool", [None], None),
    ("tolist", [["a", 1, True]], ["a", "1", "true"]),
    ("tolist", [[1, 2]], [1, 2]),
    ("tomap", [{"a": 1, "b": "x"}], {"a": "1", "b": "x"}),
    ("toset", [["b", "a", "b"]], ["a", "b"]),
    ("toset", [[10, 2, 2, 1]], [1, 2, 10]),
    ("toset", [["b", 1, "a"]], ["1", "a", "b"]),
    ("toset", [[{"a": 1}, {"a": 1}]], [{"a": 1}]),
    ("sensitive", [{"a": 1}], {"a": 1}),
    ("nonsensitive", ["x"], "x"),
    # collections
    ("length", ["héllo"], 5),
    ("length", [[1, 2, 3]], 3),
    ("length", [{"a": 1}], 1),
    ("lookup", [{"a": 1}, "a"], 1),
    ("lookup", [{"a": 1}, "b", "default"], "default"),
    ("lookup", [{"a": 1}, "b", None], None),
    ("merge", [{"a": 1, "b": 1}, None, {"b": 2}], {"a": 1, "b": 2}),
    ("merge", [], {}),
    ("concat", [[1], [], [2, 3]], [1, 2, 3]),
    ("coalesce", ["", None, "x"], "x"),
    ("coalesce", [None, 0], 0),
    ("coalesce", ["", 1, "x"], "1"),
    ("coalescelist", [[], ["a"], ["b"]], ["a"]),
    ("compact", [["a", "", None, "b"]], ["a", "b"]),
    ("contains", [["a", "b"], "b"], True),
    ("contains", [["a", "b"], "c"], False),
    ("contains", [["1", "2"], 1], True),
    ("distinct", [["b", "a", "b", "c", "a"]], ["b", "a", "c"]),
    ("distinct", [[1, 1.0, 2]], [1, 2]),
    ("element", [["a", "b", "c"], 1], "b"),
    ("element", [["a", "b", "c"], 5], "c"),
    ("flatten", [[["a", ["b"]], [], "c"]], ["a", "b", "c"]),
    ("flatten", [[{"a": [1]}]], [{"a": [1]}]),
    ("index", [["a", "b"], "b"], 1),
    ("keys", [{"b": 1, "a": 2}], ["a", "b"]),
    ("values", [{"b": 1, "a": 2}], [2, 1]),
    ("range", [3], [0, 1, 2]),
    ("range", [1, 4], [1, 2, 3]),
    ("range", [3, 0], [3, 2, 1]),
    ("range", [-3], [0, -1, -2]),
    ("range", [1, 8, 2], [1, 3, 5, 7]),
    ("range", [0, 1, 0.25], [0, 0.25, 0.5, 0.75]),
    ("range", [0], []),
    ("reverse", [[1, 2, 3]], [3, 2, 1]),
    ("slice", [["a", "b", "c", "d"], 1, 3], ["b", "c"]),
    ("slice", [["a"], 1, 1], []),
    ("sort", [["e", "d", "a"]], ["a", "d", "e"]),
    ("sort", [[3, 10]], ["10", "3"]),
    ("sum", [[1, 2.5, "3"]], 6.5),
    ("sum", [[1.5, 1.5]], 3),
    ("zipmap", [["a", "b"], [1, 2]], {"a": 1, "b": 2}),
    ("one", [[]], None),
    ("one", [["x"]], "x"),
    ("chunklist", [[1, 2, 3, 4, 5], 2], [[1, 2], [3, 4], [5]]),
    ("chunklist", [[1, 2], 0], [[1, 2]]),
    ("setunion", [["b"], ["a", "b"]], ["a", "b"]),
    ("setintersection", [["a", "b", "c"], ["b", "c", "d"]], ["b", "c"]),
    ("setsubtract", [["a", "b", "c"], ["a", "c"]], ["b"]),
    ("setproduct", [["a", "b"], [1, 2]], [["a", 1], ["a", 2], ["b", 1], ["b", 2]]),
    ("matchkeys", [["i-1", "i-2", "i-3"], ["a", "b", "c"], ["a", "c"]], ["i-1", "i-3"]),
    ("transpose", [{"a": ["1", "2"], "b": ["2", "3"]}], {"1": ["a"], "2": ["a", "b"], "3": ["b"]}),
    ("alltrue", [[]], True),
    ("alltrue", [[True, "true"]], True),
    ("alltrue", [[True, False]], False),
    ("anytrue", [[]], False),
    ("anytrue", [[False, "true"]], True),
    # regex: the result's shape follows the capture groups
    ("regex", ["[a-z]+", "123abc456"], "abc"),
    ("regex", ["(\\d+)-(\\d+)", "a 10-20"], ["10", "20"]),
    ("regex", ["(?P<y>\\d{4})-(?<m>\\d{2})", "2024-05"], {"y": "2024", "m": "05"}),
    ("regex", ["^a\\z", "a"], "a"),
    ("regexall", ["\\d", "a1b2"], ["1", "2"]),
    ("regexall", ["x", "abc"], []),
    # encodings and hashes
    ("jsondecode", ['{"a": 1.0, "b": [1.5, "x", null, true]}'], {"a": 1, "b": [1.5, "x", None, True]}),
    ("base64encode", ["Hello World"], "SGVsbG8gV29ybGQ="),
    ("base64decode", ["SGVsbG8gV29ybGQ="], "Hello World"),
    ("md5", ["hello world"], "5eb63bbbe01eeed093cb22bb8f5acdc3"),
    ("sha1", ["hello world"], "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"),
    ("sha256", ["hello world"], "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"),
    ("base64sha256", ["hello world"], "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="),
    ("uuidv5", ["dns", "www.terraform.io"], "a5008fae-b28c-5ba5-96cd-82b4c53552d6"),
    # networks (examples from Terraform's documentation)
    ("cidrsubnet", ["172.16.0.0/12", 4, 2], "172.18.0.0/16"),
    ("cidrsubnet", ["10.1.2.0/24", 4, 15], "10.1.2.240/28"),
    ("cidrsubnet", ["fd00:fd12:3456:7890::/56", 16, 162], "fd00:fd12:3456:7800:a200::/72"),
    ("cidrhost", ["10.12.112.0/20", 268], "10.12.113.12"),
    ("cidrhost", ["10.0.0.0/24", -1], "10.0.0.255"),
    ("cidrnetmask", ["172.16.0.0/12"], "255.240.0.0"),
    (
        "cidrsubnets",
        ["10.1.0.0/16", 4, 4, 8, 4],
        ["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"],
    ),
    (
        "cidrsubnets",
        ["fd00:fd12:3456:7890::/56", 16, 16, 16, 32],
        [
            "fd00:fd12:3456:7800::/72",
            "fd00:fd12:3456:7800:100::/72",
            "fd00:fd12:3456:7800:200::/72",
            "fd00:fd12:3456:7800:300::/88",
        ],
    ),
]


@pytest.mark.parametrize(("name", "args", "expected"), RESULTS)
def test_function_result(name: str, args: list[Any], expected: Any) -> None:
    result = call(name, args)
    assert result == expected
    assert type(result) is type(expected)


def test_integral_numbers_come_back_as_int() -> None:
    assert isinstance(call("max", [1, 2.0]), int)
    assert isinstance(call("ceil", [1.5]), int)
    assert isinstance(call("jsondecode", ["[2.0]"])[0], int)


def test_element_wraps_around() -> None:
    letters = ["a", "b", "c"]
    assert [call("element", [letters, i]) for i in range(7)] == ["a", "b", "c", "a", "b", "c", "a"]


def test_merge_later_arguments_win() -> None:
    assert call("merge", [{"a": 1, "b": 1}, {"b": 2, "c": 2}, {"c": 3}]) == {"a": 1, "b": 2, "c": 3}


def test_functions_do_not_modify_their_arguments() -> None:
    first = {"a": 1}
    items = ["b", "a"]
    call("merge", [first, {"a": 2}])
    call("reverse", [items])
    call("toset", [items])
    assert first == {"a": 1}
    assert items == ["b", "a"]


# --- jsonencode ----------------------------------------------------------------------------------


def test_jsonencode_sorts_keys_and_is_compact() -> None:
    assert call("jsonencode", [{"b": 1, "a": [1, 2.0, True, None]}]) == '{"a":[1,2,true,null],"b":1}'


def test_jsonencode_escapes_html_characters_but_not_unicode() -> None:
    encoded = call("jsonencode", ["<a href='x'>&é</a>"])
    assert encoded == "\"\\u003ca href='x'\\u003e\\u0026é\\u003c/a\\u003e\""
    assert json.loads(encoded) == "<a href='x'>&é</a>"


def test_jsonencode_round_trips_through_jsondecode() -> None:
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:*"]}]}
    assert call("jsondecode", [call("jsonencode", [policy])]) == policy


def test_jsonencode_of_unknown_leaves_keeps_structure_and_link() -> None:
    arn = unknown()
    policy = {"Statement": [{"Resource": arn, "Effect": "Allow"}]}
    result = call("jsonencode", [policy])
    assert isinstance(result, Unknown)
    assert result is not arn
    assert result.partial == policy
    assert result.partial["Statement"][0]["Resource"] is arn
    assert result.attribute == "arn"


# --- unknowns ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("tostring", [QUEUE_ARN]),
        ("upper", [QUEUE_ARN]),
        ("min", [1, QUEUE_ARN]),
        ("format", ["arn=%s", QUEUE_ARN]),
        ("join", [",", ["a", QUEUE_ARN]]),
        ("replace", [QUEUE_ARN, "a", "b"]),
        ("contains", [["a", QUEUE_ARN], "b"]),
        ("contains", [["a"], QUEUE_ARN]),
        ("distinct", [[{"a": QUEUE_ARN}]]),
        ("toset", [["a", QUEUE_ARN]]),
        ("sort", [[QUEUE_ARN]]),
        ("jsondecode", [QUEUE_ARN]),
    ],
)
def test_strict_functions_return_the_same_unknown(name: str, args: list[Any]) -> None:
    assert call(name, args) is QUEUE_ARN


def test_strict_unknown_keeps_its_resource_link() -> None:
    result = call("tostring", [QUEUE_ARN])
    assert isinstance(result, Unknown)
    assert result.attribute == "arn"


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("merge", [{"a": 1}, QUEUE_ARN]),
        ("concat", [[1], QUEUE_ARN]),
        ("lookup", [QUEUE_ARN, "a"]),
        ("lookup", [{"a": 1}, QUEUE_ARN]),
        ("length", [QUEUE_ARN]),
        ("keys", [QUEUE_ARN]),
        ("element", [["a"], QUEUE_ARN]),
        ("tolist", [QUEUE_ARN]),
        ("flatten", [[[1], QUEUE_ARN]]),
        ("index", [["a", QUEUE_ARN, "b"], "b"]),
        ("index", [["a"], QUEUE_ARN]),
        ("zipmap", [["a", QUEUE_ARN], [1, 2]]),
        ("coalesce", [None, "", QUEUE_ARN, "x"]),
        ("coalescelist", [[], QUEUE_ARN, ["x"]]),
    ],
)
def test_unknown_argument_makes_the_result_unknown(name: str, args: list[Any]) -> None:
    assert call(name, args) is QUEUE_ARN


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("length", [[1, QUEUE_ARN]], 2),
        ("merge", [{"a": QUEUE_ARN}, {"b": 1}], {"a": QUEUE_ARN, "b": 1}),
        ("concat", [[QUEUE_ARN], [1]], [QUEUE_ARN, 1]),
        ("lookup", [{"a": QUEUE_ARN, "b": 1}, "b"], 1),
        ("lookup", [{"a": QUEUE_ARN}, "a"], QUEUE_ARN),
        ("element", [[QUEUE_ARN, "x"], 3], "x"),
        ("keys", [{"b": QUEUE_ARN, "a": 1}], ["a", "b"]),
        ("values", [{"b": QUEUE_ARN, "a": 1}], [1, QUEUE_ARN]),
        ("flatten", [[[1, {"a": QUEUE_ARN}]]], [1, {"a": QUEUE_ARN}]),
        ("coalesce", ["x", QUEUE_ARN], "x"),
        ("one", [[QUEUE_ARN]], QUEUE_ARN),
        ("reverse", [[QUEUE_ARN, 1]], [1, QUEUE_ARN]),
        ("slice", [[QUEUE_ARN, 1, 2], 1, 3], [1, 2]),
        ("zipmap", [["a"], [QUEUE_ARN]], {"a": QUEUE_ARN}),
        ("index", [["a", "b", QUEUE_ARN], "b"], 1),
        ("tolist", [[QUEUE_ARN, "a"]], [QUEUE_ARN, "a"]),
        ("tomap", [{"a": QUEUE_ARN}], {"a": QUEUE_ARN}),
        ("sensitive", [{"a": QUEUE_ARN}], {"a": QUEUE_ARN}),
    ],
)
def test_shallow_functions_carry_unknown_leaves(name: str, args: list[Any], expected: Any) -> None:
    assert call(name, args) == expected


@pytest.mark.parametrize(
    ("name", "args", "reason"),
    [
        ("uuid", [], "not static"),
        ("timestamp", [], "not static"),
        ("file", ["${path.module}/policy.json"], "reads files"),
        ("templatefile", ["t.tpl", {}], "reads files"),
        ("fileexists", ["x"], "reads files"),
        ("formatdate", ["YYYY", "2024-01-01T00:00:00Z"], "formatdate() is not evaluated by ttgate"),
        ("provider::aws::arn_parse", ["arn:aws:s3:::b"], "is not evaluated by ttgate"),
    ],
)
def test_values_ttgate_cannot_know_are_unknown(name: str, args: list[Any], reason: str) -> None:
    result = call(name, args)
    assert isinstance(result, Unknown)
    assert reason in result.reason


def test_unknown_function_names_are_not_known_functions() -> None:
    assert call("nosuchfunction", [1]).reason == "function nosuchfunction() is not evaluated by ttgate"
    assert "nosuchfunction" not in KNOWN_FUNCTIONS
    assert {"lookup", "format", "jsonencode", "cidrsubnet", "file"} <= KNOWN_FUNCTIONS
    assert not {"can", "try"} & KNOWN_FUNCTIONS


# --- rejections ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("lookup", [{}], "lookup: expects 2 or 3 arguments, got 1"),
        ("upper", ["a", "b"], "upper: expects 1 argument, got 2"),
        ("min", [], "min: expects at least 1 argument, got 0"),
        ("range", [1, 2, 3, 4], "range: expects 1 to 3 arguments, got 4"),
        ("uuid", [1], "uuid: expects 0 arguments, got 1"),
        ("lookup", [{"a": 1}, "b"], "no default"),
        ("lookup", [["a"], "a"], "map or object is required, got list"),
        ("min", ["a"], "cannot convert"),
        ("max", [True], "number is required, got bool"),
        ("abs", [None], "number is required, got null"),
        ("upper", [["a"]], "string is required, got list"),
        ("tonumber", ["abc"], "cannot convert"),
        ("tonumber", ["1_000"], "cannot convert"),
        ("tonumber", [True], "number is required"),
        ("tobool", ["yes"], "bool is required"),
        ("tostring", [[1]], "string is required"),
        ("tolist", [{"a": 1}], "list, set or tuple is required"),
        ("tomap", [[1]], "map or object is required"),
        ("format", ["%d", "x"], "cannot convert"),
        ("format", ["%d", 1.5], "whole number"),
        ("format", ["%t", 1], "bool is required"),
        ("format", ["%s"], "not enough arguments"),
        ("format", ["%s", "a", "b"], "too many arguments"),
        ("format", ["%z", 1], "unsupported format verb"),
        ("format", ["50%"], "incomplete verb"),
        ("format", ["%s", None], "null"),
        ("formatlist", ["%s%s", ["a"], ["b", "c"]], "same length"),
        ("join", [",", ["a", None]], "null"),
        ("list", ["a"], "removed"),
        ("map", ["a", 1], "removed"),
        ("merge", [{"a": 1}, ["b"]], "map or object is required"),
        ("concat", [[1], "a"], "list, set or tuple is required"),
        ("coalesce", [None, ""], "no non-null"),
        ("coalescelist", [[], []], "no non-null"),
        ("element", [[], 0], "empty list"),
        ("element", [["a"], -1], "negative index"),
        ("element", [["a"], 1.5], "whole number"),
        ("index", [["a"], "b"], "not found"),
        ("length", [5], "is required, got number"),
        ("length", [None], "got null"),
        ("range", [0, 1, 0], "must not be zero"),
        ("range", [1, 4, -1], "direction of step"),
        ("range", [2000], "1024"),
        ("slice", [[1, 2], 1, 3], "out of range"),
        ("slice", [[1, 2], 2, 1], "out of range"),
        ("sort", [["a", None]], "null"),
        ("sum", [[]], "empty list"),
        ("zipmap", [["a"], [1, 2]], "1 keys but 2 values"),
        ("one", [[1, 2]], "zero or one"),
        ("alltrue", [[1]], "bool is required"),
        ("regex", ["x", "abc"], "did not match"),
        ("regex", ["(", "abc"], "invalid regular expression"),
        ("regex", ["(?P<a>x)(y)", "xy"], "cannot be mixed"),
        ("replace", ["a", "/(/", "b"], "invalid regular expression"),
        ("jsondecode", ["{"], "invalid JSON"),
        ("jsondecode", ["NaN"], "not valid JSON"),
        ("base64decode", ["not base64!"], "not valid base64"),
        ("base64decode", ["/w=="], "not valid UTF-8"),
        ("parseint", ["0x1f", 16], "cannot parse"),
        ("parseint", ["12", 1], "between 2 and 62"),
        ("log", [0, 10], "positive"),
        ("substr", ["abc", 1.5, 1], "whole number"),
        ("cidrsubnet", ["10.0.0.0/24", 10, 0], "too long"),
        ("cidrsubnet", ["10.0.0.0/16", 2, 4], "does not accommodate"),
        ("cidrsubnet", ["not-a-cidr", 2, 0], "invalid CIDR"),
        ("cidrsubnets", ["10.0.0.0/24", 1, 1, 1], "not enough remaining address space"),
        ("cidrhost", ["10.0.0.0/30", 4], "does not accommodate"),
        ("cidrnetmask", ["fd00::/8"], "IPv4"),
        ("uuidv5", ["nope", "x"], "namespace"),
    ],
)
def test_rejected_calls(name: str, args: list[Any], message: str) -> None:
    with pytest.raises(FunctionError) as raised:
        call(name, args)
    assert str(raised.value).startswith(f"{name}: ")
    assert message in str(raised.value)


def test_arity_is_checked_before_unknowns() -> None:
    with pytest.raises(FunctionError, match="expects 1 argument, got 2"):
        call("tostring", [QUEUE_ARN, QUEUE_ARN])
