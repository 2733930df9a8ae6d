"""State versions and their safe restore, against a versioned bucket and lock table (moto)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.operations.aws_backend import (
    APP_KEY,
    BUCKET,
    REGION,
    TABLE,
    lock_info,
    one_line_error,
    run,
)
from ttgate.errors import UserError
from ttgate.gate.rules import RULES
from ttgate.integrations.aws import Aws
from ttgate.operations.locks import resolve_backend
from ttgate.operations.state import (
    list_versions,
    parse_state,
    prepare_restore,
    resource_addresses,
    upload_restore,
)
from ttgate.policy import load_policy

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


@pytest.fixture
def bucket(aws_backend: tuple[Any, Any]) -> Bucket:
    """History of app/terraform.tfstate, oldest first: a state of another lineage (before a re-init),
    a body that is not state, serial 1, a delete marker, serials 2 and 3 (current). Around it: the
    lockfile's own versions, keys sharing the prefix, and the digest of the current state."""
    s3, dynamodb = aws_backend
    state = Bucket(s3, dynamodb, {})
    state.versions["other"] = state.put(state_body(7, [QUEUE], lineage=OTHER_LINEAGE))
    state.versions["junk"] = state.put(b'{"hello": "not a state"}')
    state.versions["v1"] = state.put(state_body(1, [QUEUE, DLQ, POLICY_DOC]))
    s3.delete_object(Bucket=BUCKET, Key=KEY)
    state.versions["v2"] = state.put(state_body(2, [QUEUE, DLQ, POLICY_DOC, FUNCTION]))
    lock = s3.put_object(Bucket=BUCKET, Key=KEY + ".tflock", Body=LOCK_INFO.encode(), IfNoneMatch="*")
    state.versions["tflock"] = lock["VersionId"]
    s3.delete_object(Bucket=BUCKET, Key=KEY + ".tflock")
    v3 = state_body(3, [QUEUE, POLICY_DOC, FUNCTION, WORKERS])
    state.versions["v3"] = state.put(v3)
    for other_key in (KEY + ".backup", "app/terraform.tfstate2", "infra/terraform.tfstate"):
        state.versions[other_key] = s3.put_object(Bucket=BUCKET, Key=other_key, Body=v3)["VersionId"]
    dynamodb.put_item(
        TableName=TABLE, Item={"LockID": {"S": DIGEST_ID}, "Digest": {"S": hashlib.md5(v3).hexdigest()}}
    )
    return state


def restore_args(version_id: str, *extra: str) -> list[str]:
    return ["state", "restore", "--layer", "30_app", "--env", "dev", "--version-id", version_id, *extra]


def assert_unchanged(bucket: Bucket, before: list[str], digest: str) -> None:
    assert bucket.state_versions() == before
    assert bucket.current()[0] == bucket.versions["v3"]
    assert bucket.digest() == digest


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


# -- restore to a file ---------------------------------------------------------------------------------


def test_restore_to_file_bumps_serial_and_shows_the_difference(bucket: Bucket, tmp_path: Path) -> None:
    before, digest = bucket.state_versions(), bucket.digest()
    result = run(*restore_args(bucket.versions["v1"]))
    assert result.exit_code == 0, result.output
    target = tmp_path / "30_app-dev-restore-4.tfstate"
    restored = json.loads(target.read_text())
    assert restored["serial"] == 4  # current (3) + 1
    assert restored["lineage"] == LINEAGE
    assert resource_addresses(restored["resources"]) == resource_addresses([QUEUE, DLQ, POLICY_DOC])
    assert "  + aws_sqs_queue.dlq" in result.output
    assert "  - module.api.aws_lambda_function.api" in result.output
    assert '  - module.workers.aws_lambda_function.worker["a"]' in result.output
    assert "adds 1 and removes 3 resource(s)" in result.output
    assert "serial set to 4" in result.output
    assert_unchanged(bucket, before, digest)


