"""What identifies a finding across commits, for ``--new-from``, ``--baseline`` and SARIF's
``partialFingerprints``.

Not its line (code above it moves, blocks are reformatted), nor the numbers in its message (they change
with the code): the rule (and, for TG001, the rule that could not decide), the file, the stack and the
resource address. A finding without an address (a stack-wide setting such as the backend) is one of
possibly several in its block; what tells them apart is what the message says is wrong, read with its
quoted values and numbers taken out (``backend key '…' does not match …``). Findings that still share a
fingerprint are counted: two on the base and three now means one is new.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

from ttgate.gate.findings import Finding

# The key under SARIF's partialFingerprints; the hash of a finding with an address is unchanged since v1.
FINGERPRINT_NAME = "ttgateFinding/v1"

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
_NUMBER = re.compile(r"\d[\d,._]*")
_BLANKS = re.compile(r"\s+")


def message_shape(message: str) -> str:
    """The message without what changes while the problem stays: quoted values, numbers, spacing."""
    shape = _NUMBER.sub("#", _QUOTED.sub("'…'", message))
    return _BLANKS.sub(" ", shape).strip()


def fingerprint(finding: Finding) -> str:
    """32 hex digits naming the problem, the same wherever its lines move."""
    parts = [
        finding.rule,
        finding.for_rule or "",
        finding.location.file if finding.location else "",
        finding.address or "",
        finding.stack.name if finding.stack else "",
    ]
    if finding.address is None:
        parts.append(message_shape(finding.message))
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def occurrences(findings: Iterable[Finding]) -> list[tuple[Finding, str, int]]:
    """Each finding with its fingerprint and its number among those sharing it (1, 2, ...), in order."""
    seen: Counter[str] = Counter()
    numbered = []
    for finding in findings:
        key = fingerprint(finding)
        seen[key] += 1
        numbered.append((finding, key, seen[key]))
    return numbered


def counts(findings: Iterable[Finding]) -> Counter[str]:
    """How many findings carry each fingerprint."""
    return Counter(fingerprint(finding) for finding in findings)


def mark_existing(findings: Iterable[Finding], known: Counter[str]) -> Counter[str]:
    """Mark as existing, per fingerprint, as many findings (in report order) as ``known`` counts;
    the rest stay new. Returns how many of each fingerprint matched."""
    matched: Counter[str] = Counter()
    for finding, key, number in occurrences(findings):
        if number <= known.get(key, 0):
            finding.existing = True
            matched[key] += 1
    return matched
