"""The report in GitHub Markdown: the job summary (``--format markdown``) and the pull-request comment.

Both are rendered by one jinja2 template (:mod:`comment_template`; ttgate's own is
``templates/comment.md.j2``, a repository may give its own), so a pull request shows one dialect. This
module builds what the template reads (:func:`context`: plain data, documented in
docs/comment-templates.md) and fits the result to the document's limit. ttgate's template reads: a
headline with the counts, what was checked, the stacks in apply order, then one ``<details>`` per stack
(open when it has an error) listing its new findings most severe first, the existing ones collapsed,
what merging does (with plans), the notes, and the suppressed findings with their reasons. A
:class:`Document` holds what differs: the comment starts with a hidden marker naming its key (added here,
never by the template), links files at the PR's head commit, becomes an all-clear when nothing new is
left and ends with a footer; the job summary shows the stacks as a table instead.

Every value that came from the checked code or a report is escaped by :func:`markup.escape` as the
template writes it. A document over its limit (GitHub's: 1 MiB for a step summary, 65,536 characters
for a comment) leaves out the least important findings first (suppressed ones, then existing ones, then
notices, then warnings; within a severity the last shown first, so the top stays whole) and says how
many are missing and where the full report is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ttgate.errors import UserError
from ttgate.gate.findings import Finding
from ttgate.gate.model import Location
from ttgate.gate.reporters.docs_url import rule_docs_url
from ttgate.gate.reporters.json_report import plan_changes_dict
from ttgate.gate.reporters.markup import ICONS, counts, cut, escape, href, status_icon
from ttgate.gate.reporters.report import Report
from ttgate.gate.reporters.sanitize import no_command_lines
from ttgate.policy import Severity

if TYPE_CHECKING:
    from markupsafe import Markup

    from ttgate.gate.reporters.comment_template import CommentTemplate

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


def render(report: Report, limit: int = STEP_SUMMARY_LIMIT, template: CommentTemplate | None = None) -> str:
    """The job summary (``template``: a repository's own, else the packaged one)."""
    return render_document(report, replace(SUMMARY, limit=limit), template)


def comment_body(
    report: Report,
    key: str,
    links: Links,
    *,
    previous: bool = False,
    limit: int = COMMENT_LIMIT,
    template: CommentTemplate | None = None,
) -> str:
    """The pull-request comment for ``key``; ``previous``: it replaces an earlier one."""
    return render_document(report, comment_document(key, links, previous=previous, limit=limit), template)


# --- the context the template reads (docs/comment-templates.md) -------------------------------------------


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


def _ready(text: str | None) -> Markup | None:
    """A value the context hands over ready-made (already escaped or encoded): printed as it is."""
    from markupsafe import Markup

    return Markup(text) if text is not None else None


def _place(location: Location | None) -> str | None:
    if location is None or not location.file:
        return None
    return f"{location.file}:{location.line}" if location.line >= 1 else location.file


def _file_url(location: Location | None, links: Links) -> Markup | None:
    if location is None or not location.file:
        return None
    url = links.file(location.file, location.line)
    return _ready(href(url)) if url else None


def finding_context(finding: Finding, links: Links) -> dict[str, Any]:
    """One finding as plain data: texts as they are (the template escapes them), links ready-made."""
    location = finding.location
    stack = finding.stack
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.label,
        "icon": _ready(ICONS[finding.severity]),
        "message": cut(finding.message),
        "fix": cut(finding.fix),
        "file": location.file if location is not None else None,
        "line": location.line if location is not None and location.line >= 1 else None,
        "place": _place(location),
        "file_url": _file_url(location, links),
        "rule_url": _ready(href(rule_docs_url(finding.rule))),
        "address": finding.address,
        "stack": stack.name if stack is not None else None,
        "layer": stack.layer if stack is not None else None,
        "env": stack.env if stack is not None else None,
        "source": finding.source,
        "related": [
            {
                "note": cut(related.note),
                "file": related.location.file or None,
                "line": related.location.line if related.location.line >= 1 else None,
                "place": _place(related.location),
                "file_url": _file_url(related.location, links),
            }
            for related in finding.related
        ],
        "suppressed": finding.suppressed,
        "suppression_reason": cut(finding.suppression_reason).strip() or None,
        "existing": finding.existing,
    }


