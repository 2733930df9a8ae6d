"""Loading HCL trees into the model: stacks, variables, modules, count/for_each, remote state, cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import check, load, policy_for, stack, summary, write_tree
from tests.snippets import event_source_mapping, remote_state
from ttgate.gate.hcl.loader import load_hcl
from ttgate.gate.hcl.parse import Parser, default_cache_dir
from ttgate.gate.model import Model, Resource, Stack
from ttgate.gate.values import Invalid, Unknown, is_sensitive

INFRA_DEV = "practice/deploy/20_infra/environments/dev"
APP_DEV = "practice/deploy/30_app/environments/dev"


def stack_named(model: Model, name: str) -> Stack:
    return next(s for s in model.stacks if s.name == name)


def resource(model: Model, address: str, stack_name: str = INFRA_DEV) -> Resource:
    found = [r for r in stack_named(model, stack_name).resources if r.address == address]
    assert len(found) == 1, [r.address for r in stack_named(model, stack_name).resources]
    return found[0]


def addresses(model: Model, stack_name: str = INFRA_DEV) -> list[str]:
    return sorted(r.address for r in stack_named(model, stack_name).resources)


def queue_values(tmp_path: Path, main: str, **extra: str) -> dict[str, Any]:
    write_tree(tmp_path, stack("20_infra", "dev", main, **extra))
    return resource(load(tmp_path), "aws_sqs_queue.q").values


# --- root stacks -----------------------------------------------------------------------------


def test_roots_are_directories_with_a_backend_or_provider_or_no_caller(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **stack("20_infra", "dev"),
            "practice/deploy/30_app/environments/prod/providers.tf": 'provider "aws" {\n  region = "x"\n}\n',
            "practice/deploy/20_infra/modules/sqs/main.tf": 'resource "aws_sqs_queue" "q" {}\n',
            "practice/deploy/10_core/environments/dev/main.tf": 'resource "aws_kms_key" "k" {}\n',
        },
    )
    model = load(tmp_path)
    assert sorted((s.name, s.layer, s.env, s.role) for s in model.stacks) == [
        # resources and no provider block: Terraform configures the provider itself
        ("practice/deploy/10_core/environments/dev", "10_core", "dev", "root"),
        (INFRA_DEV, "20_infra", "dev", "root"),
        # a module no root calls: checked as a root, with its defaults and unknown inputs
        ("practice/deploy/20_infra/modules/sqs", None, None, "module"),
        ("practice/deploy/30_app/environments/prod", "30_app", "prod", "root"),
    ]
    assert model.directories == {
        "practice/deploy/10_core/environments/dev": "root",
        INFRA_DEV: "root",
        "practice/deploy/20_infra/modules/sqs": "module no root calls, checked as a root",
        "practice/deploy/30_app/environments/prod": "root",
    }
    infra = stack_named(model, INFRA_DEV)
    assert infra.backend is not None
    assert infra.backend.type == "s3"
    assert infra.backend.config["key"] == "infra/terraform.tfstate"
    assert infra.location is not None
    assert (infra.location.file, infra.location.line) == (f"{INFRA_DEV}/backend.tf", 2)


def test_stack_outside_the_layout_has_no_layer(tmp_path: Path) -> None:
    write_tree(tmp_path, {"sandbox/main.tf": 'provider "aws" {}\n'})
    (only,) = load(tmp_path).stacks
    assert (only.name, only.layer, only.env, only.label) == ("sandbox", None, None, "sandbox")


# --- variables -------------------------------------------------------------------------------

PRECEDENCE_MAIN = "".join(f'variable "{n}" {{\n  default = "default"\n}}\n' for n in "abcdef") + (
    'resource "aws_sqs_queue" "q" {\n' + "".join(f"  {n} = var.{n}\n" for n in "abcdef") + "}\n"
)


def test_variable_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_VAR_b", "env")
    monkeypatch.setenv("TF_VAR_c", "env")
    write_tree(
        tmp_path,
        stack(
            "20_infra",
            "dev",
            PRECEDENCE_MAIN,
            terraform__tfvars='c = "tfvars"\nd = "tfvars"\ne = "tfvars"\nf = "tfvars"\n',
            b__auto__tfvars='e = "b.auto"\nf = "b.auto"\n',
            a__auto__tfvars='d = "a.auto"\ne = "a.auto"\nf = "a.auto"\n',
        ),
    )
    write_tree(tmp_path, {"extra.tfvars": 'f = "var-file"\n'})
    model = load_hcl(
        [tmp_path], tmp_path, policy_for(tmp_path), Parser(None, 1), var_files=[tmp_path / "extra.tfvars"]
    )
    queue = resource(model, "aws_sqs_queue.q")
    assert queue.values == {
        "a": "default",
        "b": "env",
        "c": "tfvars",
        "d": "a.auto",
        "e": "b.auto",
        "f": "var-file",
    }
    # The job's values (TF_VAR_, --var-file) are secrets: marked, their origins not showing them.
    assert [origin.location.file for origin in queue.origins["f"]] == ["extra.tfvars", f"{INFRA_DEV}/main.tf"]
    assert [origin.description for origin in queue.origins["f"]] == ["var.f = (sensitive)"] * 2
    assert [name for name, value in queue.values.items() if is_sensitive(value)] == ["b", "f"]
    assert [origin.location.file for origin in queue.origins["e"]] == [f"{INFRA_DEV}/b.auto.tfvars"]


def test_tfvars_json(tmp_path: Path) -> None:
    values = queue_values(
        tmp_path,
        'variable "v" {}\nresource "aws_sqs_queue" "q" {\n  v = var.v\n}\n',
        terraform__tfvars__json='{"v": 120}',
    )
    assert values["v"] == 120


def test_number_type_converts_strings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_VAR_from_env", "60")
    values = queue_values(
        tmp_path,
        """
        variable "from_env" { type = number }
        variable "from_default" {
          type    = number
          default = "30"
        }
        variable "untyped" { default = "30" }
        variable "bad" {
          type    = number
          default = "soon"
        }
        resource "aws_sqs_queue" "q" {
          a = var.from_env
          b = var.from_default
          c = var.untyped
          d = var.bad
        }
        """,
    )
    assert (values["a"], values["b"], values["c"]) == (60, 30, "30")
    assert isinstance(values["d"], Invalid)


def test_variable_without_value_is_unknown(tmp_path: Path) -> None:
    values = queue_values(tmp_path, 'variable "v" {}\nresource "aws_sqs_queue" "q" {\n  v = var.v\n}\n')
    assert isinstance(values["v"], Unknown)
    assert "var.v" in values["v"].reason


# --- locals ----------------------------------------------------------------------------------


def test_locals_chain_and_cycle(tmp_path: Path) -> None:
    values = queue_values(
        tmp_path,
        """
        variable "env" { default = "dev" }
        locals {
          prefix = "tt-practice-${var.env}"
          name   = "${local.prefix}-main"
          full   = upper(local.name)
          a      = local.b
          b      = local.a
        }
        resource "aws_sqs_queue" "q" {
          name  = local.full
          cycle = local.a
          other = local.b
        }
        """,
    )
    assert values["name"] == "TT-PRACTICE-DEV-MAIN"
    assert isinstance(values["cycle"], Invalid)
    assert "refers to itself" in values["cycle"].reason
    assert isinstance(values["other"], Invalid)


# --- modules ---------------------------------------------------------------------------------

QUEUE_MODULE = {
    "practice/deploy/20_infra/modules/queue/main.tf": """
        variable "name" {}
        variable "visibility" { default = 30 }
        resource "aws_sqs_queue" "x" {
          name                       = "${var.name}-queue"
          visibility_timeout_seconds = var.visibility
        }
        output "arn" { value = aws_sqs_queue.x.arn }
        output "name" { value = aws_sqs_queue.x.name }
        """,
    "practice/deploy/20_infra/modules/messaging/main.tf": """
        variable "prefix" {}
        variable "visibility" {}
        module "queue" {
          source     = "../queue"
          name       = "${var.prefix}-main"
          visibility = var.visibility * 2
        }
        output "queue_arn" { value = module.queue.arn }
        """,
}


def test_module_arguments_two_levels_deep(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **QUEUE_MODULE,
            **stack(
                "20_infra",
                "dev",
                """
        variable "visibility" { default = 90 }
        module "messaging" {
          source     = "../../modules/messaging"
          prefix     = "tt-practice-dev"
          visibility = var.visibility
        }
        """,
                terraform__tfvars="visibility = 100\n",
            ),
        },
    )
    model = load(tmp_path)
    queue = resource(model, "module.messaging.module.queue.aws_sqs_queue.x")
    assert queue.values == {"name": "tt-practice-dev-main-queue", "visibility_timeout_seconds": 200}
    assert queue.location is not None
    assert (queue.location.file, queue.location.line) == ("practice/deploy/20_infra/modules/queue/main.tf", 3)
    assert queue.module_call is not None
    assert (queue.module_call.file, queue.module_call.line) == (f"{INFRA_DEV}/main.tf", 2)
    origins = [origin.description for origin in queue.origins["visibility_timeout_seconds"]]
    assert "var.visibility = 100" in origins
    assert any("module.queue argument visibility" in text for text in origins)


def test_module_count_and_for_each(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **QUEUE_MODULE,
            **stack(
                "20_infra",
                "dev",
                """
        module "q" {
          source = "../../modules/queue"
          count  = 2
          name   = "c${count.index}"
        }
        module "each" {
          source   = "../../modules/queue"
          for_each = { a = 10, b = 20 }
          name       = each.key
          visibility = each.value
        }
        module "none" {
          source = "../../modules/queue"
          count  = 0
          name   = "none"
        }
        """,
            ),
        },
    )
    model = load(tmp_path)
    assert addresses(model) == [
        'module.each["a"].aws_sqs_queue.x',
        'module.each["b"].aws_sqs_queue.x',
        "module.q[0].aws_sqs_queue.x",
        "module.q[1].aws_sqs_queue.x",
    ]
    assert resource(model, "module.q[1].aws_sqs_queue.x").values["name"] == "c1-queue"
    assert resource(model, 'module.each["b"].aws_sqs_queue.x').values["visibility_timeout_seconds"] == 20


def test_missing_local_module_is_its_own_finding_not_a_parse_problem(tmp_path: Path) -> None:
    write_tree(tmp_path, stack("20_infra", "dev", 'module "gone" {\n  source = "./nope"\n}\n'))
    assert check(tmp_path, "TG000") == []
    assert summary(check(tmp_path, "TG002")) == [("TG002", f"{INFRA_DEV}/main.tf", 1, "20_infra/dev")]


def test_registry_module_is_unknown(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        stack(
            "20_infra",
            "dev",
            """
        module "sqs" {
          source  = "terraform-aws-modules/sqs/aws"
          version = "4.0.0"
          name    = "x"
        }
        resource "aws_sqs_queue" "q" {
          redrive = module.sqs.queue_arn
        }
        output "arn" { value = module.sqs.queue_arn }
        """,
        ),
    )
    model = load(tmp_path)
    assert model.problems == []
    value = resource(model, "aws_sqs_queue.q").values["redrive"]
    assert isinstance(value, Unknown) and not isinstance(value, Invalid)
    assert "not a local path" in value.reason
    assert isinstance(stack_named(model, INFRA_DEV).outputs["arn"], Unknown)
    (call,) = stack_named(model, INFRA_DEV).module_calls
    assert (call.address, call.source, call.directory) == (
        "module.sqs",
        "terraform-aws-modules/sqs/aws",
        None,
    )


# --- count and for_each on resources ---------------------------------------------------------


def test_resource_count(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        stack(
            "20_infra",
            "dev",
            """
        variable "enabled" { default = false }
        variable "unset" {}
        resource "aws_sqs_queue" "zero" {
          count = 0
        }
        resource "aws_sqs_queue" "two" {
          count = 2
          name  = "q-${count.index}"
        }
        resource "aws_sqs_queue" "off" {
          count = var.enabled ? 1 : 0
        }
        resource "aws_sqs_queue" "on" {
          count = !var.enabled ? 1 : 0
        }
        resource "aws_sqs_queue" "maybe" {
          count = var.unset ? 1 : 0
          name  = "m"
        }
        """,
        ),
    )
    model = load(tmp_path)
    assert addresses(model) == [
        "aws_sqs_queue.maybe",
        "aws_sqs_queue.on[0]",
        "aws_sqs_queue.two[0]",
        "aws_sqs_queue.two[1]",
    ]
    assert resource(model, "aws_sqs_queue.two[1]").values["name"] == "q-1"
    assert resource(model, "aws_sqs_queue.on[0]").present is True
    maybe = resource(model, "aws_sqs_queue.maybe")
    assert isinstance(maybe.present, Unknown)
    assert "var.unset" in maybe.present.reason
    assert maybe.values["name"] == "m"


def test_resource_for_each(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        stack(
            "20_infra",
            "dev",
            """
        resource "aws_sqs_queue" "set" {
          for_each = toset(["a", "b"])
          name     = "s-${each.key}-${each.value}"
        }
        resource "aws_sqs_queue" "map" {
          for_each      = { x = 10, y = 20 }
          name          = each.key
          delay_seconds = each.value
        }
        resource "aws_sqs_queue" "ref" {
          name = aws_sqs_queue.map["y"].name
          all  = [for q in aws_sqs_queue.set : q.name]
        }
        """,
        ),
    )
    model = load(tmp_path)
    assert resource(model, 'aws_sqs_queue.set["b"]').values["name"] == "s-b-b"
    assert resource(model, 'aws_sqs_queue.map["x"]').values == {"name": "x", "delay_seconds": 10}
    assert resource(model, "aws_sqs_queue.ref").values == {"name": "y", "all": ["s-a-a", "s-b-b"]}


def test_nested_and_dynamic_blocks(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        stack(
            "20_infra",
            "dev",
            """
        resource "aws_security_group" "sg" {
          ingress {
            from_port = 1
          }
          ingress {
            from_port = 2
          }
          dynamic "egress" {
            for_each = [80, 443]
            content {
              from_port = egress.value
            }
          }
          dynamic "tag" {
            for_each = { team = "red" }
            iterator = t
            content {
              key   = t.key
              value = t.value
            }
          }
          lifecycle {
            create_before_destroy = true
          }
        }
        """,
        ),
    )
    values = resource(load(tmp_path), "aws_security_group.sg").values
    assert values == {
        "ingress": [{"from_port": 1}, {"from_port": 2}],
        "egress": [{"from_port": 80}, {"from_port": 443}],
        "tag": [{"key": "team", "value": "red"}],
    }


# --- remote state ----------------------------------------------------------------------------

CONSUMER = event_source_mapping("data.terraform_remote_state.infra.outputs.queue_arn", '"f"', name="m")


def infra_writer(env: str = "dev") -> dict[str, str]:
    return {
        **QUEUE_MODULE,
        **stack(
            "20_infra",
            env,
            """
        module "messaging" {
          source     = "../../modules/messaging"
          prefix     = "tt-practice-dev"
          visibility = 60
        }
        """,
            outputs__tf='output "queue_arn" {\n  value = module.messaging.queue_arn\n}\n',
        ),
    }


def event_source(model: Model, stack_name: str = APP_DEV) -> Any:
    return resource(model, "aws_lambda_event_source_mapping.m", stack_name).values["event_source_arn"]


def test_remote_state_output_reaches_a_module_resource(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **infra_writer(),
            **stack("30_app", "dev", remote_state() + CONSUMER),
        },
    )
    model = load(tmp_path)
    value = event_source(model)
    assert isinstance(value, Unknown)
    assert value.resource is resource(model, "module.messaging.module.queue.aws_sqs_queue.x")
    assert value.attribute == "arn"
    (remote,) = stack_named(model, APP_DEV).remote_states
    assert remote.target is stack_named(model, INFRA_DEV)


def test_remote_state_with_unknown_key(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **infra_writer(),
            **stack("30_app", "dev", 'variable "key" {}\n' + remote_state("var.key") + CONSUMER),
        },
    )
    model = load(tmp_path)
    value = event_source(model)
    assert isinstance(value, Unknown) and value.resource is None
    assert "state key cannot be evaluated" in value.reason
    (remote,) = stack_named(model, APP_DEV).remote_states
    assert remote.target is None
    assert isinstance(remote.key, Unknown)


def test_remote_state_with_two_writers_goes_to_the_owning_layer(tmp_path: Path) -> None:
    copied = stack("30_app", "dev", 'output "queue_arn" {\n  value = "arn:aws:sqs:x:1:wrong"\n}\n')
    copied[f"{APP_DEV}/backend.tf"] = copied[f"{APP_DEV}/backend.tf"].replace("app/", "infra/")
    reader = "practice/deploy/30_app/environments/prod"
    write_tree(tmp_path, {**infra_writer(), **copied})
    write_tree(
        tmp_path,
        {f"{reader}/main.tf": 'provider "aws" {}\n' + remote_state() + CONSUMER},
    )
    model = load(tmp_path)
    (remote,) = stack_named(model, reader).remote_states
    assert remote.target is stack_named(model, INFRA_DEV)
    assert event_source(model, reader).resource is resource(
        model, "module.messaging.module.queue.aws_sqs_queue.x"
    )


def test_remote_state_to_an_env_without_writer(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **infra_writer(),
            **stack("30_app", "prod", remote_state(env="prod") + CONSUMER),
        },
    )
    model = load(tmp_path)
    value = event_source(model, "practice/deploy/30_app/environments/prod")
    assert isinstance(value, Unknown) and value.resource is None
    assert "no stack in this check writes state infra/terraform.tfstate for environment prod" in value.reason


def test_remote_state_bucket_names_the_environment(tmp_path: Path) -> None:
    # The reader lives in prod but reads dev's bucket: the bucket decides.
    write_tree(
        tmp_path,
        {
            **infra_writer(),
            **stack("30_app", "prod", remote_state() + CONSUMER),
        },
    )
    model = load(tmp_path)
    assert event_source(model, "practice/deploy/30_app/environments/prod").resource is not None


# --- the parse cache and parallel parsing ----------------------------------------------------


def model_facts(model: Model) -> list[tuple[str, str, str]]:
    return sorted(
        (s.name, r.address, repr(sorted(r.values.items()))) for s in model.stacks for r in s.resources
    )


def test_parse_cache_hits_and_equal_results(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    write_tree(tree, {**infra_writer(), **stack("30_app", "dev", "x = {\n")})
    cache = tmp_path / "cache"
    first_parser = Parser(cache, jobs=1)
    first = load_hcl([tree], tree, policy_for(tree), first_parser)
    files = len(list(tree.rglob("*.tf")))
    assert (first_parser.hits, first_parser.misses) == (0, files)
    second_parser = Parser(cache, jobs=1)
    second = load_hcl([tree], tree, policy_for(tree), second_parser)
    assert (second_parser.hits, second_parser.misses) == (files, 0)
    assert model_facts(second) == model_facts(first)
    assert second.problems == first.problems != []


def test_corrupt_cache_entry_is_ignored(tmp_path: Path) -> None:
    tree = write_tree(
        tmp_path / "tree", stack("20_infra", "dev", 'resource "aws_sqs_queue" "q" {\n  a = 1\n}\n')
    )
    cache = tmp_path / "cache"
    load_hcl([tree], tree, policy_for(tree), Parser(cache, jobs=1))
    entries = list(cache.rglob("*.json"))
    assert entries
    for entry in entries:
        entry.write_bytes(b"not a cache entry")
    parser = Parser(cache, jobs=1)
    model = load_hcl([tree], tree, policy_for(tree), parser)
    assert parser.hits == 0
    assert resource(model, "aws_sqs_queue.q").values == {"a": 1}


def test_empty_cache_dir_setting_disables_the_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TTGATE_CACHE_DIR", "")
    assert default_cache_dir() is None
    monkeypatch.setenv("TTGATE_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path


def test_parallel_parsing_gives_the_same_model(tmp_path: Path) -> None:
    files = {
        **infra_writer(),
        **stack("30_app", "dev", remote_state() + CONSUMER),
    }
    for index in range(30):
        files[f"{INFRA_DEV}/queue_{index}.tf"] = (
            f'resource "aws_sqs_queue" "q{index}" {{\n  name = "q-{index}"\n  delay_seconds = {index}\n}}\n'
        )
    files[f"{INFRA_DEV}/broken.tf"] = 'resource "x" "y" {\n'
    tree = write_tree(tmp_path, files)
    serial = load_hcl([tree], tree, policy_for(tree), Parser(None, jobs=1))
    parallel_parser = Parser(None, jobs=2)
    parallel = load_hcl([tree], tree, policy_for(tree), parallel_parser)
    assert parallel_parser.misses > 24
    assert model_facts(parallel) == model_facts(serial)
    assert len(model_facts(parallel)) > 30
    assert parallel.problems == serial.problems != []


def test_a_remote_state_config_that_is_not_an_object_is_unknown_not_a_crash(tmp_path: Path) -> None:
    main = """
