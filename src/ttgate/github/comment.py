"""The pull-request comment: its body, built from a ttgate JSON report. Pure: no network, no environment.

The body is the hidden marker (:func:`marker`) followed by a jinja2 template's output. The template runs
with autoescape off, so every value it prints goes through one of two filters written here: ``md`` for
text (a file name, message or fix containing markdown or HTML prints as itself, never as markup) and
``href`` for URLs. GitHub rejects a body over 65,536 characters: :func:`build_body` then leaves out the
least severe findings first and says how many are missing and where the full report is.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ttgate.errors import UserError
from ttgate.gate.findings import plural

MAX_BODY = 65_536  # GitHub's limit on an issue comment body
RULE_DOC_URL = "https://github.com/ttgate/ttgate/blob/main/docs/rules/{rule}.md"
SEVERITIES = ("error", "warning", "notice")  # most severe first
ICONS = {"error": "❌", "warning": "⚠️", "notice": "ℹ️"}
# A message, fix or note longer than this is cut, so one runaway value cannot fill the body.
MAX_TEXT = 2_000
MAX_STACK_ROWS = 100

# Characters that are markup in GitHub markdown or HTML, as character references: a reference prints the
# character in every context a value can land in (a paragraph, a list item, a table cell, <summary>,
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
    "#": "&#35;",
    "$": "&#36;",  # GitHub renders $...$ as math
}
_ESCAPE = str.maketrans(_MARKUP)
_SPACE = re.compile(r"\s+")
# An underscore opens or closes emphasis only at a word boundary: aws_sqs_queue stays readable.
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# What a value could start a block with when it begins a line: a list item, a setext underline.
_LEADING = re.compile(r"^(?:[-+=]|\d{1,9}[.)](?=\s|$))")


def md(value: object) -> str:
    """Text for any place in the body: markup characters as references, one line, no @mention pings."""
    text = "" if value is None else str(value)
    text = _SPACE.sub(" ", text).strip().translate(_ESCAPE)
    text = _UNDERSCORE.sub("&#95;", text)
    text = _LEADING.sub(lambda match: match.group()[:-1] + f"&#{ord(match.group()[-1])};", text)
    # A word joiner after @ keeps "@org/team" in a message from notifying anyone.
    return text.replace("@", "@\u2060")


def href(value: object) -> str:
    """A URL for a link target: anything that could end the target or start markup is percent-encoded."""
    return quote(str(value), safe="/:#?=&%@+,;.-_~")


def marker(key: str) -> str:
    """The hidden first line that identifies ttgate's comment for this key.

    The key is percent-encoded (spaces, ``--`` and ``>`` could end the HTML comment or the key), so the
    marker of one key never starts with the marker of another.
    """
    escaped = quote(key, safe="/:@+=,.~_").replace("--", "-%2D")
    return f"<!-- ttgate:comment key={escaped} -->"


def is_own_comment(body: str, key: str) -> bool:
    return body.split("\n", 1)[0].strip() == marker(key)


# --- the report -----------------------------------------------------------------------------------------


def active_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [finding for finding in report["findings"] if not finding.get("suppressed")]


def checked_paths(report: dict[str, Any]) -> str:
    """The paths the report covers: its "paths" when it has them, else the stacks' common directory."""
    paths = report.get("paths")
    if isinstance(paths, list) and paths:
        return ",".join(str(path) for path in paths)
    names = [str(stack["name"]) for stack in report.get("stacks", []) if stack.get("name")]
    if not names:
        return "."
    return posixpath.commonpath(names) or "."


def default_key(report: dict[str, Any], workflow: str | None, job: str | None) -> str:
    """``WORKFLOW/JOB/PATHS``: one comment per workflow, job and checked paths (so matrix jobs over
    different paths keep separate comments). Outside Actions: ``local/-/PATHS``."""
    return f"{workflow or 'local'}/{job or '-'}/{checked_paths(report)}"


# --- the view the template sees -------------------------------------------------------------------------


