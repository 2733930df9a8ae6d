"""Following a value to the resource it names: an ARN, a URL, a name, or an Unknown's origin.

An event source mapping's ``event_source_arn`` may be ``aws_sqs_queue.main.arn`` (unknown until
apply, but linked to that queue), a remote-state output that leads to it in another stack, a
literal ARN or a name. Rules ask here which resource, if any, the value designates.
"""

from __future__ import annotations

import re
from typing import Any

from ttgate.gate.model import Model, Resource
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
        linked = value.resource
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
        for resource in model.resources(*types, env=env):
            for attribute in ("arn", "url", "id"):
                if resource.values.get(attribute) == value:
                    return resource
    return _by_name(model, name_from_reference(value), types, env)


def _service(resource_type: str) -> str:
    return resource_type.split("_")[1] if resource_type.count("_") >= 1 else resource_type


def _by_name(model: Model, name: str, types: tuple[str, ...], env: str | None) -> Resource | Unknown | None:
    unknown_names: list[Resource] = []
    for resource in model.resources(*types, env=env):
        candidate = resource_name(resource)
        if candidate == name:
            return resource
        if isinstance(candidate, Unknown):
            unknown_names.append(resource)
    if unknown_names:
        first = unknown_names[0]
        return Unknown(
            f"{name!r} may be {first.address}, whose name is unknown ({resource_name(first).reason})"
        )
    return None


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
