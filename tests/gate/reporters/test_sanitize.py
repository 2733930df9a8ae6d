"""Issue 18: every invisible or formatting character is escaped in every format; Markdown links no host,
references no issue and mentions no one; a lone surrogate or a file name that is not UTF-8 renders."""

from __future__ import annotations

import json
import re
import sys
import unicodedata

import pytest

from tests.reports import finding, report
from ttgate.gate.reporters import FORMATS, markdown
from ttgate.gate.reporters.markup import escape
from ttgate.gate.reporters.sanitize import json_text, visible

# Categories that control, format or separate rather than show: each must come out escaped.
_HIDDEN_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")
HIDDEN = [
    chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) in _HIDDEN_CATEGORIES
]
# Issue 18's list, and the invisible fillers and variation selectors (not in those categories).
NAMED = ["\U000e0041", "\U000e007f", "\u00ad", "\u180e", "\ufff9", "\ufffa", "\ufffb", "\u3164", "\ufe0f"]


def test_every_control_format_and_separator_character_is_escaped() -> None:
    assert [hex(ord(char)) for char in HIDDEN + NAMED if visible(char) == char] == []


def test_json_escapes_read_back_to_the_same_text() -> None:
    # Lone surrogates apart: two in a row would read back as one character, in any JSON.
    text = "x".join([char for char in HIDDEN if unicodedata.category(char) != "Cs"][::7] + NAMED + ["\ud800"])
    document = json_text(json.dumps({"a": text}, ensure_ascii=False))
    assert not any(char in document for char in NAMED)
    assert json.loads(document) == {"a": text}


ODD = "q\ud800\U000e0041\u00ad\u180e\ufffb\u202e\u2066x"


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_odd_characters_and_lone_surrogates_render_escaped_in_every_format(name: str) -> None:
    hostile = finding(
        message=f"Queue {ODD} is bad.",
        file="practice/deploy/20_infra/environments/d\udcff/m\udcfe.tf",
        reason=ODD,
        address=f"aws_sqs_queue.{ODD}",
    )
    other = finding(suppressed=True, reason=ODD)
    text = FORMATS[name](report(hostile, other), False)
    text.encode("utf-8")  # what writing it does: no lone surrogate is left
    assert not any(char in text for char in [*NAMED, "\u202e", "\u2066", "\ud800"])
    if name in ("json", "sarif"):
        json.loads(text)


HOSTS = "see https://evil.example/x, http://evil.example, www.evil.example and mailto:a@evil.example"
REFERENCES = "octo-org/infra#1234 #12 GH-7 @octocat @org/team"


def test_markdown_links_no_host_and_references_nothing() -> None:
    text = escape(f"{HOSTS} {REFERENCES}")
    assert not re.search(r"(?i)\b(https?|mailto)(:|&#58;)", text)
    assert "www." not in text and "GH-" not in text
    assert not re.search(r"(?<!&)#\d|&#35;\d", text) and not re.search(r"@\w", text)
    # It still reads the same: only word joiners were added.
    assert text.replace("\u2060", "").replace("&#35;", "#").startswith("see https://evil.example/x")


def test_the_pr_comment_links_no_host_from_a_name_or_a_reason() -> None:
    hostile = finding(message=f"Queue {HOSTS} is bad.", fix=REFERENCES)
    suppressed = finding(suppressed=True, reason=f"{HOSTS} {REFERENCES}")
    body = markdown.render(report(hostile, suppressed))
    assert "evil.example" in body
    assert not re.search(r"(?i)\b(https?|mailto):/*(a@)?evil|www\.|@octocat|infra(#|&#35;)1234", body)
