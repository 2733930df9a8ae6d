"""TG401 naming: Lambda functions, queues, DLQs and Lambda log groups follow the runbook's names."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ttgate.gate.findings import Finding
from ttgate.gate.model import Resource
from ttgate.gate.rules.base import APP_DEV, Example, Rule, RuleContext, RuleDoc, where
from ttgate.gate.rules.sqs import dead_letter_queues
from ttgate.gate.values import Unknown, display, mark_like
from ttgate.policy import Declared, Parameter, ParameterProblem, Severity
from ttgate.policy.names import NamePattern, compile_template, template_regex

DEFAULT_PATTERNS: dict[str, str] = {
    "lambda": "{project}-{env}-{name}",
    "queue": "{project}-{env}-{name}-queue",
    "dlq": "{project}-{env}-{name}-dlq",
    "alarm": "{dlq}-messages-alarm",
    "log_group": "/aws/lambda/{function}",
}
NAME_CHARS = "[a-z0-9-]+"
FIFO = ".fifo"
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

# The placeholders each pattern may use; any other would match nothing, or (before) anything.
_COMMON_PLACEHOLDERS = ("project", "env", "region")
_PLACEHOLDERS = {
    "lambda": ("name",),
    "queue": ("name",),
    "dlq": ("name",),
    "alarm": ("dlq",),
    "log_group": ("function", "name"),
}


def _check_patterns(patterns: Mapping[str, str], _declared: Declared) -> None:
    for kind in _PLACEHOLDERS:
        if kind not in patterns:
            raise ParameterProblem(f"missing pattern {display(kind)}")
    for kind, pattern in patterns.items():
        if kind not in _PLACEHOLDERS:
            raise ParameterProblem(
                f"unknown pattern {display(kind)} (expected one of: {', '.join(_PLACEHOLDERS)})", kind
            )
        allowed = (*_COMMON_PLACEHOLDERS, *_PLACEHOLDERS[kind])
        for name in _PLACEHOLDER.findall(pattern):
            if name not in allowed:
                shown = ", ".join("{" + placeholder + "}" for placeholder in allowed)
                raise ParameterProblem(f"unknown placeholder {{{name}}} (use {shown})", kind)


# What each kind of resource is called in messages, and why its name matters.
_KIND_LABEL = {
    "lambda": "Lambda function",
    "queue": "SQS queue",
    "dlq": "Dead-letter queue",
    "log_group": "Log group",
}


RULE = Rule(
    id="TG401",
    name="naming",
    default_severity=Severity.WARNING,
    summary="Lambda functions, queues, DLQs and Lambda log groups follow the runbook's naming conventions.",
    parameters={"patterns": Parameter(dict(DEFAULT_PATTERNS), check=_check_patterns)},
    doc=RuleDoc(
        what="Checks names against the policy's `patterns`, with `{project}` from the policy and `{env}` "
        "from the stack's environment: `function_name` of every `aws_lambda_function` against `lambda` "
        "(`{project}-{env}-{name}`, `{name}` being lowercase letters, digits and hyphens); the `name` of "
        "an `aws_sqs_queue` that is a dead-letter queue (a redrive target, or named `…-dlq`) against "
        "`dlq`, of any other queue against `queue` (a FIFO queue may end in `.fifo`); the `name` of a "
        "log group under `/aws/lambda/` against `log_group` (`{function}` being a name that follows "
        "`lambda`). Alarm names are TG204's. Resources in stacks without an environment (a directory "
        "whose layout gives none, see `stack_path` and `layouts`) are skipped: there is no `{env}` to check "
        "against. A name that cannot be known statically is TG001.",
        why="Every procedure of the runbook and every ttgate operation (DLQ status and redrive, the "
        "DLQ alarm, a function's logs, a stack's state) finds resources by these names, and a name "
        "carrying another environment is a copy-paste waiting to collide with that environment.",
        runbook="Resource naming conventions; Lambda log groups",
        fix='Build names from the variables: `"${var.project}-${var.environment}-worker"`; use the '
        "shared modules (components/lambda_*, 20_infra/modules/sqs), which already do.",
        bad=Example(
            f"{APP_DEV}/main.tf",
            """
            resource "aws_lambda_function" "worker" {
              function_name = "worker_prod"
              # ...
            }

            resource "aws_sqs_queue" "jobs" {
              name = "jobs"
            }
            """,
        ),
        good=Example(
            f"{APP_DEV}/main.tf",
            """
            resource "aws_lambda_function" "worker" {
              function_name = "${var.project}-${var.environment}-worker"
              # ...
            }

            resource "aws_sqs_queue" "jobs" {
              name = "${var.project}-${var.environment}-jobs-queue"
            }
            """,
            files={
                f"{APP_DEV}/variables.tf": """
                variable "project" {
                  default = "tt-practice"
                }

                variable "environment" {
                  default = "dev"
                }
                """
            },
        ),
    ),
)


@dataclass(frozen=True)
class _Names:
    """The naming patterns of one environment, as regular expressions and as text for people."""

    patterns: Mapping[str, str]
    project: str
    env: str
    region: str
    _compiled: dict[str, NamePattern] = field(default_factory=dict, compare=False, repr=False)

    def _fragments(self) -> dict[str, str]:
        fixed = {"project": self.project, "env": self.env, "region": self.region}
        fragments = {key: re.escape(value) for key, value in fixed.items()}
        fragments["name"] = NAME_CHARS
        fragments["function"] = template_regex(self.patterns["lambda"], fragments)
        return fragments

    def regex(self, kind: str) -> NamePattern:
        # Built once per environment and kind: a plan may name tens of thousands of resources.
        compiled = self._compiled.get(kind)
        if compiled is None:
            fifo = f"(?:{re.escape(FIFO)})?" if kind in ("queue", "dlq") else ""
            compiled = compile_template(f"^{template_regex(self.patterns[kind], self._fragments())}{fifo}$")
            self._compiled[kind] = compiled
        return compiled

    def shown(self, kind: str) -> str:
        """The pattern for people: ``tt-practice-dev-<name>-queue``."""
        text = self.patterns[kind]
        for key, value in (("project", self.project), ("env", self.env), ("region", self.region)):
            text = text.replace("{" + key + "}", value)
        text = text.replace("{name}", "<name>").replace("{function}", "<function-name>")
        return _PLACEHOLDER.sub(lambda match: f"<{match.group(1)}>", text)

    def render(self, kind: str, name: str) -> str:
        text = self.patterns[kind]
        for key, value in (
            ("project", self.project),
            ("env", self.env),
            ("region", self.region),
            ("name", name),
            ("function", name),
        ):
            text = text.replace("{" + key + "}", value)
        return text


def _suffix(pattern: str) -> str:
    """The literal text after ``{name}`` in a pattern: how a DLQ's name ends (``-dlq``)."""
    _, found, tail = pattern.partition("{name}")
    return tail if found and "{" not in tail else ""


