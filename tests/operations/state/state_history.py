"""The history of one state object in a versioned bucket (moto), which the versions and restore tests read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.operations.aws_backend import APP_KEY, BUCKET, TABLE, lock_info

KEY = APP_KEY
LINEAGE = "5d3f0a6e-1c2b-4d5e-8f90-a1b2c3d4e5f6"
OTHER_LINEAGE = "00000000-aaaa-bbbb-cccc-dddddddddddd"
DIGEST_ID = f"{BUCKET}/{KEY}-md5"
LOCK_INFO = lock_info()


def resource(
    type_: str, name: str, *, module: str | None = None, mode: str = "managed", keys: Any = None
) -> Any:
    entry: dict[str, Any] = {"mode": mode, "type": type_, "name": name, "provider": 'provider["aws"]'}
    if module:
        entry["module"] = module
    entry["instances"] = (
        [{"index_key": key, "attributes": {}} for key in keys] if keys else [{"attributes": {}}]
    )
    return entry


QUEUE = resource("aws_sqs_queue", "main")
DLQ = resource("aws_sqs_queue", "dlq")
FUNCTION = resource("aws_lambda_function", "api", module="module.api")
WORKERS = resource("aws_lambda_function", "worker", module="module.workers", keys=["a", "b"])
POLICY_DOC = resource("aws_iam_policy_document", "assume", mode="data")


def state_body(serial: int, resources: list[Any], lineage: str = LINEAGE) -> bytes:
    document = {
        "version": 4,
        "terraform_version": "1.9.8",
        "serial": serial,
        "lineage": lineage,
        "outputs": {},
        "resources": resources,
        "check_results": None,
    }
    return json.dumps(document, indent=2).encode()


@dataclass
class Bucket:
    s3: Any
    dynamodb: Any
    versions: dict[str, str]  # name -> version ID of the state key

    def current(self) -> tuple[str, bytes]:
        response = self.s3.get_object(Bucket=BUCKET, Key=KEY)
        return response["VersionId"], response["Body"].read()

    def state_versions(self) -> list[str]:
        listed = self.s3.list_object_versions(Bucket=BUCKET, Prefix=KEY).get("Versions", [])
        return [v["VersionId"] for v in listed if v["Key"] == KEY]

    def digest(self) -> str:
        item = self.dynamodb.get_item(TableName=TABLE, Key={"LockID": {"S": DIGEST_ID}})["Item"]
        return str(item["Digest"]["S"])

    def put(self, body: bytes) -> str:
        return str(self.s3.put_object(Bucket=BUCKET, Key=KEY, Body=body)["VersionId"])


def restore_args(version_id: str, *extra: str) -> list[str]:
    return ["state", "restore", "--layer", "30_app", "--env", "dev", "--version-id", version_id, *extra]


def assert_unchanged(bucket: Bucket, before: list[str], digest: str) -> None:
    assert bucket.state_versions() == before
    assert bucket.current()[0] == bucket.versions["v3"]
    assert bucket.digest() == digest
