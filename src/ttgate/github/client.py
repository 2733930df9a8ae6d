"""GitHub transport for pull-request comments: the store :mod:`ttgate.github.sticky_comment` keeps its
comment in, and PyGithub behind it.

:class:`CommentStore` is what the sticky comment needs from a pull request (whose token this is; list,
create, edit, delete, hide); :class:`PyGithubCommentStore` implements it with the client of
:func:`ttgate.integrations.github.github_client`, which retries reads, edits and deletes (the one retry
policy of every GitHub call); the GraphQL calls (``viewer``, ``minimizeComment``) go by POST, which that
leaves alone, and are retried here with the same policy. Failures come out as two exceptions:
:class:`CommentDenied` (the token may not do this: a fork PR's read-only token, a missing scope) and
:class:`CommentUnavailable` (a 5xx, a rate limit or a connection error that retrying did not cure).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ttgate.errors import UserError
from ttgate.integrations import github as github_api
from ttgate.integrations.github import (
    DEFAULT_API_URL,
    RetryPolicy,
    error_message,
    github_client,
    is_rate_limit,
    retry_after,
)

if TYPE_CHECKING:
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


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class GitHubCalls:
    """Runs the PyGithub calls about one object (``where``: ``acme/infra#7``), turning what they raise into
    :class:`CommentDenied` or :class:`CommentUnavailable`: shared by the stores of this package."""

    def __init__(self, where: str, policy: RetryPolicy | None = None) -> None:
        self.where = where
        self.policy = policy

    def call(self, action: str, function: Callable[[], Any]) -> Any:
        """Run one PyGithub call; turn what it raises into CommentDenied or CommentUnavailable."""
        import requests
        from github.GithubException import GithubException

        try:
            return function()
        except GithubException as error:
            if error.status in (401, 403, 404, 410, 422) and not is_rate_limit(error):
                raise CommentDenied(
                    f"GitHub refused to {action} on {self.where}: {error.status} {error_message(error)}"
                ) from None
            raise CommentUnavailable(
                f"GitHub could not {action} on {self.where}: {error.status} {error_message(error)}",
                retry_after=retry_after(error),
                rate_limited=is_rate_limit(error),
            ) from None
        except requests.RequestException as error:
            reason = type(error).__name__
            if isinstance(error, requests.exceptions.RetryError):
                reason = "too many retries (5xx or rate limit)"
            raise CommentUnavailable(f"GitHub could not {action} on {self.where}: {reason}") from None

    def retried(self, action: str, function: Callable[[], Any]) -> Any:
        """:meth:`call`, retried as PyGithub retries a REST read: GraphQL goes by POST, which the HTTP
        retry leaves alone, but these queries and the minimize mutation are safe to repeat."""
        policy = self.policy or github_api.DEFAULT_POLICY  # read now: tests replace it
        for attempt in range(1, policy.retries + 2):
            try:
                return self.call(action, function)
            except CommentUnavailable as error:
                if attempt > policy.retries:
                    raise
                policy.sleep(
                    policy.wait(attempt, retry_after=error.retry_after, rate_limited=error.rate_limited)
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def viewer_login(self, github: Any) -> str:
        """GraphQL ``viewer``: unlike REST ``GET /user``, it answers for a GitHub Actions or app token too
        (``github-actions[bot]``, ``APP[bot]``). Retried like every other call (5xx, rate limits)."""
        query = "query { viewer { login } }"

        def ask() -> str:
            _, data = github.requester.graphql_query(query, {})
            login = _object(_object(_object(data).get("data")).get("viewer")).get("login")
            if not isinstance(login, str) or not login:
                raise CommentUnavailable(
                    f"GitHub did not say whose token this is (GraphQL viewer) on {self.where}"
                )
            return login

        return str(self.retried("find the token's identity", ask))


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
            self._github = github_client(token, api_url, policy)
        except UserError as error:  # pragma: no cover - the github extra is missing
            raise CommentError(str(error)) from None
        self._issue = self._github.get_repo(repo).get_issue(number)
        self._calls = GitHubCalls(f"{repo}#{number}", policy)
        self._call = self._calls.call
        self._objects: dict[int, IssueComment] = {}

    def _comment(self, comment: IssueComment) -> Comment:
        self._objects[comment.id] = comment
        author = comment.user.login if comment.user is not None else ""
        return Comment(id=comment.id, body=comment.body or "", url=comment.html_url, author=author)

    def viewer_login(self) -> str:
        return str(self._calls.viewer_login(self._github))

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
        self._calls.retried("hide a comment", lambda: comment.minimize("OUTDATED"))


__all__ = [
    "Comment",
    "CommentDenied",
    "CommentError",
    "CommentStore",
    "CommentUnavailable",
    "GitHubCalls",
    "PyGithubCommentStore",
]
