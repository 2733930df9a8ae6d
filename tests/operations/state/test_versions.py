"""The versions of a state object and what each says, against a versioned bucket (moto)."""

from __future__ import annotations

import json

import pytest

from tests.operations.aws_backend import BUCKET, REGION, one_line_error, run
from tests.operations.state.state_history import (
    FUNCTION,
    KEY,
    LINEAGE,
    POLICY_DOC,
    QUEUE,
    WORKERS,
    Bucket,
    resource,
)
from ttgate.errors import UserError
from ttgate.integrations.aws import Aws
from ttgate.operations.state.versions import list_versions, parse_state, resource_addresses

# -- parsing ------------------------------------------------------------------------------------------


def test_resource_addresses() -> None:
    assert resource_addresses([QUEUE, FUNCTION, WORKERS, POLICY_DOC]) == {
        "aws_sqs_queue.main",
        "module.api.aws_lambda_function.api",
        'module.workers.aws_lambda_function.worker["a"]',
        'module.workers.aws_lambda_function.worker["b"]',
        "data.aws_iam_policy_document.assume",
    }
    counted = resource("aws_sqs_queue", "q", keys=[0, 1])
    assert resource_addresses([counted]) == {"aws_sqs_queue.q[0]", "aws_sqs_queue.q[1]"}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"version": 3, "serial": 1, "lineage": "x"}', "format version 4"),
        (b'{"version": 4, "serial": 1}', "no lineage"),
        (b'{"version": 4, "serial": "1", "lineage": "x"}', "serial is not a number"),
    ],
)
def test_not_terraform_state(body: bytes, problem: str) -> None:
    with pytest.raises(UserError, match=problem):
        parse_state(body, "the file")


# -- versions -----------------------------------------------------------------------------------------


def test_versions_lists_exactly_the_state_key(bucket: Bucket) -> None:
    versions, total = list_versions(Aws(region=REGION), BUCKET, KEY)
    expected = [bucket.versions[name] for name in ("v3", "v2", "v1", "junk", "other")]
    assert [v.version_id for v in versions] == expected  # no lockfile, delete marker or other key
    assert total == 5
    assert [v.is_latest for v in versions] == [True, False, False, False, False]
    assert [v.info.serial if v.info else None for v in versions] == [3, 2, 1, None, 7]
    assert [v.info.resource_count if v.info else None for v in versions] == [5, 4, 3, None, 1]
    assert versions[0].info is not None and versions[0].info.lineage == LINEAGE
    assert versions[0].info.terraform_version == "1.9.8"
    assert versions[3].problem == "not Terraform state: it has no format version"


def test_versions_limit(bucket: Bucket) -> None:
    versions, total = list_versions(Aws(region=REGION), BUCKET, KEY, limit=2)
    assert [v.version_id for v in versions] == [bucket.versions["v3"], bucket.versions["v2"]]
    assert total == 5


def test_cli_versions_text_and_json(bucket: Bucket) -> None:
    result = run("state", "versions", "--layer", "30_app", "--env", "dev")
    assert result.exit_code == 0, result.output
    assert f"s3://{BUCKET}/{KEY}: 5 version(s)" in result.output
    assert bucket.versions["tflock"] not in result.output
    assert bucket.versions[KEY + ".backup"] not in result.output
    assert "not Terraform state" in result.output
    [current_line] = [line for line in result.output.splitlines() if "(current)" in line]
    assert bucket.versions["v3"] in current_line and LINEAGE in current_line

    result = run("state", "versions", "--layer", "30_app", "--env", "dev", "--format", "json", "--limit", "3")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert (document["key"], document["total"]) == (KEY, 5)
    assert [(v["serial"], v["resource_count"]) for v in document["versions"]] == [(3, 5), (2, 4), (1, 3)]


@pytest.mark.usefixtures("no_aws_credentials")
def test_cli_versions_missing_credentials() -> None:
    line = one_line_error(run("state", "versions", "--layer", "30_app", "--env", "dev", "--bucket", BUCKET))
    assert "NoCredentialsError" in line and BUCKET in line