def _prefix(pattern: str) -> str | None:
    """The literal text before ``{function}``: which log groups are Lambda log groups (``/aws/lambda/``)."""
    head, found, _ = pattern.partition("{function}")
    return head if found and "{" not in head else None


def _short_name(name: str, names: _Names, environments: tuple[str, ...], kind: str) -> str:
    """A guess at the ``{name}`` part of a name that does not follow the pattern."""
    base = name[: -len(FIFO)] if name.endswith(FIFO) else name
    base = re.sub(r"[^a-z0-9-]+", "-", base.lower())
    for env in (names.env, *environments):
        prefix = f"{names.project}-{env}-"
        if base.startswith(prefix):
            base = base[len(prefix) :]
            break
    else:
        if base.startswith(names.project + "-"):
            base = base[len(names.project) + 1 :]
    for suffix in (_suffix(names.patterns[kind]), "-queue", "-dlq"):
        if suffix and base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    # re.sub gives plain text: a guess made from a secret name is as secret as the name.
    guess: str = mark_like(re.sub(r"-{2,}", "-", base).strip("-"), name)
    return guess


def _other_env(name: str, names: _Names, environments: tuple[str, ...], kind: str) -> str | None:
    """The other environment a name follows the pattern of (a copy-paste from prod into dev)."""
    for env in environments:
        if env != names.env:
            other = _Names(names.patterns, names.project, env, names.region)
            if other.regex(kind).match(name):
                return env
    return None


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    patterns = {**DEFAULT_PATTERNS, **context.params["patterns"]}
    policy = context.policy
    environments: tuple[str, ...] = tuple(policy.environments)
    dlqs = dead_letter_queues(context, _suffix(patterns["dlq"]), unknown_targets=False)
    dlq_ids = {id(dlq.queue) for dlq in dlqs}
    log_prefix = _prefix(patterns["log_group"])
    types = ("aws_lambda_function", "aws_sqs_queue", "aws_cloudwatch_log_group")
    names_by_env: dict[str, _Names] = {}
    for resource in context.model.resources(*types):
        env = resource.stack.env
        if env is None:
            continue  # not an environment's root stack: {env} has no value to check against
        names = names_by_env.get(env) or names_by_env.setdefault(
            env, _Names(patterns, policy.project, env, policy.region)
        )
        if resource.type == "aws_lambda_function":
            kind, attribute = "lambda", "function_name"
        elif resource.type == "aws_sqs_queue":
            kind, attribute = ("dlq" if id(resource) in dlq_ids else "queue"), "name"
        else:
            kind, attribute = "log_group", "name"
        name = resource.values.get(attribute)
        if isinstance(name, Unknown):
            context.unverifiable(resource, attribute, name, attribute=attribute)
            continue
        if kind == "log_group" and (
            log_prefix is None or not isinstance(name, str) or not name.startswith(log_prefix)
        ):
            continue  # not a Lambda log group
        if name is None:
            if kind in ("queue", "dlq"):
                yield _unnamed(context, resource, names, kind)
            continue
        if not isinstance(name, str) or names.regex(kind).match(name):
            continue
        yield _misnamed(context, resource, attribute, name, names, environments, kind)


