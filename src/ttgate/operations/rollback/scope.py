"""The rollback scope: which stacks a rollback of the deploy tree to an earlier commit changes, in order.

Pure logic: the diff and the trees come in as data (:class:`~.tree.Tree`), the scope goes out as data. (Not
called a plan: that word belongs to Terraform's plans.) A changed file belongs to stacks this way:

- under a root stack's directory (``{layer}/environments/{env}`` in the runbook's policy): that stack;
- elsewhere inside a layer's directory (its ``modules/``): every stack of that layer;
- elsewhere (shared ``components/``): every stack whose local module calls reach the file's directory,
  followed through nested modules, at the target or at HEAD (:mod:`.modules`). A stack whose module
  ``source`` cannot be read as a literal (or whose .tf file cannot be parsed) may use it: it is
  included, with a warning.

Stacks come in rollback order: the reverse of the policy's apply order (30_app, 20_infra, 10_core),
environments in the policy's order within a layer.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ttgate.errors import UserError
from ttgate.operations.rollback.modules import ModuleUsage
from ttgate.operations.rollback.tree import Tree, is_under
from ttgate.policy import Policy

JSON_VERSION = 1
CORE_WARNING = (
    "Rolling back {layer} may affect the state backend itself (state bucket, lock table, KMS): "
    "roll it back last, only after {before} completed (runbook: Layer-Specific Rollback Order)"
)


@dataclass(frozen=True)
class FileChange:
    """A file changed since the target; ``status`` is git's letter (A M D R C T) from target to HEAD."""

    status: str
    path: str
    old_path: str | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.old_path, self.path) if self.old_path is not None else (self.path,)

    def describe(self) -> str:
        if self.old_path is not None:
            return f"{self.status} {self.old_path} -> {self.path}"
        return f"{self.status} {self.path}"


@dataclass(frozen=True)
class RollbackStack:
    """A root stack in the rollback: its layer, environment, directory and the changed files behind it.

    A stack is its identity (layer, environment and so its state key), not its path: a directory
    moved or renamed since the target is the same stack. ``directory`` is where it is after the
    rollback (at the target), ``moved_from`` where it is now (at HEAD), when that differs.
    """

    layer: str
    env: str
    directory: str
    files: tuple[str, ...]
    state_key: str | None = None
    moved_from: str | None = None

    @property
    def name(self) -> str:
        return f"{self.layer}/{self.env}"

    def to_json(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "env": self.env,
            "directory": self.directory,
            "files": list(self.files),
            "state_key": self.state_key,
            "moved_from": self.moved_from,
        }


@dataclass(frozen=True)
class RollbackScope:
    target: str
    head: str
    path: str
    stacks: tuple[RollbackStack, ...]  # rollback order
    changes: tuple[FileChange, ...]
    warnings: tuple[str, ...] = ()
    excluded: tuple[RollbackStack, ...] = ()  # changed since the target but left out by --env/--layers
    restore_paths: tuple[str, ...] = ()  # what the rollback commit restores: the deploy tree, or files

    @property
    def layers(self) -> list[str]:
        seen: list[str] = []
        for stack in self.stacks:
            if stack.layer not in seen:
                seen.append(stack.layer)
        return seen

    def to_json(self) -> dict[str, Any]:
        return {
            "version": JSON_VERSION,
            "target": self.target,
            "head": self.head,
            "path": self.path,
            "stacks": [stack.to_json() for stack in self.stacks],
            "warnings": list(self.warnings),
            "changes": [
                {"status": change.status, "path": change.path, "old_path": change.old_path}
                for change in self.changes
            ],
            "excluded": [stack.to_json() for stack in self.excluded],
            "restore_paths": list(self.restore_paths),
        }


LayerSelection = str  # "auto", "all" or a comma-separated list of layer names


def parse_layers(value: str, policy: Policy) -> tuple[str, ...] | None:
    """``--layers``: None for auto, else the chosen layer names (every layer for ``all``)."""
    value = value.strip()
    if value in ("", "auto"):
        return None
    if value == "all":
        return tuple(layer.name for layer in policy.layers)
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    known = [layer.name for layer in policy.layers]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise UserError(
            f"--layers {value}: unknown layer {', '.join(unknown) or '(none given)'} "
            f"(choose auto, all or a comma-separated list of {', '.join(known)})"
        )
    return names


