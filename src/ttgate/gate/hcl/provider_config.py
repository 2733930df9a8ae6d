"""The provider configuration a data source uses, for the data sources that only echo it.

``data.aws_default_tags`` reads nothing from AWS: its ``tags`` are the ``default_tags { tags = ... }`` of
its provider (its ``provider =`` meta-argument, else the default ``aws``); ``data.aws_region`` with a
``provider =`` is that provider's ``region``. In a module the provider is the caller's, through the
module block's ``providers = { aws.x = aws.y }`` map, or inherited when it is the default configuration;
this follows that chain up to the block that configures it. A provider block with no ``default_tags``
gives no tags; no provider block at all, or a chain ttgate cannot follow, gives an unknown value with
the reason.
"""

from __future__ import annotations

from typing import Any, Protocol

from ttgate.gate.hcl import syntax as ast
from ttgate.gate.hcl.evaluate import Evaluator, Trace
from ttgate.gate.hcl.modules import Declared, ModuleSource
from ttgate.gate.model import Location, Origin, Stack
from ttgate.gate.values import Unknown


class Instance(Protocol):
    """What this needs of a module instance (instances.Instance, which calls it)."""

    source: ModuleSource
    stack: Stack
    evaluator: Evaluator

    @property
    def caller(self) -> tuple[Instance, Declared] | None:
        """The instance whose module block made this one, with that block; None for a root."""


def provider_default_tags(
    instance: Instance, provider: ast.Attribute | None, address: str, trace: Trace
) -> Any:
    """The tags of ``data.aws_default_tags`` declared in ``instance`` with that ``provider =``."""
    configured = _configuration_of(instance, provider, address)
    if configured is None:
        # Terraform's implicit empty configuration, unless a file ttgate cannot see (a Terragrunt
        # generate block, an override) declares the provider: not known to be empty.
        return Unknown(f"{address}.tags: no provider block configures the default aws provider")
    if not isinstance(configured, tuple):
        return configured
    scope, file, block, reference = configured
    default_tags = block.body.blocks_of("default_tags")
    tags = default_tags[0].body.attributes.get("tags") if default_tags else None
    if tags is None:
        return {}
    value = scope.evaluator.evaluate(tags.expr, trace)
    trace.append(
        Origin(
            f"{address}.tags = default_tags of provider {reference}",
            Location(file, tags.line, tags.column, tags.end_line),
        )
    )
    return value


def provider_region(instance: Instance, provider: ast.Attribute, trace: Trace) -> str | None:
    """The ``region`` of the configuration a ``provider = aws.x`` names, when it is known."""
    configured = _configuration_of(instance, provider, "")
    if not isinstance(configured, tuple):
        return None
    scope, _, block, _ = configured
    region = block.body.attributes.get("region")
    value = scope.evaluator.evaluate(region.expr, trace) if region is not None else None
    return value if isinstance(value, str) else None


def _configuration_of(
    instance: Instance, provider: ast.Attribute | None, address: str
) -> tuple[Instance, str, ast.Block, str] | Unknown | None:
    """The instance, file and block configuring the provider, with its name there; None for the default
    aws provider no block configures; Unknown when ttgate cannot follow the chain."""
    reference = _reference(provider.expr) if provider is not None else "aws"
    if reference is None or not (reference == "aws" or reference.startswith("aws.")):
        return Unknown(f"{address}.tags: its provider is not a reference ttgate follows")
    scope = instance
    while True:
        configured = _configuration(scope, reference)
        if configured is not None:
            return scope, configured[0], configured[1], reference
        caller = scope.caller
        if caller is None:
            if reference == "aws":
                return None
            return Unknown(f"{address}.tags: provider {reference} is not configured in {scope.stack.name}")
        parent, call = caller
        passed = _passed(call.block.body.attributes.get("providers"))
        if reference in passed:
            reference = passed[reference]
        elif reference != "aws":  # an aliased configuration is never inherited, only passed
            return Unknown(f"{address}.tags: {_call_name(call.block)} does not pass provider {reference}")
        scope = parent


def _call_name(block: ast.Block) -> str:
    return f"module.{block.labels[0]}" if block.labels else "the module call"


def _configuration(scope: Instance, reference: str) -> tuple[str, ast.Block] | None:
    """The provider block of ``scope``'s own module that ``reference`` (``aws`` or ``aws.alias``) names."""
    for declared in scope.source.providers:
        block = declared.block
        if block.labels[:1] != ["aws"]:
            continue
        alias = block.body.attributes.get("alias")
        name = "aws"
        if alias is not None:
            if not (isinstance(alias.expr, ast.Lit) and isinstance(alias.expr.value, str)):
                continue
            name = f"aws.{alias.expr.value}"
        if name == reference:
            return declared.file, block
    return None


def _passed(providers: ast.Attribute | None) -> dict[str, str]:
    """A module block's ``providers`` map: the child's name for a configuration -> the caller's."""
    if providers is None or not isinstance(providers.expr, ast.ObjectExpr):
        return {}
    passed: dict[str, str] = {}
    for key, value in providers.expr.items:
        child, parent = _reference(key), _reference(value)
        if child is not None and parent is not None:
            passed[child] = parent
    return passed


def _reference(expr: ast.Expr) -> str | None:
    """``aws``, ``aws.alias`` (a traversal, or a string in Terraform 0.11's style) as text."""
    if isinstance(expr, ast.Name):
        return expr.name
    if isinstance(expr, ast.GetAttr) and isinstance(expr.obj, ast.Name):
        return f"{expr.obj.name}.{expr.name}"
    if isinstance(expr, ast.Lit) and isinstance(expr.value, str):
        return expr.value
    return None
