"""A plan document into a model Stack.

Resources come from ``planned_values`` (what will exist after apply) with their change actions from
``resource_changes``; a resource only being deleted is not a resource any more. Values marked in
``after_unknown`` become Unknown; where the plan's ``configuration`` says which resource an unknown
value is built from (a new queue's ARN inside a redrive policy), the Unknown is linked to it.
Sensitive values never enter the model: they are Unknowns whose reason is "(sensitive)".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ttgate.gate.model import Location, PlannedChange, RemoteState, Resource, Stack
from ttgate.gate.plan.changes import planned_change
from ttgate.gate.values import SENSITIVE as SENSITIVE
from ttgate.gate.values import Unknown, secret_strings

_KEYS = re.compile(r"\[[^\]]*\]")


@dataclass
class _ModuleConfig:
    """One module's `configuration` block, reached through module_calls."""

    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # local address -> config
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)


def _module_config(block: Any) -> _ModuleConfig:
    config = _ModuleConfig()
    if not isinstance(block, dict):
        return config
    for resource in block.get("resources") or []:
        if isinstance(resource, dict) and isinstance(resource.get("address"), str):
            config.resources[resource["address"]] = resource
    calls = block.get("module_calls")
    config.calls = calls if isinstance(calls, dict) else {}
    outputs = block.get("outputs")
    config.outputs = outputs if isinstance(outputs, dict) else {}
    return config


def _walk_modules(module: Any) -> list[dict[str, Any]]:
    """Every resource of planned_values/prior_state, child modules included."""
    if not isinstance(module, dict):
        return []
    found = [r for r in module.get("resources") or [] if isinstance(r, dict)]
    for child in module.get("child_modules") or []:
        found.extend(_walk_modules(child))
    return found


def _strip_key(segment: str) -> str:
    return segment.split("[", 1)[0]


def _module_path(address: str) -> tuple[list[str], str, str]:
    """``module.a[0].module.b.aws_x.y[1]`` -> (["a", "b"], "module.a[0].module.b", "aws_x.y")."""
    parts = _split_address(address)
    names: list[str] = []
    prefix: list[str] = []
    index = 0
    while index + 1 < len(parts) and parts[index] == "module":
        names.append(_strip_key(parts[index + 1]))
        prefix.extend(parts[index : index + 2])
        index += 2
    local = ".".join(parts[index:])
    local = local.rsplit("[", 1)[0] if local.endswith("]") else local
    return names, ".".join(prefix), local


def _split_address(address: str) -> list[str]:
    """Split on dots outside brackets and quotes (for_each keys may contain dots)."""
    if "[" not in address and '"' not in address:
        return address.split(".")
    parts: list[str] = []
    current = ""
    depth = 0
    quoted = False
    for char in address:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "[":
            depth += 1
        elif not quoted and char == "]":
            depth -= 1
        if char == "." and depth == 0 and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _mask(value: Any, sensitive: Any) -> Any:
    """Replace the parts of ``value`` that ``sensitive`` (Terraform's mask of the same shape) marks."""
    if not sensitive:  # nothing marked (false, {}, []): most values of most plans
        return value
    if sensitive is True:
        return Unknown(SENSITIVE)
    if isinstance(value, dict) and isinstance(sensitive, dict):
        return {key: _mask(item, sensitive.get(key)) for key, item in value.items()}
    if isinstance(value, list) and isinstance(sensitive, list):
        return [_mask(item, sensitive[i] if i < len(sensitive) else None) for i, item in enumerate(value)]
    return value


def _mask_attributes(values: dict[str, Any], sensitive: Any) -> dict[str, Any]:
    """A resource's values with what ``sensitive`` marks hidden; ``true`` marks every attribute (the
    resource stays a set of attributes, each of them sensitive)."""
    if sensitive is True:
        return {key: Unknown(SENSITIVE) for key in values}
    masked: dict[str, Any] = _mask(values, sensitive)
    return masked


