"""Opening the rollback's pull request, through the one GitHub client (:mod:`ttgate.integrations.github`).

The token comes from ``GITHUB_TOKEN``, the API from ``GITHUB_API_URL`` (GitHub Enterprise; GitHub
Actions sets it), else https://api.github.com. Reads are retried by the client on 5xx and rate limits;
the create (a POST, which a 502 may have carried out after all) is tried again only after looking for
the pull request it would open. Every failure left becomes a one-line UserError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ttgate.errors import UserError
from ttgate.integrations import github as github_api
from ttgate.integrations.github import DEFAULT_API_URL, RetryPolicy, api_url, github_client

REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_REMOTE = re.compile(
    r"^(?:[a-z+]+://)?(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?[:/](?P<name>[^/]+/[^/]+?)(?:\.git)?/?$"
)


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str


def repository_from_remote(url: str | None) -> str | None:
    """``owner/name`` from a remote URL (https, ssh or scp-like); None for a local path or no URL."""
    if not url or url.startswith(("/", ".", "file:")):
        return None
    match = _REMOTE.match(url.strip())
    return match.group("name") if match else None


def check_repository_name(name: str) -> str:
    if not REPOSITORY_NAME.match(name):
        raise UserError(f"GitHub repository {name!r} is not of the form OWNER/NAME")
    return name


def _failure(error: Exception, what: str, repository: str, base_url: str) -> UserError:
    from github import BadCredentialsException, GithubException, UnknownObjectException

    if isinstance(error, BadCredentialsException):
        return UserError(f"{what}: GitHub refused GITHUB_TOKEN (bad credentials)")
    if isinstance(error, UnknownObjectException):
        return UserError(f"{what}: repository {repository} not found, or GITHUB_TOKEN cannot see it")
    if not isinstance(error, GithubException):  # the network: requests' ConnectionError, Timeout...
        return UserError(f"{what}: cannot reach GitHub at {base_url}: {type(error).__name__}: {error}")
    data = error.data if isinstance(error.data, dict) else {}
    details = [str(item.get("message", item)) for item in data.get("errors", []) if isinstance(item, dict)]
    message = "; ".join([str(data.get("message") or error.message or "error"), *details])
    return UserError(f"{what}: GitHub answered {error.status}: {message}")


def default_branch(
    repository: str, *, token: str, base_url: str | None = None, policy: RetryPolicy | None = None
) -> str:
    """The repository's default branch (one GET /repos/{owner}/{repo}, retried by the client)."""
    from github import GithubException
    from requests import RequestException

    url = base_url or api_url()
    try:
        return str(github_client(token, url, policy).get_repo(repository).default_branch)
    except (GithubException, RequestException) as error:
        raise _failure(error, "reading the default branch", repository, url) from None


def open_pull_request(
    repository: str,
    *,
    head: str,
    base: str,
    title: str,
    body: str,
    token: str,
    base_url: str | None = None,
    policy: RetryPolicy | None = None,
) -> PullRequest:
    """POST /repos/{owner}/{repo}/pulls with exactly title, head, base and body.

    A create that fails for a reason a retry can cure (a 5xx, a rate limit, the connection) is tried
    again, at most ``policy.attempts`` times, each time after waiting and then looking for an open pull
    request from ``head`` into ``base``: the failed POST may have opened it, and a second one would be
    refused (422) or, worse, be a duplicate.
    """
    from github import GithubException
    from requests import RequestException

    url = base_url or api_url()
    policy = policy or github_api.DEFAULT_POLICY
    what = f"opening the pull request from {head} into {base}"
    repo = github_client(token, url, policy).get_repo(repository)
    for attempt in range(1, policy.attempts + 1):
        try:
            pull = repo.create_pull(base=base, head=head, title=title, body=body)
            return PullRequest(int(pull.number), str(pull.html_url))
        except (GithubException, RequestException) as error:
            if attempt == policy.attempts or not github_api.is_retryable(error):
                raise _failure(error, what, repository, url) from None
            rate_limited = isinstance(error, GithubException) and github_api.is_rate_limit(error)
            wait_for = github_api.retry_after(error) if isinstance(error, GithubException) else None
            policy.sleep(policy.wait(attempt, retry_after=wait_for, rate_limited=rate_limited))
        try:
            owner = repository.split("/", 1)[0]
            opened = list(repo.get_pulls(state="open", head=f"{owner}:{head}", base=base))
        except (GithubException, RequestException) as error:
            raise _failure(error, f"looking for the pull request from {head}", repository, url) from None
        if opened:
            return PullRequest(int(opened[0].number), str(opened[0].html_url))
    raise AssertionError("unreachable")  # pragma: no cover


def compare_url(repository: str, base: str | None, head: str, base_url: str | None = None) -> str:
    """The web page where a person opens the pull request by hand."""
    api = base_url or api_url()
    web = "https://github.com" if api == DEFAULT_API_URL else re.sub(r"/api/v3/?$", "", api)
    return f"{web}/{repository}/compare/{base + '...' if base else ''}{head}?expand=1"


__all__ = [
    "DEFAULT_API_URL",
    "REPOSITORY_NAME",
    "PullRequest",
    "check_repository_name",
    "compare_url",
    "default_branch",
    "open_pull_request",
    "repository_from_remote",
]
