"""Which stacks a root directory makes: one per environment, with its var files and workspace.

The policy's layouts say how a root's path reads (:meth:`Policy.layout_of`); this module adds what only
the file system tells: the environments a var-file pattern finds (``env/{env}.tfvars`` next to the root,
or ``/env/{env}.tfvars`` in the repository), and, where no layout matches, an ``env/`` or ``environments/``
folder of tfvars files in the root (detected, and said in a note).
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ttgate.policy.layout import Layout

if TYPE_CHECKING:
    from ttgate.policy import Policy

# Folders of per-environment tfvars files detected in a root that no layout describes.
DETECTED_FOLDERS = ("env", "environments")


@dataclass(frozen=True)
class StackSpec:
    """One stack of a root directory: evaluated once with these var files and this workspace."""

    layout: str | None  # the layout's name; None when no layout describes the root
    layer: str | None
    env: str | None
    env_from_path: bool  # the environment is in the root's path (one stack per directory)
    var_files: tuple[Path, ...]
    workspace: str | None  # None: nothing says which (terraform.workspace is unknown)
    detected: str | None = None  # the var-file pattern ttgate detected, when no layout matched


def stack_specs(directory: Path, relative: str, policy: Policy, repository: Path) -> list[StackSpec]:
    """The stacks of a root directory, in environment order (the policy's first, then by name)."""
    match = policy.layout_of(relative)
    detected = None
    if match is None:
        detected = _detected_pattern(directory)
        if detected is None:
            return [StackSpec(None, None, None, False, (), None)]
        layout = Layout(name="detected", roots="*", var_files=(detected,))
        layer, path_env = None, None
    else:
        layout, layer, path_env = match.layout, match.layer, match.env
    envs: list[str | None]
    if path_env is not None:
        envs = [path_env]
    else:
        found: set[str] = set()
        for pattern in layout.var_files:
            found.update(_env_files(_base(pattern, directory, repository), pattern, directory.name))
        workspace = layout.workspace
        if not found and isinstance(workspace, str) and "{env}" in workspace:
            found.update(policy.environments)
        elif not found and workspace is not None and not isinstance(workspace, str):
            found.update(workspace)
        order = {env: index for index, env in enumerate(policy.environments)}
        ordered: list[str | None] = [*sorted(found, key=lambda env: (order.get(env, len(order)), env))]
        envs = ordered or [None]
    return [
        StackSpec(
            layout=None if detected else layout.name,
            layer=layer,
            env=env,
            env_from_path=path_env is not None,
            var_files=_var_files(layout, env, directory, repository),
            workspace=layout.workspace_for(env),
            detected=detected,
        )
        for env in envs
    ]


def repository_of(directory: Path, fallback: Path) -> Path:
    """The git work tree holding ``directory`` (var-file patterns starting with / are relative to it)."""
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return fallback


def _detected_pattern(directory: Path) -> str | None:
    for folder in DETECTED_FOLDERS:
        if _env_files(directory, f"{folder}/{{env}}.tfvars", directory.name):
            return f"{folder}/{{env}}.tfvars"
    return None


def _base(pattern: str, directory: Path, repository: Path) -> Path:
    return repository if pattern.startswith("/") else directory


def _env_files(base: Path, pattern: str, name: str) -> dict[str, Path]:
    """The files a pattern with ``{env}`` names, by environment; {} without ``{env}``."""
    if "{env}" not in pattern:
        return {}
    full = os.path.normpath(os.path.join(base, pattern.lstrip("/").replace("{name}", name)))
    expression = re.escape(full).replace(re.escape("{env}"), "(?P<env>[^/]+)", 1)
    expression = expression.replace(re.escape("{env}"), "(?P=env)")
    regex = re.compile(expression)
    found: dict[str, Path] = {}
    for path in sorted(glob.glob(glob.escape(full).replace("{env}", "*"))):
        matched = regex.fullmatch(path)
        if matched is not None and os.path.isfile(path):
            found.setdefault(matched.group("env"), Path(path))
    return found


def _var_files(layout: Layout, env: str | None, directory: Path, repository: Path) -> tuple[Path, ...]:
    """The layout's var files for one environment that exist, in the order the layout lists them."""
    files: list[Path] = []
    for pattern in layout.var_files:
        if "{env}" in pattern and env is None:
            continue
        text = pattern.lstrip("/").replace("{name}", directory.name).replace("{env}", env or "")
        path = Path(os.path.normpath(os.path.join(_base(pattern, directory, repository), text)))
        if path.is_file():
            files.append(path)
    return tuple(files)