def test_restore_out_option_and_no_overwrite(bucket: Bucket, tmp_path: Path) -> None:
    out = tmp_path / "restore.tfstate"
    assert run(*restore_args(bucket.versions["v2"], "--out", str(out))).exit_code == 0
    assert json.loads(out.read_text())["serial"] == 4
    line = one_line_error(run(*restore_args(bucket.versions["v2"], "--out", str(out))))
    assert "exists" in line


def test_restore_out_into_a_missing_directory_is_refused_up_front(bucket: Bucket, tmp_path: Path) -> None:
    out = tmp_path / "no-such-dir" / "restore.tfstate"
    result = run(*restore_args(bucket.versions["v2"], "--out", str(out)))
    line = one_line_error(result)
    assert line.startswith(f"ttgate: error: --out {out}: directory ") and "does not exist" in line
    assert "serial" not in result.output  # refused before reading anything
    assert not out.parent.exists()


def test_restore_refuses_another_lineage(bucket: Bucket, tmp_path: Path) -> None:
    before, digest = bucket.state_versions(), bucket.digest()
    line = one_line_error(run(*restore_args(bucket.versions["other"], "--upload", "--yes")))
    assert f"lineage {OTHER_LINEAGE}" in line and LINEAGE in line and "refused" in line
    assert_unchanged(bucket, before, digest)
    one_line_error(run(*restore_args(bucket.versions["other"])))
    assert not list(tmp_path.glob("*.tfstate"))


def test_restore_refuses_a_body_that_is_not_state(bucket: Bucket, tmp_path: Path) -> None:
    before, digest = bucket.state_versions(), bucket.digest()
    line = one_line_error(run(*restore_args(bucket.versions["junk"], "--upload", "--yes")))
    assert "is not Terraform state" in line and bucket.versions["junk"] in line
    assert_unchanged(bucket, before, digest)


def test_restore_unknown_version(bucket: Bucket, tmp_path: Path) -> None:
    before, digest = bucket.state_versions(), bucket.digest()
    line = one_line_error(run(*restore_args("no-such-version", "--upload", "--yes")))
    assert "no-such-version does not exist" in line and "NoSuchVersion" in line
    assert_unchanged(bucket, before, digest)


def test_restore_of_another_key_version_is_unknown(bucket: Bucket) -> None:
    line = one_line_error(run(*restore_args(bucket.versions["tflock"])))
    assert "does not exist" in line


def test_restore_the_current_version_is_refused(bucket: Bucket) -> None:
    line = one_line_error(run(*restore_args(bucket.versions["v3"])))
    assert "already the current state" in line


@pytest.mark.parametrize("place", ["dynamodb", "s3"])
def test_restore_refused_while_locked(bucket: Bucket, tmp_path: Path, place: str) -> None:
    if place == "dynamodb":
        bucket.dynamodb.put_item(
            TableName=TABLE, Item={"LockID": {"S": f"{BUCKET}/{KEY}"}, "Info": {"S": LOCK_INFO}}
        )
    else:
        bucket.s3.put_object(Bucket=BUCKET, Key=KEY + ".tflock", Body=LOCK_INFO.encode(), IfNoneMatch="*")
    before, digest = bucket.state_versions(), bucket.digest()
    line = one_line_error(run(*restore_args(bucket.versions["v1"], "--upload", "--yes")))
    assert "30_app/dev is locked" in line and "alice@ci-runner" in line and "OperationTypeApply" in line
    assert_unchanged(bucket, before, digest)
    one_line_error(run(*restore_args(bucket.versions["v1"])))
    assert not list(tmp_path.glob("*.tfstate"))


def test_restore_flags(bucket: Bucket) -> None:
    assert "needs --yes" in one_line_error(run(*restore_args(bucket.versions["v1"], "--upload")))
    assert "confirms --upload" in one_line_error(run(*restore_args(bucket.versions["v1"], "--yes")))
    assert "choose one" in one_line_error(
        run(*restore_args(bucket.versions["v1"], "--upload", "--yes", "--out", "x.tfstate"))
    )


# -- restore by upload ---------------------------------------------------------------------------------


