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
LAYERS = ["30_app", "20_infra", "10_core"]  # rollback order
APPLY_ORDER = [f"apply-{layer}" for layer in LAYERS]
PLAN_ORDER = [f"plan-{layer}" for layer in LAYERS]
READ_ONLY = {"contents": "read", "id-token": "write"}
JOB_PERMISSIONS = {
    "plan": READ_ONLY,
    "open-pr": {"contents": "write", "pull-requests": "write"},
    **{f"plan-{layer}": READ_ONLY for layer in LAYERS},
    **{f"apply-{layer}": {"id-token": "write"} for layer in LAYERS},
    "verify": READ_ONLY,
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


def test_layers_are_planned_and_applied_one_after_another_in_rollback_order(workflow) -> None:
    """Each layer's plan needs every earlier layer's plan and apply: it is made after they applied."""
    jobs = workflow["jobs"]
    earlier: list[str] = []
    for layer in LAYERS:
        plan, apply = jobs[f"plan-{layer}"], jobs[f"apply-{layer}"]
        assert plan["needs"] == ["plan", *earlier], layer
        assert apply["needs"] == ["plan", f"plan-{layer}"], layer
        for job in (plan, apply):
            assert "strategy" not in job, f"{layer}: a matrix would run the layers in parallel"
        assert "environment" not in plan  # no approval before anybody has seen the plan
        assert apply["environment"] == "${{ inputs.environment }}"
        earlier += [f"plan-{layer}", f"apply-{layer}"]
    assert "direct-plan" not in jobs, "every plan made before any apply reads stale outputs"


@pytest.mark.parametrize("layer", LAYERS)
def test_each_plan_job_restores_the_target_tree_publishes_checks_and_saves_its_plan(workflow, layer) -> None:
    job = workflow["jobs"][f"plan-{layer}"]
    assert job["env"]["LAYER"] == layer
    assert job["env"]["STACK_DIR"] == f"${{{{ fromJSON(needs.plan.outputs.directories)['{layer}'] }}}}"
    assert job["outputs"]["changes"] == "${{ steps.tfplan.outputs.changes }}"
    scripts = "\n".join(step.get("run", "") for step in job["steps"])
    assert 'git checkout --no-overlay "$TARGET" -- "$DEPLOY_PATH"' in scripts
    assert "terraform plan -input=false -lock=false -detailed-exitcode -out=tfplan" in scripts
    assert "terraform show -no-color tfplan" in scripts and "GITHUB_STEP_SUMMARY" in scripts
    assert 'ttgate rollback check-plan --layer "$LAYER"' in scripts
    [upload] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert upload["with"]["name"] == f"rollback-plan-${{{{ inputs.environment }}}}-{layer}"
    assert upload["with"]["overwrite"] is True  # a re-run plans again and saves its new plan
    check = next(i for i, s in enumerate(job["steps"]) if "check-plan" in s.get("run", ""))
    assert check < job["steps"].index(upload)  # a refused plan is never saved


@pytest.mark.parametrize("name", APPLY_ORDER)
def test_each_apply_job_applies_exactly_the_saved_plan_behind_the_environment(workflow, name) -> None:
    job = workflow["jobs"][name]
    layer = name.removeprefix("apply-")
    assert job["env"]["LAYER"] == layer
    assert job["environment"] == "${{ inputs.environment }}"
    assert f"needs.plan-{layer}.outputs.changes == 'true'" in job["if"]
    steps_ = job["steps"]
    [download] = [s for s in steps_ if str(s.get("uses", "")).startswith("actions/download-artifact@")]
    assert download["with"]["name"] == f"rollback-plan-${{{{ inputs.environment }}}}-{layer}"
    scripts = [step.get("run", "") for step in steps_]
    text = "\n".join(scripts)
    assert "terraform plan" not in text, "the apply job must not plan again"
    apply = next(i for i, script in enumerate(scripts) if "terraform apply" in script)
    assert "terraform apply -input=false tfplan" in scripts[apply]
    assert 'cd "$STACK_DIR"' in scripts[apply]  # the stack where it is at the target (moves included)
    assert "Re-run all jobs" in scripts[apply]  # the advice after a failure is the safe one
    assert steps_.index(download) < apply
    # The apply role is checked here, where environment-level variables are visible.
    assert any("AWS_ROLLBACK_APPLY_ROLE_ARN" in str(step.get("env", {})) for step in steps_)
    uses = [str(step.get("uses", "")) for step in steps_]
    assert any(ref.startswith("aws-actions/configure-aws-credentials@") for ref in uses)


def test_ttgate_is_installed_from_this_commit_with_hashes_never_by_name(workflow) -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "==0.1.0" not in text and "TTGATE_REQUIREMENT" not in text
    for name, job in workflow["jobs"].items():
        scripts = [step.get("run", "") for step in job.get("steps", [])]
        uses_ttgate = any(re.search(r"^\s*ttgate |\bfrom ttgate\b", script, re.M) for script in scripts)
        installs = [script for script in scripts if "pip install" in script]
        if uses_ttgate:
            assert len(installs) == 1, name
        for script in installs:
            assert "--require-hashes" in script and "--no-deps" in script and "--only-binary :all:" in script
            assert '-r "$lock"' in script and 'lock="$TTGATE_SOURCE/requirements/operations.lock"' in script
            assert "ttgate[" not in script
    assert workflow["env"]["TTGATE_SOURCE"] == "."


def test_the_operations_lock_pins_and_hashes_everything_ttgate_aws_and_github_need() -> None:
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = [Requirement(text) for text in project["dependencies"] + extras["github"] + extras["aws"]]
    lock = (ROOT / "requirements" / "operations.lock").read_text(encoding="utf-8")
    pins: dict[str, str] = {}
    for entry in re.split(r"\n(?=\S)", lock):
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", entry)
        if match:
            assert "--hash=sha256:" in entry, match.group(1)
            pins[canonicalize_name(match.group(1))] = match.group(2)
    for requirement in wanted:
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None and pinned in requirement.specifier, requirement
    action = (ROOT / "requirements" / "action.lock").read_text(encoding="utf-8")
    for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", action, re.M):
        assert pins.get(canonicalize_name(name)) == version, f"{name}: the two locks disagree"


def test_checkouts_do_not_persist_the_token(workflow) -> None:
    for job, step in steps(workflow):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, job


# --- the conditions, evaluated -----------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op>&&|\|\||==|!=|!|\(|\)|,)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.(?:[A-Za-z0-9_-]+|\*))*))"
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
            if part == "*":  # an object filter: the values of every key, as a list
                value = list(value.values()) if isinstance(value, dict) else []
            elif isinstance(value, list):
                value = [item.get(part) if isinstance(item, dict) else None for item in value]
            else:
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
    unchanged: tuple[str, ...] = (),
) -> dict[str, str]:
    """Each job's result, as GitHub would decide it, when the jobs in ``fails`` fail if they run and
    the layers in ``unchanged`` plan no changes."""
    inputs = {"mode": mode, "environment": "prod", "layers": "auto", "commit": "1a2b3c4", "reason": "x"}
    results: dict[str, str] = {}
    jobs = workflow["jobs"]
    pending = list(jobs)

    def outputs(job: str) -> dict[str, str]:
        if results[job] != "success":
            return {}
        if job == "plan":
            return {"layers": json.dumps(layers)}
        if job.startswith("plan-"):
            return {"changes": "false" if job.removeprefix("plan-") in unchanged else "true"}
        return {}

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
            "needs": {need: {"result": results[need], "outputs": outputs(need)} for need in needs},
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
    results = simulate(workflow, mode="direct", layers=LAYERS)
    assert ran(results) == APPLY_ORDER
    assert [name for name in PLAN_ORDER if results[name] == "success"] == PLAN_ORDER
    assert results["open-pr"] == "skipped" and results["verify"] == "success"


