"""The policy: the runbook's numbers (layers, state keys, naming, rule parameters) as data.

The built-in ``runbook.yml`` holds the runbook's values. A repository's ``.ttgate.yml`` (or a file
given with ``--policy``) extends it, or another file, and overrides what differs: mappings merge
deeply, lists and scalars replace. Every problem in a policy file is a :class:`UserError` naming the
file, the line, the key and what is wrong.
"""

from __future__ import annotations

import copy
import difflib
import functools
import importlib.resources
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

import yaml

from ttgate.errors import UserError
from ttgate.policy.severity import Severity

POLICY_FILE_NAMES = (".ttgate.yml", ".ttgate.yaml")
BUILTIN_NAME = "runbook"
BUILTIN_DISPLAY = "runbook.yml (built-in)"

_TOP_LEVEL_KEYS = (
    "version",
    "extends",
    "project",
    "region",
    "environments",
    "stack_path",
    "layers",
    "state_bucket",
    "lock_table",
    "rules",
    "operations",
)
_REQUIRED_KEYS = ("project", "region", "environments", "stack_path", "layers", "state_bucket", "lock_table")
_LAYER_KEYS = ("name", "state_key")
_RULE_SETTING_KEYS = ("enabled", "severity")
_NAME_PLACEHOLDERS = ("project", "env", "region", "account_id")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

Key = str | int
KeyPath = tuple[Key, ...]


@dataclass(frozen=True)
class Layer:
    name: str
    state_key: str
    order: int  # index in apply order; rollback goes from the highest to 0


@dataclass(frozen=True)
class RuleSettings:
    enabled: bool
    severity: Severity
    params: Mapping[str, Any]


class ParameterProblem(ValueError):
    """Raised by a parameter's cross-check: what is wrong, and under which key of the value."""

    def __init__(self, problem: str, *under: Key) -> None:
        super().__init__(problem)
        self.problem = problem
        self.under = under


@dataclass(frozen=True)
class Declared:
    """What the rest of the policy declares, for parameters that must refer to it (a layer name)."""

    layers: tuple[str, ...]
    environments: tuple[str, ...]


@dataclass(frozen=True)
class Parameter:
    """A rule parameter: its default (whose type a policy must give), range, choices and cross-check.

    ``check`` receives the typed value and what the policy declares, and raises
    :class:`ParameterProblem` when the value does not fit.
    """

    default: Any
    minimum: float | None = None
    choices: tuple[Any, ...] = ()
    check: Callable[[Any, Declared], None] | None = None


class RuleSpec(Protocol):
    """What the rule registry provides about a rule; policy validation needs only this."""

    @property
    def id(self) -> str: ...

    @property
    def default_severity(self) -> Severity: ...

    @property
    def parameters(self) -> Mapping[str, Parameter]:
        """Parameter name -> its spec."""
        ...


def suggestion(word: str, choices: Sequence[str]) -> str:
    """`` (did you mean "x"?)`` for the closest choice, or nothing."""
    return _suggest(word, choices)


