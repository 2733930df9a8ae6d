"""``ttgate fix``: the findings' literal edits (``Finding.edit``) applied to the files, nothing else.

Planning groups the edits by the literal they change: one literal that several findings want set to
different values (a module default read by dev and prod, each with its own need) is refused, naming
the stacks. Applying rewrites only the characters of each literal, so comments, spacing, ordering,
line endings, a byte order mark and every other byte stay as they were; a file is written only inside
the repository of the checked paths and never through a symbolic link.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ttgate.gate.findings import Finding, LiteralEdit
from ttgate.policy.boundary import read_regular, repository_root

PARSE_ERROR = "TG000"
_BOM = "\ufeff"
# What a literal looks like as written: a number, a quoted string, a bool (never an expression).
_LITERAL = re.compile(r'-?[0-9][0-9.eE+-]*|"(?:[^"\\]|\\.)*"|true|false')


def finding_key(finding: Finding) -> tuple[str, str, str]:
    """What identifies a finding across two runs over the same tree (lines do not move in a fix)."""
    stack = finding.stack.name if finding.stack is not None else ""
    return (finding.rule, stack, finding.address or (str(finding.location) if finding.location else ""))


@dataclass
class Change:
    """One literal to rewrite, and the findings it fixes."""

    edit: LiteralEdit
    findings: list[Finding]
    before: str = ""  # the literal as written now, read when the file is


@dataclass
class Left:
    finding: Finding
    reason: str


@dataclass
class FilePlan:
    path: Path  # absolute
    relative: str  # as reports write it
    original: bytes
    changes: list[Change] = field(default_factory=list)

    def edited(self) -> bytes:
        """The file with every change applied, all other bytes kept."""
        text = self.original.decode("utf-8")
        bom = _BOM if text.startswith(_BOM) else ""
        lines = _lines(text[len(bom) :])
        for change in sorted(self.changes, key=lambda c: (c.edit.line, c.edit.column), reverse=True):
            edit = change.edit
            line = lines[edit.line - 1]
            lines[edit.line - 1] = line[: edit.column - 1] + edit.replacement + line[edit.end_column - 1 :]
        return (bom + "".join(lines)).encode("utf-8")

    def diff(self) -> str:
        before = self.original.decode("utf-8").splitlines(keepends=True)
        after = self.edited().decode("utf-8").splitlines(keepends=True)
        lines = difflib.unified_diff(before, after, f"a/{self.relative}", f"b/{self.relative}")
        return "".join(
            line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
        )


@dataclass
class Plan:
    files: list[FilePlan] = field(default_factory=list)
    left: list[Left] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return [change for plan in self.files for change in plan.changes]


def wanted(findings: Iterable[Finding], rules: Sequence[str]) -> list[Finding]:
    """The findings ``ttgate fix`` answers for: active (not suppressed), of the chosen rules."""
    chosen = {rule.upper() for rule in rules}
    return [f for f in findings if not f.suppressed and (not chosen or f.rule in chosen)]


def plan_fixes(findings: Sequence[Finding], root: Path, repositories: Sequence[Path]) -> Plan:
    """Which literals to rewrite and which findings stay (and why), reading each file to be edited."""
    plan = Plan()
    by_literal: dict[tuple[str, int, int, int], list[Finding]] = {}
    for finding in findings:
        edit = finding.edit
        if edit is None:
            plan.left.append(Left(finding, "not one literal to set; by hand: " + finding.fix))
            continue
        by_literal.setdefault((edit.file, edit.line, edit.column, edit.end_column), []).append(finding)
    files: dict[str, FilePlan | str] = {}
    for (file, _, _, _), group in by_literal.items():
        assert group[0].edit is not None
        replacements = sorted({f.edit.replacement for f in group if f.edit is not None})
        if len(replacements) > 1:
            readers = sorted({name for f in group if f.edit is not None for name in f.edit.shared_by})
            readers = readers or sorted({f.address or "" for f in group})
            reason = (
                f"{file}:{group[0].edit.line} is shared by {', '.join(readers)}, which need different "
                f"values ({', '.join(replacements)}): give each its own (a tfvars entry per environment)"
            )
            plan.left.extend(Left(f, reason) for f in group)
            continue
        target = files.get(file)
        if target is None:
            target = files[file] = _open(root / file, file, repositories)
        if isinstance(target, str):
            plan.left.extend(Left(f, target) for f in group)
            continue
        change = Change(group[0].edit, group)
        problem = _read_literal(target, change)
        if problem is not None:
            plan.left.extend(Left(f, problem) for f in group)
            continue
        target.changes.append(change)
    plan.files = [target for target in files.values() if isinstance(target, FilePlan) and target.changes]
    return plan


def _open(path: Path, relative: str, repositories: Sequence[Path]) -> FilePlan | str:
    """The file to edit, or why it is not edited (outside the repository, a symbolic link, unreadable)."""
    absolute = Path(os.path.normpath(os.path.abspath(path)))
    inside = [repo for repo in repositories if absolute.is_relative_to(repo)]
    if not inside:
        return f"{relative} lies outside the repository of the checked paths: not edited"
    current = inside[0]
    for part in absolute.relative_to(inside[0]).parts:
        current = current / part
        if current.is_symlink():
            return f"{relative} is reached through a symbolic link ({current.name}): not edited"
    try:
        data = read_regular(absolute)
        data.decode("utf-8")
    except UnicodeDecodeError:
        return f"{relative} is not UTF-8 text: not edited"
    except OSError as error:
        return f"{relative} cannot be read ({error.strerror or error}): not edited"
    return FilePlan(absolute, relative, data)


def _read_literal(target: FilePlan, change: Change) -> str | None:
    """Check the edit still points at a literal (the file may have changed since it was checked)."""
    edit = change.edit
    text = target.original.decode("utf-8").removeprefix(_BOM)
    lines = _lines(text)
    if not 1 <= edit.line <= len(lines):
        return f"{target.relative}:{edit.line} no longer exists: not edited"
    line = lines[edit.line - 1].rstrip("\r\n")
    before = line[edit.column - 1 : edit.end_column - 1]
    if edit.column < 1 or edit.end_column > len(line) + 1 or not _LITERAL.fullmatch(before):
        return f"{target.relative}:{edit.line}:{edit.column} does not hold a literal any more: not edited"
    change.before = before
    return None


def _lines(text: str) -> list[str]:
    """Lines as the parser counts them: ended by "\n" only (a form feed or U+2028 is not a line break)."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def repositories_of(paths: Sequence[Path]) -> list[Path]:
    """The repositories a fix may write in: each checked path's (see :mod:`ttgate.policy.boundary`)."""
    found = [Path(os.path.normpath(os.path.abspath(repository_root(path)))) for path in paths]
    return list(dict.fromkeys(found))


