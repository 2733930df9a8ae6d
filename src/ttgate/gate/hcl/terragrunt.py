"""Terragrunt units, read without the Terragrunt binary.

A directory with a ``terragrunt.hcl`` is a unit: its ``terraform { source }`` names the module
evaluated as the unit's root (a local path; a remote one is unknown), ``inputs`` are that root's
variable values, ``remote_state`` its backend, and each ``dependency`` block an edge to the unit at its
``config_path`` whose outputs ``dependency.<name>.outputs.<x>`` read (mock_outputs are never used).
An ``include``d file (``find_in_parent_folders()``) is merged as Terragrunt's shallow merge does: the
child's ``inputs`` keys, ``remote_state``, ``terraform`` and ``dependency`` blocks over the parent's; the
parent's locals are read as ``include.<name>.locals``. A file Terragrunt reads is always inside the
checked root (symlinks resolved), and nesting is bounded.

Functions: ``get_terragrunt_dir()``, ``get_parent_terragrunt_dir()``, ``path_relative_to_include()``,
``path_relative_from_include()``, ``find_in_parent_folders(name?, fallback?)``,
``read_terragrunt_config(path)``, and ``get_env(name, default)``, which is the default: never the
environment of the job running ttgate.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ttgate.gate.hcl import syntax as ast
from ttgate.gate.hcl.evaluate import Evaluator, Trace
from ttgate.gate.hcl.files import Files as RepositoryFiles
from ttgate.gate.hcl.files import Repository
from ttgate.gate.hcl.instances import Memo, location
from ttgate.gate.model import Location, Origin
from ttgate.gate.values import Invalid, Unknown, short

if TYPE_CHECKING:
    from ttgate.gate.hcl.instances import Instance

TERRAGRUNT_FILE = "terragrunt.hcl"
# Files one unit reads through include and read_terragrunt_config, nested at most this deep.
MAX_CONFIG_DEPTH = 5


class Files:
    """What a unit needs from the loader: parsed files, and paths relative to the checked root."""

    def __init__(
        self,
        root: Path,
        parse: Callable[[Path], ast.Body | None],
        relative: Callable[[Path], str],
        problem: Callable[[str, Location, str | None], None],
        note: Callable[[str], None],
    ) -> None:
        self.root = root
        self.parse = parse
        self.relative = relative
        self.problem = problem
        self._note = note
        self._noted: set[str] = set()
        # file() and its kin in Terragrunt files: repository files, bounded as in Terraform files.
        self.repository = Repository(root)

    def note(self, message: str) -> None:
        """A note, once: a parent file is read again for every unit that includes it."""
        if message not in self._noted:
            self._noted.add(message)
            self._note(message)

    def inside(self, path: Path) -> bool:
        """Whether a path, symlinks resolved, lies inside the checked root."""
        real = os.path.realpath(path)
        root = os.path.realpath(self.root)
        return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


_NOT_YET = object()


@dataclass
class Config:
    """One file Terragrunt reads for a unit, and the scope its expressions are evaluated in."""

    file: Path
    body: ast.Body
    scope: ConfigScope
    includes: dict[str, Config] = field(default_factory=dict)
    inputs: Any = _NOT_YET  # evaluated once, by _inputs_of


class UnitReader:
    """One unit's configuration: its own terragrunt.hcl merged with what it includes."""

    def __init__(self, directory: Path, files: Files) -> None:
        self.directory = directory
        self.files = files
        self.included: set[Path] = set()  # the files this unit includes (they are not units)
        self.dependency_outputs: Callable[[str, Path, Location], Any] = lambda name, path, where: Unknown(
            f"dependency.{name}: not linked"
        )
        self.config = self._read(directory / TERRAGRUNT_FILE, None, ())

    # -- reading ------------------------------------------------------------------------------

    def _read(self, file: Path, include_dir: Path | None, chain: tuple[Path, ...]) -> Config | None:
        body = self.files.parse(file)
        if body is None:
            return None
        scope = ConfigScope(self, file, body, include_dir, chain)
        config = Config(file, body, scope)
        scope.config = config
        for block in body.blocks_of("include"):
            name = block.labels[0] if block.labels else ""
            where = Location(self.files.relative(file), block.line, block.column)
            attribute = block.body.attributes.get("path")
            path = scope.evaluator.evaluate(attribute.expr) if attribute is not None else None
            if not isinstance(path, str):
                # Terragrunt may well read it (a function ttgate lacks): unknown, not an error.
                why = f" ({path.reason})" if isinstance(path, Unknown) else ""
                self.files.note(
                    f"{where}: include {name or '(unnamed)'}: its path cannot be evaluated{why}, so what it "
                    "includes is not merged and the values that come from it are unknown"
                )
                continue
            target = self._resolve(file.parent, path)
            included = self._nested(target, where, (*chain, file), f"include {name or '(unnamed)'}")
            if isinstance(included, str):
                continue
            parent = self._read(target, target.parent, (*chain, file))
            if parent is not None:
                self.included.add(Path(os.path.realpath(target)))
                config.includes[name] = parent
        return config

    def _resolve(self, base: Path, path: str) -> Path:
        return Path(os.path.normpath(os.path.join(base, path)))

    def _nested(self, target: Path, where: Location, chain: tuple[Path, ...], what: str) -> Path | str:
        """The file a nested read names, or why it is not read (also a problem, TG000)."""
        real = Path(os.path.realpath(target))
        problem, fix = None, None
        if not self.files.inside(target):
            problem = f"{what} names {target.name}, outside the checked directory; it was not read"
            fix = "Keep every file Terragrunt reads inside the repository."
        elif real in {Path(os.path.realpath(p)) for p in chain}:
            problem = f"{what} reads {self.files.relative(target)}, which is already being read (a cycle)"
            fix = "Remove the include or read that forms the cycle."
        elif len(chain) >= MAX_CONFIG_DEPTH:
            problem = f"{what} nests files deeper than the {MAX_CONFIG_DEPTH} levels ttgate reads"
            fix = "Terragrunt merges one level of include; flatten the chain."
        elif not target.is_file():
            problem = f"{what}: {self.files.relative(target)} does not exist"
            fix = "Create the file, or correct the path."
        if problem is None:
            return target
        self.files.problem(problem, where, fix)
        return problem

    # -- the merged configuration ----------------------------------------------------------------

    def _chain(self) -> list[Config]:
        """The configs in merge order: included parents first, the unit's own file last."""
        if self.config is None:
            return []
        return [*self.config.includes.values(), self.config]

    def _last_block(self, block_type: str) -> tuple[ast.Block, Config] | None:
        found = None
        for config in self._chain():
            for block in config.body.blocks_of(block_type):
                found = (block, config)
        return found

    def source(self) -> tuple[Any, Location | None]:
        """``terraform.source``: a string, Unknown, or None when the unit's own directory is the module."""
        found = self._last_block("terraform")
        if found is None or "source" not in found[0].body.attributes:
            return None, None
        block, config = found
        attribute = block.body.attributes["source"]
        value = config.scope.evaluator.evaluate(attribute.expr)
        return value, location(self.files.relative(config.file), attribute)

    def remote_state(self) -> tuple[str, dict[str, Any], Location] | None:
        found = self._last_block("remote_state")
        if found is None:
            return None
        block, config = found
        values = {
            name: config.scope.evaluator.evaluate(attribute.expr)
            for name, attribute in block.body.attributes.items()
        }
        backend = values.get("backend")
        settings = values.get("config")
        return (
            backend if isinstance(backend, str) else "unknown",
            settings if isinstance(settings, dict) else {},
            location(self.files.relative(config.file), block),
        )

    def dependencies(self) -> dict[str, tuple[Any, Location]]:
        """Each ``dependency`` block by name (a child's over a parent's): its config_path, where."""
        found: dict[str, tuple[Any, Location]] = {}
        for config in self._chain():
            for block in config.body.blocks_of("dependency"):
                name = block.labels[0] if block.labels else ""
                attribute = block.body.attributes.get("config_path")
                path = config.scope.evaluator.evaluate(attribute.expr) if attribute else None
                where = location(self.files.relative(config.file), block)
                if isinstance(path, str):
                    path = self._resolve(config.file.parent, path)
                found[name] = (path if isinstance(path, Path) else Unknown("config_path is not known"), where)
        found.update(self._ordering_dependencies())
        return found

    def _ordering_dependencies(self) -> dict[str, tuple[Any, Location]]:
        """``dependencies { paths = [...] }`` (the last file's block, as Terragrunt merges it): edges
        that order applies without reading outputs, named ``dependencies.paths[i]`` (no identifier, so
        ``dependency.<name>`` never reads one)."""
        found_block = self._last_block("dependencies")
        if found_block is None:
            return {}
        block, config = found_block
        attribute = block.body.attributes.get("paths")
        if attribute is None:
            return {}
        paths = config.scope.evaluator.evaluate(attribute.expr)
        where = location(self.files.relative(config.file), attribute)
        if not isinstance(paths, list):
            return {"dependencies.paths": (Unknown("dependencies.paths is not a known list"), where)}
        return {
            f"dependencies.paths[{index}]": (
                self._resolve(config.file.parent, path) if isinstance(path, str) else Unknown("not a path"),
                where,
            )
            for index, path in enumerate(paths)
        }

    def generated(self) -> list[Generated]:
        """``generate`` blocks writing a ``.tf`` file (a child's over a parent's of the same label):
        the text Terragrunt writes into the unit's working copy, or why ttgate cannot know it."""
        blocks: dict[str, tuple[ast.Block, Config]] = {}
        for config in self._chain():
            for block in config.body.blocks_of("generate"):
                blocks[block.labels[0] if block.labels else ""] = (block, config)
        found: list[Generated] = []
        for label, (block, config) in blocks.items():
            values = {
                name: config.scope.evaluator.evaluate(attribute.expr)
                for name, attribute in block.body.attributes.items()
                if name in ("path", "contents", "if_exists", "disable")
            }
            path = values.get("path")
            if values.get("disable") is True or not isinstance(path, str) or not path.endswith(".tf"):
                continue
            where = location(self.files.relative(config.file), block)
            contents = values.get("contents")
            skip = values.get("if_exists") == "skip"
            if isinstance(contents, str):
                found.append(Generated(label, path, contents, where, skip))
            else:
                why = contents.reason if isinstance(contents, Unknown) else "contents is not a string"
                self.files.note(
                    f'{where}: generate "{label}" writes {path}, whose contents ttgate cannot evaluate '
                    f"({why}): what it declares is not read"
                )
        return found

    def inputs(self) -> dict[str, tuple[Any, Origin]]:
        """``inputs``, shallow-merged: a key the unit sets wins over its parent's."""
        merged: dict[str, tuple[Any, Origin]] = {}
        for config in self._chain():
            attribute = config.body.attributes.get("inputs")
            if attribute is None:
                continue
            trace: Trace = []
            value = config.scope.evaluator.evaluate(attribute.expr, trace)
            where = location(self.files.relative(config.file), attribute)
            if not isinstance(value, dict):
                continue
            for name, item in value.items():
                merged[name] = (item, Origin(f"inputs.{name} = {short(repr_value(item))}", where))
        return merged


