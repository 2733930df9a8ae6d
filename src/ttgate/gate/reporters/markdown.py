"""The report in GitHub Markdown: the job summary (``--format markdown``) and the pull-request comment.

One renderer makes both, so a pull request shows one dialect. Both read: a headline with the counts,
what was checked, the stacks in apply order, then one ``<details>`` per stack (open when it has an
error) listing its findings most severe first, the notes, and the suppressed findings with their reasons.
A :class:`Document` holds what differs: the comment starts with a hidden marker naming its key, links
files at the PR's head commit, becomes an all-clear when nothing is left and ends with a footer; the job
summary shows the stacks as a table instead of one line per environment.

Every value that came from the checked code or a report goes through :func:`markup.escape`. A document
over its limit (GitHub's: 1 MiB for a step summary, 65,536 characters for a comment) leaves out the least
severe findings first (suppressed ones, then notices, then warnings; within a severity the last shown
first, so the top stays whole) and says how many are missing and where the full report is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import quote

from ttgate.gate.findings import Finding, plural
from ttgate.gate.model import Location
from ttgate.gate.reporters.docs_url import rule_docs_url
from ttgate.gate.reporters.markup import ALL_CLEAR, ICONS, counts, cut, escape, href, status_icon
from ttgate.gate.reporters.report import Report
from ttgate.gate.reporters.sanitize import no_command_lines
from ttgate.policy import Severity

STEP_SUMMARY_LIMIT = 1024 * 1024  # bytes; GitHub rejects a larger step summary
COMMENT_LIMIT = 65_536  # characters; GitHub rejects a longer issue comment
MAX_APPLY_ORDER_STACKS = 100  # the comment's one-line-per-environment overview stays short

Row = dict[str, str | None]  # a stack as the report lists it: name, layer, env, source, plan_file


def _bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _utf16_units(text: str) -> int:
    """Length as GitHub may count it (UTF-16 code units): never less than the number of characters."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass(frozen=True)
class Links:
    """Where a document links files to. Any part may be unknown (a local run): the text then has no link."""

    server_url: str = "https://github.com"
    repo: str | None = None  # OWNER/NAME
    sha: str | None = None  # the PR's head commit: file links point at the code the report is about
    details_url: str | None = None  # the workflow run, whose job summary holds the full report
    report_url: str | None = None  # the JSON report kept as an artifact of the run: every finding, uncut

    def file(self, path: str, line: int = 0) -> str | None:
        if not (path and self.repo and self.sha):
            return None
        url = f"{self.server_url.rstrip('/')}/{self.repo}/blob/{quote(self.sha)}/{quote(path)}"
        return f"{url}#L{line}" if line >= 1 else url

    def commit(self) -> str | None:
        if not (self.repo and self.sha):
            return None
        return f"{self.server_url.rstrip('/')}/{self.repo}/commit/{quote(self.sha)}"


@dataclass(frozen=True)
class Document:
    """What one Markdown document of a report is: its size limit and the parts only it has."""

    name: str  # how the size note calls it
    limit: int
    measure: Callable[[str], int]  # in GitHub's unit for this document
    limit_text: str
    full_report: str  # Markdown: where every finding is listed, for what is left out
    links: Links = field(default_factory=Links)
    comment_key: str | None = None  # a comment: the marker, the all-clear and the footer
    previous: bool = False  # a comment already exists: the all-clear says what happened to it


SUMMARY = Document(
    name="job summary",
    limit=STEP_SUMMARY_LIMIT,
    measure=_bytes,
    limit_text="GitHub's 1 MiB step-summary limit",
    full_report="the JSON or SARIF report of `ttgate check` (`--format json:FILE`)",
)


def marker(key: str) -> str:
    """The hidden first line that identifies ttgate's comment for this key.

    The key is percent-encoded (spaces, ``--`` and ``>`` could end the HTML comment or the key), so the
    marker of one key never starts with the marker of another.
    """
    escaped = quote(key, safe="/:@+=,.~_").replace("--", "-%2D")
    return f"<!-- ttgate:comment key={escaped} -->"


