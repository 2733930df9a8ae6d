"""The AWS session every operation opens: which region, from where."""

from __future__ import annotations

import pytest

from ttgate.gate.rules import RULES
from ttgate.operations.aws_session import open_session, region_for
from ttgate.policy import Policy, load_policy


@pytest.fixture
def policy() -> Policy:
    return load_policy(RULES)


def test_region_follows_the_environment_before_the_policy(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    assert region_for(policy) == policy.region
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert region_for(policy) == "eu-west-1"
    monkeypatch.setenv("AWS_REGION", "us-east-2")
    assert region_for(policy) == "us-east-2"
    assert region_for(policy, "ap-northeast-1") == "ap-northeast-1"


def test_the_session_takes_the_region_and_the_profile_as_given(policy: Policy) -> None:
    aws = open_session(policy, "ap-northeast-1", "on-call")
    assert (aws.region, aws.profile) == ("ap-northeast-1", "on-call")
