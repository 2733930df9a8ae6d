"""Following a value to the resource it names: an ARN, a URL, a name, or an Unknown's origin.

An event source mapping's ``event_source_arn`` may be ``aws_sqs_queue.main.arn`` (unknown until
apply, but linked to that queue), a remote-state output that leads to it in another stack, a
literal ARN or a name. Rules ask here which resource, if any, the value designates.
"""

from __future__ import annotations

import re
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ttgate.gate.model import Model, Resource, linked_resource
from ttgate.gate.values import Unknown

_NAME_ATTRIBUTE = {
    "aws_sqs_queue": "name",
    "aws_lambda_function": "function_name",
    "aws_cloudwatch_log_group": "name",
}
_SQS_URL = re.compile(r"^https://(?:sqs\.)?[^/]+/\d+/(?P<name>[^/]+)$")


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


def find_resource(
    model: Model, value: Any, types: tuple[str, ...], env: str | None
) -> Resource | Unknown | None:
    """The managed resource of one of ``types`` that ``value`` designates.

    Returns an Unknown when the value cannot be followed, None when it plainly names nothing in
    this check (another service's ARN, a queue outside the checked stacks).
    """
    if isinstance(value, Unknown):
        linked = linked_resource(value)
        if linked is not None and linked.mode == "managed" and linked.type in types:
            return linked
        if linked is not None and linked.mode == "data" and linked.type in types:
            data_name = resource_name(linked)
            if isinstance(data_name, str):
                return _by_name(model, data_name, types, env) or value
        return value
    if not isinstance(value, str):
        return None
    if value.startswith("arn:"):
        parts = value.split(":")
        if len(parts) >= 6 and types and all(_service(t) != parts[2] for t in types):
            return None
    if value.startswith("arn:") or _SQS_URL.match(value):
        found = _index(model).first(_index(model).by_reference, types, env, value)
        if found is not None:
            return found
    return _by_name(model, name_from_reference(value), types, env)


def _service(resource_type: str) -> str:
    return resource_type.split("_")[1] if resource_type.count("_") >= 1 else resource_type


def _by_name(model: Model, name: str, types: tuple[str, ...], env: str | None) -> Resource | Unknown | None:
    index = _index(model)
    found = index.first(index.by_name, types, env, name)
    if found is not None:
        return found
    first = index.first(index.unknown_names, types, env, None)
    if first is not None:
        return Unknown(
            f"{name!r} may be {first.address}, whose name is unknown ({resource_name(first).reason})"
        )
    return None


_ANY_ENV = object()  # the key of an index entry that a lookup without an environment finds
_REFERENCE_ATTRIBUTES = ("arn", "url", "id")
Key = tuple[object, str, Any]  # (environment or _ANY_ENV, resource type, value)


@dataclass
class _ResourceIndex:
    """The first managed resource, in the model's order, for each value lookups ask for.

    Built once per model (a plan can hold tens of thousands of resources: a scan per lookup made a
    6 MB plan take a minute).
    """

    by_reference: dict[Key, tuple[int, Resource]] = field(default_factory=dict)
    by_name: dict[Key, tuple[int, Resource]] = field(default_factory=dict)
    unknown_names: dict[Key, tuple[int, Resource]] = field(default_factory=dict)

    def add(self, table: dict[Key, tuple[int, Resource]], order: int, resource: Resource, value: Any) -> None:
        table.setdefault((resource.stack.env, resource.type, value), (order, resource))
        table.setdefault((_ANY_ENV, resource.type, value), (order, resource))

    def first(
        self,
        table: dict[Key, tuple[int, Resource]],
        types: tuple[str, ...],
        env: str | None,
        value: Any,
    ) -> Resource | None:
        """The first resource in model order of one of ``types`` (any type when empty) with ``value``."""
        wanted = _ANY_ENV if env is None else env
        candidates = [entry for key in self._keys(types, wanted, value, table) if (entry := table.get(key))]
        return min(candidates, key=lambda entry: entry[0])[1] if candidates else None

    @staticmethod
    def _keys(types: tuple[str, ...], env: object, value: Any, table: dict[Key, Any]) -> list[Key]:
        if types:
            return [(env, resource_type, value) for resource_type in types]
        return [key for key in table if key[0] is env and key[2] == value]


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
        name = resource_name(resource)
        if isinstance(name, Unknown):
            index.add(index.unknown_names, order, resource, None)
        elif isinstance(name, str):
            index.add(index.by_name, order, resource, name)
        for attribute in _REFERENCE_ATTRIBUTES:
            value = resource.values.get(attribute)
            if isinstance(value, str):
                index.add(index.by_reference, order, resource, value)
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
    restricts to the environment of the resource asked about (its own stack when it has none), as the
    rules' scans did, and the order is the model's.
    """

    def __init__(
        self, model: Model, resource_type: str, keys_of: Callable[[Resource], Iterable[str] | None]
    ) -> None:
        self._all: dict[object, list[Resource]] = defaultdict(list)
        self._by_key: dict[tuple[object, str], list[tuple[int, Resource]]] = defaultdict(list)
        self._any_key: dict[object, list[tuple[int, Resource]]] = defaultdict(list)
        for order, resource in enumerate(model.resources(resource_type)):
            scope = _scope(resource)
            self._all[scope].append(resource)
            keys = keys_of(resource)
            if keys is None:
                self._any_key[scope].append((order, resource))
                continue
            for key in set(keys):
                self._by_key[(scope, key)].append((order, resource))

    def near(self, resource: Resource, key: str | None) -> list[Resource]:
        """Candidates in ``resource``'s scope for ``key`` (every one when the key is unknown: None)."""
        scope = _scope(resource)
        if key is None:
            return list(self._all.get(scope, ()))
        found = [*self._by_key.get((scope, key), ()), *self._any_key.get(scope, ())]
        return [candidate for _, candidate in sorted(found, key=lambda entry: entry[0])]


def _scope(resource: Resource) -> object:
    env = resource.stack.env
    return ("env", env) if env is not None else ("stack", id(resource.stack))


def reference_keys(value: Any) -> list[str] | None:
    """What :func:`same_resource` may match a name against: the value, and the name inside an ARN or
    URL; None when the value is unknown (it may designate anything)."""
    if isinstance(value, Unknown):
        return None
    if not isinstance(value, str):
        return []
    return [value, name_from_reference(value)] if value.startswith(("arn:", "https://")) else [value]