def test_a_layer_not_in_the_plan_is_skipped_and_the_next_still_runs(workflow) -> None:
    results = simulate(workflow, mode="direct", layers=["30_app", "10_core"])
    assert ran(results) == ["apply-30_app", "apply-10_core"]
    results = simulate(workflow, mode="direct", layers=["10_core"])
    assert ran(results) == ["apply-10_core"]
    results = simulate(workflow, mode="direct", layers=["20_infra"])
    assert ran(results) == ["apply-20_infra"]


def test_a_layer_without_changes_asks_no_approval_and_the_next_still_runs(workflow) -> None:
    results = simulate(workflow, mode="direct", layers=LAYERS, unchanged=("30_app",))
    assert ran(results) == ["apply-20_infra", "apply-10_core"]
    assert results["plan-20_infra"] == "success" and results["verify"] == "success"


def test_a_failed_layer_stops_every_later_one(workflow) -> None:
    results = simulate(workflow, mode="direct", layers=LAYERS, fails=("apply-30_app",))
    assert ran(results) == ["apply-30_app"]
    assert results["plan-20_infra"] == "skipped" and results["verify"] == "skipped"
    results = simulate(workflow, mode="direct", layers=["30_app", "10_core"], fails=("apply-30_app",))
    assert ran(results) == ["apply-30_app"], "a skipped 20_infra must not let 10_core run after 30_app failed"
    results = simulate(workflow, mode="direct", layers=LAYERS, fails=("apply-20_infra",))
    assert ran(results) == ["apply-30_app", "apply-20_infra"]
    results = simulate(workflow, mode="direct", layers=LAYERS, fails=("plan-20_infra",))
    assert ran(results) == ["apply-30_app"]


