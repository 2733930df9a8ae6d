"""Loading: which policy files apply (``--policy``, the nearest .ttgate.yml, the built-in runbook.yml),
the ``extends`` chain between them, and their merge into one policy.

Mappings merge deeply, lists and scalars replace; a null removes what a base file wrote.
"""

from __future__ import annotations

import copy
import importlib.resources
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ttgate.errors import UserError
from ttgate.policy.boundary import Boundary, NotRegular, read_regular, repository_root
from ttgate.policy.model import Policy
from ttgate.policy.rule_spec import RuleSpec
from ttgate.policy.validate import Validator
from ttgate.policy.wording import KeyPath, describe
from ttgate.policy.yaml_file import Origin, PolicyFile, parse, where

POLICY_FILE_NAMES = (".ttgate.yml", ".ttgate.yaml")
BUILTIN_NAME = "runbook"
BUILTIN_DISPLAY = "runbook.yml (built-in)"


def builtin_policy_text() -> str:
    """The text of the built-in runbook.yml (installed package data, else the source checkout)."""
    resource = importlib.resources.files("ttgate") / "policies" / "runbook.yml"
    if resource.is_file():
        return resource.read_text(encoding="utf-8")
    path = Path(__file__).resolve().parents[3] / "policies" / "runbook.yml"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise UserError(
            f"the built-in policy runbook.yml cannot be read ({error}); reinstall ttgate"
        ) from None


def find_policy_file(search_dir: Path) -> Path | None:
    """The first .ttgate.yml (or .ttgate.yaml) in search_dir or its parents, stopping at a repository root.

    A found file that is a symbolic link out of its repository is refused, never read: the checkout's
    author would choose what ttgate reads (and quotes in its errors) from the job's own files.
    """
    directory = search_dir.resolve()
    if directory.is_file():
        directory = directory.parent
    for candidate_dir in (directory, *directory.parents):
        for name in POLICY_FILE_NAMES:
            candidate = candidate_dir / name
            if not os.path.lexists(candidate):
                continue
            refusal = Boundary([repository_root(candidate_dir)]).refusal(candidate)
            if refusal is not None:
                raise UserError(
                    f"{_display(candidate)}: the policy file is {refusal}; ttgate does not read it "
                    "(make it a file in the repository, or pass --policy FILE)"
                )
            if candidate.is_file():
                return candidate
        if (candidate_dir / ".git").exists():
            return None
    return None


def load_policy(
    rules: Mapping[str, RuleSpec],
    *,
    explicit: Path | None = None,
    search_dir: Path | None = None,
) -> Policy:
    """Build the policy for a run.

    ``explicit`` (the CLI's ``--policy FILE``) wins; otherwise the first ``.ttgate.yml`` found from
    ``search_dir`` upwards; otherwise (or when ``search_dir`` is None) the built-in runbook.yml alone.
    """
    start: Path | None = explicit
    if explicit is not None and search_dir is not None:
        refusal = Boundary.of([search_dir]).refusal_of_argument(explicit)
        if refusal is not None:
            raise UserError(f"--policy {_display(explicit)}: is {refusal}; ttgate does not read it")
    if start is None and search_dir is not None:
        start = find_policy_file(search_dir)
    chain = _read_chain(start)
    merged: dict[str, Any] = {}
    positions: dict[KeyPath, Origin] = {}
    for policy_file in chain:
        _merge_into(merged, policy_file.data, (), positions, policy_file.positions)
    return Validator(merged, positions, chain[-1].source, rules).policy(tuple(f.source for f in chain))


