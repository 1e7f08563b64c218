"""boto3 clients for the tools: retries, an endpoint override (moto), request-id capture, and no deletes.

Every client comes from `ClientFactory.client(service, region)`:
* botocore retries in "standard" mode (or "adaptive", which adds client-side rate limiting), so throttling
  (`ThrottlingException`, `Throttling`, `RequestLimitExceeded`, 5xx) is retried with exponential backoff;
* `endpoint_url` (or `OPS_AWS_ENDPOINT_URL`) points every client at one endpoint — a moto server in tests;
* each completed call is reported to `factory.sink` as an `ApiCall` (service, operation, region, request id,
  retry attempts) — the evidence log records them per step;
* any operation whose name starts with `Delete` is refused before it is sent: the tools never delete
  instances, snapshots, buckets or anything else (deletion is the dual-control runbook's job);
* a call AWS cannot answer usefully becomes an `AwsProblem` (exit 3) whose one line names the call (service,
  operation, region) and what to do: no or incomplete credentials, credentials AWS rejects, access denied,
  throttling that outlasted the retries, an endpoint that cannot be reached or does not answer. The hooks that
  do it run once per call, after botocore's retries, so nothing downstream (a verify check's `except
  ClientError`) can mistake a broken environment for a failed check.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
    SSOError,
    TokenRetrievalError,
)

from ops.errors import EnvironmentProblem, InputError, one_line

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "PriorRequestNotComplete",
    }
)
# Codes AWS answers when the caller may not do this, per the "Common Errors" page of the API references
# (https://docs.aws.amazon.com/awsconsolehelpdocs/latest/gsg/common-errors.html): query APIs (RDS, CloudWatch,
# Route53, S3) say AccessDenied, JSON APIs (SSM, Secrets Manager) AccessDeniedException, EC2-style APIs
# UnauthorizedOperation.
ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorized", "AuthorizationError"}
)
# Codes for credentials AWS does not accept at all (unknown key, expired session token, bad signature, clock skew).
CREDENTIALS_REJECTED_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "AuthFailure",
        "RequestExpired",
    }
)
CREDENTIALS_HINT = "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role provides them"
ENDPOINT_HINT = "check the network and proxy settings, or --endpoint-url / OPS_AWS_ENDPOINT_URL"


class RefusedOperation(InputError):
    """Raised instead of sending an operation the tools must never perform (exit 2)."""


class AwsProblem(EnvironmentProblem):
    """AWS could not be used for a call: credentials, permissions, throttling or the network (exit 3)."""


class AwsThrottled(AwsProblem):
    """Throttling outlasted botocore's retries; `Runner.wait_until` keeps polling through it until its timeout."""


@dataclass(frozen=True)
class ApiCall:
    service: str
    operation: str
    region: str
    request_id: str | None
    http_status: int | None
    retry_attempts: int

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "operation": self.operation,
            "region": self.region,
            "requestId": self.request_id,
            "httpStatus": self.http_status,
            "retryAttempts": self.retry_attempts,
        }


def is_throttling(err: BaseException) -> bool:
    if isinstance(err, AwsThrottled):
        return True
    return isinstance(err, ClientError) and err.response.get("Error", {}).get("Code") in THROTTLING_CODES


def request_id(response: dict[str, Any]) -> str | None:
    return response.get("ResponseMetadata", {}).get("RequestId")


