"""Review suggestions on the diff: a finding whose fix is one literal, on a line the pull request changed,
becomes a review comment on that line holding a ```suggestion block (the whole line, the literal replaced).

Which comments are ttgate's follows the sticky comment's rule: the hidden marker (the key and the
finding's fingerprint) on the first line AND the token's own identity (GraphQL ``viewer``) as author. A
comment by anyone else is never edited, resolved or deleted, whatever marker it carries. Each run edits its
own comments in place, posts the missing ones (most severe first, at most ``limit``), and resolves the
review threads of the findings that are gone (deletes the comment when its thread cannot be resolved).
Findings on lines the PR did not change stay in the sticky comment alone.

:func:`plan_suggestions` is pure (the report, the PR's changed lines, a way to read a line of the checked
out file); :func:`sync_suggestions` works on any :class:`ReviewStore` (PyGithub's in
:mod:`ttgate.github.review_store`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from ttgate.errors import UserError
from ttgate.gate.findings import Finding, LiteralEdit
from ttgate.gate.reporters import Report
from ttgate.gate.reporters.markup import escape
from ttgate.gate.reporters.sanitize import visible
from ttgate.github.client import CommentDenied, CommentError, CommentUnavailable
from ttgate.github.diff_lines import added_lines
from ttgate.github.review_store import PyGithubReviewStore, ReviewComment
from ttgate.integrations import github as github_api
from ttgate.integrations.github import RetryPolicy
from ttgate.policy import Severity

DEFAULT_LIMIT = 20

# A literal a suggestion may replace, and the literal it may put instead: a number, a boolean, or a short
# quoted word (a policy value: 725, 14, "PAY_PER_REQUEST"). Nothing else ever reaches a suggestion.
_LITERAL = re.compile(r'-?\d+(?:\.\d+)?|true|false|"[A-Za-z0-9_.:/ -]{0,64}"')
# An attribute whose value may be a secret: its line is never quoted in a comment.
_SENSITIVE_NAME = re.compile(
    r"(?i)(passw|secret|token|private|credential|api_?key|access_?key|auth|session|signature|cert)"
)
_MARKER = re.compile(r"<!-- ttgate:suggestion key=(\S+) fingerprint=([0-9a-f]{16}) -->")


def marker(key: str, fingerprint: str) -> str:
    """The hidden first line of a suggestion: the key (percent-encoded, as the sticky comment's) and the
    finding's fingerprint."""
    escaped = quote(key, safe="/:@+=,.~_").replace("--", "-%2D")
    return f"<!-- ttgate:suggestion key={escaped} fingerprint={fingerprint} -->"


def marked_fingerprint(body: str, key: str) -> str | None:
    """The fingerprint of a body carrying the key's suggestion marker on its first line; else None. Not
    enough alone: the author must be the token's identity."""
    match = _MARKER.fullmatch(body.split("\n", 1)[0].strip())
    if match is None or marker(key, match.group(2)) != match.group(0):
        return None
    return match.group(2)


def fingerprint(finding: Finding, edit: LiteralEdit) -> str:
    """The same finding on later runs, wherever its line moved: rule, stack, address and file."""
    stack = finding.stack.name if finding.stack is not None else ""
    identity = json.dumps([finding.rule, stack, finding.address or "", edit.file])
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Suggestion:
    fingerprint: str
    path: str
    line: int
    body: str
    severity: Severity


@dataclass
class Plan:
    """What a report suggests on a pull request: ``suggestions`` (most severe first, at most the limit)."""

    suggestions: list[Suggestion] = field(default_factory=list)
    left: int = 0  # over the limit: in the sticky comment only
    unchanged_lines: int = 0  # literal fixes on lines the PR did not change: in the sticky comment only
    refused: list[str] = field(default_factory=list)  # why a fix could not be suggested, one line each


def fixed_line(text: str, edit: LiteralEdit) -> str | None:
    """The line with the literal replaced, every other character kept; None when the edit does not fit the
    line as checked out, or the line must not be quoted (a sensitive attribute, a control character, a
    fence that would end the suggestion block)."""
    start, end = edit.column - 1, edit.end_column - 1
    if start < 0 or end <= start or end > len(text):
        return None
    if not _LITERAL.fullmatch(text[start:end]) or not _LITERAL.fullmatch(edit.replacement):
        return None
    if _SENSITIVE_NAME.search(text[:start]) or "```" in text or "<!--" in text:
        return None
    if visible(text.replace("\t", "")) != text.replace("\t", ""):
        return None
    return text[:start] + edit.replacement + text[end:]


def suggestion_body(key: str, print_: str, finding: Finding, line: str) -> str:
    """The marker, one line saying what and why (escaped like every report text), the suggestion."""
    what = escape(visible(f"{finding.rule} ({finding.severity.label}): {finding.fix or finding.message}"))
    return f"{marker(key, print_)}\n**ttgate** {what}\n\n```suggestion\n{line}\n```\n"


def plan_suggestions(
    report: Report,
    key: str,
    changed: Mapping[str, set[int]],
    read_line: Callable[[str, int], str | None],
    limit: int = DEFAULT_LIMIT,
) -> Plan:
    """The suggestions for the findings whose edit is on a changed line, most severe first."""
    plan = Plan()
    seen: set[str] = set()
    findings = sorted(
        (finding for finding in report.active if finding.edit is not None),
        key=lambda finding: (-finding.severity, finding.sort_key()),
    )
    for finding in findings:
        edit = finding.edit
        assert edit is not None  # filtered above; for the type checker
        if edit.line not in changed.get(edit.file, set()):
            plan.unchanged_lines += 1
            continue
        where = f"{visible(edit.file)}:{edit.line}"
        text = read_line(edit.file, edit.line)
        line = None if text is None else fixed_line(text, edit)
        if line is None:
            plan.refused.append(f"{finding.rule} at {where}: the line does not take a literal suggestion")
            continue
        print_ = fingerprint(finding, edit)
        if print_ in seen:  # two findings on one object and file: told apart by their lines
            print_ = hashlib.sha256(f"{print_}:{edit.line}".encode()).hexdigest()[:16]
        seen.add(print_)
        if len(plan.suggestions) >= limit:
            plan.left += 1
            continue
        body = suggestion_body(key, print_, finding, line)
        plan.suggestions.append(Suggestion(print_, edit.file, edit.line, body, finding.severity))
    return plan


# --- the pull request's review comments ------------------------------------------------------------------


class ReviewStore(Protocol):
    """The review comments of one pull request, and the lines it changed."""

    def viewer_login(self) -> str: ...

    def changed_files(self) -> dict[str, str]:
        """Every changed file (all pages) and its patch ("" for a binary or too large a diff)."""
        ...

    def list_review_comments(self) -> list[ReviewComment]:
        """Every review comment, all pages, oldest first, with its thread and whether it is resolved."""
        ...

    def create_review_comment(self, path: str, line: int, body: str) -> ReviewComment: ...

    def edit_review_comment(self, comment_id: int, body: str) -> ReviewComment: ...

    def delete_review_comment(self, comment_id: int) -> None: ...

    def resolve_thread(self, thread_id: str) -> None: ...


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    resolved: int = 0
    deleted: int = 0
    urls: list[str] = field(default_factory=list)


def _same(stored: str, body: str) -> bool:
    return stored.replace("\r\n", "\n").strip() == body.strip()


def _own(store: ReviewStore, key: str, login: str) -> list[tuple[str, ReviewComment]]:
    """The key's open suggestions written by the token's identity, oldest first."""
    found = []
    for comment in store.list_review_comments():
        print_ = marked_fingerprint(comment.body, key)
        if print_ is not None and comment.author == login and not comment.resolved:
            found.append((print_, comment))
    return found


def _create(
    store: ReviewStore, key: str, login: str, suggestion: Suggestion, policy: RetryPolicy
) -> ReviewComment:
    """Post it; a create that failed for a reason a retry can cure is looked for before posting again."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return store.create_review_comment(suggestion.path, suggestion.line, suggestion.body)
        except CommentUnavailable as error:
            if attempt == policy.attempts:
                raise
            policy.sleep(policy.wait(attempt, retry_after=error.retry_after, rate_limited=error.rate_limited))
            for print_, comment in _own(store, key, login):
                if print_ == suggestion.fingerprint and comment.line == suggestion.line:
                    return comment
    raise AssertionError("unreachable")  # pragma: no cover


def _close(store: ReviewStore, comment: ReviewComment, outcome: Outcome) -> None:
    """Resolve its thread; delete it when the thread cannot be resolved (or is unknown)."""
    if comment.thread is not None:
        try:
            store.resolve_thread(comment.thread)
        except CommentError:
            pass
        else:
            outcome.resolved += 1
            return
    store.delete_review_comment(comment.id)
    outcome.deleted += 1


def sync_suggestions(
    store: ReviewStore, key: str, suggestions: list[Suggestion], policy: RetryPolicy | None = None
) -> Outcome:
    """Make the token's open suggestions for ``key`` exactly ``suggestions``: each one edited in place or
    posted, every other one (its finding gone, moved to another line, or a duplicate) closed."""
    policy = policy or github_api.DEFAULT_POLICY
    login = store.viewer_login()
    mine = _own(store, key, login)
    outcome = Outcome()
    kept: set[int] = set()
    for suggestion in suggestions:
        match = next(
            (
                comment
                for print_, comment in mine
                if print_ == suggestion.fingerprint
                and comment.path == suggestion.path
                and comment.line == suggestion.line
                and comment.id not in kept
            ),
            None,
        )
        if match is None:
            posted = _create(store, key, login, suggestion, policy)
            kept.add(posted.id)
            outcome.created += 1
            outcome.urls.append(posted.url)
        elif _same(match.body, suggestion.body):
            kept.add(match.id)
            outcome.unchanged += 1
        else:
            kept.add(match.id)
            outcome.updated += 1
            outcome.urls.append(store.edit_review_comment(match.id, suggestion.body).url)
    for _, comment in mine:
        if comment.id not in kept:
            _close(store, comment, outcome)
    return outcome


__all__ = [
    "DEFAULT_LIMIT",
    "Outcome",
    "Plan",
    "ReviewComment",
    "ReviewStore",
    "Suggestion",
    "fingerprint",
    "fixed_line",
    "marked_fingerprint",
    "marker",
    "plan_suggestions",
    "sync_suggestions",
]


# --- the command's work: the pull request from the options and the workflow's event ------------------------


@dataclass(frozen=True)
class Request:
    """What ``ttgate review`` was asked for; None means: from the environment."""

    report: Report
    root: Path  # the checked-out pull request, where the report's files are
    key: str | None = None
    limit: int = DEFAULT_LIMIT
    repo: str | None = None
    pr_number: int | None = None
    sha: str | None = None


@dataclass(frozen=True)
class Result:
    output: str  # for standard output: what was posted and what was left
    warning: str | None = None  # why no suggestion was written
    notice: str | None = None  # why none was expected (not a pull request)
    refused: list[str] = field(default_factory=list)


def _event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"GITHUB_EVENT_PATH {path}: cannot read the event ({type(error).__name__})") from None
    return event if isinstance(event, dict) else {}


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def line_reader(root: Path) -> Callable[[str, int], str | None]:
    """Reads line ``n`` of a file under ``root`` as checked out (None: no such file or line, or a path
    leading outside ``root``)."""
    base = root.resolve()
    cache: dict[str, list[str] | None] = {}

    def read(file: str, number: int) -> str | None:
        if file not in cache:
            path = (base / file).resolve()
            try:
                cache[file] = (
                    path.read_text(encoding="utf-8").splitlines() if path.is_relative_to(base) else None
                )
            except (OSError, UnicodeDecodeError):
                cache[file] = None
        lines = cache[file]
        return lines[number - 1] if lines is not None and 0 < number <= len(lines) else None

    return read


def changed_lines(store: ReviewStore) -> dict[str, set[int]]:
    return {path: added_lines(patch) for path, patch in store.changed_files().items()}


def _summary(plan: Plan, outcome: Outcome | None) -> str:
    posted = len(plan.suggestions)
    left = plan.left
    line = f"ttgate review: {posted} suggestion{'s' if posted != 1 else ''} on the diff"
    if outcome is not None:
        line += (
            f" ({outcome.created} posted, {outcome.updated} updated, {outcome.unchanged} unchanged;"
            f" {outcome.resolved} resolved, {outcome.deleted} deleted)"
        )
    line += f", {left} over --max-suggestions and {plan.unchanged_lines} on unchanged lines left to the"
    return line + " PR comment\n"


def post_suggestions(
    request: Request, env: Mapping[str, str], store_factory: Callable[..., ReviewStore] | None = None
) -> Result:
    """Plan the suggestions for the pull request and make its review comments match them."""
    from ttgate.github.comment import default_key
    from ttgate.github.pulls import REPOSITORY_NAME

    repo = request.repo or env.get("GITHUB_REPOSITORY") or None
    if repo is not None and not REPOSITORY_NAME.match(repo):
        raise UserError(f"{'--repo' if request.repo else 'GITHUB_REPOSITORY'} {repo}: expected OWNER/NAME")
    event = _event(env)
    pull = _object(event.get("pull_request"))
    head = _object(pull.get("head"))
    number = request.pr_number or (pull.get("number") if isinstance(pull.get("number"), int) else None)
    sha = request.sha or (str(head["sha"]) if head.get("sha") else None)
    key = request.key
    if key is None:
        key = default_key(request.report, env.get("GITHUB_WORKFLOW"), env.get("GITHUB_JOB"))
    if not key.strip():
        raise UserError("--key: must not be empty")
    if number is None:
        return Result("", notice="this run is not for a pull request, so there is no diff to suggest on")
    token = (env.get("GITHUB_TOKEN") or "").strip()
    if not token:
        raise UserError("GITHUB_TOKEN is not set (pass the workflow token, with pull-requests: write)")
    if not repo:
        raise UserError("no repository: GITHUB_REPOSITORY is not set and --repo is not given")
    api_url = (env.get("GITHUB_API_URL") or "").strip() or github_api.DEFAULT_API_URL
    if store_factory is None:
        store_factory = PyGithubReviewStore
    try:
        store = store_factory(token, repo, number, sha, api_url)
        plan = plan_suggestions(
            request.report, key, changed_lines(store), line_reader(request.root), request.limit
        )
        outcome = sync_suggestions(store, key, plan.suggestions)
    except CommentError as error:
        reason = f"no review suggestion written: {error}"
        base = _object(event.get("repository")).get("full_name")
        fork = _object(head.get("repo")).get("full_name")
        if isinstance(error, CommentDenied):
            if fork and base and fork != base:
                reason += f" (the pull request comes from the fork {fork}, whose workflow token is read-only)"
            reason += "; the findings are in the PR comment"
        return Result("", warning=reason)
    return Result(_summary(plan, outcome), refused=plan.refused)