def _read_chain(start: Path | None) -> list[PolicyFile]:
    """The files to merge, base (the built-in runbook.yml) first."""
    chain: list[PolicyFile] = []
    seen: list[str] = []
    target: Path | None = start
    referrer: str | None = None  # "file:line: extends" of the file that named the target
    boundary = Boundary([Path.cwd()])  # set by the first file read: the repository the chain stays in
    while True:
        if target is None:
            policy_file = parse(builtin_policy_text(), BUILTIN_DISPLAY)
            key = BUILTIN_NAME
        else:
            key = os.path.realpath(target)  # a symbolic link loop resolves too (and is unreadable)
            if key in seen:
                cycle = " -> ".join([*(_display(Path(k)) for k in seen[seen.index(key) :]), _display(target)])
                raise UserError(f"{referrer}: cycle: {cycle}")
            if referrer is None:
                boundary = Boundary([repository_root(target)])
                policy_file = parse(_read(target, referrer), _display(target))
            else:
                policy_file = _extended(target, referrer, boundary)
        seen.append(key)
        chain.append(policy_file)
        extends = policy_file.data.pop("extends", None if target is None else BUILTIN_NAME)
        version = policy_file.data.pop("version", 1)
        located = where(policy_file.positions, policy_file.source, ("version",))
        if type(version) is not int or version != 1:
            raise UserError(
                f"{located}: version: expected 1 (the only policy format), got {describe(version)}"
            )
        if extends is None:
            if target is not None:
                located = where(policy_file.positions, policy_file.source, ("extends",))
                raise UserError(f'{located}: extends: expected "runbook" or a policy file path, got null')
            break
        located = where(policy_file.positions, policy_file.source, ("extends",))
        if target is None:
            raise UserError(f"{located}: extends: the built-in policy cannot extend another")
        if not isinstance(extends, str) or not extends.strip():
            raise UserError(
                f'{located}: extends: expected "runbook" or a policy file path, got {describe(extends)}'
            )
        referrer = f"{located}: extends"
        target = None if extends == BUILTIN_NAME else target.parent / extends
    chain.reverse()
    return chain


def _extended(target: Path, referrer: str, boundary: Boundary) -> PolicyFile:
    """A policy file named by ``extends``: inside the repository, and never quoted when it is not a policy.

    The policy comes from the pull request; the job's files outside the checkout (credentials, an env
    file) must not be readable through it, not even in part through an error message.
    """
    shown = _display(target)
    refusal = boundary.refusal(target)
    if refusal is not None:
        raise UserError(
            f"{referrer}: {shown} is {refusal}; a policy can only extend a file inside the "
            f'repository, or "{BUILTIN_NAME}"'
        )
    try:
        return parse(_read(target, referrer), shown)
    except UserError as error:
        if str(error).startswith(referrer):  # missing, a directory, unreadable: nothing quoted
            raise
        raise UserError(f"{referrer}: {shown} is not a valid policy file (a YAML mapping)") from None


def _display(path: Path) -> str:
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return str(path)
    return str(path)


def _read(path: Path, referrer: str | None) -> str:
    prefix = f"{referrer}: " if referrer else ""
    shown = _display(path)
    if not path.exists():
        if os.path.lexists(path):
            raise UserError(f"{prefix}policy file {shown} is a broken symbolic link, or a loop of them")
        raise UserError(f"{prefix}policy file {shown} does not exist")
    if path.is_dir():
        raise UserError(f"{prefix}policy file {shown} is a directory, not a file")
    try:
        return read_regular(path).decode("utf-8")
    except NotRegular as error:
        raise UserError(f"{prefix}policy file {shown} is {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise UserError(f"{prefix}policy file {shown} is not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise UserError(f"{prefix}policy file {shown} cannot be read: {error.strerror or error}") from None


def _merge_into(
    base: dict[str, Any],
    over: Mapping[str, Any],
    path: KeyPath,
    base_positions: dict[KeyPath, Origin],
    over_positions: Mapping[KeyPath, Origin],
) -> None:
    """Overlay ``over`` onto ``base``: mappings merge deeply, anything else replaces.

    A null value removes the key (and what a base file wrote under it), e.g.
    ``placement: {aws_kms_key: null}`` drops one entry of the runbook's mapping.
    """
    for key, value in over.items():
        key_path = (*path, key)
        if value is None:
            base.pop(key, None)
            for stale in [p for p in base_positions if p[: len(key_path)] == key_path]:
                del base_positions[stale]
            continue
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base_positions[key_path] = over_positions[key_path]
            _merge_into(base[key], value, key_path, base_positions, over_positions)
            continue
        for stale in [p for p in base_positions if p[: len(key_path)] == key_path]:
            del base_positions[stale]
        base[key] = copy.deepcopy(value)
        for p, origin in over_positions.items():
            if p[: len(key_path)] == key_path:
                base_positions[p] = origin
