"""Small helpers shared by the tests: write a tree, check it, look at the findings."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ttgate.gate.engine import run_rules
from ttgate.gate.findings import Finding
from ttgate.gate.hcl.loader import load_hcl
from ttgate.gate.hcl.parse import Parser
from ttgate.gate.model import Model
from ttgate.gate.policy import Policy, load_policy
from ttgate.gate.rules import RULES

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


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write files (dedented) under root; returns root."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def stack(layer: str, env: str, main: str = "", **extra: str) -> dict[str, str]:
    """Files of a root stack at practice/deploy/<layer>/environments/<env> with the runbook's backend."""
    base = f"practice/deploy/{layer}/environments/{env}"
    files = {f"{base}/backend.tf": BACKEND.format(key=STATE_KEYS[layer]), f"{base}/main.tf": main}
    for name, text in extra.items():
        files[f"{base}/{name.replace('__', '.')}"] = text
    return files


def policy_for(root: Path) -> Policy:
    return load_policy(RULES, search_dir=root)


def load(root: Path) -> Model:
    return load_hcl([root], root, policy_for(root), Parser(cache_dir=None, jobs=1))


def check(root: Path, rule: str | None = None) -> list[Finding]:
    """All findings on the tree (or only those of one rule, TG001 included when asked)."""
    findings = run_rules(load(root), policy_for(root))
    return [f for f in findings if rule is None or f.rule == rule]


def summary(findings: list[Finding]) -> list[tuple[str, str, int, str]]:
    """(rule, file, line, stack label) per finding: what most assertions compare."""
    return [
        (
            f.rule,
            f.location.file if f.location else "",
            f.location.line if f.location else 0,
            f.stack.label if f.stack else "",
        )
        for f in findings
    ]
