"""The rollback workflow (.github/workflows/rollback.yml): inputs, permissions, pinning, layer order.

The apply jobs' `if:` conditions are evaluated with a small evaluator of GitHub's expression language
(the subset the workflow uses) and GitHub's job semantics (a condition without a status function is
`success() && (...)`; a job whose condition is false is skipped), so the order and stop-on-failure
behaviour are tested on the conditions as written, not on their text.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "rollback.yml"
DOC = ROOT / "docs" / "rollback.md"
APPLY_ORDER = ["apply-30_app", "apply-20_infra", "apply-10_core"]
JOB_PERMISSIONS = {
    "plan": {"contents": "read", "id-token": "write"},
    "open-pr": {"contents": "write", "pull-requests": "write"},
    "direct-plan": {"contents": "read", "id-token": "write"},
    "apply-30_app": {"id-token": "write"},
    "apply-20_infra": {"id-token": "write"},
    "apply-10_core": {"id-token": "write"},
}


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    on = workflow.get("on", workflow.get(True))
    assert isinstance(on, dict)
    return on


def steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, step) for name, job in workflow["jobs"].items() for step in job.get("steps", [])]


# --- shape -------------------------------------------------------------------------------------


def test_only_workflow_dispatch_with_exactly_the_rollback_inputs(workflow) -> None:
    on = triggers(workflow)
    assert list(on) == ["workflow_dispatch"]
    inputs = on["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"commit", "environment", "layers", "mode", "reason"}
    assert inputs["commit"]["type"] == "string" and inputs["commit"]["required"] is True
    assert inputs["reason"]["type"] == "string" and inputs["reason"]["required"] is True
    assert inputs["environment"]["type"] == "choice"
    assert inputs["environment"]["options"] == ["dev", "stage", "prod"]
    assert inputs["layers"]["type"] == "choice"
    assert inputs["layers"]["options"] == ["auto", "10_core", "20_infra", "30_app"]
    assert inputs["layers"]["default"] == "auto"
    assert inputs["mode"]["type"] == "choice"
    assert inputs["mode"]["options"] == ["pr", "direct"]
    assert inputs["mode"]["default"] == "pr"


def test_one_rollback_per_environment_and_none_cancelled(workflow) -> None:
    assert workflow["concurrency"] == {
        "group": "terraform-apply-${{ inputs.environment }}",
        "cancel-in-progress": False,
    }


def test_permissions_are_least_privilege_per_job(workflow) -> None:
    assert workflow["permissions"] in ({}, {"contents": "read"})
    assert set(workflow["jobs"]) == set(JOB_PERMISSIONS)
    for name, expected in JOB_PERMISSIONS.items():
        assert workflow["jobs"][name]["permissions"] == expected, name


def test_no_expression_inside_a_script(workflow) -> None:
    for job, step in steps(workflow):
        if "run" in step:
            assert "${{" not in step["run"], f"{job}: {step.get('name')} expands an expression in run:"


def test_inputs_reach_scripts_only_through_env(workflow) -> None:
    """Every input a script uses is handed to it as an environment variable of the step or the job."""
    for job_name, job in workflow["jobs"].items():
        job_env = job.get("env", {})
        for step in job.get("steps", []):
            env = {**job_env, **step.get("env", {})}
            if "run" not in step:
                continue
            for variable in ("COMMIT", "REASON", "ENVIRONMENT", "LAYERS", "MODE", "TARGET", "TF_ENV"):
                if re.search(rf"\${variable}\b|\${{{variable}\b", step["run"]):
                    assert variable in env, f"{job_name}: {step.get('name')} uses ${variable} without env:"


def test_every_action_is_pinned_to_a_full_sha_with_its_version(workflow) -> None:
    uses = [step["uses"] for _, step in steps(workflow) if "uses" in step]
    assert uses, "the workflow uses no action?"
    for ref in uses:
        if ref.startswith("./"):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{ref} is not pinned to a commit SHA"
    lines = WORKFLOW.read_text(encoding="utf-8").splitlines()
    for line in lines:
        if re.match(r"\s*(- )?uses: (?!\./)", line):
            assert re.search(r"@[0-9a-f]{40} # v\d+(\.\d+)*\b", line), f"no version comment: {line.strip()}"


def test_plan_job_checks_out_full_history_and_validates_the_sha(workflow) -> None:
    plan = workflow["jobs"]["plan"]
    checkout = next(
        step for step in plan["steps"] if str(step.get("uses", "")).startswith("actions/checkout@")
    )
    assert checkout["with"]["fetch-depth"] == 0
    validate = next(step for step in plan["steps"] if "^[0-9a-f]{7,40}$" in step.get("run", ""))
    assert validate["env"]["COMMIT"] == "${{ inputs.commit }}"
    assert validate["env"]["REASON"] == "${{ inputs.reason }}"
    scripts = "\n".join(step.get("run", "") for step in plan["steps"])
    assert "ttgate rollback plan" in scripts and "--format json" in scripts
    assert "ttgate locks list --env" in scripts
    assert "GITHUB_STEP_SUMMARY" in scripts
    assert set(plan["outputs"]) >= {"target", "head", "stacks", "layers"}
    names = [str(step.get("uses", "")) + str(step.get("run", "")) for step in plan["steps"]]
    aws = next(i for i, text in enumerate(names) if "configure-aws-credentials@" in text)
    preflight = next(i for i, text in enumerate(names) if "ttgate locks list" in text)
    assert aws < preflight, "the lock preflight needs the AWS credentials first"


def test_the_sha_check_accepts_short_and_full_shas_only(workflow, tmp_path) -> None:
    validate = next(step for _, step in steps(workflow) if "^[0-9a-f]{7,40}$" in step.get("run", ""))
    script = tmp_path / "validate.sh"
    script.write_text("set -eo pipefail\n" + validate["run"], encoding="utf-8")
    good = {
        "COMMIT": "1a2b3c4",
        "ENVIRONMENT": "prod",
        "LAYERS": "auto",
        "MODE": "direct",
        "REASON": "INC-42: queue consumer crash-loops",
        "AWS_ACCOUNT_ID": "123456789012",
        "PLAN_ROLE": "arn:aws:iam::123456789012:role/plan",
        "APPLY_ROLE": "arn:aws:iam::123456789012:role/apply",
        "TERRAFORM_VERSION": "1.9.8",
    }

    def run(**changes: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", ""), **good, **changes}
        return subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, check=False)

    assert run().returncode == 0
    assert run(COMMIT="0" * 40).returncode == 0
    for bad in ("main", "1a2b3c", "1A2B3C4", "1a2b3c4; rm -rf /", "0" * 41, "$(id)"):
        result = run(COMMIT=bad)
        assert result.returncode == 1 and "commit must be" in result.stdout, bad
    assert "reason must not be empty" in run(REASON=" \t ").stdout
    assert run(MODE="yolo").returncode == 1
    assert "TERRAFORM_VERSION" in run(TERRAFORM_VERSION="").stdout
    assert run(TERRAFORM_VERSION="", MODE="pr").returncode == 0


def test_pr_mode_opens_the_pull_request_with_ttgate(workflow) -> None:
    job = workflow["jobs"]["open-pr"]
    assert job["needs"] == "plan" or job["needs"] == ["plan"]
    assert job["if"] == "inputs.mode == 'pr'"
    step = next(step for step in job["steps"] if "ttgate rollback create" in step.get("run", ""))
    assert step["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    assert step["env"]["REASON"] == "${{ inputs.reason }}"


def test_apply_jobs_are_chained_in_rollback_order_behind_the_environment(workflow) -> None:
    jobs = workflow["jobs"]
    previous = ["direct-plan"]
    for name in APPLY_ORDER:
        job = jobs[name]
        needs = job["needs"] if isinstance(job["needs"], list) else [job["needs"]]
        assert set(needs) >= {"plan", "direct-plan", previous[-1]}, f"{name} must need {previous[-1]}"
        assert "strategy" not in job, f"{name}: a matrix would run the layers in parallel"
        assert job["environment"] == "${{ inputs.environment }}"
        previous.append(name)
    assert jobs["apply-20_infra"]["needs"] == ["plan", "direct-plan", "apply-30_app"]
    assert jobs["apply-10_core"]["needs"] == ["plan", "direct-plan", "apply-30_app", "apply-20_infra"]


def test_the_plan_job_restores_the_target_tree_saves_publishes_and_checks_each_plan(workflow) -> None:
    job = workflow["jobs"]["direct-plan"]
    assert "environment" not in job  # no approval before anybody has seen the plan
    assert job["strategy"]["matrix"]["layer"] == "${{ fromJSON(needs.plan.outputs.layers) }}"
    scripts = "\n".join(step.get("run", "") for step in job["steps"])
    assert 'git checkout --no-overlay "$TARGET" -- "$DEPLOY_PATH"' in scripts
    assert "terraform plan -input=false -lock=false -out=tfplan" in scripts
    assert "terraform show -no-color tfplan" in scripts and "GITHUB_STEP_SUMMARY" in scripts
    assert 'ttgate rollback check-plan --layer "$LAYER"' in scripts
    [upload] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert upload["with"]["name"] == "rollback-plan-${{ inputs.environment }}-${{ matrix.layer }}"
    check = next(i for i, s in enumerate(job["steps"]) if "check-plan" in s.get("run", ""))
    assert check < job["steps"].index(upload)  # a refused plan is never saved


@pytest.mark.parametrize("name", APPLY_ORDER)
def test_each_apply_job_applies_exactly_the_saved_plan_behind_the_environment(workflow, name) -> None:
    job = workflow["jobs"][name]
    layer = name.removeprefix("apply-")
    assert job["env"]["LAYER"] == layer
    assert job["environment"] == "${{ inputs.environment }}"
    needs = job["needs"]
    assert "direct-plan" in needs and "needs.direct-plan.result == 'success'" in job["if"]
    steps_ = job["steps"]
    [download] = [s for s in steps_ if str(s.get("uses", "")).startswith("actions/download-artifact@")]
    assert download["with"]["name"] == f"rollback-plan-${{{{ inputs.environment }}}}-{layer}"
    scripts = [step.get("run", "") for step in steps_]
    text = "\n".join(scripts)
    assert "terraform plan" not in text, "the apply job must not plan again"
    apply = next(i for i, script in enumerate(scripts) if "terraform apply" in script)
    assert "terraform apply -input=false tfplan" in scripts[apply]
    assert steps_.index(download) < apply
    assert steps_[apply]["working-directory"] == (
        "${{ env.DEPLOY_PATH }}/" + layer + "/environments/${{ inputs.environment }}"
    )
    # The apply role is checked here, where environment-level variables are visible.
    assert any("AWS_ROLLBACK_APPLY_ROLE_ARN" in str(step.get("env", {})) for step in steps_)
    uses = [str(step.get("uses", "")) for step in steps_]
    assert any(ref.startswith("aws-actions/configure-aws-credentials@") for ref in uses)


def test_checkouts_do_not_persist_the_token(workflow) -> None:
    for job, step in steps(workflow):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, job


# --- the conditions, evaluated -----------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op>&&|\|\||==|!=|!|\(|\)|,)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*))"
)
_STATUS_FUNCTIONS = ("success(", "failure(", "cancelled(", "always(")


class Expression:
    """GitHub's expression syntax, the subset the workflow uses: && || ! == != ( ), strings,
    context paths, contains(), and the status functions."""

    def __init__(self, text: str, context: dict[str, Any], status: dict[str, bool]) -> None:
        self.tokens: list[tuple[str, str]] = []
        text = text.strip()
        if text.startswith("${{") and text.endswith("}}"):
            text = text[3:-2]
        position = 0
        while position < len(text.rstrip()):
            match = _TOKEN.match(text, position)
            assert match and match.end() > position, f"cannot read {text[position:]!r}"
            kind = match.lastgroup
            assert kind is not None
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.index = 0
        self.context = context
        self.status = status

    def value(self) -> Any:
        result = self._or()
        assert self.index == len(self.tokens), f"unexpected {self.tokens[self.index :]}"
        return result

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.tokens[self.index]
        assert expected is None or token[1] == expected, f"expected {expected}, got {token}"
        self.index += 1
        return token

    def _or(self) -> Any:
        left = self._and()
        while self._peek() == ("op", "||"):
            self._take()
            right = self._and()
            left = left or right
        return left

    def _and(self) -> Any:
        left = self._unary()
        while self._peek() == ("op", "&&"):
            self._take()
            right = self._unary()
            left = left and right
        return left

    def _unary(self) -> Any:
        if self._peek() == ("op", "!"):
            self._take()
            return not self._unary()
        left = self._primary()
        token = self._peek()
        if token in (("op", "=="), ("op", "!=")):
            self._take()
            right = self._primary()
            equal = str(left).lower() == str(right).lower()
            return equal if token[1] == "==" else not equal
        return left

    def _primary(self) -> Any:
        kind, text = self._take()
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if text == "(":
            inner = self._or()
            self._take(")")
            return inner
        assert kind == "name", text
        if self._peek() == ("op", "("):
            self._take()
            arguments = []
            while self._peek() != ("op", ")"):
                arguments.append(self._or())
                if self._peek() == ("op", ","):
                    self._take()
            self._take(")")
            return self._call(text, arguments)
        value: Any = self.context
        for part in text.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def _call(self, name: str, arguments: list[Any]) -> Any:
        if name in self.status:
            return self.status[name]
        if name == "contains":
            haystack, needle = arguments
            if isinstance(haystack, list):
                return any(str(item).lower() == str(needle).lower() for item in haystack)
            return str(needle).lower() in str(haystack or "").lower()
        raise AssertionError(f"the test's evaluator does not know {name}()")


def simulate(
    workflow: dict[str, Any],
    *,
    mode: str,
    layers: list[str],
    fails: tuple[str, ...] = (),
    plan_fails: bool = False,
    cancelled: bool = False,
) -> dict[str, str]:
    """Each job's result, as GitHub would decide it, when the jobs in ``fails`` fail if they run."""
    inputs = {"mode": mode, "environment": "prod", "layers": "auto", "commit": "1a2b3c4", "reason": "x"}
    results: dict[str, str] = {}
    jobs = workflow["jobs"]
    pending = list(jobs)
    while pending:
        for name in pending:
            job = jobs[name]
            needs = job.get("needs", [])
            needs = needs if isinstance(needs, list) else [needs]
            if all(need in results for need in needs):
                break
        else:  # pragma: no cover - a cycle
            raise AssertionError(f"the needs of {pending} form a cycle")
        pending.remove(name)
        if name == "plan":
            results[name] = "failure" if plan_fails else "success"
            continue
        context = {
            "inputs": inputs,
            "needs": {
                need: {
                    "result": results[need],
                    "outputs": {"layers": json.dumps(layers)} if need == "plan" and not plan_fails else {},
                }
                for need in needs
            },
        }
        status = {
            "success": not cancelled and all(results[need] == "success" for need in needs),
            "failure": any(results[need] == "failure" for need in needs),
            "cancelled": cancelled,
            "always": True,
        }
        condition = str(job.get("if", "success()"))
        if not any(function in condition for function in _STATUS_FUNCTIONS):
            condition = f"success() && ({condition})"
        runs = bool(Expression(condition, context, status).value())
        results[name] = ("failure" if name in fails else "success") if runs else "skipped"
    return results


