"""One sticky comment per key on a pull request: which comment is ttgate's, and keeping it up to date.

A comment is ttgate's only when the token's own identity wrote it and it carries the key's marker: the
marker is public, anyone may post it. :func:`sync_comment` works on any :class:`CommentStore` (PyGithub's
in :mod:`ttgate.github.client`, a list in tests). A create that fails for a reason a retry can cure is
retried only after listing again (the failed POST may have gone through), with the waits of the one
GitHub retry policy (:class:`ttgate.integrations.github.RetryPolicy`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ttgate.github.client import Comment, CommentStore, CommentUnavailable
from ttgate.integrations import github as github_api
from ttgate.integrations.github import RetryPolicy

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
    policy = policy or github_api.DEFAULT_POLICY
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
            policy.sleep(policy.wait(attempt, retry_after=error.retry_after, rate_limited=error.rate_limited))
            mine = _own(store, gate, login)
            continue
        return _settle(store, gate, login, created, action)
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["Action", "Gate", "Mode", "Outcome", "sync_comment"]
