"""Links stay in a scope (ttgate.gate.links.same_scope): one known environment, or every stack without
a known environment (own stack first), never both; a module checked on its own is alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import findings, stack, summary
from ttgate.gate.links import same_scope, scope_text
from ttgate.gate.model import Stack


def a_stack(name: str, env: str | None, role: str = "root") -> Stack:
    return Stack(name=name, directory=None, layer=None, env=env, role=role)


@pytest.mark.parametrize(
    "a, b, linked",
    [
        (a_stack("20_infra/dev", "dev"), a_stack("30_app/dev", "dev"), True),
        (a_stack("20_infra/dev", "dev"), a_stack("20_infra/prod", "prod"), False),
        (a_stack("envs/dev", None), a_stack("envs/prod", None), True),  # own stack first, then ambiguity
        (a_stack("20_infra/dev", "dev"), a_stack("global", None), False),
        (a_stack("modules/sqs", None, role="module"), a_stack("envs/prod", None), False),
        (a_stack("modules/sqs", "dev", role="module"), a_stack("30_app/dev", "dev"), False),
    ],
    ids=[
        "one environment",
        "two environments",
        "no environment on either side",
        "known and unknown environment",
        "a module checked alone, with env-less roots",
        "a module checked alone, with roots of its environment",
    ],
)
def test_same_scope(a: Stack, b: Stack, linked: bool) -> None:
    assert same_scope(a, b) is linked
    assert same_scope(b, a) is linked
    assert same_scope(a, a)


def test_scope_text_says_where_a_search_looked() -> None:
    assert scope_text(a_stack("30_app/prod", "prod")) == "any stack of prod"
    assert scope_text(a_stack("envs/prod", None)) == "any checked stack without a known environment"
    assert scope_text(a_stack("modules/sqs", None, role="module")) == "modules/sqs"


REDRIVE_TO_DLQ_BY_NAME = """
resource "aws_sqs_queue" "orders" {
  name = "orders"
  redrive_policy = jsonencode({
    deadLetterTargetArn = "arn:aws:sqs:ap-southeast-1:111111111111:orders-dlq"
    maxReceiveCount     = 3
  })
}
"""
DLQ = 'resource "aws_sqs_queue" "dlq" {\n  name = "orders-dlq"\n  message_retention_seconds = 60\n}\n'


def test_a_redrive_target_is_searched_in_the_source_queues_environment(tmp_path: Path) -> None:
    # prod's source queue names its DLQ by ARN; only dev holds a queue of that name: TG203 (DLQ
    # retention) does not see dev's 60 s DLQ as prod's queue's DLQ.
    tree = {**stack("20_infra", "prod", REDRIVE_TO_DLQ_BY_NAME), **stack("20_infra", "dev", DLQ)}
    found = findings("TG203", tmp_path, tree, tg001="with")
    assert [message for message in (f.message for f in found) if "orders (" in message] == []


def test_a_redrive_target_in_two_stacks_without_environment_is_tg001(tmp_path: Path) -> None:
    provider = 'provider "aws" {}\n'
    tree = {
        "envs/prod/queues/main.tf": provider + REDRIVE_TO_DLQ_BY_NAME,
        "envs/dev/dlq/main.tf": provider + DLQ,
        "envs/prod/dlq/main.tf": provider + DLQ,
    }
    found = findings("TG203", tmp_path, tree, tg001="only")
    assert summary(found) == [("TG001", "envs/prod/queues/main.tf", 5, "envs/prod/queues")]
    assert "aws_sqs_queue.dlq (envs/dev/dlq) and aws_sqs_queue.dlq (envs/prod/dlq)" in found[0].message