def write(target: FilePlan, data: bytes) -> None:
    """Overwrite the file in place (its mode and ownership kept), never following a symbolic link."""
    flags = os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(target.path, flags)
    try:
        view = memoryview(data)
        while view:
            written = os.write(descriptor, view)
            view = view[written:]
    finally:
        os.close(descriptor)


def apply(plan: Plan, recheck: Callable[[], Sequence[Finding]]) -> list[Finding]:
    """Write every planned file, check the tree again, and undo each file whose findings remain or
    that no longer parses (its findings join ``plan.left``). The findings fixed."""
    for target in plan.files:
        write(target, target.edited())
    if not plan.files:
        return []
    after = recheck()  # every finding, whatever rules were chosen: a broken file is TG000
    remaining = {finding_key(finding) for finding in after}
    unparsable = {f.location.file for f in after if f.rule == PARSE_ERROR and f.location is not None}
    fixed: list[Finding] = []
    for target in plan.files:
        solved = [finding for change in target.changes for finding in change.findings]
        broken = target.relative in unparsable
        if broken or any(finding_key(finding) in remaining for finding in solved):
            write(target, target.original)
            why = "the file no longer parses" if broken else "the finding remained after the edit"
            plan.left.extend(Left(finding, f"edit undone: {why}") for finding in solved)
        else:
            fixed.extend(solved)
    return fixed