def test_upload_writes_the_new_current_object_and_its_digest(bucket: Bucket, tmp_path: Path) -> None:
    before = bucket.state_versions()
    result = run(*restore_args(bucket.versions["v1"], "--upload", "--yes"))
    assert result.exit_code == 0, result.output
    version_id, body = bucket.current()
    assert version_id not in before and len(bucket.state_versions()) == len(before) + 1
    restored = json.loads(body)
    assert (restored["serial"], restored["lineage"]) == (4, LINEAGE)
    assert resource_addresses(restored["resources"]) == resource_addresses([QUEUE, DLQ, POLICY_DOC])
    assert bucket.digest() == hashlib.md5(body).hexdigest()  # what Terraform compares its read with
    assert f"uploaded as s3://{BUCKET}/{KEY} version {version_id}" in result.output
    assert not list(tmp_path.glob("*.tfstate"))


@pytest.mark.parametrize("table", ["", "some-other-table"])
def test_upload_with_no_or_a_wrong_table_refuses_to_leave_a_stale_digest(bucket: Bucket, table: str) -> None:
    if table:
        bucket.dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    before, digest = bucket.state_versions(), bucket.digest()
    line = one_line_error(run(*restore_args(bucket.versions["v2"], "--upload", "--yes", "--table", table)))
    assert f"--table {TABLE}" in line and "digest" in line
    assert_unchanged(bucket, before, digest)


def test_upload_without_any_digest_needs_no_table(bucket: Bucket) -> None:
    bucket.dynamodb.delete_item(TableName=TABLE, Key={"LockID": {"S": DIGEST_ID}})
    result = run(*restore_args(bucket.versions["v2"], "--upload", "--yes", "--table", ""))
    assert result.exit_code == 0, result.output
    assert json.loads(bucket.current()[1])["serial"] == 4


class ClientSpy:
    """An S3 client whose listed methods are replaced; everything else is the real (moto) client."""

    def __init__(self, client: Any, **replaced: Any) -> None:
        self._client = client
        self._replaced = replaced

    def __getattr__(self, name: str) -> Any:
        return self._replaced.get(name) or getattr(self._client, name)


def spy_on_s3(monkeypatch: pytest.MonkeyPatch, **replaced: Any) -> None:
    original = Aws.s3
    monkeypatch.setattr(Aws, "s3", lambda self: ClientSpy(original(self), **replaced))


