"""action.yml, run as a runner runs a composite action, against a local stand-in for the GitHub API.

The runner's part is small and done here honestly: each step's `env:` and `with:` expressions are
evaluated from the contexts (`inputs` with their defaults, `github`, `runner`, `steps.<id>.outputs`); an
expression of any other form fails the test, so the action cannot grow one this test does not
understand. `if:` is evaluated in the forms the action uses (`always()`, `&&`, `==`/`!=` against a
string); a step without `always()` runs only while no step has failed, and `continue-on-error` keeps a
failure from counting. Each `run:` step gets fresh GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files (read as
the runner reads them: a later value replaces an earlier, a malformed line fails the test), runs under
`bash --noprofile --norc -eo pipefail` (what `shell: bash` runs) in the repository root. The `uses:`
steps are simulated by :class:`Services`: actions/cache/restore and save keep directories (exact key,
else the newest entry with a restore key's prefix), upload-artifact answers a URL or fails as on GitHub
Enterprise Server. Most tests point the action's documented TTGATE_VENV hook at the virtualenv running the
tests; the install tests install for real from the lock.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from tests.expectations import count, examples_failing
from tests.github.github_server import Answer, json_server
from ttgate.cli import main
from ttgate.github.comment import is_own_comment

REPO = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
VENV_BIN = Path(sys.prefix) / "bin"
OWNER_REPO = "octo/infra"
PR_NUMBER = 42
HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"
ARTIFACT_URL = f"https://github.example/{OWNER_REPO}/actions/runs/777/artifacts/42"
TOKEN = "ghs_testtoken"
PULL_URL = f"https://github.example/{OWNER_REPO}/pull/{PR_NUMBER}"

# ----------------------------------------------------------------------------- expressions


class UnsupportedExpression(AssertionError):
    """An expression this evaluator does not understand: the action must not use it untested."""


_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_PROPERTY_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_-]*)+$")


def evaluate(expression: str, contexts: Mapping[str, Any]) -> str:
    """A property path such as `inputs.fail-on` or `steps.check.outputs.errors`: nothing else.

    A missing step output is '' (as on GitHub); an unknown context, input, step or github property is
    an error, so a typo fails the test instead of quietly becoming ''.
    """
    text = expression.strip()
    if not _PROPERTY_PATH.match(text):
        raise UnsupportedExpression(f"unsupported expression: ${{{{ {text} }}}}")
    root, *names = text.split(".")
    if root not in contexts:
        raise UnsupportedExpression(f"unknown context {root!r} in ${{{{ {text} }}}}")
    value: Any = contexts[root]
    if root == "steps":
        step_id, *rest = names
        if step_id not in value:
            raise UnsupportedExpression(f"step {step_id!r} has not run before ${{{{ {text} }}}}")
        if rest[:1] != ["outputs"] or len(rest) != 2:
            raise UnsupportedExpression(f"only steps.<id>.outputs.<name> is supported: {text}")
        return str(value[step_id]["outputs"].get(rest[1], ""))
    for name in names:
        if not isinstance(value, Mapping) or name not in value:
            raise UnsupportedExpression(f"no value for ${{{{ {text} }}}}")
        value = value[name]
    return "" if value is None else str(value)


def substitute(text: str, contexts: Mapping[str, Any]) -> str:
    return _EXPRESSION.sub(lambda match: evaluate(match.group(1), contexts), text)


def test_evaluator_refuses_what_it_does_not_understand() -> None:
    contexts = {"inputs": {"path": "x"}, "steps": {"a": {"outputs": {"n": "1"}}}, "github": {}}
    assert substitute("${{ inputs.path }}/${{ steps.a.outputs.n }}", contexts) == "x/1"
    assert substitute("${{ steps.a.outputs.missing }}", contexts) == ""
    for bad in (
        "${{ format('{0}', inputs.path) }}",
        "${{ inputs.path || 'x' }}",
        "${{ matrix.layer }}",
        "${{ inputs.nope }}",
        "${{ steps.b.outputs.n }}",
        "${{ github.token }}",
    ):
        with pytest.raises(UnsupportedExpression):
            substitute(bad, contexts)


# ----------------------------------------------------------------------------- the API stand-in


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    """Answers the repository, pull request and issue-comment endpoints the way GitHub does."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        base = f"{self.url}/repos/{OWNER_REPO}"
        user = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
        route = path.split("?")[0]
        if method == "POST" and route == "/graphql":
            return 200, {"data": {"viewer": {"login": user["login"]}}}
        if method == "GET" and route == f"/repos/{OWNER_REPO}":
            return 200, {"id": 1, "name": "infra", "full_name": OWNER_REPO, "url": base, "owner": user}
        if route in (f"/repos/{OWNER_REPO}/pulls/{PR_NUMBER}", f"/repos/{OWNER_REPO}/issues/{PR_NUMBER}"):
            return 200, {
                "number": PR_NUMBER,
                "url": f"{self.url}{route}",
                "html_url": PULL_URL,
                "head": {"sha": HEAD_SHA, "repo": {"full_name": OWNER_REPO}},
                "pull_request": {"url": f"{base}/pulls/{PR_NUMBER}"},
                "state": "open",
            }
        if route == f"/repos/{OWNER_REPO}/issues/{PR_NUMBER}/comments":
            if method == "GET":
                return 200, self.comments
            if method == "POST":
                number = len(self.comments) + 1
                comment = {
                    "id": 1000 + number,
                    "body": body["body"],
                    "user": user,
                    "url": f"{base}/issues/comments/{1000 + number}",
                    "html_url": f"{PULL_URL}#issuecomment-{1000 + number}",
                    "created_at": "2026-01-01T00:00:00Z",
                    "updated_at": "2026-01-01T00:00:00Z",
                }
                self.comments.append(comment)
                return 201, comment
        return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serve_fake_github() as fake:
        yield fake


