"""One GitHub issue per key (an environment) that says what a scheduled `ttgate audit` found.

The issue exists exactly while there are findings: it is opened when findings appear, edited when they
change (not at all when they are the same: the body ends with a digest of what it reports), and closed
with a comment when the audit comes back clean. When findings appear again after a clean audit, a new
issue is opened that links the last one: each episode has its own timeline (when it started, who looked,
when it was fixed), and nobody's closed issue is reopened behind their back.

An issue is ttgate's only when the token's own identity opened it (GraphQL ``viewer``) and its first
line is the key's marker, as for the sticky pull-request comment: the marker is public, anyone may copy
it. Issues are found by listing the repository's issues with the label (every state, every page); the
search API lags behind writes and is not used. :func:`sync_issue` works on any :class:`IssueStore`
(PyGithub's below, a list in tests).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ttgate.errors import UserError
from ttgate.gate.reporters.markdown import COMMENT_LIMIT, render
from ttgate.gate.reporters.markdown import marker as comment_marker
from ttgate.gate.reporters.report import Report
from ttgate.github.client import CommentError, GitHubCalls
from ttgate.github.pulls import REPOSITORY_NAME
from ttgate.github.sticky_comment import digest_of
from ttgate.integrations.github import DEFAULT_API_URL, RetryPolicy, github_client

if TYPE_CHECKING:
    from github.Issue import Issue as PyGithubIssue

Action = Literal["created", "updated", "unchanged", "closed", "clean"]
DEFAULT_LABEL = "ttgate-audit"


@dataclass(frozen=True)
class Issue:
    number: int
    title: str
    body: str
    state: str  # "open" or "closed"
    url: str  # on the web (html_url)
    author: str = ""  # login of whoever opened it ("" for a deleted account)


@dataclass(frozen=True)
class Outcome:
    action: Action
    url: str | None
    reason: str = ""


class IssueStore(Protocol):
    """The issues of one repository that carry one label."""

    def viewer_login(self) -> str: ...

    def list_issues(self) -> list[Issue]:
        """Every issue with the label, open and closed, all pages, oldest first; never pull requests."""
        ...

    def create_issue(self, title: str, body: str) -> Issue: ...

    def edit_issue(self, number: int, body: str) -> Issue: ...

    def close_issue(self, number: int, comment: str) -> Issue:
        """Comment on it, then close it as completed."""
        ...


def marker(key: str) -> str:
    """The hidden first line of the key's issue: the sticky comment's marker (same escaping, so no key's
    marker starts with another's), named for issues so neither is ever taken for the other."""
    return comment_marker(key).replace("ttgate:comment ", "ttgate:issue ", 1)


def is_own_issue(issue: Issue, key: str, login: str) -> bool:
    return issue.author == login and issue.body.replace("\r\n", "\n").split("\n", 1)[0].strip() == marker(key)


def issue_body(report: Report, key: str, details_url: str | None, previous: Issue | None = None) -> str:
    """Marker, the report as the job summary shows it, then a digest of that report alone: the run's link
    changes every day, the findings do not."""
    shown = render(report, limit=COMMENT_LIMIT - 2_000)
    digest = hashlib.sha256(f"{key}\n{shown}".encode("utf-8", "surrogatepass")).hexdigest()
    lines = [marker(key), shown.rstrip("\n"), ""]
    if previous is not None:
        lines.append(f"The last time this happened: #{previous.number}.")
    if details_url:
        lines.append(f"Last audited by [this workflow run]({details_url}).")
    lines.append(f"<!-- ttgate:digest sha256={digest} -->")
    return "\n".join(lines) + "\n"


def _same_report(stored: str, body: str) -> bool:
    digest = digest_of(body)
    return digest is not None and digest_of(stored) == digest


def sync_issue(
    store: IssueStore,
    key: str,
    title: str,
    body: Callable[[Issue | None], str],
    *,
    findings: bool,
    closing_comment: str,
) -> Outcome:
    """Make the repository hold one open issue of the token's identity for ``key`` while there are
    ``findings``, with ``body(previous)`` (``previous``: the last closed one, linked from a new issue),
    and none when there are not. Duplicates left by two runs at once are closed, the oldest kept."""
    login = store.viewer_login()
    mine = [issue for issue in store.list_issues() if is_own_issue(issue, key, login)]
    open_ = sorted((issue for issue in mine if issue.state == "open"), key=lambda issue: issue.number)
    if not findings:
        for issue in open_:
            store.close_issue(issue.number, closing_comment)
        if not open_:
            return Outcome("clean", None, "no findings and no open issue")
        return Outcome("closed", open_[0].url)
    if not open_:
        closed = sorted((issue for issue in mine if issue.state != "open"), key=lambda issue: issue.number)
        previous = closed[-1] if closed else None
        created = store.create_issue(title, body(previous))
        return Outcome("created", created.url)
    keep, extra = open_[0], open_[1:]
    for issue in extra:
        store.close_issue(issue.number, f"A duplicate of #{keep.number}, opened by two audits at once.")
    merged = f"closed {len(extra)} duplicate{'s' if len(extra) != 1 else ''}" if extra else ""
    text = body(None)
    if _same_report(keep.body, text):
        return Outcome(
            "unchanged", keep.url, ", ".join(filter(None, ["same findings, nothing written", merged]))
        )
    return Outcome("updated", store.edit_issue(keep.number, text).url, merged)


class PyGithubIssueStore:
    """The issues of ``repo`` (OWNER/NAME) with ``label``, through PyGithub (retries as the comment's)."""

    def __init__(
        self,
        token: str,
        repo: str,
        label: str,
        api_url: str = DEFAULT_API_URL,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._github = github_client(token, api_url, policy)
        self._calls = GitHubCalls(repo, policy)
        self._repo: Any = self._calls.call("read the repository", lambda: self._github.get_repo(repo))
        self._label = label
        self._objects: dict[int, PyGithubIssue] = {}

    def _issue(self, issue: PyGithubIssue) -> Issue:
        self._objects[issue.number] = issue
        author = issue.user.login if issue.user is not None else ""
        return Issue(issue.number, issue.title or "", issue.body or "", issue.state, issue.html_url, author)

    def viewer_login(self) -> str:
        return str(self._calls.viewer_login(self._github))

    def list_issues(self) -> list[Issue]:
        def every_page() -> list[PyGithubIssue]:
            found = self._repo.get_issues(state="all", labels=[self._label], direction="asc")
            return [issue for issue in found if issue.pull_request is None]

        return [self._issue(issue) for issue in self._calls.call("list the issues", every_page)]

    def create_issue(self, title: str, body: str) -> Issue:
        # GitHub creates a label named in a new issue when the repository does not have it yet.
        created = self._calls.call(
            "open an issue", lambda: self._repo.create_issue(title=title, body=body, labels=[self._label])
        )
        return self._issue(created)

    def edit_issue(self, number: int, body: str) -> Issue:
        issue = self._objects[number]  # listed first: sync_issue always lists before editing
        self._calls.call(f"edit issue #{number}", lambda: issue.edit(body=body))
        return self._issue(issue)

    def close_issue(self, number: int, comment: str) -> Issue:
        issue = self._objects[number]
        self._calls.call(f"comment on issue #{number}", lambda: issue.create_comment(comment))
        self._calls.call(
            f"close issue #{number}", lambda: issue.edit(state="closed", state_reason="completed")
        )
        return self._issue(issue)


@dataclass(frozen=True)
class Request:
    report: Report
    key: str
    title: str | None = None
    label: str = DEFAULT_LABEL
    repo: str | None = None
    details_url: str | None = None
    dry_run: bool = False


def default_title(key: str) -> str:
    return f"ttgate audit: deployed resources in {key} break the runbook"


def keep_issue_up_to_date(request: Request, env: dict[str, str], store: IssueStore | None = None) -> Outcome:
    """Open, edit or close the key's issue as the report says; a missing token or repository is a
    UserError, GitHub refusing or failing is a :class:`CommentError` for the command to report."""
    key = request.key.strip()
    if not key:
        raise UserError("--key: must not be empty")
    title = request.title or default_title(key)
    repo = _repository(request.repo, env)
    server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    details_url = request.details_url
    if details_url is None and repo and env.get("GITHUB_RUN_ID"):
        details_url = f"{server}/{repo}/actions/runs/{env['GITHUB_RUN_ID']}"
    findings = bool(request.report.active)

    def body(previous: Issue | None) -> str:
        return issue_body(request.report, key, details_url, previous)

    closing = "The audit came back clean" + (f" ([run]({details_url}))" if details_url else "") + ": closing."
    if store is None:
        token = (env.get("GITHUB_TOKEN") or "").strip()
        if not token:
            raise UserError("GITHUB_TOKEN is not set: pass a token with issues: write")
        if not repo:
            raise UserError("no repository: GITHUB_REPOSITORY is not set and --repo is not given")
        api_url = (env.get("GITHUB_API_URL") or "").strip() or DEFAULT_API_URL
        try:
            store = PyGithubIssueStore(token, repo, request.label, api_url)
        except UserError as error:  # the github extra is missing
            raise CommentError(str(error)) from None
    return sync_issue(store, key, title, body, findings=findings, closing_comment=closing)


def _repository(option: str | None, env: dict[str, str]) -> str | None:
    for shown, value in (("--repo", option), ("GITHUB_REPOSITORY", env.get("GITHUB_REPOSITORY"))):
        if value:
            if not REPOSITORY_NAME.match(value):
                raise UserError(f"{shown} {value}: expected OWNER/NAME")
            return value
    return None


__all__ = [
    "DEFAULT_LABEL",
    "Issue",
    "IssueStore",
    "Outcome",
    "PyGithubIssueStore",
    "Request",
    "is_own_issue",
    "issue_body",
    "keep_issue_up_to_date",
    "marker",
    "sync_issue",
]
