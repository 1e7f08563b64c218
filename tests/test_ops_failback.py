"""Failback against moto after a promotion: replica in the original region, inversion undone, idempotent."""

from __future__ import annotations

import io

import pytest

from ops.cli import Deps, main
from ops.drill import ProductionRefused
from ops.failback import Failback, FailbackOptions
from ops.observers import Route53Health
from tests import ops_support
from tests.ops_support import ACCOUNT, DR, MOTO_ACCOUNTS, PRIMARY, MotoStack

# moto server, a stage-like stack in it, a fake clock (fixtures shared by the ops tests)
clock, moto_endpoint, stack = ops_support.clock, ops_support.moto_endpoint, ops_support.stack


def after_drill(stack: MotoStack) -> MotoStack:
    f = stack.factory()
    f.client("rds", DR).promote_read_replica(
        DBInstanceIdentifier=stack.data["dbReplicaIdentifier"], BackupRetentionPeriod=7
    )
    f.client("route53", PRIMARY).update_health_check(
        HealthCheckId=stack.data["failover"]["gateway"]["primaryHealthCheckId"], Inverted=True
    )
    return stack


def failback(stack: MotoStack, clock, tmp_path):
    factory = stack.factory()
    return Failback(
        "stage", stack.outputs(), factory, clock, Route53Health(factory), FailbackOptions(poll_interval=1)
    ).run(tmp_path)


def test_failback_creates_a_replica_of_the_promoted_instance_and_undoes_the_inversion(stack, clock, tmp_path):
    ok, evidence = failback(after_drill(stack), clock, tmp_path)

    assert ok, evidence.data["verdict"]
    new = (
        stack.factory()
        .client("rds", PRIMARY)
        .describe_db_instances(DBInstanceIdentifier=f"{stack.data['dbPrimaryIdentifier']}-failback")["DBInstances"][0]
    )
    assert new["ReadReplicaSourceDBInstanceIdentifier"] == stack.data["dbReplicaArn"]
    assert stack.health_check()["Inverted"] is False
    assert stack.parameter(PRIMARY) == stack.data["dbReplicaEndpoint"]
    assert (
        stack.factory()
        .client("rds", PRIMARY)
        .describe_db_instances(DBInstanceIdentifier=stack.data["dbPrimaryIdentifier"])["DBInstances"]
    )  # the old primary is kept
    assert (evidence.directory / "report.md").is_file()


def test_failback_twice_changes_nothing_the_second_time(stack, clock, tmp_path):
    after_drill(stack)
    failback(stack, clock, tmp_path / "1")
    ok, evidence = failback(stack, clock, tmp_path / "2")

    assert ok
    assert evidence.step("create-replica")["result"]["existing"] is True
    assert evidence.step("undo-inversion")["result"] == {"alreadyUninverted": True}
    operations = {c["operation"] for s in evidence.data["steps"] for c in s["apiCalls"]}
    assert not operations & {"CreateDBInstanceReadReplica", "UpdateHealthCheck", "PutParameter"}


def test_failback_after_a_fault_without_promotion_only_undoes_the_inversion(stack, clock, tmp_path):
    # the state a drill stopped between the fault and the promotion leaves behind (it used to be "nothing to fail
    # back", exit 1, with a switch-back plan for an instance that does not exist)
    stack.factory().client("route53", PRIMARY).update_health_check(
        HealthCheckId=stack.data["failover"]["gateway"]["primaryHealthCheckId"], Inverted=True
    )
    ok, evidence = failback(stack, clock, tmp_path)

    assert ok, evidence.data["verdict"]
    assert stack.health_check()["Inverted"] is False
    assert evidence.step("create-replica")["status"] == "skipped"
    operations = {c["operation"] for s in evidence.data["steps"] for c in s["apiCalls"]}
    assert not operations & {"CreateDBInstanceReadReplica", "PutParameter"}
    assert stack.parameter(PRIMARY) == stack.data["dbPrimaryEndpoint"]
    assert not any("-failback" in line for line in evidence.data["nextSteps"])


def test_failback_refuses_production_without_confirmation(stack, clock, tmp_path):
    factory = stack.factory()
    with pytest.raises(ProductionRefused):
        Failback("prod", stack.outputs(environment="prod"), factory, clock, Route53Health(factory))
    outputs = stack.write(tmp_path / "prod.json", environment="prod")
    outputs.write_text(outputs.read_text().replace(f":{ACCOUNT}:", f":{MOTO_ACCOUNTS['prod'][0]}:"))
    err = io.StringIO()
    assert (
        main(["failback", "--stack", "prod", "--outputs", str(outputs)], Deps(stderr=err, accounts=MOTO_ACCOUNTS)) == 2
    )
    assert "--confirm-production prod" in err.getvalue()
