"""Data sources that follow from the region: aws_partition and aws_region."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import findings, stack, write_tree
from ttgate.gate.hcl.regions import partition_of

GROUP_BEHIND_PARTITION = """
data "aws_partition" "current" {}
data "aws_region" "current" {}

resource "aws_cloudwatch_log_group" "audit" {
  count             = data.aws_partition.current.partition == "aws" ? 1 : 0
  name              = "/aws/lambda/tt-practice-dev-audit-${data.aws_region.current.name}"
  retention_in_days = 10
}
"""


@pytest.mark.parametrize(
    ("region", "partition"),
    [("ap-southeast-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
def test_partition_of_region(region: str, partition: str) -> None:
    assert partition_of(region)[0] == partition


def test_partition_and_region_come_from_the_policy_region(tmp_path: Path) -> None:
    root = write_tree(tmp_path, stack("30_app", "dev", main=GROUP_BEHIND_PARTITION))
    [finding] = findings("TG301", root)  # the group exists in the commercial partition: checked, not TG001
    assert "/aws/lambda/tt-practice-dev-audit-ap-southeast-1" in finding.message
    assert findings("TG001", root) == []


def test_a_provider_region_in_another_partition_is_used(tmp_path: Path) -> None:
    files = stack("30_app", "dev", main=GROUP_BEHIND_PARTITION)
    backend = next(name for name in files if name.endswith("backend.tf"))
    files[backend] = files[backend].replace('region = "ap-southeast-1"\n}', 'region = "cn-north-1"\n}')
    assert findings("TG301", write_tree(tmp_path, files)) == []  # count = 0 in aws-cn: no log group