def ran(results: dict[str, str]) -> list[str]:
    return [name for name in APPLY_ORDER if results[name] != "skipped"]


def test_direct_mode_applies_every_planned_layer_in_order(workflow) -> None:
    results = simulate(workflow, mode="direct", layers=["30_app", "20_infra", "10_core"])
    assert ran(results) == APPLY_ORDER
    assert results["open-pr"] == "skipped"


def test_a_layer_not_in_the_plan_is_skipped_and_the_next_still_runs(workflow) -> None:
    results = simulate(workflow, mode="direct", layers=["30_app", "10_core"])
    assert ran(results) == ["apply-30_app", "apply-10_core"]
    results = simulate(workflow, mode="direct", layers=["10_core"])
    assert ran(results) == ["apply-10_core"]
    results = simulate(workflow, mode="direct", layers=["20_infra"])
    assert ran(results) == ["apply-20_infra"]


def test_a_failed_layer_stops_every_later_one(workflow) -> None:
    results = simulate(
        workflow, mode="direct", layers=["30_app", "20_infra", "10_core"], fails=("apply-30_app",)
    )
    assert ran(results) == ["apply-30_app"]
    results = simulate(workflow, mode="direct", layers=["30_app", "10_core"], fails=("apply-30_app",))
    assert ran(results) == ["apply-30_app"], "a skipped 20_infra must not let 10_core run after 30_app failed"
    results = simulate(
        workflow, mode="direct", layers=["30_app", "20_infra", "10_core"], fails=("apply-20_infra",)
    )
    assert ran(results) == ["apply-30_app", "apply-20_infra"]