def test_re_running_all_jobs_after_a_partial_apply_plans_again_and_asks_only_what_is_left(workflow) -> None:
    """The guide's advice after a failed layer: Re-run all jobs. 30_app was applied before 20_infra
    failed half-way: the re-run plans every layer again from the state as it now is, so no stale saved
    plan is ever applied; 30_app plans no changes and asks no approval, 20_infra and 10_core go on."""
    first = simulate(workflow, mode="direct", layers=LAYERS, fails=("apply-20_infra",))
    assert ran(first) == ["apply-30_app", "apply-20_infra"]
    again = simulate(workflow, mode="direct", layers=LAYERS, unchanged=("30_app",))
    assert [name for name in PLAN_ORDER if again[name] == "success"] == PLAN_ORDER  # every plan made anew
    assert ran(again) == ["apply-20_infra", "apply-10_core"]
    guide = DOC.read_text(encoding="utf-8")
    assert "Re-run all jobs" in guide
    assert not re.search(r"then \*Re-run failed jobs\*", guide)


def test_nothing_is_applied_after_a_failed_plan_a_cancel_or_in_pr_mode(workflow) -> None:
    assert ran(simulate(workflow, mode="direct", layers=LAYERS, fails=("plan-30_app",))) == []
    assert ran(simulate(workflow, mode="direct", layers=LAYERS, plan_fails=True)) == []
    assert simulate(workflow, mode="pr", layers=LAYERS, plan_fails=True)["open-pr"] == "skipped"
    assert ran(simulate(workflow, mode="direct", layers=LAYERS, cancelled=True)) == []
    results = simulate(workflow, mode="pr", layers=LAYERS)
    assert ran(results) == [] and results["open-pr"] == "success"
    assert all(results[name] == "skipped" for name in [*PLAN_ORDER, "verify"])


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


def _python_of(step: dict[str, Any]) -> str:
    return str(step["run"]).split("<<'PY'\n", 1)[1].rsplit("PY", 1)[0]


def test_a_lock_holders_text_writes_no_workflow_command_in_the_preflight(
    workflow: dict[str, Any], tmp_path: Path
) -> None:
    step = next(s for s in workflow["jobs"]["plan"]["steps"] if "ttgate locks list" in s.get("run", ""))
    who = "mallory\n::error title=Rollback::all clear\r\n::add-mask::x %0A"
    held = [{"layer": "30_app", "env": "dev", "id": "abc", "where": "dynamodb", "who": who}]
    (tmp_path / "locks.json").write_text(json.dumps({"locks": held}), encoding="utf-8")
    env = {
        **os.environ,
        "LOCKS_JSON": str(tmp_path / "locks.json"),
        "STACKS": json.dumps([{"layer": "30_app", "env": "dev"}]),
        "ENVIRONMENT": "dev",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    done = subprocess.run(
        [sys.executable, "-c", _python_of(step)], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, done.stderr
    commands = [line for line in done.stdout.splitlines() if line.lstrip().startswith("::")]
    assert len(commands) == 1 and commands[0].startswith("::error title=Terraform lock held::"), commands
    assert "mallory\\x0a::error" in commands[0] and "%250A" in commands[0]
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert not any(line.lstrip().startswith("::") for line in summary.splitlines())


def test_the_plan_summary_names_a_moved_stack_and_its_directory(
    workflow: dict[str, Any], tmp_path: Path
) -> None:
    step = next(s for s in workflow["jobs"]["plan"]["steps"] if s.get("id") == "plan")
    plan = {
        "path": "practice/deploy",
        "target": "a" * 40,
        "head": "b" * 40,
        "stacks": [
            {
                "layer": "30_app",
                "env": "prod",
                "directory": "practice/deploy/30_app/environments/prod",
                "moved_from": "practice/deploy/apps/30_app/environments/prod",
                "files": ["practice/deploy/30_app/environments/prod/main.tf"],
            }
        ],
        "warnings": ["stack 30_app/prod moved from a to b since\n::error::forged"],
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    env = {
        **os.environ,
        "PLAN_JSON": str(tmp_path / "plan.json"),
        "ENVIRONMENT": "prod",
        "MODE": "direct",
        "REASON": "INC-1",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    done = subprocess.run(
        [sys.executable, "-c", _python_of(step)], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "(moved back from `practice/deploy/apps/30_app/environments/prod`)" in summary
    assert not any(line.lstrip().startswith("::") for line in summary.splitlines() + done.stdout.splitlines())
    outputs = (tmp_path / "output").read_text(encoding="utf-8")
    assert 'directories={"30_app":"practice/deploy/30_app/environments/prod"}' in outputs