@contextmanager
def serve_fake_github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()

    def answer(method: str, target: str, headers: dict[str, str], body: Any) -> Answer:
        fake.requests.append(Request(method, target, headers, body))
        status, answer = fake.answer(method, target, body)
        return status, answer, {}

    with json_server(answer) as url:
        fake.url = url
        yield fake


# ----------------------------------------------------------------------------- the runner


@dataclass
class StepRun:
    id: str | None
    name: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    seconds: float = 0.0  # wall time (benchmarks/bench_action.py reports it)
    cpu: float = 0.0  # user + system time of the step's processes (the same on a busy machine)


@dataclass
class ActionRun:
    steps: list[StepRun]  # the `run:` steps that ran
    outputs: dict[str, str]
    summary: str
    used: list[tuple[str, str]] = field(default_factory=list)  # (name, outcome) of the `uses:` steps

    @property
    def returncode(self) -> int:
        """The composite's result: the first failure of a step without continue-on-error, else 0."""
        return next((step.returncode for step in self.steps if step.returncode != 0), 0)

    def step(self, step_id: str) -> StepRun:
        return next(step for step in self.steps if step.id == step_id)

    @property
    def log(self) -> str:
        return "".join(f"--- {step.name}\n{step.stdout}{step.stderr}" for step in self.steps)


def read_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it: `name=value` when `=` comes before any `<<`, else
    `name<<DELIMITER` ... `DELIMITER`; any other line fails the step; a later value replaces an earlier."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").split("\n"))
    for line in lines:
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals != -1 and (heredoc == -1 or equals < heredoc):
            outputs[line[:equals]] = line[equals + 1 :]
            continue
        assert heredoc != -1, f"GITHUB_OUTPUT: not an output: {line!r}"
        name, delimiter = line[:heredoc], line[heredoc + 2 :]
        value: list[str] = []
        for item in lines:
            if item == delimiter:
                break
            value.append(item)
        else:
            raise AssertionError(f"GITHUB_OUTPUT: {name} has no closing {delimiter}")
        outputs[name] = "\n".join(value)
    return outputs


_COMPARISON = re.compile(r"^(?P<left>[A-Za-z_][A-Za-z0-9_.-]*)\s*(?P<op>==|!=)\s*'(?P<right>[^']*)'$")


def condition(text: str | None, contexts: Mapping[str, Any], failed: bool) -> bool:
    """A step's `if:` in the forms action.yml uses: terms joined by `&&`, each `always()` or
    `PROPERTY == 'TEXT'` / `!=`. Without `always()`, a step runs only while nothing has failed."""
    if text is None:
        return not failed
    terms = [term.strip() for term in text.split("&&")]
    result = "always()" in terms or not failed
    for term in terms:
        if term == "always()":
            continue
        match = _COMPARISON.match(term)
        if not match:
            raise UnsupportedExpression(f"unsupported if: {text}")
        value = evaluate(match["left"], contexts)
        result = result and ((value == match["right"]) == (match["op"] == "=="))
    return result