def comment_document(
    key: str, links: Links, *, previous: bool = False, limit: int = COMMENT_LIMIT
) -> Document:
    if links.report_url:  # the job summary has a size limit too: the artifact is the one uncut copy
        full_report = f"the JSON report, [an artifact of the workflow run]({href(links.report_url)})"
    elif links.details_url:
        full_report = f"the job summary of [the workflow run]({href(links.details_url)})"
    else:
        full_report = "the output of `ttgate check`"
    return Document(
        name="comment",
        limit=limit,
        measure=_utf16_units,
        limit_text="GitHub's 65,536-character limit",
        full_report=full_report,
        links=links,
        comment_key=key,
        previous=previous,
    )


def render(report: Report, limit: int = STEP_SUMMARY_LIMIT) -> str:
    """The job summary."""
    return render_document(report, replace(SUMMARY, limit=limit))


def comment_body(
    report: Report, key: str, links: Links, *, previous: bool = False, limit: int = COMMENT_LIMIT
) -> str:
    """The pull-request comment for ``key``; ``previous``: it replaces an earlier one."""
    return render_document(report, comment_document(key, links, previous=previous, limit=limit))


# --- the stacks -------------------------------------------------------------------------------------------


def _stack_name(finding: Finding) -> str | None:
    return finding.stack.name if finding.stack is not None else None


def _stacks(report: Report) -> list[Row]:
    """The report's stacks in apply order, then any stack a finding names that the list lacks."""
    stacks = [dict(row) for row in report.stack_list]
    known = {row.get("name") for row in stacks}
    for finding in report.findings:
        stack = finding.stack
        if stack is not None and stack.name not in known:
            known.add(stack.name)
            stacks.append({"name": stack.name, "layer": stack.layer, "env": stack.env, "source": stack.kind})
    return stacks


def _label(row: Row) -> str:
    if row.get("layer") and row.get("env"):
        return f"{row['layer']}/{row['env']}"
    return row.get("name") or "other files"


def _in_stack(findings: list[Finding], row: Row) -> list[Finding]:
    return [finding for finding in findings if _stack_name(finding) == row.get("name")]


def _checked(report: Report, stacks: list[Row], links: Links) -> str:
    text = plural(len(stacks), "stack")
    layers = list(dict.fromkeys(str(row["layer"]) for row in stacks if row.get("layer")))
    envs = sorted({str(row["env"]) for row in stacks if row.get("env")})
    if layers:
        text += f" ({', '.join(layers)}" + (f" in {', '.join(envs)}" if envs else "") + ")"
    if report.files:
        text += f", {plural(report.files, 'file')}"
    text = escape(text)
    commit = links.commit()
    if commit and links.sha:
        text += f" at [{escape(links.sha[:7])}]({href(commit)})"
    return text


def _apply_order(stacks: list[Row], active: list[Finding]) -> str:
    """One line per environment: its stacks in apply order, each with its worst finding's icon."""
    by_env: dict[str | None, list[str]] = {}
    for row in stacks[:MAX_APPLY_ORDER_STACKS]:
        name = escape(row.get("layer") or _label(row))
        by_env.setdefault(row.get("env") or None, []).append(f"{name} {status_icon(_in_stack(active, row))}")
    lines = ["**Apply order** (rollback runs in reverse):"]
    for env, entries in by_env.items():
        lines.append(f"- {f'**{escape(env)}**: ' if env else ''}{' → '.join(entries)}")
    if len(stacks) > MAX_APPLY_ORDER_STACKS:
        lines.append(f"- and {plural(len(stacks) - MAX_APPLY_ORDER_STACKS, 'more stack')}")
    return "\n".join(lines)


