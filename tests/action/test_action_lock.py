"""requirements/action.lock, what the action installs, agrees with pyproject.toml (regenerate it with
scripts/lock-action.sh): every dependency of ttgate and of its github extra is pinned there, at a version
pyproject allows, and every pinned package carries hashes (pip --require-hashes refuses anything else)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)")


def disagreements(pyproject: str, lock: str) -> list[str]:
    project = tomllib.loads(pyproject)["project"]
    wanted = [
        Requirement(text) for text in project["dependencies"] + project["optional-dependencies"]["github"]
    ]
    entries = re.split(r"\n(?=\S)", lock)
    pins = {}
    for entry in entries:
        match = PIN.match(entry)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
            if "--hash=sha256:" not in entry:
                pins[canonicalize_name(match.group(1))] = "no hash"
    problems = []
    for requirement in wanted:
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None:
            problems.append(f"{requirement.name} is not in the lock")
        elif pinned == "no hash":
            problems.append(f"{requirement.name} has no hash in the lock")
        elif pinned not in requirement.specifier:
            problems.append(f"{requirement.name}=={pinned} does not satisfy {requirement}")
    return problems


def test_the_lock_agrees_with_pyproject() -> None:
    lock = (REPO / "requirements" / "action.lock").read_text(encoding="utf-8")
    assert disagreements((REPO / "pyproject.toml").read_text(encoding="utf-8"), lock) == []


def test_a_new_or_changed_dependency_is_a_disagreement() -> None:
    lock = (REPO / "requirements" / "action.lock").read_text(encoding="utf-8")
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    added = pyproject.replace('"PyYAML>=6.0",', '"PyYAML>=6.0",\n    "rich>=13",')
    raised = pyproject.replace('github = ["PyGithub>=2.1"]', 'github = ["PyGithub>=99"]')
    assert disagreements(added, lock) == ["rich is not in the lock"]
    assert disagreements(raised, lock) == ["PyGithub==2.10.0 does not satisfy PyGithub>=99"]
    unhashed = re.sub(r"(pyyaml==\S+) \\\n(\s+--hash=\S+( \\)?\n)+", r"\1\n", lock)
    assert disagreements(pyproject, unhashed) == ["PyYAML has no hash in the lock"]
