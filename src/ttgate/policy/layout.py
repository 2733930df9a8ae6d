"""Layouts: how a repository's directories become stacks (a root, its layer, its environments).

The runbook's layout is ``stack_path`` (``{layer}/environments/{env}``: one root per layer and
environment). A policy's ``layouts:`` describes others, each a :class:`Layout` tried in order after
``stack_path``: a pattern of root directories, and where the root's environments come from — its path
(``{env}`` in ``roots``), its per-environment var files (``var_files``, like ``terraform -var-file``), its
workspaces (``workspace``), or nowhere (a root with no environment). Matching here is pure: the gate
looks for the var files on disk.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# The placeholders of a layout's patterns.
ROOT_PLACEHOLDERS = ("layer", "env")
VAR_FILE_PLACEHOLDERS = ("env", "name")
BACKEND_CONFIG_PLACEHOLDERS = ("env", "name")
WORKSPACE_PLACEHOLDERS = ("env", "name")


@dataclass(frozen=True)
class Layout:
    """One way the repository lays out its roots (a ``layouts:`` entry, or ``stack_path``)."""

    name: str
    # Matched against the END of a root directory's path, like stack_path; `*` is any one directory.
    roots: str
    # Per-environment var files, relative to the root ("env/{env}.tfvars", "../../env/{env}.tfvars")
    # or, starting with "/", to the repository (the git work tree). {name} is the root's directory name.
    var_files: tuple[str, ...] = ()
    # The workspace of each environment: a template ("{env}", "app-{env}", "{name}-{env}"), a fixed
    # name ("default"), or a mapping environment -> workspace name. None: nothing says
    # (terraform.workspace is unknown). {name} is the root's directory name.
    workspace: str | Mapping[str, str] | None = None
    # Directories -> layer: a key of one or more path segments matches consecutive directories of the
    # root's path (the longest key wins); a single name is "by directory name".
    layer_map: Mapping[str, str] = field(default_factory=dict)
    # Files of `terraform init -backend-config=FILE` (key = value settings merged into the root's
    # backend block), placed like var_files: relative to the root, or with "/" to the repository.
    backend_config: tuple[str, ...] = ()

    @property
    def env_in_path(self) -> bool:
        return "env" in PLACEHOLDER.findall(self.roots)

    def workspace_for(self, env: str | None, name: str | None = None) -> str | None:
        """The workspace an environment's stack is applied in, when the layout says.

        ``name`` is the root's directory name, for ``{name}`` ("{name}-{env}": one layout for every
        root whose workspaces are ``<app>-<env>``).
        """
        if self.workspace is None:
            return None
        if isinstance(self.workspace, str):
            if ("{env}" in self.workspace and env is None) or ("{name}" in self.workspace and name is None):
                return None
            return self.workspace.replace("{env}", env or "").replace("{name}", name or "")
        return self.workspace.get(env or "")


@dataclass(frozen=True)
class LayoutMatch:
    """A root directory matched by a layout: its layer, and its environment when the path names one."""

    layout: Layout
    layer: str | None
    env: str | None


def match_layout(layout: Layout, relative_dir: str, layer_names: tuple[str, ...]) -> LayoutMatch | None:
    """The match of a root's POSIX directory path (relative to the checked root), or None."""
    path = relative_dir.strip("/")
    path = path[2:] if path.startswith("./") else path
    found = roots_regex(layout.roots, layer_names).search(path)
    if found is None:
        return None
    groups = found.groupdict()
    layer = groups.get("layer") or _mapped_layer(layout.layer_map, path)
    return LayoutMatch(layout, layer, groups.get("env"))


def _mapped_layer(layer_map: Mapping[str, str], path: str) -> str | None:
    segments = path.split("/")
    best: tuple[int, str] | None = None
    for key, layer in layer_map.items():
        wanted = key.strip("/").split("/")
        for start in range(len(segments) - len(wanted) + 1):
            if segments[start : start + len(wanted)] == wanted and (best is None or len(wanted) > best[0]):
                best = (len(wanted), layer)
    return best[1] if best else None


@functools.lru_cache(maxsize=64)
def roots_regex(pattern: str, layer_names: tuple[str, ...], *, wildcards: bool = True) -> re.Pattern[str]:
    """A path pattern (``{layer}``, ``{env}``; with ``wildcards``, ``*``) as a regex matching a path's end.

    ``{layer}`` matches only a declared layer name; ``{env}`` any single path segment. ``stack_path``
    predates wildcards, so there ``*`` stays a literal character.
    """
    literal = _literal if wildcards else re.escape
    parts: list[str] = []
    position = 0
    for found in PLACEHOLDER.finditer(pattern):
        parts.append(literal(pattern[position : found.start()]))
        if found.group(1) == "layer":
            names = sorted(layer_names, key=len, reverse=True) or ["(?!)"]
            parts.append("(?P<layer>" + "|".join(re.escape(name) for name in names) + ")")
        else:
            parts.append("(?P<env>[^/]+)")
        position = found.end()
    parts.append(literal(pattern[position:].rstrip("/")))
    return re.compile("(?:^|/)" + "".join(parts) + "$")


def _literal(text: str) -> str:
    """Literal pattern text; ``*`` stands for any characters within one directory name."""
    return "[^/]*".join(re.escape(piece) for piece in text.split("*"))


def runbook_layout(stack_path: str) -> Layout:
    """``stack_path`` as a layout: the environment and the layer from the path."""
    return Layout(name="stack_path", roots=stack_path)
