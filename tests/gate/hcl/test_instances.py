"""count and for_each: what Terraform plans is expanded (or stands as one template instance when its
number or keys are unknown); only what Terraform refuses is a TG000."""

from __future__ import annotations

from pathlib import Path

import pytest

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


SUBNETS = """
variable "amount" {
  type    = number
  default = null
}

variable "names" {
  type    = list(string)
  default = null
}

locals {
  names = toset(var.names)
}

resource "aws_subnet" "counted" {
  count      = var.amount
  vpc_id     = "vpc-1"
  cidr_block = "10.0.0.0/24"
}

resource "aws_subnet" "named" {
  for_each   = local.names
  vpc_id     = "vpc-1"
  cidr_block = "10.0.1.0/24"
}
"""


def test_a_null_count_or_for_each_from_an_unset_variable_is_unknown_not_refused(tmp_path: Path) -> None:
    # tonygyerr/terraform-aws-vpc subnet.tf, cloudposse/terraform-aws-components modules/dns-primary:
    # the module's caller sets the variables
    write_tree(tmp_path, {"modules/subnets/main.tf": SUBNETS})
    assert [f.message for f in check(tmp_path) if f.rule == "TG000"] == []
    present = {r.address: r.present for r in load(tmp_path).stacks[0].resources}
    counted = present["aws_subnet.counted"]
    assert isinstance(counted, Unknown) and counted.reason == (
        "count = var.amount cannot be evaluated: no caller or tfvars file sets var.amount, and its "
        "default gives null"
    )
    named = present["aws_subnet.named"]
    assert isinstance(named, Unknown) and "no caller or tfvars file sets var.names" in named.reason


@pytest.mark.parametrize(
    ("meta", "caller"),
    [
        ("count = null", ""),
        ("count = -1", ""),
        ("for_each = null", ""),
        ("count = var.amount", "  amount = null\n"),  # the caller sets it null: Terraform refuses that
    ],
)
def test_a_count_or_for_each_the_configuration_itself_makes_null_is_still_refused(
    tmp_path: Path, meta: str, caller: str
) -> None:
    module = SUBNETS.replace("count      = var.amount", meta)
    root = 'module "subnets" {\n  source = "./modules/subnets"\n' + caller + "}\n"
    write_tree(tmp_path, {"main.tf": root, "modules/subnets/main.tf": module})
    refused = [f for f in check(tmp_path) if f.rule == "TG000"]
    assert [(f.location.file, f.location.line) for f in refused] == [("modules/subnets/main.tf", 16)]
    assert "Terraform refuses to plan this block" in refused[0].message


@pytest.mark.parametrize(
    ("data_meta", "for_each"),
    [
        ("count = 2", "data.aws_route53_zone.p"),  # a tuple of instances: objects, not strings
        ("for_each = var.zones", "[null]"),
        ("for_each = var.zones", '[{ a = "b" }]'),
    ],
)
def test_for_each_over_objects_or_null_is_refused_with_no_python_name(
    tmp_path: Path, data_meta: str, for_each: str
) -> None:
    tree = ZONES.replace("for_each     = var.zones", data_meta)
    tree = tree.replace("for_each = data.aws_route53_zone.p", f"for_each = {for_each}")
    write_tree(tmp_path, {"main.tf": tree})
    refused = [f for f in check(tmp_path) if f.rule == "TG000"]
    assert [(f.location.line, "needs a map or a set" in f.message) for f in refused] == [(12, True)]
    assert "Object" not in refused[0].message