def _masked_texts(value: Any, sensitive: Any) -> Iterator[str]:
    """The text of every part of ``value`` that ``sensitive`` marks (what :func:`_mask` hides)."""
    if not sensitive:
        return
    if sensitive is True:
        yield from secret_strings(value)
    elif isinstance(value, dict) and isinstance(sensitive, dict):
        for key, item in value.items():
            yield from _masked_texts(item, sensitive.get(key))
    elif isinstance(value, list) and isinstance(sensitive, list):
        for item, mask in zip(value, sensitive, strict=False):
            yield from _masked_texts(item, mask)


def plan_secrets(document: dict[str, Any]) -> set[str]:
    """The text of every value the plan marks sensitive: before and after each change, planned and
    prior values, outputs, and variables its configuration declares sensitive.

    It reads parts of the plan the loader does not, so every part is taken only if it has its shape.
    """
    found: set[str] = set()
    for change in _list(document.get("resource_changes")):
        details = _dict(change).get("change")
        if isinstance(details, dict):
            found.update(_masked_texts(details.get("after"), details.get("after_sensitive")))
            found.update(_masked_texts(details.get("before"), details.get("before_sensitive")))
    for section in (document.get("planned_values"), _dict(document.get("prior_state")).get("values")):
        if not isinstance(section, dict):
            continue
        for raw in _walk_modules(section.get("root_module")):
            found.update(_masked_texts(raw.get("values"), raw.get("sensitive_values")))
        for output in _dict(section.get("outputs")).values():
            if isinstance(output, dict) and output.get("sensitive") is True:
                found.update(secret_strings(output.get("value")))
    for output in _dict(document.get("output_changes")).values():
        if isinstance(output, dict):
            found.update(_masked_texts(output.get("after"), output.get("after_sensitive")))
            found.update(_masked_texts(output.get("before"), output.get("before_sensitive")))
    declared = _dict(_dict(_dict(document.get("configuration")).get("root_module")).get("variables"))
    for name, value in _dict(document.get("variables")).items():
        variable = declared.get(name)
        if isinstance(variable, dict) and variable.get("sensitive") is True and isinstance(value, dict):
            found.update(secret_strings(value.get("value")))
    return found


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _unknowns(value: Any, mask: Any, make: Any) -> Any:
    """Put Unknowns where ``after_unknown`` says a value is known only after apply."""
    if mask is True:
        return make()
    if isinstance(mask, dict):
        base = value if isinstance(value, dict) else {}
        merged = dict(base)
        for key, inner in mask.items():
            merged[key] = _unknowns(base.get(key), inner, make)
        return merged
    if isinstance(mask, list) and isinstance(value, list):
        return [_unknowns(item, mask[i] if i < len(mask) else None, make) for i, item in enumerate(value)]
    return value


