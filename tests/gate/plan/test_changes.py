"""What merging does: each plan's changes, per environment, each stack in apply order, in the text and
JSON reports (Report.plan_changes). Addresses and actions only, never a value.

The real plans are tests/plans/merging (made by its make_plans.py with Terraform); the hand-made
documents here are the cases those cannot show (drift, create-then-forget, sensitive values).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ttgate.cli import main
from ttgate.gate.model import Model
from ttgate.gate.plan import PlanSpec, add_plans
from ttgate.gate.plan.changes import ACTIONS, EnvironmentChanges, ResourceChange, main_action
from ttgate.gate.reporters import FORMATS, Report
from ttgate.gate.reporters.json_report import report_from_document
from ttgate.gate.rules import RULES
from ttgate.policy import load_policy

REPO = Path(__file__).resolve().parents[3]
MERGING = REPO / "tests" / "plans" / "merging"
LAYERS = ("10_core", "20_infra", "30_app")
CANARY = "CANARY-pl4n-v4lue-93e1"


def check(*args: str) -> tuple[int, str]:
    """``ttgate check ARGS`` in the working directory (a test's tmp_path, for its .ttgate.yml)."""
    result = CliRunner().invoke(main, ["check", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def merging_args(
    directory: Path = MERGING / "dev", order: tuple[str, ...] = ("30_app", "10_core", "20_infra")
) -> list[str]:
    args: list[str] = []
    for layer in order:
        args += ["--plan", f"{layer}/dev={directory / f'{layer}.json'}"]
    return args


def plan_changes(*specs: PlanSpec, root: Path = REPO) -> list[EnvironmentChanges]:
    return add_plans(Model(root=root), list(specs), load_policy(RULES, search_dir=root))


def entry(address: str, actions: list[str], **fields: Any) -> dict[str, Any]:
    """One resource_changes entry as Terraform writes it; ``change`` fields go in ``fields["change"]``."""
    kind, name = address.split("[")[0].split(".")[-2:]
    change = {"actions": actions, "before": {"name": CANARY}, "after": {"name": CANARY}}
    change.update(fields.pop("change", {}))
    return {"address": address, "mode": "managed", "type": kind, "name": name, **fields, "change": change}


def document(changes: list[dict[str, Any]], drift: list[dict[str, Any]] = ()) -> dict[str, Any]:
    return {"format_version": "1.2", "resource_changes": changes, "resource_drift": list(drift)}


def write(path: Path, plan: dict[str, Any]) -> Path:
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


# -- one plan's changes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actions", "moved", "importing", "expected"),
    [
        (["create"], False, False, "create"),
        (["update"], False, False, "update"),
        (["delete", "create"], False, False, "replace"),
        (["create", "delete"], False, False, "replace"),  # create_before_destroy
        (["delete"], False, False, "destroy"),
        (["forget"], False, False, "forget"),  # a removed block with destroy = false (Terraform ≥ 1.7)
        (["create", "forget"], False, False, "create"),  # a new object; the old one is kept, not deleted
        (["no-op"], True, False, "move"),
        (["update"], True, False, "update"),
        (["no-op"], False, True, "import"),
        (["update"], False, True, "update"),
        (["no-op"], False, False, "no-op"),
    ],
)
def test_the_main_action(actions: list[str], moved: bool, importing: bool, expected: str) -> None:
    assert main_action(actions, moved, importing) == expected


def test_counts_add_the_moves_and_imports_that_come_with_another_action(tmp_path: Path) -> None:
    plan = document(
        [
            entry("aws_sqs_queue.new", ["update"], previous_address="aws_sqs_queue.old"),
            entry("aws_s3_bucket.b", ["update"], change={"importing": {"id": "b"}}),
            entry("aws_s3_bucket.c", ["no-op"], change={"importing": {"id": "c"}}),
            entry("aws_s3_bucket.d", ["no-op"], previous_address="aws_s3_bucket.e"),
            entry("aws_s3_bucket.same", ["no-op"]),
            {
                "address": "data.aws_iam_policy_document.p",
                "mode": "data",
                "type": "aws_iam_policy_document",
                "name": "p",
                "change": {"actions": ["read"]},
            },
        ]
    )
    environments = plan_changes(PlanSpec("20_infra/dev", write(tmp_path / "p.json", plan)), root=tmp_path)
    (section,) = environments[0].stacks
    assert section.counts == {
        "create": 0,
        "update": 2,
        "replace": 0,
        "destroy": 0,
        "move": 2,
        "import": 2,
        "forget": 0,
    }
    assert section.changes == [
        ResourceChange("aws_s3_bucket.b", "update"),
        ResourceChange("aws_sqs_queue.new", "update", "aws_sqs_queue.old"),
        ResourceChange("aws_s3_bucket.d", "move", "aws_s3_bucket.e"),
        ResourceChange("aws_s3_bucket.c", "import"),
    ]


def test_drift_is_what_terraform_found_changed_outside_it(tmp_path: Path) -> None:
    plan = document(
        [entry("aws_s3_bucket.b", ["no-op"])],
        drift=[entry("aws_s3_bucket.b", ["update"]), entry("aws_sqs_queue.gone", ["delete"])],
    )
    environments = plan_changes(PlanSpec("20_infra/dev", write(tmp_path / "p.json", plan)), root=tmp_path)
    (section,) = environments[0].stacks
    assert section.counts == dict.fromkeys(ACTIONS, 0)
    assert section.drift == [
        ResourceChange("aws_s3_bucket.b", "update"),
        ResourceChange("aws_sqs_queue.gone", "destroy"),
    ]


def test_the_reports_hold_addresses_and_actions_never_values(in_tmp: Path) -> None:
    tmp_path = in_tmp
    plan = document(
        [
            entry(
                "aws_secretsmanager_secret_version.v", ["update"], change={"after_sensitive": {"name": True}}
            )
        ],
        drift=[entry("aws_s3_bucket.b", ["update"])],
    )
    path = write(tmp_path / "p.json", plan)
    for format_ in ("text", "json"):
        _, out = check("--plan", f"20_infra/dev={path}", "--format", format_)
        assert "aws_secretsmanager_secret_version.v" in out
        assert CANARY not in out
    _, out = check("--plan", f"20_infra/dev={path}", "--format", "json")
    (stack,) = json.loads(out)["plan_changes"][0]["stacks"]
    assert {key for change in stack["changes"] + stack["drift"] for key in change} == {
        "address",
        "action",
        "previous_address",
    }


# -- several plans: one section per environment, stacks in apply order ----------------------------


def test_three_real_layers_render_one_section_in_apply_order() -> None:
    code, out = check(*merging_args())
    assert code == 1  # TG503 errors
    section = out[out.index("What merging does") :]
    assert section.index("10_core/dev:") < section.index("20_infra/dev:") < section.index("30_app/dev:")
    assert "  dev\n" in section and section.count("dev\n") == 1
    assert "10_core/dev: 1 update, 1 move, 1 import, 1 forget" in section
    assert "20_infra/dev: 2 create, 5 destroy" in section
    assert "30_app/dev: 2 create, 1 update, 1 replace, 2 destroy, 1 move" in section
    assert "move     module.cache.aws_s3_bucket.bucket (from aws_s3_bucket.cache_bucket)" in section
    assert "forget   aws_secretsmanager_secret.legacy_secret" in section


def test_the_json_report_has_the_same_section_and_reads_it_back() -> None:
    _, out = check(*merging_args(), "--format", "json")
    document_ = json.loads(out)
    (dev,) = document_["plan_changes"]
    assert dev["environment"] == "dev"
    assert [stack["label"] for stack in dev["stacks"]] == ["10_core/dev", "20_infra/dev", "30_app/dev"]
    app = dev["stacks"][2]
    assert app["counts"] == {
        "create": 2,
        "update": 1,
        "replace": 1,
        "destroy": 2,
        "move": 1,
        "import": 0,
        "forget": 0,
    }
    assert {
        "address": "aws_dynamodb_table.orders_table",
        "action": "replace",
        "previous_address": None,
    } in app["changes"]
    assert app["plan_file"] == "tests/plans/merging/dev/30_app.json" and app["errored"] is None
    read = report_from_document(document_)
    assert [s.label for s in read.plan_changes[0].stacks] == ["10_core/dev", "20_infra/dev", "30_app/dev"]
    assert read.plan_changes[0].stacks[2].counts == app["counts"]
    assert ResourceChange("module.cache.aws_s3_bucket.bucket", "move", "aws_s3_bucket.cache_bucket") in (
        read.plan_changes[0].stacks[2].changes
    )


def test_environments_in_the_policys_order(tmp_path: Path) -> None:
    empty = document([entry("aws_s3_bucket.b", ["create"])])
    specs = [
        PlanSpec("30_app/prod", write(tmp_path / "a.json", empty)),
        PlanSpec("20_infra/dev", write(tmp_path / "b.json", empty)),
        PlanSpec("10_core/prod", write(tmp_path / "c.json", empty)),
        PlanSpec("10_core", write(tmp_path / "d.json", empty)),  # a layer, no environment
    ]
    environments = plan_changes(*specs, root=tmp_path)
    assert [(env.environment, [s.label for s in env.stacks]) for env in environments] == [
        ("dev", ["20_infra/dev"]),
        ("prod", ["10_core/prod", "30_app/prod"]),
        (None, ["10_core"]),
    ]
    assert environments[-1].stacks[0].layer == "10_core"


def test_a_plan_too_large_to_read_keeps_its_section(in_tmp: Path) -> None:
    tmp_path = in_tmp
    (tmp_path / ".ttgate.yml").write_text("rules:\n  TG000:\n    plan_mebibytes: 1\n", encoding="utf-8")
    large = document([entry(f"aws_s3_bucket.b{index}", ["create"]) for index in range(12_000)])
    big, small = (
        write(tmp_path / "big.json", large),
        write(tmp_path / "small.json", document([entry("aws_s3_bucket.b", ["create"])])),
    )
    _, out = check("--plan", f"20_infra/dev={big}", "--plan", f"10_core/dev={small}", "--format", "json")
    (dev,) = json.loads(out)["plan_changes"]
    core, infra = dev["stacks"]
    assert core["label"] == "10_core/dev" and core["counts"]["create"] == 1
    assert infra["label"] == "20_infra/dev" and infra["changes"] == []
    assert "nothing in it was read" in infra["errored"]


def test_a_plan_terraform_could_not_finish_says_so(in_tmp: Path) -> None:
    tmp_path = in_tmp
    plan = {**document([entry("aws_s3_bucket.b", ["create"])]), "errored": True}
    _, out = check("--plan", f"20_infra/dev={write(tmp_path / 'p.json', plan)}")
    assert "20_infra/dev: 1 create (Terraform could not finish this plan (errored)" in out


def test_without_plans_there_is_no_section() -> None:
    report = Report([], stacks=1, files=1)
    assert "What merging does" not in FORMATS["text"](report, False)
    assert json.loads(FORMATS["json"](report, False))["plan_changes"] == []


def test_many_changes_are_collapsed(in_tmp: Path) -> None:
    tmp_path = in_tmp
    plan = document([entry(f"aws_sqs_queue.q{index:02}", ["create"]) for index in range(25)])
    _, out = check("--plan", f"20_infra/dev={write(tmp_path / 'p.json', plan)}")
    section = out[out.index("What merging does") :]
    assert "create   aws_sqs_queue.q09" in section and "aws_sqs_queue.q10" not in section
    assert "… and 15 more" in section


# -- the fixtures are what Terraform makes --------------------------------------------------------


@pytest.mark.terraform
@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_regenerated_plans_give_the_same_changes(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_plans", MERGING / "make_plans.py")
    assert spec is not None and spec.loader is not None
    make_plans = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_plans)
    make_plans.make(tmp_path / "dev")

    def sections(directory: Path) -> list[Any]:
        _, out = check(*merging_args(directory), "--format", "json")
        document_ = json.loads(out)
        for env in document_["plan_changes"]:
            for stack in env["stacks"]:
                stack.pop("plan_file")
        findings = sorted(str((f["rule"], f["address"], f["stack"])) for f in document_["findings"])
        return [document_["plan_changes"], findings]

    assert sections(tmp_path / "dev") == sections(MERGING / "dev")


def test_an_address_from_the_plan_cannot_act_on_what_shows_it(in_tmp: Path) -> None:
    """A plan is the pull request author's: its addresses are shown inert (see reporters/sanitize.py)."""
    hostile = 'aws_s3_bucket.b["x\n::error::owned\x1b]0;title\x07"]'
    plan = document(
        [entry(hostile, ["create"])], drift=[entry('aws_s3_bucket.c["\n##[warning]x"]', ["update"])]
    )
    _, out = check("--plan", f"20_infra/dev={write(in_tmp / 'p.json', plan)}")
    section = out[out.index("What merging does") :]
    assert "\x1b" not in section and "\x07" not in section
    assert not any(line.lstrip().startswith("::") or "##[" in line for line in section.splitlines())
    assert "\\x1b]0;title" in section
    _, out = check("--plan", f"20_infra/dev={write(in_tmp / 'p.json', plan)}", "--format", "json")
    (stack,) = json.loads(out)["plan_changes"][0]["stacks"]
    assert stack["changes"][0]["address"] == hostile  # JSON escapes, and reads back exactly
