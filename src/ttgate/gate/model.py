"""The one model every loader builds and every rule reads.

A :class:`Model` holds root stacks (one Terraform state each: a layer in an environment), the
resources each stack manages or reads (module instances flattened, addresses as Terraform writes
them), and the links between stacks (``terraform_remote_state`` reads). Values are evaluated: known
values are plain data, the rest :class:`~ttgate.gate.values.Unknown`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ttgate.gate.values import SENSITIVE, Unknown


def relative_posix(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with POSIX slashes, as every report writes file names.

    Lexical (no symlinks resolved), like Terraform's own path joining; ``..`` when outside ``root``.
    """
    absolute = os.path.normpath(os.path.abspath(path))
    return Path(os.path.relpath(absolute, os.path.abspath(root))).as_posix()


@dataclass(frozen=True)
class Location:
    file: str  # relative to the checked root, POSIX slashes
    line: int
    column: int = 1
    end_line: int | None = None
    # A value written as one literal on ``line``: its (column, end_column, source text), for fixes.
    literal: tuple[int, int, str] | None = field(default=None, compare=False)
    # Literal members of a ``jsonencode({...})`` value: (key, line, column, end_column, source text).
    members: tuple[tuple[str, int, int, int, str], ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Origin:
    """Where a value came from: a variable's default or tfvars entry, a local, a module argument."""

    description: str  # e.g. "var.visibility_timeout = 60 (terraform.tfvars)"
    location: Location
    # A sensitive value was read here: whatever is computed from it is sensitive too (the evaluator
    # marks it), and the description names the value without showing it.
    sensitive: bool = False

    def redacted(self) -> Origin:
        """The same origin, its value shown as ``(sensitive)``: ``var.password = (sensitive)``."""
        subject = re.split(r" = | default ", self.description, maxsplit=1)[0]
        return Origin(f"{subject} = {SENSITIVE}", self.location, sensitive=True)


@dataclass
class Backend:
    type: str
    config: dict[str, Any]
    location: Location | None
    attribute_locations: dict[str, Location] = field(default_factory=dict)
    # `terraform init -backend-config=FILE` files merged into config (relative, POSIX), in order; the
    # pattern ttgate found them by when the layout names none.
    config_files: tuple[str, ...] = ()
    config_detected: str | None = None


@dataclass(eq=False)
class Resource:
    stack: Stack
    address: str  # module.queue.aws_sqs_queue.main[0]
    mode: str  # "managed" or "data"
    type: str
    name: str
    module_path: str  # "module.queue" ("" in the root module)
    values: dict[str, Any]
    location: Location | None
    attribute_locations: dict[str, Location] = field(default_factory=dict)
    origins: dict[str, list[Origin]] = field(default_factory=dict)
    present: bool | Unknown = True  # Unknown when count/for_each cannot be evaluated
    actions: tuple[str, ...] = ()  # from a plan: ("create",), ("update",), ...
    module_call: Location | None = None  # where the enclosing root-level module is called

    def get(self, attribute: str, default: Any = None) -> Any:
        value = self.values.get(attribute, default)
        return default if value is None else value

    def is_set(self, attribute: str) -> bool:
        return self.values.get(attribute) is not None

    def location_of(self, attribute: str) -> Location | None:
        return self.attribute_locations.get(attribute, self.location)

    def __repr__(self) -> str:
        return f"<Resource {self.stack.name}:{self.address}>"


def linked_resource(value: Unknown) -> Resource | None:
    """The resource an unknown value comes from (``aws_sqs_queue.main.arn``), when it is linked to one.

    Values cannot name the model's classes, so an Unknown holds a ``values.LinkedResource``; every
    link the loaders make is a Resource.
    """
    resource = value.resource
    return resource if isinstance(resource, Resource) else None


@dataclass(eq=False)
class RemoteState:
    """A ``data "terraform_remote_state"`` read, and the stack that writes that state."""

    stack: Stack
    address: str
    backend: str | Unknown
    config: dict[str, Any] | Unknown
    location: Location | None
    target: Stack | None = None
    target_problem: str | None = None  # why no target was found

    @classmethod
    def read(cls, resource: Resource, backend: Any, config: Any) -> RemoteState:
        """The remote state a ``terraform_remote_state`` resource reads, whatever its values hold."""
        return cls(
            stack=resource.stack,
            address=resource.address,
            backend=backend if isinstance(backend, (str, Unknown)) else Unknown("backend is not a string"),
            config=config if isinstance(config, (dict, Unknown)) else Unknown("config is not an object"),
            location=resource.location,
        )

    @property
    def key(self) -> str | Unknown | None:
        if isinstance(self.config, Unknown):
            return self.config
        value = self.config.get("key")
        return value if isinstance(value, (str, Unknown)) else None


@dataclass(eq=False)
class Dependency:
    """A Terragrunt ``dependency`` block: the unit at its config_path, whose outputs the stack reads."""

    name: str
    config_path: str | None  # relative to the checked root; None when it cannot be evaluated
    location: Location | None
    target: Stack | None = None
    problem: str | None = None  # why no target was found


@dataclass(eq=False)
class ModuleCall:
    stack: Stack
    address: str  # module.queue (nested: module.app.module.logs)
    source: str | Unknown
    directory: Path | None  # local sources only
    location: Location | None


@dataclass(frozen=True)
class PlannedChange:
    """One managed resource's entry in ``resource_changes`` (or ``resource_drift``), for rules.

    ``action`` is the main one (create, update, replace, destroy, forget; move or import when that is
    all it does; ``no-op`` when nothing happens to it: see ``gate/plan/changes.py``). ``before`` and
    ``after`` hold its values with what the plan marks sensitive masked; rules may read them, reports
    never show them.
    """

    address: str
    type: str
    name: str
    module_path: str  # "module.a[0].module.b", "" in the root module
    action: str
    previous_address: str | None = None
    importing: bool = False
    reason: str | None = None  # Terraform's action_reason: replace_because_cannot_update, ...
    replace_paths: tuple[tuple[str | int, ...], ...] = ()  # attribute paths that force the replacement
    before: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    after: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def destroys(self) -> bool:
        """The object Terraform holds now is deleted (a destroy, or a replace)."""
        return self.action in ("destroy", "replace")


@dataclass(eq=False)
class Stack:
    """A root module: one state, one layer in one environment."""

    name: str  # directory relative to the checked root, or a plan's label
    directory: Path | None
    layer: str | None
    env: str | None
    kind: str = "hcl"  # "hcl" or "plan"
    # "root": a backend or provider block makes it one; "module": a module directory no root calls,
    # checked as a root with its variables' defaults and unknown inputs (what a module library needs).
    role: str = "root"
    backend: Backend | None = None
    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    remote_states: list[RemoteState] = field(default_factory=list)
    module_calls: list[ModuleCall] = field(default_factory=list)
    location: Location | None = None  # the backend or provider block that makes it a root
    # How the policy's layouts read it: the layout's name (None: no layout describes the directory),
    # the var files applied after the root's own tfvars (relative, POSIX; like `terraform -var-file`),
    # and the workspace it is applied in (None: nothing says, so terraform.workspace is unknown).
    layout: str | None = None
    var_files: tuple[str, ...] = ()
    workspace: str | None = None
    # The layout's var_files / backend_config patterns that named no file for this stack's environment.
    missing_files: tuple[str, ...] = ()
    plan_file: str | None = None  # for stacks read from a plan: the plan file, relative to the root
    # A Terragrunt unit (a directory with terragrunt.hcl): its terraform.source as written (None: the
    # unit's own directory), and the units its dependency blocks read.
    unit_source: str | None = None
    dependencies: list[Dependency] = field(default_factory=list)
    # For stacks read from a plan: every managed resource's entry in resource_changes, deletes included
    # (a deleted resource is not in ``resources``), for rules about what applying does (TG503).
    planned_changes: list[PlannedChange] = field(default_factory=list)

    _by_type: tuple[int, int, dict[tuple[str, str], list[Resource]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def resources_of(self, mode: str, resource_type: str) -> list[Resource]:
        """This stack's resources of one mode and type, in order; rules ask for them many times over
        a plan of tens of thousands of resources. Rebuilt when the resource list changes."""
        key = (id(self.resources), len(self.resources))
        if self._by_type is None or self._by_type[:2] != key:
            grouped: dict[tuple[str, str], list[Resource]] = {}
            for resource in self.resources:
                grouped.setdefault((resource.mode, resource.type), []).append(resource)
            self._by_type = (*key, grouped)
        return self._by_type[2].get((mode, resource_type), [])

    @property
    def label(self) -> str:
        if self.layer and self.env:
            return f"{self.layer}/{self.env}"
        return self.name

    def __repr__(self) -> str:
        return f"<Stack {self.name}>"


@dataclass(frozen=True)
class Problem:
    """A file that could not be read, or a module that could not be loaded (TG000)."""

    message: str
    location: Location
    fix: str | None = None  # None: a syntax error, fixed in the file itself


@dataclass
class MissingModule:
    """A local module source directory that is not there (TG002): every call to it, the first first."""

    source: str  # as the first call writes it
    directory: str  # relative to the root, POSIX slashes
    calls: list[Location] = field(default_factory=list)
    submodule: str | None = None  # the git submodule (path in .gitmodules) it lies in, if any


@dataclass
class Model:
    root: Path
    stacks: list[Stack] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    missing_modules: dict[str, MissingModule] = field(default_factory=dict)  # by directory
    files: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # file -> ttgate: comments
    notes: list[str] = field(default_factory=list)  # facts about the run a reader should know
    # every directory with .tf files, relative to the root -> how it was checked, or why it was not
    directories: dict[str, str] = field(default_factory=dict)
    # the text of every sensitive value read (variables, plans): never to appear in a report
    secrets: set[str] = field(default_factory=set)
    # the same texts by the name of the stack that read them: the report's last line of defence looks
    # for a stack's secrets in that stack's findings only (see reporters/sanitize.py)
    stack_secrets: dict[str, set[str]] = field(default_factory=dict)

    def add_secrets(self, stack: str, texts: Iterable[str]) -> None:
        """Record the text of sensitive values ``stack`` read."""
        found = set(texts)
        self.secrets.update(found)
        self.stack_secrets.setdefault(stack, set()).update(found)

    def resources(self, *types: str, mode: str = "managed", env: str | None = None) -> Iterator[Resource]:
        for stack in self.stacks:
            if env is not None and stack.env != env:
                continue
            if len(types) == 1:
                yield from stack.resources_of(mode, types[0])
                continue
            for resource in stack.resources:
                if resource.mode == mode and (not types or resource.type in types):
                    yield resource
