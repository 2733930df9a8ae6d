"""Loading Terraform HCL into the model: find root stacks, instantiate modules, link stacks.

Steps: read and parse every .tf/.tfvars file under the given paths (cached, in parallel); group
files by directory into modules; a directory with a backend or provider block is a root stack,
whose layer and environment come from its path as the policy says; instantiate each root with its
tfvars; evaluate every resource in every module instance; link ``terraform_remote_state`` reads to
the stack that writes that state key in the same environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError
from ttgate.gate.hcl.bounds import MAX_FILE_BYTES
from ttgate.gate.hcl.evaluate import Evaluator, Trace
from ttgate.gate.hcl.files import Repository
from ttgate.gate.hcl.gitmodules import Submodules
from ttgate.gate.hcl.instances import (
    Input,
    Instance,
    ResourceObject,
    evaluate_blocks,
    location,
)
from ttgate.gate.hcl.layouts import (
    StackSpec,
    layout_notes,
    merge_backend_config,
    repository_of,
    stack_specs,
)
from ttgate.gate.hcl.modules import ModuleSource, build_module
from ttgate.gate.hcl.native_syntax import parse_text
from ttgate.gate.hcl.parse import Parser
from ttgate.gate.hcl.parse_budget import gather_cut_problem
from ttgate.gate.hcl.references import undeclared_references
from ttgate.gate.hcl.run_budget import ReadBudget, budget_problem, evaluation_budget
from ttgate.gate.hcl.syntax import ParsedFile, SyntaxProblem
from ttgate.gate.hcl.terragrunt import TERRAGRUNT_FILE, DependencyOutputs, Files, Generated, UnitReader
from ttgate.gate.hcl.variable_names import reserved_variable_names
from ttgate.gate.model import (
    Backend,
    Dependency,
    Location,
    MissingModule,
    Model,
    Origin,
    Problem,
    RemoteState,
    Resource,
    Stack,
    relative_posix,
)
from ttgate.gate.values import Invalid, Unknown, display, short
from ttgate.policy.boundary import Boundary, NotRegular, read_regular
from ttgate.policy.names import name_regex

if TYPE_CHECKING:
    from ttgate.policy import Policy

_SKIP_DIRS = frozenset({".terraform", ".git", "node_modules", ".terragrunt-cache", "__pycache__"})
_SUFFIXES = (".tf", ".tf.json", ".tfvars")  # .tfvars.json files are read with their stack's inputs
_CONFIG_SUFFIXES = (".tf", ".tf.json")


def is_config_file(path: Path) -> bool:
    return path.name.endswith(_CONFIG_SUFFIXES)


class _NoScope:
    """Scope of tfvars files, backend blocks and module sources: literals only."""

    def lookup(self, name: str, trace: Trace) -> Any:
        return Invalid(f"{name} cannot be used here (only literal values are allowed)")


def find_files(paths: Iterable[Path], model: Model) -> list[Path]:
    """Every .tf and .tfvars file under the paths; what cannot be listed or is not a file is a problem.

    Hidden directories are skipped as Terraform skips ``.terraform``; those with configuration in
    them, and Terraform's own, are named in the report's directories and notes.
    """
    found: list[Path] = []
    hidden: list[str] = []

    def unreadable(error: OSError) -> None:
        where = relative_posix(Path(os.path.abspath(error.filename or ".")), model.root)
        model.directories[where] = f"not checked: cannot be read ({error.strerror or error})"
        model.problems.append(
            Problem(
                f"directory cannot be read ({error.strerror or error}), so nothing in it was checked",
                Location(where, 0),
                "Make the directory readable by the user running ttgate, or remove it from the checkout.",
            )
        )

    for path in paths:
        if not path.exists():
            raise UserError(f"{path}: no such file or directory")
        if path.is_file():
            found.append(path)
            continue
        for directory, subdirs, files in os.walk(path, onerror=unreadable):
            for name in sorted(subdirs):
                if name.startswith(".") and _skipped_dir_to_name(Path(directory) / name):
                    where = relative_posix(Path(os.path.abspath(Path(directory) / name)), model.root)
                    hidden.append(where)
                    model.directories[where] = _HIDDEN
            subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS and not d.startswith("."))
            found.extend(
                Path(directory) / name
                for name in sorted(files)
                if name.endswith(_SUFFIXES) or name == TERRAGRUNT_FILE
            )
    if hidden:
        more = f" and {len(hidden) - 5} more" if len(hidden) > 5 else ""
        count = "1 hidden directory" if len(hidden) == 1 else f"{len(hidden)} hidden directories"
        model.notes.append(f"{count} not checked, as Terraform skips them: {', '.join(hidden[:5])}{more}")
    return found


_HIDDEN = "not checked: a hidden directory, which Terraform skips too"
_WORKING_DIRS = frozenset({".terraform", ".terragrunt-cache"})


def _skipped_dir_to_name(directory: Path) -> bool:
    """Whether a hidden directory is worth naming: Terraform's own, or one holding configuration."""
    if directory.name in _WORKING_DIRS:
        return True
    if directory.name == ".git":
        return False
    return _holds_configuration(directory)