def test_nothing_is_applied_after_a_failed_plan_a_cancel_or_in_pr_mode(workflow) -> None:
    everything = ["30_app", "20_infra", "10_core"]
    assert ran(simulate(workflow, mode="direct", layers=everything, fails=("direct-plan",))) == []
    assert ran(simulate(workflow, mode="direct", layers=everything, plan_fails=True)) == []
    assert simulate(workflow, mode="pr", layers=everything, plan_fails=True)["open-pr"] == "skipped"
    assert ran(simulate(workflow, mode="direct", layers=everything, cancelled=True)) == []
    results = simulate(workflow, mode="pr", layers=everything)
    assert ran(results) == [] and results["open-pr"] == "success"


# --- the linters -------------------------------------------------------------------------------


def _tool(name: str) -> str | None:
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which(name, path=search)


def test_zizmor_reports_nothing() -> None:
    zizmor = _tool("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed (pip install -e '.[dev]')")
    result = subprocess.run(
        [zizmor, "--offline", "--format", "json", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [] and result.returncode == 0, result.stdout + result.stderr


def test_the_github_workflow_schema_accepts_it() -> None:
    check = _tool("check-jsonschema")
    if check is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[dev]')")
    result = subprocess.run(
        [check, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- the on-call guide -------------------------------------------------------------------------


def test_the_guide_uses_only_commands_and_options_ttgate_has() -> None:
    """Every `ttgate GROUP COMMAND --option` in docs/rollback.md names a real command and option."""
    import click

    from ttgate.cli import main

    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", text, flags=re.S)
    lines = [line.split("#")[0] for block in blocks for line in block.replace("\\\n", " ").splitlines()]
    used = [line.strip() for line in lines if line.strip().startswith("ttgate ")]
    assert len(used) >= 6, used
    for line in used:
        words = line.split()
        group = main.commands.get(words[1])
        assert isinstance(group, click.Group), f"{line}: no command group {words[1]!r}"
        command = group.commands.get(words[2])
        assert command is not None, f"{line}: no command {words[1]} {words[2]}"
        known = {opt for param in command.params for opt in getattr(param, "opts", [])}
        for word in words[3:]:
            option = word.split("=")[0]
            if option.startswith("--"):
                assert option in known, f"{line}: {words[1]} {words[2]} has no option {option}"


@pytest.mark.parametrize(
    ("rollback_layers", "blocked"),
    [(["30_app"], True), (["20_infra"], False)],
    ids=["lock on a stack of the rollback", "lock elsewhere"],
)
def test_the_lock_preflight_covers_exactly_the_rollbacks_stacks(
    workflow: dict[str, Any], tmp_path: Path, rollback_layers: list[str], blocked: bool
) -> None:
    step = next(s for s in workflow["jobs"]["plan"]["steps"] if "ttgate locks list" in s.get("run", ""))
    script = step["run"].split("<<'PY'\n", 1)[1].rsplit("PY", 1)[0]
    locks = tmp_path / "locks.json"
    held = [{"layer": "30_app", "env": "dev", "id": "abc", "where": "dynamodb"}]
    locks.write_text(json.dumps({"locks": held}), encoding="utf-8")
    stacks = [{"layer": layer, "env": "dev"} for layer in rollback_layers]
    env = {
        **os.environ,
        "LOCKS_JSON": str(locks),
        "STACKS": json.dumps(stacks),
        "ENVIRONMENT": "dev",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == (1 if blocked else 0), done.stdout + done.stderr
    assert ("::error title=Terraform lock held::" in done.stdout) is blocked
