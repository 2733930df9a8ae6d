"""Validation: merged policy data in, a typed :class:`Policy` out, or one line naming file, line and key.

Every key is known (an unknown one gets a did-you-mean suggestion), every value has the type of its
default and fits its range, choices and cross-checks.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ttgate.errors import UserError
from ttgate.policy.layout import (
    BACKEND_CONFIG_PLACEHOLDERS,
    ROOT_PLACEHOLDERS,
    VAR_FILE_PLACEHOLDERS,
    WORKSPACE_PLACEHOLDERS,
    Layout,
)
from ttgate.policy.model import (
    NAME_PLACEHOLDERS,
    PLACEHOLDER,
    Layer,
    OperationsSettings,
    Policy,
    RuleSettings,
)
from ttgate.policy.rule_spec import Declared, Parameter, ParameterProblem, RuleSpec
from ttgate.policy.severity import Severity
from ttgate.policy.wording import KeyPath, describe, expected_type, key_path_text, suggestion
from ttgate.policy.yaml_file import Origin, where

_TOP_LEVEL_KEYS = (
    "version",
    "extends",
    "project",
    "region",
    "environments",
    "stack_path",
    "layouts",
    "layers",
    "state_bucket",
    "lock_table",
    "rules",
    "operations",
    "public_variables",
)
_REQUIRED_KEYS = ("project", "region", "environments", "stack_path", "layers", "state_bucket", "lock_table")
_LAYER_KEYS = ("name", "state_key")
_LAYOUT_KEYS = ("name", "roots", "var_files", "backend_config", "workspace", "layer_map")
_RULE_SETTING_KEYS = ("enabled", "severity")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class Validator:
    def __init__(
        self,
        data: dict[str, Any],
        positions: dict[KeyPath, Origin],
        source: str,
        specs: Mapping[str, RuleSpec],
    ) -> None:
        self.data = data
        self.positions = positions
        self.source = source  # the most specific file, for problems no line can be given for
        self.specs = specs

    def fail(self, path: KeyPath, problem: str) -> UserError:
        located = where(self.positions, self.source, path)
        shown = key_path_text(path)
        return UserError(f"{located}: {shown}: {problem}" if shown else f"{located}: {problem}")

    def unknown_key(self, path: KeyPath, key: str, choices: Sequence[str], what: str = "key") -> UserError:
        message = f'unknown {what} "{key}"{suggestion(key, choices)}'
        if not suggestion(key, choices):
            message += f" (expected one of: {', '.join(choices)})"
        return self.fail_at(path, key, message)

    def fail_at(self, parent: KeyPath, key: str, problem: str) -> UserError:
        """An error about a key itself (located on the key's line, named by its parent's path)."""
        located = where(self.positions, self.source, (*parent, key))
        shown = key_path_text(parent)
        return UserError(f"{located}: {shown}: {problem}" if shown else f"{located}: {problem}")

    # -- scalars ---------------------------------------------------------------------------------

    def string(self, path: KeyPath, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            got = "an empty string" if value == "" else describe(value)
            raise self.fail(path, f"expected a non-empty string, got {got}")
        return value

    def template(self, path: KeyPath, value: Any, allowed: Sequence[str]) -> str:
        text = self.string(path, value)
        for name in PLACEHOLDER.findall(text):
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
        declared = Declared(tuple(layer.name for layer in layers), environments)
        return Policy(
            project=self.string(("project",), self.data["project"]),
            region=self.string(("region",), self.data["region"]),
            environments=environments,
            layers=layers,
            stack_path=self.stack_path(),
            state_bucket=self.template(("state_bucket",), self.data["state_bucket"], NAME_PLACEHOLDERS),
            lock_table=self.template(("lock_table",), self.data["lock_table"], NAME_PLACEHOLDERS),
            rules=MappingProxyType(self.rules(declared)),
            operations=self.operations(declared),
            sources=sources,
            layouts=self.layouts(declared),
            public_variables=self.public_variables(),
        )

    def public_variables(self) -> frozenset[str]:
        """``public_variables``: Terraform variable names whose values from the job may be shown."""
        path: KeyPath = ("public_variables",)
        value = self.data.get("public_variables", [])
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list of variable names, got {describe(value)}")
        names: set[str] = set()
        for index, item in enumerate(value):
            name = self.string((*path, index), item)
            if not _VARIABLE_NAME.fullmatch(name):
                raise self.fail((*path, index), f"expected a Terraform variable name, got {describe(name)}")
            names.add(name)
        return frozenset(names)

    def operations(self, declared: Declared) -> OperationsSettings:
        """The ``operations:`` section, typed and ranged by the fields of :class:`OperationsSettings`."""
        path: KeyPath = ("operations",)
        value = self.data.get("operations", {})
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping of operation settings, got {describe(value)}")
        fields = {field.name: field for field in dataclasses.fields(OperationsSettings)}
        for key in value:
            if key not in fields:
                raise self.unknown_key(path, key, list(fields), what="setting")
        settings: dict[str, Any] = {}
        for name, field in fields.items():
            if name in value:
                setting = Parameter(default=field.default, minimum=field.metadata.get("minimum"))
                settings[name] = self.parameter((*path, name), setting, value[name], declared)
        return OperationsSettings(**settings)

    def environments(self) -> tuple[str, ...]:
        path: KeyPath = ("environments",)
        value = self.data["environments"]
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list of environment names, got {describe(value)}")
        if not value:
            raise self.fail(path, "expected at least one environment")
        names: list[str] = []
        for index, item in enumerate(value):
            name = self.string((*path, index), item)
            if "/" in name:
                raise self.fail((*path, index), f"an environment is one path segment, got {describe(name)}")
            if name in names:
                raise self.fail((*path, index), f'duplicate environment "{name}"')
            names.append(name)
        return tuple(names)

    def layers(self) -> tuple[Layer, ...]:
        path: KeyPath = ("layers",)
        value = self.data["layers"]
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list of layers in apply order, got {describe(value)}")
        if not value:
            raise self.fail(path, "expected at least one layer (layers are listed in apply order)")
        layers: list[Layer] = []
        for index, item in enumerate(value):
            item_path = (*path, index)
            if not isinstance(item, dict):
                raise self.fail(
                    item_path, f"expected a mapping with name and state_key, got {describe(item)}"
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
                    (*item_path, "name"), f"a layer name is one path segment, got {describe(name)}"
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
        placeholders = PLACEHOLDER.findall(text)
        for name in ("layer", "env"):
            count = placeholders.count(name)
            if count != 1:
                problem = "must contain" if count == 0 else "must contain only one"
                raise self.fail(
                    path,
                    f'{problem} {{{name}}} (e.g. "{{layer}}/environments/{{env}}"), got {describe(text)}',
                )
        if text.startswith("/"):
            raise self.fail(
                path, f"must be relative (it is matched at the end of a stack's path), got {describe(text)}"
            )
        return text

    def layouts(self, declared: Declared) -> tuple[Layout, ...]:
        """``layouts:``, the repository's other ways of laying out roots, each checked key by key."""
        path: KeyPath = ("layouts",)
        value = self.data.get("layouts", [])
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list of layouts (each with roots:), got {describe(value)}")
        layouts: list[Layout] = []
        for index, item in enumerate(value):
            layout = self.layout((*path, index), item, declared)
            if any(other.name == layout.name for other in layouts):
                raise self.fail((*path, index, "name"), f'duplicate layout name "{layout.name}"')
            layouts.append(layout)
        return tuple(layouts)

    def layout(self, path: KeyPath, item: Any, declared: Declared) -> Layout:
        if not isinstance(item, dict):
            raise self.fail(
                path, f'expected a mapping with roots (e.g. roots: "components/*"), got {describe(item)}'
            )
        for key in item:
            if key not in _LAYOUT_KEYS:
                raise self.unknown_key(path, key, _LAYOUT_KEYS)
        if "roots" not in item:
            raise self.fail(path, 'missing key "roots" (the root directories, e.g. "components/*")')
        roots = self.template((*path, "roots"), item["roots"], ROOT_PLACEHOLDERS)
        placeholders = PLACEHOLDER.findall(roots)
        for name in ROOT_PLACEHOLDERS:
            if placeholders.count(name) > 1:
                raise self.fail((*path, "roots"), f"must contain only one {{{name}}}, got {describe(roots)}")
        if roots.startswith("/") or ".." in roots.split("/"):
            raise self.fail(
                (*path, "roots"),
                "must be relative, without .. (it is matched at the end of a root's path), "
                f"got {describe(roots)}",
            )
        name = self.string((*path, "name"), item["name"]) if "name" in item else f"layouts[{path[-1]}]"
        return Layout(
            name=name,
            roots=roots,
            var_files=self.var_files((*path, "var_files"), item.get("var_files", [])),
            workspace=self.workspace((*path, "workspace"), item.get("workspace"), declared),
            layer_map=MappingProxyType(
                self.layer_map((*path, "layer_map"), item.get("layer_map", {}), declared)
            ),
            backend_config=self.backend_config((*path, "backend_config"), item.get("backend_config", [])),
        )

    def backend_config(self, path: KeyPath, value: Any) -> tuple[str, ...]:
        """Files of terraform init -backend-config=FILE: any name (backend.conf, dev.s3.tfbackend)."""
        if not isinstance(value, list):
            raise self.fail(
                path,
                'expected a list of backend-config files (e.g. ["environments/{env}/backend.conf"]), '
                f"got {describe(value)}",
            )
        return tuple(
            self.template((*path, index), item, BACKEND_CONFIG_PLACEHOLDERS)
            for index, item in enumerate(value)
        )

    def var_files(self, path: KeyPath, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(
                path, f'expected a list of tfvars paths (e.g. ["env/{{env}}.tfvars"]), got {describe(value)}'
            )
        files: list[str] = []
        for index, item in enumerate(value):
            text = self.template((*path, index), item, VAR_FILE_PLACEHOLDERS)
            if not text.endswith((".tfvars", ".tfvars.json")):
                raise self.fail(
                    (*path, index), f"expected a .tfvars or .tfvars.json file, got {describe(text)}"
                )
            files.append(text)
        return tuple(files)

    def workspace(self, path: KeyPath, value: Any, declared: Declared) -> str | Mapping[str, str] | None:
        if value is None:
            return None
        if isinstance(value, str):
            return self.template(path, value, WORKSPACE_PLACEHOLDERS)
        if not isinstance(value, dict) or not value:
            raise self.fail(
                path,
                f'expected a workspace name ("{{env}}", "default") or a mapping of environments to '
                f"workspace names, got {describe(value)}",
            )
        for env, name in value.items():
            if env not in declared.environments:
                raise self.unknown_key(path, str(env), declared.environments, what="environment")
            self.string((*path, env), name)
        return MappingProxyType(dict(value))

    def layer_map(self, path: KeyPath, value: Any, declared: Declared) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping of directories to layers, got {describe(value)}")
        for key, layer in value.items():
            if not isinstance(key, str) or not key.strip("/") or ".." in key.split("/"):
                raise self.fail_at(path, str(key), f"expected a relative directory path, got {describe(key)}")
            text = self.string((*path, key), layer)
            if text not in declared.layers:
                choices = list(declared.layers)
                message = f'unknown layer "{text}"{suggestion(text, choices)}'
                if not suggestion(text, choices):
                    message += f" (expected one of: {', '.join(choices)})"
                raise self.fail((*path, key), message)
        return dict(value)

    def rules(self, declared: Declared) -> dict[str, RuleSettings]:
        path: KeyPath = ("rules",)
        configured = self.data.get("rules", {})
        if not isinstance(configured, dict):
            raise self.fail(path, f"expected a mapping of rule IDs to settings, got {describe(configured)}")
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
                path, f"expected a mapping (severity, enabled, parameters), got {describe(value)}"
            )
        accepted = [*_RULE_SETTING_KEYS, *spec.parameters]
        for key in value:
            if key not in accepted:
                raise self.unknown_key(path, key, accepted, what="parameter")
        enabled = value.get("enabled", True)
        if not isinstance(enabled, bool):
            raise self.fail((*path, "enabled"), f"expected true or false, got {describe(enabled)}")
        severity = spec.default_severity
        if "severity" in value:
            text = value["severity"]
            choices = ", ".join(member.label for member in Severity)
            if not isinstance(text, str):
                raise self.fail((*path, "severity"), f"expected one of {choices}, got {describe(text)}")
            try:
                severity = Severity.parse(text)
            except ValueError:
                raise self.fail(
                    (*path, "severity"), f"unknown severity {describe(text)} (choose from {choices})"
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
                    item_path, f"expected at least {describe(parameter.minimum)}, got {describe(item)}"
                )
        if parameter.choices and typed not in parameter.choices:
            allowed = ", ".join(describe(choice) for choice in parameter.choices)
            raise self.fail(path, f"expected one of {allowed}, got {describe(typed)}")
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
                raise self.fail(path, f"expected true or false, got {describe(value)}")
            return value
        if isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(path, f"expected an integer, got {describe(value)}")
            return value
        if isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(path, f"expected a number, got {describe(value)}")
            return float(value)
        if isinstance(default, str):
            if not isinstance(value, str):
                raise self.fail(path, f"expected a string, got {describe(value)}")
            return value
        if isinstance(default, list):
            if not isinstance(value, list):
                raise self.fail(path, f"expected a list, got {describe(value)}")
            if not default:
                return list(value)
            return [self.param((*path, index), default[0], item) for index, item in enumerate(value)]
        if isinstance(default, Mapping):
            if not isinstance(value, dict):
                raise self.fail(path, f"expected a mapping of strings to strings, got {describe(value)}")
            for key, item in value.items():
                if not isinstance(item, str):
                    raise self.fail((*path, key), f"expected a string, got {describe(item)}")
            return dict(value)
        if not isinstance(value, type(default)):
            raise self.fail(path, f"expected {expected_type(default)}, got {describe(value)}")
        return value