def build_scope(
    *,
    policy: Policy,
    target: str,
    head: str,
    path: str,
    changes: Sequence[FileChange],
    trees: Sequence[Tree],
    env: str | None = None,
    layers: tuple[str, ...] | None = None,
) -> RollbackScope:
    """The rollback scope for ``changes`` (the diff from ``target`` to ``head`` under ``path``).

    ``trees`` are the target's and HEAD's trees: the stacks that exist and the module calls come
    from both. ``layers`` None means the layers the changes touch; otherwise every stack of those
    layers is listed, changed or not. ``env`` keeps only that environment's stacks.
    """
    warnings: list[str] = []
    stack_dirs = _stack_directories(policy, trees)
    files_of, unowned = _files_of_stacks(policy, changes, trees, stack_dirs, warnings)
    unknown_envs = sorted(
        {e for d, (_, e) in stack_dirs.items() if files_of[d] and e not in policy.environments}
    )
    if unknown_envs:
        warnings.append(
            f"environment(s) {', '.join(unknown_envs)} are not in the policy "
            f"({', '.join(policy.environments)}); their stacks are listed after the others"
        )

    every: list[RollbackStack] = []
    for directories, (layer, stack_env) in _by_identity(stack_dirs, trees, warnings):
        files = tuple(dict.fromkeys(f for directory in directories for f in files_of[directory]))
        if files or layers is not None:
            state = policy.layer(layer)
            every.append(
                RollbackStack(
                    layer,
                    stack_env,
                    directories[0],
                    files,
                    state_key=state.state_key if state else None,
                    moved_from=directories[1] if len(directories) > 1 else None,
                )
            )
    every.sort(key=_rollback_key(policy))

    chosen = [
        stack
        for stack in every
        if (env is None or stack.env == env)
        and (stack.layer in layers if layers is not None else bool(stack.files))
    ]
    excluded = tuple(stack for stack in every if stack.files and stack not in chosen)
    _refuse_shared_files(chosen, excluded, env=env, layers=layers)
    if excluded:
        warnings.append(
            "not rolled back (outside --env/--layers), their files stay as they are: "
            + ", ".join(stack.name for stack in excluded)
        )
    # No filter: the whole deploy tree, files of no stack included. A filter: exactly the chosen
    # stacks' files, so nothing another stack reads changes behind its back.
    whole_tree = env is None and layers is None
    restore_paths = (path,) if whole_tree else tuple(sorted({f for s in chosen for f in s.files}))
    if unowned:
        fate = (
            "are restored without an apply" if whole_tree else "are not restored (no chosen stack uses them)"
        )
        warnings.append(
            f"{len(unowned)} changed file(s) belong to no stack and {fate}: " + ", ".join(unowned)
        )
    warnings.extend(_moved_since_target(chosen))
    warnings.extend(_added_since_target(chosen, trees[0] if trees else None))
    chosen_layers = {stack.layer for stack in chosen}
    ordered = sorted(policy.layers, key=lambda layer: layer.order)
    if ordered and ordered[0].name in chosen_layers and len(ordered) > 1:
        before = " and ".join(layer.name for layer in reversed(ordered[1:]) if layer.name in chosen_layers)
        warnings.insert(
            0, CORE_WARNING.format(layer=ordered[0].name, before=before or "every higher layer's rollback")
        )
    return RollbackScope(
        target=target,
        head=head,
        path=path,
        stacks=tuple(chosen),
        changes=tuple(changes),
        warnings=tuple(warnings),
        excluded=excluded,
        restore_paths=restore_paths,
    )


def _files_of_stacks(
    policy: Policy,
    changes: Sequence[FileChange],
    trees: Sequence[Tree],
    stack_dirs: Mapping[str, tuple[str, str]],
    warnings: list[str],
) -> tuple[dict[str, list[str]], list[str]]:
    """The changed files behind each stack directory, and the changed files no stack uses.

    A file inside a layer's directory but outside its stacks (``{layer}/modules/...``) belongs to the
    stacks of that layer whose module calls reach it; when none does (a module nobody calls yet, a
    README), to every stack of the layer, since the layer's own tooling may read it.
    """
    layer_names = [layer.name for layer in policy.layers]
    files_of: dict[str, list[str]] = {directory: [] for directory in stack_dirs}
    unowned: list[str] = []
    usage: ModuleUsage | None = None
    for change in changes:
        for file in change.paths:
            stack_dir = _owning_stack(file, stack_dirs)
            if stack_dir is not None:
                files_of[stack_dir].append(file)
                continue
            usage = usage or ModuleUsage(trees, warnings)
            users = [d for d in stack_dirs if usage.reaches(d, file)]
            layer_dir = _layer_directory(file, layer_names)
            if layer_dir is not None:
                layer = posixpath.basename(layer_dir)
                of_layer = [d for d in stack_dirs if stack_dirs[d][0] == layer and is_under(d, layer_dir)]
                users = [d for d in users if d in of_layer] or of_layer
            for directory in users:
                files_of[directory].append(file)
            if not users:
                unowned.append(file)
    return files_of, sorted(dict.fromkeys(unowned))


def _refuse_shared_files(
    chosen: Sequence[RollbackStack],
    excluded: Sequence[RollbackStack],
    *,
    env: str | None,
    layers: tuple[str, ...] | None,
) -> None:
    """Refuse when a file a chosen stack needs restored is also used by a stack left out: restoring it
    would change that stack too, and leaving it would roll the chosen stack back only half."""
    for stack in chosen:
        for file in stack.files:
            others = [other for other in excluded if file in other.files]
            if not others:
                continue
            widen: list[str] = []
            if env is not None and any(other.env != env for other in others):
                widen.append("without --env")
            needed = {s.layer for s in (*chosen, *others)}
            if layers is not None and not needed <= set(layers):
                widen.append("--layers " + ",".join(sorted(needed, reverse=True)))
            names = ", ".join(other.name for other in others)
            raise UserError(
                f"{file} changed since the target and is used by {stack.name} and by {names}, outside "
                f"the selection: rolling it back would change them too, leaving it would roll "
                f"{stack.name} back only half; include them ({' and '.join(widen) or 'widen the selection'}) "
                "or choose a later --to"
            )