@dataclass(frozen=True)
class Generated:
    """A file a ``generate`` block writes into the unit's working copy before Terraform runs."""

    label: str
    path: str
    contents: str
    where: Location
    skip_if_exists: bool  # if_exists = "skip": a file of that name in the module wins


def repr_value(value: Any) -> str:
    from ttgate.gate.values import display

    return display(value)


class _Locals:
    def __init__(self, scope: ConfigScope) -> None:
        self.scope = scope

    def get_attr(self, name: str, trace: Trace) -> Any:
        return self.scope.local(name, trace)


def _all_locals(scope: ConfigScope) -> dict[str, Any]:
    """Another file's ``locals`` as an object, so ``merge(local.common.locals, ...)`` works as in
    Terragrunt's own examples (each local evaluated once, by the file's memo)."""
    return {name: scope.local(name, []) for name in scope.locals}


class _Dependencies:
    def __init__(self, reader: UnitReader) -> None:
        self.reader = reader

    def get_attr(self, name: str, trace: Trace) -> Any:
        found = self.reader.dependencies().get(name)
        if found is None:
            return Invalid(f"dependency.{name} is not declared")
        path, where = found
        if isinstance(path, Unknown):
            return {"outputs": Unknown(f"dependency.{name}: {path.reason}")}
        return {"outputs": self.reader.dependency_outputs(name, path, where)}


