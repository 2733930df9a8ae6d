"""`ttgate check --changed-from REV`: the stacks a change can affect, and what must be loaded to check them.

A pull request touches a stack or two of a monorepo; checking every stack makes it pay for the whole
tree. From the diff between REV's merge base with HEAD and the working tree, a stack is *selected* when

- it holds a changed file (in its directory or a subdirectory that is no other stack or module),
- it calls a changed local module, directly or through other modules,
- a layout maps a changed var file or backend-config file to it,
- it reads the state (``terraform_remote_state``) or Terragrunt outputs (``dependency``) of a
  selected stack, directly or through other readers,

and every stack is selected when the policy (or a file it extends), a ``--var-file`` or a Terragrunt
file another unit includes changed.

Findings must be those a full run reports, so the run loads more than it reports: every stack of
each selected stack's link scope (:func:`ttgate.gate.links.same_scope`: a rule that searches a queue
by name looks in every stack of the environment), and the units they read outputs from. Only the
selected stacks' findings are kept.

Which directories are stacks and which are modules is read here from the files' text, before any
parse (a ``source = "./..."`` string makes its directory a module; a ``backend`` or ``provider``
block, a root): cheap, and it errs towards selecting more.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ttgate.gate.hcl.layouts import repository_of, stack_specs

if TYPE_CHECKING:
    from ttgate.gate.findings import Finding
    from ttgate.gate.model import Model, Stack
    from ttgate.policy import Policy

_CONFIG = (".tf", ".tf.json")
_LOADED = (".tf", ".tf.json", ".tfvars")  # what the loader reads of a directory (see loader.find_files)
_TERRAGRUNT = "terragrunt.hcl"
_SKIP = frozenset({".terraform", ".git", "node_modules", ".terragrunt-cache", "__pycache__"})
_POLICY_NAMES = (".ttgate.yml", ".ttgate.yaml")

_HCL_SOURCE = re.compile(r'\bsource\s*=\s*"([^"]*)"')
_JSON_SOURCE = re.compile(r'"source"\s*:\s*"([^"]*)"')
_CONFIG_PATH = re.compile(r'\bconfig_path\s*=\s*"([^"]*)"')
_ROOT_BLOCK = re.compile(r'^\s*(?:backend|provider)\s+"|"(?:backend|provider)"\s*:', re.MULTILINE)
_READS_STATE = re.compile(r'"terraform_remote_state"|\bdependency\s+"')
_TERRAGRUNT_PATH = re.compile(r'"(?:\$\{get_terragrunt_dir\(\)\}/)?(\.{1,2}/[^"$]*)"')

# Reasons, in the order the note counts them.
CHANGED = "changed files"
MODULE = "calls a changed module"
VAR_FILE = "uses a changed var file"
READER = "reads the state of a selected stack"
EVERYTHING = "everything"
_COUNTED = {
    CHANGED: "with changed files",
    MODULE: "calling a changed module",
    VAR_FILE: "using a changed var file",
    READER: "reading their state",
    EVERYTHING: "",
}


@dataclass
class _Directory:
    """A directory holding configuration, as its files' text shows it."""

    path: Path
    files: list[Path] = field(default_factory=list)  # what the loader reads here
    calls: set[Path] = field(default_factory=set)  # local module sources
    sources: set[Path] = field(default_factory=set)  # a Terragrunt unit's: every local path it names
    reads: set[Path] = field(default_factory=set)  # Terragrunt dependency config_paths
    root_block: bool = False
    reads_state: bool = False
    unit: bool = False


