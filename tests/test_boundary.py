"""The repository boundary: what a run may read, and how (regular files only, never blocking)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import load, write_tree
from ttgate.policy.boundary import Boundary, NotRegular, read_regular, recording, repository_root


def test_the_repository_is_the_git_work_tree_else_the_checked_path(tmp_path: Path) -> None:
    write_tree(tmp_path, {"repo/.git/HEAD": "", "repo/stacks/a/main.tf": "", "plain/b/main.tf": ""})
    assert repository_root(tmp_path / "repo" / "stacks" / "a") == tmp_path / "repo"
    assert repository_root(tmp_path / "repo" / "stacks" / "a" / "main.tf") == tmp_path / "repo"
    assert repository_root(tmp_path / "plain" / "b") == tmp_path / "plain" / "b"


def test_links_inside_stay_readable_and_links_out_are_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"repo/a.tf": "", "outside.tf": ""})
    (tmp_path / "repo" / "in.tf").symlink_to("a.tf")
    (tmp_path / "repo" / "out.tf").symlink_to(tmp_path / "outside.tf")
    boundary = Boundary([tmp_path / "repo"])
    assert boundary.refusal(tmp_path / "repo" / "in.tf") is None
    assert boundary.refusal(tmp_path / "repo" / "out.tf") == (
        "a symbolic link to a file outside the repository ttgate checks"
    )
    assert boundary.refusal(tmp_path / "repo" / ".." / "outside.tf") == "outside the repository ttgate checks"
    # The command line's own file outside the repository is read; one inside must resolve inside.
    assert boundary.refusal_of_argument(tmp_path / "outside.tf") is None
    assert boundary.refusal_of_argument(tmp_path / "repo" / "out.tf") is not None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(NotRegular):
        read_regular(tmp_path / "pipe")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_tf_file_that_is_a_fifo_is_a_finding_not_a_hang(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": 'provider "aws" {\n  region = "eu-west-1"\n}\n'})
    os.mkfifo(tmp_path / "pipe.tf")
    os.mkfifo(tmp_path / "terraform.tfvars.json")
    problems = [(p.location.file, p.message) for p in load(tmp_path).problems]
    assert (
        "pipe.tf",
        "cannot be read (not a regular file but a device, pipe or socket), so it was not checked",
    ) in problems


def test_reads_are_recorded_by_real_path(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": "x"})
    (tmp_path / "link.txt").symlink_to("a.txt")
    with recording() as read:
        assert read_regular(tmp_path / "link.txt") == b"x"
    assert read == {os.path.realpath(tmp_path / "a.txt")}