class PlanStackBuilder:
    def __init__(self, document: dict[str, Any], stack: Stack, plan_file: str) -> None:
        self.document = document
        self.stack = stack
        self.plan_file = plan_file
        self.by_address: dict[str, Resource] = {}
        self._configs: dict[tuple[str, ...], _ModuleConfig | None] = {}
        self._location = Location(plan_file, 0, 0)
        # unkeyed address -> its instances, indexed once the resources are all added
        self._instances: tuple[int, dict[str, list[Resource]]] | None = None
        configuration = document.get("configuration")
        self.root_config = configuration.get("root_module") if isinstance(configuration, dict) else None

    def build(self) -> Stack:
        changes = {
            change["address"]: change
            for change in self.document.get("resource_changes") or []
            if isinstance(change, dict) and isinstance(change.get("address"), str)
        }
        planned = self.document.get("planned_values") or {}
        for raw in _walk_modules(planned.get("root_module")):
            self._add(raw, changes.get(raw.get("address", "")))
        for address, change in changes.items():
            if address in self.by_address:
                continue
            actions = tuple((change.get("change") or {}).get("actions") or ())
            if actions == ("delete",) or not actions or change.get("mode") == "data":
                continue
            # A resource_changes entry without planned values (older or partial plans).
            after = (change.get("change") or {}).get("after")
            raw = {
                "address": address,
                "mode": change.get("mode"),
                "type": change.get("type"),
                "name": change.get("name"),
                "values": after,
            }
            self._add(raw, change)
        prior = self.document.get("prior_state") or {}
        prior_values = prior.get("values") if isinstance(prior, dict) else None
        for raw in _walk_modules((prior_values or {}).get("root_module")):
            if raw.get("mode") == "data" and raw.get("address") not in self.by_address:
                self._add(raw, None)
        for resource in self.stack.resources:
            self._link_unknowns(resource)
            if resource.type == "terraform_remote_state" and resource.mode == "data":
                self._remote_state(resource)
        self._outputs(planned)
        return self.stack

    def _add(self, raw: dict[str, Any], change: dict[str, Any] | None) -> None:
        address = raw.get("address")
        if not isinstance(address, str) or not isinstance(raw.get("type"), str):
            return
        details = (change or {}).get("change") or {}
        actions = tuple(details.get("actions") or ())
        if actions == ("delete",):
            return
        values = raw.get("values")
        values = dict(values) if isinstance(values, dict) else {}
        values = _mask_attributes(values, raw.get("sensitive_values"))
        values = _mask_attributes(values, details.get("after_sensitive"))
        prefix = _module_path(address)[1]
        resource = Resource(
            stack=self.stack,
            address=address,
            mode=str(raw.get("mode") or "managed"),
            type=raw["type"],
            name=str(raw.get("name") or ""),
            module_path=prefix,
            values={},
            location=self._location,
            actions=actions,
        )

        def unknown_maker(key: str) -> Any:
            return lambda: Unknown(f"{address}.{key} is known only after apply", resource, key)

        after_unknown = details.get("after_unknown")
        if isinstance(after_unknown, dict):
            for key, mask in after_unknown.items():
                values[key] = _unknowns(values.get(key), mask, unknown_maker(key))
        resource.values = values
        self.by_address[address] = resource
        self.stack.resources.append(resource)

    # -- configuration: where unknown values come from ------------------------------------------

    def _config_for(self, names: list[str]) -> _ModuleConfig | None:
        # Read once per module path: every resource of a module asks, and a root module may
        # configure tens of thousands of resources.
        key = tuple(names)
        if key not in self._configs:
            if not names:
                self._configs[key] = _module_config(self.root_config)
            else:
                parent = self._config_for(names[:-1])
                call = parent.calls.get(names[-1]) if parent is not None else None
                self._configs[key] = _module_config(call.get("module")) if isinstance(call, dict) else None
        return self._configs[key]

    def _link_unknowns(self, resource: Resource) -> None:
        if not any(isinstance(value, Unknown) for value in resource.values.values()):
            return  # most resources of a big plan exist already: nothing unknown to link
        names, prefix, local = _module_path(resource.address)
        config = self._config_for(names)
        if config is None:
            return
        resource_config = config.resources.get(local)
        expressions = (resource_config or {}).get("expressions")
        if not isinstance(expressions, dict):
            return
        for key, value in list(resource.values.items()):
            if not isinstance(value, Unknown) or value.reason == SENSITIVE:
                continue
            if key not in expressions and value.resource is resource and value.attribute == key:
                # Not set in the configuration, chosen by the provider at apply (Optional+Computed, such as a
                # new queue's redrive_policy or a new function's logging_config): unset, as in the HCL model,
                # so rules apply AWS's default instead of reporting it unknown. Only attributes and static
                # blocks are in `expressions` (Terraform omits dynamic blocks), hence the whole-value test.
                resource.values[key] = None
                continue
            expression = expressions.get(key)
            if not isinstance(expression, dict):
                continue
            target = self._resolve(expression.get("references"), names, prefix, depth=0)
            if target is not None:
                linked, attribute = target
                resource.values[key] = Unknown(
                    f"{resource.address}.{key} is built from {linked.address}"
                    f"{'.' + attribute if attribute else ''}, known only after apply",
                    linked,
                    attribute,
                )

    def _resolve(
        self, references: Any, names: list[str], prefix: str, depth: int
    ) -> tuple[Resource, str | None] | None:
        """The one resource (and attribute) a list of references points at, following module outputs."""
        if not isinstance(references, list) or depth > 20:
            return None
        found: dict[str, tuple[Resource, str | None]] = {}
        for reference in references:
            if not isinstance(reference, str):
                continue
            target = self._resolve_one(reference, names, prefix, depth)
            if target is not None:
                found.setdefault(target[0].address, target)
        if len(found) == 1:
            return next(iter(found.values()))
        return None

    def _resolve_one(
        self, reference: str, names: list[str], prefix: str, depth: int
    ) -> tuple[Resource, str | None] | None:
        parts = _split_address(reference)
        if parts[0] in ("var", "local", "path", "count", "each", "terraform", "self") or parts[0] == "data":
            return None
        if parts[0] == "module" and len(parts) >= 3:
            call_name = _strip_key(parts[1])
            child = self._config_for([*names, call_name])
            output = (child.outputs.get(parts[2]) if child else None) or {}
            expression = output.get("expression") if isinstance(output, dict) else None
            child_prefix = f"{prefix}.module.{parts[1]}" if prefix else f"module.{parts[1]}"
            refs = expression.get("references") if isinstance(expression, dict) else None
            return self._resolve(refs, [*names, call_name], child_prefix, depth + 1)
        if len(parts) < 2:
            return None
        base = f"{prefix}.{parts[0]}.{parts[1]}" if prefix else f"{parts[0]}.{parts[1]}"
        attribute = parts[2] if len(parts) > 2 else None
        resource = self.by_address.get(base) or self._single_instance(base)
        return (resource, attribute) if resource is not None else None

    def _single_instance(self, base: str) -> Resource | None:
        """``aws_sqs_queue.q`` when the plan has exactly one instance of it (``…q[0]``, ``…q["a"]``)."""
        if self._instances is None or self._instances[0] != len(self.by_address):
            instances: dict[str, list[Resource]] = {}
            for address, resource in self.by_address.items():
                instances.setdefault(_KEYS.sub("", address), []).append(resource)
            self._instances = (len(self.by_address), instances)
        candidates = self._instances[1].get(_KEYS.sub("", base), [])
        return candidates[0] if len(candidates) == 1 else None

    # -- remote state and outputs --------------------------------------------------------------

    def _remote_state(self, resource: Resource) -> None:
        values = resource.values
        self.stack.remote_states.append(
            RemoteState.read(resource, values.get("backend"), values.get("config"))
        )

    def _outputs(self, planned: dict[str, Any]) -> None:
        outputs = planned.get("outputs")
        if not isinstance(outputs, dict):
            return
        for name, output in outputs.items():
            if not isinstance(output, dict):
                continue
            sensitive = output.get("sensitive") is True
            self.stack.outputs[name] = Unknown(SENSITIVE) if sensitive else output.get("value")


def build_plan_stack(document: dict[str, Any], stack: Stack, plan_file: str) -> Stack:
    stack.kind = "plan"
    stack.plan_file = plan_file
    return PlanStackBuilder(document, stack, plan_file).build()


def planned_changes(document: dict[str, Any]) -> tuple[list[PlannedChange], list[PlannedChange]]:
    """Every managed resource's entry of ``resource_changes``, deletes included, and of
    ``resource_drift`` (what Terraform found changed outside it), sensitive values masked."""
    found = [planned_change(entry, _mask_attributes) for entry in _list(document.get("resource_changes"))]
    drift = [planned_change(entry, _mask_attributes) for entry in _list(document.get("resource_drift"))]
    return [item for item in found if item is not None], [item for item in drift if item is not None]
