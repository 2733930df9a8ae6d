"""AWS access: the only module that imports boto3 (lazily, so `ttgate --help` stays fast).

:class:`Aws` is the one way to make a boto3 client: one session and region, every client retrying
throttling and 5xx with backoff (:data:`RETRY_ATTEMPTS`). Tests point it at moto (``mock_aws``, or a
moto server through ``endpoint_url``). :func:`aws_error` turns what boto3 raises
(missing credentials, access denied, a missing bucket or table...) into a one-line :class:`UserError`
that names the resource and the AWS error code.
"""

from __future__ import annotations

from typing import Any

from ttgate.errors import UserError

# botocore's "standard" mode retries throttling (RequestThrottled, ThrottlingException, SlowDown...) and
# 5xx with exponential backoff and jitter; an incident is exactly when AWS throttles, so clients get more
# attempts than botocore's default of 3.
RETRY_ATTEMPTS = 10

# Hints for the AWS error codes an operator meets most; the message always carries the code itself.
_HINTS = {
    "AccessDenied": "the credentials in use are not allowed to do this; check the IAM policy",
    "AccessDeniedException": "the credentials in use are not allowed to do this; check the IAM policy",
    "UnauthorizedOperation": "the credentials in use are not allowed to do this; check the IAM policy",
    "ExpiredToken": "the session has expired; log in again (aws sso login, or new credentials)",
    "ExpiredTokenException": "the session has expired; log in again (aws sso login, or new credentials)",
    "InvalidClientTokenId": "the access key is not valid; check AWS_PROFILE / AWS_ACCESS_KEY_ID",
    "InvalidAccessKeyId": "the access key is not valid; check AWS_PROFILE / AWS_ACCESS_KEY_ID",
    "SignatureDoesNotMatch": "the secret key does not match the access key",
    "NoSuchBucket": "the bucket does not exist; check --env, --account-id or --bucket",
    "ResourceNotFoundException": (
        "the table does not exist in this account and region; check --table and --region"
    ),
}


class Aws:
    """boto3 clients for one session (profile) and region, created on first use and kept."""

    def __init__(
        self, region: str | None = None, profile: str | None = None, endpoint_url: str | None = None
    ) -> None:
        self.region = region
        self.profile = profile
        self.endpoint_url = endpoint_url
        self._session: Any = None
        self._clients: dict[str, Any] = {}
        self._account_id: str | None = None

    def session(self) -> Any:
        if self._session is None:
            try:
                boto3 = _import("boto3")
            except ImportError:
                raise UserError(
                    "boto3 is not installed; install ttgate's AWS extra: pip install 'ttgate[aws]'"
                ) from None
            try:
                self._session = boto3.session.Session(profile_name=self.profile, region_name=self.region)
            except Exception as error:
                raise aws_error(error, "starting an AWS session") from None
        return self._session

    def client(self, service: str, *, retries: int = RETRY_ATTEMPTS) -> Any:
        """The session's client for ``service`` (``s3``, ``sqs``, ``logs``...), retrying, made once.

        ``retries=0`` is for a call that is not idempotent (SendMessageBatch): botocore would send
        it again after a 5xx or a timeout that hid a success, duplicating what the server accepted.
        Its caller decides what a failure means (:mod:`ttgate.operations.dlq.manual` reconciles).
        """
        key = service if retries == RETRY_ATTEMPTS else f"{service}/{retries}"
        if key not in self._clients:
            # botocore's max_attempts counts the retries only; total_max_attempts is one more
            settings = {"mode": "standard", "max_attempts": retries}
            config = _import("botocore.config").Config(retries=settings)
            try:
                self._clients[key] = self.session().client(
                    service, endpoint_url=self.endpoint_url, config=config
                )
            except UserError:
                raise
            except Exception as error:
                raise aws_error(error, f"creating the {service} client") from None
        return self._clients[key]

    def region_name(self) -> str | None:
        """The region clients are made in (the session's when none was given)."""
        return self.region or self.session().region_name

    def s3(self) -> Any:
        return self.client("s3")

    def dynamodb(self) -> Any:
        return self.client("dynamodb")

    def account_id(self) -> str:
        """The account of the credentials in use (STS GetCallerIdentity), asked once."""
        if self._account_id is None:
            try:
                self._account_id = str(self.client("sts").get_caller_identity()["Account"])
            except Exception as error:
                raise aws_error(
                    error, "finding the AWS account (sts get-caller-identity; or pass --account-id)"
                ) from None
        return self._account_id


def _import(name: str) -> Any:
    """A boto3 module, imported on first use (boto3 is untyped: ``Any`` at the boundary)."""
    import importlib

    return importlib.import_module(name)


def error_code(error: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError (``NoSuchKey``, ``PreconditionFailed``...), else None."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


THROTTLING_CODES = (
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "SlowDown",
    "AWS.SimpleQueueService.RequestThrottled",
)


def call_outcome(error: BaseException) -> str:
    """What a failed call means for a request that is not idempotent:

    - ``"not-done"``: the server did not carry it out (throttled, or the connection never opened);
      sending it again cannot duplicate anything;
    - ``"unknown"``: it may have been carried out (a 5xx, a timeout or a connection closed while
      waiting for the answer): sending it again may duplicate it;
    - ``"refused"``: any other answer (access denied, a bad request): sending it again fails again.
    """
    try:
        exceptions = _import("botocore.exceptions")
    except ImportError:  # pragma: no cover - boto3 is installed with botocore
        return "refused"
    if isinstance(error, exceptions.ClientError):
        if error_code(error) in THROTTLING_CODES:
            return "not-done"
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return "unknown" if isinstance(status, int) and status >= 500 else "refused"
    if isinstance(error, exceptions.ConnectionError):  # EndpointConnectionError, ConnectTimeoutError
        return "not-done"
    if isinstance(error, exceptions.BotoCoreError):  # ReadTimeoutError, ConnectionClosedError...
        return "unknown"
    return "refused"


def aws_error(error: BaseException, what: str) -> BaseException:
    """A one-line UserError for an AWS failure while doing ``what`` (which names the resource).

    Anything that is not an AWS or botocore error is returned unchanged: a bug stays a traceback.
    """
    try:
        exceptions = _import("botocore.exceptions")
    except ImportError:  # pragma: no cover - boto3 is installed with botocore
        return error
    if isinstance(error, exceptions.ClientError):
        code = error_code(error) or "Unknown"
        message = error.response.get("Error", {}).get("Message") or str(error)
        hint = _HINTS.get(code)
        return UserError(f"{what}: {code}: {message}" + (f" ({hint})" if hint else ""))
    name = type(error).__name__
    if isinstance(error, exceptions.NoCredentialsError | exceptions.PartialCredentialsError):
        return UserError(
            f"{what}: no usable AWS credentials ({name}); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or log in (aws sso login)"
        )
    if isinstance(error, exceptions.ProfileNotFound):
        return UserError(f"{what}: {error} ({name})")
    if isinstance(error, exceptions.NoRegionError):
        return UserError(f"{what}: no AWS region ({name}); pass --region or set AWS_REGION")
    if isinstance(error, exceptions.BotoCoreError):
        return UserError(f"{what}: {error} ({name})")
    return error


__all__ = ["RETRY_ATTEMPTS", "THROTTLING_CODES", "Aws", "aws_error", "call_outcome", "error_code"]
