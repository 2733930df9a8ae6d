"""The review comments of a pull request through PyGithub: the :class:`ReviewStore` of
:mod:`ttgate.github.review_comments`, and :class:`ReviewComment`, what it holds of each.

The client is :func:`ttgate.integrations.github.github_client` (reads, edits and deletes retried by the
one retry policy); GraphQL (``viewer``, the review threads, ``resolveReviewThread``) goes by POST and is
retried by :meth:`ttgate.github.client.GitHubCalls.retried`. Failures come out as the sticky comment's
:class:`~ttgate.github.client.CommentDenied` and :class:`~ttgate.github.client.CommentUnavailable`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError
from ttgate.github.client import CommentError, CommentUnavailable, GitHubCalls
from ttgate.integrations.github import DEFAULT_API_URL, RetryPolicy, github_client

if TYPE_CHECKING:
    from github.PullRequestComment import PullRequestComment

_THREADS = """
query($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes { id isResolved comments(first: 1) { nodes { databaseId } } }
      }
    }
  }
}
"""
_RESOLVE = """
mutation($thread: ID!) {
  resolveReviewThread(input: {threadId: $thread}) { thread { id isResolved } }
}
"""


@dataclass(frozen=True)
class ReviewComment:
    id: int
    body: str
    path: str
    line: int | None  # None: outdated, its line is no longer in the diff
    author: str
    url: str
    thread: str | None = None  # the GraphQL id of its review thread
    resolved: bool = False


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class PyGithubReviewStore:
    """Pull request ``number`` of ``repo`` (OWNER/NAME); review comments are posted on ``sha``."""

    def __init__(
        self,
        token: str,
        repo: str,
        number: int,
        sha: str | None,
        api_url: str = DEFAULT_API_URL,
        policy: RetryPolicy | None = None,
    ) -> None:
        try:
            self._github = github_client(token, api_url, policy)
        except UserError as error:  # pragma: no cover - the github extra is missing
            raise CommentError(str(error)) from None
        self._repo, self._number, self._sha = repo, number, sha
        self._pull = self._github.get_repo(repo).get_pull(number)  # lazy: no request yet
        self._calls = GitHubCalls(f"{repo}#{number}", policy)
        self._objects: dict[int, PullRequestComment] = {}

    def viewer_login(self) -> str:
        return str(self._calls.viewer_login(self._github))

    def changed_files(self) -> dict[str, str]:
        files = self._calls.call("list the changed files", lambda: list(self._pull.get_files()))
        return {file.filename: file.patch or "" for file in files}

    def _threads(self) -> dict[int, tuple[str, bool]]:
        """First comment's id → (thread id, resolved), every page."""
        owner, name = self._repo.split("/", 1)
        threads: dict[int, tuple[str, bool]] = {}
        cursor: str | None = None
        while True:
            variables = {"owner": owner, "name": name, "number": self._number, "cursor": cursor}

            def ask(variables: dict[str, Any] = variables) -> dict[str, Any]:
                _, data = self._github.requester.graphql_query(_THREADS, variables)
                return data

            data = self._calls.retried("list the review threads", ask)
            pull = _object(_object(_object(_object(data).get("data")).get("repository")).get("pullRequest"))
            page = _object(pull.get("reviewThreads"))
            for node in page.get("nodes") or []:
                first = (_object(_object(node).get("comments")).get("nodes") or [{}])[0]
                if isinstance(_object(first).get("databaseId"), int):
                    threads[first["databaseId"]] = (str(node["id"]), bool(node.get("isResolved")))
            info = _object(page.get("pageInfo"))
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return threads
            cursor = str(info["endCursor"])

    def _comment(self, comment: PullRequestComment, threads: dict[int, tuple[str, bool]]) -> ReviewComment:
        self._objects[comment.id] = comment
        thread, resolved = threads.get(comment.id, (None, False))
        return ReviewComment(
            id=comment.id,
            body=comment.body or "",
            path=comment.path,
            line=comment.line,
            author=comment.user.login if comment.user is not None else "",
            url=comment.html_url,
            thread=thread,
            resolved=resolved,
        )

    def list_review_comments(self) -> list[ReviewComment]:
        comments = self._calls.call(
            "list the review comments", lambda: list(self._pull.get_review_comments())
        )
        threads = self._threads() if comments else {}
        return [self._comment(comment, threads) for comment in comments]

    def _head(self) -> str:
        if self._sha is None:
            self._sha = str(self._calls.call("read the pull request", lambda: self._pull.head.sha))
        return self._sha

    def create_review_comment(self, path: str, line: int, body: str) -> ReviewComment:
        head = self._head()
        created = self._calls.call(
            "create a review comment",
            lambda: self._pull.create_review_comment(body, head, path, line=line, side="RIGHT"),
        )
        return self._comment(created, {})

    def edit_review_comment(self, comment_id: int, body: str) -> ReviewComment:
        comment = self._objects[comment_id]  # listed first: sync_suggestions always lists before editing
        self._calls.call("edit a review comment", lambda: comment.edit(body))
        return self._comment(comment, {})

    def delete_review_comment(self, comment_id: int) -> None:
        from github.GithubException import UnknownObjectException

        comment = self._objects[comment_id]

        def delete() -> None:
            with contextlib.suppress(UnknownObjectException):  # already gone: a concurrent run deleted it
                comment.delete()

        self._calls.call("delete a review comment", delete)

    def resolve_thread(self, thread_id: str) -> None:
        def resolve() -> None:
            _, data = self._github.requester.graphql_query(_RESOLVE, {"thread": thread_id})
            thread = _object(_object(_object(data.get("data")).get("resolveReviewThread")).get("thread"))
            if not thread.get("isResolved"):
                raise CommentUnavailable(f"GitHub did not resolve a review thread on {self._calls.where}")

        self._calls.retried("resolve a review thread", resolve)


__all__ = ["PyGithubReviewStore", "ReviewComment"]
