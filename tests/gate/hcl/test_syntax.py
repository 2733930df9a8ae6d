"""The HCL syntax tree: python-hcl2's parse tree turned into ttgate's small AST, with positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from ttgate.gate.hcl import syntax as ast
from ttgate.gate.hcl.parse import Parser, parse_text
from ttgate.gate.hcl.syntax import Body


def parse_ok(text: str) -> Body:
    parsed = parse_text(text)
    assert parsed.problem is None, parsed.problem
    assert parsed.body is not None
    return parsed.body


def expr(text: str) -> ast.Expr:
    return parse_ok(f"x = {text}\n").attributes["x"].expr


def var(name: str) -> ast.GetAttr:
    return ast.GetAttr(ast.Name("var"), name)


# --- positions and structure -----------------------------------------------------------------


def test_block_positions_and_labels() -> None:
    body = parse_ok(
        "locals {\n"
        "  a = 1\n"
        "}\n"
        "\n"
        'resource "aws_sqs_queue" "main" {\n'
        '  name = "q"\n'
        "  tags = {\n"
        '    team = "x"\n'
        "  }\n"
        "}\n"
    )
    locals_block, resource = body.blocks
    assert (locals_block.type, locals_block.labels) == ("locals", [])
    assert (locals_block.line, locals_block.column, locals_block.end_line) == (1, 1, 3)
    assert (resource.type, resource.labels) == ("resource", ["aws_sqs_queue", "main"])
    assert (resource.line, resource.column, resource.end_line) == (5, 1, 10)
    name = resource.body.attributes["name"]
    assert (name.line, name.column, name.end_line, name.text) == (6, 3, 6, '"q"')
    tags = resource.body.attributes["tags"]
    assert (tags.line, tags.end_line) == (7, 9)
    assert tags.text == '{\n    team = "x"\n  }'


def test_nested_block_position_and_indentation() -> None:
    body = parse_ok('resource "a" "b" {\n  lifecycle {\n    create_before_destroy = true\n  }\n}\n')
    inner = body.blocks[0].body.blocks[0]
    assert (inner.type, inner.line, inner.column, inner.end_line) == ("lifecycle", 2, 3, 4)


def test_multi_line_expression_end_line() -> None:
    body = parse_ok("a = [\n  1,\n  2,\n]\nb = max(\n  1,\n  2)\nc = 3\n")
    assert (body.attributes["a"].line, body.attributes["a"].end_line) == (1, 4)
    assert (body.attributes["b"].line, body.attributes["b"].end_line) == (5, 7)
    assert (body.attributes["c"].line, body.attributes["c"].end_line) == (8, 8)


def test_quoted_label_with_escapes_and_single_line_block() -> None:
    body = parse_ok('  module "a\\"b" { source = "./x" }\n')
    block = body.blocks[0]
    assert block.labels == ['a"b']
    assert (block.line, block.column, block.end_line) == (1, 3, 1)
    assert block.body.attributes["source"].expr == ast.Lit("./x")


def test_bare_labels() -> None:
    body = parse_ok("resource aws_sqs_queue main {\n}\n")
    assert body.blocks[0].labels == ["aws_sqs_queue", "main"]


# --- strings, heredocs, escapes --------------------------------------------------------------


def test_heredoc_keeps_text_and_interpolation() -> None:
    body = parse_ok("x = <<EOT\nhello ${var.name}\n  world\nEOT\ny = 1\n")
    x = body.attributes["x"]
    assert x.expr == ast.Template(["hello ", var("name"), "\n  world\n"])
    assert (x.line, x.end_line) == (1, 4)
    assert body.attributes["y"].line == 5


def test_indented_heredoc_is_trimmed() -> None:
    assert expr("<<-EOT\n    hello ${var.name}\n      world\n    EOT") == ast.Template(
        ["hello ", var("name"), "\n  world\n"]
    )


def test_plain_heredoc_is_a_literal_and_keeps_backslashes() -> None:
    assert expr('<<EOT\n{"a": "b\\n"}\nEOT') == ast.Lit('{"a": "b\\n"}\n')


def test_heredoc_with_directive_is_a_template_for() -> None:
    assert expr("<<EOT\n%{ for a in var.l }${a}%{ endfor }\nEOT") == ast.Template(
        [ast.TemplateFor(None, "a", var("l"), [ast.Name("a")]), "\n"]
    )


@pytest.mark.parametrize(
    ("source", "value"),
    [
        (r'"a\nb"', "a\nb"),
        (r'"tab\there"', "tab\there"),
        (r'"say \"hi\""', 'say "hi"'),
        (r'"back\\slash"', "back\\slash"),
        (r'"caf\u00e9"', "café"),
        (r'"\U0001F600 and \u00e9"', "\U0001f600 and é"),
        (r'"$${not_interpolated}"', "${not_interpolated}"),
        (r'"%%{not_a_directive}"', "%{not_a_directive}"),
    ],
)
def test_string_escapes(source: str, value: str) -> None:
    assert expr(source) == ast.Lit(value)


def test_interpolation_after_escaped_backslash() -> None:
    assert expr(r'"\\${var.a}"') == ast.Template(["\\", var("a")])


def test_template_parts() -> None:
    assert expr('"${var.a}-${var.b}x"') == ast.Template([var("a"), "-", var("b"), "x"])
    assert expr('"${var.a}"') == ast.Template([var("a")])


def test_template_directive_is_a_template_if() -> None:
    assert expr('"%{ if var.a }yes%{ endif }"') == ast.Template([ast.TemplateIf(var("a"), ["yes"], [])])


# --- expressions -----------------------------------------------------------------------------


def test_object_keys_bare_quoted_and_parenthesised() -> None:
    assert expr('{ bare = 1, "quoted-key" = 2, (var.k) = 3, count = 4 }') == ast.ObjectExpr(
        [
            (ast.Lit("bare"), ast.Lit(1)),
            (ast.Lit("quoted-key"), ast.Lit(2)),
            (var("k"), ast.Lit(3)),
            (ast.Lit("count"), ast.Lit(4)),
        ]
    )


def test_splats() -> None:
    assert expr("var.l[*].id") == ast.Splat(var("l"), [("attr", "id")])
    assert expr("var.l.*.id") == ast.Splat(var("l"), [("attr", "id")])
    assert expr("var.l[*].a[0]") == ast.Splat(var("l"), [("attr", "a"), ("index", ast.Lit(0))])


def test_legacy_splat_ends_at_a_bracketed_index() -> None:
    # Terraform: x.*.a[0] is [for v in x : v.a][0]; x.*.a.0 and x[*].a[0] index every element.
    splat = ast.Splat(var("l"), [("attr", "a")])
    assert expr("var.l.*.a[0]") == ast.Index(splat, ast.Lit(0))
    assert expr("var.l.*.a[0].b") == ast.GetAttr(ast.Index(splat, ast.Lit(0)), "b")
    assert expr("var.l.*.a.0") == ast.Splat(var("l"), [("attr", "a"), ("index", ast.Lit(0))])


def test_index_forms() -> None:
    assert expr('var.m["k"]') == ast.Index(var("m"), ast.Lit("k"))
    assert expr("var.l.0") == ast.Index(var("l"), ast.Lit(0))


def test_for_expressions() -> None:
    assert expr('[for k, v in var.m : v if k != "a"]') == ast.ForExpr(
        "k", "v", var("m"), None, ast.Name("v"), ast.BinOp("!=", ast.Name("k"), ast.Lit("a"))
    )
    grouped = expr("{for v in var.l : v.team => v.name...}")
    assert isinstance(grouped, ast.ForExpr)
    assert (grouped.key_var, grouped.value_var, grouped.grouping) == (None, "v", True)
    assert grouped.key == ast.GetAttr(ast.Name("v"), "team")


def test_function_calls() -> None:
    assert expr("max(var.l...)") == ast.Call("max", [var("l")], expand_last=True)
    assert expr('lookup(var.m, "k", 1)') == ast.Call("lookup", [var("m"), ast.Lit("k"), ast.Lit(1)])
    assert expr('provider::aws::arn_parse("a")') == ast.Call("provider::aws::arn_parse", [ast.Lit("a")])


def test_operators_keep_precedence_in_the_tree() -> None:
    assert expr("1 + 2 * 3") == ast.BinOp("+", ast.Lit(1), ast.BinOp("*", ast.Lit(2), ast.Lit(3)))
    assert expr("!var.b") == ast.Unary("!", var("b"))
    assert expr("var.a ? 1 : 2") == ast.Cond(var("a"), ast.Lit(1), ast.Lit(2))


def test_literals() -> None:
    assert expr("1.5e3") == ast.Lit(1500.0)
    assert expr("null") == ast.Lit(None)
    assert expr("false") == ast.Lit(False)


# --- comments --------------------------------------------------------------------------------


def test_block_comments_anywhere_terraform_takes_them() -> None:
    body = parse_ok(
        'resource "aws_sqs_queue" /* between labels */ "main" /* before the brace */ {\n'
        '  name = /* after the equals sign */ "q"\n'
        "  delay_seconds = 1 /* around */ + /* an operator */ 2\n"
        '  tags = { /* in an object */ team = "x" }\n'
        "  ids = [1, /* in a tuple */ 2]\n"
        "  size = max(/* in a call */ 1, 2 /* multi\n line */)\n"
        '  text = "/* in a string it is text */"\n'
        "}\n"
    )
    resource = body.blocks[0]
    assert resource.labels == ["aws_sqs_queue", "main"]
    attributes = {name: attribute.expr for name, attribute in resource.body.attributes.items()}
    assert attributes == {
        "name": ast.Lit("q"),
        "delay_seconds": ast.BinOp("+", ast.Lit(1), ast.Lit(2)),
        "tags": ast.ObjectExpr([(ast.Lit("team"), ast.Lit("x"))]),
        "ids": ast.TupleExpr([ast.Lit(1), ast.Lit(2)]),
        "size": ast.Call("max", [ast.Lit(1), ast.Lit(2)]),
        "text": ast.Lit("/* in a string it is text */"),
    }
    assert resource.body.attributes["ids"].line == 5


def test_line_comment_between_labels_is_a_newline_terraform_rejects() -> None:
    assert parse_text('resource "aws_sqs_queue" # c\n "main" {\n}\n').problem is not None


def test_directive_in_a_block_comment_between_labels() -> None:
    parsed = parse_text('resource "a" /* ttgate:ignore TG201 throttled */ "b" {\n}\n')
    assert parsed.problem is None
    assert parsed.directives == [(1, "ttgate:ignore TG201 throttled")]


# --- errors ----------------------------------------------------------------------------------


def test_unclosed_block_is_a_problem_with_position() -> None:
    parsed = parse_text('resource "aws_sqs_queue" "a" {\n  name = "q"\n')
    assert parsed.body is None
    assert parsed.problem is not None
    assert parsed.problem.line == 3
    assert "unclosed block" in parsed.problem.message


def test_stray_closing_brace_is_a_problem_with_position() -> None:
    parsed = parse_text("a = 1\n\n  }\n")
    assert parsed.body is None
    assert parsed.problem is not None
    assert (parsed.problem.line, parsed.problem.column) == (3, 3)
    assert '"}"' in parsed.problem.message


def test_unexpected_character_names_it() -> None:
    parsed = parse_text("a = 1\nb = 2 @\n")
    assert parsed.problem is not None
    assert (parsed.problem.line, parsed.problem.column) == (2, 7)
    assert '"@"' in parsed.problem.message


def test_non_utf8_file_is_a_problem_on_its_line(tmp_path: Path) -> None:
    result = Parser(cache_dir=None, jobs=1).parse_many([(tmp_path / "a.tf", b'a = 1\nb = "caf\xe9"\n')])
    parsed = result[tmp_path / "a.tf"]
    assert parsed.body is None
    assert parsed.problem is not None
    assert "UTF-8" in parsed.problem.message
    assert parsed.problem.line == 2


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    parsed = Parser(cache_dir=None, jobs=1).parse_many([(tmp_path / "a.tf", b"\xef\xbb\xbfa = 1\n")])
    body = parsed[tmp_path / "a.tf"].body
    assert body is not None
    assert body.attributes["a"].expr == ast.Lit(1)


@pytest.mark.parametrize(
    ("text", "line", "column", "reason"),
    [
        (
            "locals {\n  a = 1\n  a = 2\n}\n",
            3,
            3,
            'Attribute redefined: the argument "a" was already set on line 2',
        ),
        (
            'resource "aws_sqs_queue" "${var.x}" {\n}\n',
            1,
            26,
            "Invalid string literal: template sequences are not allowed in a block label",
        ),
        ("locals {\n  a = 1 b = 2\n}\n", 2, 9, "Missing newline after argument"),
        ("locals {} locals {}\n", 1, 11, "Missing newline after block definition"),
        ("locals { a = 1 b = 2 }\n", 1, 10, "Invalid single-argument block definition"),
        ("locals { a = 1\n}\n", 1, 10, "Invalid single-argument block definition"),
        ("locals { a = <<EOT\nx\nEOT\n}\n", 1, 10, "Invalid single-argument block definition"),
        ('resource "a" "b" { lifecycle {} }\n', 1, 20, "Argument definition required"),
    ],
)
def test_what_terraform_rejects_is_a_problem_in_its_words(
    text: str, line: int, column: int, reason: str
) -> None:
    parsed = parse_text(text)
    assert parsed.body is None
    assert parsed.problem is not None
    assert (parsed.problem.line, parsed.problem.column) == (line, column)
    assert parsed.problem.message.startswith(reason)


@pytest.mark.parametrize(
    "text",
    [
        'resource "a" "$${literal}" {\n}\n',
        "locals { a = 1 } # one argument, closed on its line\n",
        "locals { y = { a = 1\n } }\n",
        "locals {}\nb = <<EOT\nx\nEOT\nc = 1\n",
        "x = a || b\ny = a ? b : c\nz = 1\n",
    ],
)
def test_what_terraform_accepts_near_those_rejections(text: str) -> None:
    parse_ok(text)


# --- directives ------------------------------------------------------------------------------


def test_ttgate_directives_are_found_by_line() -> None:
    parsed = parse_text(
        "# ttgate:ignore TG201 consumer is throttled\n"
        'resource "a" "b" {\n'
        "  x = 1 // ttgate:ignore TG301 kept by policy\n"
        "  y = 2 /* ttgate:ignore TG204 elsewhere */\n"
        "  z = 3 # not a directive\n"
        "}\n"
    )
    assert parsed.directives == [
        (1, "ttgate:ignore TG201 consumer is throttled"),
        (3, "ttgate:ignore TG301 kept by policy"),
        (4, "ttgate:ignore TG204 elsewhere"),
    ]


def test_directives_survive_a_parse_error() -> None:
    parsed = parse_text("# ttgate:ignore TG000 generated\nresource {\n")
    assert parsed.problem is not None
    assert parsed.directives == [(1, "ttgate:ignore TG000 generated")]
