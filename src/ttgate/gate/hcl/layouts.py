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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ttgate.gate.model import Backend, Location, Stack
from ttgate.policy.layout import Layout

if TYPE_CHECKING:
    from ttgate.policy import Policy

# Folders of per-environment tfvars files detected in a root that no layout describes.
DETECTED_FOLDERS = ("env", "environments")
# Common places of `terraform init -backend-config=FILE` files, relative to a root, tried in order
# when the layout names none: per environment first, then one file for every environment.
DETECTED_BACKEND_CONFIGS = (
    "{env}.s3.tfbackend",
    "{env}.tfbackend",
    "backend-{env}.tfbackend",
    "backend-{env}.hcl",
    "backend-{env}.conf",
    "backend.{env}.hcl",
    "backend.{env}.conf",
    "backend/{env}.tfbackend",
    "backend/{env}.hcl",
    "backend/{env}.conf",
    "env/{env}/backend.conf",
    "env/{env}/backend.hcl",
    "envs/{env}/backend.conf",
    "envs/{env}/backend.hcl",
    "environments/{env}/backend.conf",
    "environments/{env}/backend.hcl",
    "env-{env}/state.tfvars",
    "backend.conf",
    "backend.hcl",
    "backend.tfbackend",
    "config.s3.tfbackend",
)


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
    # `terraform init -backend-config=FILE` files that exist, in order, and whether ttgate found them
    # by convention (the layout names none).
    backend_configs: tuple[Path, ...] = ()
    backend_detected: str | None = None
    # The layout's var_files / backend_config patterns that name no file for this stack's environment.
    missing: tuple[str, ...] = ()

    @property
    def described(self) -> bool:
        """A layout describes the root, or ttgate found its environments' var files by convention."""
        return self.layout is not None or self.detected is not None


def stack_specs(directory: Path, relative: str, policy: Policy, repository: Path) -> list[StackSpec]:
    """The stacks of a root directory, in environment order (the policy's first, then by name)."""
    match = policy.layout_of(relative)
    detected = None
    if match is None:
        # Per-environment var files make a stack per environment; backend-config files alone do not
        # (with no layout, environments from a backend's files would split a root ttgate reads as one).
        detected = _detected_pattern(directory)
        if detected is None:
            configs, pattern = _detected_backend(directory, None)
            return [StackSpec(None, None, None, False, (), None, None, configs, pattern)]
        layout = Layout(name="detected", roots="*", var_files=(detected,))
        layer, path_env = None, None
    else:
        layout, layer, path_env = match.layout, match.layer, match.env
    envs: list[str | None]
    if path_env is not None:
        envs = [path_env]
    else:
        found: set[str] = set()
        for pattern in (*layout.var_files, *layout.backend_config):
            files = _env_files(_base(pattern, directory, repository), pattern, directory.name)
            found.update(env for env, path in files.items() if _inside(path, repository))
        workspace = layout.workspace
        if not found and isinstance(workspace, str) and "{env}" in workspace:
            found.update(policy.environments)
        elif not found and workspace is not None and not isinstance(workspace, str):
            found.update(workspace)
        order = {env: index for index, env in enumerate(policy.environments)}
        ordered: list[str | None] = [*sorted(found, key=lambda env: (order.get(env, len(order)), env))]
        envs = ordered or [None]
    specs = []
    for env in envs:
        if match is None or not layout.backend_config:
            configs, backend_pattern = _detected_backend(directory, env)
        else:
            configs, backend_pattern = _files(layout.backend_config, env, directory, repository), None
        missing = () if match is None else _missing(layout, env, directory, repository)
        specs.append(
            StackSpec(
                layout=None if match is None else layout.name,
                layer=layer,
                env=env,
                env_from_path=path_env is not None,
                var_files=_files(layout.var_files, env, directory, repository),
                workspace=layout.workspace_for(env, directory.name),
                detected=detected,
                backend_configs=configs,
                backend_detected=backend_pattern,
                missing=missing,
            )
        )
    return specs


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
    candidates = sorted(glob.glob(glob.escape(full).replace("{env}", "*")))
    if not candidates:
        return {}  # most roots: no pattern to compile (a few thousand compilations were 1 s of a warm run)
    expression = re.escape(full).replace(re.escape("{env}"), "(?P<env>[^/.]+)", 1)
    expression = expression.replace(re.escape("{env}"), "(?P=env)")
    regex = re.compile(expression)
    found: dict[str, Path] = {}
    for path in candidates:
        matched = regex.fullmatch(path)
        if matched is not None and os.path.isfile(path):
            found.setdefault(matched.group("env"), Path(path))
    return found


