"""The drill role's policy is derived from the calls the tools make, not written from memory.

Every AWS call `ops verify`, `ops drill --execute --canary` (with `--fault-db reboot` and `--fis-experiment`),
`ops failback --execute` (after a promotion and after a fault without one) and `ops topology` make against moto is
logged; mapped to IAM actions, that set must be exactly the actions of the documented policy,
docs/drill-role-policy.json, apart from the permissions AWS checks without a call of their own and the workflow's
page (listed with their reason). A missing action (the old documentation lacked
route53:UpdateHealthCheck and ssm:GetParameter) or a surplus one fails here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ops import topology
from ops.aws import ClientFactory
from ops.cli import canary_conninfo
from ops.clock import FakeClock
from ops.drill import Drill, DrillOptions
from ops.failback import Failback, FailbackOptions
from ops.identity import StackIdentity, check_caller
from ops.observers import Route53Health
from tests import ops_support
from tests.ops_support import (
    ACCOUNT,
    FakeCanary,
    MotoStack,
    Timeline,
    arm_on_fault,
    drill_world,
)

clock, moto_endpoint = ops_support.clock, ops_support.moto_endpoint

POLICY = Path(__file__).resolve().parent.parent / "docs" / "drill-role-policy.json"
# API operation → IAM action where the names differ (Service Authorization Reference); None: no permission needed.
RENAMED: dict[tuple[str, str], str | None] = {
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("sts", "GetCallerIdentity"): None,  # "No permissions are required to perform this operation" (STS API)
}
# Checked by AWS inside another call, so never a call of its own.
IMPLIED = {
    # CreateDBInstanceReadReplica with a KmsKeyId: RDS uses the key on the caller's behalf (RDS "Encrypting"
    # and cross-Region read replicas need kms:CreateGrant and kms:DescribeKey on the destination key).
    "kms:CreateGrant": "CreateDBInstanceReadReplica with KmsKeyId",
    "kms:DescribeKey": "CreateDBInstanceReadReplica with KmsKeyId",
    # The canary reads the DB secret, encrypted with a customer managed key.
    "kms:Decrypt": "GetSecretValue of a secret under a customer managed key",
    # Not an ops call: dr-drill.yml's page steps (`aws sns publish` to drOpsAlertTopicArn, the drill job's and the
    # switch-back-not-done job's) run as the drill role.
    "sns:Publish": "dr-drill.yml: page the DR ops topic on failure",
}


class LoggingFactory(ClientFactory):
    """A ClientFactory that also logs every call any of its clients completes."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.calls: set[tuple[str, str]] = set()

    def client(self, service: str, region: str) -> Any:
        fresh = (service, region) not in self._clients
        client = super().client(service, region)
        if fresh:
            client.meta.events.register("after-call.*.*", lambda model, **_: self.calls.add((service, model.name)))
        return client


def iam_actions(calls: set[tuple[str, str]]) -> set[str]:
    out = set()
    for service, operation in calls:
        action = RENAMED.get((service, operation), f"{service}:{operation}")
        if action:
            out.add(action)
    return out


def documented() -> set[str]:
    statements = json.loads(POLICY.read_text())["Statement"]
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def drill(stack: MotoStack, factory: LoggingFactory, clock, tmp_path: Path, **options: Any):
    timeline = Timeline(clock, **options.pop("timeline", {}))
    arm_on_fault(factory, timeline)
    world = drill_world(clock, timeline, FakeCanary(clock, timeline, down_after=0))
    identity = StackIdentity("stage", ACCOUNT, production=False)
    check_caller(factory, stack.data["dbReplicaRegion"], identity)
    canary_conninfo(factory, stack.outputs(), stack.data["dbPrimaryEndpoint"], "postgres")
    run = Drill("stage", stack.outputs(), factory, clock, world, DrillOptions(**options), identity=identity)
    return run.run(run.open(tmp_path))


@pytest.fixture
def calls(moto_endpoint, clock, tmp_path) -> set[tuple[str, str]]:
    factory = LoggingFactory(endpoint_url=moto_endpoint)
    promoted = MotoStack(moto_endpoint).build()
    promoted.data["chaosExperimentTemplateIds"] = {"primary-db-reboot": promoted.fis_template()}
    assert drill(promoted, factory, clock, tmp_path / "a", fault_db="reboot", fis_experiments=("primary-db-reboot",)).ok
    Failback("stage", promoted.outputs(), factory, clock, Timeline(clock), FailbackOptions(poll_interval=1)).run(
        tmp_path / "b"
    )
    topology.findings(promoted.outputs(), factory)  # dr-drill.yml runs `ops topology` after failback
    not_promoted = MotoStack(moto_endpoint).build()
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))  # the new stack's metrics are from now
    stopped = drill(not_promoted, factory, clock, tmp_path / "c", timeline={"unhealthy_after": None}, health_timeout=30)
    assert stopped.verdict["state"] == "fault-injected", stopped.reason
    Failback("stage", not_promoted.outputs(), factory, clock, Timeline(clock), FailbackOptions(poll_interval=1)).run(
        tmp_path / "d"
    )
    # The drill's health observer in a real run (scripted above): Route53 GetHealthCheckStatus.
    Route53Health(factory).status(promoted.data["failover"]["gateway"]["primaryHealthCheckId"])
    return factory.calls


def test_every_call_the_tools_make_is_in_the_documented_drill_policy(calls):
    missing = iam_actions(calls) - documented()
    assert not missing, f"docs/drill-role-policy.json lacks {sorted(missing)}"


def test_the_documented_drill_policy_grants_nothing_the_tools_do_not_need(calls):
    surplus = documented() - iam_actions(calls) - set(IMPLIED)
    assert not surplus, f"docs/drill-role-policy.json grants {sorted(surplus)} that no call needs"


def test_the_calls_include_the_ones_the_old_documentation_lacked(calls):
    assert {"route53:UpdateHealthCheck", "ssm:GetParameter"} <= iam_actions(calls)
    assert ("route53", "UpdateHealthCheck") in calls