class ConfigScope:
    """The evaluator's scope for one Terragrunt file, evaluated for one unit as Terragrunt does."""

    def __init__(
        self,
        reader: UnitReader,
        file: Path,
        body: ast.Body,
        include_dir: Path | None,
        chain: tuple[Path, ...],
    ) -> None:
        self.reader = reader
        self.file = file
        self.body = body
        self.include_dir = include_dir  # for an included file: its own directory
        self.chain = chain
        self.config: Config | None = None
        self.memo = Memo()
        # Terragrunt resolves a relative file() path from the file the expression is in.
        self.evaluator = Evaluator(self, files=RepositoryFiles(reader.files.repository, file.parent))
        self.locals: dict[str, ast.Attribute] = {}
        for block in body.blocks_of("locals"):
            self.locals.update(block.body.attributes)
        self.functions: dict[str, Callable[[list[Any]], Any]] = {
            "get_terragrunt_dir": lambda args: str(reader.directory),
            # the unit being run, also from a file it includes or reads
            "get_original_terragrunt_dir": lambda args: str(reader.directory),
            "get_parent_terragrunt_dir": lambda args: str(include_dir or file.parent),
            "path_relative_to_include": self._relative_to_include,
            "path_relative_from_include": self._relative_from_include,
            "find_in_parent_folders": self._find_in_parent_folders,
            "get_env": _get_env,
            "read_terragrunt_config": self._read_terragrunt_config,
        }

    def lookup(self, name: str, trace: Trace) -> Any:
        if name == "local":
            return _Locals(self)
        if name == "dependency":
            return _Dependencies(self.reader)
        if name == "include":
            config = self.reader.config
            includes = config.includes if config is not None else {}
            return {
                label: {"locals": _all_locals(parent.scope), "inputs": _inputs_of(parent)}
                for label, parent in includes.items()
            }
        return Invalid(f"{name!r} is not evaluated in a Terragrunt file")

    def local(self, name: str, trace: Trace) -> Any:
        attribute = self.locals.get(name)
        if attribute is None:
            return Invalid(f"local.{name} is not defined in {self.reader.files.relative(self.file)}")

        def compute(own: Trace) -> Any:
            value = self.evaluator.evaluate(attribute.expr, own)
            own.append(
                Origin(
                    f"local.{name} = {short(attribute.text)}",
                    location(self.reader.files.relative(self.file), attribute),
                )
            )
            return value

        return self.memo.get(("local", name), compute, trace, f"local.{name}")

    # -- functions ------------------------------------------------------------------------------

    def _include_dir(self) -> Path | None:
        if self.include_dir is not None:
            return self.include_dir
        config = self.reader.config
        if config is not None and config.includes:
            return next(iter(config.includes.values())).file.parent
        return None

    def _relative_to_include(self, args: list[Any]) -> Any:
        base = self._include_dir()
        return "." if base is None else Path(os.path.relpath(self.reader.directory, base)).as_posix()

    def _relative_from_include(self, args: list[Any]) -> Any:
        base = self._include_dir()
        return "." if base is None else Path(os.path.relpath(base, self.reader.directory)).as_posix()

    def _find_in_parent_folders(self, args: list[Any]) -> Any:
        name = args[0] if args else TERRAGRUNT_FILE
        if not isinstance(name, str):
            return (
                name if isinstance(name, Unknown) else Invalid("find_in_parent_folders: a name is a string")
            )
        root = Path(os.path.normpath(self.reader.files.root))
        for directory in self.reader.directory.parents:
            if not self.reader.files.inside(directory):
                break
            candidate = directory / name
            if os.path.lexists(candidate):
                return str(candidate)
            if directory == root:
                break
        if len(args) > 1:
            return args[1]
        return Invalid(
            f"find_in_parent_folders: no {name} above {self.reader.files.relative(self.reader.directory)}"
        )

    def _read_terragrunt_config(self, args: list[Any]) -> Any:
        if not args or not isinstance(args[0], str):
            return (
                args[0]
                if args and isinstance(args[0], Unknown)
                else Invalid("read_terragrunt_config needs a path")
            )
        target = self.reader._resolve(self.file.parent, args[0])
        where = Location(self.reader.files.relative(self.file), 1)
        found = self.reader._nested(target, where, (*self.chain, self.file), "read_terragrunt_config")
        if isinstance(found, str):
            if len(args) > 1:
                return args[1]
            return Invalid(found)
        body = self.reader.files.parse(found)
        if body is None:
            return Invalid(f"read_terragrunt_config: {self.reader.files.relative(found)} cannot be parsed")
        scope = ConfigScope(self.reader, found, body, self.include_dir, (*self.chain, self.file))
        config = Config(found, body, scope)
        return {"locals": _all_locals(scope), "inputs": _inputs_of(config)}


def _inputs_of(config: Config) -> Any:
    """A file's ``inputs``, evaluated once: every ``include.x`` reads them, and a unit reads many."""
    if config.inputs is _NOT_YET:
        attribute = config.body.attributes.get("inputs")
        config.inputs = {} if attribute is None else config.scope.evaluator.evaluate(attribute.expr)
    return config.inputs


def _get_env(args: list[Any]) -> Any:
    name = args[0] if args else "?"
    if len(args) > 1:
        return args[1]
    return Unknown(f"get_env({name!r}) has no default, and ttgate never reads the job's environment")


class DependencyOutputs:
    """``dependency.<name>.outputs``: the unit at config_path's root outputs, evaluated there."""

    def __init__(self, root: Instance, where: Location) -> None:
        self.root = root
        self.where = where

    def get_attr(self, name: str, trace: Trace) -> Any:
        value = self.root.output(name, trace)
        trace.append(Origin(f"read from unit {self.root.stack.name} output {name}", self.where))
        return value

    def get_index(self, key: Any, trace: Trace) -> Any:
        return self.get_attr(str(key), trace)
