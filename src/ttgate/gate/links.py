"""Following a value to the resource it names: an ARN, a URL, a name, or an Unknown's origin.

An event source mapping's ``event_source_arn`` may be ``aws_sqs_queue.main.arn`` (unknown until
apply, but linked to that queue), a remote-state output that leads to it in another stack, a
literal ARN or a name. Rules ask here which resource, if any, the value designates.

Every search for a partner (the queue a mapping consumes, its function, a DLQ and its source queue,
the alarm on a DLQ, a function's log group) looks only in the searching resource's *scope*
(:func:`same_scope`), its own stack first. A value that designates a resource directly (a reference,
a remote-state output) is Terraform's own link and needs no search.
"""

from __future__ import annotations

import re
import weakref
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ttgate.gate.model import Model, Resource, Stack, linked_resource
from ttgate.gate.values import Unknown, display

_NAME_ATTRIBUTE = {
    "aws_sqs_queue": "name",
    "aws_lambda_function": "function_name",
    "aws_cloudwatch_log_group": "name",
}
_SQS_URL = re.compile(r"^https://(?:sqs\.)?[^/]+/\d+/(?P<name>[^/]+)$")


def scope_of(stack: Stack) -> Hashable:
    """The scope a stack's resources are linked in; see :func:`same_scope`."""
    if stack.role == "module":
        return ("module", id(stack))
    if stack.env is None:
        return ("no environment",)
    return ("environment", stack.env)


def same_scope(a: Stack, b: Stack) -> bool:
    """Whether a resource of ``a`` may be linked by a search (a name, an ARN, a URL) to one of ``b``.

    - Both environments known: the same environment, in any stack of it (a queue in 20_infra, its
      consumer in 30_app, its alarm in a sibling ``alarms`` stack). The model knows no account or
      region of a stack yet; when it does, they belong here too.
    - Neither known (a layout the policy does not describe): all such root stacks are one scope, but
      a search takes what the searching resource's own stack holds first, and where the name is held
      in two other stacks (``envs/dev`` and ``envs/prod`` with the same names) it names both as
      TG001 instead of picking one (:func:`find_resource`, :func:`attribution`).
    - One known, one not: never. A stack of a known environment is not linked to one that may be
      any environment's.
    - A module directory checked on its own (``role == "module"``) is nobody's: only itself.
    """
    return a is b or scope_of(a) == scope_of(b)


def scope_text(stack: Stack) -> str:
    """Where a search from ``stack`` looked, for a message: "any stack of prod"."""
    if stack.role == "module":
        return stack.label
    if stack.env is None:
        return "any checked stack without a known environment"
    return f"any stack of {stack.env}"


def _nearest(found: Sequence[Resource], near: Stack) -> list[Resource]:
    """The candidates in ``near`` itself when there are any, else all of them."""
    own = [resource for resource in found if resource.stack is near]
    return own or list(found)


def described(resource: Resource) -> str:
    """``address (stack)``: how an ambiguity names each candidate."""
    return f"{resource.address} ({resource.stack.label})"


@dataclass(frozen=True, eq=False)
class Ambiguous(Unknown):
    """A search that found more than one resource, equally near: which one is meant is unknown."""

    candidates: tuple[Resource, ...] = ()

    @property
    def remedy(self) -> str:
        """What to do about it, for TG001's fix."""
        refer = (
            "refer to the resource itself (aws_lambda_function.x.arn, a module or remote-state output) "
            "instead of its name"
        )
        if all(candidate.stack.env is None for candidate in self.candidates):
            return (
                "Tell ttgate each stack's environment (stack_path in .ttgate.yml), so that each is "
                f"linked within its own, or {refer}"
            )
        return f"Give them different names, or {refer}"


def ambiguity(what: str, candidates: Sequence[Resource]) -> Ambiguous:
    """The Unknown of a search that found more than one resource: it names them all."""
    names = [described(candidate) for candidate in candidates]
    listed = ", ".join(names[:-1]) + f" and {names[-1]}"
    envs = {candidate.stack.env for candidate in candidates}
    if envs == {None}:
        why = "their stacks have no known environment, so ttgate cannot tell which one is meant"
    else:
        every = "both are" if len(candidates) == 2 else "all are"
        env = ", ".join(sorted(str(env) for env in envs))
        why = f"{every} in environment {env}, so ttgate cannot tell which one is meant"
    return Ambiguous(f"{what} may be {listed}: {why}", candidates=tuple(candidates))


def remedy_for(unknown: Unknown) -> str | None:
    """TG001's remedy for an unknown a search gave: the ambiguity's, or None for the usual one."""
    return unknown.remedy if isinstance(unknown, Ambiguous) else None


def resource_name(resource: Resource) -> Any:
    return resource.values.get(_NAME_ATTRIBUTE.get(resource.type, "name"))


def name_from_reference(text: str) -> str:
    """The resource name inside an ARN, an SQS URL or a Lambda ARN (alias and version stripped)."""
    if text.startswith("arn:"):
        parts = text.split(":")
        if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
            return parts[6]
        return parts[-1] if len(parts) >= 6 else text
    match = _SQS_URL.match(text)
    if match:
        return match.group("name")
    return text


