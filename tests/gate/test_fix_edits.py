"""Finding.edit: the one literal a rule's fix sets, found where the value was written (issue 22)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import findings, stack
from ttgate.gate.findings import Finding, LiteralEdit
from ttgate.gate.fix import plan_fixes

APP = "practice/deploy/30_app/environments/dev"
APP_PROD = "practice/deploy/30_app/environments/prod"
MODULE = "practice/deploy/modules/queue"


def consumer(visibility: str, timeout: int = 60, count: str = "") -> str:
    return f"""
resource "aws_sqs_queue" "main" {{
{count}  name                       = "tt-practice-dev-main-queue"
  visibility_timeout_seconds = {visibility} # keep: comment
}}

resource "aws_lambda_function" "worker" {{
  function_name = "tt-practice-dev-worker"
  timeout       = {timeout}
}}

resource "aws_lambda_event_source_mapping" "worker" {{
  event_source_arn = aws_sqs_queue.main{"[0]" if count else ""}.arn
  function_name    = aws_lambda_function.worker.arn
}}
"""


def edited_line(root: Path, edit: LiteralEdit) -> str:
    """The edit's line once the edit is applied, read from the file as written."""
    line = (root / edit.file).read_text(encoding="utf-8").splitlines()[edit.line - 1]
    return line[: edit.column - 1] + edit.replacement + line[edit.end_column - 1 :]


def only_edit(found: list[Finding]) -> LiteralEdit:
    assert len(found) == 1, found
    assert found[0].edit is not None
    return found[0].edit


def test_tg201_literal_on_the_attribute(tmp_path: Path) -> None:
    edit = only_edit(findings("TG201", tmp_path, stack("30_app", "dev", consumer("359"))))
    assert (edit.file, edit.line, edit.shared_by) == (f"{APP}/main.tf", 3, ())
    assert edited_line(tmp_path, edit) == "  visibility_timeout_seconds = 360 # keep: comment"


def test_tg201_quoted_number_stays_quoted(tmp_path: Path) -> None:
    edit = only_edit(findings("TG201", tmp_path, stack("30_app", "dev", consumer('"100"'))))
    assert edited_line(tmp_path, edit) == '  visibility_timeout_seconds = "360" # keep: comment'


def test_tg201_tfvars_origin_edits_the_environment_tfvars_line(tmp_path: Path) -> None:
    main = consumer("var.visibility") + 'variable "visibility" {\n  default = 30\n}\n'
    tree = stack("30_app", "dev", main, terraform__tfvars="# dev\nvisibility   =   100   # too short\n")
    edit = only_edit(findings("TG201", tmp_path, tree))
    assert (edit.file, edit.line) == (f"{APP}/terraform.tfvars", 2)
    assert edited_line(tmp_path, edit) == "visibility   =   360   # too short"


def test_tg201_module_argument_origin_edits_the_callers_argument(tmp_path: Path) -> None:
    queue_module = {
        f"{MODULE}/main.tf": """
            variable "visibility" {
              type    = number
              default = 30
            }
            resource "aws_sqs_queue" "main" {
              name                       = "tt-practice-dev-main-queue"
              visibility_timeout_seconds = var.visibility
            }
            output "arn" {
              value = aws_sqs_queue.main.arn
            }
            """
    }
    main = """
module "queue" {
  source     = "../../../modules/queue"
  visibility = 120
}

resource "aws_lambda_function" "worker" {
  function_name = "tt-practice-dev-worker"
  timeout       = 60
}

resource "aws_lambda_event_source_mapping" "worker" {
  event_source_arn = module.queue.arn
  function_name    = aws_lambda_function.worker.arn
}
"""
    edit = only_edit(findings("TG201", tmp_path, {**stack("30_app", "dev", main), **queue_module}))
    assert (edit.file, edit.line) == (f"{APP}/main.tf", 3)
    assert edited_line(tmp_path, edit) == "  visibility = 360"


def test_tg201_count_instances_share_one_literal_with_the_same_need(tmp_path: Path) -> None:
    found = findings("TG201", tmp_path, stack("30_app", "dev", consumer("100", count="  count = 2\n")))
    edits = {f.edit for f in found}
    assert len(found) >= 1 and len(edits) == 1
    (edit,) = edits
    assert edit is not None and edit.replacement == "360"
    assert plan_fixes(found, tmp_path, [tmp_path]).left == []


def test_tg201_expression_has_no_edit(tmp_path: Path) -> None:
    main = consumer("var.visibility * 2") + 'variable "visibility" {\n  default = 50\n}\n'
    found = findings("TG201", tmp_path, stack("30_app", "dev", main))
    assert len(found) == 1 and found[0].edit is None


def test_tg201_unset_attribute_has_no_edit(tmp_path: Path) -> None:
    main = consumer("30").replace("  visibility_timeout_seconds = 30 # keep: comment\n", "")
    found = findings("TG201", tmp_path, stack("30_app", "dev", main))
    assert len(found) == 1 and found[0].edit is None


