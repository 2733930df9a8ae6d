"""The inventory reader on its own, through botocore's Stubber: every page of every list is read (moto's
server answers Lambda and CloudWatch in one page, so the pages are scripted here), and a queue deleted
between the list and its read is skipped."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ttgate.integrations.aws_inventory import InventoryReader

REGION = "ap-southeast-1"
ARN = "arn:aws:sqs:ap-southeast-1:123456789012:"
U1, U2 = "6d0c1b6e-0000-4000-8000-000000000001", "6d0c1b6e-0000-4000-8000-000000000002"


class StubbedAws:
    """What InventoryReader needs of :class:`ttgate.integrations.aws.Aws`: one client per service."""

    def __init__(self) -> None:
        settings = {"region_name": REGION, "aws_access_key_id": "t", "aws_secret_access_key": "t"}
        self.clients = {
            name: boto3.client(name, **settings) for name in ("sqs", "lambda", "cloudwatch", "logs")
        }
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}

    def client(self, service: str) -> Any:
        return self.clients[service]

    def region_name(self) -> str:
        return REGION


def queue_page(urls: list[str], token: str | None) -> dict[str, Any]:
    return {"QueueUrls": urls, **({"NextToken": token} if token else {})}


@pytest.fixture
def aws() -> StubbedAws:
    return StubbedAws()


def test_every_page_of_every_list_is_read(aws: StubbedAws) -> None:
    sqs, lam, cw, logs = (aws.stubs[name] for name in ("sqs", "lambda", "cloudwatch", "logs"))
    url = "https://sqs.ap-southeast-1.amazonaws.com/123456789012/"
    sqs.add_response("list_queues", queue_page([url + "a"], "t1"), {"MaxResults": 1000})
    sqs.add_response("list_queues", queue_page([url + "b"], None), {"MaxResults": 1000, "NextToken": "t1"})
    for name in ("a", "b"):
        sqs.add_response(
            "get_queue_attributes",
            {"Attributes": {"QueueArn": ARN + name, "VisibilityTimeout": "30"}},
            {"QueueUrl": url + name, "AttributeNames": ["All"]},
        )
    lam.add_response("list_functions", {"Functions": [{"FunctionName": "f1"}], "NextMarker": "m"}, {})
    lam.add_response("list_functions", {"Functions": [{"FunctionName": "f2"}]}, {"Marker": "m"})
    lam.add_response(
        "list_event_source_mappings", {"EventSourceMappings": [{"UUID": U1}], "NextMarker": "m"}, {}
    )
    lam.add_response("list_event_source_mappings", {"EventSourceMappings": [{"UUID": U2}]}, {"Marker": "m"})
    cw.add_response(
        "describe_alarms",
        {"MetricAlarms": [{"AlarmName": "a1"}], "NextToken": "n"},
        {"AlarmTypes": ["MetricAlarm"]},
    )
    cw.add_response(
        "describe_alarms",
        {"MetricAlarms": [{"AlarmName": "a2"}]},
        {"AlarmTypes": ["MetricAlarm"], "NextToken": "n"},
    )
    logs.add_response("describe_log_groups", {"logGroups": [{"logGroupName": "g1"}], "nextToken": "n"}, {})
    logs.add_response("describe_log_groups", {"logGroups": [{"logGroupName": "g2"}]}, {"nextToken": "n"})
    for stub in aws.stubs.values():
        stub.activate()
    inventory = InventoryReader(aws).read()  # type: ignore[arg-type]
    for stub in aws.stubs.values():
        stub.assert_no_pending_responses()
    assert [q["Attributes"]["QueueArn"] for q in inventory.queues] == [ARN + "a", ARN + "b"]
    assert [f["FunctionName"] for f in inventory.functions] == ["f1", "f2"]
    assert [m["UUID"] for m in inventory.mappings] == [U1, U2]
    assert [a["AlarmName"] for a in inventory.alarms] == ["a1", "a2"]
    assert [g["logGroupName"] for g in inventory.log_groups] == ["g1", "g2"]
    assert inventory.complete and sum(inventory.calls.values()) == 12


def test_a_queue_deleted_between_the_list_and_its_read_is_skipped(aws: StubbedAws) -> None:
    sqs = aws.stubs["sqs"]
    url = "https://sqs.ap-southeast-1.amazonaws.com/123456789012/"
    sqs.add_response("list_queues", queue_page([url + "gone", url + "here"], None))
    sqs.add_client_error(
        "get_queue_attributes", "AWS.SimpleQueueService.NonExistentQueue", http_status_code=400
    )
    sqs.add_response("get_queue_attributes", {"Attributes": {"QueueArn": ARN + "here"}})
    for name in ("lambda", "cloudwatch", "logs"):
        aws.stubs[name].add_client_error(
            {"lambda": "list_functions", "cloudwatch": "describe_alarms", "logs": "describe_log_groups"}[
                name
            ],
            "AccessDeniedException",
            http_status_code=403,
        )
    aws.stubs["lambda"].add_client_error(
        "list_event_source_mappings", "AccessDeniedException", http_status_code=403
    )
    for stub in aws.stubs.values():
        stub.activate()
    inventory = InventoryReader(aws).read()  # type: ignore[arg-type]
    assert [q["Attributes"]["QueueArn"] for q in inventory.queues] == [ARN + "here"]
    assert inventory.denied == [
        "lambda:ListFunctions",
        "lambda:ListEventSourceMappings",
        "cloudwatch:DescribeAlarms",
        "logs:DescribeLogGroups",
    ]
    assert inventory.services_read() == {"sqs"}