def find_resource(model: Model, value: Any, types: tuple[str, ...], near: Stack) -> Resource | Unknown | None:
    """The managed resource of one of ``types`` that ``value`` designates, searched from ``near``.

    Returns an Unknown when the value cannot be followed or designates more than one resource of
    ``near``'s scope (:func:`same_scope`) equally near, None when it plainly names nothing in this
    check (another service's ARN, a queue outside the checked stacks or outside the scope).
    """
    found = find_candidates(model, value, types, near)
    if not isinstance(found, list):
        return found
    if len(found) == 1:
        return found[0]
    return ambiguity(display_value(value), found)


def find_candidates(
    model: Model, value: Any, types: tuple[str, ...], near: Stack
) -> list[Resource] | Unknown | None:
    """Every managed resource of one of ``types`` that ``value`` may designate, searched from ``near``:
    in its scope, those of ``near`` itself when it has any, in the model's order (one, or more when
    the value is ambiguous; never empty). Unknown and None as :func:`find_resource`."""
    if isinstance(value, Unknown):
        linked = linked_resource(value)
        if linked is not None and linked.mode == "managed" and linked.type in types:
            return [linked]
        if linked is not None and linked.mode == "data" and linked.type in types:
            data_name = resource_name(linked)
            if isinstance(data_name, str):
                return _by_name(model, data_name, types, near) or value
        return value
    if not isinstance(value, str):
        return None
    if value.startswith("arn:"):
        parts = value.split(":")
        if len(parts) >= 6 and types and all(_service(t) != parts[2] for t in types):
            return None
    if value.startswith("arn:") or _SQS_URL.match(value):
        index = _index(model)
        found = index.find(index.by_reference, types, near, value)
        if found:
            return found
    return _by_name(model, name_from_reference(value), types, near)


def display_value(value: Any) -> str:
    """A searched value as a message quotes it."""
    return display(value) if isinstance(value, str) else "the value"


def _service(resource_type: str) -> str:
    return resource_type.split("_")[1] if resource_type.count("_") >= 1 else resource_type


def _by_name(model: Model, name: str, types: tuple[str, ...], near: Stack) -> list[Resource] | Unknown | None:
    index = _index(model)
    found = index.find(index.by_name, types, near, name)
    if found:
        return found
    unknown = index.find(index.unknown_names, types, near, None)
    if unknown:
        first = unknown[0]
        return Unknown(
            f"{display(name)} may be {first.address}, whose name is unknown ({resource_name(first).reason})"
        )
    return None


_REFERENCE_ATTRIBUTES = ("arn", "url", "id")


Key = tuple[Hashable, str, Any]  # (scope, resource type, value)


@dataclass
class _ResourceIndex:
    """The managed resources, in the model's order, for each value lookups ask for, by scope.

    Built once per model (a plan can hold tens of thousands of resources: a scan per lookup made a
    6 MB plan take a minute).
    """

    by_reference: dict[Key, list[Resource]] = field(default_factory=dict)
    by_name: dict[Key, list[Resource]] = field(default_factory=dict)
    unknown_names: dict[Key, list[Resource]] = field(default_factory=dict)
    order: dict[int, int] = field(default_factory=dict)  # id(resource) -> its place in the model

    def add(self, table: dict[Key, list[Resource]], resource: Resource, value: Any) -> None:
        table.setdefault((scope_of(resource.stack), resource.type, value), []).append(resource)

    def find(
        self, table: dict[Key, list[Resource]], types: tuple[str, ...], near: Stack, value: Any
    ) -> list[Resource]:
        """The resources of one of ``types`` (any type when empty) with ``value`` in ``near``'s scope,
        those of ``near`` itself when it has any, in the model's order."""
        scope = scope_of(near)
        if types:
            keys = [(scope, resource_type, value) for resource_type in types]
        else:
            keys = [key for key in table if key[0] == scope and key[2] == value]
        found = [resource for key in keys for resource in table.get(key, ())]
        if len(keys) > 1:
            found.sort(key=lambda resource: self.order[id(resource)])
        return _nearest([resource for resource in found if same_scope(near, resource.stack)], near)


_DERIVED: dict[tuple[int, str], tuple[weakref.ref[Model], tuple[int, int], Any]] = {}
T = TypeVar("T")


def _size(model: Model) -> tuple[int, int]:
    return len(model.stacks), sum(len(stack.resources) for stack in model.stacks)


def derived(model: Model, what: str, build: Callable[[Model], T]) -> T:
    """``build(model)``, computed once and shared while the model lives and its resources stay the
    same: every rule asks for the same index and the same redrive policies."""
    key = (id(model), what)
    size = _size(model)
    cached = _DERIVED.get(key)
    if cached is not None and cached[0]() is model and cached[1] == size:
        value: T = cached[2]
        return value
    value = build(model)
    # The callback must not hold the model, or it would never be collected.
    _DERIVED[key] = (weakref.ref(model, lambda _: _DERIVED.pop(key, None)), size, value)
    return value