@dataclass(frozen=True)
class Links:
    """Where the body links to. Any of them may be unknown (a local run): the text then has no link."""

    server_url: str = "https://github.com"
    repo: str | None = None  # OWNER/NAME
    sha: str | None = None  # the PR's head commit: file links point at the code the report is about
    details_url: str | None = None  # the workflow run, whose job summary holds the full report

    def file(self, path: str | None, line: int | None = None) -> str | None:
        if not (path and self.repo and self.sha):
            return None
        url = f"{self.server_url.rstrip('/')}/{self.repo}/blob/{quote(self.sha)}/{quote(path)}"
        return f"{url}#L{line}" if line else url

    def commit(self) -> str | None:
        if not (self.repo and self.sha):
            return None
        return f"{self.server_url.rstrip('/')}/{self.repo}/commit/{quote(self.sha)}"


def _cut(text: object) -> str | None:
    if text is None:
        return None
    text = str(text)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _stack_label(stack: dict[str, Any]) -> str:
    if stack.get("layer") and stack.get("env"):
        return f"{stack['layer']}/{stack['env']}"
    return str(stack.get("name") or "other files")


def stack_env(row: dict[str, Any]) -> str | None:
    return str(row["env"]) if row.get("env") else None


def _counts_text(counts: dict[str, int]) -> str:
    parts = [plural(counts[severity], severity) for severity in SEVERITIES if counts[severity]]
    return ", ".join(parts) if parts else "no findings"


def _finding_view(finding: dict[str, Any], links: Links) -> dict[str, Any]:
    file = finding.get("file")
    line = finding.get("line")
    return {
        "severity": finding["severity"],
        "icon": ICONS[finding["severity"]],
        "rule": finding.get("rule") or "",
        "name": finding.get("name") or "",
        "rule_url": RULE_DOC_URL.format(rule=quote(str(finding.get("rule") or ""))),
        "message": _cut(finding.get("message")) or "",
        "fix": _cut(finding.get("fix")),
        "address": finding.get("address"),
        "file": file,
        "line": line,
        "location": f"{file}:{line}" if file and line else file,
        "file_url": links.file(file, line),
        "reason": _cut(finding.get("suppression_reason")),
        "related": [
            {
                "note": _cut(related.get("note")) or "",
                "location": f"{related.get('file')}:{related.get('line')}"
                if related.get("line")
                else related.get("file"),
                "url": links.file(related.get("file"), related.get("line")),
            }
            for related in finding.get("related") or []
            if isinstance(related, dict)
        ],
    }


