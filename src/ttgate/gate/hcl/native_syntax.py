"""Terraform's native syntax (HCL) into ttgate's syntax tree: one file's text, nothing cached.

:mod:`parse` reads files, caches their trees and chooses between this syntax and :mod:`json_syntax`;
both syntaxes sit below it, and a JSON file's expression strings (a variable's ``type``) are parsed here.
"""

from __future__ import annotations

from ttgate.gate.hcl.grammar import lark_parser
from ttgate.gate.hcl.syntax import ParsedFile, SyntaxProblem, TerraformRejects, convert, find_directives
from ttgate.gate.values import display

_TOO_DEEP = "an expression is nested too deeply for ttgate (hundreds of levels of brackets or operators)"


def parse_text(text: str) -> ParsedFile:
    """Parse one file's text; a syntax error becomes a :class:`SyntaxProblem`, never an exception."""
    from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput

    parser = lark_parser()
    try:
        # python-hcl2 appends a newline too: its grammar has no end-of-file token.
        tree = parser.parse(text + "\n")
    except UnexpectedCharacters as error:
        directives = find_directives(parser.options.postlex.comments)
        found = text.splitlines()[error.line - 1][error.column - 1 : error.column + 19] if error.line else ""
        reason = f"unexpected character {display(found[:1])}" if found else "unexpected character"
        return ParsedFile(None, SyntaxProblem(reason, error.line, error.column), directives)
    except UnexpectedInput as error:
        directives = find_directives(parser.options.postlex.comments)
        token = getattr(error, "token", None)
        expected = sorted(getattr(error, "expected", set()) or [])
        if token is not None and getattr(token, "type", "") == "$END":
            reason = "unexpected end of file (an unclosed block, string or bracket?)"
        elif token is not None:
            shown = str(token).strip()
            reason = (
                f"unexpected {display(shown)}" if shown else "unexpected end of line (a value is missing?)"
            )
            if expected and len(expected) <= 5:
                reason += f", expected one of {', '.join(expected)}"
        else:
            reason = "syntax error"
        line = max(getattr(error, "line", 1) or 1, 1)
        column = max(getattr(error, "column", 1) or 1, 1)
        return ParsedFile(None, SyntaxProblem(reason, line, column), directives)
    except (LarkError, RecursionError) as error:
        directives = find_directives(parser.options.postlex.comments)
        return ParsedFile(None, SyntaxProblem(f"cannot parse: {error}", 1, 1), directives)
    # Read before converting: a heredoc template is parsed again, with comments of its own.
    directives = find_directives(parser.options.postlex.comments)
    try:
        body = convert(tree, text)
    except TerraformRejects as error:
        return ParsedFile(None, SyntaxProblem(error.message, error.line, error.column), directives)
    except (ValueError, IndexError, KeyError) as error:
        return ParsedFile(None, SyntaxProblem(f"unsupported syntax: {error}", 1, 1), directives)
    except RecursionError:
        return ParsedFile(None, SyntaxProblem(_TOO_DEEP, 1, 1), directives)
    return ParsedFile(body, None, directives)
