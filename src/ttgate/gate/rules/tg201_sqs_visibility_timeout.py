"""TG201 sqs-visibility-timeout: a Lambda-consumed queue hides a message longer than the Lambda runs."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator

from ttgate.gate.findings import Finding, LiteralEdit, Related
from ttgate.gate.links import ambiguity, find_candidates, remedy_for, resource_name
from ttgate.gate.model import Resource
from ttgate.gate.rules.aws_limits import (
    LAMBDA_BATCHING_WINDOW,
    LAMBDA_TIMEOUT,
    SQS_VISIBILITY_TIMEOUT,
    Rejected,
)
from ttgate.gate.rules.base import (
    INFRA_DEV,
    Example,
    Rule,
    RuleContext,
    RuleDoc,
    number_or_default,
    origin_notes,
    seconds,
    where,
)
from ttgate.gate.rules.literal import literal_edit
from ttgate.gate.rules.sqs import sqs_consumers
from ttgate.gate.values import Unknown, display
from ttgate.policy import Parameter, Severity

LAMBDA_DEFAULT_TIMEOUT = 3
SQS_DEFAULT_VISIBILITY = 30

# The examples' consumer: shown after the failing queue, beside the passing one in its own file.
CONSUMER = textwrap.dedent(
    """
    resource "aws_lambda_function" "worker" {
      function_name = "tt-practice-dev-worker"
      timeout       = 60
      # ...
    }

    resource "aws_lambda_event_source_mapping" "worker" {
      event_source_arn = aws_sqs_queue.main.arn
      function_name    = aws_lambda_function.worker.arn
    }
    """
).lstrip()

RULE = Rule(
    id="TG201",
    name="sqs-visibility-timeout",
    default_severity=Severity.ERROR,
    summary="A queue consumed by a Lambda has visibility timeout ≥ 6 × function timeout (+ batching window).",
    parameters={"multiplier": Parameter(6.0, minimum=1), "include_batching_window": Parameter(True)},
    doc=RuleDoc(
        what="For every `aws_lambda_event_source_mapping` whose source is an SQS queue, follows "
        "`event_source_arn` to the queue (through module outputs and `terraform_remote_state` into "
        "another layer) and `function_name` to the function, in the mapping's environment (its own stack "
        "first; two functions of that name equally near with different timeouts are TG001 naming both), "
        "and checks "
        "`visibility_timeout_seconds ≥ multiplier × timeout + maximum_batching_window_in_seconds`. "
        "Unset values are AWS's defaults: Lambda timeout 3 s, SQS visibility 30 s, batching window 0. "
        "When a value cannot be known statically, TG001 says which. A value AWS refuses (a function "
        "timeout outside 1–900 s, a visibility timeout outside 0–43200 s, a batching window above 300 s, "
        "a negative, fractional or infinite number) is an error on its line, never compared.",
        why="The runbook asks for a visibility timeout of at least 6 times the function's timeout plus "
        "the batching window: a 60-second function needs a queue that hides its messages for 360 "
        "seconds or more. Otherwise a message reappears while its first invocation still runs, is "
        "processed twice, and after max_receive_count deliveries lands in the DLQ although nothing failed.",
        runbook="Visibility timeout; How retries work",
        fix="Raise `visibility_timeout_seconds` on the queue (in the 20_infra SQS module or its "
        "arguments) to at least the required value, or lower the function's `timeout`. Apply 20_infra "
        "before 30_app when you raise both. "
        "Fixed by `ttgate fix` where the visibility timeout is one literal (on the attribute, or the tfvars "
        "entry, variable default or module argument it comes from): it is set to the required value.",
        bad=Example(
            f"{INFRA_DEV}/main.tf",
            textwrap.dedent(
                """
            resource "aws_sqs_queue" "main" {
              name                       = "tt-practice-dev-main-queue"
              visibility_timeout_seconds = 300
            }
            """
            )
            + "\n"
            + CONSUMER,
        ),
        good=Example(
            f"{INFRA_DEV}/main.tf",
            """
            resource "aws_sqs_queue" "main" {
              name                       = "tt-practice-dev-main-queue"
              visibility_timeout_seconds = 360 # 6 × 60 s
            }
            """,
            files={f"{INFRA_DEV}/consumer.tf": CONSUMER},
        ),
    ),
)


@RULE.check
def check(context: RuleContext) -> Iterator[Finding]:
    multiplier = context.params["multiplier"]
    with_window = context.params["include_batching_window"]
    for mapping, queue in sqs_consumers(context):
        function = _consumer(context, mapping)
        if isinstance(function, Unknown):
            context.unverifiable(
                mapping,
                "the function that consumes the queue",
                function,
                attribute="function_name",
                remedy=remedy_for(function),
            )
            continue
        timeout = number_or_default(function, "timeout", LAMBDA_DEFAULT_TIMEOUT, LAMBDA_TIMEOUT)
        window = (
            number_or_default(mapping, "maximum_batching_window_in_seconds", 0, LAMBDA_BATCHING_WINDOW)
            if with_window
            else 0
        )
        visibility = number_or_default(
            queue, "visibility_timeout_seconds", SQS_DEFAULT_VISIBILITY, SQS_VISIBILITY_TIMEOUT
        )
        for value, subject, attribute, what in (
            (timeout, function, "timeout", "The function's timeout"),
            (window, mapping, "maximum_batching_window_in_seconds", "The batching window"),
            (visibility, queue, "visibility_timeout_seconds", "The queue's visibility timeout"),
        ):
            if isinstance(value, Unknown):
                context.unverifiable(subject, what.lower(), value, attribute=attribute)
            elif isinstance(value, Rejected):
                yield context.rejected(subject, attribute, what, value)
        if (
            isinstance(timeout, (Unknown, Rejected))
            or isinstance(window, (Unknown, Rejected))
            or isinstance(visibility, (Unknown, Rejected))
        ):
            continue
        required = multiplier * timeout + window
        if visibility >= required:
            continue
        yield _finding(context, queue, function, mapping, visibility, timeout, window, required)


def _consumer(context: RuleContext, mapping: Resource) -> Resource | Unknown:
    """The function a mapping's ``function_name`` designates, searched in the mapping's scope.

    Two functions of that name in the scope (``envs/dev`` and ``envs/prod`` of a layout without known
    environments, or two stacks of one environment) are one answer when their timeouts are the same,
    and an Unknown naming both otherwise: the verdict would depend on the one ttgate picked.
    """
    value = mapping.values.get("function_name")
    found = find_candidates(context.model, value, ("aws_lambda_function",), mapping.stack)
    if found is None:
        return Unknown(
            f"function_name {display(value)} names no Lambda function "
            "in the checked stacks of its environment"
        )
    if isinstance(found, Unknown) or len(found) == 1:
        return found if isinstance(found, Unknown) else found[0]
    timeouts = [
        number_or_default(function, "timeout", LAMBDA_DEFAULT_TIMEOUT, LAMBDA_TIMEOUT) for function in found
    ]
    if all(isinstance(timeout, (int, float)) for timeout in timeouts) and len(set(timeouts)) == 1:
        return found[0]
    return ambiguity(f"function_name {display(value)}", found)


def _finding(
    context: RuleContext,
    queue: Resource,
    function: Resource,
    mapping: Resource,
    visibility: float | int,
    timeout: float | int,
    window: float | int,
    required: float | int,
) -> Finding:
    multiplier = context.params["multiplier"]
    queue_name = resource_name(queue)
    function_name = resource_name(function)
    # "name (address in stack)", or just "address in stack" when the name is not known.
    queue_label = f"{queue_name} ({where(queue)})" if isinstance(queue_name, str) else where(queue)
    function_label = function_name if isinstance(function_name, str) else function.address
    set_how = "" if queue.is_set("visibility_timeout_seconds") else " (unset: the SQS default)"
    timeout_how = "" if function.is_set("timeout") else " (unset: the Lambda default)"
    formula = f"{display(multiplier)} × {seconds(timeout)}"
    if window:
        formula += f" + {seconds(window)} batching window"
    related: list[Related] = []
    timeout_at = function.location_of("timeout")
    if timeout_at is not None:
        note = f"consumer {function_label} ({where(function)}): timeout {seconds(timeout)}"
        related.append(Related(note, timeout_at))
    related += origin_notes(function, "timeout")
    if mapping.location is not None:
        related.append(Related(f"event source mapping {where(mapping)}", mapping.location))
    return context.finding(
        f"Queue {queue_label} has a visibility timeout of {seconds(visibility)}{set_how}, "
        f"but its consumer {function_label} ({function.stack.label}) may run for {seconds(timeout)}"
        f"{timeout_how}: it needs at least {formula} = {seconds(required)}. With less, a message "
        "becomes visible again while the first invocation is still working on it and is processed twice.",
        f"Set visibility_timeout_seconds to at least {display(required)} "
        f"on {queue.address}, or lower the function's timeout.",
        resource=queue,
        attribute="visibility_timeout_seconds",
        related=related,
        edit=_edit(context, queue, required),
    )


def _edit(context: RuleContext, queue: Resource, required: float | int) -> LiteralEdit | None:
    needed = math.ceil(required)
    if not SQS_VISIBILITY_TIMEOUT.accepts(needed):
        return None  # no visibility timeout AWS accepts is long enough: lower the function's timeout
    return literal_edit(context, queue, "visibility_timeout_seconds", needed)
