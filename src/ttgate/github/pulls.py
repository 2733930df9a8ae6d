"""Opening pull requests with PyGithub. ``github`` is imported inside the functions (it is slow to import).

The token comes from ``GITHUB_TOKEN``, the API from ``GITHUB_API_URL`` (GitHub Enterprise; GitHub
Actions sets it), else https://api.github.com. Every GitHub failure becomes a one-line UserError.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ttgate.errors import UserError

DEFAULT_API_URL = "https://api.github.com"
REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_REMOTE = re.compile(
    r"^(?:[a-z+]+://)?(?:[^@/]+@)?(?P<host>[^/:]+)(?::\d+)?[:/](?P<name>[^/]+/[^/]+?)(?:\.git)?/?$"
)


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str


def github_token(env: Mapping[str, str] | None = None) -> str | None:
    value = (os.environ if env is None else env).get("GITHUB_TOKEN", "").strip()
    return value or None


def api_url(env: Mapping[str, str] | None = None) -> str:
    value = (os.environ if env is None else env).get("GITHUB_API_URL", "").strip()
    return (value or DEFAULT_API_URL).rstrip("/")


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


def _client(token: str, base_url: str, *, lazy: bool = False) -> Any:
    from github import Auth, Github

    return Github(auth=Auth.Token(token), base_url=base_url, lazy=lazy)


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


def default_branch(repository: str, *, token: str, base_url: str | None = None) -> str:
    """The repository's default branch (one GET /repos/{owner}/{repo})."""
    from github import GithubException
    from requests import RequestException

    url = base_url or api_url()
    try:
        return str(_client(token, url).get_repo(repository).default_branch)
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
) -> PullRequest:
    """POST /repos/{owner}/{repo}/pulls with exactly title, head, base and body."""
    from github import GithubException
    from requests import RequestException

    url = base_url or api_url()
    try:
        repo = _client(token, url, lazy=True).get_repo(repository)
        pull = repo.create_pull(base=base, head=head, title=title, body=body)
    except (GithubException, RequestException) as error:
        raise _failure(error, f"opening the pull request from {head} into {base}", repository, url) from None
    return PullRequest(int(pull.number), str(pull.html_url))


def compare_url(repository: str, base: str | None, head: str, base_url: str | None = None) -> str:
    """The web page where a person opens the pull request by hand."""
    api = base_url or api_url()
    web = "https://github.com" if api == DEFAULT_API_URL else re.sub(r"/api/v3/?$", "", api)
    return f"{web}/{repository}/compare/{base + '...' if base else ''}{head}?expand=1"