# Entries looked at below one hidden directory: configuration nested in it is named (roots kept under
# `.settings/<name>/`), and a hostile tree cannot make the look last.
_HIDDEN_SCAN_LIMIT = 5_000


def _holds_configuration(directory: Path) -> bool:
    """Whether configuration lies anywhere below a hidden directory (symlinks not followed)."""
    pending = [directory]
    seen = 0
    while pending and seen < _HIDDEN_SCAN_LIMIT:
        try:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    seen += 1
                    if entry.name.endswith(_CONFIG_SUFFIXES) and entry.is_file(follow_symlinks=False):
                        return True
                    if entry.is_dir(follow_symlinks=False) and entry.name not in (".git", *_WORKING_DIRS):
                        pending.append(Path(entry.path))
        except OSError:
            continue
    return False


class StackBuilder:
    """Builds the model from HCL files; to the module instances it makes, their ``instances.Builder``."""

    def __init__(
        self, root: Path, policy: Policy, parser: Parser, var_files: list[Path] | None = None
    ) -> None:
        self.root = Path(os.path.normpath(os.path.abspath(root)))
        self.policy = policy
        self.parser = parser
        self.var_files = var_files or []
        self.model = Model(root=self.root)
        self.parsed: dict[Path, ParsedFile] = {}
        self.modules: dict[Path, ModuleSource] = {}
        self.instances: list[Instance] = []
        self.objects: dict[Resource, ResourceObject] = {}
        self.roots: dict[Stack, Instance] = {}
        self.constant_evaluator = Evaluator(_NoScope())
        self._reported_dirs: set[Path] = set()
        self._refused_at: set[tuple[str, int, int]] = set()
        self.submodules = Submodules(self.root)
        # file() and its kin read inside the git work tree holding the root, or the root itself.
        self.boundary = Boundary([repository_of(self.root, self.root)])  # load() sets the checked paths'
        self.repository = Repository(self.boundary)
        self._arguments = {Path(os.path.normpath(os.path.abspath(p))) for p in self.var_files}  # CLI-named
        self._refused_files: set[Path] = set()
        self._resolved: dict[Path, Path] = {}
        self._real: dict[Path, Path] = {}
        self.expanded = 0  # instances count/for_each expanded so far (see bounds.MAX_INSTANCES_TOTAL)
        self._relative: dict[Path, str] = {}
        self._regions: dict[Stack, str | None] = {}
        self._remote_states: dict[Resource, RemoteState] = {}
        self._detected: dict[str, str] = {}  # root -> the var-file pattern detected in it
        self.reading = ReadBudget()  # the files and bytes one run reads
        # What Terragrunt files read with file(): a generate block's contents, written into each unit.
        self._unit_reads: Repository | None = None

    # -- paths -------------------------------------------------------------------------------

    def resolve(self, path: Path) -> Path:
        """An absolute, normalised path, memoised.

        Lexical, like Terraform's own joining of module paths (``../modules/x``), and without the
        system call per path component that Path.resolve() costs.
        """
        resolved = self._resolved.get(path)
        if resolved is None:
            resolved = self._resolved[path] = Path(os.path.normpath(os.path.abspath(path)))
        return resolved

    def real(self, path: Path) -> Path:
        """The path with symlinks resolved, memoised: what module recursion is checked on."""
        real = self._real.get(path)
        if real is None:
            real = self._real[path] = Path(os.path.realpath(path))
        return real

    def relative(self, path: Path) -> str:
        text = self._relative.get(path)
        if text is None:
            text = self._relative[path] = relative_posix(self.resolve(path), self.root)
        return text

    # -- parsing ------------------------------------------------------------------------------

    def parse(self, files: list[Path]) -> None:
        todo = list(dict.fromkeys(p for p in map(self.resolve, files) if p not in self.parsed))
        contents = []
        for path in todo:
            if not self.reading.admit(path):  # past the run's files or bytes: named once (TG000)
                self.parsed[path] = ParsedFile(None, SyntaxProblem("not read: past the run's bound", 0, 0))
                continue
            data = self._read(path)
            if data is not None:
                contents.append((path, data))
        for path, parsed in self.parser.parse_many(contents).items():
            self.parsed[path] = parsed
            relative = self.relative(path)
            if parsed.directives:
                self.model.files[relative] = parsed.directives
            if parsed.problem is not None:
                problem = parsed.problem
                self.model.problems.append(
                    Problem(problem.message, Location(relative, problem.line, problem.column))
                )

    def _read(self, path: Path) -> bytes | None:
        """A file's bytes; one that cannot be read is a problem (TG000) and the rest is still checked.

        Only a regular file inside the repository is opened (see :mod:`ttgate.policy.boundary`); a refused
        one is named, never quoted.
        """
        path = self.resolve(path)
        if path in self._arguments:
            refusal = self.boundary.refusal_of_argument(path)
        else:
            refusal = self.boundary.refusal(path)
        if refusal is not None:
            self._refuse(path, refusal)
            return None
        problem = None
        try:
            data = read_regular(path, MAX_FILE_BYTES)
            if len(data) <= MAX_FILE_BYTES:
                return data
            problem = f"larger than the {MAX_FILE_BYTES >> 20} MiB ttgate reads in one file"
        except NotRegular as error:
            problem = error.strerror
        except OSError as error:
            problem = str(error.strerror or error)
        self.parsed[path] = ParsedFile(None, SyntaxProblem(f"cannot be read: {problem}", 0, 0))
        self.model.problems.append(
            Problem(
                f"cannot be read ({problem}), so it was not checked",
                Location(self.relative(path), 0),
                "Make it a readable regular file, or remove it from the checkout.",
            )
        )
        return None

    def _refuse(self, path: Path, refusal: str) -> None:
        """One finding naming a file outside the repository; nothing of it is read or shown."""
        self.parsed[path] = ParsedFile(None, SyntaxProblem("not read: outside the repository", 0, 0))
        if path in self._refused_files:
            return
        self._refused_files.add(path)
        self.model.problems.append(
            Problem(
                f"this file is {refusal}, so ttgate did not read it and nothing in it was checked",
                Location(self.relative(path), 0),
                "Replace the symbolic link with the file itself, inside the repository, or remove it.",
            )
        )

    def module_at(self, directory: Path) -> ModuleSource:
        directory = self.resolve(directory)
        module = self.modules.get(directory)
        if module is None:
            tf_files = sorted(p for p in directory.iterdir() if is_config_file(p) and p.is_file())
            self.parse(tf_files)
            module = build_module(
                directory, [(self.relative(p), self.parsed[self.resolve(p)]) for p in tf_files]
            )
            self.modules[directory] = module
            for rejection in module.rejections:
                self.model.problems.append(
                    Problem(
                        f"{rejection.message}; Terraform rejects the module, and {rejection.consequence}",
                        Location(rejection.file, rejection.line, rejection.column),
                        "Correct the declaration (`terraform validate` shows the same error).",
                    )
                )
        return module

    def module_source(
        self, caller: Path, source: Any, call: Location
    ) -> tuple[ModuleSource | None, str | None]:
        if not isinstance(source, str):
            return None, "its source is not a literal string"
        if not source.startswith(("./", "../")):
            return None, f"its source {display(source)} is not a local path (ttgate reads local modules only)"
        directory = self.resolve(caller / source)
        refusal = self.boundary.refusal(directory)
        if refusal is not None:
            reason = (
                f"its source {display(source)} is outside the repository ttgate checks, so it was not read"
            )
            self.report_refused(
                f"module source {display(source)} is {refusal}, so ttgate did not read it",
                call,
                "Keep the module inside the repository (or call it from a registry or git source).",
            )
            return None, reason
        if not _is_directory(directory):
            relative = self.relative(directory)
            missing = self.model.missing_modules.get(relative)
            if missing is None:
                missing = MissingModule(source, relative, submodule=self.submodules.containing(directory))
                self.model.missing_modules[relative] = missing
            if call not in missing.calls:
                missing.calls.append(call)
            return None, f'its source "{source}" does not exist'
        return self.module_at(directory), None

    def report_recursion(self, directory: Path, call: str, location: Location) -> None:
        if directory not in self._reported_dirs:
            self._reported_dirs.add(directory)
            self.model.problems.append(
                Problem(
                    f"{call} calls module {display(self.relative(directory))} from inside that module "
                    "(module recursion, which Terraform cannot build); the inner call was not expanded",
                    location,
                    "Remove the call, or move what both need into a third module that neither calls back.",
                )
            )

    def report_refused(self, message: str, location: Location, fix: str) -> None:
        place = (location.file, location.line, location.column)
        if place not in self._refused_at:
            self._refused_at.add(place)
            self.model.problems.append(Problem(message, location, fix))

    # -- building ---------------------------------------------------------------------------

    def region_of(self, stack: Stack) -> str | None:
        """The stack's AWS region: its default aws provider's region when known, else the policy's."""
        if stack not in self._regions:
            region: Any = None
            root = self.roots.get(stack)
            for declared in root.source.providers if root else []:
                block = declared.block
                region_attr = block.body.attributes.get("region")
                if block.labels[:1] == ["aws"] and "alias" not in block.body.attributes and region_attr:
                    region = root.evaluator.evaluate(region_attr.expr) if root else None
            self._regions[stack] = region if isinstance(region, str) else self.policy.region
        return self._regions[stack]

    def register(self, resource: Resource, obj: ResourceObject) -> None:
        self.objects[resource] = obj

    def load(self, paths: list[Path]) -> Model:
        self.boundary = Boundary.of(paths)
        self.repository = Repository(self.boundary)
        files = find_files(paths, self.model)
        self.parse(files)
        directories = sorted({self.resolve(path).parent for path in files if is_config_file(path)})
        units = self._units(files)
        for directory in directories:
            if directory in units:
                continue  # a unit's own directory is its module when it names no source
            module = self.module_at(directory)
            if module.is_root:
                self._add_stack(directory, module)
        for directory, reader in units.items():
            self._add_unit(directory, reader)
        self._link_units(units)
        self._expand()
        # Nothing is skipped in silence: a directory no root calls (a module library, a root with only
        # required_providers) is checked as a root with its variables' defaults and unknown inputs.
        while uncalled := self._uncalled(directories):
            for directory in uncalled:
                # Terraform configures a provider nobody declared: a directory a layout describes is a
                # root without a provider block; any other is a module library.
                self._add_stack(directory, self.module_at(directory), role=None)
            self._expand()
        self._account_for(directories)
        self._layout_notes()
        self.model.problems.extend(  # what terraform validate rejects in a root ttgate reads whole
            undeclared_references(
                ((stack, instance.source) for stack, instance in self.roots.items()), self._parsed_body
            )
        )
        self.model.problems.extend(reserved_variable_names(self.modules.values()))
        for stack in self.model.stacks:
            self._collect(stack)
        return self.model

    # -- Terragrunt units -----------------------------------------------------------------------

    def _units(self, files: list[Path]) -> dict[Path, UnitReader]:
        """Each directory with a terragrunt.hcl that no other unit includes (a root.hcl-style parent)."""
        helper = Files(self.root, self._body, self.relative, self._problem, self.model.notes.append)
        self._unit_reads = helper.repository
        readers = {
            self.resolve(path).parent: UnitReader(self.resolve(path).parent, helper)
            for path in files
            if path.name == TERRAGRUNT_FILE
        }
        included = {path for reader in readers.values() for path in reader.included}
        return {
            directory: reader
            for directory, reader in sorted(readers.items())
            if Path(os.path.realpath(directory / TERRAGRUNT_FILE)) not in included
        }

    def _body(self, path: Path) -> Any:
        self.parse([path])
        return self.parsed[self.resolve(path)].body

    def _problem(self, message: str, where: Location, fix: str | None) -> None:
        self.model.problems.append(Problem(message, where, fix))

    def _add_unit(self, directory: Path, reader: UnitReader) -> None:
        """A unit's stack: its source module as the root, its inputs as variable values."""
        name = self.relative(directory)
        match = self.policy.layout_of(name)
        stack = Stack(name=name, directory=directory, layer=None, env=None)
        if match is not None:
            stack.layer, stack.env, stack.layout = match.layer, match.env, match.layout.name
            stack.workspace = match.layout.workspace_for(match.env, directory.name)
        stack.location = Location(self.relative(directory / TERRAGRUNT_FILE), 1)
        remote = reader.remote_state()
        if remote is not None:
            stack.backend = Backend(remote[0], remote[1], remote[2])
            stack.location = remote[2]
        source, where = reader.source()
        module = self._unit_module(stack, directory, source, where)
        generated = reader.generated()
        if generated:  # Terragrunt writes them into the unit's copy of the module before Terraform runs
            module = self._with_generated(module, directory, generated)
        self.model.stacks.append(stack)
        self.roots[stack] = Instance(self, stack, module, "", _UnitInputs(reader), None)

    def _with_generated(self, module: ModuleSource, unit: Path, generated: list[Generated]) -> ModuleSource:
        files = {
            os.path.basename(file): (file, self.parsed[self.resolve(self.root / file)])
            for file in module.files
        }
        for item in generated:
            name = os.path.basename(item.path)
            if item.skip_if_exists and name in files:
                continue
            files[name] = (f"{self.relative(unit)}/{item.path}", parse_text(item.contents))
        return build_module(module.directory, list(files.values()))

    def _unit_module(
        self, stack: Stack, directory: Path, source: Any, where: Location | None
    ) -> ModuleSource:
        if source is None:
            return self.module_at(directory)
        stack.unit_source = source if isinstance(source, str) else None
        if isinstance(source, str) and source.startswith("/"):  # "${get_terragrunt_dir()}/..."
            stack.unit_source = self.relative(Path(source.replace("//", "/")))
        if not isinstance(source, str):
            reason = source.reason if isinstance(source, Unknown) else "not a string"
            self.model.notes.append(
                f"{stack.name}: its Terragrunt source cannot be evaluated ({reason}); "
                "listed without resources"
            )
            return build_module(directory, [])
        if "::" in source or "://" in source or not source.startswith(("./", "../", "/")):
            self.model.notes.append(
                f'{stack.name}: its Terragrunt source "{source}" is remote; ttgate reads local modules only, '
                "so the unit is listed without resources"
            )
            return build_module(directory, [])
        target = self.resolve(directory / source.replace("//", "/"))
        call = where or stack.location or Location(stack.name, 1)
        if not self._inside(target):
            self.model.problems.append(
                Problem(
                    f'{stack.name}: its Terragrunt source "{source}" is outside the checked directory; '
                    "it was not read",
                    call,
                    "Keep the unit's module inside the repository.",
                )
            )
            return build_module(directory, [])
        relative = os.path.relpath(target, directory)
        module, _ = self.module_source(
            directory, relative if relative.startswith("..") else f"./{relative}", call
        )
        return module if module is not None else build_module(directory, [])

    def _inside(self, path: Path) -> bool:
        real = os.path.realpath(path)
        root = os.path.realpath(self.root)
        return real == root or real.startswith(root.rstrip(os.sep) + os.sep)

    def _link_units(self, units: dict[Path, UnitReader]) -> None:
        """Each dependency block an edge to the unit at its config_path; its outputs read there."""
        stacks = {stack.directory: stack for stack in self.roots if stack.directory in units}
        for directory, reader in units.items():
            stack = stacks[directory]
            for name, (path, where) in reader.dependencies().items():
                dependency = Dependency(name, None, where)
                stack.dependencies.append(dependency)
                if isinstance(path, Unknown):
                    dependency.problem = f"its config_path cannot be evaluated: {path.reason}"
                    continue
                dependency.config_path = self.relative(path)
                if not self._inside(path):
                    dependency.problem = "its config_path is outside the checked directory"
                elif self.resolve(path) not in stacks:
                    dependency.problem = f"no unit at {dependency.config_path}"
                else:
                    dependency.target = stacks[self.resolve(path)]
                if dependency.problem is not None:
                    self.model.problems.append(
                        Problem(
                            f'dependency "{name}" of {stack.name}: {dependency.problem}, so its outputs '
                            "are unknown",
                            where,
                            "Point config_path at a unit directory (with terragrunt.hcl) in the repository.",
                        )
                    )
            reader.dependency_outputs = self._dependency_outputs(stack)

    def _dependency_outputs(self, stack: Stack) -> Any:
        def outputs(name: str, path: Path, where: Location) -> Any:
            found = next((d for d in stack.dependencies if d.name == name), None)
            if found is None or found.target is None:
                problem = found.problem if found is not None else "not linked"
                return Unknown(f"dependency.{name}.outputs: {problem}")
            return DependencyOutputs(self.roots[found.target], where)

        return outputs

    def _expand(self) -> None:
        expanded: set[int] = set()
        while len(expanded) < len(self.roots) + len(self.instances):
            for instance in [*self.roots.values(), *self.instances]:
                if id(instance) not in expanded:
                    expanded.add(id(instance))
                    self._instantiate_all(instance)

    def _covered(self) -> set[Path]:
        roots = {stack.directory for stack in self.roots if stack.directory is not None}
        # A Terragrunt unit's root is its source module, in another directory.
        sources = {instance.source.directory for instance in [*self.roots.values(), *self.instances]}
        return roots | sources

    def _uncalled(self, directories: list[Path]) -> list[Path]:
        """The directories not checked yet that no other unchecked directory calls (one of a cycle)."""
        covered = self._covered()
        pending = [
            directory
            for directory in directories
            if directory not in covered and not self._generate_source(directory)
        ]
        called = {
            target for directory in pending for target in self._local_calls(directory) if target != directory
        }
        return [directory for directory in pending if directory not in called] or pending[:1]

    def _generate_source(self, directory: Path) -> bool:
        """Whether every configuration file of the directory is one a Terragrunt ``generate`` block's
        ``contents = file(...)`` reads: Terragrunt writes it into the units, it is no module of its own."""
        files = self.module_at(directory).files
        reads = self._unit_reads
        return (
            reads is not None
            and bool(files)
            and all(reads.cached(os.path.realpath(self.root / file)) is not None for file in files)
        )

    def _local_calls(self, directory: Path) -> set[Path]:
        targets = set()
        for declared in self.module_at(directory).module_calls.values():
            attribute = declared.block.body.attributes.get("source")
            source = self.constant_evaluator.evaluate(attribute.expr) if attribute else None
            if isinstance(source, str) and source.startswith(("./", "../")):
                targets.add(self.resolve(directory / source))
        return targets

    def _account_for(self, directories: list[Path]) -> None:
        callers: dict[Path, str] = {}
        for instance in self.instances:
            callers.setdefault(instance.source.directory, instance.stack.name)
        for stack, root in self.roots.items():
            if stack.directory is not None:
                how = "root" if stack.role == "root" else "module no root calls, checked as a root"
                self.model.directories[self.relative(stack.directory)] = how
                if root.source.directory != stack.directory:
                    callers.setdefault(root.source.directory, stack.name)
        for directory in directories:
            name = self.relative(directory)
            if name not in self.model.directories and directory in callers:
                self.model.directories[name] = f"module called from {callers[directory]}"
            elif name not in self.model.directories and self._generate_source(directory):
                self.model.directories[name] = "Terragrunt generate source, written into the units"
        libraries = [stack.name for stack in self.roots if stack.role == "module"]
        if libraries:
            more = f" and {len(libraries) - 5} more" if len(libraries) > 5 else ""
            count = "1 module directory" if len(libraries) == 1 else f"{len(libraries)} module directories"
            self.model.notes.append(
                f"{count} that no root calls checked as roots, with their variables' defaults: "
                f"{', '.join(libraries[:5])}{more}"
            )

    def _layout_notes(self) -> None:
        """Say what was detected, and when no root matches a layout, how to describe the layout."""
        if self._detected:
            shown = ", ".join(
                f"{root or '.'} ({pattern})" for root, pattern in list(self._detected.items())[:5]
            )
            more = f" and {len(self._detected) - 5} more" if len(self._detected) > 5 else ""
            self.model.notes.append(
                f"per-environment var files detected in {shown}{more}: each root is checked once per "
                "environment with its file; say so in .ttgate.yml to be sure "
                '(layouts: [{roots: "<dir>/*", var_files: ["env/{env}.tfvars"]}], see docs/layouts.md)'
            )
        self.model.notes.extend(layout_notes(self.model.stacks))
        roots = [stack for stack in self.model.stacks if stack.role == "root"]
        if roots and not any(stack.layer for stack in self.model.stacks):
            described = f'stack_path "{self.policy.stack_path}"'
            described += " or its layouts" if self.policy.layouts else ""
            self.model.notes.append(
                f"no root stack matches the layout the policy describes ({described}), so the layer "
                "rules (TG101, TG102, TG103) had no layer to check; every other rule ran. Describe the "
                "repository's layout in .ttgate.yml "
                '(e.g. layouts: [{roots: "components/*", var_files: ["env/{env}.tfvars"], '
                "layer_map: {network: 10_core}}]), see docs/layouts.md"
            )

    def _add_stack(self, directory: Path, module: ModuleSource, role: str | None = "root") -> None:
        """The directory's stacks: one per environment its layout finds, evaluated with its var files.

        ``role`` None: a root when a layout describes the directory, else a module no root calls.
        """
        name = self.relative(directory)
        specs = stack_specs(directory, name, self.policy, repository_of(directory, self.root))
        for spec in specs:
            described = spec.layout is not None or spec.detected is not None
            self._add_one_stack(directory, module, spec, role or ("root" if described else "module"))
            if spec.detected is not None and spec.env is not None:
                self._detected[name] = spec.detected

    def _add_one_stack(self, directory: Path, module: ModuleSource, spec: StackSpec, role: str) -> None:
        name = self.relative(directory)
        if spec.env is not None and not spec.env_from_path:
            name = f"{name}@{spec.env}"  # one directory, a stack per environment
        stack = Stack(name=name, directory=directory, layer=spec.layer, env=spec.env, role=role)
        stack.layout = spec.layout
        stack.var_files = tuple(self.relative(path) for path in spec.var_files)
        stack.workspace = spec.workspace
        stack.missing_files = spec.missing
        if module.backends:
            declared = module.backends[0]
            config = {
                key: self.constant_evaluator.evaluate(attribute.expr)
                for key, attribute in declared.block.body.attributes.items()
            }
            backend_type = declared.block.labels[0] if declared.block.labels else declared.block.type
            stack.backend = Backend(
                backend_type,
                config,
                location(declared.file, declared.block),
                {
                    key: location(declared.file, attribute)
                    for key, attribute in declared.block.body.attributes.items()
                },
            )
            stack.location = stack.backend.location
            merge_backend_config(stack.backend, spec, self._backend_config_file, self.relative)
        elif module.providers:
            stack.location = location(module.providers[0].file, module.providers[0].block)
        self.model.stacks.append(stack)
        inputs = self._root_inputs(directory, module, spec.var_files)
        self.roots[stack] = Instance(self, stack, module, "", inputs, None)

    def _parsed_body(self, file: str) -> Any:
        parsed = self.parsed.get(self.resolve(self.root / file))
        return None if parsed is None else parsed.body

    def _backend_config_file(self, path: Path) -> dict[str, tuple[Any, Location]]:
        """A -backend-config file's settings (key = value, literals only), each with where it is set."""
        self.parse([path])
        body = self.parsed[self.resolve(path)].body
        if body is None:
            return {}
        relative = self.relative(path)
        return {
            name: (self.constant_evaluator.evaluate(attribute.expr), location(relative, attribute))
            for name, attribute in body.attributes.items()
        }

    def _root_inputs(
        self, directory: Path, module: ModuleSource, layout_files: tuple[Path, ...] = ()
    ) -> dict[str, Input]:
        """Root variable values in Terraform's order: environment, tfvars, auto.tfvars, -var-file."""
        values: dict[str, tuple[Any, Origin | None]] = {}
        from_job: set[str] = set()  # the values the job gives (TF_VAR_, --var-file): secrets
        for name in module.variables:
            env_value = os.environ.get(f"TF_VAR_{name}")
            if env_value is not None:
                values[name] = (env_value, None)
                from_job.add(name)
        candidates = [directory / "terraform.tfvars", directory / "terraform.tfvars.json"]
        candidates += sorted(
            p for p in directory.iterdir() if p.name.endswith((".auto.tfvars", ".auto.tfvars.json"))
        )
        candidates += [*layout_files, *self.var_files]
        for path in candidates:
            if path.is_file():
                read = self._read_tfvars(path, module)
                values.update(read)
                from_job = from_job | read.keys() if path in self.var_files else from_job - read.keys()
        inputs: dict[str, Input] = {}
        for name, (value, origin) in values.items():
            inputs[name] = _constant_input(name, value, origin)
            inputs[name].secret = name in from_job and name not in self.policy.public_variables
        return inputs

    def _read_tfvars(self, path: Path, module: ModuleSource) -> dict[str, tuple[Any, Origin | None]]:
        relative = self.relative(path)
        found: dict[str, tuple[Any, Origin | None]] = {}
        if path.name.endswith(".json"):
            raw = self._read(path)
            if raw is None:
                return found
            try:
                data = json.loads(raw.decode("utf-8"))
            except json.JSONDecodeError as error:
                # The parser's reason and place only: the file's text is never quoted.
                where = Location(relative, error.lineno, error.colno)
                self.model.problems.append(Problem(f"invalid JSON: {error.msg}", where))
                return found
            except UnicodeDecodeError as error:
                line = raw.count(b"\n", 0, error.start) + 1
                self.model.problems.append(
                    Problem(f"not UTF-8 text (byte {error.start})", Location(relative, line))
                )
                return found
            except (ValueError, RecursionError):
                self.model.problems.append(
                    Problem(
                        "a number too long (over 4,300 digits) or arrays and objects nested too deeply "
                        "for ttgate to read",
                        Location(relative, 1),
                    )
                )
                return found
            if isinstance(data, dict):
                for name, value in data.items():
                    if name in module.variables:
                        found[name] = (value, Origin(f"var.{name} = {display(value)}", Location(relative, 1)))
            return found
        self.parse([path])
        parsed = self.parsed[self.resolve(path)]
        if parsed.body is None:
            return found
        for name, attribute in parsed.body.attributes.items():
            if name not in module.variables:
                continue
            value = self.constant_evaluator.evaluate(attribute.expr)
            found[name] = (
                value,
                Origin(f"var.{name} = {short(attribute.text)}", location(relative, attribute)),
            )
        return found

    def _instantiate_all(self, instance: Instance) -> None:
        """Evaluate every resource and module call, so nothing is left unexpanded."""
        trace: Trace = []
        for mode, type_, name in instance.source.resources:
            instance.resource(mode, type_, name, trace)
        for name in instance.source.module_calls:
            instance.child(name, trace)

    def _collect(self, stack: Stack) -> None:
        for instance in [self.roots[stack], *self.instances]:
            if instance.stack is not stack:
                continue
            for resource in instance.resources:
                self._evaluate_resource(resource)
                stack.resources.append(resource)
        root = self.roots[stack]
        for name in root.source.outputs:
            stack.outputs[name] = root.output(name, [])

    def _evaluate_resource(self, resource: Resource) -> None:
        obj = self.objects[resource]
        body = obj.declared.block.body
        file = obj.declared.file
        for name, attribute in body.attributes.items():
            if name in ("count", "for_each", "depends_on", "provider"):
                continue
            trace: Trace = []
            resource.values[name] = obj.attribute(name, trace)
            resource.attribute_locations[name] = location(file, attribute)
            if trace:
                resource.origins[name] = list(dict.fromkeys(trace))
        for block_type in dict.fromkeys(block.type for block in body.blocks):
            if block_type in ("lifecycle", "provisioner", "connection"):
                continue
            if block_type == "dynamic":
                for block in body.blocks_of("dynamic"):
                    if block.labels and block.labels[0] not in resource.values:
                        label = block.labels[0]
                        resource.values[label] = evaluate_blocks(obj.evaluator, body, label, [])
                        resource.attribute_locations[label] = location(file, block)
                continue
            resource.values[block_type] = obj.nested(block_type, [])
            first = next(block for block in body.blocks if block.type == block_type)
            resource.attribute_locations[block_type] = location(file, first)
        if resource.type == "terraform_remote_state":
            self._remote_state(resource)

    # -- cross-stack links ------------------------------------------------------------------------

    def _remote_state(self, resource: Resource) -> None:
        resource.stack.remote_states.append(self.remote_state_of(self.objects[resource], []))

    def remote_state_of(self, obj: ResourceObject, trace: Trace) -> RemoteState:
        """The state a ``terraform_remote_state`` reads and the stack that writes it, worked out once."""
        remote = self._remote_states.get(obj.resource)
        if remote is None:
            resource = obj.resource
            attributes = obj.declared.block.body.attributes
            backend = obj.get_attr("backend", trace) if "backend" in attributes else None
            config = obj.get_attr("config", trace) if "config" in attributes else {}
            remote = RemoteState.read(resource, backend, config)
            remote.target, remote.target_problem = self.find_state_writer(resource.stack, remote)
            self._remote_states[resource] = remote
        return remote

    def find_state_writer(self, reader: Stack, remote: RemoteState) -> tuple[Stack | None, str | None]:
        if isinstance(remote.backend, Unknown):
            return None, f"its backend cannot be evaluated: {remote.backend.reason}"
        config = remote.config
        if isinstance(config, Unknown):
            return None, f"its config cannot be evaluated: {config.reason}"
        if remote.backend == "local":
            path = config.get("path")
            if not isinstance(path, str) or reader.directory is None:
                return None, "its local state path cannot be evaluated"
            state_dir = self.resolve(reader.directory / path).parent
            for stack in self.model.stacks:
                if stack.directory is not None and self.resolve(stack.directory) == state_dir:
                    return stack, None
            return None, f"no stack in this check writes {path}"
        key = config.get("key")
        if isinstance(key, Unknown):
            return None, f"its state key cannot be evaluated: {key.reason}"
        if not isinstance(key, str):
            return None, "it has no state key"
        same_key = [
            stack
            for stack in self.model.stacks
            if stack.backend is not None
            and stack.backend.config.get("key") == key
            and _same_workspace_prefix(stack.backend.config, config)
        ]
        # The bucket decides when both name it (one bucket per environment, `<env>/<stack>` keys);
        # a partial backend configuration (bucket given to `terraform init`) falls back to the env.
        bucket = config.get("bucket")
        env = self._env_of_bucket(bucket) or reader.env
        by_bucket = [stack for stack in same_key if isinstance(bucket, str) and _bucket(stack) == bucket]
        writers = by_bucket or [stack for stack in same_key if stack.env == env and _bucket(stack) is None]
        if not writers:
            writers = [stack for stack in same_key if stack.env == env]
        if len(writers) > 1:
            # A copy-pasted backend key makes two stacks claim one state; the layer that owns the key wins.
            owner = self.policy.layer_for_state_key(key)
            owned = [stack for stack in writers if owner is not None and stack.layer == owner.name]
            writers = owned or writers
        if len(writers) == 1:
            return writers[0], None
        if not writers:
            where = f" for environment {env}" if env else ""
            return None, f"no stack in this check writes state {key}{where}"
        names = ", ".join(stack.name for stack in writers)
        return None, f"several stacks write state {key}: {names}"

    def _env_of_bucket(self, bucket: Any) -> str | None:
        if not isinstance(bucket, str):
            return None
        for env in self.policy.environments:
            if name_regex(self.policy.state_bucket, self.policy, envs=[env]).fullmatch(bucket):
                return env
        return None

    def remote_outputs(self, obj: ResourceObject, trace: Trace) -> Any:
        resource = obj.resource
        remote = self.remote_state_of(obj, trace)
        target = remote.target
        if target is None:
            return Unknown(f"{resource.address}: {remote.target_problem}")
        defaults = obj.get_attr("defaults", trace) if "defaults" in obj.declared.block.body.attributes else {}
        return RemoteOutputs(self.roots[target], resource, defaults if isinstance(defaults, dict) else {})


