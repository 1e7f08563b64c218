"""Backup and replication verification: is the stack ready to lose its primary region right now?

Each check is read-only and independent; an AWS error fails that check (with the error code) rather than the run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from contract.cron import CronError, period_seconds
from contract.recovery import RPO_SECONDS
from ops.aws import ClientFactory, RefusedOperation
from ops.clock import Clock, iso
from ops.observers import HEALTHY, HealthObserver, replica_lag_points
from ops.outputs import StackOutputs
from ops.velero import VeleroSource, VeleroSourceError, last_successful_backup

PASS, FAIL, SKIP = "pass", "fail", "skip"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str
    observed: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "observed": self.observed}


@dataclass(frozen=True)
class VerifyOptions:
    rpo_seconds: float = RPO_SECONDS  # the seed's objective (contract/recovery.py); the CLI passes the stack's
    lag_window_minutes: int = 15  # ReplicaLag is a 1-minute metric; 15 datapoints catch a recent spike
    snapshot_max_age_hours: float = 26  # daily automated snapshot + the 2 h a snapshot may take to appear
    replication_window_minutes: int = 60  # OperationsFailedReplication is reported per minute
    velero_grace_minutes: float = 30  # a scheduled backup needs time to run before it counts as Completed
    # `--skip-velero REASON`: the run has no cluster access on purpose; the check is SKIP with this reason, so the
    # evidence says the Velero backup was not checked and why (never a silent pass).
    velero_skip_reason: str | None = None


def _age(now: datetime, then: datetime) -> float:
    return round((now - then).total_seconds(), 1)


class Verifier:
    def __init__(
        self,
        outputs: StackOutputs,
        factory: ClientFactory,
        clock: Clock,
        health: HealthObserver,
        velero: VeleroSource | None,
        options: VerifyOptions | None = None,
    ) -> None:
        self.o = outputs
        self.factory = factory
        self.clock = clock
        self.health = health
        self.velero = velero
        self.options = options or VerifyOptions()

    def run(self) -> list[Check]:
        checks: list[Check] = []
        for fn in (
            self.primary_available,
            self.replica_available,
            self.replica_lag,
            self.lag_alarm,
            self.latest_restorable_time,
            self.backups_replicated,
            self.newest_snapshot,
        ):
            checks.extend(self._safely(fn))
        checks.extend(self._safely(self.buckets))
        checks.extend(self._safely(self.health_checks))
        checks.extend(self._safely(self.velero_backup))
        return checks

    def _safely(self, fn: Callable[[], Check | list[Check]]) -> list[Check]:
        name = fn.__name__.replace("_", "-")
        try:
            result = fn()
        except RefusedOperation:
            raise
        except ClientError as err:
            error = err.response.get("Error", {})
            return [Check(name, FAIL, f"{error.get('Code')}: {error.get('Message')}")]
        except VeleroSourceError as err:
            return [Check(name, FAIL, str(err))]
        return result if isinstance(result, list) else [result]

    def _rds(self, region: str) -> Any:
        return self.factory.client("rds", region)

    def _instance(self, identifier: str, region: str) -> dict[str, Any]:
        return self._rds(region).describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]

    # --- database ---------------------------------------------------------------------------------------------

    def primary_available(self) -> Check:
        db = self._instance(self.o.primary.identifier, self.o.primary.region)
        status = db["DBInstanceStatus"]
        ok = status == "available" and db.get("BackupRetentionPeriod", 0) > 0
        return Check(
            "primary-available",
            PASS if ok else FAIL,
            f"{self.o.primary.identifier} is {status}, backups kept {db.get('BackupRetentionPeriod', 0)} d",
            status,
        )

    def replica_available(self) -> Check:
        db = self._instance(self.o.replica.identifier, self.o.replica.region)
        status = db["DBInstanceStatus"]
        source = db.get("ReadReplicaSourceDBInstanceIdentifier")
        ok = status == "available" and source == self.o.primary.arn
        what = f"replica of {source}" if source else "NOT a replica (promoted?)"
        return Check(
            "replica-available", PASS if ok else FAIL, f"{self.o.replica.identifier} is {status}, {what}", status
        )

    def replica_lag(self) -> Check:
        now = self.clock.now()
        window = timedelta(minutes=self.options.lag_window_minutes)
        points = replica_lag_points(self.factory, self.o.replica.region, self.o.replica.identifier, now - window, now)
        if not points:
            return Check(
                "replica-lag",
                FAIL,
                f"no ReplicaLag datapoints in the last {window} — replication stopped or metrics missing",
            )
        lag = max(p["Maximum"] for p in points)
        ok = lag <= self.options.rpo_seconds
        return Check(
            "replica-lag",
            PASS if ok else FAIL,
            f"max ReplicaLag {lag:.0f} s over {len(points)} min (RPO {self.options.rpo_seconds:.0f} s)",
            lag,
        )

    def lag_alarm(self) -> Check:
        alarms = self.factory.client("cloudwatch", self.o.replica.region).describe_alarms(
            AlarmNames=[self.o.replica_lag_alarm_name]
        )["MetricAlarms"]
        if not alarms:
            return Check(
                "lag-alarm", FAIL, f"alarm {self.o.replica_lag_alarm_name} not found in {self.o.replica.region}"
            )
        state = alarms[0]["StateValue"]
        return Check(
            "lag-alarm",
            PASS if state != "ALARM" else FAIL,
            f"{self.o.replica_lag_alarm_name} is {state} (threshold {alarms[0].get('Threshold')} s)",
            state,
        )

    def latest_restorable_time(self) -> Check:
        db = self._instance(self.o.primary.identifier, self.o.primary.region)
        latest = db.get("LatestRestorableTime")
        if latest is None:
            return Check("latest-restorable-time", FAIL, "no LatestRestorableTime (automated backups off?)")
        age = _age(self.clock.now(), latest)
        ok = age <= self.options.rpo_seconds
        return Check(
            "latest-restorable-time",
            PASS if ok else FAIL,
            f"{iso(latest)} ({age:.0f} s ago, RPO {self.options.rpo_seconds:.0f} s)",
            age,
        )

    def backups_replicated(self) -> Check:
        backups = self._rds(self.o.replica.region).describe_db_instance_automated_backups()[
            "DBInstanceAutomatedBackups"
        ]
        ours = [
            b
            for b in backups
            if b.get("DBInstanceArn") == self.o.primary.arn
            or b.get("DBInstanceIdentifier") == self.o.primary.identifier
        ]
        usable = [b for b in ours if b.get("Status") in ("active", "replicating", "retained")]
        if not usable:
            seen = ", ".join(f"{b.get('DBInstanceIdentifier')}:{b.get('Status')}" for b in ours) or "none"
            return Check(
                "backups-replicated",
                FAIL,
                f"no automated backups of {self.o.primary.identifier} replicated to {self.o.replica.region} "
                f"(seen: {seen})",
            )
        return Check(
            "backups-replicated",
            PASS,
            f"automated backups of {self.o.primary.identifier} in {self.o.replica.region} ({usable[0].get('Status')})",
            usable[0].get("Status"),
        )

    def newest_snapshot(self) -> Check:
        pages = (
            self._rds(self.o.primary.region)
            .get_paginator("describe_db_snapshots")
            .paginate(DBInstanceIdentifier=self.o.primary.identifier)
        )
        snapshots = [s for page in pages for s in page["DBSnapshots"] if s.get("SnapshotCreateTime")]
        if not snapshots:
            return Check("newest-snapshot", FAIL, f"no snapshots of {self.o.primary.identifier}")
        newest = max(snapshots, key=lambda s: s["SnapshotCreateTime"])
        age_h = _age(self.clock.now(), newest["SnapshotCreateTime"]) / 3600
        ok = age_h <= self.options.snapshot_max_age_hours
        return Check(
            "newest-snapshot",
            PASS if ok else FAIL,
            f"{newest['DBSnapshotIdentifier']} ({newest.get('SnapshotType')}) is {age_h:.1f} h old "
            f"(limit {self.options.snapshot_max_age_hours:g} h)",
            round(age_h, 2),
        )

    # --- buckets ----------------------------------------------------------------------------------------------

    def buckets(self) -> list[Check]:
        checks = []
        now = self.clock.now()
        for pair in self.o.buckets:
            name = f"bucket-replication:{pair.purpose}"
            s3 = self.factory.client("s3", pair.primary_region)
            try:
                config = s3.get_bucket_replication(Bucket=pair.primary_bucket)["ReplicationConfiguration"]
            except ClientError as err:
                checks.append(Check(name, FAIL, f"{pair.primary_bucket}: {err.response['Error'].get('Code')}"))
                continue
            rules = [
                r
                for r in config.get("Rules", [])
                if r.get("Status") == "Enabled" and r.get("Destination", {}).get("Bucket") == pair.replica_arn
            ]
            if not rules:
                checks.append(Check(name, FAIL, f"{pair.primary_bucket}: no enabled rule to {pair.replica_arn}"))
                continue
            rtc = [
                r
                for r in rules
                if r["Destination"].get("ReplicationTime", {}).get("Status") == "Enabled"
                and r["Destination"].get("Metrics", {}).get("Status") == "Enabled"
            ]
            if not rtc:
                checks.append(
                    Check(
                        name,
                        FAIL,
                        f"{pair.primary_bucket} → {pair.replica_bucket}: RTC or replication "
                        "metrics not enabled (no 15-minute guarantee)",
                    )
                )
                continue
            cloudwatch = self.factory.client("cloudwatch", pair.primary_region)
            failed = 0.0
            for rule in rtc:
                points = cloudwatch.get_metric_statistics(
                    Namespace="AWS/S3",
                    MetricName="OperationsFailedReplication",
                    Dimensions=[
                        {"Name": "SourceBucket", "Value": pair.primary_bucket},
                        {"Name": "DestinationBucket", "Value": pair.replica_bucket},
                        {"Name": "RuleId", "Value": rule.get("ID", "")},
                    ],
                    StartTime=now - timedelta(minutes=self.options.replication_window_minutes),
                    EndTime=now,
                    Period=60,
                    Statistics=["Sum"],
                )["Datapoints"]
                failed += sum(p["Sum"] for p in points)
            checks.append(
                Check(
                    name,
                    PASS if failed == 0 else FAIL,
                    f"{pair.primary_bucket} → {pair.replica_bucket}: RTC on, {failed:.0f} failed operations "
                    f"in {self.options.replication_window_minutes} min",
                    failed,
                )
            )
        return checks

    # --- health checks and Velero ------------------------------------------------------------------------------

    def health_checks(self) -> list[Check]:
        if not self.o.failover:
            return [Check("health-checks", SKIP, "no failover outputs in this stack (FailoverDns not deployed)")]
        route53 = self.factory.client("route53", "us-east-1")
        checks = []
        for host in self.o.failover:
            for role, hc_id in (
                ("primary", host.primary_health_check_id),
                ("secondary", host.secondary_health_check_id),
            ):
                name = f"health-check:{host.host}:{role}"
                try:
                    config = route53.get_health_check(HealthCheckId=hc_id)["HealthCheck"]["HealthCheckConfig"]
                except ClientError as err:
                    checks.append(Check(name, FAIL, f"{hc_id}: {err.response['Error'].get('Code')}"))
                    continue
                status = self.health.status(hc_id)
                inverted = bool(config.get("Inverted"))
                ok = status == HEALTHY and not inverted
                detail = f"{hc_id} {status}" + (
                    " — INVERTED (a drill left it inverted? run failback)" if inverted else ""
                )
                checks.append(Check(name, PASS if ok else FAIL, detail, status))
        return checks

    def velero_backup(self) -> Check:
        if self.o.velero is None:
            return Check("velero-backup", SKIP, "no veleroNamespace output in this stack (ClusterBackups not deployed)")
        if self.options.velero_skip_reason:
            return Check("velero-backup", SKIP, f"not checked (--skip-velero): {self.options.velero_skip_reason}")
        if self.velero is None:
            return Check(
                "velero-backup",
                FAIL,
                "no Velero source: pass --velero-json FILE, have kubectl configured, or --skip-velero REASON",
            )
        newest, cron = last_successful_backup(self.velero.objects(), self.o.velero.schedule_name)
        if cron is None:
            return Check(
                "velero-backup", FAIL, f"Schedule {self.o.velero.schedule_name} not found in {self.o.velero.namespace}"
            )
        try:
            interval = timedelta(seconds=period_seconds(cron))
        except CronError as err:
            return Check("velero-backup", FAIL, f"Schedule {self.o.velero.schedule_name}: {err}")
        if newest is None:
            return Check("velero-backup", FAIL, f"no Completed backup from schedule {self.o.velero.schedule_name}")
        age = _age(self.clock.now(), newest)
        limit = interval.total_seconds() + self.options.velero_grace_minutes * 60
        return Check(
            "velero-backup",
            PASS if age <= limit else FAIL,
            f"last Completed backup {age / 3600:.1f} h ago; schedule '{cron}' every "
            f"{interval.total_seconds() / 3600:g} h (+{self.options.velero_grace_minutes:g} min grace)",
            age,
        )


def failed(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.status == FAIL]
