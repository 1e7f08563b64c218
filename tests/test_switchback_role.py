"""The switch-back role's policy is derived from the calls the switch-back job makes, not written from memory.

dr-drill.yml's switch-back job runs, as the role `vars.AWS_SWITCHBACK_ROLE_ARN` of the `<environment>-switch-back`
environment: `ops failback --switch-back --execute` (an identity check, then the switch-back from the state failback
leaves — the fenced old primary stopped, so it is started before its rename), `ops topology` and `ops verify`. Every
AWS call they make against moto is logged; mapped to IAM actions, that set must be exactly the actions of the
documented policy, docs/switchback-role-policy.json, apart from the permissions AWS checks without a call of their
own and the one call the workflow makes itself (the page), each listed with its reason. Mirrors
tests/test_drill_role.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ops import topology
from ops.failback import FailbackOptions
from ops.identity import StackIdentity, check_caller
from ops.observers import Route53Health
from ops.switchback import SwitchBack
from ops.verify import Verifier, VerifyOptions
from tests import ops_support
from tests.ops_support import ACCOUNT, PRIMARY, MotoStack, leave_failed_back
from tests.test_drill_role import LoggingFactory, iam_actions

clock, moto_endpoint = ops_support.clock, ops_support.moto_endpoint

POLICY = Path(__file__).resolve().parent.parent / "docs" / "switchback-role-policy.json"
# Permissions the role needs that no `python -m ops` call shows, each with the reason.
IMPLIED = {
    # CreateDBInstanceReadReplica with a KmsKeyId (the re-created DR replica under dbReplicaKmsKeyArn): RDS uses the
    # key on the caller's behalf (cross-Region encrypted read replicas need kms:CreateGrant and kms:DescribeKey).
    "kms:CreateGrant": "CreateDBInstanceReadReplica with KmsKeyId",
    "kms:DescribeKey": "CreateDBInstanceReadReplica with KmsKeyId",
    # The job's "Page the on-call" step (`aws sns publish` to drOpsAlertTopicArn) runs as this role too.
    "sns:Publish": "dr-drill.yml switch-back job: page the DR ops topic on failure",
}


def documented() -> set[str]:
    statements = json.loads(POLICY.read_text())["Statement"]
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


@pytest.fixture
def calls(moto_endpoint, clock, tmp_path) -> set[tuple[str, str]]:
    stack = MotoStack(moto_endpoint).build()
    leave_failed_back(stack)
    d = stack.data
    f = stack.factory()
    f.client("rds", PRIMARY).stop_db_instance(DBInstanceIdentifier=d["dbPrimaryIdentifier"])  # fenced by the drill
    f.client("cloudwatch", PRIMARY).put_metric_data(  # writes stopped: the -failback replica caught up
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "ReplicaLag",
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": f"{d['dbPrimaryIdentifier']}-failback"}],
                "Value": 0.0,
                "Timestamp": datetime.now(UTC) - timedelta(seconds=30),
                "Unit": "Seconds",
            }
        ],
    )
    factory = LoggingFactory(endpoint_url=moto_endpoint)
    check_caller(factory, d["dbReplicaRegion"], StackIdentity("stage", ACCOUNT, production=False))
    ok, evidence = SwitchBack("stage", stack.outputs(), factory, clock, None, FailbackOptions(poll_interval=1)).run(
        tmp_path
    )
    assert ok, evidence.data["verdict"]
    assert topology.findings(stack.outputs(), factory) == []  # the job's `ops topology`
    # the job's `ops verify` (Velero skipped: its cluster read is kubectl, not an AWS API call of the role's)
    Verifier(
        stack.outputs(), factory, clock, Route53Health(factory), None, VerifyOptions(velero_skip_reason="no cluster")
    ).run()
    return factory.calls


def test_every_call_the_switch_back_job_makes_is_in_the_documented_policy(calls):
    missing = iam_actions(calls) - documented()
    assert not missing, f"docs/switchback-role-policy.json lacks {sorted(missing)}"


def test_the_documented_switch_back_policy_grants_nothing_the_job_does_not_need(calls):
    surplus = documented() - iam_actions(calls) - set(IMPLIED)
    assert not surplus, f"docs/switchback-role-policy.json grants {sorted(surplus)} that no call needs"


def test_the_calls_include_the_renames_and_the_restart_the_drill_role_does_not_have(calls):
    drill = json.loads((POLICY.parent / "drill-role-policy.json").read_text())["Statement"]
    drill_actions = {a for s in drill for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    only_here = {"rds:ModifyDBInstance", "rds:StartDBInstance"}
    assert only_here <= iam_actions(calls) and not only_here & drill_actions
