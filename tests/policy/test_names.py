"""Policy name templates are matched in linear time: the template and the name may both be hostile."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import write_tree
from ttgate.cli import main
from ttgate.gate.rules import RULES
from ttgate.policy import load_policy
from ttgate.policy.names import NamePattern, name_regex, template_regex

REPO = Path(__file__).resolve().parents[2]
MANY = "-".join(["{account_id}"] * 16)
# Dashes, then a line break no placeholder takes: Python's re tried every way of splitting the dashes
# among 16 ".+" before failing (over 300 s); RE2 reads the name once.
HOSTILE = "-" * 3000 + "\n"


def _policy() -> object:
    return load_policy(RULES, explicit=None, search_dir=REPO)


def test_a_template_of_many_placeholders_and_a_hostile_name_is_matched_by_re2() -> None:
    pattern = name_regex(MANY, _policy())
    assert isinstance(pattern, NamePattern)
    assert not pattern.fullmatch(HOSTILE)
    assert pattern.fullmatch("-".join(["1"] * 16))
    assert not pattern.fullmatch("-".join(["1"] * 15))


@pytest.mark.parametrize(
    ("template", "name", "fits"),
    [
        ("{project}-tf-state-{env}-{account_id}", "tt-practice-tf-state-dev-123456789012", True),
        ("{project}-tf-state-{env}-{account_id}", "tt-practice-tf-state-qa-123456789012", False),
        ("{project}-tf-state-{env}-{account_id}", "tt-practice-tf-state-dev-", False),
        ("{project}.locks ({env})", "tt-practice.locks (dev)", True),
        ("{project}.locks ({env})", "tt-practiceXlocks (dev)", False),
        ("{project}-lock-{env}", "tt-practice-lock-dev\ud800", False),
    ],
)
def test_templates_keep_their_meaning(template: str, name: str, fits: bool) -> None:
    assert name_regex(template, _policy()).fullmatch(name) is fits


def test_a_lone_surrogate_in_a_name_fits_no_template_and_never_raises() -> None:
    pattern = NamePattern(template_regex("{x}-queue", {}))
    assert pattern.fullmatch("\ud800-queue")  # "{x}" takes any text, the surrogate too
    assert not pattern.fullmatch("a-queue\ud800")


def test_a_policy_of_many_placeholders_checks_a_hostile_backend_bucket(tmp_path: Path) -> None:
    bucket = HOSTILE.replace("\n", "\\n")
    backend = f'terraform {{\n  backend "s3" {{\n    bucket = "{bucket}"\n    key = "k"\n  }}\n}}\n'
    write_tree(
        tmp_path,
        {
            ".ttgate.yml": f'state_bucket: "{MANY}"\nlock_table: "{MANY}"\n',
            "10_core/environments/dev/main.tf": backend,
        },
    )
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output


def test_a_template_built_from_text_that_is_not_utf8_compiles() -> None:
    # An environment named after a directory whose name is not UTF-8 reaches the template's regex.
    # The surrogate alone in a group: replaced by "?" it would be an operator with nothing to repeat.
    for env in ("d\udcff", "\udcff"):
        pattern = NamePattern(template_regex("{env}-orders", {"env": env}))
        assert not pattern.fullmatch("prod-orders")
