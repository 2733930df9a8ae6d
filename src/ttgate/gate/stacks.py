"""`ttgate stacks`: the model as ttgate reads it, before any rule runs.

Each stack with its root directory, layer, environment, layout, var files and workspace, and its
edges: the states it reads (``terraform_remote_state``, with the stack that writes each) and the
modules it calls. A view of the model, as text or as versioned JSON, so a user can check the model
before trusting the findings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ttgate.gate.model import Model, Stack, relative_posix
from ttgate.gate.reporters.sanitize import json_text, visible
from ttgate.gate.values import SENSITIVE, is_sensitive
from ttgate.policy import Policy

FORMAT_VERSION = 1
FORMATS = ("text", "json")


def load_stacks(
    paths: list[Path], *, policy_file: Path | None, cache: bool, jobs: int | None
) -> tuple[Model, Policy]:
    """The model of the HCL under ``paths`` (default ``.``) with the policy that read it."""
    from ttgate.gate.hcl.loader import load_hcl
    from ttgate.gate.hcl.parse import Parser, default_cache_dir
    from ttgate.gate.rules import RULES
    from ttgate.gate.run import check_inputs, root_for
    from ttgate.policy import load_policy

    targets = check_inputs(paths, [], []).targets
    first = targets[0] if targets[0].is_dir() else targets[0].parent
    policy = load_policy(RULES, explicit=policy_file, search_dir=first.resolve())
    parser = Parser(default_cache_dir() if cache else None, jobs)
    return load_hcl(targets, root_for(targets), policy, parser), policy


def stacks_document(model: Model, policy: Policy) -> dict[str, Any]:
    """The JSON document: ``{"version": 1, "stacks": [...], "notes": [...]}``, stacks in apply order."""
    order = {layer.name: layer.order for layer in policy.layers}
    stacks = sorted(model.stacks, key=lambda s: (s.env or "", order.get(s.layer or "", len(order)), s.name))
    return {
        "version": FORMAT_VERSION,
        "policy": list(policy.sources),
        "layouts": [layout.name for layout in policy.all_layouts],
        "stacks": [_stack(stack, model) for stack in stacks],
        "notes": list(model.notes),
    }


def _stack(stack: Stack, model: Model) -> dict[str, Any]:
    backend = stack.backend
    return {
        "name": stack.name,
        "root": _relative(stack.directory, model),
        "role": stack.role,
        "layout": stack.layout,
        "layer": stack.layer,
        "env": stack.env,
        "var_files": list(stack.var_files),
        "workspace": stack.workspace,
        "backend": None
        if backend is None
        else {
            "type": backend.type,
            "key": _plain(backend.config.get("key"), model.secrets),
            "bucket": _plain(backend.config.get("bucket"), model.secrets),
            # -backend-config files merged into it, and the convention that found them (additive).
            "config_files": list(backend.config_files),
            "config_detected": backend.config_detected,
        },
        "remote_states": [
            {
                "address": remote.address,
                "key": _plain(remote.key, model.secrets),
                "target": remote.target.name if remote.target is not None else None,
                "problem": remote.target_problem,
            }
            for remote in stack.remote_states
        ],
        "modules": [
            {
                "address": call.address,
                "source": _plain(call.source, model.secrets),
                "directory": _relative(call.directory, model),
            }
            for call in stack.module_calls
        ],
        # Terragrunt units: the terraform.source they name and their dependency blocks (additive).
        "unit_source": _plain(stack.unit_source, model.secrets),
        "dependencies": [
            {
                "name": dependency.name,
                "config_path": dependency.config_path,
                "target": dependency.target.name if dependency.target is not None else None,
                "problem": dependency.problem,
            }
            for dependency in stack.dependencies
        ],
    }


def _relative(directory: Path | None, model: Model) -> str | None:
    return None if directory is None else relative_posix(directory, model.root)


def _plain(value: Any, secrets: set[str]) -> str | None:
    """A key, bucket or source as text: None when unset or not known statically; a sensitive one hidden."""
    if not isinstance(value, str):
        return None
    # By origin first (a key built from a sensitive variable); the exact values as the last defence,
    # as the reporters' sanitiser keeps one.
    return SENSITIVE if is_sensitive(value) or value in secrets else value


def render_json(document: dict[str, Any]) -> str:
    return json_text(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


def render_text(document: dict[str, Any]) -> str:
    """One paragraph per stack: identity on the first line, then var files, workspace and edges."""
    lines: list[str] = []
    for stack in document["stacks"]:
        identity = [
            f"layer {stack['layer'] or '-'}",
            f"env {stack['env'] or '-'}",
            f"workspace {stack['workspace'] or '(unknown)'}",
            f"layout {stack['layout'] or '(none)'}",
        ]
        role = "" if stack["role"] == "root" else "  (module no root calls, checked as a root)"
        lines.append(f"{stack['name']}  " + ", ".join(identity) + role)
        if stack["root"] != stack["name"]:
            lines.append(f"  root: {stack['root']}")
        for var_file in stack["var_files"]:
            lines.append(f"  var file: {var_file}")
        backend = stack["backend"]
        if backend is not None:
            lines.append(f"  backend: {backend['type']} key {backend['key'] or '(unknown)'}")
            detected = " (detected)" if backend.get("config_detected") else ""
            for config_file in backend.get("config_files", []):
                lines.append(f"  backend config: {config_file}{detected}")
        for remote in stack["remote_states"]:
            target = remote["target"] or f"(no stack: {remote['problem']})"
            lines.append(f"  reads state: {remote['address']} -> {target}")
        if stack.get("unit_source"):
            lines.append(f"  terragrunt source: {stack['unit_source']}")
        for dependency in stack.get("dependencies", []):
            target = dependency["target"] or f"(no unit: {dependency['problem']})"
            name = dependency["name"]
            shown = name if name.startswith("dependencies.") else f"dependency.{name}"
            lines.append(f"  depends on: {shown} -> {target}")
        for call in stack["modules"]:
            lines.append(f"  calls module: {call['address']} -> {call['directory'] or call['source'] or '?'}")
    count = len(document["stacks"])
    lines.append(f"{count} stack{'' if count == 1 else 's'}")
    lines.extend(f"note: {note}" for note in document["notes"])
    return "".join(visible(line) + "\n" for line in lines)


def render(document: dict[str, Any], format_name: str) -> str:
    return render_json(document) if format_name == "json" else render_text(document)
