"""The baseline file: the findings a repository had when it adopted the gate, committed with it.

``ttgate baseline`` writes it; ``ttgate check --baseline FILE`` reports the findings it lists as existing
(never failing the run) and says how many of its entries no longer match anything, so the file shrinks
as they are fixed. One entry per fingerprint (:mod:`ttgate.gate.fingerprint`) with how many findings
share it, and, for the people reading a diff of the file, the rule, the file, the stack and a short
description: the rule's name and the resource, never a message (messages quote values).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ttgate.errors import UserError
from ttgate.gate.findings import Finding, plural
from ttgate.gate.fingerprint import FINGERPRINT_NAME, fingerprint, mark_existing
from ttgate.gate.reporters.report import Report
from ttgate.gate.reporters.sanitize import json_text, visible
from ttgate.gate.values import display
from ttgate.policy.boundary import read_regular

BASELINE_VERSION = 1
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")
_SIZE_LIMIT = 64 * 1024 * 1024  # a baseline of a million findings is about 300 MB; refuse the absurd


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    count: int
    rule: str
    file: str | None
    stack: str | None
    description: str


def describe(finding: Finding) -> str:
    """``sqs-visibility-timeout on aws_sqs_queue.events``: what and where, without any value."""
    subject = finding.address or (f"stack {finding.stack.name}" if finding.stack else "the run")
    what = f"{finding.name} ({finding.for_rule})" if finding.for_rule else finding.name
    return visible(f"{what} on {subject}")


def entries(findings: Iterable[Finding]) -> list[Entry]:
    """One entry per fingerprint of the active findings, sorted by file, rule and fingerprint."""
    grouped: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=lambda finding: finding.sort_key()):
        if not finding.suppressed:
            grouped.setdefault(fingerprint(finding), []).append(finding)
    listed = [
        Entry(
            key,
            len(group),
            group[0].rule,
            group[0].location.file if group[0].location else None,
            group[0].stack.name if group[0].stack else None,
            describe(group[0]),
        )
        for key, group in grouped.items()
    ]
    return sorted(listed, key=lambda entry: (entry.file or "", entry.rule, entry.fingerprint))


def render(findings: Iterable[Finding]) -> str:
    """The baseline file's text: stable (same findings, same bytes), so its diffs show what changed."""
    listed = entries(findings)
    document = {
        "version": BASELINE_VERSION,
        "tool": "ttgate",
        "fingerprint": FINGERPRINT_NAME,
        "total": sum(entry.count for entry in listed),
        "findings": [
            {
                "fingerprint": entry.fingerprint,
                "count": entry.count,
                "rule": entry.rule,
                "file": entry.file,
                "stack": entry.stack,
                "description": entry.description,
            }
            for entry in listed
        ],
    }
    return json_text(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


def read(path: Path) -> list[Entry]:
    """The entries of a baseline file; anything else is one UserError naming the file and the problem."""
    shown = f"--baseline {display(str(path))}"
    try:
        data = read_regular(path, _SIZE_LIMIT)  # never blocks on a FIFO, never reads a device
        if len(data) > _SIZE_LIMIT:
            raise UserError(f"{shown}: larger than {_SIZE_LIMIT // 2**20} MiB; not a ttgate baseline")
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise UserError(f"{shown}: no such file (write it with ttgate baseline --output {path})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{shown}: cannot read: {getattr(error, 'strerror', None) or error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(f"{shown}: not JSON ({error.msg} at line {error.lineno})") from None
    problem = _problem(document)
    if problem:
        raise UserError(f"{shown}: not a ttgate baseline: {problem}")
    return [
        Entry(
            item["fingerprint"],
            item["count"],
            str(item.get("rule") or ""),
            _text(item.get("file")),
            _text(item.get("stack")),
            str(item.get("description") or ""),
        )
        for item in document["findings"]
    ]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _problem(document: Any) -> str | None:
    if not isinstance(document, dict) or document.get("tool") != "ttgate":
        return 'no "tool": "ttgate" (write it with ttgate baseline --output FILE)'
    if document.get("version") != BASELINE_VERSION:
        return f"version {display(document.get('version'))}; this ttgate reads version {BASELINE_VERSION}"
    if document.get("fingerprint") != FINGERPRINT_NAME:
        return (
            f"fingerprints {display(document.get('fingerprint'))}; this ttgate makes {FINGERPRINT_NAME} "
            "(write the file again with ttgate baseline)"
        )
    items = document.get("findings")
    if not isinstance(items, list):
        return '"findings" is not a list'
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not _FINGERPRINT.fullmatch(str(item.get("fingerprint"))):
            return f"entry {number} has no valid fingerprint (32 hex digits)"
        count = item.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            return f"entry {number} has no valid count (a whole number from 1)"
    return None


def apply(report: Report, listed: list[Entry]) -> None:
    """Mark the report's findings the baseline lists as existing, and note the entries that match
    nothing any more (only in stacks this run checked: a narrower run says nothing of the others)."""
    known: Counter[str] = Counter()
    for entry in listed:
        known[entry.fingerprint] += entry.count
    active = sorted(report.active, key=lambda finding: finding.sort_key())
    matched = mark_existing(active, known)
    stale = [
        entry
        for entry in listed
        if matched[entry.fingerprint] < known[entry.fingerprint] and _in_scope(entry, report)
    ]
    existing = sum(matched.values())
    report.notes.append(f"baseline: {plural(existing, 'finding')} listed there, reported as existing")
    if stale:
        what = (
            "1 baseline entry no longer matches"
            if len(stale) == 1
            else f"{len(stale)} baseline entries no longer match"
        )
        report.notes.append(f"{what}; run ttgate baseline to shrink the file")


def _in_scope(entry: Entry, report: Report) -> bool:
    """Whether this run could have found the entry's findings: its stack was checked, or it is gone
    from a path this run checked. (A stack left out of a narrower run says nothing.)"""
    checked = {str(row.get("name")) for row in report.stack_list}
    if entry.stack is not None and entry.stack in checked:
        return True
    if entry.stack is not None and entry.stack in report.directories:
        return False
    where = entry.stack or entry.file or ""
    return any(_under(where, path) for path in report.paths or ["."])


def _under(file: str, path: str) -> bool:
    path = path.strip("/").removeprefix("./")
    return path in ("", ".") or file == path or file.startswith(path + "/")
