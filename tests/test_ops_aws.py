"""The boto3 client factory: retries throttling, records request ids, never deletes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from botocore.awsrequest import AWSResponse

from ops.aws import ClientFactory, RefusedOperation
from tests import ops_support
from tests.ops_support import DR, PRIMARY

# moto server, a stage-like stack in it, a fake clock (fixtures shared by the ops tests)
moto_endpoint, stack = ops_support.moto_endpoint, ops_support.stack

OPS = Path(__file__).resolve().parent.parent / "ops"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_):
        yield self.body


def _throttle_once(**kwargs):
    """before-send hook: answer the first request with an HTTP 400 ThrottlingException, then let requests through."""
    if _throttle_once.sent:
        return None
    _throttle_once.sent = True
    body = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
    return AWSResponse(
        kwargs["request"].url,
        400,
        {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "throttled-1"},
        _Raw(body),
    )


def test_throttling_is_retried_by_botocore_standard_mode(stack, monkeypatch):
    import botocore.retries.standard as standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.001)
    calls = []
    factory = stack.factory(retry_mode="standard", max_attempts=3)
    factory.sink = calls.append
    ssm = factory.client("ssm", DR)
    _throttle_once.sent = False
    ssm.meta.events.register("before-send.ssm.GetParameter", _throttle_once)

    value = ssm.get_parameter(Name=stack.data["dbEndpointParameterName"])["Parameter"]["Value"]

    assert value == stack.data["dbPrimaryEndpoint"]
    assert calls[-1].operation == "GetParameter" and calls[-1].retry_attempts == 1
    assert calls[-1].request_id and calls[-1].request_id != "throttled-1"


def test_adaptive_mode_is_accepted_and_unknown_modes_are_not():
    assert ClientFactory(retry_mode="adaptive").config.retries == {"mode": "adaptive", "total_max_attempts": 8}
    with pytest.raises(ValueError, match="standard or adaptive"):
        ClientFactory(retry_mode="legacy")


def test_delete_operations_are_refused_before_they_are_sent(stack):
    factory = stack.factory()
    rds = factory.client("rds", PRIMARY)

    with pytest.raises(RefusedOperation, match="DeleteDBInstance refused"):
        rds.delete_db_instance(DBInstanceIdentifier=stack.data["dbPrimaryIdentifier"], SkipFinalSnapshot=True)
    with pytest.raises(RefusedOperation):
        factory.client("s3", PRIMARY).delete_bucket(Bucket=stack.data["buckets"]["backups"]["primaryBucket"])

    assert rds.describe_db_instances(DBInstanceIdentifier=stack.data["dbPrimaryIdentifier"])["DBInstances"]


def test_ops_code_never_calls_a_delete_api():
    offenders = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(OPS.glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.(delete|remove)_[a-z_]+\(|\bDelete[A-Z][A-Za-z]+\b", line) and "refuse" not in line.lower()
    ]
    assert offenders == []


def test_endpoint_comes_from_the_environment_when_not_given(monkeypatch):
    monkeypatch.setenv("OPS_AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    assert ClientFactory().endpoint_url == "http://127.0.0.1:1"