@dataclass
class Selection:
    """What ``--changed-from`` checks: the selected stack directories (each with its reason), and the
    directories loaded to check them (``loaded`` None: everything)."""

    revision: str
    base: str
    total: int
    selected: dict[Path, str]
    details: dict[Path, str]  # what made it selected: the file, module or stack
    loaded: list[Path] | None
    everything: str | None = None  # why every stack is checked
    modules: set[Path] = field(default_factory=set)  # module directories the selected stacks call
    loaded_stacks: int = 0  # stack directories loaded for the cross-stack rules (0: all, or none)
    root: Path = Path(".")

    def load_paths(self, targets: list[Path]) -> list[Path]:
        """What the loader is given: the targets themselves, or the loaded directories' files."""
        return targets if self.loaded is None else self.loaded

    def holds(self, stack: Stack) -> bool:
        """Whether a stack of the model is one of the selected (a plan given on the command line is)."""
        if self.everything is not None or stack.kind == "plan":
            return True
        return stack.directory is not None and _normal(stack.directory) in self.selected

    def keeps(self, finding: Finding) -> bool:
        """Whether a finding is in a selected stack (a stack-less one: in a file one of them reads)."""
        if self.everything is not None:
            return True
        if finding.stack is not None:
            return self.holds(finding.stack)
        if finding.location is None:
            return False
        file = _normal(self.root / finding.location.file)
        places = (*self.selected, *self.modules)
        return any(file.parent == place or place in file.parents for place in places)

    def settle(self, model: Model) -> None:
        """Once loaded: keep the selected directories the loader made stacks (a module only Terragrunt
        units name is one only when their source cannot be evaluated), and select the loaded stacks
        that read a selected stack's state or outputs (transitively)."""
        if self.everything is not None:
            return
        made = {_normal(stack.directory) for stack in model.stacks if stack.directory is not None}
        dropped = [path for path in self.selected if path not in made]
        for path in dropped:
            del self.selected[path]
        self.total -= len(dropped)
        grown = True
        while grown:
            grown = False
            for stack in model.stacks:
                directory = _normal(stack.directory) if stack.directory is not None else None
                if directory is None or directory in self.selected:
                    continue
                for target in _read_targets(stack):
                    if target.directory is not None and _normal(target.directory) in self.selected:
                        self.selected[directory] = READER
                        self.details[directory] = self._name(_normal(target.directory))
                        grown = True
                        break

    def note(self, checked: int) -> str:
        """The run's note: what was checked, why, and what was not."""
        since = f"changed since {self.revision}"
        if self.everything is not None:
            return f"checked all {checked} stacks: {self.everything} since {self.revision}"
        if not self.selected:
            return f"no stack {since}: nothing checked ({self.total} stacks not affected)"
        counts: dict[str, int] = defaultdict(int)
        for reason in self.selected.values():
            counts[reason] += 1
        why = ", ".join(f"{counts[reason]} {_COUNTED[reason]}" for reason in _COUNTED if counts[reason])
        others = max(self.total - len(self.selected), 0)
        return f"checked {len(self.selected)} of {self.total} stacks {since} ({why}); {others} not affected"

    def as_json(self) -> dict[str, Any]:
        return {
            "changed_from": self.revision,
            "base": self.base,
            "everything": self.everything,
            "total": self.total,
            "loaded": self.loaded_stacks if self.loaded is not None else self.total,
            "stacks": [
                {"directory": self._name(path), "reason": reason, "because": self.details.get(path)}
                for path, reason in sorted(self.selected.items(), key=lambda item: self._name(item[0]))
            ],
        }

    def _name(self, path: Path) -> str:
        relative = os.path.relpath(path, self.root)
        return "." if relative == "." else Path(relative).as_posix()


def _read_targets(stack: Stack) -> Iterable[Stack]:
    for remote in stack.remote_states:
        if remote.target is not None:
            yield remote.target
    for dependency in stack.dependencies:
        if dependency.target is not None:
            yield dependency.target


def _normal(path: Path) -> Path:
    return Path(os.path.normpath(os.path.abspath(path)))


@dataclass(frozen=True)
class Changed:
    """What ``--changed-from REV`` compares: REV as given, the merge base, and every changed path
    (absolute; both sides of a rename, deleted ones too)."""

    revision: str
    base: str
    files: tuple[Path, ...]


def select(
    changes: Changed,
    targets: Sequence[Path],
    root: Path,
    policy: Policy,
    var_files: Sequence[Path] = (),
) -> Selection:
    """The stacks under ``targets`` that the change since ``revision``'s merge base with HEAD can affect."""
    revision, base = changes.revision, changes.base
    changed = sorted({_normal(path) for path in changes.files})
    root = _normal(root)
    directories = _scan(targets)
    called = {module for directory in directories.values() for module in directory.calls}
    sourced = {source for directory in directories.values() for source in directory.sources}
    stacks = {path for path, d in directories.items() if d.unit or d.root_block or path not in called}
    selection = Selection(revision, base, len(stacks), {}, {}, [], root=root)

    everything = _everything(changed, policy, var_files, directories)
    if everything is not None:
        selection.selected = dict.fromkeys(sorted(stacks), EVERYTHING)
        selection.everything, selection.loaded = everything, None
        return selection

    def pick(directory: Path, reason: str, because: Path) -> None:
        if directory not in selection.selected:
            selection.selected[directory] = reason
            selection.details[directory] = selection._name(because)

    changed_modules: dict[Path, Path] = {}  # module directory -> the changed file in it
    layouts = _Layouts(root, policy, directories)
    for file in changed:
        owner = _owner(file, directories)
        if owner not in stacks:  # a file of a stack's own directory selects it anyway
            for user in sorted(layouts.users(file, stacks)):
                pick(user, VAR_FILE, file)
        if owner is None:
            continue
        if owner in stacks:
            pick(owner, CHANGED, file)
        if owner in called or owner in sourced or owner not in directories:
            changed_modules.setdefault(owner, file)
    callers: dict[Path, set[Path]] = defaultdict(set)
    for path, directory in directories.items():
        for module in directory.calls | directory.sources:
            callers[module].add(path)
    pending = list(changed_modules)
    seen = set(pending)
    while pending:
        module = pending.pop()
        for caller in sorted(callers.get(module, ())):
            if caller in stacks:
                pick(caller, MODULE, module)
            if caller not in seen:
                seen.add(caller)
                pending.append(caller)
    _select_unit_readers(selection, directories, stacks)
    _select_readers_of_deleted(selection, changed, directories, stacks, layouts, root, policy)
    selection.modules = _modules_of(selection.selected, directories)
    selection.loaded = _load_set(selection, directories, stacks, layouts)
    return selection