@dataclass(frozen=True)
class Policy:
    project: str
    region: str
    environments: tuple[str, ...]
    layers: tuple[Layer, ...]
    stack_path: str
    state_bucket: str
    lock_table: str
    rules: Mapping[str, RuleSettings]
    sources: tuple[str, ...]  # the files it was built from, base first (the built-in runbook.yml)
    # `ttgate locks release` refuses a younger lock without --force (operations.lock_release_min_age_minutes).
    lock_release_min_age_minutes: int = 15

    def layer(self, name: str) -> Layer | None:
        return next((layer for layer in self.layers if layer.name == name), None)

    def layer_for_state_key(self, key: str) -> Layer | None:
        return next((layer for layer in self.layers if layer.state_key == key), None)

    def stack_identity(self, relative_dir: str) -> tuple[str | None, str | None]:
        """(layer, env) of a root stack from its POSIX directory path, or (None, None).

        ``stack_path`` is matched against the end of the path, so any prefix is allowed. ``{layer}``
        matches only a declared layer name; ``{env}`` matches any single path segment (an
        environment the policy does not list is still returned, for the caller to report).
        """
        pattern = _stack_regex(self.stack_path, tuple(layer.name for layer in self.layers))
        match = pattern.search(relative_dir.rstrip("/"))
        if match is None:
            return None, None
        return match.group("layer"), match.group("env")

    def settings(self, rule_id: str) -> RuleSettings:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise KeyError(f"rule {rule_id} is not in the rule registry the policy was loaded with") from None

    def bucket_for(self, env: str, account_id: str | None = None) -> str:
        """The state bucket's name; placeholders without a value (``{account_id}``) are left as they are."""
        return _fill(
            self.state_bucket, project=self.project, region=self.region, env=env, account_id=account_id
        )

    def lock_table_for(self, env: str | None = None, account_id: str | None = None) -> str:
        """The lock table's name, ``lock_table`` with its placeholders filled where known."""
        return _fill(
            self.lock_table, project=self.project, region=self.region, env=env, account_id=account_id
        )


def _fill(template: str, **values: str | None) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or m.group(0), template)


@functools.lru_cache(maxsize=32)
def _stack_regex(stack_path: str, layer_names: tuple[str, ...]) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(stack_path):
        parts.append(re.escape(stack_path[position : match.start()]))
        if match.group(1) == "layer":
            names = sorted(layer_names, key=len, reverse=True) or ["(?!)"]
            parts.append("(?P<layer>" + "|".join(re.escape(name) for name in names) + ")")
        else:
            parts.append("(?P<env>[^/]+)")
        position = match.end()
    parts.append(re.escape(stack_path[position:].rstrip("/")))
    return re.compile("(?:^|/)" + "".join(parts) + "$")


# --------------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class _Origin:
    source: str  # the file as shown in messages
    line: int | None


@dataclass
class _PolicyFile:
    source: str
    data: dict[str, Any]
    positions: dict[KeyPath, _Origin]  # key path -> where that key (or list item) is written


def builtin_policy_text() -> str:
    """The text of the built-in runbook.yml (installed package data, else the source checkout)."""
    resource = importlib.resources.files("ttgate") / "policies" / "runbook.yml"
    if resource.is_file():
        return resource.read_text(encoding="utf-8")
    path = Path(__file__).resolve().parents[3] / "policies" / "runbook.yml"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise UserError(
            f"the built-in policy runbook.yml cannot be read ({error}); reinstall ttgate"
        ) from None


def find_policy_file(search_dir: Path) -> Path | None:
    """The first .ttgate.yml (or .ttgate.yaml) in search_dir or its parents, stopping at a repository root."""
    directory = search_dir.resolve()
    if directory.is_file():
        directory = directory.parent
    for candidate_dir in (directory, *directory.parents):
        for name in POLICY_FILE_NAMES:
            candidate = candidate_dir / name
            if candidate.is_file():
                return candidate
        if (candidate_dir / ".git").exists():
            return None
    return None


def load_policy(
    rules: Mapping[str, RuleSpec],
    *,
    explicit: Path | None = None,
    search_dir: Path | None = None,
) -> Policy:
    """Build the policy for a run.

    ``explicit`` (the CLI's ``--policy FILE``) wins; otherwise the first ``.ttgate.yml`` found from
    ``search_dir`` upwards; otherwise (or when ``search_dir`` is None) the built-in runbook.yml alone.
    """
    start: Path | None = explicit
    if start is None and search_dir is not None:
        start = find_policy_file(search_dir)
    chain = _read_chain(start)
    merged: dict[str, Any] = {}
    positions: dict[KeyPath, _Origin] = {}
    for policy_file in chain:
        _merge_into(merged, policy_file.data, (), positions, policy_file.positions)
    return _Validator(merged, positions, chain[-1].source, rules).policy(tuple(f.source for f in chain))


