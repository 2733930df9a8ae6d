"""GitHub: the pull-request comment store, and the one sticky comment per key kept in it.

Only this module imports PyGithub, lazily (inside functions) so `ttgate --help` never loads it.

:class:`CommentStore` is what :func:`sync_comment` needs from a pull request (whose token this is; list,
create, edit, delete, hide); :class:`PyGithubCommentStore` implements it with PyGithub. A comment is
ttgate's only when the token's own identity wrote it: the marker is public, anyone may post it.
Failures come out as two exceptions:
:class:`CommentDenied` (the token may not do this: a fork PR's read-only token, a missing scope) and
:class:`CommentUnavailable` (a 5xx, a rate limit or a connection error that retrying did not cure).

Retries. Reads, edits and deletes (GET, PATCH, DELETE: repeating them is harmless) are retried by PyGithub's
``GithubRetry`` at the HTTP level, with backoff, on 5xx and on rate-limit 403/429s. A create (POST) is
never repeated blindly: a POST that got a 502 may have created the comment, so :func:`sync_comment` looks
at the comments again before it posts again. :class:`RetryPolicy` bounds all of it (by default at most
three retries per request and three create rounds, no single wait over a minute: a few minutes in the
worst case, none when GitHub answers). A rate limit without Retry-After waits a minute, for every
method, as GitHub asks. Every wait goes through ``RetryPolicy.sleep``: tests record waits, never wait.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ttgate.github.pulls import DEFAULT_API_URL

if TYPE_CHECKING:
    from github.GithubException import GithubException
    from github.IssueComment import IssueComment


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    url: str  # the comment on the web (html_url)
    author: str = ""  # the login of whoever wrote it ("" for a deleted account)


class CommentError(Exception):
    """The comment could not be read or written; the message says why, for a person."""


class CommentDenied(CommentError):
    """The token may not read or write comments here (a fork PR's read-only token, a missing scope)."""


class CommentUnavailable(CommentError):
    """GitHub did not answer usefully after the retries (5xx, rate limit, connection error)."""

    def __init__(self, message: str, retry_after: float | None = None, rate_limited: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.rate_limited = rate_limited


class CommentStore(Protocol):
    """The comments of one pull request."""

    def viewer_login(self) -> str:
        """The login of the token's own identity: only its comments are ever ttgate's."""
        ...

    def list_comments(self) -> list[Comment]:
        """Every comment, all pages, oldest first."""
        ...

    def create_comment(self, body: str) -> Comment: ...

    def edit_comment(self, comment_id: int, body: str) -> Comment: ...

    def delete_comment(self, comment_id: int) -> None:
        """Delete it; a comment that is already gone (a concurrent run deleted it) is no error."""
        ...

    def hide_comment(self, comment_id: int) -> None:
        """Minimize it as outdated."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. The worst case is bounded: ``attempts`` tries of a create, each of its requests
    retried ``retries`` times, every wait at most ``max_wait`` seconds."""

    retries: int = 3  # per HTTP request (GET, PATCH)
    attempts: int = 3  # look-then-create rounds
    backoff_factor: float = 2.0  # waits of 0, 4, 8... seconds between HTTP retries
    max_wait: float = 60.0  # no single wait (backoff, Retry-After, secondary rate limit) is longer
    secondary_rate_wait: float = 60.0  # GitHub: wait at least a minute when no Retry-After is given
    seconds_between_requests: float | None = 0.25  # PyGithub's pacing, which avoids secondary limits
    seconds_between_writes: float | None = 1.0
    sleep: Callable[[float], None] = time.sleep  # every wait goes through it: tests record, never wait

    def wait(self, attempt: int, error: CommentUnavailable) -> float:
        """Seconds to wait before create round ``attempt`` (1, 2...) after ``error``. A rate limit
        without Retry-After waits ``secondary_rate_wait``: GitHub asks for at least a minute."""
        backoff = float(self.backoff_factor * (2**attempt))
        if error.retry_after is not None:
            backoff = max(backoff, error.retry_after)
        elif error.rate_limited:
            backoff = max(backoff, self.secondary_rate_wait)
        return min(backoff, self.max_wait)


DEFAULT_POLICY = RetryPolicy()  # tests replace it with RetryPolicy(backoff_factor=0, ...)


# --- PyGithub ---------------------------------------------------------------------------------------------


def _retry(policy: RetryPolicy) -> Any:
    from github import GithubRetry

    class PolicyRetry(GithubRetry):
        """GithubRetry whose waits go through ``policy.sleep`` (urllib3 would call time.sleep)."""

        def sleep(self, response: Any = None) -> None:
            retry_after = self.get_retry_after(response) if response is not None else None
            wait = retry_after if retry_after is not None else self.get_backoff_time()
            if wait > 0:
                policy.sleep(min(wait, policy.max_wait))

    return PolicyRetry(
        total=policy.retries,
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.max_wait,
        retry_after_max=int(policy.max_wait),
        secondary_rate_wait=min(policy.secondary_rate_wait, policy.max_wait),
        max_rate_limit_wait=policy.max_wait,
        # Not POST: a create is retried by sync_comment, after looking for the comment again.
        allowed_methods=frozenset({"GET", "HEAD", "PATCH", "DELETE"}),
    )


def _is_rate_limit(error: GithubException) -> bool:
    from github.GithubException import RateLimitExceededException

    headers = {str(name).lower(): value for name, value in (error.headers or {}).items()}
    return (
        isinstance(error, RateLimitExceededException)
        or "retry-after" in headers
        or str(headers.get("x-ratelimit-remaining")) == "0"
        or (error.status == 429)
    )


def _retry_after(error: GithubException) -> float | None:
    headers = {str(name).lower(): value for name, value in (error.headers or {}).items()}
    try:
        return float(headers["retry-after"])
    except (KeyError, TypeError, ValueError):
        return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _message(error: GithubException) -> str:
    data = error.data if isinstance(error.data, dict) else {}
    return str(data.get("message") or error.message or "no message")


class PyGithubCommentStore:
    """The comments of pull request ``number`` in ``repo`` (OWNER/NAME), through PyGithub.

    ``api_url`` is the REST API root: https://api.github.com, or https://HOST/api/v3 on GitHub
    Enterprise Server (Actions sets ``GITHUB_API_URL``). The token is never printed or put in a message.
    """

    def __init__(
        self,
        token: str,
        repo: str,
        number: int,
        api_url: str = DEFAULT_API_URL,
        policy: RetryPolicy | None = None,
    ) -> None:
        try:
            from github import Auth, Github
        except ImportError:  # pragma: no cover - the github extra is missing
            raise CommentError("PyGithub is not installed: pip install 'ttgate[github]'") from None
        policy = policy or DEFAULT_POLICY
        self._github = Github(
            auth=Auth.Token(token),
            base_url=api_url.rstrip("/"),
            retry=_retry(policy),
            per_page=100,
            lazy=True,  # no request until one is needed: the repository and PR are not fetched
            seconds_between_requests=policy.seconds_between_requests,
            seconds_between_writes=policy.seconds_between_writes,
        )
        self._issue = self._github.get_repo(repo).get_issue(number)
        self._where = f"{repo}#{number}"
        self._objects: dict[int, IssueComment] = {}

    def _comment(self, comment: IssueComment) -> Comment:
        self._objects[comment.id] = comment
        author = comment.user.login if comment.user is not None else ""
        return Comment(id=comment.id, body=comment.body or "", url=comment.html_url, author=author)

    def _call(self, action: str, function: Callable[[], Any]) -> Any:
        """Run one PyGithub call; turn what it raises into CommentDenied or CommentUnavailable."""
        import requests
        from github.GithubException import GithubException

        try:
            return function()
        except GithubException as error:
            if error.status in (401, 403, 404, 422) and not _is_rate_limit(error):
                raise CommentDenied(
                    f"GitHub refused to {action} on {self._where}: {error.status} {_message(error)}"
                ) from None
            raise CommentUnavailable(
                f"GitHub could not {action} on {self._where}: {error.status} {_message(error)}",
                retry_after=_retry_after(error),
                rate_limited=_is_rate_limit(error) or "rate limit" in _message(error).lower(),
            ) from None
        except requests.RequestException as error:
            reason = type(error).__name__
            if isinstance(error, requests.exceptions.RetryError):
                reason = "too many retries (5xx or rate limit)"
            raise CommentUnavailable(f"GitHub could not {action} on {self._where}: {reason}") from None

    def viewer_login(self) -> str:
        """GraphQL ``viewer``: unlike REST ``GET /user``, it answers for a GitHub Actions or app token too
        (``github-actions[bot]``, ``APP[bot]``)."""
        query = "query { viewer { login } }"
        _, data = self._call(
            "find the token's identity", lambda: self._github.requester.graphql_query(query, {})
        )
        login = _object(_object(data.get("data")).get("viewer")).get("login")
        if not isinstance(login, str) or not login:
            raise CommentUnavailable(
                f"GitHub did not say whose token this is (GraphQL viewer) on {self._where}"
            )
        return login

    def list_comments(self) -> list[Comment]:
        comments = self._call("list the comments", lambda: list(self._issue.get_comments()))
        return [self._comment(comment) for comment in comments]

    def create_comment(self, body: str) -> Comment:
        return self._comment(self._call("create a comment", lambda: self._issue.create_comment(body)))

    def edit_comment(self, comment_id: int, body: str) -> Comment:
        comment = self._objects[comment_id]  # listed first: sync_comment always lists before editing
        self._call("edit the comment", lambda: comment.edit(body))
        return self._comment(comment)

    def delete_comment(self, comment_id: int) -> None:
        from github.GithubException import UnknownObjectException

        comment = self._objects[comment_id]

        def delete() -> None:
            with contextlib.suppress(UnknownObjectException):  # already gone: a concurrent run deleted it
                comment.delete()

        self._call("delete a comment", delete)

    def hide_comment(self, comment_id: int) -> None:
        comment = self._objects[comment_id]
        self._call("hide a comment", lambda: comment.minimize("OUTDATED"))


# --- one sticky comment per key -----------------------------------------------------------------------------

Action = Literal["created", "updated", "unchanged", "skipped", "recreated"]
Mode = Literal["update", "recreate", "hide"]


@dataclass(frozen=True)
class Outcome:
    action: Action
    url: str | None
    reason: str = ""


def _same(stored: str, body: str) -> bool:
    """GitHub may hand a body back with CRLF line ends or without its final newline."""
    return stored.replace("\r\n", "\n").strip() == body.strip()


@dataclass(frozen=True)
class Gate:
    """What makes a comment ttgate's for one key, and what to write."""

    is_own_body: Callable[[str], bool]  # the marker for the key
    render: Callable[[bool], str]  # argument: whether a comment exists already (the all-clear's wording)
    retire: Callable[[str], str]  # the body of an outdated comment, whose marker no longer matches


def _own(store: CommentStore, gate: Gate, login: str) -> list[Comment]:
    """The key's comments written by the token's identity, oldest first. A comment by anyone else is never
    ttgate's, whatever marker it carries: the marker is printed in every comment and anyone may copy it."""
    return [
        comment
        for comment in store.list_comments()
        if comment.author == login and gate.is_own_body(comment.body)
    ]


def _update(store: CommentStore, gate: Gate, mine: list[Comment], *, posted: bool) -> Outcome:
    """Keep the oldest of ``mine`` with the right body, delete the rest (left by concurrent runs)."""
    keep, extra = mine[0], mine[1:]
    for comment in extra:
        store.delete_comment(comment.id)
    merged = f" (merged {len(extra)} duplicate{'s' if len(extra) != 1 else ''})" if extra else ""
    body = gate.render(not posted)
    if _same(keep.body, body) or (not posted and _same(keep.body, gate.render(False))):
        if posted:
            return Outcome("created", keep.url, "the retried create had gone through" + merged)
        return Outcome("unchanged", keep.url, "same body, nothing written" + merged)
    url = store.edit_comment(keep.id, body).url
    return Outcome("created" if posted else "updated", url, merged.strip(" ()"))


def _settle(store: CommentStore, gate: Gate, login: str, created: Comment, action: Action) -> Outcome:
    """Look again after a create: a run at the same time may have created one too. Both keep the oldest,
    so the pull request ends with one comment whichever run finishes last."""
    mine = _own(store, gate, login)
    if not mine or mine[0].id == created.id:
        for comment in mine[1:]:
            store.delete_comment(comment.id)
        return Outcome(action, created.url)
    keep = mine[0]
    for comment in mine[1:]:
        store.delete_comment(comment.id)
    if not _same(keep.body, created.body):
        keep = store.edit_comment(keep.id, created.body)
    return Outcome("updated", keep.url, "another run had just posted one: kept the oldest")


def sync_comment(
    store: CommentStore,
    gate: Gate,
    *,
    create: bool,
    mode: Mode = "update",
    policy: RetryPolicy | None = None,
) -> Outcome:
    """Make the PR hold exactly one comment of the token's identity for which ``gate.is_own_body`` is true.

    ``update``: the existing comment is edited in place (not at all when its body is already right).
    ``recreate``: the existing ones are deleted and a new one is posted, at the bottom of the conversation.
    ``hide``: the existing ones are retired (marker removed) and minimized as outdated, and a new one posted.
    Without an existing comment, one is created only when ``create`` is true. A create that fails for a
    reason a retry can cure (a 5xx, a rate limit) is retried only after listing again: the failed POST may
    have created the comment after all. After a create the comments are listed again (see :func:`_settle`).
    """
    policy = policy or DEFAULT_POLICY
    login = store.viewer_login()
    mine = _own(store, gate, login)
    existed = bool(mine)
    if mine and mode != "update":
        for comment in mine:
            if mode == "hide":
                store.edit_comment(comment.id, gate.retire(comment.body))
                store.hide_comment(comment.id)
            else:
                store.delete_comment(comment.id)
        mine = []
    action: Action = "recreated" if existed else "created"
    posted = False  # a create was sent and failed: it may have succeeded on GitHub's side
    for attempt in range(1, policy.attempts + 1):
        if mine:
            return _update(store, gate, mine, posted=posted)
        if not (create or existed):
            return Outcome(
                "skipped", None, "no active findings and no earlier comment to turn into an all-clear"
            )
        try:
            created = store.create_comment(gate.render(existed))
        except CommentUnavailable as error:
            if attempt == policy.attempts:
                raise
            posted = True
            policy.sleep(policy.wait(attempt, error))
            mine = _own(store, gate, login)
            continue
        return _settle(store, gate, login, created, action)
    raise AssertionError("unreachable")  # pragma: no cover