class RemoteOutputs:
    """``data.terraform_remote_state.X.outputs``: the writing stack's root outputs, evaluated there."""

    def __init__(self, root: Instance, reader: Resource, defaults: dict[str, Any]) -> None:
        self.root = root
        self.reader = reader
        self.defaults = defaults

    def get_attr(self, name: str, trace: Trace) -> Any:
        if name not in self.root.source.outputs and name in self.defaults:
            return self.defaults[name]
        value = self.root.output(name, trace)
        if self.reader.location is not None:
            trace.append(
                Origin(f"read from stack {self.root.stack.name} output {name}", self.reader.location)
            )
        return value

    def get_index(self, key: Any, trace: Trace) -> Any:
        return self.get_attr(str(key), trace)


def _bucket(stack: Stack) -> str | None:
    bucket = stack.backend.config.get("bucket") if stack.backend is not None else None
    return bucket if isinstance(bucket, str) else None


def _same_workspace_prefix(backend: dict[str, Any], read: dict[str, Any]) -> bool:
    """A remote state read with a ``workspace_key_prefix`` reads a stack whose backend has the same."""
    default = "env:"
    return bool(backend.get("workspace_key_prefix", default) == read.get("workspace_key_prefix", default))


class _UnitInputs(Mapping[str, Input]):
    """A unit's ``inputs``, evaluated the first time a variable asks (dependencies may read other units)."""

    def __init__(self, reader: UnitReader) -> None:
        self.reader = reader
        self.read: dict[str, Input] | None = None
        self.reading = False

    def _all(self) -> dict[str, Input]:
        if self.read is None:
            if self.reading:
                return {}  # a cycle through dependencies: the inputs read while they are being read
            self.reading = True
            try:
                read = self.reader.inputs()
            finally:
                self.reading = False
            self.read = {name: _constant_input(name, value, origin) for name, (value, origin) in read.items()}
        return self.read

    def __getitem__(self, name: str) -> Input:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def _constant_input(name: str, value: Any, origin: Origin | None) -> Input:
    def compute(trace: Trace) -> Any:
        if origin is not None:
            trace.append(origin)
        return value

    return Input(compute)


def load_hcl(
    paths: list[Path], root: Path, policy: Policy, parser: Parser, var_files: list[Path] | None = None
) -> Model:
    builder = StackBuilder(root, policy, parser, var_files)
    with evaluation_budget(policy) as budget:  # one budget for every root, instance and attribute
        model = builder.load(paths)
    read, parsed = builder.reading.problem(builder.relative), gather_cut_problem(model, budget)
    for problem in (read, parsed, budget_problem(model, budget)):
        if problem is not None:
            model.problems.append(problem)
    return model


def _is_directory(path: Path) -> bool:
    """Path.is_dir(), but a name too long for the file system is no directory rather than an OSError."""
    try:
        return path.is_dir()
    except OSError:
        return False