def _index(model: Model) -> _ResourceIndex:
    return derived(model, "index", _build_index)


def _build_index(model: Model) -> _ResourceIndex:
    index = _ResourceIndex()
    for order, resource in enumerate(model.resources()):
        index.order[id(resource)] = order
        name = resource_name(resource)
        if isinstance(name, Unknown):
            index.add(index.unknown_names, resource, None)
        elif isinstance(name, str):
            index.add(index.by_name, resource, name)
        for attribute in _REFERENCE_ATTRIBUTES:
            value = resource.values.get(attribute)
            if isinstance(value, str):
                index.add(index.by_reference, resource, value)
    return index


def same_resource(value: Any, resource: Resource, attribute: str = "name") -> bool | Unknown:
    """Whether ``value`` designates ``resource`` (by its name, or by an Unknown's link)."""
    if isinstance(value, Unknown):
        if value.resource is resource:
            return True
        if value.resource is not None and value.resource.mode == "managed":
            return False
        return value
    name = resource.values.get(attribute)
    if isinstance(name, Unknown):
        return name
    if not isinstance(value, str) or not isinstance(name, str):
        return False
    if value == name:
        return True
    return value.startswith(("arn:", "https://")) and name_from_reference(value) == name


class Candidates:
    """The resources of one type that may be the one a rule looks for near another, found by a key.

    ``keys_of`` gives a resource's keys (its name, the queue an alarm watches); None when they cannot
    be known, so it is a candidate for any key; an empty list when it can match none. ``near``
    restricts to the scope of the resource asked about (:func:`same_scope`): its own stack's
    candidates first, then the other stacks', each in the model's order. Whether one found in another
    stack is the resource's own or a namesake's, :func:`attribution` says.
    """

    def __init__(
        self, model: Model, resource_type: str, keys_of: Callable[[Resource], Iterable[str] | None]
    ) -> None:
        self._all: dict[Hashable, list[tuple[int, Resource]]] = defaultdict(list)
        self._by_key: dict[tuple[Hashable, str], list[tuple[int, Resource]]] = defaultdict(list)
        self._any_key: dict[Hashable, list[tuple[int, Resource]]] = defaultdict(list)
        for order, resource in enumerate(model.resources(resource_type)):
            scope = scope_of(resource.stack)
            self._all[scope].append((order, resource))
            keys = keys_of(resource)
            if keys is None:
                self._any_key[scope].append((order, resource))
                continue
            for key in set(keys):
                self._by_key[(scope, key)].append((order, resource))

    def near(self, resource: Resource, key: str | None) -> list[Resource]:
        """Candidates in ``resource``'s scope for ``key`` (every one when the key is unknown: None),
        those of its own stack first."""
        scope = scope_of(resource.stack)
        if key is None:
            found = self._all.get(scope, [])
        else:
            found = [*self._by_key.get((scope, key), ()), *self._any_key.get(scope, ())]
        return [
            candidate
            for _, candidate in sorted(
                found, key=lambda entry: (entry[1].stack is not resource.stack, entry[0])
            )
        ]


class Namesakes:
    """The subjects a rule checks (dead-letter queues, functions) by scope and key (a name): the
    others a partner found by that key may belong to."""

    def __init__(self, subjects: Iterable[Resource], key_of: Callable[[Resource], str | None]) -> None:
        self._key_of = key_of
        self._by_key: dict[tuple[Hashable, str], list[Resource]] = defaultdict(list)
        for subject in subjects:
            key = key_of(subject)
            if key is not None:
                self._by_key[(scope_of(subject.stack), key)].append(subject)

    def of(self, subject: Resource) -> list[Resource]:
        """The other subjects of ``subject``'s scope with its key, in the order they were given."""
        key = self._key_of(subject)
        if key is None:
            return []
        return [
            other for other in self._by_key.get((scope_of(subject.stack), key), []) if other is not subject
        ]


def attribution(
    partner: Resource, subject: Resource, namesakes: Sequence[Resource], what: str
) -> bool | Unknown:
    """Whether ``partner`` (an alarm, a log group), found in ``subject``'s scope by a key they share,
    is ``subject``'s rather than one of its ``namesakes``' (other subjects with that key).

    True in ``subject``'s own stack, or when no namesake may claim it; False when a namesake sits in
    the partner's own stack (nearer: ``envs/dev``'s alarm is ``envs/dev``'s queue's); an Unknown naming
    the subject and its namesakes when two or more are equally far (``what`` says what is sought).
    """
    if partner.stack is subject.stack:
        return True
    if any(namesake.stack is partner.stack for namesake in namesakes):
        return False
    if not namesakes:
        return True
    return ambiguity(what, sorted([subject, *namesakes], key=lambda owner: (owner.stack.name, owner.address)))


def reference_keys(value: Any) -> list[str] | None:
    """What :func:`same_resource` may match a name against: the value, and the name inside an ARN or
    URL; None when the value is unknown (it may designate anything)."""
    if isinstance(value, Unknown):
        return None
    if not isinstance(value, str):
        return []
    return [value, name_from_reference(value)] if value.startswith(("arn:", "https://")) else [value]