def test_tg201_default_shared_by_stacks_with_different_needs_is_refused(tmp_path: Path) -> None:
    module = {
        f"{MODULE}/main.tf": """
            variable "timeout" {}
            variable "visibility" {
              default = 100
            }
            resource "aws_sqs_queue" "main" {
              visibility_timeout_seconds = var.visibility
            }
            resource "aws_lambda_function" "worker" {
              function_name = "worker"
              timeout       = var.timeout
            }
            resource "aws_lambda_event_source_mapping" "worker" {
              event_source_arn = aws_sqs_queue.main.arn
              function_name    = aws_lambda_function.worker.arn
            }
            """
    }
    call = 'module "app" {{\n  source  = "../../../modules/queue"\n  timeout = {timeout}\n}}\n'
    tree = {
        **module,
        **stack("30_app", "dev", call.format(timeout=60)),
        **stack("30_app", "prod", call.format(timeout=120)),
    }
    found = findings("TG201", tmp_path, tree)
    assert sorted(f.edit.replacement for f in found if f.edit) == ["360", "720"]
    assert all(f.edit and f.edit.shared_by == (APP, APP_PROD) for f in found)
    plan = plan_fixes(found, tmp_path, [tmp_path])
    assert plan.files == [] and len(plan.left) == 2
    assert f"shared by {APP}, {APP_PROD}, which need different values (360, 720)" in plan.left[0].reason


def test_tg203_retention_literal(tmp_path: Path) -> None:
    main = """
resource "aws_sqs_queue" "dlq" {
  name                      = "tt-practice-dev-main-dlq"
  message_retention_seconds = 345600
}

resource "aws_sqs_queue" "main" {
  name           = "tt-practice-dev-main-queue"
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn, maxReceiveCount = 3 })
}
"""
    edit = only_edit(findings("TG203", tmp_path, stack("20_infra", "dev", main)))
    assert edited_line(tmp_path, edit) == "  message_retention_seconds = 1209600"


def test_tg301_retention_from_tfvars_and_literal(tmp_path: Path) -> None:
    main = """
variable "days" {}
resource "aws_cloudwatch_log_group" "a" {
  name              = "/aws/lambda/a"
  retention_in_days = var.days
}
resource "aws_cloudwatch_log_group" "b" {
  name              = "/aws/lambda/b"
  retention_in_days = 0
}
"""
    found = findings("TG301", tmp_path, stack("30_app", "dev", main, terraform__tfvars="days = 10\n"))
    lines = sorted(edited_line(tmp_path, f.edit) for f in found if f.edit)
    assert lines == ["  retention_in_days = 14", "days = 7"]


def test_tg204_single_mistuned_literal(tmp_path: Path) -> None:
    main = """
resource "aws_sqs_queue" "dlq" {
  name = "tt-practice-dev-main-dlq"
}
resource "aws_sqs_queue" "main" {
  name           = "tt-practice-dev-main-queue"
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn, maxReceiveCount = 3 })
}
resource "aws_cloudwatch_metric_alarm" "dlq" {
  alarm_name          = "tt-practice-dev-main-dlq-messages-alarm"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  period              = 300
  evaluation_periods  = 1
}
"""
    edit = only_edit(findings("TG204", tmp_path, stack("20_infra", "dev", main)))
    assert edited_line(tmp_path, edit) == "  period              = 60"


def test_tf_json_edits_the_json_value(tmp_path: Path) -> None:
    document = {
        "resource": {
            "aws_sqs_queue": {
                "main": {"name": "tt-practice-dev-main-queue", "visibility_timeout_seconds": 100}
            },
            "aws_lambda_function": {"worker": {"function_name": "tt-practice-dev-worker", "timeout": 60}},
            "aws_lambda_event_source_mapping": {
                "worker": {
                    "event_source_arn": "${aws_sqs_queue.main.arn}",
                    "function_name": "${aws_lambda_function.worker.arn}",
                }
            },
        }
    }
    tree = stack("30_app", "dev", "")
    tree[f"{APP}/main.tf.json"] = json.dumps(document, indent=2)
    edit = only_edit(findings("TG201", tmp_path, tree))
    assert edit.file == f"{APP}/main.tf.json"
    assert edited_line(tmp_path, edit) == '        "visibility_timeout_seconds": 360'


REDRIVE = """
resource "aws_sqs_queue" "dlq" {{
  name = "tt-practice-dev-main-dlq"
}}

resource "aws_sqs_queue" "main" {{
  name = "tt-practice-dev-main-queue"
  redrive_policy = jsonencode({{
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = {count}   # retries
  }})
}}
"""


def test_tg202_max_receive_count_inside_jsonencode(tmp_path: Path) -> None:
    edit = only_edit(findings("TG202", tmp_path, stack("20_infra", "dev", REDRIVE.format(count=5))))
    assert (edit.line, edit.replacement) == (9, "3")
    assert edited_line(tmp_path, edit) == "    maxReceiveCount     = 3   # retries"


def test_tg202_max_receive_count_from_tfvars(tmp_path: Path) -> None:
    main = REDRIVE.format(count="var.receives") + 'variable "receives" {}\n'
    edit = only_edit(
        findings("TG202", tmp_path, stack("20_infra", "dev", main, terraform__tfvars="receives = 10\n"))
    )
    assert edited_line(tmp_path, edit) == "receives = 3"


def test_tg202_computed_count_has_no_edit(tmp_path: Path) -> None:
    main = REDRIVE.format(count="var.receives + 1") + 'variable "receives" {\n  default = 4\n}\n'
    found = findings("TG202", tmp_path, stack("20_infra", "dev", main))
    assert len(found) == 1 and found[0].edit is None
