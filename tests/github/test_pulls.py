"""The rollback's pull request through the one GitHub client, against the local GitHub of github_server.py:
reads retried on 5xx and rate limits, a create tried again only after looking for what it would open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.github.github_server import REPO, FakeGitHub, serve
from ttgate.errors import UserError
from ttgate.github.pulls import default_branch, open_pull_request
from ttgate.integrations.github import RetryPolicy

TOKEN, BOT = "ghs_rollback", "github-actions[bot]"
HEAD, BASE = "rollback/1a2b3c4-20240506T070809Z", "main"
PULLS = rf"/repos/{REPO}/pulls"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(tokens={TOKEN: BOT}, default_branch="trunk")) as fake:
        yield fake


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def policy(waits: list[float]) -> RetryPolicy:
    return RetryPolicy(seconds_between_requests=None, seconds_between_writes=None, sleep=waits.append)


def open_it(github: FakeGitHub, policy: RetryPolicy) -> tuple[int, str]:
    pull = open_pull_request(
        REPO,
        head=HEAD,
        base=BASE,
        title="Rollback",
        body="why",
        token=TOKEN,
        base_url=github.url,
        policy=policy,
    )
    return pull.number, pull.url


def posts(github: FakeGitHub) -> int:
    return sum(1 for _, method, target in github.requests if method == "POST" and target.endswith("/pulls"))


def test_the_default_branch_read_is_retried_on_a_rate_limit_and_a_5xx(
    github: FakeGitHub, policy: RetryPolicy, waits: list[float]
) -> None:
    github.fail(
        "GET", rf"/repos/{REPO}", 403, "You have exceeded a secondary rate limit.", **{"Retry-After": "7"}
    )
    github.fail("GET", rf"/repos/{REPO}", 502, "Server Error")

    assert default_branch(REPO, token=TOKEN, base_url=github.url, policy=policy) == "trunk"
    assert waits[0] == 7.0 and len(waits) == 2


def test_a_create_that_failed_is_tried_again_after_looking(
    github: FakeGitHub, policy: RetryPolicy, waits: list[float]
) -> None:
    github.fail("POST", PULLS, 502, "Server Error")

    assert open_it(github, policy) == (1, f"https://github.example/{REPO}/pull/1")
    assert posts(github) == 2 and len(github.pulls) == 1
    assert waits == [policy.wait(1)]
    looked = [target for _, method, target in github.requests if method == "GET" and "/pulls?" in target]
    assert looked and f"head=acme%3A{HEAD.replace('/', '%2F')}" in looked[0]


def test_a_create_that_went_through_behind_a_502_is_found_not_doubled(
    github: FakeGitHub, policy: RetryPolicy
) -> None:
    github.fail("POST", PULLS, 502, "Server Error", carried_out=True)

    assert open_it(github, policy)[0] == 1
    assert posts(github) == 1 and len(github.pulls) == 1


def test_a_secondary_rate_limit_on_the_create_waits_a_minute(
    github: FakeGitHub, policy: RetryPolicy, waits: list[float]
) -> None:
    github.fail("POST", PULLS, 403, "You have exceeded a secondary rate limit.")

    assert open_it(github, policy)[0] == 1
    assert waits == [60.0]


def test_a_refusal_is_not_retried_and_is_one_line(
    github: FakeGitHub, policy: RetryPolicy, waits: list[float]
) -> None:
    github.fail("POST", PULLS, 422, "Validation Failed")

    with pytest.raises(
        UserError, match=r"opening the pull request from .* GitHub answered 422: Validation Failed"
    ):
        open_it(github, policy)
    assert posts(github) == 1 and waits == [] and github.pulls == []


def test_5xx_every_time_gives_up_after_the_policys_attempts(
    github: FakeGitHub, policy: RetryPolicy, waits: list[float]
) -> None:
    for _ in range(policy.attempts):
        github.fail("POST", PULLS, 503, "Service Unavailable")

    with pytest.raises(UserError, match="GitHub answered 503"):
        open_it(github, policy)
    assert posts(github) == policy.attempts and len(waits) == policy.attempts - 1