@dataclass
class Services:
    """What the runner's `uses:` steps do here: actions/cache keeps directories in ``store`` (restore:
    the exact key, else the newest entry starting with a restore key); upload-artifact says where the
    file went, or fails as on GitHub Enterprise Server or with the artifact quota used up."""

    store: dict[str, Path] = field(default_factory=dict)
    root: Path | None = None
    artifact_fails: bool = False
    uploads: list[str] = field(default_factory=list)  # artifact names
    restored: list[str] = field(default_factory=list)  # cache keys restored

    def use(self, uses: str, with_: dict[str, str]) -> tuple[bool, dict[str, str]]:
        action = uses.split("@", 1)[0]
        if action == "actions/upload-artifact":
            if self.artifact_fails:
                return False, {}
            self.uploads.append(with_["name"])
            return True, {"artifact-url": ARTIFACT_URL} if Path(with_["path"]).is_file() else {}
        assert with_["path"], f"{uses}: no path"  # GitHub fails the step; here, a broken action.yml
        path = Path(with_["path"])
        if action == "actions/cache":  # restore now, save after the job: here, always a miss
            return True, {"cache-hit": "false"}
        if action == "actions/cache/restore":
            key = with_["key"]
            prefixes = [line for line in with_.get("restore-keys", "").splitlines() if line]
            hit = self.store.get(key)
            if hit is None:
                matches = [k for k in self.store if any(k.startswith(prefix) for prefix in prefixes)]
                hit = self.store[matches[-1]] if matches else None
            if hit is not None:
                self.restored.append(next(k for k, v in self.store.items() if v == hit))
                shutil.rmtree(path, ignore_errors=True)
                shutil.copytree(hit, path, symlinks=True)
            return True, {"cache-hit": "true" if key in self.store else "false"}
        if action == "actions/cache/save":
            if not path.exists() or with_["key"] in self.store:
                return False, {}  # GitHub: a warning, the step's outcome is failure
            assert self.root is not None
            copy = Path(tempfile.mkdtemp(dir=self.root, prefix="cache-")) / "entry"
            shutil.copytree(path, copy, symlinks=True)
            self.store[with_["key"]] = copy
            return True, {}
        raise AssertionError(f"a uses: step this runner does not know: {uses}")