def _stack_table(stacks: list[Row], active: list[Finding]) -> str:
    lines = [
        "**Stacks, in apply order** (rollback runs in reverse):",
        "",
        "| # | stack | layer | env | source | findings |",
        "|---|---|---|---|---|---|",
    ]
    for number, row in enumerate(stacks, start=1):
        cells = [escape(row.get(key) or "—") for key in ("name", "layer", "env", "source")]
        in_stack = _in_stack(active, row)
        lines.append(f"| {number} | {' | '.join(cells)} | {status_icon(in_stack)} {counts(in_stack)} |")
    return "\n".join(lines)


# --- one finding ------------------------------------------------------------------------------------------


def _where(location: Location | None, links: Links) -> str:
    if location is None or not location.file:
        return "the stack"
    text = escape(f"{location.file}:{location.line}" if location.line >= 1 else location.file)
    url = links.file(location.file, location.line)
    return f"[{text}]({href(url)})" if url else text


def _rule(finding: Finding) -> str:
    return f"[{escape(finding.rule)} {escape(finding.name)}]({href(rule_docs_url(finding.rule))})"


def _address(finding: Finding) -> str:
    return f" · <code>{escape(finding.address)}</code>" if finding.address else ""


def _item(finding: Finding, links: Links) -> str:
    """An active finding: what, where, the fix, the related places."""
    severity = finding.severity
    head = f"- {ICONS[severity]} **{severity.label}** {_rule(finding)} in {_where(finding.location, links)}"
    parts = [head + _address(finding), f"  {escape(cut(finding.message))}"]
    if finding.fix:
        parts.append(f"  **Fix:** {escape(cut(finding.fix))}")
    if finding.related:
        parts.append(
            "\n".join(
                f"  - {escape(cut(related.note))}"
                + (f" ({_where(related.location, links)})" if related.location.file else "")
                for related in finding.related
            )
        )
    return "\n\n".join(parts)


def _suppressed_item(finding: Finding, links: Links) -> str:
    reason = escape(cut(finding.suppression_reason)) or "(no reason given)"
    where = _where(finding.location, links)
    return f"- {finding.severity.label} {_rule(finding)} in {where}{_address(finding)}: {reason}"


# --- the document -----------------------------------------------------------------------------------------


def _headline(report: Report, document: Document, stacks: list[Row]) -> list[str]:
    active = report.active
    checked = _checked(report, stacks, document.links)
    if active or document.comment_key is None:
        explain = (
            " Each finding below says what is wrong, where, and how to fix it; the rule links explain why."
        )
        return [
            f"### {status_icon(active)} ttgate: {counts(active)}",
            f"Checked {checked}.{explain if active else ''}",
        ]
    if document.previous:
        excused = " or suppressed with a reason" if report.suppressed else ""
        what = f"Every finding reported earlier in this comment is fixed{excused}."
    else:
        what = "No findings."
    return [f"### {ALL_CLEAR} ttgate: all clear", f"{what} Checked {checked}."]


def _size_note(left_out: list[Finding], document: Document) -> list[str]:
    if not left_out:
        return []
    active = [finding for finding in left_out if not finding.suppressed]
    parts = [counts(active)] if active else []
    if len(left_out) > len(active):
        parts.append(f"{len(left_out) - len(active)} suppressed")
    return [
        f"> [!NOTE]\n> **{plural(len(left_out), 'finding')} not shown** ({', '.join(parts)}): the "
        f"{document.name} would exceed {document.limit_text}. The full report is in {document.full_report}."
    ]


def _groups(report: Report, document: Document, stacks: list[Row], items: dict[int, str]) -> list[str]:
    """One ``<details>`` per stack with active findings, in apply order, open when it has an error."""
    groups = []
    no_stack: Row = {"name": None}
    for row in [*stacks, no_stack]:
        in_stack = _in_stack(report.active, row)
        if not in_stack:
            continue
        code = (
            f" · <code>{escape(row['name'])}</code>" if row.get("name") and row["name"] != _label(row) else ""
        )
        is_open = " open" if any(f.severity is Severity.ERROR for f in in_stack) else ""
        parts = [
            f"<details{is_open}>\n<summary>{status_icon(in_stack)} <b>{escape(_label(row))}</b>: "
            f"{counts(in_stack)}{code}</summary>"
        ]
        shown = sorted((f for f in in_stack if id(f) in items), key=lambda f: (-f.severity, *f.sort_key()))
        parts += [items[id(finding)] for finding in shown]
        if len(shown) < len(in_stack):
            missing = plural(len(in_stack) - len(shown), "more finding")
            parts.append(f"- … {missing} in this stack not shown (size limit): see {document.full_report}.")
        groups.append("\n\n".join([*parts, "</details>"]))
    return groups


