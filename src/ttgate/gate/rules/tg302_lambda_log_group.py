"""TG302 lambda-log-group: every Lambda function logs to a log group Terraform manages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ttgate.gate.findings import Finding
from ttgate.gate.links import Candidates, Namesakes, attribution, remedy_for, scope_text
from ttgate.gate.model import Resource
from ttgate.gate.rules.base import APP_DEV, Example, Rule, RuleContext, RuleDoc, where
from ttgate.gate.values import Unknown, display, same_string
from ttgate.policy import Severity

LOG_GROUP_PREFIX = "/aws/lambda/"
# Lambda@Edge writes to /aws/lambda/us-east-1.<name> in each region where an edge location runs it.
EDGE_LOG_GROUP_PREFIX = "/aws/lambda/us-east-1."


RULE = Rule(
    id="TG302",
    name="lambda-log-group",
    default_severity=Severity.WARNING,
    summary="Every Lambda has a managed /aws/lambda/{function} log group, so retention is controlled.",
    doc=RuleDoc(
        what="For every `aws_lambda_function`, looks in all stacks of the same environment (with no known "
        "environment: its own stack first, then every stack without one; a group that a same-named "
        "function of another such stack may own as well is TG001 naming both) for an "
        "`aws_cloudwatch_log_group` named `/aws/lambda/{function_name}`, or the group the function's "
        "`logging_config` `log_group` names when it is set. The group's name may be a literal, a "
        "local, a template or a reference to the function "
        '(`"/aws/lambda/${aws_lambda_function.f.function_name}"` '
        "is that function's group even while the name is unknown). A function whose name is unknown "
        "and that no group can belong to is still a finding; a group behind a `count` that cannot be "
        "evaluated, or one that may or may not carry the unknown name, is TG001. A Lambda@Edge function "
        "(one a CloudFront distribution's `lambda_function_association` runs) writes to "
        "`/aws/lambda/us-east-1.{function_name}` in each region that runs it: that is the group looked for.",
        why="Lambda writes to `/aws/lambda/{function-name}` and creates that group itself when nothing "
        "else did; the runbook wants it managed with a retention (default 14 days, the Lambda "
        "component's `log_retention_days`). A group Lambda creates on its first invocation is outside "
        'Terraform: its retention is "never expire", so logs are kept and billed forever and no '
        "review sees it.",
        runbook="Lambda log groups; Log retention",
        fix="Declare the log group next to the function (with `retention_in_days`) and make the "
        "function depend on it, or build the function with the shared `components/lambda_*` module.",
        bad=Example(
            f"{APP_DEV}/main.tf",
            """
            resource "aws_lambda_function" "event_processor" {
              function_name = "tt-practice-dev-event-processor"
              # ...
            }
            """,
        ),
        good=Example(
            f"{APP_DEV}/main.tf",
            """
            resource "aws_cloudwatch_log_group" "event_processor" {
              name              = "/aws/lambda/tt-practice-dev-event-processor"
              retention_in_days = 14
            }

            resource "aws_lambda_function" "event_processor" {
              function_name = "tt-practice-dev-event-processor"
              depends_on    = [aws_cloudwatch_log_group.event_processor]
              # ...
            }
            """,
        ),
    ),
)


def _configured_group(function: Resource) -> Any:
    """``logging_config[0].log_group``, or None when the function logs to its default group."""
    config = function.values.get("logging_config")
    if isinstance(config, Unknown):
        return config
    if isinstance(config, dict):
        config = [config]
    if isinstance(config, list) and config:
        first = config[0]
        if isinstance(first, Unknown):
            return first
        if isinstance(first, dict):
            value = first.get("log_group")
            return None if value == "" else value
    return None


def _group_names(group: Resource) -> list[str] | None:
    name = group.values.get("name")
    return [name] if isinstance(name, str) else None


def _unrelated_guess(group: Resource, function: Resource) -> bool:
    """A group whose name is unknown, in another root that no environment ties to the function's.

    Without environments every such root is one scope, so in a repository of unrelated roots any
    ``for_each`` of log groups anywhere would turn each function's real TG302 into a TG001. A group
    of unknown name counts only in the function's own stack or in a stack of its own environment.
    """
    return group.stack is not function.stack and function.stack.env is None


def edge_functions(resources: Iterator[Resource]) -> set[int]:
    """The functions a CloudFront distribution runs at the edge (``lambda_function_association``).

    Found by what a ``lambda_arn`` refers to (``aws_lambda_function.f.qualified_arn``, through module
    outputs too); the set holds the functions' ids.
    """
    found: set[int] = set()

    def visit(value: Any, key: str | None) -> None:
        if isinstance(value, dict):
            for inner_key, inner in value.items():
                visit(inner, inner_key)
        elif isinstance(value, list):
            for item in value:
                visit(item, key)
        elif isinstance(value, Unknown) and key == "lambda_arn":
            for piece in (value, *(value.parts or ())):
                linked = piece.resource if isinstance(piece, Unknown) else None
                if linked is not None and getattr(linked, "type", None) == "aws_lambda_function":
                    found.add(id(linked))

    for distribution in resources:
        for attribute in ("default_cache_behavior", "ordered_cache_behavior"):
            visit(distribution.values.get(attribute), None)
    return found


def _prefix(function: Resource, edge: set[int]) -> str:
    return EDGE_LOG_GROUP_PREFIX if id(function) in edge else LOG_GROUP_PREFIX


def _designates(
    value: Any, expected: str | None, group: Resource, function: Resource, prefix: str = LOG_GROUP_PREFIX
) -> bool | Unknown:
    """Whether the log group ``group`` is the one ``expected`` (a name) or ``value`` (Unknown) names."""
    name = group.values.get("name")
    if isinstance(value, Unknown):  # logging_config.log_group = aws_cloudwatch_log_group.x.name
        if value.resource is group:
            return True
        if value.resource is not None and value.resource.mode == "managed":
            return False
        # log_group = var.log_group, and the group is named var.log_group too
        return same_string(name, value) or value
    function_name = function.values.get("function_name")
    if expected is not None:
        wanted: Any = expected
    elif isinstance(function_name, Unknown):
        wanted = Unknown(function_name.reason, parts=(prefix, function_name))
    else:
        return False
    if not isinstance(name, (str, Unknown)):
        return False
    # "/aws/lambda/${aws_lambda_function.x.function_name}": named after a function, this one or another
    pieces = (name.parts or (name,)) if isinstance(name, Unknown) else ()
    named_after = [
        piece.resource
        for piece in pieces
        if isinstance(piece, Unknown) and piece.resource is not None and piece.resource.mode == "managed"
    ]
    if named_after:
        return value is None and named_after == [function]
    same = same_string(name, wanted)
    if same is not None:
        return same
    return name if isinstance(name, Unknown) else wanted


def _refers_to(configured: Any, group: Resource, function: Resource) -> bool:
    """Whether function and group name each other (``log_group = aws_cloudwatch_log_group.x.name``,
    ``name = "/aws/lambda/${aws_lambda_function.f.function_name}"``), not a name another function
    elsewhere may share."""
    if isinstance(configured, Unknown) and configured.resource is group:
        return True
    name = group.values.get("name")
    pieces = (name.parts or (name,)) if isinstance(name, Unknown) else ()
    return any(isinstance(piece, Unknown) and piece.resource is function for piece in pieces)


def _group_name(function: Resource, edge: set[int]) -> str | None:
    """The log group a function writes to, when known: what same-named functions share."""
    configured = _configured_group(function)
    if isinstance(configured, str):
        return configured
    name = function.values.get("function_name")
    return _prefix(function, edge) + name if configured is None and isinstance(name, str) else None


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    groups = Candidates(context.model, "aws_cloudwatch_log_group", _group_names)
    edge = edge_functions(context.model.resources("aws_cloudfront_distribution"))
    functions = Namesakes(context.model.resources("aws_lambda_function"), lambda f: _group_name(f, edge))
    for function in context.model.resources("aws_lambda_function"):
        yield from _check_function(context, function, groups, functions, edge)


def _check_function(
    context: RuleContext, function: Resource, groups: Candidates, functions: Namesakes, edge: set[int]
) -> Iterator[Finding]:
    """The group is searched in every stack of the function's scope (``links.same_scope``), its own
    first; one in another stack that a same-named function may own as well is TG001 naming both."""
    function_name = function.values.get("function_name")
    configured = _configured_group(function)
    prefix = _prefix(function, edge)
    expected: str | None
    if configured is not None and not isinstance(configured, Unknown):
        if not isinstance(configured, str):
            return  # not a name; Terraform rejects it
        expected = configured
    elif configured is None:
        if isinstance(function_name, Unknown):
            expected = None  # its group is named after it, or one that may be is TG001; none is a finding
        elif not isinstance(function_name, str):
            return
        else:
            expected = prefix + function_name
    else:
        linked = configured.resource
        if linked is not None and linked.mode == "managed" and linked.type == "aws_cloudwatch_log_group":
            return  # logging_config.log_group = aws_cloudwatch_log_group.x.name, unknown until apply
        expected = None
    maybe: list[tuple[Resource, Unknown]] = []
    # A known name is found among the groups of that name and those whose name is unknown.
    by_name = expected if not isinstance(configured, Unknown) else None
    others = functions.of(function)
    for group in groups.near(function, by_name):
        designated = _designates(configured, expected, group, function, prefix)
        if isinstance(designated, Unknown) and _unrelated_guess(group, function):
            continue
        if designated is True and not _refers_to(configured, group, function):
            owned = attribution(
                group, function, others, f"the function {group.address} ({group.stack.label}) is for"
            )
            if owned is False:
                continue  # a same-named function in the group's own stack is the one it is for
            if isinstance(owned, Unknown):
                designated = owned
        if designated is True and group.present is True:
            return
        if designated is True:
            assert isinstance(group.present, Unknown)
            maybe.append((group, group.present))
        elif isinstance(designated, Unknown):
            maybe.append((group, designated))
    if isinstance(configured, Unknown):
        context.unverifiable(function, "logging_config.log_group", configured, attribute="logging_config")
        return
    if maybe:
        group, unknown = maybe[0]
        named = expected or f"named after function_name ({function_name})"
        context.unverifiable(
            function,
            f"whether {group.address} ({group.stack.label}) is its log group {named}",
            unknown,
            remedy=remedy_for(unknown),
        )
        return
    if expected is None:
        expected = f"{prefix}<function_name>"
    label = function_name if isinstance(function_name, str) else function.address
    scope = scope_text(function.stack)
    how = "its logging_config names" if configured is not None else "Lambda writes to"
    if id(function) in edge and configured is None:
        yield context.finding(
            f"Lambda@Edge function {label} ({where(function)}), run by a CloudFront distribution, has no "
            f"managed log group: at the edge it writes to {display(expected)} in each region where "
            f"CloudFront runs it, but no aws_cloudwatch_log_group with that name exists in {scope}. "
            'Lambda creates those groups itself, outside Terraform, with retention "never expire": their '
            "logs are kept and billed forever and TG301 cannot see them.",
            f'Add resource "aws_cloudwatch_log_group" with name = "{expected}" and retention_in_days = '
            "14 in the regions that serve your traffic (a provider alias per region); if the groups "
            "already exist in AWS, terraform import them.",
            resource=function,
        )
        return
    yield context.finding(
        f"Lambda function {label} ({where(function)}) has no managed log group: {how} {display(expected)}, "
        f"but no aws_cloudwatch_log_group with that name exists in {scope}. Lambda then creates the group "
        'itself on the first invocation, outside Terraform, with retention "never expire": its logs are '
        "kept and billed forever, TG301 cannot see it, and terraform destroy leaves it behind.",
        f'Add resource "aws_cloudwatch_log_group" with name = "{expected}" and retention_in_days = 14, '
        "created before the function (depends_on, or logging_config { log_group = "
        "aws_cloudwatch_log_group.<name>.name }); or use the shared components/lambda_* module, which "
        "does this. If the group already exists in AWS, terraform import it.",
        resource=function,
    )
