"""One sticky comment per key on a pull request: which comment is ttgate's, and keeping it up to date.

A comment is ttgate's only when the token's own identity wrote it and it carries the key's marker: the
marker is public, anyone may post it. :func:`sync_comment` works on any :class:`CommentStore` (PyGithub's
in :mod:`ttgate.github.client`, a list in tests). A create that fails for a reason a retry can cure is
retried only after listing again (the failed POST may have gone through), with the waits of the one
GitHub retry policy (:class:`ttgate.integrations.github.RetryPolicy`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

from ttgate.github.client import Comment, CommentError, CommentStore, CommentUnavailable
from ttgate.integrations import github as github_api
from ttgate.integrations.github import RetryPolicy

Action = Literal["created", "updated", "unchanged", "skipped", "recreated"]
Mode = Literal["update", "recreate", "hide"]


@dataclass(frozen=True)
class Outcome:
    action: Action
    url: str | None
    reason: str = ""


_DIGEST = re.compile(r"<!-- ttgate:digest (sha256=[0-9a-f]{64}) -->\s*$")


def digest_of(body: str) -> str | None:
    """The digest a body ends with: of the report it shows, without what changes on every run (the
    run's and the artifact's links), so an unchanged report is left alone."""
    match = _DIGEST.search(body.replace("\r\n", "\n"))
    return match.group(1) if match else None


def _same(stored: str, body: str) -> bool:
    """Same digest, or the same text (GitHub may hand a body back with CRLF line ends or without its
    final newline)."""
    digest = digest_of(body)
    if digest is not None and digest_of(stored) == digest:
        return True
    return stored.replace("\r\n", "\n").strip() == body.strip()


@dataclass(frozen=True)
class Gate:
    """What makes a comment ttgate's for one key, and what to write."""

    is_own_body: Callable[[str], bool]  # the marker for the key
    render: Callable[[bool], str]  # argument: whether a comment exists already (the all-clear's wording)
    retire: Callable[[str], str]  # the body of an outdated comment, whose marker no longer matches


def _own(store: CommentStore, gate: Gate, login: str, exclude: Collection[int] = ()) -> list[Comment]:
    """The key's comments written by the token's identity, oldest first (``exclude``: the ones being
    replaced). A comment by anyone else is never ttgate's, whatever marker it carries: the marker is
    printed in every comment and anyone may copy it."""
    return [
        comment
        for comment in store.list_comments()
        if comment.author == login and gate.is_own_body(comment.body) and comment.id not in exclude
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


def _settle(
    store: CommentStore,
    gate: Gate,
    login: str,
    created: Comment,
    action: Action,
    policy: RetryPolicy,
    exclude: Collection[int] = (),
) -> Outcome:
    """Look again after a create: a run at the same time may have created one too. Every run keeps the
    oldest, so the pull request ends with one comment whichever run finishes last. A list that does not
    show the comment just created lags behind: it is asked again, a few times, before it is believed."""
    for attempt in range(1, policy.attempts + 1):
        mine = _own(store, gate, login, exclude)
        if any(comment.id == created.id for comment in mine) or attempt == policy.attempts:
            break
        policy.sleep(policy.wait(attempt))
    candidates = {comment.id: comment for comment in mine}
    candidates.setdefault(created.id, created)
    keep, *extra = sorted(candidates.values(), key=lambda comment: comment.id)
    for comment in extra:
        store.delete_comment(comment.id)
    if keep.id == created.id:
        return Outcome(action, created.url)
    if not _same(keep.body, created.body):
        keep = store.edit_comment(keep.id, created.body)
    return Outcome("updated", keep.url, "another run had just posted one: kept the oldest")


def _post(
    store: CommentStore,
    gate: Gate,
    login: str,
    mine: list[Comment],
    *,
    create: bool,
    existed: bool,
    action: Action,
    policy: RetryPolicy,
    exclude: Collection[int] = (),
) -> Outcome:
    """Update the oldest of ``mine``, or post one (when ``create`` or ``existed``). A create that fails
    for a reason a retry can cure is retried only after listing again: it may have gone through."""
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
            mine = _own(store, gate, login, exclude)
            continue
        return _settle(store, gate, login, created, action, policy, exclude)
    raise AssertionError("unreachable")  # pragma: no cover


def _retire(store: CommentStore, gate: Gate, comment: Comment, mode: Mode) -> None:
    """Take an outdated comment out of sight: deleted (``recreate``), or minimized and only then
    stripped of its marker (``hide``). A comment that cannot be minimized is deleted: a stale report
    must not stay in sight. When that fails too, its marker stays and the next run finds it again."""
    if mode == "hide":
        try:
            store.hide_comment(comment.id)
        except CommentError:
            store.delete_comment(comment.id)
            return
        store.edit_comment(comment.id, gate.retire(comment.body))
    else:
        store.delete_comment(comment.id)


def sync_comment(
    store: CommentStore,
    gate: Gate,
    *,
    create: bool,
    mode: Mode = "update",
    policy: RetryPolicy | None = None,
) -> Outcome:
    """Make the PR hold exactly one comment of the token's identity for which ``gate.is_own_body`` is true.

    ``update``: the existing comment is edited in place (not at all when its report is unchanged: same
    digest). ``recreate``: a new one is posted at the bottom of the conversation, then the old ones are
    deleted. ``hide``: a new one is posted, then the old ones are minimized as outdated and, once
    minimized, lose their marker. The new comment always comes first, so the pull request never lacks
    the current report; when none can be posted, the old one is updated in place. Without an existing
    comment, one is created only when ``create`` is true.
    After a create the comments are listed again (see :func:`_settle`).
    """
    policy = policy or github_api.DEFAULT_POLICY
    login = store.viewer_login()
    mine = _own(store, gate, login)
    existed = bool(mine)
    if mode == "update" or not mine:
        action: Action = "updated" if existed else "created"
        return _post(store, gate, login, mine, create=create, existed=existed, action=action, policy=policy)
    old = [comment.id for comment in mine]
    try:
        outcome = _post(
            store, gate, login, [], create=True, existed=True, action="recreated", policy=policy, exclude=old
        )
    except CommentUnavailable:
        # No new comment could be posted: the old one shows the current report instead, in place.
        updated = _update(store, gate, mine, posted=False)
        return Outcome(updated.action, updated.url, "could not post a new comment: updated the old one")
    for comment in mine:
        _retire(store, gate, comment, mode)
    return outcome


__all__ = ["Action", "Gate", "Mode", "Outcome", "digest_of", "sync_comment"]