def _suppressed(report: Report, document: Document, items: dict[int, str]) -> list[str]:
    suppressed = report.suppressed
    if not suppressed:
        return []
    lines = [items[id(finding)] for finding in suppressed if id(finding) in items]
    if len(lines) < len(suppressed):
        missing = plural(len(suppressed) - len(lines), "more")
        lines.append(f"- … {missing} not shown (size limit): see {document.full_report}.")
    heading = f"<details>\n<summary>🔕 {plural(len(suppressed), 'suppressed finding')}</summary>"
    return [f"{heading}\n\n" + "\n".join(lines) + "\n\n</details>"]


def _assemble(report: Report, document: Document, items: dict[int, str], left_out: list[Finding]) -> str:
    """The document with the findings in ``items`` (rendered, by id) listed; ``left_out`` are not."""
    stacks = _stacks(report)
    blocks = _headline(report, document, stacks) + _size_note(left_out, document)
    active = report.active
    if document.comment_key is None:
        blocks.append(_stack_table(stacks, active))
    elif active and stacks:
        blocks.append(_apply_order(stacks, active))
    blocks += _groups(report, document, stacks, items)
    if report.notes:
        blocks.append("\n".join(f"- ℹ️ {escape(cut(note))}" for note in report.notes))
    blocks += _suppressed(report, document, items)
    if document.comment_key is not None:
        key = escape(document.comment_key)
        footer = (
            f"<sub>ttgate {escape(report.tool_version)} · comment key <code>{key}</code> · full report: "
            f"{document.full_report}. This comment is updated in place on every run.</sub>"
        )
        blocks.append("---\n" + footer)
    head = marker(document.comment_key) + "\n" if document.comment_key is not None else ""
    return head + "\n\n".join(blocks) + "\n"


def _ranked(report: Report) -> list[Finding]:
    """Most important first: errors, warnings, notices (each in stack apply order), then suppressed."""
    position = {row.get("name"): number for number, row in enumerate(_stacks(report))}

    def importance(finding: Finding) -> tuple[bool, int, int, tuple[str, str, int, str, str]]:
        stack = position.get(_stack_name(finding), len(position))
        return (finding.suppressed, -finding.severity, stack, finding.sort_key())

    return sorted(report.findings, key=importance)


def render_document(report: Report, document: Document) -> str:
    return no_command_lines(_fitted(report, document))


def _fitted(report: Report, document: Document) -> str:
    ranked = _ranked(report)
    links = document.links
    items = {id(f): (_suppressed_item if f.suppressed else _item)(f, links) for f in ranked}
    keep = len(ranked)
    while True:
        shown = {id(f): items[id(f)] for f in ranked[:keep]}
        text = _assemble(report, document, shown, ranked[keep:])
        excess = document.measure(text) - document.limit
        if excess <= 0:
            return text
        if keep == 0:
            return _minimal(report, document)
        freed = 0
        while keep > 0 and freed < excess:  # leave out the least important items that cover the excess
            keep -= 1
            freed += document.measure(items[id(ranked[keep])] + "\n\n")


def _minimal(report: Report, document: Document) -> str:
    """Last resort when even a document without findings is too long (a huge stack list, many notes)."""
    active = report.active
    head = marker(document.comment_key) + "\n" if document.comment_key is not None else ""
    return (
        f"{head}### {status_icon(active)} ttgate: {counts(active)}\n\n"
        f"The findings do not fit in the {document.name}: see {document.full_report}, which lists them all.\n"
    )
