"""file(), fileexists(), templatefile() and the file hashes on repository files, bounded and confined."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import findings, stack, write_tree
from ttgate.gate.hcl import files as files_module
from ttgate.gate.hcl.evaluate import Evaluator, Trace
from ttgate.gate.hcl.files import Files, Repository
from ttgate.gate.hcl.parse import parse_text
from ttgate.gate.values import Invalid, Unknown

APP = "practice/deploy/30_app/environments/dev"


class NoNames:
    def lookup(self, name: str, trace: Trace) -> Any:
        return Invalid(f"{name} is not declared")


def ev(text: str, root: Path, cwd: Path | None = None) -> Any:
    body = parse_text(f"x = {text}\n").body
    assert body is not None, text
    files = Files(Repository(root), cwd or root)
    return Evaluator(NoNames(), files=files).evaluate(body.attributes["x"].expr)


def test_file_reads_a_repository_file_relative_to_the_working_directory(tmp_path: Path) -> None:
    write_tree(tmp_path, {"envs/dev/config.json": '{"dev": {"timeout": 30}}\n'})
    assert ev('file("config.json")', tmp_path, tmp_path / "envs/dev") == '{"dev": {"timeout": 30}}\n'
    assert ev('jsondecode(file("./config.json"))["dev"].timeout', tmp_path, tmp_path / "envs/dev") == 30
    assert ev('fileexists("config.json")', tmp_path, tmp_path / "envs/dev") is True
    assert ev('fileexists("other.json")', tmp_path, tmp_path / "envs/dev") is False


def test_file_hashes_and_base64_match_terraform(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x")
    (tmp_path / "bin").write_bytes(b"\xff\xfe")
    # Values from `terraform console`.
    assert ev('filebase64sha256("a")', tmp_path) == "LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE="
    assert ev('filemd5("a")', tmp_path) == "9dd4e461268c8034f5c8564e155c67a6"
    assert ev('filebase64("bin")', tmp_path) == "//4="
    not_text = ev('file("bin")', tmp_path)
    assert isinstance(not_text, Invalid)
    assert 'contents of "bin" are not valid UTF-8; use the filebase64 function' in not_text.reason


def test_a_missing_file_is_unknown_with_terraforms_words(tmp_path: Path) -> None:
    # Unknown, not an error: a build step before plan may create it (a Lambda's zip).
    value = ev('file("nope.txt")', tmp_path)
    assert isinstance(value, Unknown) and not isinstance(value, Invalid)
    assert value.reason.startswith('no file exists at "nope.txt"')


def test_a_directory_is_terraforms_error(tmp_path: Path) -> None:
    (tmp_path / "mod").mkdir()
    assert isinstance(ev('file("mod")', tmp_path), Invalid)
    exists = ev('fileexists("mod")', tmp_path)
    assert isinstance(exists, Invalid)
    assert exists.reason == 'fileexists: "mod" is a directory, not a file'


@pytest.mark.parametrize("path", ["../outside.txt", "sub/../../outside.txt", "~/.aws/credentials"])
def test_a_path_out_of_the_repository_is_unknown_and_not_read(tmp_path: Path, path: str) -> None:
    (tmp_path / "outside.txt").write_text("secret", encoding="utf-8")
    root = write_tree(tmp_path / "repo", {"sub/x.txt": "x"})
    value = ev(f'file("{path}")', root)
    assert isinstance(value, Unknown) and "outside the repository" in value.reason
    assert "secret" not in value.reason
    assert ev(f'fileexists("{path}")', root).reason == value.reason


def test_an_absolute_path_elsewhere_is_unknown(tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("secret", encoding="utf-8")
    root = write_tree(tmp_path / "repo", {"x.txt": "x"})
    value = ev(f'file("{tmp_path / "outside.txt"}")', root)
    assert isinstance(value, Unknown) and "outside the repository" in value.reason
    assert ev(f'file("{root / "x.txt"}")', root) == "x"


def test_a_symlink_escaping_the_repository_is_unknown_and_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "outside.txt").write_text("secret", encoding="utf-8")
    root = write_tree(tmp_path / "repo", {"inside.txt": "ok"})
    (root / "link.txt").symlink_to(tmp_path / "outside.txt")
    (root / "dir").symlink_to(tmp_path)
    (root / "good.txt").symlink_to(root / "inside.txt")
    opened: list[str] = []
    real_open = open

    def spy(path: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(files_module, "open", spy, raising=False)
    for text in ('file("link.txt")', 'file("dir/outside.txt")'):
        value = ev(text, root)
        assert isinstance(value, Unknown) and "symbolic link to a file outside" in value.reason
    assert opened == []
    assert ev('file("good.txt")', root) == "ok"


def test_a_huge_file_is_unknown_and_not_read(tmp_path: Path) -> None:
    with open(tmp_path / "big.json", "wb") as handle:
        handle.truncate(files_module.MAX_READ_BYTES + 1)
    value = ev('file("big.json")', tmp_path)
    assert isinstance(value, Unknown)
    assert value.reason == (
        '"big.json" is larger than the 1 MiB ttgate reads in one file (a bound against hostile input)'
    )


def test_the_bytes_read_in_one_run_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_module, "MAX_READ_TOTAL", 10)
    write_tree(tmp_path, {"a": "123456", "b": "123456"})
    repository = Repository(tmp_path)
    files = Files(repository, tmp_path)
    assert files.read("a") == b"123456"
    assert files.read("a") == b"123456"  # read once, kept
    over = files.read("b")
    assert isinstance(over, Unknown) and "would pass the" in over.reason


def test_templatefile_with_vars_and_a_for_directive(tmp_path: Path) -> None:
    (tmp_path / "t.tpl").write_text("%{ for k, v in m }${k}=${v}\n%{ endfor }x$${y}\n", encoding="utf-8")
    # As `terraform console` prints it: keys in lexical order, $${ an escaped ${.
    assert ev('templatefile("t.tpl", {m = {b = 2, a = 1}})', tmp_path) == "a=1\nb=2\nx${y}\n"
    missing = ev('templatefile("t.tpl", {})', tmp_path)
    assert isinstance(missing, Invalid)
    assert 'vars map does not contain key "m"' in missing.reason
    assert isinstance(ev('templatefile("t.tpl", 1)', tmp_path), Invalid)


def test_templatefile_cannot_call_itself(tmp_path: Path) -> None:
    (tmp_path / "t.tpl").write_text('${templatefile("t.tpl", {})}', encoding="utf-8")
    value = ev('templatefile("t.tpl", {})', tmp_path)
    assert isinstance(value, Invalid) and "recursively" in value.reason


def test_path_module_and_path_root_resolve_as_terraform_does(tmp_path: Path) -> None:
    # In a module path.module is its directory seen from the root (where Terraform runs), path.root is ".".
    module = """
        locals {
          queue  = jsondecode(file("${path.module}/queue.json"))
          worker = jsondecode(file("${path.root}/worker.json"))["dev"]
        }
        resource "aws_sqs_queue" "main" {
          name                       = "tt-practice-dev-main-queue"
          visibility_timeout_seconds = local.queue.visibility
        }
        resource "aws_lambda_function" "worker" {
          function_name = "tt-practice-dev-worker"
          timeout       = local.worker.timeout
        }
        resource "aws_lambda_event_source_mapping" "worker" {
          event_source_arn = aws_sqs_queue.main.arn
          function_name    = aws_lambda_function.worker.arn
        }
    """
    tree = {
        **stack("30_app", "dev", 'module "consumer" { source = "../../../../modules/consumer" }\n'),
        f"{APP}/worker.json": '{"dev": {"timeout": 60}}',
        "practice/modules/consumer/main.tf": module,
        "practice/modules/consumer/queue.json": '{"visibility": 30}',
    }
    result = findings("TG201", tmp_path, tree, tg001="with")
    assert [f.rule for f in result] == ["TG201"], [f.message for f in result]
    assert "360 s" in result[0].message


def test_a_json_config_file_decides_a_rule(tmp_path: Path) -> None:
    main = """
        locals {
          config = jsondecode(file("${path.module}/config.json"))["dev"]
        }
        resource "aws_sqs_queue" "main" {
          name                       = "tt-practice-dev-main-queue"
          visibility_timeout_seconds = local.config.visibility
        }
        resource "aws_lambda_function" "worker" {
          function_name = "tt-practice-dev-worker"
          timeout       = local.config.timeout
        }
        resource "aws_lambda_event_source_mapping" "worker" {
          event_source_arn = aws_sqs_queue.main.arn
          function_name    = aws_lambda_function.worker.arn
        }
    """
    config = '{"dev": {"visibility": 30, "timeout": 60}}'
    result = findings("TG201", tmp_path, stack("30_app", "dev", main, config__json=config), tg001="with")
    assert [(f.rule, f.location.file if f.location else "") for f in result] == [("TG201", f"{APP}/main.tf")]
    assert "360 s" in result[0].message


def test_a_missing_config_file_is_a_tg001_saying_so(tmp_path: Path) -> None:
    main = """
        resource "aws_sqs_queue" "main" {
          name                       = "tt-practice-dev-main-queue"
          visibility_timeout_seconds = jsondecode(file("${path.module}/missing.json")).visibility
        }
        resource "aws_lambda_function" "worker" {
          function_name = "tt-practice-dev-worker"
          timeout       = 60
        }
        resource "aws_lambda_event_source_mapping" "worker" {
          event_source_arn = aws_sqs_queue.main.arn
          function_name    = aws_lambda_function.worker.arn
        }
    """
    result = findings("TG201", tmp_path, stack("30_app", "dev", main), tg001="only")
    assert len(result) == 1
    assert 'no file exists at "./missing.json"' in result[0].message


def test_without_a_repository_file_functions_stay_unknown() -> None:
    body = parse_text('x = file("a")\n').body
    assert body is not None
    value = Evaluator(NoNames()).evaluate(body.attributes["x"].expr)
    assert isinstance(value, Unknown) and "reads files" in value.reason
