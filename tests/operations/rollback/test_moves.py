"""A stack is its identity (layer, environment, state key), not its path: a move is reported as a move."""

from __future__ import annotations

from tests.operations.rollback.test_rollback import DEPLOY, History, commit, git, plan_json, run, stack
from ttgate.gate.rules import RULES
from ttgate.integrations.git import Git
from ttgate.operations.rollback.from_git import scope_from_git
from ttgate.operations.rollback.pull_request import pull_body
from ttgate.policy import load_policy

OLD = f"{DEPLOY}/30_app/environments/prod"
NEW = f"{DEPLOY}/apps/30_app/environments/prod"


def move_app_prod(history: History) -> str:
    git(history.repo, "mv", OLD, f"{DEPLOY}/apps-tmp")
    (history.repo / NEW).parent.mkdir(parents=True)
    git(history.repo, "mv", f"{DEPLOY}/apps-tmp", NEW)
    return commit(history.repo, "move 30_app under apps/", {f"{NEW}/extra.tf": "# after the move\n"})


def test_a_moved_stack_is_one_stack_moved_back_never_destroy_advice(history: History) -> None:
    move_app_prod(history)
    data = plan_json(history, "--to", history.c5, "--env", "prod")
    stacks = data["stacks"]
    assert [(s["layer"], s["env"], s["directory"], s["moved_from"]) for s in stacks] == [
        ("30_app", "prod", OLD, NEW)
    ]
    assert stacks[0]["state_key"] == "app/terraform.tfstate"
    assert f"{NEW}/extra.tf" in stacks[0]["files"] and f"{OLD}/main.tf" in stacks[0]["files"]
    warnings = " ".join(data["warnings"])
    assert "did not exist" not in warnings and "destroy" not in warnings.replace("nothing to destroy", "")
    assert f"moved from {OLD} (at the target) to {NEW}" in warnings and "same state" in warnings

    text = run(history, "rollback", "plan", "--to", history.c5, "--env", "prod").stdout
    assert f"({OLD}, moved back from {NEW})" in text
    assert "terraform destroy" not in text

    repo = Git(history.repo)
    policy = load_policy(RULES, search_dir=history.repo)
    scope = scope_from_git(repo, policy, to=history.c5, path=DEPLOY, env="prod")
    body = pull_body(scope, policy, reason="INC-1", short=repo.short(history.c5), stat="")
    assert f"moved back from `{NEW}`" in body and "terraform destroy" not in body


def test_a_stack_new_since_the_target_still_gets_the_destroy_advice(history: History) -> None:
    move_app_prod(history)
    commit(
        history.repo, "new stack", {f"{DEPLOY}/30_app/environments/stage/main.tf": stack("30_app", "stage")}
    )
    data = plan_json(history, "--to", history.c5)
    warnings = data["warnings"]
    assert any("30_app/stage did not exist at" in w and "terraform destroy" in w for w in warnings), warnings
    assert not any("30_app/prod did not exist" in w for w in warnings), warnings