data "terraform_remote_state" "infra" {
  backend = "s3"
  config  = ["not", "an", "object"]
}

resource "aws_lambda_event_source_mapping" "worker" {
  event_source_arn = data.terraform_remote_state.infra.outputs.queue_arn
  function_name    = "tt-practice-dev-worker"
}
"""
    write_tree(tmp_path, stack("30_app", "dev", main=main))
    model = load(tmp_path)
    [remote] = model.stacks[0].remote_states
    assert isinstance(remote.config, Unknown) and remote.config.reason == "config is not an object"
    [mapping] = [r for r in model.stacks[0].resources if r.type == "aws_lambda_event_source_mapping"]
    assert "config" in mapping.values["event_source_arn"].reason


def test_hidden_directories_are_skipped_as_terraform_does_and_named(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "main.tf": 'resource "aws_sqs_queue" "q" {\n}\n',
            ".hidden/main.tf": 'resource "aws_sqs_queue" "hidden" {\n}\n',
            ".terraform/modules/modules.json": "{}",
            ".github/workflows/ci.yml": "on: push\n",
            ".settings/vpc/main.tf": 'terraform {\n  backend "s3" {}\n}\n',  # roots kept one level down
        },
    )
    model = load(tmp_path)
    assert [resource.address for stack in model.stacks for resource in stack.resources] == ["aws_sqs_queue.q"]
    skipped = {name: how for name, how in model.directories.items() if name.startswith(".") and name != "."}
    assert skipped == {
        ".hidden": "not checked: a hidden directory, which Terraform skips too",
        ".settings": "not checked: a hidden directory, which Terraform skips too",
        ".terraform": "not checked: a hidden directory, which Terraform skips too",
    }
    assert (
        "3 hidden directories not checked, as Terraform skips them: .hidden, .settings, .terraform"
        in model.notes
    )


def test_path_cwd_is_the_roots_directory_as_terraform_runs_there(tmp_path: Path) -> None:
    """terraform-aws-modules' examples name everything "ex-${basename(path.cwd)}"."""
    write_tree(
        tmp_path,
        {
            "examples/complete/main.tf": """
                provider "aws" {}
                module "q" {
                  source = "../../modules/q"
                  name   = "ex-${basename(path.cwd)}"
                }
            """,
            "modules/q/main.tf": """
                variable "name" {}
                resource "aws_sqs_queue" "this" {
                  name = "${var.name}-${basename(path.module)}"
                }
            """,
        },
    )
    [queue] = [r for s in load(tmp_path).stacks for r in s.resources if r.type == "aws_sqs_queue"]
    assert queue.values["name"] == "ex-complete-q"
