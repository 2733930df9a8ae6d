"""References to resources, data sources and module calls a root never declares: TG000 in
Terraform's words ("Reference to undeclared resource"), and nothing on what Terraform accepts."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import load, write_tree

UNDECLARED = """
provider "aws" {}

module "api" {
  source = "./api"
  vpc    = data.terraform_remote_state.network.outputs.vpc
}

resource "aws_sqs_queue" "q" {
  name = "q-${aws_lambda_function.worker.function_name}"
}

output "x" {
  value = module.missing.id
}
"""


def problems(root: Path) -> list[tuple[str, int, str]]:
    return [(p.location.file, p.location.line, p.message) for p in load(root).problems]


def test_undeclared_references_in_a_root_are_terraforms_errors(tmp_path: Path) -> None:
    # nekochans 21-api/main.tf reads data.terraform_remote_state.* that no file declares
    write_tree(tmp_path, {"app/main.tf": UNDECLARED, "app/api/main.tf": 'variable "vpc" {}\n'})

    assert problems(tmp_path) == [
        (
            "app/main.tf",
            5,
            'Reference to undeclared resource: A data resource "terraform_remote_state" "network" has not '
            "been declared in the root module",
        ),
        (
            "app/main.tf",
            9,
            'Reference to undeclared resource: A managed resource "aws_lambda_function" "worker" has not '
            "been declared in the root module",
        ),
        (
            "app/main.tf",
            13,
            'Reference to undeclared module: No module call named "missing" is declared in the root module',
        ),
    ]


ACCEPTED = """
provider "aws" {}

variable "rules" {
  default = []
}

data "aws_caller_identity" "me" {}

resource "aws_security_group" "sg" {
  name = "sg-${data.aws_caller_identity.me.account_id}"
  dynamic "ingress_rule" {
    for_each = var.rules
    content {
      from_port = ingress_rule.value.port
    }
  }
  dynamic "egress" {
    for_each = var.rules
    iterator = out_rule
    content {
      to_port = out_rule.value.port
    }
  }
  tags = { for tag_name, tag_value in var.rules : tag_name => tag_value }
  description = "%{for rule_item in var.rules}${rule_item.name}%{endfor}"
  lifecycle {
    ignore_changes = [default_action.target_group_arn, tags]
  }
}

resource "aws_instance" "web" {
  count = 2
  ami   = "ami-${count.index}"
  tags  = { peer = aws_instance.web[0].id, all = join(",", aws_instance.web.*.id) }
}

output "rule" {
  value = resource.aws_instance.web
}

moved {
  from = aws_instance.old_web
  to   = aws_instance.web
}

check "health" {
  data "http" "site" {
    url = "https://example.com"
  }
  assert {
    condition     = data.http.site.status_code == 200
    error_message = "down"
  }
}
"""


def test_what_terraform_accepts_is_not_reported(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/main.tf": ACCEPTED})

    assert problems(tmp_path) == []


def test_module_directories_and_terragrunt_units_are_not_judged(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            # a module evaluated only through its call: its caller's view decides, not this pass
            "app/main.tf": 'provider "aws" {}\nmodule "m" {\n  source = "../modules/m"\n}\n',
            "modules/m/main.tf": 'output "x" {\n  value = data.terraform_remote_state.net.outputs.x\n}\n',
            # a Terragrunt unit: its generate blocks may write files ttgate cannot see
            "live/unit/terragrunt.hcl": "inputs = {}\n",
            "live/unit/main.tf": 'provider "aws" {}\noutput "x" {\n  value = data.aws_vpc.generated.id\n}\n',
        },
    )

    assert problems(tmp_path) == []


def test_a_root_with_a_file_terraform_rejects_is_not_judged_again(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "app/main.tf": 'provider "aws" {}\noutput "x" {\n  value = aws_s3_bucket.b.id\n}\n',
            "app/broken.tf": 'resource "aws_s3_bucket" "b" {\n',
        },
    )

    found = problems(tmp_path)

    assert [file for file, _, _ in found] == ["app/broken.tf"]


def test_provider_configurations_are_not_resource_references(tmp_path: Path) -> None:
    # the first corpus run: `provider = aws.us_east_1` read as a managed resource "aws" "us_east_1"
    write_tree(
        tmp_path,
        {
            "app/main.tf": """
                provider "aws" {
                  alias  = "us_east_1"
                  region = "us-east-1"
                }
                resource "aws_acm_certificate" "c" {
                  provider    = aws.us_east_1
                  domain_name = "example.com"
                }
                module "m" {
                  source    = "./m"
                  providers = { aws = aws.us_east_1 }
                }
            """,
            "app/m/main.tf": "",
        },
    )

    assert problems(tmp_path) == []
