"""``yamldecode``: YAML text to a value, as Terraform decodes it (the YAML 1.2 core schema).

PyYAML speaks YAML 1.1, where ``yes`` is true and ``2024-01-01`` a timestamp; Terraform's decoder
follows the 1.2 core schema, where both are strings. So the implicit types here are the core
schema's (null, bool, int, float, str), and an explicit tag beyond them (``!!binary``,
``!!timestamp``, ``!Ref``) makes the value unknown rather than guessed. Only safe loading: no
Python objects are ever constructed. Anchors and aliases are followed, with the expanded size
bounded, so a "billion laughs" document cannot blow up what the rules walk.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ttgate.gate.values import Unknown

if TYPE_CHECKING:
    from yaml.nodes import Node

# Nodes of the document with aliases expanded (what the rules would walk), at most.
MAX_EXPANDED_NODES = 200_000

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + name for name in ("str", "int", "float", "bool", "null")}
_COLLECTION_TAGS = {_CORE + "seq", _CORE + "map"}
# The tags PyYAML's resolver gives a plain scalar by itself (YAML 1.1), replaced by the core schema's.
_IMPLICIT_11 = {_CORE + name for name in ("bool", "int", "float", "null", "timestamp", "str", "value")}
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


class YamlError(ValueError):
    """Text Terraform's yamldecode rejects: the message says what and where."""


def yaml_decode(text: str) -> Any:
    """The value of one YAML document; Unknown for a tag beyond the core schema."""
    import yaml

    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"on line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise YamlError(f"{where}{error.problem or error}") from None
    except yaml.YAMLError as error:
        raise YamlError(str(error)) from None
    if len(documents) > 1:
        raise YamlError("the string holds more than one YAML document")
    if not documents or documents[0] is None:
        return None
    root = documents[0]
    if _expanded_size(root, {}) > MAX_EXPANDED_NODES:
        return Unknown(
            f"the YAML document has more than {MAX_EXPANDED_NODES} values once its aliases are expanded "
            "(a bound against hostile input)"
        )
    return _value(root)


def _expanded_size(node: Node, sizes: dict[int, int]) -> int:
    """Nodes counted as often as aliases reach them, each node's size computed once."""
    import yaml

    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = MAX_EXPANDED_NODES + 1  # a cycle (a recursive alias) counts as too large
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(item, sizes) for item in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    size = min(size, MAX_EXPANDED_NODES + 1)
    sizes[id(node)] = size
    return size


def _value(node: Node) -> Any:
    import yaml

    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if node.tag not in _COLLECTION_TAGS:
        return _unsupported(node.tag)
    if isinstance(node, yaml.SequenceNode):
        return [_value(item) for item in node.value]
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if key_node.tag == _CORE + "merge":
            return Unknown("a YAML merge key (<<) is not decoded by ttgate")
        key = _value(key_node)
        if isinstance(key, Unknown):
            return key
        if isinstance(key, (list, dict)):
            raise YamlError(f"on line {key_node.start_mark.line + 1}: a map key must be a scalar")
        result[_key_text(key)] = _value(value_node)
    return result


def _key_text(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _scalar(node: Any) -> Any:
    text: str = node.value
    tag: str = node.tag
    if node.style is None and tag in _IMPLICIT_11:
        # A plain scalar: PyYAML's YAML 1.1 guess of its type is replaced by the core schema's.
        return _resolved(text, None, node)
    if tag == _CORE + "str":
        return text  # quoted or block: a string whatever it looks like
    if tag in _SCALAR_TAGS:
        return _resolved(text, tag, node)  # "!!int '3'": the explicit tag decides
    return _unsupported(tag)


def _resolved(text: str, wanted: str | None, node: Any) -> Any:
    if wanted in (None, _CORE + "null") and _NULL.match(text):
        return None
    if wanted in (None, _CORE + "bool") and _BOOL.match(text):
        return text.lower() == "true"
    if wanted in (None, _CORE + "int") and _INT.match(text):
        if text.startswith(("0o", "0x")):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text)
    if wanted in (None, _CORE + "float") and _FLOAT.match(text):
        lowered = text.lower()
        if lowered.endswith((".inf", ".nan")):
            return Unknown(f"YAML {text} is not a number Terraform can hold")
        return float(text)
    if wanted is None:
        return text
    raise YamlError(f"on line {node.start_mark.line + 1}: {text!r} is not a valid {wanted[len(_CORE) :]}")


def _unsupported(tag: str) -> Unknown:
    shown = "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag
    return Unknown(f"the YAML tag {shown} is outside the core schema, so ttgate does not decode it")
