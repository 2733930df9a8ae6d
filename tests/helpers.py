"""What the tests share: write a tree, run the rules on it (and on plans), look at the findings.

Every rule test asks one question, through ``findings``: "what does rule TGNNN report here?"

    findings("TG202", tmp_path, stack("20_infra", "dev", main=QUEUE))           # HCL files
    findings("TG202", tmp_path, plans={"20_infra/dev": infra})                  # plans (plan_builder)
    findings("TG202", EXAMPLES / "failing", tg001="with")                       # a directory as it is
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml

from ttgate.gate.engine import run_rules
from ttgate.gate.findings import Finding
from ttgate.gate.hcl.loader import load_hcl
from ttgate.gate.hcl.parse import Parser
from ttgate.gate.model import Model
from ttgate.gate.plan import PlanSpec, add_plans
from ttgate.gate.rules import RULES
from ttgate.policy import Policy, load_policy

if TYPE_CHECKING:
    from tests.plan_builder import Plan

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
EXAMPLES_EXPECTED = REPO / "tests" / "data" / "examples_expected.yml"

BACKEND = """
terraform {{
  backend "s3" {{
    key            = "{key}"
    region         = "ap-southeast-1"
    encrypt        = true
    dynamodb_table = "tt-practice-tf-locks"
  }}
}}

provider "aws" {{
  region = "ap-southeast-1"
}}
"""
STATE_KEYS = {
    "10_core": "core/terraform.tfstate",
    "20_infra": "infra/terraform.tfstate",
    "30_app": "app/terraform.tfstate",
}

# Which TG001 findings ("rule X cannot check Y") come with a rule's own: none, also, or only those.
Unverifiable = Literal["without", "with", "only"]
Summary = tuple[str, str, int, str]


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write files (dedented) under root; returns root."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def stack(layer: str, env: str, main: str = "", **extra: str) -> dict[str, str]:
    """Files of a root stack at practice/deploy/<layer>/environments/<env> with the runbook's backend.

    ``extra`` names more files of the stack, ``__`` standing for the dot: ``outputs__tf=...``.
    """
    base = f"practice/deploy/{layer}/environments/{env}"
    files = {f"{base}/backend.tf": BACKEND.format(key=STATE_KEYS[layer]), f"{base}/main.tf": main}
    for name, text in extra.items():
        files[f"{base}/{name.replace('__', '.')}"] = text
    return files


def policy_for(root: Path) -> Policy:
    return load_policy(RULES, search_dir=root)


def load(root: Path, policy: Policy | None = None) -> Model:
    return load_hcl([root], root, policy or policy_for(root), Parser(cache_dir=None, jobs=1))


def check(root: Path, rule: str | None = None) -> list[Finding]:
    """Every finding on the tree at root (or only those of ``rule``), for tests of the whole gate."""
    return [f for f in run_rules(load(root), policy_for(root)) if rule is None or f.rule == rule]


def findings(
    rule: str,
    root: Path,
    tree: Mapping[str, str] | None = None,
    plans: Mapping[str, Plan] | None = None,
    *,
    tg001: Unverifiable = "without",
    policy: Policy | None = None,
) -> list[Finding]:
    """What ``rule`` reports on the HCL under root, after writing ``tree`` there, and on ``plans``.

    ``plans`` maps a stack label ("30_app/dev") to a plan of tests/plan_builder.py, loaded as
    ``--plan LABEL=FILE``. ``tg001`` adds the TG001 findings the rule raised ("with") or keeps only
    them ("only"). The policy is root's .ttgate.yml unless one is given.
    """
    if tree is not None:
        write_tree(root, tree)
    policy = policy or policy_for(root)
    model = load(root, policy)
    if plans:
        plan_dir = root / ".plans"
        plan_dir.mkdir(parents=True, exist_ok=True)
        specs = [
            PlanSpec(label, plan.write(plan_dir / f"{label.replace('/', '_')}.json"))
            for label, plan in plans.items()
        ]
        add_plans(model, specs, policy)
    own = {"without": (rule,), "with": (rule, "TG001"), "only": ("TG001",)}[tg001]
    return [f for f in run_rules(model, policy) if f.rule in own and (f.rule == rule or f.for_rule == rule)]


def summary(found: list[Finding]) -> list[Summary]:
    """(rule, file, line, stack label) per finding: what most assertions compare."""
    return [
        (
            f.rule,
            f.location.file if f.location else "",
            f.location.line if f.location else 0,
            f.stack.label if f.stack else "",
        )
        for f in found
    ]


def by_address(found: list[Finding]) -> list[tuple[str, str | None, str, str]]:
    """(rule, address, stack label, severity) per finding: what plan assertions compare."""
    return [(f.rule, f.address, f.stack.label if f.stack else "", f.severity.label) for f in found]


def located(found: Iterable[Finding]) -> set[Summary]:
    """(rule, file, line, stack directory) per finding: how the examples' expectations name them."""
    return {
        (
            f.rule,
            f.location.file if f.location else "",
            f.location.line if f.location else 0,
            f.stack.name if f.stack else "",
        )
        for f in found
    }


def on_examples(rule: str | None, which: Literal["passing", "failing"]) -> set[Summary]:
    """The rule's findings and its TG001 on examples/<which> (rule None: every rule's), as ``located``."""
    root = EXAMPLES / which
    return located(check(root) if rule is None else findings(rule, root, tg001="with"))


def expected_on_examples(rule: str | None = None) -> set[Summary]:
    """What tests/data/examples_expected.yml says ``rule`` (and the TG001 it raises; None: every rule)
    reports on examples/failing."""
    entries = yaml.safe_load(EXAMPLES_EXPECTED.read_text(encoding="utf-8"))
    return {
        (e["rule"], e["file"], e["line"], e["stack"])
        for e in entries
        if rule is None or rule in (e["rule"], e.get("for_rule"))
    }