def pull_request_event(path: Path) -> Path:
    event = {
        "action": "synchronize",
        "number": PR_NUMBER,
        "pull_request": {
            "number": PR_NUMBER,
            "head": {"sha": HEAD_SHA, "repo": {"full_name": OWNER_REPO, "fork": False}},
            "base": {"repo": {"full_name": OWNER_REPO}},
        },
        "repository": {"full_name": OWNER_REPO},
    }
    path.write_text(json.dumps(event), encoding="utf-8")
    return path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_action(
    tmp_path: Path,
    with_: Mapping[str, str],
    api_url: str = "http://127.0.0.1:9",
    extra_env: Mapping[str, str] | None = None,
    event: Path | None = None,
    action_path: Path = REPO,
    until: str | None = None,
    services: Services | None = None,
) -> ActionRun:
    """Run action.yml's steps as the runner would, from the repository root; ``until``: stop after the
    step with that id (the later steps do not run and have no outputs)."""
    services = services or Services()
    services.root = services.root or tmp_path
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    if event is None:
        event = pull_request_event(tmp_path / "event.json")
    declared = ACTION["inputs"]
    unknown = set(with_) - set(declared)
    assert not unknown, f"not inputs of action.yml: {unknown}"
    github_context = {
        "action_path": str(action_path),
        "token": TOKEN,
        "workflow": "PR gate",
        "job": "gate",
        "repository": OWNER_REPO,
        "workspace": str(REPO),
        "event_name": "pull_request",
    }
    contexts: dict[str, Any] = {
        "github": github_context,
        "runner": {"temp": str(runner_temp), "os": "Linux"},
        "steps": {},
    }
    contexts["inputs"] = {
        name: substitute(str(spec.get("default", "")), contexts) for name, spec in declared.items()
    } | dict(with_)
    base_env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTION_PATH": str(REPO),
        "GITHUB_API_URL": api_url,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": OWNER_REPO,
        "GITHUB_WORKFLOW": "PR gate",
        "GITHUB_JOB": "gate",
        "GITHUB_RUN_ID": "777",
        "GITHUB_SHA": HEAD_SHA,
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_WORKSPACE": str(REPO),
        "RUNNER_TEMP": str(runner_temp),
        "RUNNER_OS": "Linux",
        # The code under test, not whatever the virtualenv's ttgate was installed from.
        "PYTHONPATH": str(REPO / "src"),
    } | dict(extra_env or {})
    steps: list[StepRun] = []
    used: list[tuple[str, str]] = []
    summary = ""
    failed = False
    env_file = tmp_path / "github-env"
    env_file.write_text("", encoding="utf-8")
    for index, step in enumerate(ACTION["runs"]["steps"]):
        keys = {"name", "id", "shell", "env", "run", "uses", "with", "if", "continue-on-error"}
        assert set(step) <= keys, f"step {index}: unsupported keys {set(step)}"
        if not condition(step.get("if"), contexts, failed):
            if step.get("id"):  # a skipped step's outputs are empty
                contexts["steps"][step["id"]] = {"outputs": {}}
            continue
        if "uses" in step:
            with_values = {name: substitute(str(value), contexts) for name, value in step["with"].items()}
            ok, outputs = services.use(step["uses"], with_values)
            used.append((step["name"], "success" if ok else "failure"))
            if step.get("id"):
                contexts["steps"][step["id"]] = {"outputs": outputs}
            if not ok and not step.get("continue-on-error"):
                failed = True
            continue
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], f"step {index}: an expression inside run:"
        env = base_env | {
            name: substitute(str(value), contexts) for name, value in step.get("env", {}).items()
        }
        output_file = tmp_path / f"output-{index}"
        summary_file = tmp_path / f"summary-{index}"
        output_file.write_text("", encoding="utf-8")
        summary_file.write_text("", encoding="utf-8")
        env |= {
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary_file),
            "GITHUB_ENV": str(env_file),
        }
        script = tmp_path / f"step-{index}.sh"
        script.write_text(step["run"], encoding="utf-8")
        started, cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        outputs = read_outputs(output_file)
        summary += summary_file.read_text(encoding="utf-8")
        returncode = 0 if step.get("continue-on-error") else done.returncode
        steps.append(
            StepRun(
                step.get("id"),
                step["name"],
                returncode,
                done.stdout,
                done.stderr + (f"(continue-on-error: exit {done.returncode})" if done.returncode else ""),
                outputs,
                time.perf_counter() - started,
                _children_cpu() - cpu,
            )
        )
        if step.get("id"):
            contexts["steps"][step["id"]] = {"outputs": outputs}
        if returncode != 0:
            failed = True  # later steps run only when their if: says always()
        if until is not None and step.get("id") == until:
            break
    for step in ACTION["runs"]["steps"]:  # steps that did not run have no outputs
        if step.get("id"):
            contexts["steps"].setdefault(step["id"], {"outputs": {}})
    action_outputs = {name: substitute(spec["value"], contexts) for name, spec in ACTION["outputs"].items()}
    assert env_file.read_text(encoding="utf-8") == "", "the action writes nothing to GITHUB_ENV"
    return ActionRun(steps, action_outputs, summary, used)


def use_this_venv() -> dict[str, str]:
    if not (VENV_BIN / "ttgate").exists():
        pytest.skip(f"ttgate is not installed in {sys.prefix} (run in the project's virtualenv)")
    return {"TTGATE_VENV": sys.prefix}


# ----------------------------------------------------------------------------- the real thing