def _by_identity(
    stack_dirs: Mapping[str, tuple[str, str]], trees: Sequence[Tree], warnings: list[str]
) -> list[tuple[tuple[str, ...], tuple[str, str]]]:
    """The stack directories grouped by identity: ((directory at the target, directory at HEAD), id)
    for a stack moved since the target, ((directory,), id) otherwise.

    Two directories of one identity are one stack moved when one exists only at the target and the
    other only at HEAD; any other pair stays two stacks, with a warning (they share a state key).
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for directory, identity in stack_dirs.items():
        groups.setdefault(identity, []).append(directory)
    if len(trees) < 2:
        return [((directory,), identity) for identity, dirs in groups.items() for directory in dirs]
    target_files, head_files = trees[0].files(), trees[-1].files()

    def exists(directory: str, files: Sequence[str]) -> bool:
        return any(is_under(file, directory) for file in files)

    grouped: list[tuple[tuple[str, ...], tuple[str, str]]] = []
    for identity, dirs in groups.items():
        if len(dirs) == 2:
            at_target = [d for d in dirs if exists(d, target_files) and not exists(d, head_files)]
            at_head = [d for d in dirs if exists(d, head_files) and not exists(d, target_files)]
            if len(at_target) == 1 and len(at_head) == 1:
                grouped.append(((at_target[0], at_head[0]), identity))
                continue
        if len(dirs) > 1:
            warnings.append(
                f"stack {identity[0]}/{identity[1]} has {len(dirs)} directories ({', '.join(dirs)}) that "
                "share one state key: check by hand which one Terraform applies"
            )
        grouped.extend(((directory,), identity) for directory in dirs)
    return grouped


def _moved_since_target(chosen: Sequence[RollbackStack]) -> list[str]:
    """A note for each chosen stack whose directory moved since the target: the same stack (same
    state key), so nothing is destroyed; the rollback moves its files back."""
    return [
        f"stack {stack.name} moved from {stack.directory} (at the target) to {stack.moved_from} since: the "
        f"rollback moves it back to {stack.directory}; same stack, same state"
        + (f" ({stack.state_key})" if stack.state_key else "")
        + f", nothing to destroy: run Terraform in {stack.directory} after the rollback"
        for stack in chosen
        if stack.moved_from is not None
    ]


def _added_since_target(chosen: Sequence[RollbackStack], target_tree: Tree | None) -> list[str]:
    """A warning for each chosen stack that did not exist at the target: the rollback deletes its
    files, but Terraform never sees a deletion, so its live resources and state stay."""
    if target_tree is None:
        return []
    at_target = target_tree.files()
    return [
        f"stack {stack.name} did not exist at the target: the rollback deletes {stack.directory}, but its "
        f"live resources and state stay; run terraform destroy in {stack.directory} first"
        for stack in chosen
        if not any(is_under(file, stack.directory) for file in at_target)
    ]


def _rollback_key(policy: Policy) -> Callable[[RollbackStack], tuple[int, int, str, str]]:
    order = {layer.name: layer.order for layer in policy.layers}
    envs = {name: index for index, name in enumerate(policy.environments)}

    def key(stack: RollbackStack) -> tuple[int, int, str, str]:
        return (-order.get(stack.layer, -1), envs.get(stack.env, len(envs)), stack.env, stack.directory)

    return key


def _stack_directories(policy: Policy, trees: Sequence[Tree]) -> dict[str, tuple[str, str]]:
    """Every root stack directory in any of the trees -> (layer, env)."""
    found: dict[str, tuple[str, str]] = {}
    checked: set[str] = set()
    for tree in trees:
        for file in tree.files():
            directory = posixpath.dirname(file)
            while directory and directory not in checked:
                checked.add(directory)
                layer, env = policy.stack_identity(directory)
                if layer is not None and env is not None:
                    found[directory] = (layer, env)
                    break
                directory = posixpath.dirname(directory)
    # A stack inside another stack's directory is not a separate stack.
    return {d: ident for d, ident in sorted(found.items()) if _owning_stack(d, found) is None}


def _owning_stack(file: str, stack_dirs: Mapping[str, Any]) -> str | None:
    """The stack directory among the file's ancestors (never the path itself)."""
    directory = posixpath.dirname(file)
    while directory:
        if directory in stack_dirs:
            return directory
        directory = posixpath.dirname(directory)
    return None


def _layer_directory(file: str, layer_names: Iterable[str]) -> str | None:
    parts = file.split("/")[:-1]
    names = set(layer_names)
    for index, part in enumerate(parts):
        if part in names:
            return "/".join(parts[: index + 1])
    return None