def _everything(
    changed: list[Path], policy: Policy, var_files: Sequence[Path], directories: dict[Path, _Directory]
) -> str | None:
    """Why every stack is affected (the policy, a --var-file, an included Terragrunt file), or None."""
    sources = {_normal(Path(source)) for source in policy.sources}
    cli_vars = {_normal(path) for path in var_files}
    units = {path for path, directory in directories.items() if directory.unit}
    # A terragrunt.hcl with units below it is a parent they include (root.hcl-style), with the files
    # beside it that it reads (read_terragrunt_config, read_tfvars_file): every unit below may change.
    above = {parent for unit in units for parent in unit.parents}
    parents = units & above
    for file in changed:
        if file.name in _POLICY_NAMES or file in sources:
            return f"the policy {file.name} changed"
        if file in cli_vars:
            return f"the --var-file {file.name} changed"
        terragrunt = file.name.endswith(".hcl") and file.name != ".terraform.lock.hcl"
        included = terragrunt and file.parent not in units and file.parent in above
        if included or _owner(file, directories) in parents:
            return f"{file.name}, which Terragrunt units include or read, changed"
    return None


def _owner(file: Path, directories: dict[Path, _Directory]) -> Path | None:
    """The configuration directory a file belongs to: its own, or the nearest above that holds one."""
    if file.name.endswith(_CONFIG) or file.name == _TERRAGRUNT:  # a deleted module's too
        return file.parent
    for directory in (file.parent, *file.parent.parents):
        if directory in directories:
            return directory
    return None


class _Layouts:
    """What the policy's layouts say of each stack directory, worked out only when asked (it looks
    for var files on disk): its link scopes, and which var files it uses."""

    def __init__(self, root: Path, policy: Policy, directories: dict[Path, _Directory]) -> None:
        self.root, self.policy, self.directories = root, policy, directories
        self._specs: dict[Path, list[Any]] = {}
        self._used_by: dict[Path, set[Path]] | None = None

    def specs(self, path: Path) -> list[Any]:
        if path not in self._specs:
            relative = Path(os.path.relpath(path, self.root)).as_posix()
            self._specs[path] = stack_specs(path, relative, self.policy, repository_of(path, self.root))
        return self._specs[path]

    def scopes(self, path: Path) -> set[Hashable]:
        """The link scopes of a directory's stacks (see ttgate.gate.links.scope_of)."""
        directory = self.directories[path]
        match = self.policy.layout_of(Path(os.path.relpath(path, self.root)).as_posix())
        if directory.unit or (match is not None and match.env is not None):  # as the loader names them
            env = match.env if match is not None else None
            return {("environment", env) if env is not None else ("no environment",)}
        scopes: set[Hashable] = set()
        for spec in self.specs(path):
            described = spec.layout is not None or spec.detected is not None
            if not (described or directory.root_block):
                scopes.add(("module", path))
            else:
                scopes.add(("environment", spec.env) if spec.env is not None else ("no environment",))
        return scopes

    def users(self, file: Path, stacks: Iterable[Path]) -> set[Path]:
        """The stack directories whose layout maps ``file`` to them (a var or backend-config file)."""
        if self._used_by is None:
            self._used_by = defaultdict(set)
            for path in stacks:
                for spec in self.specs(path):
                    for used in (*spec.var_files, *spec.backend_configs):
                        self._used_by[_normal(used)].add(path)
        return self._used_by.get(file, set())


def _select_unit_readers(
    selection: Selection, directories: dict[Path, _Directory], stacks: set[Path]
) -> None:
    """Terragrunt units reading a selected unit's outputs, found by config_path (any environment)."""
    readers: dict[Path, set[Path]] = defaultdict(set)
    for path, directory in directories.items():
        for target in directory.reads:
            readers[target].add(path)
    pending = list(selection.selected)
    while pending:
        target = pending.pop()
        for reader in sorted(readers.get(target, ())):
            if reader in stacks and reader not in selection.selected:
                selection.selected[reader] = READER
                selection.details[reader] = selection._name(target)
                pending.append(reader)