@pytest.mark.parametrize("status", ["never", "Suspended"])
def test_upload_to_an_unversioned_bucket_is_refused(
    bucket: Bucket, status: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, digest = bucket.state_versions(), bucket.digest()
    if status == "Suspended":
        bucket.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    else:  # GetBucketVersioning of a bucket never versioned has no Status
        spy_on_s3(monkeypatch, get_bucket_versioning=lambda **kwargs: {})
    line = one_line_error(run(*restore_args(bucket.versions["v1"], "--upload", "--yes")))
    assert "versioning" in line and "not Enabled" in line
    if status == "Suspended":
        bucket.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    assert_unchanged(bucket, before, digest)


def test_an_empty_version_id_is_refused(bucket: Bucket) -> None:
    before, digest = bucket.state_versions(), bucket.digest()
    line = one_line_error(run(*restore_args("", "--upload", "--yes")))
    assert "--version-id is empty" in line
    assert_unchanged(bucket, before, digest)


def test_upload_takes_the_lock_around_its_write_and_releases_it(
    bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[bool, bool]] = []
    real_put = Aws(region=REGION).s3().put_object

    def put_object(**kwargs: Any) -> Any:
        if kwargs["Key"] == KEY:  # the state write: both locks must be held now
            item = bucket.dynamodb.get_item(TableName=TABLE, Key={"LockID": {"S": f"{BUCKET}/{KEY}"}})
            listed = bucket.s3.list_objects_v2(Bucket=BUCKET, Prefix=KEY + ".tflock").get("Contents")
            seen.append(("Item" in item, bool(listed)))
        return real_put(**kwargs)

    spy_on_s3(monkeypatch, put_object=put_object)
    result = run(*restore_args(bucket.versions["v1"], "--upload", "--yes"))
    assert result.exit_code == 0, result.output
    assert seen == [(True, True)]
    lock_items = bucket.dynamodb.scan(TableName=TABLE)["Items"]
    assert [i["LockID"]["S"] for i in lock_items] == [DIGEST_ID]
    assert not bucket.s3.list_objects_v2(Bucket=BUCKET, Prefix=KEY + ".tflock").get("Contents")


def test_upload_dry_run_prints_what_it_would_write_and_writes_nothing(bucket: Bucket) -> None:
    before, digest = bucket.state_versions(), bucket.digest()
    result = run(*restore_args(bucket.versions["v1"], "--upload", "--dry-run"))
    assert result.exit_code == 0, result.output
    restore = prepare_restore(Aws(region=REGION), BUCKET, KEY, bucket.versions["v1"])
    assert f"would write s3://{BUCKET}/{KEY}" in result.stdout
    assert f"if its version is still {bucket.versions['v3']}" in result.stdout
    assert f"would set {DIGEST_ID} in dynamodb table {TABLE} to {restore.md5}" in result.stdout
    assert "dry run: nothing written" in result.stdout
    assert_unchanged(bucket, before, digest)


def test_restore_racing_a_newer_write_writes_nothing(bucket: Bucket) -> None:
    policy = load_policy(RULES)
    aws = Aws(region=REGION)
    backend = resolve_backend(policy, "dev", aws)
    restore = prepare_restore(aws, BUCKET, KEY, bucket.versions["v1"])
    assert (restore.current_version_id, restore.serial) == (bucket.versions["v3"], 4)
    # An apply finishes between reading "current" and writing: serial 4 is now taken.
    newer = bucket.put(state_body(4, [QUEUE]))
    bucket.dynamodb.put_item(
        TableName=TABLE,
        Item={"LockID": {"S": DIGEST_ID}, "Digest": {"S": hashlib.md5(state_body(4, [QUEUE])).hexdigest()}},
    )
    before, digest = bucket.state_versions(), bucket.digest()
    with pytest.raises(UserError, match="changed after the restore was prepared"):
        upload_restore(aws, restore, policy=policy, layer="30_app", backend=backend)
    assert bucket.state_versions() == before
    assert bucket.current() == (newer, state_body(4, [QUEUE]))
    assert bucket.digest() == digest


def test_restore_after_the_state_was_deleted(bucket: Bucket) -> None:
    bucket.s3.delete_object(Bucket=BUCKET, Key=KEY)
    result = run(*restore_args(bucket.versions["v3"], "--upload", "--yes"))
    assert result.exit_code == 0, result.output
    _, body = bucket.current()
    assert json.loads(body)["serial"] == 3
    assert bucket.digest() == hashlib.md5(body).hexdigest()


# -- a current object that is the damage ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "problem"),
    [
        (b'{"version": 4, "lineage": "', "is not Terraform state"),  # an interrupted write
        (state_body(9, [QUEUE], lineage=OTHER_LINEAGE), f"the current state {OTHER_LINEAGE}"),  # a bad push
    ],
    ids=["truncated", "foreign lineage"],
)
def test_a_damaged_current_object_is_replaced_only_when_asked_loudly(
    bucket: Bucket, current: bytes, problem: str
) -> None:
    damaged = bucket.put(current)
    before = bucket.state_versions()
    line = one_line_error(run(*restore_args(bucket.versions["v2"], "--upload", "--yes")))
    assert problem in line and "--replace-damaged-current" in line
    assert bucket.state_versions() == before and bucket.current()[0] == damaged

    result = run(*restore_args(bucket.versions["v2"], "--upload", "--yes", "--replace-damaged-current"))
    assert result.exit_code == 0, result.output
    assert "WARNING: the current object is replaced" in result.stderr
    version_id, body = bucket.current()
    assert damaged in bucket.state_versions() and version_id != damaged  # the damage stays in history
    restored = json.loads(body)
    highest = 9 if b"serial" in current else 7  # the highest serial any version of the key ever had
    assert (restored["serial"], restored["lineage"]) == (highest + 1, LINEAGE)
    assert bucket.digest() == hashlib.md5(body).hexdigest()