def _read_chain(start: Path | None) -> list[_PolicyFile]:
    """The files to merge, base (the built-in runbook.yml) first."""
    chain: list[_PolicyFile] = []
    seen: list[str] = []
    target: Path | None = start
    referrer: str | None = None  # "file:line: extends" of the file that named the target
    boundary = Path.cwd()  # set by the first file read: the repository the chain must stay in
    while True:
        if target is None:
            policy_file = _parse(builtin_policy_text(), BUILTIN_DISPLAY)
            key = BUILTIN_NAME
        else:
            key = str(target.resolve())
            if key in seen:
                cycle = " -> ".join([*(_display(Path(k)) for k in seen[seen.index(key) :]), _display(target)])
                raise UserError(f"{referrer}: cycle: {cycle}")
            if referrer is None:
                boundary = _repository_of(target)
                policy_file = _parse(_read(target, referrer), _display(target))
            else:
                policy_file = _extended(target, referrer, boundary)
        seen.append(key)
        chain.append(policy_file)
        extends = policy_file.data.pop("extends", None if target is None else BUILTIN_NAME)
        version = policy_file.data.pop("version", 1)
        where = _where(policy_file.positions, policy_file.source, ("version",))
        if type(version) is not int or version != 1:
            raise UserError(
                f"{where}: version: expected 1 (the only policy format), got {_describe(version)}"
            )
        if extends is None:
            if target is not None:
                where = _where(policy_file.positions, policy_file.source, ("extends",))
                raise UserError(f'{where}: extends: expected "runbook" or a policy file path, got null')
            break
        where = _where(policy_file.positions, policy_file.source, ("extends",))
        if target is None:
            raise UserError(f"{where}: extends: the built-in policy cannot extend another")
        if not isinstance(extends, str) or not extends.strip():
            raise UserError(
                f'{where}: extends: expected "runbook" or a policy file path, got {_describe(extends)}'
            )
        referrer = f"{where}: extends"
        target = None if extends == BUILTIN_NAME else target.parent / extends
    chain.reverse()
    return chain


def _repository_of(policy: Path) -> Path:
    """What a policy may extend: the git work tree holding it, or else the policy's own directory."""
    directory = policy.resolve().parent
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return directory


def _extended(target: Path, referrer: str, boundary: Path) -> _PolicyFile:
    """A policy file named by ``extends``: inside the repository, and never quoted when it is not a policy.

    The policy comes from the pull request; the job's files outside the checkout (credentials, an env
    file) must not be readable through it, not even in part through an error message.
    """
    shown = _display(target)
    if not target.resolve().is_relative_to(boundary):
        raise UserError(
            f"{referrer}: {shown} is outside the repository ({_display(boundary)}); a policy can only "
            f'extend a file inside it, or "{BUILTIN_NAME}"'
        )
    try:
        return _parse(_read(target, referrer), shown)
    except UserError as error:
        if str(error).startswith(referrer):  # missing, a directory, unreadable: nothing quoted
            raise
        raise UserError(f"{referrer}: {shown} is not a valid policy file (a YAML mapping)") from None


def _display(path: Path) -> str:
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return str(path)
    return str(path)