def _select_readers_of_deleted(
    selection: Selection,
    changed: list[Path],
    directories: dict[Path, _Directory],
    stacks: set[Path],
    layouts: _Layouts,
    root: Path,
    policy: Policy,
) -> None:
    """A stack deleted whole leaves no state key to link its readers by: every stack of its scope
    that reads some state is selected."""
    gone = {
        file.parent
        for file in changed
        if file.name.endswith(_CONFIG) and file.parent not in directories and not file.parent.exists()
    }
    for directory in sorted(gone):
        if not _is_under(directory, root):
            continue
        relative = Path(os.path.relpath(directory, root)).as_posix()
        match = policy.layout_of(relative)
        env = match.env if match is not None else None
        scope: Hashable = ("environment", env) if env is not None else ("no environment",)
        for path in sorted(stacks):
            reader = directories[path]
            if reader.reads_state and scope in layouts.scopes(path) and path not in selection.selected:
                selection.selected[path] = READER
                selection.details[path] = selection._name(directory)


def _modules_of(selected: Iterable[Path], directories: dict[Path, _Directory]) -> set[Path]:
    found: set[Path] = set()
    pending = [
        module
        for path in selected
        if path in directories
        for module in directories[path].calls | directories[path].sources
    ]
    while pending:
        module = pending.pop()
        if module not in found:
            found.add(module)
            if module in directories:
                pending.extend(directories[module].calls)
    return found


def _load_set(
    selection: Selection,
    directories: dict[Path, _Directory],
    stacks: set[Path],
    layouts: _Layouts,
) -> list[Path]:
    """The files of every stack sharing a link scope with a selected one, and of the units they read."""
    if not selection.selected:
        return []
    wanted: set[Hashable] = set()
    for path in selection.selected:
        wanted |= layouts.scopes(path)
    load = {path for path in stacks if layouts.scopes(path) & wanted}
    # A module only a unit names is a stack of its own when the unit's source cannot be evaluated
    # (the loader checks it as a module library), else the unit's: its units decide, so they load too.
    sourced_by: dict[Path, set[Path]] = defaultdict(set)
    for path, directory in directories.items():
        for source in directory.sources:
            sourced_by[source].add(path)
    pending = list(load)
    while pending:
        path = pending.pop()
        for target in directories[path].reads | directories[path].sources | sourced_by.get(path, set()):
            if target in stacks and target not in load:
                load.add(target)
                pending.append(target)
    selection.loaded_stacks = len(load)
    return [file for path in sorted(load) for file in directories[path].files]


def _is_under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _scan(targets: Sequence[Path]) -> dict[Path, _Directory]:
    """Every directory under the targets holding configuration, as the loader walks them."""
    directories: dict[Path, _Directory] = {}
    for target in targets:
        target = _normal(target)
        if target.is_file():
            _read_into(directories, target)
            continue
        for directory, subdirs, names in os.walk(target):
            subdirs[:] = sorted(d for d in subdirs if d not in _SKIP and not d.startswith("."))
            for name in sorted(names):
                if name.endswith(_LOADED) or name == _TERRAGRUNT:
                    _read_into(directories, Path(directory) / name)
    found = {path: d for path, d in directories.items() if any(_holds_config(f) for f in d.files)}
    units = {path for path, directory in found.items() if directory.unit}
    for path in units:  # a unit's dependency or include path names a unit, not its source
        found[path].sources -= units
    return found


def _holds_config(file: Path) -> bool:
    return file.name.endswith(_CONFIG) or file.name == _TERRAGRUNT


def _read_into(directories: dict[Path, _Directory], file: Path) -> None:
    here = file.parent
    directory = directories.setdefault(here, _Directory(here))
    directory.files.append(file)
    if not _holds_config(file):
        return
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return  # the loader names an unreadable file; here it selects nothing
    if file.name == _TERRAGRUNT:
        directory.unit = True
        # Every local path the file names may be the source: it is often an expression
        # (`source = "${cond ? "git::..." : "../../modules//app"}"`). Paths to units are dropped in _scan.
        for local in _TERRAGRUNT_PATH.findall(text):
            directory.sources.add(_normal(here / local.replace("//", "/")))
        directory.reads |= {_normal(here / path) for path in _CONFIG_PATH.findall(text) if "$" not in path}
        directory.reads_state = directory.reads_state or bool(directory.reads)
        return
    pattern = _JSON_SOURCE if file.name.endswith(".json") else _HCL_SOURCE
    for source in pattern.findall(text):
        if source.startswith(("./", "../")):
            directory.calls.add(_normal(here / source))
    directory.root_block = directory.root_block or bool(_ROOT_BLOCK.search(text))
    directory.reads_state = directory.reads_state or bool(_READS_STATE.search(text))
