"""What every Markdown document of a report shares: escaping, link targets, icons, counts.

The job summary and the pull-request comment both go through these, so a finding reads the same in both
and a value from the checked code is neutralised the same way in both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

from ttgate.gate.findings import Finding, plural
from ttgate.gate.reporters.sanitize import visible
from ttgate.policy import Severity

ICONS = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.NOTICE: "ℹ️"}
ALL_CLEAR = "✅"
# A message, fix, note or reason longer than this is cut, so one runaway value cannot fill a document.
MAX_TEXT = 2_000

# Characters that are markup in GitHub Markdown or HTML, as character references: a reference prints the
# character in every place a value can land in (a paragraph, a list item, a table cell, <summary>,
# <code>) and never starts markup. Backslash escapes would not do: they print as-is inside HTML blocks.
# Parentheses and quotes need nothing: with [ ] and < > escaped, no link or tag can start.
_MARKUP = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "\\": "&#92;",
    "`": "&#96;",
    "*": "&#42;",
    "~": "&#126;",
    "[": "&#91;",
    "]": "&#93;",
    "|": "&#124;",
    "#": "&#35;\u2060",  # and a word joiner: no `owner/repo#1234` or `#1234` cross-reference
    "$": "&#36;",  # GitHub renders $...$ as math
}
_ESCAPE = str.maketrans(_MARKUP)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACE = re.compile(r"\s+")
# What GitHub turns into a link or a reference without any markup: a URL (its scheme or `www.`), an email
# address (its `@`, see below), `GH-1234`. A word joiner after the scheme or prefix leaves the text as it
# reads and keeps GitHub from linking a host the pull request's author chose.
_AUTOLINK = re.compile(r"(?i)\b(?:(?:https?|ftp|mailto|xmpp|file|ssh|git)(?=:)|www(?=\.)|gh(?=-\d))")
# An underscore opens or closes emphasis only at a word boundary: aws_sqs_queue stays readable.
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# What a value could start a block with when it begins a line: a list item, a setext underline.
_LEADING = re.compile(r"^(?:[-+=]|\d{1,9}[.)](?=\s|$))")


def escape(value: object) -> str:
    """Text for any place in a document: one line, markup characters as references, no @mention pings,
    no autolinked URL and no issue or pull-request reference."""
    text = "" if value is None else str(value)
    # Control characters and line breaks become spaces: a value never ends a table row or a list item.
    # The rest (C1, bidi controls, separators, ##[) is written as visible escapes.
    text = visible(_SPACE.sub(" ", _CONTROL.sub(" ", text)).strip()).translate(_ESCAPE)
    text = _UNDERSCORE.sub("&#95;", text)
    text = _AUTOLINK.sub(lambda match: match.group() + "\u2060", text)
    text = _LEADING.sub(lambda match: match.group()[:-1] + f"&#{ord(match.group()[-1])};", text)
    # A word joiner after @ keeps "@org/team" in a message from notifying anyone.
    return text.replace("@", "@\u2060")


def href(url: str) -> str:
    """A link target: anything that could end the target or start markup is percent-encoded (a file
    name's bytes that are not UTF-8 as they are)."""
    return quote(url, safe="/:#?=&%@+,;.-_~", errors="surrogateescape")


def cut(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def worst(findings: Iterable[Finding]) -> Severity | None:
    return max((finding.severity for finding in findings), default=None)


def status_icon(findings: Iterable[Finding]) -> str:
    """The icon of the most severe finding, or the all-clear one."""
    severity = worst(findings)
    return ICONS[severity] if severity is not None else ALL_CLEAR


def counts(findings: Iterable[Finding]) -> str:
    """``2 errors, 1 notice``, most severe first; ``no findings``."""
    findings = list(findings)
    parts = [
        plural(sum(1 for f in findings if f.severity is severity), severity.label)
        for severity in sorted(Severity, reverse=True)
    ]
    return ", ".join(part for part in parts if not part.startswith("0 ")) or "no findings"
