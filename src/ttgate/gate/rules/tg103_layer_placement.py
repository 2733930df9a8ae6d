"""TG103 layer-placement: each resource type lives in the layer the runbook rolls it back with."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ttgate.gate.findings import Finding, Related
from ttgate.gate.model import Resource
from ttgate.gate.rules.base import Example, Rule, RuleContext, RuleDoc
from ttgate.gate.values import Unknown
from ttgate.policy import Declared, Parameter, ParameterProblem, Severity, suggestion
from ttgate.policy.names import backend_layer, name_regex

PLACEMENT = {
    "aws_lambda_function": "30_app",
    "aws_lambda_event_source_mapping": "30_app",
    "aws_lambda_layer_version": "30_app",
    "aws_sqs_queue": "20_infra",
    "aws_sqs_queue_policy": "20_infra",
    "aws_api_gateway_rest_api": "20_infra",
    "aws_apigatewayv2_api": "20_infra",
    "aws_cloudwatch_event_bus": "20_infra",
    "aws_dynamodb_table": "20_infra",
    "aws_kms_key": "10_core",
    "aws_route53_zone": "10_core",
    "aws_secretsmanager_secret": "10_core",
}

# The state backend's resources, with the attribute holding their name and the policy template for it.
_BACKEND = {
    "aws_s3_bucket": ("bucket", "state_bucket", "state bucket"),
    "aws_dynamodb_table": ("name", "lock_table", "state lock table"),
}


def _declared_layers(placement: dict[str, str], declared: Declared) -> None:
    """Each type must map to a layer the policy declares, or the rule could never be satisfied."""
    for resource_type, layer_name in placement.items():
        if layer_name not in declared.layers:
            raise ParameterProblem(
                f'"{layer_name}" is not a declared layer{suggestion(layer_name, declared.layers)} '
                f"(layers: {', '.join(declared.layers)}); map {resource_type} to one of them, "
                f'or drop it with "{resource_type}: null"',
                resource_type,
            )


RULE = Rule(
    id="TG103",
    name="layer-placement",
    default_severity=Severity.WARNING,
    summary="Resource types live in their layer: Lambda in 30_app, SQS/API/DynamoDB in 20_infra, "
    "KMS/DNS/secrets/state backend in 10_core.",
    parameters={"placement": Parameter(PLACEMENT, check=_declared_layers)},
    doc=RuleDoc(
        what="Every managed resource whose type is in the `placement` map must be in a stack of the "
        "mapped layer. The state backend is the exception: an `aws_s3_bucket` whose name matches the "
        "policy's `state_bucket` and an `aws_dynamodb_table` whose name matches `lock_table` belong in "
        "the first layer (10_core) whatever the map says. Resources inside modules are reported once "
        "per stack, at their declaration.",
        why="The runbook rolls back layer by layer, 30_app → 20_infra → 10_core, and says what each "
        "layer holds: 30_app the Lambda functions, layers and event source mappings; 20_infra API "
        "Gateway, SQS, EventBridge and DynamoDB; 10_core the state backend, KMS, DNS and secrets. A "
        "resource in another layer is applied and rolled back out of that order.",
        runbook="What each layer holds; Layer-specific rollback order",
        fix="Move the resource to its layer's stack and read it through terraform_remote_state, or map "
        "its type to another layer under rules.TG103.placement in .ttgate.yml.",
        bad=Example(
            "practice/deploy/30_app/environments/dev/main.tf",
            """
            # practice/deploy/30_app/environments/dev/main.tf
            resource "aws_sqs_queue" "jobs" {
              name = "tt-practice-dev-jobs-queue"
            }
            """,
        ),
        good=Example(
            "practice/deploy/20_infra/environments/dev/main.tf",
            """
            # practice/deploy/20_infra/environments/dev/main.tf
            resource "aws_sqs_queue" "jobs" {
              name = "tt-practice-dev-jobs-queue"
            }
            """,
        ),
    ),
)


def _is_backend(resource: Resource, policy: Any) -> bool | Unknown:
    """Whether the resource is the state bucket or the lock table (Unknown when its name is)."""
    if resource.type not in _BACKEND:
        return False
    attribute, template, _ = _BACKEND[resource.type]
    name = resource.values.get(attribute)
    if isinstance(name, Unknown):
        return name
    if not isinstance(name, str):
        return False
    envs = [*policy.environments, *([resource.stack.env] if resource.stack.env else [])]
    return bool(name_regex(getattr(policy, template), policy, envs=envs).fullmatch(name))


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    policy = context.policy
    placement: dict[str, str] = dict(context.params["placement"])
    core = backend_layer(policy)
    for stack in context.model.stacks:
        if stack.layer is None or policy.layer(stack.layer) is None:
            continue
        seen: set[tuple[Any, str]] = set()
        for resource in stack.resources:
            if resource.mode != "managed" or resource.present is False:
                continue
            if (resource.location, resource.type) in seen:
                continue  # one finding per declaration: count/for_each instances share it
            backend = _is_backend(resource, policy)
            mapped = placement.get(resource.type)
            if backend is True:
                expected: str | None = core
            elif (
                isinstance(backend, Unknown)
                and mapped is not None
                and mapped != stack.layer
                and stack.layer == core
            ):
                # Misplaced by the map, unless it is the lock table, which belongs here: the name decides.
                seen.add((resource.location, resource.type))
                context.unverifiable(
                    resource,
                    f"its name, so whether it is the {_BACKEND[resource.type][2]} (which belongs "
                    f"in {core}) or belongs in {mapped}",
                    backend,
                    attribute=_BACKEND[resource.type][0],
                )
                continue
            else:
                expected = mapped
            if expected is None or expected == stack.layer:
                continue
            seen.add((resource.location, resource.type))
            yield _finding(context, resource, expected, backend is True)


def _finding(context: RuleContext, resource: Resource, expected: str, backend: bool) -> Finding:
    stack = resource.stack
    target = f"{expected}/environments/{stack.env}" if stack.env else expected
    kind = f"the {_BACKEND[resource.type][2]}" if backend else resource.type
    if backend:
        reason = (
            "every layer's state lives in the state backend, so it is created first and rolled back "
            "last; it must not be applied or rolled back with a layer whose state it holds."
        )
    else:
        reason = (
            f"the runbook rolls {resource.type} back with {expected}; here it is applied and rolled "
            f"back with {stack.layer}, out of the 10_core → 20_infra → 30_app order, and a rollback of "
            f"{expected} leaves it behind."
        )
    related = []
    if resource.module_call is not None:
        related.append(Related("instantiated by this module call", resource.module_call))
    override = (
        ""
        if backend
        else (
            f" If {stack.layer} is the right place for your team, map {resource.type}: {stack.layer} "
            "under rules.TG103.placement in .ttgate.yml."
        )
    )
    return context.finding(
        f"{resource.address} is {kind} and lives in {stack.label}, but belongs in {expected}: {reason}",
        f"Move the resource to the {target} stack (terraform state rm here, terraform import there, or "
        f"removed/import blocks) and read what {stack.layer} needs through terraform_remote_state."
        f"{override}",
        resource=resource,
        related=related,
    )