class ClientFactory:
    """Caches one client per (service, region); see the module docstring for what every client does."""

    def __init__(
        self,
        *,
        endpoint_url: str | None = None,
        retry_mode: str = "standard",
        max_attempts: int = 8,
        connect_timeout: float = 5,
        read_timeout: float = 30,
    ) -> None:
        if retry_mode not in ("standard", "adaptive"):
            raise ValueError(f"retry mode must be standard or adaptive, got {retry_mode!r}")
        self.endpoint_url = endpoint_url or os.environ.get("OPS_AWS_ENDPOINT_URL") or None
        self.config = Config(
            # total_max_attempts counts the first try; botocore's `max_attempts` key would count retries only
            # (Config docs: "a value of 1 indicates that no requests will be retried").
            retries={"mode": retry_mode, "total_max_attempts": max_attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
        self.sink: Callable[[ApiCall], None] | None = None
        self._session = _shared_session()
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            try:
                client = self._session.client(
                    service, region_name=region, endpoint_url=self.endpoint_url, config=self.config
                )
            except BotoCoreError as err:  # credentials and profiles are resolved here, before any call
                raise _setup_problem(err, f"{service} in {region}") from err
            client.meta.events.register("before-call.*.*", _refuse_deletes)
            client.meta.events.register("after-call.*.*", self._record(service, region))
            client.meta.events.register("after-call.*.*", _raise_unanswered(service, region))
            client.meta.events.register("after-call-error.*.*", _raise_unsent(service, region))
            self._clients[key] = client
        return self._clients[key]

    def _record(self, service: str, region: str) -> Callable[..., None]:
        def after_call(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
            if self.sink is None:
                return
            meta = parsed.get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
            self.sink(
                ApiCall(
                    service,
                    model.name,
                    region,
                    meta.get("RequestId"),
                    meta.get("HTTPStatusCode"),
                    int(meta.get("RetryAttempts", 0)),
                )
            )

        return after_call


_SESSION: boto3.session.Session | None = None


def _shared_session() -> boto3.session.Session:
    """One session per process: it caches the loaded service models, which makes each new client cheap."""
    global _SESSION
    if _SESSION is None:
        try:
            _SESSION = boto3.session.Session()
        except BotoCoreError as err:  # an AWS_PROFILE naming no profile is refused here, before any client exists
            raise _setup_problem(err, "the AWS session") from err
    return _SESSION


def _refuse_deletes(model: Any, **_: Any) -> None:
    if model.name.startswith("Delete"):
        raise RefusedOperation(f"{model.service_model.service_name}.{model.name} refused: ops/ never deletes")


# --- calls AWS could not answer usefully ----------------------------------------------------------------------


def _aws_message(error: dict[str, Any]) -> str:
    code, message = error.get("Code") or "?", (error.get("Message") or "").strip()
    return f"{code}: {message}" if message else str(code)


def _raise_unanswered(service: str, region: str) -> Callable[..., None]:
    """after-call hook: AWS answered with an error that says the environment, not the request, is wrong."""

    def after_call(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if getattr(http_response, "status_code", 200) < 300 or not isinstance(parsed, dict):
            return
        error = parsed.get("Error") or {}
        code = error.get("Code")
        call = f"{service} {model.name} in {region}"
        if code in ACCESS_DENIED_CODES:
            raise AwsProblem(
                f"AWS denied {call} ({_aws_message(error)}) — grant that permission to the identity running ops"
            )
        if code in CREDENTIALS_REJECTED_CODES:
            raise AwsProblem(
                f"AWS rejected the credentials for {call} ({_aws_message(error)}) — refresh them (an expired "
                f"session: log in again) or {CREDENTIALS_HINT}"
            )
        if code in THROTTLING_CODES:
            attempts = int((parsed.get("ResponseMetadata") or {}).get("RetryAttempts", 0)) + 1
            raise AwsThrottled(
                f"AWS kept throttling {call} ({code}) after {attempts} attempt(s) — retry later, or raise "
                "--max-attempts, or use --retry-mode adaptive"
            )

    return after_call


def _raise_unsent(service: str, region: str) -> Callable[..., None]:
    """after-call-error hook: the call never got an answer (credentials missing, endpoint unreachable)."""

    def after_call_error(exception: BaseException, event_name: str = "", **_: Any) -> None:
        call = f"{service} {event_name.rsplit('.', 1)[-1] or 'call'} in {region}"  # after-call-error.<svc>.<Op>
        problem = _unsent_problem(exception, call)
        if problem is not None:
            raise problem from exception

    return after_call_error


def _unsent_problem(err: BaseException, call: str) -> AwsProblem | None:
    endpoint = getattr(err, "kwargs", {}).get("endpoint_url", "the endpoint")
    if isinstance(err, NoCredentialsError):
        return AwsProblem(f"no AWS credentials for {call} — {CREDENTIALS_HINT}")
    if isinstance(err, ConnectTimeoutError):
        return AwsProblem(f"cannot reach AWS for {call}: connecting to {endpoint} timed out — {ENDPOINT_HINT}")
    if isinstance(err, ReadTimeoutError):
        return AwsProblem(f"AWS did not answer {call} in time ({endpoint}) — retry later; {ENDPOINT_HINT}")
    if isinstance(err, (ProxyConnectionError, SSLError)):
        return AwsProblem(f"cannot reach AWS for {call} at {endpoint} ({one_line(str(err), 160)}) — {ENDPOINT_HINT}")
    if isinstance(err, (EndpointConnectionError, ConnectionClosedError)):
        return AwsProblem(f"cannot reach AWS for {call}: no connection to {endpoint} — {ENDPOINT_HINT}")
    if isinstance(err, BotoCoreError):
        return _setup_problem(err, call)
    return None


def _setup_problem(err: BotoCoreError, what: str) -> AwsProblem:
    if isinstance(err, PartialCredentialsError):
        return AwsProblem(
            f"incomplete AWS credentials for {what} ({err}) — set both AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or neither"
        )
    if isinstance(err, ProfileNotFound):
        return AwsProblem(f"{err} — set AWS_PROFILE to a profile in ~/.aws/config (or AWS_CONFIG_FILE)")
    if isinstance(err, (CredentialRetrievalError, TokenRetrievalError, SSOError)):
        return AwsProblem(f"could not get AWS credentials for {what} ({err}) — log in again or {CREDENTIALS_HINT}")
    return AwsProblem(f"AWS client for {what}: {err}")
