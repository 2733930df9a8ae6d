"""Data sources whose values follow from the AWS region alone.

``data.aws_partition.current.partition`` decides, in many public modules, whether a block or a log
group exists at all; it is "aws" in every commercial region. Knowing it statically turns a TG001 notice
into a real check. The region is the stack's provider region when it is a literal, else the policy's.
"""

from __future__ import annotations

from typing import Any

_PARTITIONS = (  # region prefix -> (partition, DNS suffix)
    ("cn-", "aws-cn", "amazonaws.com.cn"),
    ("us-gov-", "aws-us-gov", "amazonaws.com"),
    ("us-iso-", "aws-iso", "c2s.ic.gov"),
    ("us-isob-", "aws-iso-b", "sc2s.sgov.gov"),
)


def partition_of(region: str) -> tuple[str, str]:
    for prefix, partition, suffix in _PARTITIONS:
        if region.startswith(prefix):
            return partition, suffix
    return "aws", "amazonaws.com"


def region_data(data_type: str, attribute: str, region: str) -> Any | None:
    """The value of ``data.<data_type>.*.<attribute>`` in ``region``, or None when it does not follow."""
    partition, dns_suffix = partition_of(region)
    if data_type == "aws_partition":
        return {"partition": partition, "dns_suffix": dns_suffix, "id": partition}.get(attribute)
    if data_type == "aws_region":
        return {"name": region, "region": region, "id": region}.get(attribute)
    return None
