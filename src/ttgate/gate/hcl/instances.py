"""Module instances: the scopes in which a stack's expressions are evaluated.

A root stack is an :class:`Instance` of its directory; each ``module`` call makes child instances
(one per count index or for_each key) with the call's arguments as their variables. Everything is
lazy and memoised: a value is computed the first time something asks for it (a rule, another
resource, another stack through ``terraform_remote_state``), and a reference cycle evaluates to
Invalid instead of recursing forever.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ttgate.gate.hcl import bounds
from ttgate.gate.hcl import syntax as ast
from ttgate.gate.hcl.evaluate import AnyInstance, Evaluator, Trace, to_string
from ttgate.gate.hcl.files import Files, Repository
from ttgate.gate.hcl.modules import Declared, ModuleSource
from ttgate.gate.hcl.provider_config import provider_default_tags, provider_region
from ttgate.gate.hcl.regions import region_data
from ttgate.gate.hcl.types import convert
from ttgate.gate.model import Location, Model, ModuleCall, Origin, Resource, Stack
from ttgate.gate.values import (
    EVERY_STACK,
    SENSITIVE,
    Invalid,
    Unknown,
    as_number,
    display,
    is_sensitive,
    mark_sensitive,
    secret_strings,
    short,
)

META_ARGUMENTS = frozenset(
    {"count", "for_each", "depends_on", "provider", "lifecycle", "providers", "source", "version"}
)
_NOT_ATTRIBUTES = frozenset({"lifecycle", "provisioner", "connection"})
_PENDING = object()
# How the origin of an unset variable's default reads ("var.amount default null"); _unset() finds them.
_DEFAULT = " default "
_UNSET = re.compile(r"(var\.[\w-]+)" + _DEFAULT)


class Builder(Protocol):
    """What an instance needs from the loader that builds its stack (the loader's StackBuilder).

    Declared here, on the side that uses it, so that instances never import the loader that makes them.
    """

    expanded: int  # count/for_each instances expanded so far in the run (see bounds.MAX_INSTANCES_TOTAL)
    repository: Repository  # the files file(), templatefile()... may read

    @property
    def model(self) -> Model:
        """The model being built: a sensitive value's strings go into its secrets."""

    @property
    def constant_evaluator(self) -> Evaluator:
        """Evaluates literals only: variable defaults and types, module sources."""

    @property
    def instances(self) -> list[Instance]:
        """Every module instance so far; a module call adds its children."""

    def real(self, path: Path) -> Path: ...

    def relative(self, path: Path) -> str: ...

    def module_source(
        self, caller: Path, source: Any, call: Location
    ) -> tuple[ModuleSource | None, str | None]:
        """The module a call's source names, or None and why not."""

    def report_recursion(self, directory: Path, call: str, location: Location) -> None: ...

    def report_refused(self, message: str, location: Location, fix: str) -> None:
        """A configuration Terraform refuses to plan (once per place): a parse-error finding."""

    def register(self, resource: Resource, obj: ResourceObject) -> None: ...

    def region_of(self, stack: Stack) -> str | None: ...

    def remote_outputs(self, obj: ResourceObject, trace: Trace) -> Any:
        """``data.terraform_remote_state.X.outputs``: evaluated in the stack that writes that state."""


@dataclass
class Input:
    """A value given to a variable: a module argument (evaluated in the caller) or a root value."""

    compute: Callable[[Trace], Any]
    # The job's own value (TF_VAR_ in its environment, a --var-file on its command line): sensitive in
    # every root, whatever the root declares, unless the policy lists the variable as public. A pull
    # request may add a root that declares the variable plainly and writes it into a name.
    secret: bool = False


def location(file: str, node: ast.Attribute | ast.Block) -> Location:
    literal = None
    if isinstance(node, ast.Attribute) and node.literal_column:
        # A .tf.json attribute's text is its value as messages show it (a string unquoted): as written.
        written = (
            json.dumps(node.expr.value) if isinstance(node.expr, ast.Lit) and file.endswith(".json") else None
        )
        literal = (node.literal_column, node.literal_end_column, written or node.text)
    members = tuple(node.members) if isinstance(node, ast.Attribute) else ()
    return Location(file, node.line, node.column, node.end_line, literal, members)


def _key_suffix(key: Any) -> str:
    if key is None:
        return ""
    if isinstance(key, int):
        return f"[{key}]"
    return f'["{key}"]'


class Memo:
    """Memoised values with cycle detection: (value, origins) per key."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}

    def get(self, key: Any, compute: Callable[[Trace], Any], trace: Trace, what: str) -> Any:
        entry = self._values.get(key)
        if entry is _PENDING:
            return Invalid(f"{what} refers to itself")
        if entry is None:
            self._values[key] = _PENDING
            own: Trace = []
            value = compute(own)
            # Once each: a local that reads the one before twice would double its origins at each level.
            entry = (value, list(dict.fromkeys(own)))
            self._values[key] = entry
        value, origins = entry
        trace.extend(origins)
        return value


class Instance:
    """One instance of a module: implements the evaluator's Scope."""

    def __init__(
        self,
        builder: Builder,
        stack: Stack,
        source: ModuleSource,
        path: str,
        inputs: Mapping[str, Input],
        root_call: Location | None,
        present: bool | Unknown = True,
        callers: tuple[Path, ...] = (),
    ) -> None:
        self.builder = builder
        self.stack = stack
        self.source = source
        self.path = path
        self.inputs = inputs
        self.root_call = root_call
        self.present = present  # Unknown inside a module whose count/for_each is unknown
        self.evaluator = Evaluator(self, files=Files(builder.repository, self.stack_directory))
        self.memo = Memo()
        self.resources: list[Resource] = []
        self.caller: tuple[Instance, Declared] | None = None  # the instance whose module block made this one
        # The module directories of this instance and of every module above it, to stop recursion.
        # Real paths: a symlink back to a caller (modules/m/loop -> ..) is the same module again.
        self.lineage = (*callers, builder.real(source.directory))

    # -- Scope ------------------------------------------------------------------------------

    def lookup(self, name: str, trace: Trace) -> Any:
        if name == "var":
            return _Namespace(self, "var")
        if name == "local":
            return _Namespace(self, "local")
        if name == "module":
            return _Namespace(self, "module")
        if name == "data":
            return _Namespace(self, "data")
        if name == "path":
            # As Terraform sees them from the root's directory, where it runs: path.cwd is absolute, so
            # that basename(path.cwd) (a common name part) and file("${path.cwd}/x") are what they are.
            module = os.path.relpath(self.source.directory, self.stack_directory)
            cwd = Path(os.path.abspath(self.stack_directory)).as_posix()
            return {"module": Path(module).as_posix(), "root": ".", "cwd": cwd}
        if name == "terraform":
            return {"workspace": self._workspace()}
        if name in ("count", "each"):
            return Invalid(f"{name} is only available in a block that sets {name}")
        if name in self.source.managed_types:
            return _Namespace(self, "resource", name)
        return Invalid(f"{display(name)} is not declared in {self.builder.relative(self.source.directory)}")

    def _workspace(self) -> str | Unknown:
        """``terraform.workspace``: the stack's workspace as its layout says; never a silent "default"."""
        if self.stack.workspace is not None:
            return self.stack.workspace
        return Unknown(
            f"terraform.workspace: nothing says which workspace {self.stack.name} is applied in; give its "
            'layout a workspace in .ttgate.yml (workspace: "{env}", or "default")'
        )

    @property
    def stack_directory(self) -> Path:
        return self.stack.directory if self.stack.directory is not None else self.source.directory

    # -- declarations -------------------------------------------------------------------------

    def variable(self, name: str, trace: Trace) -> Any:
        return self.memo.get(("var", name), lambda own: self._variable(name, own), trace, f"var.{name}")

    def _variable(self, name: str, trace: Trace) -> Any:
        declared = self.source.variables.get(name)
        if declared is None:
            return Invalid(f"var.{name} is not declared in {self.builder.relative(self.source.directory)}")
        given = self.inputs.get(name)
        value = given.compute(trace) if given is not None else None
        # `nullable = false`: a null argument means the default, as if none was given.
        if given is None or (value is None and _not_nullable(declared.block)):
            default = declared.block.body.attributes.get("default")
            if default is None:
                where = "given by the module call" if self.path else "set in any tfvars file"
                return Unknown(f"var.{name} has no default and is not {where}")
            value = self.builder.constant_evaluator.evaluate(default.expr, trace)
            trace.append(Origin(f"var.{name}{_DEFAULT}{display(value)}", location(declared.file, default)))
        type_attr = declared.block.body.attributes.get("type")
        if type_attr is not None:
            value = convert(
                value, type_attr.expr, lambda expr: self.builder.constant_evaluator.evaluate(expr, [])
            )
        secret = given is not None and given.secret
        return self._hide_if_sensitive(declared, f"var.{name}", value, trace, secret)

    def _hide_if_sensitive(
        self, declared: Declared, subject: str, value: Any, trace: Trace, secret: bool = False
    ) -> Any:
        """A value declared ``sensitive = true`` (or ``ephemeral = true``), or a ``secret`` one (the job's
        own): marked, its origins not showing it, its text a secret."""
        if not (secret or declared_sensitive(declared)):
            return value
        # The origins of a sensitive value show it (`var.password = "..." (terraform.tfvars)`).
        trace[:] = [origin.redacted() for origin in trace]
        trace.append(
            Origin(f"{subject} = {SENSITIVE}", location(declared.file, declared.block), sensitive=True)
        )
        # The job's secrets are searched for in every stack's findings, its own in this stack's.
        self.builder.model.add_secrets(EVERY_STACK if secret else self.stack.name, secret_strings(value))
        if isinstance(value, Invalid):  # a type conversion's error quotes the value ("'abc' is not a number")
            return Invalid(
                f"{subject} = {SENSITIVE} does not have its declared type (the error is not shown)"
            )
        # The job's values and ephemeral ones keep their mark through nonsensitive().
        return mark_sensitive(value, lasting=secret or _declared(declared, "ephemeral"))

    def local(self, name: str, trace: Trace) -> Any:
        return self.memo.get(("local", name), lambda own: self._local(name, own), trace, f"local.{name}")

    def _local(self, name: str, trace: Trace) -> Any:
        declared = self.source.locals.get(name)
        if declared is None:
            return Invalid(f"local.{name} is not defined in {self.builder.relative(self.source.directory)}")
        value = self.evaluator.evaluate(declared.attribute.expr, trace)
        trace.append(
            Origin(
                f"local.{name} = {_source(declared.attribute.text, value)}",
                location(declared.file, declared.attribute),
            )
        )
        return value

    def output(self, name: str, trace: Trace) -> Any:
        return self.memo.get(("output", name), lambda own: self._output(name, own), trace, f"output {name}")

    def _output(self, name: str, trace: Trace) -> Any:
        declared = self.source.outputs.get(name)
        if declared is None:
            where = self.path or self.stack.name
            return Invalid(f"{where} has no output {display(name)}")
        value_attr = declared.block.body.attributes.get("value")
        if value_attr is None:
            return Invalid(f"output {name} has no value")
        value = self.evaluator.evaluate(value_attr.expr, trace)
        trace.append(
            Origin(f"output {name} = {_source(value_attr.text, value)}", location(declared.file, value_attr))
        )
        return self._hide_if_sensitive(declared, f"output {name}", value, trace)

    # -- resources ------------------------------------------------------------------------------

    def resource(self, mode: str, type_: str, name: str, trace: Trace) -> Any:
        """The value of ``type.name``: an object, or a list/map of them under count/for_each."""
        key = ("resource", mode, type_, name)
        return self.memo.get(
            key, lambda own: self._expand_resource(mode, type_, name, own), trace, f"{type_}.{name}"
        )

    def _expand_resource(self, mode: str, type_: str, name: str, trace: Trace) -> Any:
        declared = self.source.resources.get((mode, type_, name))
        if declared is None:
            prefix = "data." if mode == "data" else ""
            return Invalid(
                f"{prefix}{type_}.{name} is not declared in {self.builder.relative(self.source.directory)}"
            )
        prefix = f"{self.path}." if self.path else ""
        base = f"{prefix}{'data.' if mode == 'data' else ''}{type_}.{name}"

        def make(key: Any, bindings: dict[str, Any], present: bool | Unknown = True) -> ResourceObject:
            resource = Resource(
                stack=self.stack,
                address=base + _key_suffix(key),
                mode=mode,
                type=type_,
                name=name,
                module_path=self.path,
                values={},
                location=location(declared.file, declared.block),
                present=present if present is not True else self.present,
                module_call=self.root_call,
            )
            self.resources.append(resource)
            obj = ResourceObject(self, resource, declared, self.evaluator.with_bindings(bindings))
            self.builder.register(resource, obj)
            return obj

        return expand(self, declared, trace, make)

    # -- module calls ---------------------------------------------------------------------------

    def child(self, name: str, trace: Trace) -> Any:
        return self.memo.get(
            ("module", name), lambda own: self._instantiate(name, own), trace, f"module.{name}"
        )

    def _instantiate(self, name: str, trace: Trace) -> Any:
        declared = self.source.module_calls.get(name)
        if declared is None:
            return Invalid(f"module.{name} is not called in {self.builder.relative(self.source.directory)}")
        block = declared.block
        address = f"{self.path}.module.{name}" if self.path else f"module.{name}"
        source_attr = block.body.attributes.get("source")
        source = self.builder.constant_evaluator.evaluate(source_attr.expr) if source_attr else None
        call_location = location(declared.file, block)
        module_source, problem = self.builder.module_source(self.source.directory, source, call_location)
        self.stack.module_calls.append(
            ModuleCall(
                self.stack,
                address,
                source if isinstance(source, str) else Unknown(str(problem)),
                module_source.directory if module_source else None,
                call_location,
            )
        )
        if module_source is None:
            return Unknown(f"module.{name} is not evaluated: {problem}")
        if self.builder.real(module_source.directory) in self.lineage:
            # Terraform cannot build such a configuration; instantiating it would never end.
            self.builder.report_recursion(module_source.directory, f"module.{name}", call_location)
            return Invalid(f"module.{name} calls a module that (directly or not) calls it: module recursion")
        root_call = self.root_call or call_location

        def make(key: Any, bindings: dict[str, Any], present: bool | Unknown = True) -> ModuleObject:
            evaluator = self.evaluator.with_bindings(bindings)
            inputs = {
                arg: _argument_input(evaluator, attribute, declared.file, f"module.{name}")
                for arg, attribute in block.body.attributes.items()
                if arg not in META_ARGUMENTS
            }
            instance = Instance(
                self.builder,
                self.stack,
                module_source,
                address + _key_suffix(key),
                inputs,
                root_call,
                present if present is not True else self.present,
                self.lineage,
            )
            instance.caller = (self, declared)
            self.builder.instances.append(instance)
            return ModuleObject(instance)

        return expand(self, declared, trace, make)


def _source(text: str, value: Any) -> str:
    """An expression's source for an origin note; not for a sensitive value, whose source may hold it
    as a literal (``sensitive("...")``)."""
    return SENSITIVE if is_sensitive(value) else short(text)


def declared_sensitive(declared: Declared) -> bool:
    """``sensitive = true`` or ``ephemeral = true`` on a variable or an output. An ephemeral value is
    never written to a plan or state: no report may show it either."""
    return _declared(declared, "sensitive") or _declared(declared, "ephemeral")


def _declared(declared: Declared, flag: str) -> bool:
    """``flag = true`` on a variable or an output (Terraform requires a literal)."""
    attribute = declared.block.body.attributes.get(flag)
    return attribute is not None and isinstance(attribute.expr, ast.Lit) and attribute.expr.value is True


def _argument_input(evaluator: Evaluator, attribute: ast.Attribute, file: str, call: str) -> Input:
    def compute(trace: Trace) -> Any:
        value = evaluator.evaluate(attribute.expr, trace)
        trace.append(
            Origin(
                f"{call} argument {attribute.name} = {_source(attribute.text, value)}",
                location(file, attribute),
            )
        )
        return value

    return Input(compute)


def _not_nullable(variable: ast.Block) -> bool:
    nullable = variable.body.attributes.get("nullable")
    return nullable is not None and isinstance(nullable.expr, ast.Lit) and nullable.expr.value is False


def expand(
    scope: Instance,
    declared: Declared,
    trace: Trace,
    make: Callable[[Any, dict[str, Any], bool | Unknown], Any],
) -> Any:
    """Apply count/for_each: one object, a list, a map, or an AnyInstance when they are unknown."""
    attributes = declared.block.body.attributes
    if "count" in attributes:
        own: Trace = []
        value = scope.evaluator.evaluate(attributes["count"].expr, own)
        trace.extend(own)
        count = as_number(value)
        if not isinstance(count, Unknown) and not _whole(count):
            count = _from_unset(value, own) or count
        if isinstance(count, Unknown):
            reason = f"count = {short(attributes['count'].text)} cannot be evaluated: {count.reason}"
            unknown_count = Unknown(reason)
            obj = make(None, {"count": {"index": unknown_count}}, unknown_count)
            return AnyInstance(obj, reason)
        if count is None or not _whole(count):
            problem = f"count must be a whole number, got {short(attributes['count'].text)}"
            _refused(scope, declared, attributes["count"], problem)
            return Invalid(problem)
        limit = _instance_limit(scope, int(count), f"count = {short(attributes['count'].text)}")
        if limit is not None:
            return AnyInstance(make(None, {"count": {"index": limit}}, limit), limit.reason)
        return [make(index, {"count": {"index": index}}, True) for index in range(int(count))]
    if "for_each" in attributes:
        own = []
        each = scope.evaluator.evaluate(attributes["for_each"].expr, own)
        trace.extend(own)
        if not isinstance(each, (Unknown, list, dict)) and not (isinstance(each, AnyInstance) and each.keyed):
            each = _from_unset(each, own) or each
        if isinstance(each, Unknown):
            reason = f"for_each = {short(attributes['for_each'].text)} cannot be evaluated: {each.reason}"
            unknown_each = Unknown(reason)
            obj = make(None, {"each": {"key": unknown_each, "value": unknown_each}}, unknown_each)
            return AnyInstance(obj, reason, keyed=True)
        if isinstance(each, AnyInstance) and each.keyed:
            return _unknown_keys(attributes["for_each"], each, make)
        keys = [to_string(item) for item in each] if isinstance(each, list) else []
        if isinstance(each, list) and any(map(_not_a_key, each, keys)):
            each = None  # objects, lists or null in a set: Terraform refuses it, as it does null
        if isinstance(each, list):
            bad = next((key for key in keys if isinstance(key, Unknown)), None)
            if bad is not None:
                obj = make(None, {"each": {"key": bad, "value": bad}}, bad)
                return AnyInstance(obj, bad.reason, keyed=True)
            pairs: dict[Any, Any] = {key: key for key in keys}
        elif isinstance(each, dict):
            pairs = each
        else:
            problem = f"for_each needs a map or a set, got {short(attributes['for_each'].text)}"
            _refused(scope, declared, attributes["for_each"], problem)
            return Invalid(problem)
        limit = _instance_limit(scope, len(pairs), f"for_each = {short(attributes['for_each'].text)}")
        if limit is not None:
            return AnyInstance(
                make(None, {"each": {"key": limit, "value": limit}}, limit), limit.reason, keyed=True
            )
        return {key: make(key, {"each": {"key": key, "value": value}}, True) for key, value in pairs.items()}
    return make(None, {}, True)


def _unknown_keys(
    attribute: ast.Attribute, each: AnyInstance, make: Callable[[Any, dict[str, Any], bool | Unknown], Any]
) -> AnyInstance:
    """``for_each = aws_subnet.public`` where that resource's own for_each is unknown: a map whose keys
    are unknown, which Terraform plans. ``each.value`` is the other block's one template instance."""
    reason = f"for_each = {short(attribute.text)} has unknown keys: {each.reason}"
    key = Unknown(reason)
    return AnyInstance(make(None, {"each": {"key": key, "value": each.instance}}, key), reason, keyed=True)


def _not_a_key(item: Any, key: Any) -> bool:
    """An element of a for_each set that is no string (an object, a list, null), as opposed to one
    that is only unknown."""
    return isinstance(key, Invalid) and not isinstance(item, Unknown)


def _whole(count: float | int | None) -> bool:
    """A count Terraform accepts: a whole number, 0 or more."""
    return not (count is None or bounds.number_problem(count) or count < 0 or int(count) != count)


def _from_unset(value: Any, origins: Trace) -> Unknown | None:
    """Why a count or for_each Terraform would refuse is unknown instead: it comes from the defaults of
    variables nothing sets here (a module's caller, or a -var-file, gives them), or None when not."""
    unset = [match.group(1) for origin in origins if (match := _UNSET.match(origin.description))]
    if not unset:
        return None  # written in the configuration itself (`count = -1`): Terraform refuses it
    names = ", ".join(dict.fromkeys(unset))
    defaults = "its default gives" if len(set(unset)) == 1 else "their defaults give"
    return Unknown(f"no caller or tfvars file sets {names}, and {defaults} {display(value)}")


def _refused(scope: Instance, declared: Declared, attribute: ast.Attribute, problem: str) -> None:
    """Terraform refuses such a count or for_each at plan time; without a finding the block would vanish."""
    scope.builder.report_refused(
        f"{problem}: Terraform refuses to plan this block, so nothing in it was checked",
        location(declared.file, attribute),
        "Set count to a whole number, 0 or more."
        if attribute.name == "count"
        else "Set for_each to a map or a set of strings.",
    )


def _instance_limit(scope: Instance, wanted: int, meta: str) -> Unknown | None:
    """Why ``wanted`` instances are not expanded (one stands for all of them), or None when they are.

    Beyond the limits Terraform users never reach, one template instance keeps the block checked and
    nested module fan-out linear.
    """
    builder = scope.builder
    if wanted > bounds.MAX_INSTANCES:
        return Unknown(
            f"{meta} makes {wanted:,} instances, more than ttgate expands ({bounds.MAX_INSTANCES:,})"
        )
    if builder.expanded + wanted > bounds.MAX_INSTANCES_TOTAL:
        return Unknown(
            f"{meta}: the configuration expands to more than {bounds.MAX_INSTANCES_TOTAL:,} instances, "
            "more than ttgate expands in one run"
        )
    builder.expanded += wanted
    return None


class _Namespace:
    """``var``, ``local``, ``module``, ``data``, ``data.TYPE`` and ``TYPE`` in expressions."""

    def __init__(self, scope: Instance, kind: str, type_: str | None = None) -> None:
        self.scope = scope
        self.kind = kind
        self.type = type_

    def get_attr(self, name: str, trace: Trace) -> Any:
        scope = self.scope
        if self.kind == "var":
            return scope.variable(name, trace)
        if self.kind == "local":
            return scope.local(name, trace)
        if self.kind == "module":
            return scope.child(name, trace)
        if self.kind == "data":
            return _Namespace(scope, "data-type", name)
        if self.kind == "data-type":
            assert self.type is not None
            return scope.resource("data", self.type, name, trace)
        assert self.type is not None
        return scope.resource("managed", self.type, name, trace)


class ModuleObject:
    """``module.NAME`` (one instance): its outputs."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance

    def get_attr(self, name: str, trace: Trace) -> Any:
        return self.instance.output(name, trace)


class ResourceObject:
    """A resource instance in expressions: configured attributes evaluate, the rest are unknown."""

    def __init__(self, scope: Instance, resource: Resource, declared: Declared, evaluator: Evaluator) -> None:
        self.scope = scope
        self.resource = resource
        self.declared = declared
        self.evaluator = evaluator
        self.memo = Memo()

    def get_attr(self, name: str, trace: Trace) -> Any:
        if self.resource.type == "terraform_remote_state" and name == "outputs":
            return self.scope.builder.remote_outputs(self, trace)
        body = self.declared.block.body
        if name in body.attributes and name not in META_ARGUMENTS:
            value = self.attribute(name, trace)
        elif any(block.type == name for block in body.blocks):
            value = self.nested(name, trace)
        elif self.resource.mode == "data" and self.resource.type == "aws_default_tags" and name == "tags":
            return self.memo.get(
                name,
                lambda own: provider_default_tags(
                    self.scope, body.attributes.get("provider"), self.resource.address, own
                ),
                trace,
                f"{self.resource.address}.{name}",
            )
        else:
            if self.resource.mode == "data" and set(body.attributes) <= {"provider"}:
                provider = body.attributes.get("provider")
                region = (
                    provider_region(self.scope, provider, trace)
                    if provider is not None
                    else self.scope.builder.region_of(self.scope.stack)
                )
                known = region_data(self.resource.type, name, region) if region else None
                if known is not None:
                    return known
            return Unknown(f"{self.resource.address}.{name} is known only after apply", self.resource, name)
        if isinstance(value, Unknown) and value.resource is None:
            return Unknown(value.reason, self.resource, name, value.partial, value.parts)
        return value

    def attribute(self, name: str, trace: Trace) -> Any:
        attribute = self.declared.block.body.attributes[name]
        return self.memo.get(
            name,
            lambda own: self.evaluator.evaluate(attribute.expr, own),
            trace,
            f"{self.resource.address}.{name}",
        )

    def nested(self, name: str, trace: Trace) -> Any:
        return self.memo.get(
            ("block", name),
            lambda own: evaluate_blocks(self.evaluator, self.declared.block.body, name, own),
            trace,
            f"{self.resource.address}.{name}",
        )


def evaluate_body(evaluator: Evaluator, body: ast.Body, trace: Trace) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, attribute in body.attributes.items():
        values[name] = evaluator.evaluate(attribute.expr, trace)
    for block_type in dict.fromkeys(block.type for block in body.blocks):
        if block_type in _NOT_ATTRIBUTES:
            continue
        values[block_type] = evaluate_blocks(evaluator, body, block_type, trace)
    return values


def evaluate_blocks(evaluator: Evaluator, body: ast.Body, block_type: str, trace: Trace) -> Any:
    """Nested blocks as Terraform's JSON shows them: a list of objects (``dynamic`` included)."""
    if block_type == "dynamic":
        return None
    items: list[Any] = []
    for block in body.blocks:
        if block.type == block_type:
            items.append(evaluate_body(evaluator, block.body, trace))
    for block in body.blocks_of("dynamic"):
        if block.labels and block.labels[0] == block_type:
            generated = _dynamic(evaluator, block, trace)
            if isinstance(generated, Unknown):
                return generated
            items.extend(generated)
    return items


def _dynamic(evaluator: Evaluator, block: ast.Block, trace: Trace) -> list[Any] | Unknown:
    each_attr = block.body.attributes.get("for_each")
    content = next(iter(block.body.blocks_of("content")), None)
    if each_attr is None or content is None:
        return Invalid(f'dynamic "{block.labels[0]}" needs for_each and content')
    collection = evaluator.evaluate(each_attr.expr, trace)
    if isinstance(collection, Unknown):
        return collection
    iterator_attr = block.body.attributes.get("iterator")
    iterator = block.labels[0]
    if iterator_attr is not None and isinstance(iterator_attr.expr, ast.Name):
        iterator = iterator_attr.expr.name
    if isinstance(collection, AnyInstance):
        return Unknown(f'dynamic "{block.labels[0]}": for_each {collection.reason}')
    if isinstance(collection, dict):
        pairs: list[tuple[Any, Any]] = list(collection.items())
    elif isinstance(collection, list) or collection is None:
        pairs = list(enumerate(collection or []))
    else:
        return Invalid(f'dynamic "{block.labels[0]}": for_each needs a collection, got {display(collection)}')
    return [
        evaluate_body(evaluator.with_bindings({iterator: {"key": key, "value": value}}), content.body, trace)
        for key, value in pairs
    ]
