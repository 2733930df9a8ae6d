"""Wall time of `ttgate check --plan` on one big generated plan (issue 10: lookups must not be linear).

    python benchmarks/bench_big_plan.py [--megabytes 100] [--runs 1] [--write PLAN]

Writes, in a temporary directory, a `terraform show -json` plan of the 20_infra/dev stack with as many
services as it takes to reach the size: per service an SQS queue and its DLQ (redrive policy by ARN),
a Lambda function with its log group, an event source mapping (queue ARN, function name) and a DLQ
alarm, each in planned_values, resource_changes and the configuration. Then times
`ttgate check --plan 20_infra/dev=PLAN --format json:/dev/null` and prints the size, the resource
count, and the wall and CPU (user + sys) seconds and the peak memory of each run: on a shared machine the
CPU time is the steadier number. ``--write PLAN`` only writes the plan there (written a resource at a
time, so a plan past ttgate's size bound costs no memory to make).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "ap-southeast-1"
PROJECT = "tt-practice"


def _service(index: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(type, name, values) of one service's resources."""
    base = f"{PROJECT}-dev-svc{index:06d}"
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{base}-queue"
    dlq_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{base}-dlq"
    function = f"{base}"
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})
    return [
        (
            "aws_sqs_queue",
            f"q{index}",
            {
                "name": f"{base}-queue",
                "arn": queue_arn,
                "visibility_timeout_seconds": 360,
                "message_retention_seconds": 345600,
                "redrive_policy": redrive,
                "tags": {"Service": base, "Environment": "dev"},
            },
        ),
        (
            "aws_sqs_queue",
            f"dlq{index}",
            {
                "name": f"{base}-dlq",
                "arn": dlq_arn,
                "message_retention_seconds": 1209600,
                "visibility_timeout_seconds": 30,
                "tags": {"Service": base, "Environment": "dev"},
            },
        ),
        (
            "aws_lambda_function",
            f"fn{index}",
            {
                "function_name": function,
                "timeout": 60,
                "memory_size": 256,
                "runtime": "python3.12",
                "handler": "app.handler",
                "arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}",
                "environment": [
                    {"variables": {"QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{base}"}}
                ],
            },
        ),
        (
            "aws_cloudwatch_log_group",
            f"logs{index}",
            {
                "name": f"/aws/lambda/{function}",
                "retention_in_days": 30,
            },
        ),
        (
            "aws_lambda_event_source_mapping",
            f"esm{index}",
            {
                "event_source_arn": queue_arn,
                "function_name": function,
                "batch_size": 10,
                "maximum_batching_window_in_seconds": 0,
            },
        ),
        (
            "aws_cloudwatch_metric_alarm",
            f"alarm{index}",
            {
                "alarm_name": f"{base}-dlq-messages-alarm",
                "namespace": "AWS/SQS",
                "metric_name": "ApproximateNumberOfMessagesVisible",
                "comparison_operator": "GreaterThanThreshold",
                "threshold": 0,
                "evaluation_periods": 1,
                "period": 300,
                "statistic": "Sum",
                "dimensions": {"QueueName": f"{base}-dlq"},
            },
        ),
    ]


def _entries(index: int) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(planned value, resource change, configuration) of each of one service's resources."""
    for resource_type, name, values in _service(index):
        address = f"{resource_type}.{name}"
        planned = {
            "address": address,
            "mode": "managed",
            "type": resource_type,
            "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "schema_version": 0,
            "values": values,
            "sensitive_values": {},
        }
        change = {
            "address": address,
            "mode": "managed",
            "type": resource_type,
            "name": name,
            "change": {
                "actions": ["no-op"],
                "before": values,
                "after": values,
                "after_unknown": {},
                "before_sensitive": {},
                "after_sensitive": {},
            },
        }
        expressions: dict[str, Any] = {key: {"constant_value": value} for key, value in values.items()}
        if resource_type == "aws_lambda_event_source_mapping":
            expressions["event_source_arn"] = {"references": [f"aws_sqs_queue.q{index}.arn"]}
            expressions["function_name"] = {"references": [f"aws_lambda_function.fn{index}.function_name"]}
        configured = {
            "address": address,
            "mode": "managed",
            "type": resource_type,
            "name": name,
            "provider_config_key": "aws",
            "expressions": expressions,
            "schema_version": 0,
        }
        yield planned, change, configured


def write_plan(path: Path, megabytes: float) -> int:
    """Write the plan, one resource at a time (a 555 MB plan is written in little memory); return its
    resource count."""
    services = 0
    size = 0
    while size < megabytes * 1_000_000:  # the size of the three sections together, estimated
        size += sum(3 * len(json.dumps(entry[0]["values"])) + 900 for entry in _entries(services))
        services += 1
    with path.open("w", encoding="utf-8") as stream:
        stream.write('{"format_version": "1.2", "terraform_version": "1.9.8", ')
        for section, (opening, closing) in enumerate(
            [
                ('"planned_values": {"root_module": {"resources": [', "]}}, "),
                ('"resource_changes": [', "], "),
                ('"configuration": {"root_module": {"resources": [', "]}}}"),
            ]
        ):
            stream.write(opening)
            first = True
            for index in range(services):
                for entry in _entries(index):
                    stream.write(("" if first else ", ") + json.dumps(entry[section]))
                    first = False
            stream.write(closing)
    return services * len(_service(0))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _children_peak_mib() -> int:
    """The largest peak resident memory of the runs so far (Linux counts KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=100)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--write", type=Path, help="only write the plan to this file")
    arguments = parser.parse_args()
    if arguments.write is not None:
        resources = write_plan(arguments.write, arguments.megabytes)
        print(f"plan: {arguments.write.stat().st_size / 1e6:.1f} MB, {resources} resources")
        return 0
    source = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": str(source)}
    with tempfile.TemporaryDirectory() as workdir:
        plan = Path(workdir) / "infra.json"
        resources = write_plan(plan, arguments.megabytes)
        print(f"plan: {plan.stat().st_size / 1e6:.1f} MB, {resources} resources")
        for run in range(arguments.runs):
            started, cpu_before = time.perf_counter(), _children_cpu()
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "ttgate",
                    "check",
                    "--plan",
                    f"20_infra/dev={plan}",
                    "--format",
                    "json:/dev/null",
                    "--fail-on",
                    "never",
                ],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
            print(
                f"run {run + 1}: {elapsed:.2f} s wall, {cpu:.2f} s CPU, peak {_children_peak_mib():,} MiB "
                f"(exit {result.returncode}) "
                f"{result.stderr.strip()[:200]}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