def _order(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Most severe first, then by file and line: the order a reviewer reads them in."""
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    return sorted(
        findings,
        key=lambda f: (rank[f["severity"]], f.get("file") or "", f.get("line") or 0, f.get("rule") or ""),
    )


def _display_order(report: dict[str, Any], stack_names: list[str | None]) -> list[int]:
    """Indexes of the active findings in the order the comment shows them: by stack, then severity."""
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    where = {name: position for position, name in enumerate(stack_names)}
    active = [(index, f) for index, f in enumerate(report["findings"]) if not f.get("suppressed")]
    active.sort(
        key=lambda item: (
            where.get(item[1].get("stack"), len(where)),
            rank[item[1]["severity"]],
            item[1].get("file") or "",
            item[1].get("line") or 0,
            item[1].get("rule") or "",
        )
    )
    return [index for index, _ in active]


def _drop_order(report: dict[str, Any]) -> list[int]:
    """Indexes of the active findings in the order they are left out when the body is too long:
    notices, then warnings, then errors; within a severity the last shown first (the last stack in
    apply order, the last file), so the top of the comment stays whole."""
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    shown = _display_order(report, [stack.get("name") for stack in _stacks(report)])
    findings = report["findings"]
    return sorted(reversed(shown), key=lambda index: -rank[findings[index]["severity"]])


def _stacks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's stacks in apply order, then any stack a finding names that the list lacks."""
    stacks = [dict(stack) for stack in report.get("stacks", []) if isinstance(stack, dict)]
    known = {stack.get("name") for stack in stacks}
    for finding in report["findings"]:
        if finding.get("stack") and finding["stack"] not in known:
            known.add(finding["stack"])
            stacks.append(
                {"name": finding["stack"], "layer": finding.get("layer"), "env": finding.get("env")}
            )
    return stacks


def build_context(
    report: dict[str, Any],
    key: str,
    links: Links,
    *,
    previous: bool = False,
    left_out: frozenset[int] = frozenset(),
    drop_suppressed: bool = False,
) -> dict[str, Any]:
    """Everything the template may use (documented at the top of comment.md.j2)."""
    findings = report["findings"]
    stacks = _stacks(report)
    names: list[str | None] = [stack.get("name") for stack in stacks]
    counts = {severity: 0 for severity in SEVERITIES}
    per_stack: dict[str | None, dict[str, int]] = {
        name: {s: 0 for s in SEVERITIES} for name in [*names, None]
    }
    shown: dict[str | None, list[dict[str, Any]]] = {name: [] for name in [*names, None]}
    missing: dict[str | None, int] = dict.fromkeys([*names, None], 0)
    omitted = {severity: 0 for severity in SEVERITIES}
    for index in _display_order(report, names):
        finding = findings[index]
        stack = finding.get("stack")
        counts[finding["severity"]] += 1
        per_stack[stack][finding["severity"]] += 1
        if index in left_out:
            missing[stack] += 1
            omitted[finding["severity"]] += 1
        else:
            shown[stack].append(finding)
    suppressed = [f for f in findings if f.get("suppressed")]

    stack_rows = []
    for position, stack in enumerate(stacks, start=1):
        stack_counts = per_stack[stack.get("name")]
        worst = next((severity for severity in SEVERITIES if stack_counts[severity]), None)
        stack_rows.append(
            {
                "position": position,
                "name": stack.get("name"),
                "label": _stack_label(stack),
                "layer": stack.get("layer"),
                "env": stack.get("env"),
                "source": stack.get("plan_file") or stack.get("source"),
                "icon": ICONS[worst] if worst else "✅",
                "result": _counts_text(stack_counts),
            }
        )

    groups = []
    for stack in [*stacks, {"name": None}]:
        name = stack.get("name")
        if not shown[name] and not missing[name]:
            continue
        stack_counts = per_stack[name]
        groups.append(
            {
                "name": name,
                "label": _stack_label(stack),
                "open": stack_counts["error"] > 0,
                "icon": ICONS[next(s for s in SEVERITIES if stack_counts[s])],
                "summary": _counts_text(stack_counts),
                "findings": [_finding_view(f, links) for f in shown[name]],
                "left_out": missing[name],
            }
        )

    by_env: dict[str | None, list[dict[str, Any]]] = {}
    for row in stack_rows[:MAX_STACK_ROWS]:
        by_env.setdefault(stack_env(row), []).append({**row, "label": row["layer"] or row["label"]})
    apply_order = [{"env": env, "stacks": rows} for env, rows in by_env.items()]
    envs = sorted({str(s["env"]) for s in stacks if s.get("env")})
    layers = list(dict.fromkeys(str(s["layer"]) for s in stacks if s.get("layer")))
    active_total = sum(counts.values())
    summary = report.get("summary", {})
    headline_icon = "❌" if counts["error"] else ("⚠️" if active_total else "✅")
    return {
        "key": key,
        "tool_version": report.get("tool", {}).get("version", ""),
        "all_clear": active_total == 0,
        "previous": previous,
        "headline_icon": headline_icon,
        "counts": counts,
        "counts_text": _counts_text(counts),
        "active_total": active_total,
        "suppressed_total": len(suppressed),
        "stack_total": len(stacks),
        "file_total": summary.get("files"),
        "stacks": stack_rows[:MAX_STACK_ROWS],
        "stacks_left_out": max(0, len(stack_rows) - MAX_STACK_ROWS),
        "apply_order": apply_order,
        "layers": layers,
        "envs": envs,
        "groups": groups,
        "suppressed": [] if drop_suppressed else [_finding_view(f, links) for f in _order(suppressed)],
        "suppressed_left_out": len(suppressed) if drop_suppressed else 0,
        "left_out": {**omitted, "total": len(left_out)},
        "notes": [_cut(note) for note in summary.get("notes") or []],
        "sha": links.sha,
        "short_sha": (links.sha or "")[:7],
        "commit_url": links.commit(),
        "details_url": links.details_url,
    }


# --- rendering ------------------------------------------------------------------------------------------


def packaged_template() -> str:
    return (resources.files("ttgate") / "templates" / "comment.md.j2").read_text(encoding="utf-8")


def read_template(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(
            f"--template {path}: cannot read: {getattr(error, 'strerror', None) or error}"
        ) from None


def compile_template(source: str, name: str = "comment.md.j2") -> Callable[[dict[str, Any]], str]:
    """A render function for a template source; a template error is a UserError naming the line."""
    try:
        import jinja2
    except ImportError:  # pragma: no cover - the github extra is missing
        raise UserError("ttgate comment needs jinja2: pip install 'ttgate[github]'") from None

    environment = jinja2.Environment(
        autoescape=False,  # markdown, not HTML: values are escaped by the md and href filters
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["md"] = md
    environment.filters["href"] = href
    environment.filters["plural"] = plural
    try:
        template = environment.from_string(source)
    except jinja2.TemplateSyntaxError as error:
        raise UserError(f"template {name}, line {error.lineno}: {error.message}") from None

    def render(context: dict[str, Any]) -> str:
        try:
            return template.render(context)
        except jinja2.TemplateError as error:
            raise UserError(f"template {name}: {error}") from None
        except Exception as error:
            raise UserError(f"template {name}: {type(error).__name__}: {error}") from None

    return render


def _length(body: str) -> int:
    """Length as GitHub may count it (UTF-16 code units): never less than the number of characters."""
    return len(body.encode("utf-16-le")) // 2


def build_body(
    report: dict[str, Any],
    key: str,
    links: Links,
    *,
    template: str | None = None,
    template_name: str = "comment.md.j2",
    previous: bool = False,
    limit: int = MAX_BODY,
) -> str:
    """The whole comment body: the marker line, then the template's output, at most ``limit`` long.

    Over the limit, suppressed findings go first, then active findings in :func:`_drop_order` (notices,
    then warnings, then errors; the last shown first); the body then says how many were left out and
    where the full report is. The template keeps its structure, so every <details> stays closed.
    """
    render = compile_template(template if template is not None else packaged_template(), template_name)
    head = marker(key) + "\n"

    def body_for(left_out: frozenset[int], drop_suppressed: bool) -> str:
        context = build_context(
            report, key, links, previous=previous, left_out=left_out, drop_suppressed=drop_suppressed
        )
        return head + render(context).strip("\n") + "\n"

    body = body_for(frozenset(), False)
    if _length(body) <= limit:
        return body
    order = _drop_order(report)
    # Binary search for the fewest findings left out that fit.
    low, high = 0, len(order)
    best: str | None = None
    while low <= high:
        middle = (low + high) // 2
        candidate = body_for(frozenset(order[:middle]), True)
        if _length(candidate) <= limit:
            best, high = candidate, middle - 1
        else:
            low = middle + 1
    if best is not None:
        return best
    return _minimal_body(head, report, links)


def _minimal_body(head: str, report: dict[str, Any], links: Links) -> str:
    """Last resort when even a body without findings is too long (a huge custom template or stack list)."""
    counts = {severity: 0 for severity in SEVERITIES}
    for finding in active_findings(report):
        counts[finding["severity"]] += 1
    icon = "❌" if counts["error"] else ("⚠️" if any(counts.values()) else "✅")
    where = f"[the workflow run]({href(links.details_url)})" if links.details_url else "the workflow run"
    return (
        f"{head}### {icon} ttgate: {md(_counts_text(counts))}\n\n"
        f"The findings do not fit in a comment: see the job summary of {where}, which lists them all.\n"
    )