@pytest.mark.action
def test_failing_example_annotates_summarises_comments_and_fails(tmp_path: Path, github: FakeGitHub) -> None:
    run = run_action(tmp_path, {"path": "examples/failing"}, github.url, use_this_venv())

    assert [step.id for step in run.steps] == ["prepare", "install", "check", "comment", "review", None], (
        run.log
    )
    assert run.returncode == 1, run.log
    errors = int(run.outputs["errors"])
    assert errors == count(examples_failing(), "error")
    assert int(run.outputs["warnings"]) == count(examples_failing(), "warning")
    assert run.outputs["suppressed"] == "0"
    report = json.loads(Path(run.outputs["json-report"]).read_text(encoding="utf-8"))
    assert report["summary"]["errors"] == errors
    sarif = json.loads(Path(run.outputs["sarif-file"]).read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert len(sarif["runs"][0]["results"]) == len(report["findings"])
    sarif_path = Path(run.outputs["sarif-file"])
    assert sarif_path.name == "ttgate.sarif" and sarif_path.parent.parent == tmp_path / "runner-temp"
    assert sarif_path.parent == Path(run.outputs["json-report"]).parent  # one directory per run

    annotations = run.step("check").stdout.splitlines()
    assert any(line.startswith("::error file=examples/failing/practice/deploy/") for line in annotations)
    assert any(line.startswith("::warning file=examples/failing/") for line in annotations)
    assert f"### ❌ ttgate: {errors} errors" in run.summary

    posts = [
        request for request in github.requests if request.method == "POST" and request.path != "/graphql"
    ]
    assert len(posts) == 1, [(r.method, r.path) for r in github.requests]
    assert posts[0].headers.get("Authorization", "").endswith(TOKEN)
    body = posts[0].body["body"]
    assert is_own_comment(body, "PR gate/gate/examples/failing")  # default key: workflow, job and path
    for rule in ("TG101", "TG102", "TG201", "TG203", "TG204", "TG301"):
        assert rule in body
    assert HEAD_SHA in body  # file links at the PR's head commit
    # the JSON report kept with the run is the full report the comment links to
    assert f"[an artifact of the workflow run]({ARTIFACT_URL})" in body
    assert run.outputs["comment-url"] == github.comments[0]["html_url"]
    comments_api = f"/repos/{OWNER_REPO}/issues/{PR_NUMBER}/comments"
    # The comment's requests; then ttgate review's (this fake has no review endpoints: a warning, exit 0).
    assert run.step("review").returncode == 0, run.log
    assert [(r.method, r.path.split("?")[0]) for r in github.requests if "/pulls/" not in r.path] == [
        ("POST", "/graphql"),  # whose token this is: only its own comments are ttgate's
        ("GET", comments_api),  # look for this key's comment first
        ("POST", comments_api),
        ("GET", comments_api),  # look again: a run at the same time may have posted too
    ]


@pytest.mark.action
def test_two_uses_in_one_job_keep_separate_sarif_files(tmp_path: Path, github: FakeGitHub) -> None:
    # The same RUNNER_TEMP, as in one job: the second run must not overwrite the first one's SARIF.
    first = run_action(
        tmp_path, {"path": "examples/failing", "comment": "never"}, github.url, use_this_venv()
    )
    second = run_action(
        tmp_path, {"path": "examples/passing", "comment": "never"}, github.url, use_this_venv()
    )
    assert first.outputs["sarif-file"] != second.outputs["sarif-file"]
    first_results = json.loads(Path(first.outputs["sarif-file"]).read_text(encoding="utf-8"))
    assert first_results["runs"][0]["results"]  # still the failing example's findings


@pytest.mark.action
def test_fail_on_never_and_comment_never(tmp_path: Path, github: FakeGitHub) -> None:
    run = run_action(
        tmp_path,
        {"path": "examples/failing", "fail-on": "never", "comment": "never"},
        github.url,
        use_this_venv(),
    )
    assert run.returncode == 0, run.log
    assert int(run.outputs["errors"]) > 0
    assert run.outputs["comment-url"] == ""
    assert github.requests == []
    assert "::error file=examples/failing/" in run.step("check").stdout


@pytest.mark.action
def test_passing_example_passes_without_a_comment(tmp_path: Path, github: FakeGitHub) -> None:
    run = run_action(tmp_path, {"path": "examples/passing"}, github.url, use_this_venv())
    assert run.returncode == 0, run.log
    assert [run.outputs[name] for name in ("errors", "warnings", "notices")] == ["0", "0", "0"]
    assert "::error" not in run.step("check").stdout
    writes = [request for request in github.requests if request.method in ("POST", "PATCH", "DELETE")]
    assert [request.path for request in writes] == ["/graphql"]  # only asked whose token it is
    assert run.outputs["comment-url"] == ""


@pytest.mark.action
def test_outside_a_pull_request_a_notice_and_the_check_decides(tmp_path: Path, github: FakeGitHub) -> None:
    push = tmp_path / "push.json"
    push.write_text(json.dumps({"ref": "refs/heads/main", "after": HEAD_SHA}), encoding="utf-8")
    env = use_this_venv() | {"GITHUB_EVENT_NAME": "push"}
    run = run_action(tmp_path, {"path": "examples/failing"}, github.url, env, event=push)
    assert [step.id for step in run.steps] == ["prepare", "install", "check", "comment", "review", None], (
        run.log
    )
    assert run.step("comment").returncode == 0
    assert run.step("comment").stdout == (
        "::notice title=ttgate comment::"
        "this run is not for a pull request, so there is no comment to write.\n"
    )
    assert "warning" not in run.step("comment").stderr and not github.requests
    assert not [request for request in github.requests if request.method == "POST"]
    assert run.returncode == 1


def test_an_input_error_stops_the_gate_with_status_2(tmp_path: Path, github: FakeGitHub) -> None:
    run = run_action(tmp_path, {"path": "examples/no-such-dir"}, github.url, use_this_venv())
    assert run.returncode == 2, run.log
    assert run.outputs["json-report"] == "" and run.outputs["errors"] == ""
    assert "no such file or directory" in run.step("check").stderr
    assert "ttgate check could not run" in run.summary
    assert github.requests == []


# ----------------------------------------------------------------------------- inputs reach ttgate as data

STUB_TTGATE = """#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[:1] == ["--version"]:
    print("ttgate, version stub")
elif args[:1] == ["check"]:
    for index, arg in enumerate(args):
        if arg == "--format" and ":" in args[index + 1]:
            name, path = args[index + 1].split(":", 1)
            counts = {"errors": 0, "warnings": 0, "notices": 0, "suppressed": 0}
            texts = {"json": json.dumps({"summary": counts}), "markdown": "## stub\\n", "sarif": "{}"}
            open(path, "w").write(texts[name])
elif args[:1] == ["github-outputs"]:
    open(os.environ["GITHUB_OUTPUT"], "a").write("errors=0\\nwarnings=0\\nnotices=0\\nsuppressed=0\\n")
"""


def stub_venv(tmp_path: Path) -> tuple[Path, Path]:
    venv = tmp_path / "stub-venv"
    (venv / "bin").mkdir(parents=True)
    ttgate = venv / "bin" / "ttgate"
    ttgate.write_text(STUB_TTGATE.replace("python3", sys.executable, 1), encoding="utf-8")
    ttgate.chmod(0o755)
    return venv, tmp_path / "calls.jsonl"


def calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_inputs_are_split_trimmed_and_never_run_as_shell(tmp_path: Path) -> None:
    venv, log = stub_venv(tmp_path)
    hostile = 'x"; touch pwned-quote; echo "'
    out_dir = REPO / "out"  # sarif-file is relative: to the workspace, the repository root here
    assert not out_dir.exists()
    try:
        run = run_action(
            tmp_path,
            {
                "path": "practice/deploy\n  modules $(touch pwned-subst)  ",
                "plans": "\n  20_infra/dev=plans/20_infra/plan.json  \n\n"
                f"30_app/dev=plans/30 app.json\n{hostile}\n",
                "policy": "`touch pwned-backtick`.yml",
                "comment": "never",
                "fail-on": "warning",
                "sarif-file": "out/gate.sarif",
            },
            extra_env={"TTGATE_VENV": str(venv), "STUB_LOG": str(log)},
        )
        assert run.returncode == 0, run.log
        check = next(args for args in calls(log) if args[:1] == ["check"])
        out = Path(run.outputs["json-report"]).parent
        assert check == [
            "check",
            "practice/deploy",
            "modules",
            "$(touch",
            "pwned-subst)",
            "--plan",
            "20_infra/dev=plans/20_infra/plan.json",
            "--plan",
            "30_app/dev=plans/30 app.json",
            "--plan",
            hostile,
            "--policy",
            "`touch pwned-backtick`.yml",
            "--fail-on",
            "warning",
            "--format",
            "github",
            "--format",
            f"json:{out}/report.json",
            "--format",
            f"sarif:{REPO}/out/gate.sarif",
            "--format",
            f"markdown:{out}/summary.md",
        ]
        assert not list(REPO.glob("pwned*")) and not list(tmp_path.glob("pwned*"))
        assert run.outputs["sarif-file"] == f"{REPO}/out/gate.sarif"
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def test_the_comment_step_gets_key_mode_report_and_token(tmp_path: Path) -> None:
    venv, log = stub_venv(tmp_path)
    run = run_action(
        tmp_path,
        {"path": "examples/failing", "comment": "always", "comment-key": "dev $(id)", "github-token": "t0k"},
        extra_env={"TTGATE_VENV": str(venv), "STUB_LOG": str(log)},
    )
    assert run.returncode == 0, run.log
    comment = next(args for args in calls(log) if args[:1] == ["comment"])
    assert comment == [
        "comment",
        "--report",
        run.outputs["json-report"],
        "--key",
        "dev $(id)",
        "--mode",
        "always",
        "--details-url",
        f"https://github.example/{OWNER_REPO}/actions/runs/777",
        "--report-url",
        ARTIFACT_URL,
    ]


def test_a_failing_comment_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    venv, log = stub_venv(tmp_path)
    ttgate = venv / "bin" / "ttgate"
    ttgate.write_text(
        ttgate.read_text(encoding="utf-8") + 'if args[:1] == ["comment"]:\n    sys.exit(2)\n',
        encoding="utf-8",
    )
    run = run_action(
        tmp_path, {"path": "examples/failing"}, extra_env={"TTGATE_VENV": str(venv), "STUB_LOG": str(log)}
    )
    assert run.returncode == 0
    assert (
        "::warning title=ttgate::the pull request comment could not be written" in run.step("comment").stdout
    )


# ----------------------------------------------------------------------------- the install step


@pytest.mark.action
def test_install_is_hash_checked_cached_verified_and_never_trusted_blindly(tmp_path: Path) -> None:
    """For real: pip installs requirements/action.lock with --require-hashes into RUNNER_TEMP and the
    cache saves it; a new runner restores it, verifies it against its manifest and installs nothing; a
    cache entry with a planted .pth (or a changed file) is installed again, and the planted code never
    runs."""
    services = Services()
    runner_temp = tmp_path / "runner-temp"
    venv = runner_temp / "ttgate-venv"
    run = run_action(tmp_path, {"comment": "off", "path": "examples/passing"}, services=services)
    install = run.step("install")
    assert install.returncode == 0, run.log
    assert install.outputs["installed"] == "true"
    assert Path(install.outputs["bin"]).parent == runner_temp  # the launcher: outside the cached venv
    assert "Installing ttgate's locked dependencies" in install.stdout
    assert ("Save the ttgate virtualenv", "success") in run.used
    assert run.returncode == 0, run.log

    shutil.rmtree(runner_temp)  # a new runner: only the cache carries the virtualenv over
    again = run_action(tmp_path, {"comment": "off", "path": "examples/passing"}, services=services)
    assert "Using the cached virtualenv" in again.step("install").stdout, again.log
    assert "installed" not in again.step("install").outputs
    assert again.returncode == 0

    (saved,) = [path for key, path in services.store.items() if "ttgate-venv" in key]
    (site,) = saved.glob("lib/python3*/site-packages")
    pwned = tmp_path / "pwned"
    (site / "zz-planted.pth").write_text(f"import pathlib; pathlib.Path({str(pwned)!r}).touch()\n")
    shutil.rmtree(runner_temp)
    poisoned = run_action(tmp_path, {"comment": "off", "path": "examples/passing"}, services=services)
    install = poisoned.step("install")
    assert "The cached virtualenv is not used (1 file(s) the install did not write" in install.stdout
    assert "Installing ttgate's locked dependencies" in install.stdout
    assert not (venv / (site.relative_to(saved)) / "zz-planted.pth").exists()
    assert not pwned.exists()
    assert poisoned.returncode == 0, poisoned.log


@pytest.mark.action
def test_a_lock_that_does_not_match_the_files_fails_the_install(tmp_path: Path) -> None:
    action = tmp_path / "action"
    shutil.copytree(REPO / "requirements", action / "requirements")
    (action / "src").symlink_to(REPO / "src")
    lock = action / "requirements" / "action.lock"
    lock.write_text(re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, lock.read_text()))
    run = run_action(
        tmp_path, {"comment": "off"}, extra_env={"GITHUB_ACTION_PATH": str(action)}, action_path=action
    )
    assert run.step("install").returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in run.step("install").stderr


