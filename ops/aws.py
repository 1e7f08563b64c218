"""boto3 clients for the tools: retries, an endpoint override (moto), request-id capture, and no deletes.

Every client comes from `ClientFactory.client(service, region)`:
* botocore retries in "standard" mode (or "adaptive", which adds client-side rate limiting), so throttling
  (`ThrottlingException`, `Throttling`, `RequestLimitExceeded`, 5xx) is retried with exponential backoff;
* `endpoint_url` (or `OPS_AWS_ENDPOINT_URL`) points every client at one endpoint — a moto server in tests;
* each completed call is reported to `factory.sink` as an `ApiCall` (service, operation, region, request id,
  retry attempts) — the evidence log records them per step;
* any operation whose name starts with `Delete` is refused before it is sent: the tools never delete
  instances, snapshots, buckets or anything else (deletion is the dual-control runbook's job).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

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


class RefusedOperation(RuntimeError):
    """Raised instead of sending an operation the tools must never perform."""


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
            retries={"mode": retry_mode, "max_attempts": max_attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
        self.sink: Callable[[ApiCall], None] | None = None
        self._session = _shared_session()
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            client = self._session.client(
                service, region_name=region, endpoint_url=self.endpoint_url, config=self.config
            )
            client.meta.events.register("before-call.*.*", _refuse_deletes)
            client.meta.events.register("after-call.*.*", self._record(service, region))
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
        _SESSION = boto3.session.Session()
    return _SESSION


def _refuse_deletes(model: Any, **_: Any) -> None:
    if model.name.startswith("Delete"):
        raise RefusedOperation(f"{model.service_model.service_name}.{model.name} refused: ops/ never deletes")
