"""One policy file as read: its data, and the file and line of every key and list item.

YAML without aliases (a policy never needs one, and a few nested aliases expand to gigabytes), no
control characters, no non-finite numbers and no duplicate keys: each is a one-line error naming the line.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ttgate.errors import UserError
from ttgate.policy.wording import KeyPath, describe, key_path_text

if TYPE_CHECKING:  # PyYAML is imported when a policy is read, not by `ttgate --help`
    import yaml

# Characters of one policy file (the runbook's is under 5,000): PyYAML reads about 50,000 a second.
MAX_POLICY_CHARACTERS = 128 * 1024


@dataclass(frozen=True)
class Origin:
    source: str  # the file as shown in messages
    line: int | None


@dataclass
class PolicyFile:
    source: str
    data: dict[str, Any]
    positions: dict[KeyPath, Origin]  # key path -> where that key (or list item) is written


def where(positions: Mapping[KeyPath, Origin], fallback: str, path: KeyPath) -> str:
    """``file:line`` of the nearest written ancestor of ``path`` (the key itself when it is written)."""
    for end in range(len(path), 0, -1):
        origin = positions.get(path[:end])
        if origin is not None:
            return f"{origin.source}:{origin.line}" if origin.line else origin.source
    return fallback


@functools.cache
def _no_alias_loader() -> type[yaml.SafeLoader]:
    """YAML without aliases: a policy never needs one, and a few nested aliases expand to gigabytes."""
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"aliases (*{event.anchor}) are not accepted in a policy; write the value out",
                    event.start_mark,
                )
            return super().compose_node(parent, index)

        def fetch_more_tokens(self) -> None:
            # Refused while scanning, before the composer recurses once per level.
            super().fetch_more_tokens()
            if self.flow_level > MAX_DEPTH or len(self.indents) > MAX_DEPTH:
                raise yaml.scanner.ScannerError(
                    None,
                    None,
                    f"nested more deeply than a policy can be (at most {MAX_DEPTH} levels)",
                    self.get_mark(),
                )

    return NoAliasLoader


# Levels of mappings and lists in a policy: the runbook's deepest is five; far deeper is an attack.
MAX_DEPTH = 64
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def parse(text: str, source: str) -> PolicyFile:
    """``text`` read as the policy file ``source`` (the name messages show)."""
    if len(text) > MAX_POLICY_CHARACTERS:  # before any YAML work: a 21 MB policy took 218 s and 6.4 GB
        raise UserError(
            f"{source}: larger than a policy can be (at most {MAX_POLICY_CHARACTERS:,} characters)"
        )
    import yaml

    positions: dict[KeyPath, Origin] = {}
    loader = None
    try:
        loader = _no_alias_loader()(text)  # reading starts here: a control character is refused
        node = loader.get_single_node()
        data = {} if node is None else _construct(loader, node, (), positions, source)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        located = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source
        problem = ", ".join(part for part in (error.context, error.problem) if part)
        raise UserError(f"{located}: not valid YAML: {problem}") from None
    except yaml.reader.ReaderError as error:
        row = text.count("\n", 0, error.position) + 1
        raise UserError(
            f"{source}:{row}: not valid YAML: character U+{int(error.character):04X} is not allowed in YAML "
            "text (a control character)"
        ) from None
    except yaml.YAMLError:
        raise UserError(f"{source}: not valid YAML") from None
    except RecursionError:
        raise UserError(
            f"{source}: nested more deeply than a policy can be (at most {MAX_DEPTH} levels)"
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        line = node.start_mark.line + 1 if node is not None else None
        located = f"{source}:{line}" if line else source
        raise UserError(
            f"{located}: a policy file must be a mapping of keys (project, layers, rules…), "
            f"got {describe(data)}"
        )
    return PolicyFile(source, data, positions)


def _scalar(loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath, source: str) -> Any:
    """A node's value as YAML's tags make it; a value its tag refuses (``!!int x``) is a one-line error."""
    import yaml

    try:
        return loader.construct_object(node)
    except yaml.MarkedYAMLError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError):
        shown = key_path_text(path)
        prefix = f"{shown}: " if shown else ""
        tag = str(node.tag).rsplit(":", 1)[-1]
        raise UserError(
            f"{source}:{node.start_mark.line + 1}: {prefix}not a valid {tag} value "
            "(a number too long, or a value its YAML tag does not accept)"
        ) from None


def _construct(
    loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath, positions: dict[KeyPath, Origin], source: str
) -> Any:
    """Python data from a composed node, recording the line of every mapping key and list item."""
    import yaml

    if len(path) > MAX_DEPTH:
        raise UserError(
            f"{source}:{node.start_mark.line + 1}: nested more deeply than a policy can be "
            f"(at most {MAX_DEPTH} levels)"
        )
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # YAML merge keys (<<)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(loader, key_node, path, source)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                shown = key_path_text(path)
                prefix = f"{shown}: " if shown else ""
                raise UserError(
                    f"{source}:{line}: {prefix}keys must be strings, got {describe(key)} (quote it)"
                )
            if _CONTROL.search(key):
                raise UserError(f"{source}:{line}: a key holds a control character (NUL, escape...)")
            if key in result:
                shown = key_path_text((*path, key))
                first = positions[(*path, key)].line
                raise UserError(f"{source}:{line}: {shown}: duplicate key (first written on line {first})")
            positions[(*path, key)] = Origin(source, line)
            result[key] = _construct(loader, value_node, (*path, key), positions, source)
        return result
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = []
        for index, item_node in enumerate(node.value):
            positions[(*path, index)] = Origin(source, item_node.start_mark.line + 1)
            items.append(_construct(loader, item_node, (*path, index), positions, source))
        return items
    value = _scalar(loader, node, path, source)
    if isinstance(value, str) and _CONTROL.search(value):
        shown = key_path_text(path)
        prefix = f"{shown}: " if shown else ""
        raise UserError(
            f"{source}:{node.start_mark.line + 1}: {prefix}a control character (NUL, escape...) is not text"
        )
    if isinstance(value, float) and not math.isfinite(value):
        shown = key_path_text(path)
        prefix = f"{shown}: " if shown else ""
        raise UserError(f"{source}:{node.start_mark.line + 1}: {prefix}expected a finite number, got {value}")
    return value