def _unnamed(context: RuleContext, queue: Resource, names: _Names, kind: str) -> Finding:
    return context.finding(
        f"{_KIND_LABEL[kind]} {where(queue)} sets no name, so Terraform generates one (from name_prefix, "
        f"or at random) that does not follow the runbook's {names.shown(kind)}: the runbook's commands "
        "(get-queue-url --queue-name …, the DLQ reprocessing script) cannot find it.",
        f'Set name = "{names.shown(kind)}" on {queue.address}.',
        resource=queue,
    )


def _misnamed(
    context: RuleContext,
    resource: Resource,
    attribute: str,
    name: str,
    names: _Names,
    environments: tuple[str, ...],
    kind: str,
) -> Finding:
    other = _other_env(name, names, environments, kind)
    if kind == "log_group":
        function = name[len(_prefix(names.patterns["log_group"]) or "") :]
        short = _short_name(function, names, environments, "lambda")
        suggestion = names.render("log_group", names.render("lambda", short)) if short else None
        expected = f"{names.shown('log_group')}, where the function name is {names.shown('lambda')}"
    else:
        short = _short_name(name, names, environments, kind)
        suggestion = names.render(kind, short) + (FIFO if name.endswith(FIFO) else "") if short else None
        expected = names.shown(kind)
    if suggestion is not None and not names.regex(kind).match(suggestion):
        suggestion = None
    # re.sub and the pattern's text give plain strings: a rename built from a sensitive name is sensitive.
    suggestion = mark_like(suggestion, name)
    detail = (
        f"it names environment {other}, but {resource.stack.label} deploys it: it would collide "
        f"with (or be mistaken for) {other}'s resource"
        if other is not None
        else "<name> is lowercase letters, digits and hyphens"
    )
    why = {
        "lambda": "the runbook's commands (aws lambda get-function --function-name, aws logs tail "
        "/aws/lambda/…) and log searches by prefix find functions by this name",
        "queue": "the runbook's DLQ procedures look queues up by name (get-queue-url --queue-name)",
        "dlq": "the runbook's DLQ procedures, the reprocessing script and the DLQ alarm name are built "
        "from {queue-name}-dlq",
        "log_group": "the runbook finds a function's logs at /aws/lambda/{function-name}, and describe-"
        "log-groups --log-group-name-prefix /aws/lambda/{project}-{env} lists them",
    }[kind]
    rename = f'Rename it to "{suggestion}"' if suggestion else f"Rename it to follow {expected}"
    return context.finding(
        f"{_KIND_LABEL[kind]} name {display(name)} ({where(resource)}) does not follow the runbook's "
        f"convention {expected} ({detail}); {why}.",
        f"{rename} ({attribute} on {resource.address}, or the variable or module argument it comes from). "
        f"Renaming replaces the {'queue: drain it first' if kind in ('queue', 'dlq') else 'resource'}.",
        resource=resource,
        attribute=attribute,
    )