def _plan_changes(report: Report) -> list[dict[str, Any]]:
    """What merging does, as the JSON report writes it (addresses and actions, never a value)."""
    return [plan_changes_dict(environment) for environment in report.plan_changes]


def _checked(report: Report, stacks: list[Row], links: Links) -> dict[str, Any]:
    commit = links.commit()
    return {
        "stacks": len(stacks),
        "layers": list(dict.fromkeys(str(row["layer"]) for row in stacks if row.get("layer"))),
        "environments": sorted({str(row["env"]) for row in stacks if row.get("env")}),
        "files": report.files,
        "sha": links.sha[:7] if commit and links.sha else None,
        "commit_url": _ready(href(commit)) if commit and links.sha else None,
    }


def _apply_order(stacks: list[Row], new: list[Finding]) -> list[dict[str, Any]]:
    by_env: dict[str | None, list[dict[str, Any]]] = {}
    for row in stacks[:MAX_APPLY_ORDER_STACKS]:
        entry = {"name": row.get("layer") or _label(row), "icon": _ready(status_icon(_in_stack(new, row)))}
        by_env.setdefault(row.get("env") or None, []).append(entry)
    return [{"environment": env, "stacks": entries} for env, entries in by_env.items()]


def _listed(findings: list[Finding], shown: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    return [shown[id(finding)] for finding in findings if id(finding) in shown]


def context(
    report: Report, document: Document, shown: dict[int, dict[str, Any]], left_out: list[Finding]
) -> dict[str, Any]:
    """What the template reads: the findings in ``shown`` (by id, as :func:`finding_context` made them)
    listed, those in ``left_out`` counted in the size note."""
    stacks = _stacks(report)
    new, existing, suppressed = report.new, report.existing, report.suppressed
    ranked, new_ids = _ranked(report), {id(finding) for finding in new}
    groups = []
    no_stack: Row = {"name": None}
    for row in [*stacks, no_stack]:
        in_stack = _in_stack(new, row)
        if not in_stack:
            continue
        ordered = sorted(in_stack, key=lambda f: (-f.severity, *f.sort_key()))
        listed = _listed(ordered, shown)
        groups.append(
            {
                "name": row.get("name"),
                "label": _label(row),
                "icon": _ready(status_icon(in_stack)),
                "counts": counts(in_stack),
                "has_error": any(f.severity is Severity.ERROR for f in in_stack),
                "findings": listed,
                "not_shown": len(in_stack) - len(listed),
            }
        )
    left_active = [finding for finding in left_out if not finding.suppressed]
    links = document.links
    return {
        "kind": "summary" if document.comment_key is None else "comment",
        "tool_version": report.tool_version,
        "document": {
            "name": document.name,
            "limit_text": document.limit_text,
            "full_report": _ready(document.full_report),
            "key": document.comment_key,
            "previous": document.previous,
        },
        "links": {
            "repo": links.repo,
            "sha": links.sha,
            "commit_url": _ready(href(links.commit() or "")) if links.commit() else None,
            "details_url": _ready(href(links.details_url)) if links.details_url else None,
            "report_url": _ready(href(links.report_url)) if links.report_url else None,
        },
        "counts": {
            "errors": sum(1 for f in new if f.severity is Severity.ERROR),
            "warnings": sum(1 for f in new if f.severity is Severity.WARNING),
            "notices": sum(1 for f in new if f.severity is Severity.NOTICE),
            "new": len(new),
            "existing": len(existing),
            "suppressed": len(suppressed),
            "text": counts(new),
            "icon": _ready(status_icon(new)),
        },
        "new": [shown[id(f)] for f in ranked if id(f) in shown and id(f) in new_ids],
        "checked": _checked(report, stacks, links),
        "stacks": [
            {
                "name": row.get("name"),
                "label": _label(row),
                "layer": row.get("layer"),
                "env": row.get("env"),
                "source": row.get("source"),
                "icon": _ready(status_icon(_in_stack(new, row))),
                "counts": counts(_in_stack(new, row)),
            }
            for row in stacks
        ],
        "apply_order": _apply_order(stacks, new),
        "more_stacks": max(len(stacks) - MAX_APPLY_ORDER_STACKS, 0),
        "groups": groups,
        "existing": _listed(existing, shown),
        "existing_total": len(existing),
        "existing_not_shown": len(existing) - len(_listed(existing, shown)),
        "suppressed": _listed(suppressed, shown),
        "suppressed_total": len(suppressed),
        "suppressed_not_shown": len(suppressed) - len(_listed(suppressed, shown)),
        "notes": [cut(note) for note in report.notes],
        "plan_changes": _plan_changes(report),
        "left_out": (
            {
                "count": len(left_out),
                "counts": counts(left_active) if left_active else "",
                "suppressed": len(left_out) - len(left_active),
            }
            if left_out
            else None
        ),
    }


# --- the document: the template's output, fitted to the limit -----------------------------------------------


def _ranked(report: Report) -> list[Finding]:
    """Most important first: new errors, warnings, notices (each in stack apply order), then existing
    findings, then suppressed ones. The size limit leaves out from the end."""
    position = {row.get("name"): number for number, row in enumerate(_stacks(report))}

    def importance(finding: Finding) -> tuple[bool, bool, int, int, tuple[str, str, int, str, str]]:
        stack = position.get(_stack_name(finding), len(position))
        return (finding.suppressed, finding.existing, -finding.severity, stack, finding.sort_key())

    return sorted(report.findings, key=importance)


def render_document(report: Report, document: Document, template: CommentTemplate | None = None) -> str:
    from ttgate.gate.reporters.comment_template import default_template

    return no_command_lines(_fitted(report, document, template or default_template()))


def _rough_size(finding: Finding) -> int:
    """A finding's entry before the template has run: its texts and its links, with room to spare."""
    texts = [finding.message, finding.fix, finding.address or "", finding.suppression_reason or ""]
    texts += [related.note for related in finding.related]
    file = finding.location.file if finding.location is not None else ""
    return sum(len(cut(text)) for text in texts) + 3 * len(file) + 250 * (1 + len(finding.related))


def _fitted(report: Report, document: Document, template: CommentTemplate) -> str:
    from ttgate.gate.reporters.comment_template import TemplateStopped

    ranked = _ranked(report)
    links = document.links
    data = {id(f): finding_context(f, links) for f in ranked}
    # A first cut by rough sizes, so that even a huge report renders once at a bounded size.
    keep, total = 0, 0
    while keep < len(ranked) and total + _rough_size(ranked[keep]) <= 4 * document.limit:
        total += _rough_size(ranked[keep])
        keep += 1
    sizes: dict[int, int] = {}
    head = marker(document.comment_key) + "\n" if document.comment_key is not None else ""
    output_limit = 8 * document.limit + 1024 * 1024
    try:
        while True:
            shown = {id(f): data[id(f)] for f in ranked[:keep]}
            body, names = template.render(context(report, document, shown, ranked[keep:]), output_limit)
            text = head + body.rstrip("\n") + "\n"
            excess = document.measure(text) - document.limit
            if excess <= 0:
                return text
            if keep == 0:
                return _minimal(report, document)
            item = names.get("item")
            freed = 0
            while keep > 0 and freed < excess:  # leave out the least important entries that cover the excess
                keep -= 1
                finding = ranked[keep]
                if id(finding) not in sizes:
                    sizes[id(finding)] = _entry_size(template, item, data[id(finding)], document) or (
                        _rough_size(finding)
                    )
                freed += sizes[id(finding)]
    except TemplateStopped as stopped:
        return _minimal(report, document, stopped=f"{template.name} was stopped: {stopped}")


def _entry_size(
    template: CommentTemplate, item: object, finding: dict[str, Any], document: Document
) -> int | None:
    """A finding's entry as the template's ``item`` macro writes it; None when it has none that takes
    a finding."""
    if not callable(item):
        return None
    try:
        return document.measure(template.call(item, finding) + "\n\n")
    except UserError:
        return None


def _minimal(report: Report, document: Document, stopped: str | None = None) -> str:
    """Last resort when even a document without findings is too long (a huge stack list, many notes),
    or the template went past a bound."""
    active = report.new
    head = marker(document.comment_key) + "\n" if document.comment_key is not None else ""
    why = f"\n\n> [!WARNING]\n> The comment template {escape(stopped)}.\n" if stopped else "\n"
    return (
        f"{head}### {status_icon(active)} ttgate: {counts(active)}\n\n"
        f"The findings do not fit in the {document.name}: see {document.full_report}, which lists them all."
        + why
    )
