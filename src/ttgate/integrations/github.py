"""GitHub access: the one PyGithub client factory and its one retry policy. Transport only.

PyGithub is imported inside the functions (it is slow to import: `ttgate --help` never loads it). Every
PyGithub client of ttgate (the sticky comment's :mod:`ttgate.github.client`, the rollback's pull
requests in :mod:`ttgate.github.pulls`) comes from :func:`github_client`, so all of them retry the same
way:

- reads, edits and deletes (GET, HEAD, PATCH, DELETE: repeating them is harmless) are retried by
  PyGithub's ``GithubRetry`` at the HTTP level, with backoff, on 5xx and on rate-limit 403/429s;
- a create (POST) is never repeated blindly: a POST that got a 502 may have created the object, so its
  caller looks again before it posts again (:func:`is_retryable` and :meth:`RetryPolicy.wait` say
  whether and how long), at most ``attempts`` rounds.

:class:`RetryPolicy` bounds all of it (by default at most three retries per request and three create
rounds, no single wait over a minute: a few minutes in the worst case, none when GitHub answers). A rate
limit without Retry-After waits a minute, as GitHub asks. Every wait goes through ``RetryPolicy.sleep``:
tests record waits, never wait. The token is never printed or put in a message.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError

if TYPE_CHECKING:
    from github import Github
    from github.GithubException import GithubException

DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. The worst case is bounded: ``attempts`` tries of a create, each of its requests
    retried ``retries`` times, every wait at most ``max_wait`` seconds."""

    retries: int = 3  # per HTTP request (GET, PATCH, DELETE)
    attempts: int = 3  # look-then-create rounds
    backoff_factor: float = 2.0  # waits of 0, 4, 8... seconds between HTTP retries
    max_wait: float = 60.0  # no single wait (backoff, Retry-After, secondary rate limit) is longer
    secondary_rate_wait: float = 60.0  # GitHub: wait at least a minute when no Retry-After is given
    seconds_between_requests: float | None = 0.25  # PyGithub's pacing, which avoids secondary limits
    seconds_between_writes: float | None = 1.0
    sleep: Callable[[float], None] = time.sleep  # every wait goes through it: tests record, never wait

    def wait(self, attempt: int, *, retry_after: float | None = None, rate_limited: bool = False) -> float:
        """Seconds to wait before create round ``attempt`` (1, 2...) after a failure. A rate limit
        without Retry-After waits ``secondary_rate_wait``: GitHub asks for at least a minute."""
        backoff = float(self.backoff_factor * (2**attempt))
        if retry_after is not None:
            backoff = max(backoff, retry_after)
        elif rate_limited:
            backoff = max(backoff, self.secondary_rate_wait)
        return min(backoff, self.max_wait)


# Read at call time, never bound as a default argument: tests replace it (RetryPolicy(backoff_factor=0...)).
DEFAULT_POLICY = RetryPolicy()


def github_token(env: Mapping[str, str] | None = None) -> str | None:
    """GITHUB_TOKEN, or None when it is unset or blank."""
    value = (os.environ if env is None else env).get("GITHUB_TOKEN", "").strip()
    return value or None


def api_url(env: Mapping[str, str] | None = None) -> str:
    """The REST API root: GITHUB_API_URL (GitHub Enterprise: https://HOST/api/v3; Actions sets it),
    else https://api.github.com."""
    value = (os.environ if env is None else env).get("GITHUB_API_URL", "").strip()
    return (value or DEFAULT_API_URL).rstrip("/")


def github_client(token: str, base_url: str, policy: RetryPolicy | None = None) -> Github:
    """A PyGithub client for ``base_url`` retrying as ``policy`` (default :data:`DEFAULT_POLICY`) says.

    Lazy: no request is sent until one is needed (``get_repo`` fetches nothing by itself).
    """
    try:
        from github import Auth, Github
    except ImportError:  # pragma: no cover - the github extra is missing
        raise UserError("PyGithub is not installed: pip install 'ttgate[github]'") from None
    policy = policy or DEFAULT_POLICY
    return Github(
        auth=Auth.Token(token),
        base_url=base_url.rstrip("/"),
        retry=_retry(policy),
        per_page=100,
        lazy=True,
        seconds_between_requests=policy.seconds_between_requests,
        seconds_between_writes=policy.seconds_between_writes,
    )


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
        # Not POST: a create is retried by its caller, after looking for what it creates.
        allowed_methods=frozenset({"GET", "HEAD", "PATCH", "DELETE"}),
    )


def _headers(error: GithubException) -> dict[str, Any]:
    return {str(name).lower(): value for name, value in (error.headers or {}).items()}


def is_rate_limit(error: GithubException) -> bool:
    """A primary or secondary rate limit (403 or 429 with Retry-After or no requests left)."""
    from github.GithubException import RateLimitExceededException

    headers = _headers(error)
    return (
        isinstance(error, RateLimitExceededException)
        or "retry-after" in headers
        or str(headers.get("x-ratelimit-remaining")) == "0"
        or error.status == 429
        or "rate limit" in error_message(error).lower()
    )


def retry_after(error: GithubException) -> float | None:
    """The Retry-After GitHub asked for, in seconds, if any."""
    try:
        return float(_headers(error)["retry-after"])
    except (KeyError, TypeError, ValueError):
        return None


def error_message(error: GithubException) -> str:
    """GitHub's own message for the failure."""
    data = error.data if isinstance(error.data, dict) else {}
    return str(data.get("message") or error.message or "no message")


def is_retryable(error: Exception) -> bool:
    """Whether trying again may cure ``error``: a 5xx, a rate limit, a connection error or timeout,
    or the retries of one request running out (requests' RetryError)."""
    import requests
    from github.GithubException import GithubException

    if isinstance(error, GithubException):
        return error.status >= 500 or is_rate_limit(error)
    return isinstance(error, requests.RequestException)


__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_POLICY",
    "RetryPolicy",
    "api_url",
    "error_message",
    "github_client",
    "github_token",
    "is_rate_limit",
    "is_retryable",
    "retry_after",
]
