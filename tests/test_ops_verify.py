"""`python -m ops verify` against moto: each check passes on a healthy stack and fails on its own fault."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from ops.cli import Deps, main
from ops.observers import Route53Health
from ops.verify import FAIL, PASS, SKIP, Verifier
from tests import ops_support
from tests.ops_support import DR, MotoStack, StaticVelero, velero_objects

# moto server, a stage-like stack in it, a fake clock (fixtures shared by the ops tests)
clock, moto_endpoint, stack = ops_support.clock, ops_support.moto_endpoint, ops_support.stack


def verify(stack: MotoStack, clock, *, backup_age=timedelta(minutes=20), schedule="0 * * * *", **outputs):
    factory = stack.factory()
    velero = StaticVelero(velero_objects(clock.now(), backup_age=backup_age, schedule=schedule))
    checks = Verifier(stack.outputs(**outputs), factory, clock, Route53Health(factory), velero).run()
    return {c.name: c for c in checks}


def test_healthy_stack_passes_every_check(stack, clock):
    checks = verify(stack, clock)

    assert {name: c.status for name, c in checks.items()} == {
        "primary-available": PASS,
        "replica-available": PASS,
        "replica-lag": PASS,
        "lag-alarm": PASS,
        "latest-restorable-time": PASS,
        "backups-replicated": PASS,
        "newest-snapshot": PASS,
        "bucket-replication:backups": PASS,
        "health-check:gateway:primary": PASS,
        "health-check:gateway:secondary": PASS,
        "velero-backup": PASS,
    }
    assert checks["replica-lag"].observed == 4.0


def test_replica_lag_above_the_rpo_fails(moto_endpoint, clock):
    checks = verify(MotoStack(moto_endpoint).build(lag=420), clock)

    assert checks["replica-lag"].status == FAIL and "420" in checks["replica-lag"].detail


def test_backups_not_replicated_to_the_dr_region_fail(moto_endpoint, clock):
    checks = verify(MotoStack(moto_endpoint).build(replicate_backups=False), clock)

    assert checks["backups-replicated"].status == FAIL and DR in checks["backups-replicated"].detail


def test_bucket_replication_without_rtc_fails(moto_endpoint, clock):
    checks = verify(MotoStack(moto_endpoint).build(rtc=False), clock)

    assert checks["bucket-replication:backups"].status == FAIL
    assert "RTC" in checks["bucket-replication:backups"].detail


def test_failed_replication_operations_fail(moto_endpoint, clock):
    checks = verify(MotoStack(moto_endpoint).build(failed_replication=3), clock)

    assert checks["bucket-replication:backups"].status == FAIL
    assert "3 failed operations" in checks["bucket-replication:backups"].detail


def test_an_inverted_health_check_left_by_a_drill_fails(stack, clock):
    stack.factory().client("route53", "us-east-1").update_health_check(
        HealthCheckId=stack.data["failover"]["gateway"]["primaryHealthCheckId"], Inverted=True
    )

    check = verify(stack, clock)["health-check:gateway:primary"]

    assert check.status == FAIL and "INVERTED" in check.detail and check.observed == "Unhealthy"


def test_promoted_replica_is_no_longer_a_replica(stack, clock):
    stack.factory().client("rds", DR).promote_read_replica(DBInstanceIdentifier=stack.data["dbReplicaIdentifier"])

    assert verify(stack, clock)["replica-available"].status == FAIL


def test_velero_backup_older_than_the_schedule_fails(stack, clock):
    checks = verify(stack, clock, backup_age=timedelta(hours=3))

    assert checks["velero-backup"].status == FAIL and "every 1 h" in checks["velero-backup"].detail


def test_velero_daily_schedule_accepts_a_backup_from_this_morning(stack, clock):
    assert verify(stack, clock, backup_age=timedelta(hours=20), schedule="0 3 * * *")["velero-backup"].status == PASS


def test_velero_schedule_with_an_invalid_cron_fails_that_check_not_the_run(stack, clock):
    checks = verify(stack, clock, schedule="0 3 L * *")

    assert checks["velero-backup"].status == FAIL and "day-of-month" in checks["velero-backup"].detail
    assert checks["primary-available"].status == PASS


def test_stack_without_failover_or_velero_skips_those_checks(stack, clock):
    checks = verify(stack, clock, failover=None, veleroNamespace=None)

    assert checks["health-checks"].status == SKIP and checks["velero-backup"].status == SKIP


def test_cli_verify_json_exit_0_then_exit_1_on_a_failure(stack, clock, tmp_path):
    outputs = stack.write(tmp_path / "outputs.json")
    velero = tmp_path / "velero.json"
    velero.write_text(
        json.dumps({"kind": "List", "items": velero_objects(clock.now(), backup_age=timedelta(minutes=5))})
    )
    argv = [
        "verify",
        "--stack",
        "stage",
        "--outputs",
        str(outputs),
        "--endpoint-url",
        stack.endpoint,
        "--velero-json",
        str(velero),
        "--format",
        "json",
    ]
    out = io.StringIO()
    assert main(argv, Deps(clock=clock, stdout=out)) == 0
    assert json.loads(out.getvalue())["ok"] is True

    out = io.StringIO()
    assert main([*argv, "--rpo-seconds", "2"], Deps(clock=clock, stdout=out)) == 1
    failed = [c["name"] for c in json.loads(out.getvalue())["checks"] if c["status"] == "fail"]
    assert failed == ["replica-lag"]


def test_cli_verify_renders_a_table(stack, clock, tmp_path):
    outputs = stack.write(tmp_path / "outputs.json", veleroNamespace=None)
    out = io.StringIO()
    code = main(
        ["verify", "--stack", "stage", "--outputs", str(outputs), "--endpoint-url", stack.endpoint],
        Deps(clock=clock, stdout=out),
    )

    assert code == 0
    assert "verify stage: OK" in out.getvalue() and "bucket-replication:backups" in out.getvalue()


def test_skip_velero_is_a_recorded_skip_with_its_reason_not_a_failure_nor_a_pass(stack, clock):
    from ops.verify import VerifyOptions

    checks = Verifier(
        stack.outputs(),
        stack.factory(),
        clock,
        Route53Health(stack.factory()),
        None,
        VerifyOptions(velero_skip_reason="the drill runner has no cluster access"),
    ).run()

    (velero,) = [c for c in checks if c.name == "velero-backup"]
    assert velero.status == SKIP
    assert velero.detail == "not checked (--skip-velero): the drill runner has no cluster access"
