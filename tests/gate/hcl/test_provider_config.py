"""``data.aws_default_tags`` and ``data.aws_region``: their provider's configuration, through module
``providers`` maps."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import load, write_tree
from ttgate.gate.values import Unknown

ROOT = """
locals {
  tags = { account-name = "dev" }
}

provider "aws" {
  default_tags {
    tags = local.tags
  }
}

provider "aws" {
  alias  = "west"
  region = "eu-west-2"
  default_tags {
    tags = { account-name = "west" }
  }
}

data "aws_default_tags" "current" {}

resource "aws_cloudwatch_log_group" "g" {
  name              = "${data.aws_default_tags.current.tags.account-name}-resolver-logs"
  retention_in_days = 400
}

module "region" {
  source = "./region"
  providers = {
    aws.region = aws.west
  }
}

module "inherits" {
  source = "./inherits"
}
"""
REGION = """
data "aws_default_tags" "current" {
  provider = aws.region
}

data "aws_default_tags" "missing" {
  provider = aws.global
}

data "aws_region" "current" {
  provider = aws.region
}

resource "aws_cloudwatch_log_group" "g" {
  name              = "${data.aws_default_tags.current.tags.account-name}-${data.aws_region.current.region}"
  retention_in_days = 400
}

resource "aws_cloudwatch_log_group" "m" {
  name              = "${data.aws_default_tags.missing.tags.account-name}-missing-logs"
  retention_in_days = 400
}
"""
INHERITS = """
data "aws_default_tags" "current" {}

resource "aws_cloudwatch_log_group" "g" {
  name              = "${data.aws_default_tags.current.tags.account-name}-inherited-logs"
  retention_in_days = 400
}
"""


def test_default_tags_and_region_are_those_of_the_data_sources_provider(tmp_path: Path) -> None:
    # ministryofjustice/opg-modernising-lpa terraform/account/region/route53_resolver_query_logs.tf:3
    write_tree(tmp_path, {"main.tf": ROOT, "region/main.tf": REGION, "inherits/main.tf": INHERITS})
    names = {r.address: r.values["name"] for r in load(tmp_path).stacks[0].resources if "name" in r.values}
    assert names["aws_cloudwatch_log_group.g"] == "dev-resolver-logs"
    assert names["module.region.aws_cloudwatch_log_group.g"] == "west-eu-west-2"
    assert names["module.inherits.aws_cloudwatch_log_group.g"] == "dev-inherited-logs"
    missing = names["module.region.aws_cloudwatch_log_group.m"]
    assert isinstance(missing, Unknown)
    assert "module.region does not pass provider aws.global" in missing.reason


def test_a_provider_without_default_tags_gives_no_tags(tmp_path: Path) -> None:
    main = """
    provider "aws" {}

    data "aws_default_tags" "t" {}

    resource "aws_cloudwatch_log_group" "g" {
      name              = "${lookup(data.aws_default_tags.t.tags, "team", "none")}-logs"
      retention_in_days = 400
    }
    """
    write_tree(tmp_path, {"main.tf": main})
    [group] = [r for r in load(tmp_path).stacks[0].resources if r.type == "aws_cloudwatch_log_group"]
    assert group.values["name"] == "none-logs"
