"""TG002: a local module source that is not in the checkout is reported once, saying what to run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import findings, stack, summary

APP = "practice/deploy/30_app/environments/dev"
CALLS_TWICE = """
module "one" {
  source = "../../modules/gone"
}

module "two" {
  source = "../../modules/gone"
}
"""


def test_existing_module_source_passes(tmp_path: Path) -> None:
    tree = {
        **stack("30_app", "dev", 'module "here" {\n  source = "../../modules/here"\n}\n'),
        "practice/deploy/30_app/modules/here/main.tf": 'variable "x" {\n  default = 1\n}\n',
    }
    assert findings("TG002", tmp_path, tree) == []


def test_missing_source_is_one_finding_for_all_its_calls_and_not_a_parse_error(tmp_path: Path) -> None:
    tree = stack(
        "30_app", "dev", CALLS_TWICE, other__tf='module "three" {\n  source = "../../modules/gone"\n}\n'
    )
    found = findings("TG002", tmp_path, tree)
    assert summary(found) == [("TG002", f"{APP}/main.tf", 1, "30_app/dev")]
    message = found[0].message
    assert (
        'module source "../../modules/gone" (practice/deploy/30_app/modules/gone) does not exist' in message
    )
    assert f"Also called at {APP}/main.tf:5:1, {APP}/other.tf:1:1." in message
    assert "'" not in message  # no Python repr
    assert found[0].fix.startswith("Correct the source path")
    assert findings("TG000", tmp_path) == []


def test_missing_source_in_an_uninitialised_submodule_says_to_init_it(tmp_path: Path) -> None:
    tree = {
        **stack(
            "30_app", "dev", 'module "shared" {\n  source = "../../../../../vendor/shared/modules/queue"\n}\n'
        ),
        ".gitmodules": '[submodule "shared"]\n\tpath = vendor/shared\n\turl = https://example.com/shared.git\n',
    }
    (finding,) = findings("TG002", tmp_path, tree)
    assert "it lies in the git submodule vendor/shared, which is not checked out" in finding.message
    assert finding.fix.startswith("Run `git submodule update --init --recursive`")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_gitmodules_outside_the_root_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.gitmodules"
    outside.write_text('[submodule "shared"]\n\tpath = vendor/shared\n')
    root = tmp_path / "repo"
    tree = stack(
        "30_app", "dev", 'module "shared" {\n  source = "../../../../../vendor/shared/modules/queue"\n}\n'
    )
    (root).mkdir()
    (root / ".gitmodules").symlink_to(outside)
    (finding,) = findings("TG002", root, tree)
    assert "submodule" not in finding.message
    assert finding.fix.startswith("Correct the source path")