def _read(path: Path, referrer: str | None) -> str:
    prefix = f"{referrer}: " if referrer else ""
    shown = _display(path)
    if not path.exists():
        raise UserError(f"{prefix}policy file {shown} does not exist")
    if path.is_dir():
        raise UserError(f"{prefix}policy file {shown} is a directory, not a file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise UserError(f"{prefix}policy file {shown} is not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise UserError(f"{prefix}policy file {shown} cannot be read: {error.strerror or error}") from None


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without aliases: a policy never needs one, and a few nested aliases expand to gigabytes."""

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


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _parse(text: str, source: str) -> _PolicyFile:
    loader = _NoAliasLoader(text)
    positions: dict[KeyPath, _Origin] = {}
    try:
        node = loader.get_single_node()
        data = {} if node is None else _construct(loader, node, (), positions, source)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source
        problem = ", ".join(part for part in (error.context, error.problem) if part)
        raise UserError(f"{where}: not valid YAML: {problem}") from None
    except yaml.YAMLError as error:
        raise UserError(f"{source}: not valid YAML: {error}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        line = node.start_mark.line + 1 if node is not None else None
        where = f"{source}:{line}" if line else source
        raise UserError(
            f"{where}: a policy file must be a mapping of keys (project, layers, rules…), "
            f"got {_describe(data)}"
        )
    return _PolicyFile(source, data, positions)


def _construct(
    loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath, positions: dict[KeyPath, _Origin], source: str
) -> Any:
    """Python data from a composed node, recording the line of every mapping key and list item."""
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # YAML merge keys (<<)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                shown = _key_path_text(path)
                prefix = f"{shown}: " if shown else ""
                raise UserError(
                    f"{source}:{line}: {prefix}keys must be strings, got {_describe(key)} (quote it)"
                )
            if _CONTROL.search(key):
                raise UserError(f"{source}:{line}: a key holds a control character (NUL, escape...)")
            if key in result:
                shown = _key_path_text((*path, key))
                first = positions[(*path, key)].line
                raise UserError(f"{source}:{line}: {shown}: duplicate key (first written on line {first})")
            positions[(*path, key)] = _Origin(source, line)
            result[key] = _construct(loader, value_node, (*path, key), positions, source)
        return result
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = []
        for index, item_node in enumerate(node.value):
            positions[(*path, index)] = _Origin(source, item_node.start_mark.line + 1)
            items.append(_construct(loader, item_node, (*path, index), positions, source))
        return items
    value = loader.construct_object(node)
    if isinstance(value, str) and _CONTROL.search(value):
        shown = _key_path_text(path)
        prefix = f"{shown}: " if shown else ""
        raise UserError(
            f"{source}:{node.start_mark.line + 1}: {prefix}a control character (NUL, escape...) is not text"
        )
    if isinstance(value, float) and not math.isfinite(value):
        shown = _key_path_text(path)
        prefix = f"{shown}: " if shown else ""
        raise UserError(f"{source}:{node.start_mark.line + 1}: {prefix}expected a finite number, got {value}")
    return value


def _merge_into(
    base: dict[str, Any],
    over: Mapping[str, Any],
    path: KeyPath,
    base_positions: dict[KeyPath, _Origin],
    over_positions: Mapping[KeyPath, _Origin],
) -> None:
    """Overlay ``over`` onto ``base``: mappings merge deeply, anything else replaces.

    A null value removes the key (and what a base file wrote under it), e.g.
    ``placement: {aws_kms_key: null}`` drops one entry of the runbook's mapping.
    """
    for key, value in over.items():
        key_path = (*path, key)
        if value is None:
            base.pop(key, None)
            for stale in [p for p in base_positions if p[: len(key_path)] == key_path]:
                del base_positions[stale]
            continue
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base_positions[key_path] = over_positions[key_path]
            _merge_into(base[key], value, key_path, base_positions, over_positions)
            continue
        for stale in [p for p in base_positions if p[: len(key_path)] == key_path]:
            del base_positions[stale]
        base[key] = copy.deepcopy(value)
        for p, origin in over_positions.items():
            if p[: len(key_path)] == key_path:
                base_positions[p] = origin


# --------------------------------------------------------------------------------------------------
# Validation


def _key_path_text(path: KeyPath) -> str:
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else key
    return text


def _where(positions: Mapping[KeyPath, _Origin], fallback: str, path: KeyPath) -> str:
    """``file:line`` of the nearest written ancestor of ``path`` (the key itself when it is written)."""
    for end in range(len(path), 0, -1):
        origin = positions.get(path[:end])
        if origin is not None:
            return f"{origin.source}:{origin.line}" if origin.line else origin.source
    return fallback


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return json.dumps(shown, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{value!s} ({type(value).__name__})"


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _expected(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "an integer"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, str):
        return "a string"
    if isinstance(default, list):
        return "a list"
    if isinstance(default, dict):
        return "a mapping"
    return f"a {type(default).__name__}"


class _Validator:
    def __init__(
        self,
        data: dict[str, Any],
        positions: dict[KeyPath, _Origin],
        source: str,
        specs: Mapping[str, RuleSpec],
    ) -> None:
        self.data = data
        self.positions = positions
        self.source = source  # the most specific file, for problems no line can be given for
        self.specs = specs

    def fail(self, path: KeyPath, problem: str) -> UserError:
        where = _where(self.positions, self.source, path)
        shown = _key_path_text(path)
        return UserError(f"{where}: {shown}: {problem}" if shown else f"{where}: {problem}")

    def unknown_key(self, path: KeyPath, key: str, choices: Sequence[str], what: str = "key") -> UserError:
        message = f'unknown {what} "{key}"{_suggest(key, choices)}'
        if not _suggest(key, choices):
            message += f" (expected one of: {', '.join(choices)})"
        return self.fail_at(path, key, message)

    def fail_at(self, parent: KeyPath, key: str, problem: str) -> UserError:
        """An error about a key itself (located on the key's line, named by its parent's path)."""
        where = _where(self.positions, self.source, (*parent, key))
        shown = _key_path_text(parent)
        return UserError(f"{where}: {shown}: {problem}" if shown else f"{where}: {problem}")

    # -- scalars ---------------------------------------------------------------------------------

    def string(self, path: KeyPath, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            got = "an empty string" if value == "" else _describe(value)
            raise self.fail(path, f"expected a non-empty string, got {got}")
        return value

    def template(self, path: KeyPath, value: Any, allowed: Sequence[str]) -> str:
        text = self.string(path, value)
        for name in _PLACEHOLDER.findall(text):
            if name not in allowed:
                choices = ", ".join("{" + a + "}" for a in allowed)
                raise self.fail(path, f"unknown placeholder {{{name}}} (use {choices})")
        return text

    # -- the policy ------------------------------------------------------------------------------

    def policy(self, sources: tuple[str, ...]) -> Policy:
        for key in self.data:
            if key not in _TOP_LEVEL_KEYS:
                raise self.unknown_key((), key, _TOP_LEVEL_KEYS)
        for key in _REQUIRED_KEYS:
            if key not in self.data:
                raise UserError(f'{self.source}: missing key "{key}"')
        layers = self.layers()
        environments = self.environments()
        return Policy(
            project=self.string(("project",), self.data["project"]),
            region=self.string(("region",), self.data["region"]),
            environments=environments,
            layers=layers,
            stack_path=self.stack_path(),
            state_bucket=self.template(("state_bucket",), self.data["state_bucket"], _NAME_PLACEHOLDERS),
            lock_table=self.template(("lock_table",), self.data["lock_table"], _NAME_PLACEHOLDERS),
            rules=MappingProxyType(self.rules(Declared(tuple(layer.name for layer in layers), environments))),
            sources=sources,
            lock_release_min_age_minutes=self.lock_release_min_age_minutes(),
        )

    def lock_release_min_age_minutes(self) -> int:
        path: KeyPath = ("operations",)
        value = self.data.get("operations", {})
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {_describe(value)}")
        for key in value:
            if key != "lock_release_min_age_minutes":
                raise self.unknown_key(path, key, ("lock_release_min_age_minutes",))
        minutes = self.param(
            (*path, "lock_release_min_age_minutes"), 0, value.get("lock_release_min_age_minutes", 15)
        )
        if minutes < 0:
            raise self.fail(
                (*path, "lock_release_min_age_minutes"), f"expected 0 or more minutes, got {minutes}"
            )
        return int(minutes)

    def environments(self) -> tuple[str, ...]:
        path: KeyPath = ("environments",)
        value = self.data["environments"]
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list of environment names, got {_describe(value)}")
        if not value:
            raise self.fail(path, "expected at least one environment")
        names: list[str] = []
        for index, item in enumerate(value):
            name = self.string((*path, index), item)
            if "/" in name:
                raise self.fail((*path, index), f"an environment is one path segment, got {_describe(name)}")
            if name in names:
                raise self.fail((*path, index), f'duplicate environment "{name}"')
            names.append(name)
        return tuple(names)

    def layers(self) -> tuple[Layer, ...]:
        path: KeyPath = ("layers",)
        value = self.data["layers"]
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list of layers in apply order, got {_describe(value)}")
        if not value:
            raise self.fail(path, "expected at least one layer (layers are listed in apply order)")
        layers: list[Layer] = []
        for index, item in enumerate(value):
            item_path = (*path, index)
            if not isinstance(item, dict):
                raise self.fail(
                    item_path, f"expected a mapping with name and state_key, got {_describe(item)}"
                )
            for key in item:
                if key not in _LAYER_KEYS:
                    raise self.unknown_key(item_path, key, _LAYER_KEYS)
            for key in _LAYER_KEYS:
                if key not in item:
                    raise self.fail(item_path, f'missing key "{key}"')
            name = self.string((*item_path, "name"), item["name"])
            state_key = self.string((*item_path, "state_key"), item["state_key"])
            if "/" in name or "{" in name:
                raise self.fail(
                    (*item_path, "name"), f"a layer name is one path segment, got {_describe(name)}"
                )
            for other in layers:
                if other.name == name:
                    raise self.fail((*item_path, "name"), f'duplicate layer name "{name}"')
                if other.state_key == state_key:
                    raise self.fail(
                        (*item_path, "state_key"),
                        f'state key "{state_key}" is already the key of layer "{other.name}"; '
                        "each layer needs its own state",
                    )
            layers.append(Layer(name=name, state_key=state_key, order=index))
        return tuple(layers)

    def stack_path(self) -> str:
        path: KeyPath = ("stack_path",)
        text = self.template(path, self.data["stack_path"], ("layer", "env"))
        placeholders = _PLACEHOLDER.findall(text)
        for name in ("layer", "env"):
            count = placeholders.count(name)
            if count != 1:
                problem = "must contain" if count == 0 else "must contain only one"
                raise self.fail(
                    path,
                    f'{problem} {{{name}}} (e.g. "{{layer}}/environments/{{env}}"), got {_describe(text)}',
                )
        if text.startswith("/"):
            raise self.fail(
                path, f"must be relative (it is matched at the end of a stack's path), got {_describe(text)}"
            )
        return text

    def rules(self, declared: Declared) -> dict[str, RuleSettings]:
        path: KeyPath = ("rules",)
        configured = self.data.get("rules", {})
        if not isinstance(configured, dict):
            raise self.fail(path, f"expected a mapping of rule IDs to settings, got {_describe(configured)}")
        known = sorted(self.specs)
        for rule_id in configured:
            if rule_id not in self.specs:
                raise self.unknown_key(path, rule_id, known, what="rule")
        settings: dict[str, RuleSettings] = {}
        for rule_id, spec in self.specs.items():
            settings[rule_id] = self.rule((*path, rule_id), spec, configured.get(rule_id, {}), declared)
        return settings

    def rule(self, path: KeyPath, spec: RuleSpec, value: Any, declared: Declared) -> RuleSettings:
        if not isinstance(value, dict):
            raise self.fail(
                path, f"expected a mapping (severity, enabled, parameters), got {_describe(value)}"
            )
        accepted = [*_RULE_SETTING_KEYS, *spec.parameters]
        for key in value:
            if key not in accepted:
                raise self.unknown_key(path, key, accepted, what="parameter")
        enabled = value.get("enabled", True)
        if not isinstance(enabled, bool):
            raise self.fail((*path, "enabled"), f"expected true or false, got {_describe(enabled)}")
        severity = spec.default_severity
        if "severity" in value:
            text = value["severity"]
            choices = ", ".join(member.label for member in Severity)
            if not isinstance(text, str):
                raise self.fail((*path, "severity"), f"expected one of {choices}, got {_describe(text)}")
            try:
                severity = Severity.parse(text)
            except ValueError:
                raise self.fail(
                    (*path, "severity"), f"unknown severity {_describe(text)} (choose from {choices})"
                ) from None
        params = {name: parameter.default for name, parameter in spec.parameters.items()}
        for name, parameter in spec.parameters.items():
            if name in value:
                params[name] = self.parameter((*path, name), parameter, value[name], declared)
            elif parameter.check is not None:
                self.cross_check((*path, name), parameter, params[name], declared)
        return RuleSettings(enabled=enabled, severity=severity, params=MappingProxyType(params))

    def parameter(self, path: KeyPath, parameter: Parameter, value: Any, declared: Declared) -> Any:
        """A configured parameter: typed like its default, in its range and choices, cross-checked."""
        typed = self.param(path, parameter.default, value)
        if isinstance(typed, list) and parameter.default and not typed:
            raise self.fail(path, "expected at least one value, got an empty list")
        for item_path, item in [(path, typed)] if not isinstance(typed, list) else self.items(path, typed):
            if parameter.minimum is not None and item < parameter.minimum:
                raise self.fail(
                    item_path, f"expected at least {_describe(parameter.minimum)}, got {_describe(item)}"
                )
        if parameter.choices and typed not in parameter.choices:
            allowed = ", ".join(_describe(choice) for choice in parameter.choices)
            raise self.fail(path, f"expected one of {allowed}, got {_describe(typed)}")
        self.cross_check(path, parameter, typed, declared)
        return typed

    @staticmethod
    def items(path: KeyPath, values: list[Any]) -> list[tuple[KeyPath, Any]]:
        return [((*path, index), item) for index, item in enumerate(values)]

    def cross_check(self, path: KeyPath, parameter: Parameter, value: Any, declared: Declared) -> None:
        if parameter.check is None:
            return
        try:
            parameter.check(value, declared)
        except ParameterProblem as problem:
            raise self.fail((*path, *problem.under), problem.problem) from None

    def param(self, path: KeyPath, default: Any, value: Any) -> Any:
        """``value`` checked against the type of ``default`` (and converted where harmless)."""
        if default is None:
            return value
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise self.fail(path, f"expected true or false, got {_describe(value)}")
            return value
        if isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(path, f"expected an integer, got {_describe(value)}")
            return value
        if isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(path, f"expected a number, got {_describe(value)}")
            return float(value)
        if isinstance(default, str):
            if not isinstance(value, str):
                raise self.fail(path, f"expected a string, got {_describe(value)}")
            return value
        if isinstance(default, list):
            if not isinstance(value, list):
                raise self.fail(path, f"expected a list, got {_describe(value)}")
            if not default:
                return list(value)
            return [self.param((*path, index), default[0], item) for index, item in enumerate(value)]
        if isinstance(default, Mapping):
            if not isinstance(value, dict):
                raise self.fail(path, f"expected a mapping of strings to strings, got {_describe(value)}")
            for key, item in value.items():
                if not isinstance(item, str):
                    raise self.fail((*path, key), f"expected a string, got {_describe(item)}")
            return dict(value)
        if not isinstance(value, type(default)):
            raise self.fail(path, f"expected {_expected(default)}, got {_describe(value)}")
        return value


__all__ = [
    "BUILTIN_DISPLAY",
    "POLICY_FILE_NAMES",
    "Declared",
    "Layer",
    "Parameter",
    "ParameterProblem",
    "Policy",
    "RuleSettings",
    "RuleSpec",
    "Severity",
    "builtin_policy_text",
    "find_policy_file",
    "load_policy",
    "suggestion",
]
