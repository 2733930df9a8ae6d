"""Plans as input: the dev plans of examples/failing (tests/plans/dev), alone and laid over the HCL.

The fixtures and why they look as they do: tests/plans/README.md. What they must give:
tests/plans/dev/expected.yml.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.expectations import dev_plans, examples_failing
from ttgate.cli import main
from ttgate.gate.engine import run_rules
from ttgate.gate.findings import Finding
from ttgate.gate.model import Model
from ttgate.gate.plan import PlanSpec, add_plans
from ttgate.gate.plan.load import SENSITIVE
from ttgate.gate.reporters import FORMATS
from ttgate.gate.rules import RULES
from ttgate.gate.values import Unknown
from ttgate.policy import Policy, load_policy

REPO = Path(__file__).resolve().parents[3]
PLANS = REPO / "tests" / "plans" / "dev"
STACKS = ("10_core", "20_infra", "30_app")
CANARY = "CANARY-s3cr3t-7f1d"
HCL_DEV = "examples/failing/practice/deploy/{layer}/environments/dev"


def plan_args(plans: Path = PLANS) -> list[str]:
    args: list[str] = []
    for layer in STACKS:
        args += ["--plan", f"{layer}/dev={plans / f'{layer}.json'}"]
    return args


def policy() -> Policy:
    return load_policy(RULES, search_dir=REPO)


def check_plans(specs: list[PlanSpec]) -> tuple[Model, list[Finding]]:
    model = Model(root=REPO)
    add_plans(model, specs, policy())
    return model, run_rules(model, policy())


def dev_specs(plans: Path = PLANS) -> list[PlanSpec]:
    return [PlanSpec(f"{layer}/dev", plans / f"{layer}.json") for layer in STACKS]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def json_report(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "report.json"
    code, _, stderr = run("check", *args, "--root", str(REPO), "--format", f"json:{out}")
    assert code in (0, 1), stderr
    return json.loads(out.read_text(encoding="utf-8"))


def rewrite(source: Path, target: Path, change) -> Path:
    document = json.loads(source.read_text(encoding="utf-8"))
    change(document)
    target.write_text(json.dumps(document), encoding="utf-8")
    return target


# -- the three plans alone ------------------------------------------------------------------------


def test_the_dev_plans_alone_give_exactly_the_expected_findings(tmp_path: Path) -> None:
    report = json_report(tmp_path, *plan_args())
    got = Counter((f["rule"], f["address"], f["stack"]) for f in report["findings"])
    assert got == Counter((e["rule"], e["address"], e["stack"]) for e in dev_plans())


def test_the_cross_plan_finding_names_the_consumer_in_the_other_plan(tmp_path: Path) -> None:
    report = json_report(tmp_path, *plan_args())
    [finding] = [f for f in report["findings"] if f["rule"] == "TG201"]
    assert finding["stack"] == "20_infra/dev"
    assert finding["source"] == "plan"
    assert "tt-practice-dev-event-processor (30_app/dev)" in finding["message"]
    assert "6 × 10 s = 60 s" in finding["message"]


def test_the_mapping_reads_the_queue_arn_from_remote_state_in_prior_state() -> None:
    model, _ = check_plans(dev_specs())
    app = next(stack for stack in model.stacks if stack.label == "30_app/dev")
    [remote] = app.remote_states
    assert remote.key == "infra/terraform.tfstate"
    mapping = next(r for r in app.resources if r.address == "aws_lambda_event_source_mapping.event_processor")
    arn = "arn:aws:sqs:ap-southeast-1:057336397237:tt-practice-dev-events-queue"
    assert mapping.values["event_source_arn"] == arn
    infra = next(stack for stack in model.stacks if stack.label == "20_infra/dev")
    events = next(r for r in infra.resources if r.address == "aws_sqs_queue.events")
    assert events.values["arn"] == arn


def test_a_new_queues_unknown_arn_is_linked_to_it_through_the_configuration() -> None:
    model, _ = check_plans(dev_specs())
    infra = next(stack for stack in model.stacks if stack.label == "20_infra/dev")
    by_address = {r.address: r for r in infra.resources}
    redrive = by_address["aws_sqs_queue.events"].values["redrive_policy"]
    assert isinstance(redrive, Unknown)
    assert redrive.resource is by_address["aws_sqs_queue.events_dlq"]
    assert redrive.attribute == "arn"
    # Set by nothing and computed by the provider: unset, as in the HCL, not a TG001 notice.
    assert by_address["aws_sqs_queue.events_dlq"].values["redrive_policy"] is None


def test_the_module_resource_keeps_the_hcl_address() -> None:
    model, _ = check_plans(dev_specs())
    addresses = {r.address for r in model.resources("aws_sqs_queue")}
    assert {"module.main_queue.aws_sqs_queue.main", "module.main_queue.aws_sqs_queue.dlq"} <= addresses


# -- the plans laid over the HCL ------------------------------------------------------------------


def test_with_the_hcl_the_plan_findings_carry_the_hcl_file_and_line(tmp_path: Path) -> None:
    report = json_report(tmp_path, "examples/failing", *plan_args())
    dev = {
        (f["rule"], f["address"]): (f["file"], f["line"], f["source"])
        for f in report["findings"]
        if f["env"] == "dev"
    }
    # What the plans alone report, less the notices the HCL settles (it knows the redrive policy's shape).
    assert set(dev) == {(e["rule"], e["address"]) for e in dev_plans() if e["rule"] != "TG001"}
    # Each at the file and line where the HCL alone reports it.
    in_the_hcl = {
        (e["rule"], e.get("address")): (f"examples/failing/{e['file']}", e["line"], "plan")
        for e in examples_failing()
        if e["stack"].endswith("/dev")
    }
    assert {key: dev[key] for key in dev if key[0] != "TG503"} == {
        key: in_the_hcl[key] for key in dev if key[0] != "TG503"
    }
    # What only a plan shows (TG503: the deleted log groups, whose blocks are gone) is at the stack's
    # backend block, where a suppression with a reason can acknowledge it.
    backend = f"{HCL_DEV.format(layer='30_app')}/backend.tf"
    assert {dev[key] for key in dev if key[0] == "TG503"} == {(backend, 3, "plan")}


def test_with_the_hcl_prod_still_comes_from_the_hcl(tmp_path: Path) -> None:
    hcl_only = json_report(tmp_path, "examples/failing")
    with_plans = json_report(tmp_path, "examples/failing", *plan_args())

    def prod(report: dict) -> set[tuple]:
        return {
            (f["rule"], f["file"], f["line"], f["stack"], f["source"])
            for f in report["findings"]
            if f["env"] == "prod"
        }

    assert prod(with_plans) == prod(hcl_only)
    assert {source for *_, source in prod(with_plans)} == {"hcl"}
    assert with_plans["summary"]["stacks"] == hcl_only["summary"]["stacks"]


# -- actions: what is deleted is not checked --------------------------------------------------------


def test_resources_keep_their_plan_actions() -> None:
    model, _ = check_plans(dev_specs())
    actions = {r.address: r.actions for r in model.resources()}
    assert actions["aws_sqs_queue.events"] == ("update",)
    assert actions["aws_sqs_queue.events_dlq"] == ("create",)
    assert actions["aws_lambda_event_source_mapping.event_processor"] == ("create",)
    assert actions["module.api_server.aws_cloudwatch_log_group.this"] == ("update",)
    assert actions["module.main_queue.aws_sqs_queue.main"] == ("no-op",)


def test_a_deleted_resource_is_not_checked() -> None:
    """Only as what the plan does (TG503, destroying a log group): no rule checks it as a resource."""
    model, findings = check_plans(dev_specs())
    assert not [r for r in model.resources() if "legacy_worker" in r.address]
    assert {f.rule for f in findings if f.address and "legacy_worker" in f.address} == {"TG503"}


def test_the_deleted_log_groups_would_be_flagged_if_they_stayed(tmp_path: Path) -> None:
    """Guards the test above: the deleted resources are ones TG301 does flag."""

    def keep_them(document: dict) -> None:
        planned = document["planned_values"]["root_module"]["resources"]
        for change in document["resource_changes"]:
            if change["change"]["actions"] == ["delete"]:
                change["change"].update(actions=["no-op"], after=change["change"]["before"])
                planned.append(
                    {key: change[key] for key in ("address", "mode", "type", "name", "index")}
                    | {"values": change["change"]["before"]}
                )

    plans = tmp_path / "plans"
    plans.mkdir()
    for layer in STACKS:
        (plans / f"{layer}.json").write_bytes((PLANS / f"{layer}.json").read_bytes())
    rewrite(PLANS / "30_app.json", plans / "30_app.json", keep_them)
    _, findings = check_plans(dev_specs(plans))
    flagged = {
        (f.rule, f.address, f.severity.label) for f in findings if "legacy_worker" in (f.address or "")
    }
    assert flagged == {
        ("TG301", "aws_cloudwatch_log_group.legacy_worker[0]", "error"),
        ("TG301", "aws_cloudwatch_log_group.legacy_worker[1]", "warning"),
    }


def test_count_indexed_resources_are_checked_and_linked(tmp_path: Path) -> None:
    """A new queue made with count, consumed by a function of the same plan through its unknown ARN."""
    queue = {"name": "tt-practice-dev-jobs-queue", "visibility_timeout_seconds": 30}
    function = {"function_name": "tt-practice-dev-jobs", "timeout": 60}
    mapping = {"function_name": "tt-practice-dev-jobs"}
    document = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_sqs_queue.jobs[0]",
                        "mode": "managed",
                        "type": "aws_sqs_queue",
                        "name": "jobs",
                        "index": 0,
                        "values": queue,
                    },
                    {
                        "address": "aws_lambda_function.jobs",
                        "mode": "managed",
                        "type": "aws_lambda_function",
                        "name": "jobs",
                        "values": function,
                    },
                    {
                        "address": "aws_lambda_event_source_mapping.jobs",
                        "mode": "managed",
                        "type": "aws_lambda_event_source_mapping",
                        "name": "jobs",
                        "values": mapping,
                    },
                ]
            }
        },
        "resource_changes": [
            {
                "address": address,
                "mode": "managed",
                "type": rtype,
                "name": "jobs",
                "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown},
            }
            for address, rtype, after, unknown in (
                ("aws_sqs_queue.jobs[0]", "aws_sqs_queue", queue, {"arn": True}),
                ("aws_lambda_function.jobs", "aws_lambda_function", function, {"arn": True}),
                (
                    "aws_lambda_event_source_mapping.jobs",
                    "aws_lambda_event_source_mapping",
                    mapping,
                    {"event_source_arn": True},
                ),
            )
        ],
        "configuration": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_lambda_event_source_mapping.jobs",
                        "mode": "managed",
                        "type": "aws_lambda_event_source_mapping",
                        "name": "jobs",
                        "expressions": {
                            "event_source_arn": {
                                "references": [
                                    "aws_sqs_queue.jobs[0].arn",
                                    "aws_sqs_queue.jobs[0]",
                                    "aws_sqs_queue.jobs",
                                ]
                            }
                        },
                    },
                ]
            }
        },
    }
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    _, findings = check_plans([PlanSpec("30_app/dev", path)])
    tg201 = [(f.rule, f.address) for f in findings if f.rule == "TG201"]
    assert tg201 == [("TG201", "aws_sqs_queue.jobs[0]")]


# -- secrets ----------------------------------------------------------------------------------------


def test_the_canary_is_in_the_plans_in_clear() -> None:
    """Guards the tests below: the secret really is there to leak."""
    text = (PLANS / "30_app.json").read_text(encoding="utf-8")
    assert text.count(CANARY) >= 5  # variables, after, planned values, planned and changed outputs


def test_sensitive_values_are_unknowns_in_the_model() -> None:
    model, _ = check_plans(dev_specs())
    app = next(stack for stack in model.stacks if stack.label == "30_app/dev")
    function = next(r for r in app.resources if r.address == "aws_lambda_function.event_processor")
    variables = function.values["environment"][0]["variables"]
    assert isinstance(variables["DB_PASSWORD"], Unknown) and variables["DB_PASSWORD"].reason == SENSITIVE
    assert variables["LOG_LEVEL"] == "DEBUG"
    assert isinstance(app.outputs["db_password"], Unknown)
    assert CANARY not in repr([r.values for stack in model.stacks for r in stack.resources])


@pytest.mark.parametrize("with_hcl", [False, True], ids=["plans", "plans+hcl"])
@pytest.mark.parametrize("report_format", sorted(FORMATS))
def test_the_canary_appears_in_no_output(tmp_path: Path, report_format: str, with_hcl: bool) -> None:
    out = tmp_path / "report"
    paths = ["examples/failing"] if with_hcl else []
    code, stdout, stderr = run(
        "check",
        *paths,
        *plan_args(),
        "--root",
        str(REPO),
        "--debug",
        "--fail-on",
        "never",
        "--format",
        "text",
        "--format",
        f"{report_format}:{out}",
    )
    assert code == 0, stderr
    assert "TG201" in stdout and "TG201" in out.read_text(encoding="utf-8"), "the reports are not there"
    for where, text in (("stdout", stdout), ("stderr", stderr), (str(out), out.read_text(encoding="utf-8"))):
        assert CANARY not in text, f"the secret leaked into {where}"


# -- plans of older Terraform ---------------------------------------------------------------------
# Real 0.12-0.15 plans (checkov's test fixtures, format_version 0.1) are not in the repository; pass them
# to benchmarks/fuzz_plans.py --plans DIR. Here: the dev plans as such a Terraform writes them.

_NEWER_KEYS = (
    "relevant_attributes",
    "checks",
    "timestamp",
    "applyable",
    "complete",
    "errored",
    "output_changes",
)


def _as_format_0_1(document: dict) -> None:
    document.update(format_version="0.1", terraform_version="0.12.23")
    for key in _NEWER_KEYS:
        document.pop(key, None)


def test_plans_of_format_0_1_give_the_same_findings_as_1_x(tmp_path: Path) -> None:
    for layer in STACKS:
        rewrite(PLANS / f"{layer}.json", tmp_path / f"{layer}.json", _as_format_0_1)
    old = json_report(tmp_path, *plan_args(tmp_path))
    new = json_report(tmp_path, *plan_args())
    assert old["findings"], "the old-format plans gave no findings"
    assert [(f["rule"], f["address"], f["message"]) for f in old["findings"]] == [
        (f["rule"], f["address"], f["message"]) for f in new["findings"]
    ]


# -- bad input --------------------------------------------------------------------------------------


def _state_file(path: Path) -> None:
    state = {
        "format_version": "1.0",
        "terraform_version": "1.9.8",
        "values": {"root_module": {"resources": []}},
    }
    path.write_text(json.dumps(state), encoding="utf-8")


def _version(version: str):
    def write(path: Path) -> None:
        rewrite(PLANS / "20_infra.json", path, lambda document: document.update(format_version=version))

    return write


BAD_PLANS = {
    "binary": (lambda p: p.write_bytes(b"PK\x03\x04\x14\x00\x08\x00tfplan"), "binary plan"),
    "truncated": (lambda p: p.write_bytes((PLANS / "20_infra.json").read_bytes()[:5000]), "truncated"),
    "empty": (lambda p: p.write_bytes(b""), "empty"),
    "not a plan": (lambda p: p.write_text('{"resources": []}', encoding="utf-8"), "not a Terraform plan"),
    "state file": (_state_file, "a state file"),
    "format 2.0": (_version("2.0"), "format_version 2.0 is not supported"),
}


@pytest.mark.parametrize("kind", sorted(BAD_PLANS))
def test_a_bad_plan_is_one_clear_line_and_exit_2(tmp_path: Path, kind: str) -> None:
    write, says = BAD_PLANS[kind]
    path = tmp_path / "plan.json"
    write(path)
    code, stdout, stderr = run("check", "--plan", f"20_infra/dev={path}")
    assert code == 2
    assert "Traceback" not in stderr + stdout
    [line] = stderr.strip().splitlines()
    assert str(path) in line
    assert says in line


@pytest.mark.parametrize(
    "label, says",
    [
        ("foo", 'label "foo" names no stack'),
        ("20_infra/qa", 'environment "qa" is not in the policy'),
    ],
)
def test_a_label_that_names_no_stack_is_one_clear_line_and_exit_2(label: str, says: str) -> None:
    path = PLANS / "20_infra.json"
    code, stdout, stderr = run("check", "--plan", f"{label}={path}")
    assert code == 2
    assert "Traceback" not in stderr + stdout
    [line] = stderr.strip().splitlines()
    assert str(path) in line and says in line


# -- errored plans, inferred labels -------------------------------------------------------------------


def test_an_errored_plan_is_checked_and_the_report_says_it_errored(tmp_path: Path) -> None:
    path = rewrite(
        PLANS / "20_infra.json",
        tmp_path / "20_infra.json",
        lambda document: document.update(errored=True, applyable=False),
    )
    out = tmp_path / "report.json"
    code, stdout, _ = run(
        "check", "--plan", f"20_infra/dev={path}", "--format", "text", "--format", f"json:{out}"
    )
    assert code == 1  # still checked: its findings are there
    assert "errored" in stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert any("errored" in note for note in report["summary"]["notes"])
    assert {f["rule"] for f in report["findings"]} >= {"TG203", "TG204"}


def test_a_plan_without_label_gets_its_stack_from_the_file_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(REPO)
    out = tmp_path / "report.json"
    code, _, stderr = run("check", "--plan", "tests/plans/dev/20_infra.json", "--format", f"json:{out}")
    assert code == 1, stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert {f["stack"] for f in report["findings"]} == {"20_infra/dev"}
    assert {(f["layer"], f["env"]) for f in report["findings"]} == {("20_infra", "dev")}
    [note] = [n for n in report["summary"]["notes"] if "tests/plans/dev/20_infra.json" in n]
    assert "20_infra/dev inferred" in note


def test_the_fixtures_are_plans_terraform_1_9_would_print() -> None:
    for layer in STACKS:
        document = json.loads((PLANS / f"{layer}.json").read_text(encoding="utf-8"))
        assert document["format_version"] == "1.2"
        assert document["terraform_version"].startswith("1.9.")
        assert list(document)[:3] == ["format_version", "terraform_version", "variables"]
        deleted = {c["address"] for c in document["resource_changes"] if c["change"]["actions"] == ["delete"]}
        planned = json.dumps(document["planned_values"])
        assert not any(f'"{address}"' in planned for address in deleted)