def _path(pattern: str, env: str | None, directory: Path, repository: Path) -> Path:
    text = pattern.lstrip("/").replace("{name}", directory.name).replace("{env}", env or "")
    return Path(os.path.normpath(os.path.join(_base(pattern, directory, repository), text)))


def _files(patterns: tuple[str, ...], env: str | None, directory: Path, repository: Path) -> tuple[Path, ...]:
    """The files of a layout's patterns for one environment that exist, in the order listed."""
    files: list[Path] = []
    for pattern in patterns:
        if "{env}" in pattern and env is None:
            continue
        path = _path(pattern, env, directory, repository)
        if path.is_file() and _inside(path, repository):
            files.append(path)
    return tuple(files)


def _inside(path: Path, repository: Path) -> bool:
    """A layout's file is read only inside the repository, symlinks resolved: a policy in a pull
    request cannot make ttgate parse (and quote in a parse error) a file from elsewhere."""
    real, boundary = os.path.realpath(path), os.path.realpath(repository)
    return real == boundary or real.startswith(boundary.rstrip(os.sep) + os.sep)


def _missing(layout: Layout, env: str | None, directory: Path, repository: Path) -> tuple[str, ...]:
    """The layout's patterns naming no file for this environment (a typo, or an environment left out)."""
    return tuple(
        pattern
        for pattern in (*layout.var_files, *layout.backend_config)
        if not ("{env}" in pattern and env is None)
        and not _path(pattern, env, directory, repository).is_file()
    )


def _detected_backend(directory: Path, env: str | None) -> tuple[tuple[Path, ...], str | None]:
    """The conventional backend-config file of a root for one environment, and its pattern."""
    for pattern in DETECTED_BACKEND_CONFIGS:
        if "{env}" in pattern:
            if env is None:
                continue
            if not _env_files(directory, pattern, directory.name):
                continue  # the convention is not this root's
        path = directory / pattern.replace("{env}", env or "")
        if path.is_file():
            return (path,), pattern
        if "{env}" in pattern:
            return (), pattern  # the root keeps one per environment, and none for this one
    return (), None


def merge_backend_config(
    backend: Backend,
    spec: StackSpec,
    read: Callable[[Path], dict[str, tuple[Any, Location]]],
    relative: Callable[[Path], str],
) -> None:
    """Merge a stack's -backend-config files into its backend block, as ``terraform init`` does.

    Each file is ``key = value`` settings; a later file's setting wins, as a later -backend-config
    does. The settings' locations point at the file that sets them.
    """
    for path in spec.backend_configs:
        for name, (value, where) in read(path).items():
            backend.config[name] = value
            backend.attribute_locations[name] = where
    backend.config_files = tuple(relative(path) for path in spec.backend_configs)
    backend.config_detected = spec.backend_detected if spec.backend_configs else None


def layout_notes(stacks: list[Stack]) -> list[str]:
    """Notes on what the layouts found: backend-config files detected, patterns that name no file."""
    notes: list[str] = []
    detected: dict[str, list[str]] = {}
    missing: dict[tuple[str, str, str], list[str]] = {}
    for stack in stacks:
        backend = stack.backend
        if backend is not None and backend.config_detected is not None:
            roots = detected.setdefault(backend.config_detected, [])
            if stack.name.split("@")[0] not in roots:
                roots.append(stack.name.split("@")[0])
        for pattern in stack.missing_files:
            missing.setdefault((stack.layout or "", pattern, stack.env or ""), []).append(
                stack.name.split("@")[0]
            )
    for pattern, names in detected.items():
        notes.append(
            f"backend-config files detected ({pattern}) in {_some(names)}: merged into each backend as "
            "terraform init -backend-config=FILE would; say so in .ttgate.yml to be sure "
            f'(layouts: [{{roots: "<dir>/*", backend_config: ["{pattern}"]}}], see docs/layouts.md)'
        )
    for (layout, pattern, env), names in missing.items():
        which = f" for environment {env}" if env else ""
        notes.append(
            f'layout "{layout}": "{pattern}" names no file{which} in {_some(names)}, so none was applied '
            "there; check the pattern, or that the environment is meant to have one"
        )
    return notes


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")
