"""`ttgate rollback check-plan`: what weakens the state backend without deleting it, and what is no plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ttgate.cli import main

BUCKET = "tt-practice-tf-state-prod-123456789012"
POLICY_DENY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {}}}
    ],
}


def change(
    address: str, actions: list[str], before: dict[str, Any] | None, after: dict[str, Any] | None
) -> dict[str, Any]:
    kind = address.split(".")[0]
    return {
        "address": address,
        "type": kind,
        "change": {"actions": actions, "before": before, "after": after},
    }


def plan(*changes: dict[str, Any]) -> str:
    return json.dumps(
        {
            "format_version": "1.2",
            "terraform_version": "1.11.4",
            "planned_values": {"root_module": {}},
            "resource_changes": list(changes),
        }
    )


def check(tmp_path: Path, text: str, layer: str = "10_core") -> Result:
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(main, ["rollback", "check-plan", "--layer", layer, str(path)])


def versioning(status: str) -> dict[str, Any]:
    return {"bucket": BUCKET, "versioning_configuration": [{"status": status, "mfa_delete": None}]}


ENABLED_BLOCK = {
    setting: True
    for setting in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    )
}


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (change("aws_s3_bucket_versioning.state", ["delete"], versioning("Enabled"), None), "destroy"),
        (
            change(
                "aws_s3_bucket_versioning.state", ["update"], versioning("Enabled"), versioning("Suspended")
            ),
            "set versioning Suspended",
        ),
        (
            change("aws_s3_bucket_versioning.state", ["create"], None, versioning("Disabled")),
            "set versioning Disabled",
        ),
        (
            change(
                "aws_kms_key.state",
                ["update"],
                {"key_id": "k-1", "is_enabled": True},
                {"key_id": "k-1", "is_enabled": False},
            ),
            "disable the KMS key",
        ),
        (change("aws_kms_key.state", ["delete"], {"key_id": "k-1"}, None), "destroy"),
        (change("aws_kms_alias.state", ["delete"], {"name": "alias/tf-state"}, None), "destroy"),
        (
            change(
                "aws_kms_alias.state", ["create", "delete"], {"name": "alias/tf-state"}, {"name": "alias/x"}
            ),
            "replace",
        ),
        (change("aws_s3_bucket_policy.state", ["delete"], {"bucket": BUCKET}, None), "destroy"),
        (
            change(
                "aws_s3_bucket_policy.state",
                ["update"],
                {"bucket": BUCKET, "policy": json.dumps(POLICY_DENY)},
                {"bucket": BUCKET, "policy": json.dumps({"Version": "2012-10-17", "Statement": []})},
            ),
            "drop a Deny statement",
        ),
        (
            change(
                "aws_s3_bucket_policy.state",
                ["update"],
                {"bucket": BUCKET, "policy": json.dumps({"Statement": []})},
                {
                    "bucket": BUCKET,
                    "policy": json.dumps(
                        {
                            "Statement": [
                                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject"}
                            ]
                        }
                    ),
                },
            ),
            "allow everyone",
        ),
        (change("aws_s3_bucket_public_access_block.state", ["delete"], ENABLED_BLOCK, None), "destroy"),
        (
            change(
                "aws_s3_bucket_public_access_block.state",
                ["update"],
                ENABLED_BLOCK,
                {**ENABLED_BLOCK, "restrict_public_buckets": False},
            ),
            "turn off restrict_public_buckets",
        ),
        (
            change(
                "aws_dynamodb_table.locks",
                ["update"],
                {"name": "tt-practice-tf-locks", "hash_key": "LockID"},
                {"name": "tt-practice-tf-locks", "hash_key": "Id"},
            ),
            "change the hash_key",
        ),
        (change("aws_dynamodb_table.locks", ["delete"], {"name": "tt-practice-tf-locks"}, None), "destroy"),
    ],
)
def test_a_plan_that_weakens_the_backend_is_refused(
    tmp_path: Path, resource: dict[str, Any], expected: str
) -> None:
    result = check(tmp_path, plan(resource))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and resource["address"] in lines[0], lines


def test_a_plan_that_keeps_the_backend_as_strong_passes(tmp_path: Path) -> None:
    text = plan(
        change("aws_s3_bucket_versioning.state", ["update"], versioning("Suspended"), versioning("Enabled")),
        change(
            "aws_kms_key.state",
            ["update"],
            {"is_enabled": True, "description": "a"},
            {"is_enabled": True, "description": "b"},
        ),
        change("aws_s3_bucket_public_access_block.state", ["update"], ENABLED_BLOCK, ENABLED_BLOCK),
        change(
            "aws_s3_bucket_policy.state",
            ["update"],
            {"policy": json.dumps(POLICY_DENY)},
            {"policy": json.dumps({**POLICY_DENY, "Id": "x"})},
        ),
        change("aws_sqs_queue.q", ["delete"], {"name": "q"}, None),
    )
    result = check(tmp_path, text)
    assert result.exit_code == 0, result.output
    # The same weakenings in a layer that holds no backend are that layer's business.
    weak = plan(change("aws_s3_bucket_versioning.v", ["delete"], versioning("Enabled"), None))
    assert check(tmp_path, weak, layer="30_app").exit_code == 0


@pytest.mark.parametrize(
    "document",
    [
        "{}",
        "[]",
        '{"resource_changes": []}',
        json.dumps({"format_version": "1.0", "values": {"root_module": {}}}),  # show -json of a state
        json.dumps({"format_version": "1.2", "planned_values": {}, "resource_changes": {}}),
        json.dumps({"format_version": "1.2", "planned_values": {}, "errored": True}),
        "not json",
    ],
)
@pytest.mark.parametrize("layer", ["10_core", "30_app"])
def test_a_document_that_is_not_a_plan_is_refused_in_one_line(
    tmp_path: Path, document: str, layer: str
) -> None:
    result = check(tmp_path, document, layer)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ttgate: error: "), lines