def test_an_unknown_comment_mode_fails_before_the_check(tmp_path: Path) -> None:
    run = run_action(tmp_path, {"comment": "sometimes"}, extra_env=use_this_venv())
    assert [step.id for step in run.steps] == ["prepare", None]  # then Decide, which always runs
    assert run.returncode == 2
    assert run.step("prepare").stdout == (
        '::error title=ttgate::comment: unknown value "sometimes" (expected update, recreate, hide or off)\n'
    )


def test_install_refuses_an_old_python(tmp_path: Path) -> None:
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir()
    (fake_bin / "python3").write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    (fake_bin / "python3").chmod(0o755)
    env = {"PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}"}
    run = run_action(tmp_path, {}, extra_env=env)
    assert [step.id for step in run.steps] == ["prepare", None]
    assert run.returncode == 1
    assert "::error title=ttgate::ttgate needs Python 3.11 or newer" in run.step("prepare").stdout


# ----------------------------------------------------------------------------- ttgate github-outputs


def report_with(summary: dict[str, int]) -> dict[str, object]:
    """A minimal ttgate JSON report with this summary."""
    return {"version": 1, "tool": {"name": "ttgate"}, "summary": summary, "findings": []}


def test_github_outputs_appends_the_counts(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(
        json.dumps(report_with({"errors": 3, "warnings": 2, "notices": 0, "suppressed": 1})), encoding="utf-8"
    )
    output = tmp_path / "out"
    output.write_text("earlier=1\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["github-outputs", "--report", str(report)], env={"GITHUB_OUTPUT": str(output)}
    )
    assert result.exit_code == 0, result.output
    text = output.read_text(encoding="utf-8")
    assert text.startswith("earlier=1\nerrors<<ghadelimiter_")
    assert read_outputs(output) == {
        "earlier": "1",
        "errors": "3",
        "warnings": "2",
        "notices": "0",
        "suppressed": "1",
    }


@pytest.mark.parametrize(
    ("content", "env", "message"),
    [
        (None, {"GITHUB_OUTPUT": "x"}, "no such file"),
        ("[]", {"GITHUB_OUTPUT": "x"}, "not a ttgate report"),
        (json.dumps(report_with({"errors": 1})), {"GITHUB_OUTPUT": "x"}, "not a ttgate JSON report"),
        (
            json.dumps(report_with({"errors": 0, "warnings": 0, "notices": 0, "suppressed": 0})),
            {},
            "GITHUB_OUTPUT is not set",
        ),
    ],
)
def test_github_outputs_errors_are_one_line(
    tmp_path: Path, content: str | None, env: dict[str, str], message: str
) -> None:
    report = tmp_path / "report.json"
    if content is not None:
        report.write_text(content, encoding="utf-8")
    environment = {"GITHUB_OUTPUT": None} | {k: str(tmp_path / v) for k, v in env.items()}
    result = CliRunner().invoke(main, ["github-outputs", "--report", str(report)], env=environment)
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.count("\n") == 1


@pytest.mark.parametrize(
    ("env", "docs"),
    [
        ({}, "https://github.example/octo/ttgate/blob/v1.2/docs/rules"),
        (
            {"GITHUB_ACTION_REPOSITORY": "fork/ttgate", "GITHUB_ACTION_REF": "abc123"},
            "https://github.example/fork/ttgate/blob/abc123/docs/rules",
        ),
    ],
)
def test_rule_links_point_at_the_repository_and_ref_the_action_runs_from(
    tmp_path: Path, env: dict[str, str], docs: str
) -> None:
    action = tmp_path / "_work" / "_actions" / "octo" / "ttgate" / "v1.2"
    shutil.copytree(REPO / "requirements", action / "requirements")
    (action / "src").symlink_to(REPO / "src")
    # Only the prepare step decides the URL: the check of the whole repository after it would take seconds.
    environment = env | use_this_venv()
    run = run_action(tmp_path, {"comment": "off"}, extra_env=environment, action_path=action, until="prepare")
    assert run.step("prepare").outputs["docs-url"] == docs

    local = run_action(tmp_path, {"comment": "off"}, extra_env=environment, until="prepare")  # uses: ./
    expected = docs if env else f"https://github.example/{OWNER_REPO}/blob/{HEAD_SHA}/docs/rules"
    assert local.step("prepare").outputs["docs-url"] == expected
    given = run_action(
        tmp_path,
        {"comment": "off", "docs-url": "https://docs.example/rules"},
        extra_env=environment,
        until="prepare",
    )
    assert given.step("prepare").outputs["docs-url"] == "https://docs.example/rules"
