"""An account in moto's server holding what examples/passing declares for one environment, and the
drift the tests plant in it: what a team's dev account looks like after `terraform apply`, then a day
of incidents."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Collection
from typing import Any

import boto3

from tests.operations.aws_backend import REGION

PASSING = "examples/passing"
DRIFT = ("alarm-deleted", "visibility-lowered", "retention-removed", "timeout-raised")


def clients(endpoint: str) -> dict[str, Any]:
    settings = {"endpoint_url": endpoint, "region_name": REGION}
    return {name: boto3.client(name, **settings) for name in ("sqs", "lambda", "cloudwatch", "logs", "iam")}


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return None\n")
    return buffer.getvalue()


def put_alarm(cloudwatch: Any, name: str, **settings: Any) -> None:
    """A metric alarm: by default a DLQ's as the runbook wants it (threshold 1, period 60, one period)."""
    cloudwatch.put_metric_alarm(
        **{
            "AlarmName": name,
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Statistic": "Maximum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            **settings,
        }
    )


def seed(endpoint: str, env: str = "dev", drift: Collection[str] = ()) -> dict[str, str]:
    """The environment's resources as examples/passing declares them, with ``drift`` planted: the DLQ's
    alarm deleted, the main queue's visibility timeout lowered, the worker's log group retention
    removed, the api-server's timeout raised. Returns the ARNs by short name."""
    aws = clients(endpoint)
    prefix = f"tt-practice-{env}"
    dlq_url = aws["sqs"].create_queue(
        QueueName=f"{prefix}-main-dlq", Attributes={"MessageRetentionPeriod": "1209600"}
    )["QueueUrl"]
    dlq_arn = aws["sqs"].get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    visibility = "100" if "visibility-lowered" in drift else "365"
    main_url = aws["sqs"].create_queue(
        QueueName=f"{prefix}-main-queue",
        Attributes={
            "VisibilityTimeout": visibility,
            "MessageRetentionPeriod": "345600",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}),
        },
    )["QueueUrl"]
    main_arn = aws["sqs"].get_queue_attributes(QueueUrl=main_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    if "alarm-deleted" not in drift:
        dimensions = [{"Name": "QueueName", "Value": f"{prefix}-main-dlq"}]
        put_alarm(aws["cloudwatch"], f"{prefix}-main-dlq-messages-alarm", Dimensions=dimensions)
    role = aws["iam"].create_role(RoleName=f"{prefix}-lambda", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    timeouts = {"worker": 60, "api-server": 120 if "timeout-raised" in drift else 30}
    arns = {"main-queue": main_arn, "main-dlq": dlq_arn}
    for name, timeout in timeouts.items():
        arns[name] = aws["lambda"].create_function(
            FunctionName=f"{prefix}-{name}",
            Runtime="python3.12",
            Role=role,
            Handler="handler.handle",
            Code={"ZipFile": _code()},
            Timeout=timeout,
        )["FunctionArn"]
        group = f"/aws/lambda/{prefix}-{name}"
        aws["logs"].create_log_group(logGroupName=group)
        if not (name == "worker" and "retention-removed" in drift):
            aws["logs"].put_retention_policy(logGroupName=group, retentionInDays=14)
    aws["lambda"].create_event_source_mapping(
        EventSourceArn=main_arn,
        FunctionName=f"{prefix}-worker",
        BatchSize=10,
        MaximumBatchingWindowInSeconds=5,
    )
    return arns


def seed_many(endpoint: str, queues: int, functions: int, alarms: int, log_groups: int) -> None:
    """Unrelated resources in bulk (another team's, or this one at scale): compliant, no drift, named
    outside the audited environment's prefix."""
    aws = clients(endpoint)
    role = aws["iam"].create_role(RoleName="bulk-lambda", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    for number in range(queues):
        aws["sqs"].create_queue(QueueName=f"other-team-q{number:04d}")
    for number in range(functions):
        aws["lambda"].create_function(
            FunctionName=f"other-team-f{number:04d}",
            Runtime="python3.12",
            Role=role,
            Handler="handler.handle",
            Code={"ZipFile": _code()},
        )
    for number in range(alarms):
        cpu = {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "Statistic": "Average"}
        put_alarm(aws["cloudwatch"], f"other-team-a{number:04d}", **cpu, Threshold=90, Period=300)
    for number in range(log_groups):
        # The functions' own log groups first (TG302 wants one each), then others; 14 days, the policy's.
        name = f"/aws/lambda/other-team-f{number:04d}" if number < functions else f"/other-team/g{number:04d}"
        aws["logs"].create_log_group(logGroupName=name)
        aws["logs"].put_retention_policy(logGroupName=name, retentionInDays=14)
