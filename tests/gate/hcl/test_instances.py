"""count and for_each: what Terraform plans is expanded (or stands as one template instance when its
number or keys are unknown); only what Terraform refuses is a TG000."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import check, load, write_tree
from ttgate.gate.values import Unknown

ZONES = """
variable "zones" {
  type = set(string)
}

data "aws_route53_zone" "p" {
  for_each     = var.zones
  name         = "example.com"
  private_zone = true
}

resource "aws_route53_zone_association" "a" {
  for_each = data.aws_route53_zone.p
  vpc_id   = "vpc-1"
  zone_id  = each.value.name
}
"""


def test_for_each_over_instances_with_unknown_keys_is_planned_not_refused(tmp_path: Path) -> None:
    # ministryofjustice/modernisation-platform modules/dns-zone-extend-private/main.tf:10
    write_tree(tmp_path, {"main.tf": ZONES})
    assert [f.message for f in check(tmp_path) if f.rule == "TG000"] == []
    [association] = [
        r for r in load(tmp_path).stacks[0].resources if r.type == "aws_route53_zone_association"
    ]
    assert isinstance(association.present, Unknown)
    assert association.present.reason.startswith("for_each = data.aws_route53_zone.p has unknown keys: ")
    # each.value is the other block's template instance: what it configures is known
    assert association.values["zone_id"] == "example.com"


def test_a_for_expression_over_such_instances_is_unknown_with_its_reason(tmp_path: Path) -> None:
    ids = "{ for key, zone in data.aws_route53_zone.p : key => zone.name }"
    write_tree(tmp_path, {"main.tf": ZONES.replace("data.aws_route53_zone.p\n", ids + "\n", 1)})
    assert [f.message for f in check(tmp_path) if f.rule == "TG000"] == []
    [association] = [
        r for r in load(tmp_path).stacks[0].resources if r.type == "aws_route53_zone_association"
    ]
    assert isinstance(association.present, Unknown)
    assert "var.zones has no default" in association.present.reason
    assert "object at 0x" not in association.present.reason


def test_for_each_over_counted_instances_is_still_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": ZONES.replace("for_each     = var.zones", "count = length(var.zones)")})
    refused = [f for f in check(tmp_path) if f.rule == "TG000"]
    assert [(f.location.line, "needs a map or a set" in f.message) for f in refused] == [(12, True)]
