"""GitHub: the pull-request comment store, and the one sticky comment per key kept in it.

Only this module imports PyGithub, lazily (inside functions) so `ttgate --help` never loads it.

:class:`CommentStore` is what :func:`sync_comment` needs from a pull request (list, create, edit);
:class:`PyGithubCommentStore` implements it with PyGithub. Failures come out as two exceptions:
:class:`CommentDenied` (the token may not do this: a fork PR's read-only token, a missing scope) and
:class:`CommentUnavailable` (a 5xx, a rate limit or a connection error that retrying did not cure).

Retries. Reads and edits (GET, PATCH: repeating them is harmless) are retried by PyGithub's
``GithubRetry`` at the HTTP level, with backoff, on 5xx and on rate-limit 403/429s. A create (POST) is
never repeated blindly: a POST that got a 502 may have created the comment, so :func:`sync_comment` looks
at the comments again before it posts again. :class:`RetryPolicy` bounds all of it (by default at most
three retries per request and three create rounds, no single wait over a minute: a few minutes in the
worst case, none when GitHub answers); tests pass ``RetryPolicy(backoff_factor=0)``.
"""

from __future__ import annotations

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


class CommentError(Exception):
    """The comment could not be read or written; the message says why, for a person."""


class CommentDenied(CommentError):
    """The token may not read or write comments here (a fork PR's read-only token, a missing scope)."""


class CommentUnavailable(CommentError):
    """GitHub did not answer usefully after the retries (5xx, rate limit, connection error)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CommentStore(Protocol):
    """The comments of one pull request."""

    def list_comments(self) -> list[Comment]:
        """Every comment, all pages, oldest first."""
        ...

    def create_comment(self, body: str) -> Comment: ...

    def edit_comment(self, comment_id: int, body: str) -> Comment: ...


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

    def wait(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before create round ``attempt`` (1, 2...)."""
        backoff = float(self.backoff_factor * (2**attempt))
        if retry_after is not None:
            backoff = max(backoff, retry_after)
        return min(backoff, self.max_wait)


DEFAULT_POLICY = RetryPolicy()  # tests replace it with RetryPolicy(backoff_factor=0, ...)


# --- PyGithub ---------------------------------------------------------------------------------------------


def _retry(policy: RetryPolicy) -> Any:
    from github import GithubRetry

    return GithubRetry(
        total=policy.retries,
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.max_wait,
        retry_after_max=int(policy.max_wait),
        secondary_rate_wait=min(policy.secondary_rate_wait, policy.max_wait),
        max_rate_limit_wait=policy.max_wait,
        # Not POST: a create is retried by sync_comment, after looking for the comment again.
        allowed_methods=frozenset({"GET", "HEAD", "PATCH"}),
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
        return Comment(id=comment.id, body=comment.body or "", url=comment.html_url)

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
            ) from None
        except requests.RequestException as error:
            reason = type(error).__name__
            if isinstance(error, requests.exceptions.RetryError):
                reason = "too many retries (5xx or rate limit)"
            raise CommentUnavailable(f"GitHub could not {action} on {self._where}: {reason}") from None

    def list_comments(self) -> list[Comment]:
        comments = self._call("list the comments", lambda: list(self._issue.get_comments()))
        return [self._comment(comment) for comment in comments]

    def create_comment(self, body: str) -> Comment:
        return self._comment(self._call("create a comment", lambda: self._issue.create_comment(body)))

    def edit_comment(self, comment_id: int, body: str) -> Comment:
        comment = self._objects[comment_id]  # listed first: sync_comment always lists before editing
        self._call("edit the comment", lambda: comment.edit(body))
        return self._comment(comment)


# --- one sticky comment per key -----------------------------------------------------------------------------

Action = Literal["created", "updated", "unchanged", "skipped"]


@dataclass(frozen=True)
class Outcome:
    action: Action
    url: str | None
    reason: str = ""


def _same(stored: str, body: str) -> bool:
    """GitHub may hand a body back with CRLF line ends or without its final newline."""
    return stored.replace("\r\n", "\n").strip() == body.strip()


def sync_comment(
    store: CommentStore,
    is_own: Callable[[str], bool],
    render: Callable[[bool], str],
    *,
    create: bool,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Make the PR hold exactly one comment for which ``is_own(body)`` is true, with the body ``render``
    returns (its argument: whether a comment exists already, for the all-clear's wording; a comment that
    already reads like a first one is left alone).

    An existing comment is updated in place, and not written at all when its body is already right.
    Without one, a comment is created only when ``create`` is true. A create that fails for a reason a
    retry can cure (a 5xx, a rate limit) is retried only after listing again: the failed POST may have
    created the comment after all. Comments are never deleted.
    """
    policy = policy or DEFAULT_POLICY
    posted = False  # a create was sent and failed: it may have succeeded on GitHub's side
    for attempt in range(1, policy.attempts + 1):
        existing = next((comment for comment in store.list_comments() if is_own(comment.body)), None)
        if existing is not None:
            body = render(not posted)
            if _same(existing.body, body) or (not posted and _same(existing.body, render(False))):
                if posted:
                    return Outcome("created", existing.url, "the retried create had gone through")
                return Outcome("unchanged", existing.url, "same body, nothing written")
            url = store.edit_comment(existing.id, body).url
            return Outcome("created" if posted else "updated", url)
        if not create:
            return Outcome(
                "skipped", None, "no active findings and no earlier comment to turn into an all-clear"
            )
        try:
            return Outcome("created", store.create_comment(render(False)).url)
        except CommentUnavailable as error:
            if attempt == policy.attempts:
                raise
            posted = True
            sleep(policy.wait(attempt, error.retry_after))
    raise AssertionError("unreachable")  # pragma: no cover
