"""The one output sanitiser: text that came from the checked code never acts on what shows it.

A pull-request author controls every name, string and file ttgate reads, and a GitHub Actions runner
treats some lines of a step's output as commands: a line whose first non-blank characters are ``::``
(``::error::``, ``::add-mask::``, ``::stop-commands::``) and, in the legacy syntax, any line holding
``##[``. A terminal acts on escape sequences (clear the screen, set the title, write the clipboard), and
bidirectional overrides make text read differently from what it is. So:

- :func:`visible` makes a piece of input text inert: every control character (C0, DEL, C1, line and
  paragraph separators, bidi controls) is written as an escape (``\\x1b``, ``\\u202e``), so a name with
  a newline stays on one line, visibly; ``##[`` is written ``#\\x23[``.
- :func:`no_command_lines` is the last step of a whole text output, after wrapping: a line that would
  start with ``::`` starts with ``\\x3a:`` instead. ttgate's own workflow commands (the ``github``
  format) are built from escaped pieces and are the only ones it writes.
- :func:`json_text` does the same inside JSON documents with JSON's own escapes (``\\u001b``,
  ``#\\u0023[``), so a parser reads back exactly the original value.
- :func:`hide_secrets` is the last line of defence for sensitive values: a stack's secrets where they
  stand whole in its findings, in any case and any usual escape or encoding (values computed from a
  secret already show as ``(sensitive)``).
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ttgate.gate.values import EVERY_STACK, SENSITIVE, quoted

if TYPE_CHECKING:
    from ttgate.gate.reporters.report import Report

# Every character that controls, formats or hides rather than shows: C0 (newline and tab included), DEL,
# C1, every format character of Unicode (category Cf: soft hyphen, the Arabic letter mark, the Mongolian
# vowel separator, zero-width marks, bidi embeddings, overrides and isolates, the BOM, interlinear
# annotations U+FFF9-FFFB, the tag characters U+E0000-E007F...), line and paragraph separators, lone
# surrogates (no encoder writes them), and the invisible fillers and variation selectors. A test checks
# this list against Python's Unicode database.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164"
    "\ud800-\udfff\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_LEGACY_COMMAND = "##["
# Shorter values are not searched for in reports: redacting "on" or "1" everywhere hides nothing and
# garbles everything. Such values are still shown as (sensitive) wherever ttgate knows they are.
_MIN_SECRET = 3


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """One line of inert text: control characters escaped, no legacy workflow command."""
    return _UNSAFE.sub(lambda match: _escape(match.group()), text).replace(_LEGACY_COMMAND, "#\\x23[")


def no_command_lines(output: str) -> str:
    """A whole output (its pieces from input already :func:`visible`) in which no line is a command.

    Wrapping can start a line with what was the middle of a message; the runner ignores leading blanks.
    Control characters are left alone: they are the reporter's own (a terminal's colours).
    """
    output = output.replace(_LEGACY_COMMAND, "#\\x23[")
    return re.sub(r"^(\s*)::", lambda match: match.group(1) + "\\x3a:", output, flags=re.MULTILINE)


def _json_escape(char: str) -> str:
    if char == "\n":
        return char
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON writes a character past the BMP as its UTF-16 surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_text(document: str) -> str:
    """A JSON document (from ``json.dumps``) whose raw text holds no control character and no ``##[``.

    JSON escapes decode to the same characters: consumers read the values unchanged.
    """
    # json.dumps escapes C0 inside strings already: a raw newline is the document's indentation.
    document = _UNSAFE.sub(lambda match: _json_escape(match.group()), document)
    return document.replace(_LEGACY_COMMAND, "#\\u0023[")


# What may stand next to a secret the backstop hides: a secret inside a longer name, address or path
# (``orders`` in ``orders-dlq``, ``aws_sqs_queue.orders_dlq``, ``deploy/orders/``) is left alone.
_NAME_CHARACTER = r"[\w.\-/:@+=]"


def secret_forms(secret: str) -> set[str]:
    """The ways a secret's text can stand in a message: as it is, in any case, quoted (Terraform's
    escapes, JSON's, Python's), URL-encoded or base64-encoded. A rule, a function error or an encoder
    may have written any of them."""
    cases = {secret, secret.lower(), secret.upper(), secret.casefold()}
    escaped = set()
    for text in cases:
        hcl = quoted(text)[1:-1]
        escaped |= {
            text,
            hcl,
            json.dumps(text)[1:-1],
            json.dumps(text, ensure_ascii=False)[1:-1],
            json.dumps(hcl)[1:-1],
            text.encode("unicode_escape").decode("ascii"),
            visible(text),
            urllib.parse.quote(text, safe=""),
            urllib.parse.quote(text),
            urllib.parse.quote_plus(text),
        }
    forms = set(escaped)
    for text in cases:
        raw = text.encode("utf-8")
        for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
            forms |= {encoded.decode("ascii"), encoded.decode("ascii").rstrip("=")}
    return forms


def _pattern(secrets: Iterable[str]) -> re.Pattern[str] | None:
    searched = sorted(
        {form for secret in secrets if len(secret) >= _MIN_SECRET for form in secret_forms(secret)},
        key=len,
        reverse=True,
    )
    if not searched:
        return None
    alternatives = "|".join(re.escape(secret) for secret in searched)
    return re.compile(f"(?<!{_NAME_CHARACTER})(?:{alternatives})(?!{_NAME_CHARACTER})", re.IGNORECASE)


def hide_secrets(report: Report, secrets: Mapping[str, Iterable[str]]) -> None:
    """The last line of defence: a stack's sensitive values, where they stand whole in its findings.

    Redaction follows the value: a value computed from a sensitive one is marked (templates,
    functions, conversions, arithmetic; :mod:`ttgate.gate.values`) and a rule that writes it into a
    message, fix or note writes ``(sensitive)`` because of its mark. This pass only catches what a rule
    may still write unmarked (``", ".join(names)``), and is narrow on purpose:

    - ``secrets`` maps a stack's name to the exact texts of the sensitive values *it* read, and a
      finding is searched for its own stack's secrets only (a finding without a stack, and the
      report's notes, for every stack's): a secret "orders" in one stack must not turn another stack's
      queue into ``(sensitive)-dlq``. The job's own secrets (``TF_VAR_``, ``--var-file``), under
      :data:`EVERY_STACK`, are searched for in every finding: they belong to no stack;
    - a secret is replaced only where it stands whole, not inside a longer name, address or path
      (``orders-dlq``, ``aws_sqs_queue.orders_dlq``): those did not come from the secret, and
      blanking the common part would give the secret away by elimination;
    - the match ignores case and escapes: a case-changed, quoted (Terraform, JSON, backslash),
      URL-encoded or base64-encoded copy of the value is hidden too (:func:`secret_forms`).

    Other transforms of a secret (reversed, a substring, a hash) are not searched for: only the marks
    hide them.
    """
    every = _pattern(text for texts in secrets.values() for text in texts)
    if every is None:
        return
    everywhere = set(secrets.get(EVERY_STACK, ()))
    by_stack = {name: _pattern({*texts, *everywhere}) for name, texts in secrets.items()}
    only_the_jobs = _pattern(everywhere)

    def clean(pattern: re.Pattern[str] | None, text: str) -> str:
        return pattern.sub(SENSITIVE, text) if pattern is not None else text

    for finding in report.findings:
        pattern = by_stack.get(finding.stack.name, only_the_jobs) if finding.stack is not None else every
        if pattern is None:
            continue
        finding.message = clean(pattern, finding.message)
        finding.fix = clean(pattern, finding.fix)
        if finding.suppression_reason is not None:
            finding.suppression_reason = clean(pattern, finding.suppression_reason)
        finding.related = [
            type(related)(clean(pattern, related.note), related.location) for related in finding.related
        ]
    report.notes = [clean(every, note) for note in report.notes]
