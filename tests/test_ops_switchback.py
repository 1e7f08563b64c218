"""`ops failback --switch-back` against moto: from the state failback leaves back to the stack's outputs."""

from __future__ import annotations

import io

from ops import topology
from ops.cli import Deps, main
from ops.failback import FailbackOptions
from ops.switchback import SwitchBack, retired_identifier
from tests import ops_support
from tests.ops_support import DR, MOTO_ACCOUNTS, PRIMARY, MotoStack, leave_failed_back, set_failback_lag

clock, moto_endpoint, stack = ops_support.clock, ops_support.moto_endpoint, ops_support.stack


def failed_back(stack: MotoStack, *, lag: float = 0.0, ago: float = 30) -> MotoStack:
    """What drill + failback leave: the old primary fenced (stopped), the DR writer, a caught-up -failback replica."""
    leave_failed_back(stack)
    f, d = stack.factory(), stack.data
    f.client("rds", PRIMARY).stop_db_instance(DBInstanceIdentifier=d["dbPrimaryIdentifier"])
    set_failback_lag(stack, lag, ago)
    return stack


def switch_back(stack: MotoStack, clock, tmp_path):
    return SwitchBack("stage", stack.outputs(), stack.factory(), clock, None, FailbackOptions(poll_interval=1)).run(
        tmp_path
    )


def identifiers(stack: MotoStack, region: str) -> set[str]:
    """This stack's instances in `region` (the moto server is shared by the tests)."""
    rds = stack.factory().client("rds", region)
    return {
        db["DBInstanceIdentifier"]
        for db in rds.describe_db_instances()["DBInstances"]
        if db["DBInstanceIdentifier"].startswith(f"db-{stack.suffix}")
    }


def test_the_switch_back_makes_the_live_databases_match_the_outputs_again(stack, clock, tmp_path):
    failed_back(stack)

    ok, evidence = switch_back(stack, clock, tmp_path)

    assert ok, evidence.data["verdict"]
    assert topology.findings(stack.outputs(), stack.factory()) == []
    d = stack.data
    writer = stack.factory().client("rds", PRIMARY).describe_db_instances(DBInstanceIdentifier=d["dbPrimaryIdentifier"])
    assert writer["DBInstances"][0]["DBInstanceArn"] == d["dbPrimaryArn"]
    assert writer["DBInstances"][0]["BackupRetentionPeriod"] == d["dbBackupRetentionDays"]  # the outputs' 14 days
    assert stack.parameter(PRIMARY) == stack.parameter(DR) == d["dbPrimaryEndpoint"]


def test_the_old_instances_are_renamed_retired_never_deleted(stack, clock, tmp_path):
    failed_back(stack)

    ok, evidence = switch_back(stack, clock, tmp_path)

    stamp = evidence.step("check-state")["result"]["stamp"]
    d = stack.data
    assert ok
    assert retired_identifier(d["dbPrimaryIdentifier"], stamp) in identifiers(stack, PRIMARY)
    assert retired_identifier(d["dbReplicaIdentifier"], stamp) in identifiers(stack, DR)
    assert len(identifiers(stack, PRIMARY)) == 2 and len(identifiers(stack, DR)) == 2


def test_a_replica_still_behind_stops_before_anything_changes(stack, clock, tmp_path):
    failed_back(stack, lag=42)
    before = identifiers(stack, PRIMARY), identifiers(stack, DR)

    ok, evidence = switch_back(stack, clock, tmp_path)

    assert not ok
    assert "is 42 s behind: stop writes to" in evidence.data["verdict"]["reason"]
    assert (identifiers(stack, PRIMARY), identifiers(stack, DR)) == before


def test_a_stopped_switch_back_continues_when_run_again(stack, clock, tmp_path):
    failed_back(stack, lag=42, ago=150)
    assert not switch_back(stack, clock, tmp_path / "1")[0]
    set_failback_lag(stack, 0.0, ago=10)  # a later minute: writes stopped, the replica caught up

    ok, _ = switch_back(stack, clock, tmp_path / "2")

    assert ok and topology.findings(stack.outputs(), stack.factory()) == []


def test_a_second_switch_back_finds_the_topology_matching_and_changes_nothing(stack, clock, tmp_path):
    failed_back(stack)
    switch_back(stack, clock, tmp_path / "1")
    before = identifiers(stack, PRIMARY), identifiers(stack, DR)

    ok, evidence = switch_back(stack, clock, tmp_path / "2")

    assert ok and evidence.step("check-state")["result"] == {"alreadyMatches": True}
    assert (identifiers(stack, PRIMARY), identifiers(stack, DR)) == before


def test_without_a_failback_replica_it_stops_naming_the_command_to_run_first(stack, clock, tmp_path):
    stack.factory().client("rds", DR).promote_read_replica(DBInstanceIdentifier=stack.data["dbReplicaIdentifier"])

    ok, evidence = switch_back(stack, clock, tmp_path)

    assert not ok and "run `ops failback --execute` first" in evidence.data["verdict"]["reason"]


def test_retired_names_fit_rds_identifier_rules():
    name = retired_identifier("a" * 50 + "-" + "b" * 12, "202611292235")

    assert len(name) <= 63 and name.endswith("-retired-202611292235") and "--" not in name


def test_the_cli_dry_run_prints_the_renames_and_changes_nothing(stack, tmp_path):
    out = io.StringIO()
    outputs = stack.write(tmp_path / "outputs.json")

    code = main(
        ["failback", "--stack", "stage", "--outputs", str(outputs), "--switch-back"],
        Deps(stdout=out, accounts=MOTO_ACCOUNTS),
    )

    text = out.getvalue()
    assert code == 0 and text.startswith("failback --switch-back plan for stage (dry-run")
    d = stack.data
    assert f"NewDBInstanceIdentifier={d['dbPrimaryIdentifier']}, ApplyImmediately=True" in text
    assert f"BackupRetentionPeriod={d['dbBackupRetentionDays']}" in text
