"""Settings for the data tier: ReplicatedPostgres and ReplicatedBucket."""

from __future__ import annotations

import re
from dataclasses import dataclass

from contract.data import BUCKET_DATA_CLASS
from contract.recovery import RPO_SECONDS
from settings import schema as s
from settings.loader import Values

PRODUCTION_LIKE = ("stage", "prod")
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_HHMM = r"([01]\d|2[0-3]):[0-5]\d"
_DAY = "(" + "|".join(DAYS) + ")"


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


@dataclass(frozen=True)
class Window:
    """An RDS window as written ("03:00-04:00" or "sun:04:00-sun:05:00") and its start/end in minutes."""

    text: str
    start: int  # minutes after midnight (daily) or after Monday 00:00 (weekly), UTC
    end: int


def _backup_window(text: str) -> Window:
    """ "03:00-04:00": daily, UTC; RDS needs at least 30 minutes."""
    if not re.fullmatch(f"{_HHMM}-{_HHMM}", text):
        raise ValueError(text)
    start, end = (_minutes(t) for t in text.split("-"))
    if (end - start) % MINUTES_PER_DAY < 30:
        raise ValueError(text)
    return Window(text, start, end)


def _maintenance_window(text: str) -> Window:
    """ "sun:04:00-sun:05:00": weekly, UTC; RDS needs at least 30 minutes."""
    if not re.fullmatch(f"{_DAY}:{_HHMM}-{_DAY}:{_HHMM}", text):
        raise ValueError(text)
    a, b = text.split("-")
    start = DAYS.index(a[:3]) * MINUTES_PER_DAY + _minutes(a[4:])
    end = DAYS.index(b[:3]) * MINUTES_PER_DAY + _minutes(b[4:])
    if (end - start) % MINUTES_PER_WEEK < 30:
        raise ValueError(text)
    return Window(text, start, end)


def _engine_version(text: str) -> str:
    """A major version only: the instance has auto_minor_version_upgrade on, and the provider ignores a newer
    running minor only when the configured version is a prefix of it. A pinned "16.8" becomes a diff once RDS
    moves to 16.9, and the next deploy fails with "Cannot upgrade postgres from 16.9 to 16.8"."""
    if re.fullmatch(r"\d+\.\d+", text):
        raise s.Invalid("RDS applies minor versions itself; a pinned minor makes the next deploy attempt a downgrade")
    if not re.fullmatch(r"\d+", text) or int(text) < 16:
        raise ValueError(text)
    return text


def windows_overlap(backup: Window, maintenance: Window) -> bool:
    """Does the daily backup window intersect the weekly maintenance window (either may wrap around)?"""

    def spans(start: int, end: int, period: int) -> list[tuple[int, int]]:
        end = end if end > start else end + period
        return [(start + k * MINUTES_PER_WEEK, end + k * MINUTES_PER_WEEK) for k in (-1, 0, 1)]

    m_spans = spans(maintenance.start, maintenance.end, MINUTES_PER_WEEK)
    for day in range(7):
        b_start, b_end = day * MINUTES_PER_DAY + backup.start, day * MINUTES_PER_DAY + backup.end
        for bs, be in spans(b_start, b_end, MINUTES_PER_DAY):
            if any(bs < me and ms < be for ms, me in m_spans):
                return True
    return False


_INSTANCE_CLASS = s.string(r"db\.[a-z0-9]+\.[a-z0-9]+", "an RDS instance class such as db.r6g.large")


@dataclass(frozen=True)
class DataTierSettings:
    db_engine_version: str = s.setting(
        "dbEngineVersion", s.composite(_engine_version, 'a PostgreSQL major version 16 or newer, e.g. "16"')
    )
    db_name: str = s.setting("dbName", s.string(r"[a-z][a-z0-9_]{0,62}", "a lower-case database name such as summit"))
    db_instance_class: str = s.setting("dbInstanceClass", _INSTANCE_CLASS)
    # the primary's class when not set: a promoted replica carries full load
    db_replica_instance_class: str = s.setting(
        "dbReplicaInstanceClass",
        s.string(r"db\.[a-z0-9]+\.[a-z0-9]+", "an RDS instance class such as db.r6g.large", allow_empty=True),
    )
    db_allocated_storage_gb: int = s.setting("dbAllocatedStorageGb", s.integer(20, 65536))
    db_max_allocated_storage_gb: int = s.setting("dbMaxAllocatedStorageGb", s.integer(20, 65536))
    # the point-in-time-recovery window, also kept in the DR region
    db_backup_retention_days: int = s.setting("dbBackupRetentionDays", s.integer(1, 35))
    db_replica_backup_retention_days: int = s.setting("dbReplicaBackupRetentionDays", s.integer(1, 35))
    db_multi_az: bool = s.setting("dbMultiAz", s.boolean())
    db_replica_enabled: bool = s.setting("dbReplicaEnabled", s.boolean())
    # the DR replica keeps a standby, so a promoted writer is Multi-AZ at once
    db_replica_multi_az: bool = s.setting("dbReplicaMultiAz", s.boolean())
    db_replica_lag_alarm_seconds: int = s.setting("dbReplicaLagAlarmSeconds", s.integer(1, 3600))
    # the postgresql/upgrade log groups of both instances
    db_log_retention_days: int = s.setting("dbLogRetentionDays", s.log_retention_days())
    # DeleteSecret RecoveryWindowInDays: "from 7 to 30" days (botocore secretsmanager 2017-10-17 model)
    db_secret_recovery_days: int = s.setting("dbSecretRecoveryDays", s.integer(7, 30))
    db_backup_window: str = s.setting(
        "dbBackupWindow", s.composite(_backup_window, 'a daily UTC window of 30+ minutes such as "03:00-04:00"')
    )
    db_maintenance_window: str = s.setting(
        "dbMaintenanceWindow",
        s.composite(_maintenance_window, 'a weekly UTC window of 30+ minutes such as "sun:04:00-sun:05:00"'),
    )
    bucket_purposes: tuple[str, ...] = s.setting("bucketPurposes", s.array(s.choice(*BUCKET_DATA_CLASS), min_items=1))
    bucket_noncurrent_retention_days: int = s.setting("bucketNoncurrentRetentionDays", s.integer(1, 3650))
    audit_log_object_lock_days: int = s.setting("auditLogObjectLockDays", s.integer(1, 3650))
    # S3 server access logs (both regions' log buckets) expire after this
    access_log_retention_days: int = s.setting("accessLogRetentionDays", s.integer(1, 3650))
    # purposes whose S3 object-level calls the trail records
    audit_trail_data_event_buckets: tuple[str, ...] = s.setting(
        "auditTrailDataEventBuckets", s.array(s.choice(*BUCKET_DATA_CLASS))
    )

    @property
    def db_parameter_group_family(self) -> str:
        return f"postgres{self.db_engine_version.split('.')[0]}"


KEYS = s.keys_of(DataTierSettings)


def build(v: Values) -> DataTierSettings:
    production_like = v["environment"] in PRODUCTION_LIKE
    # RDS refuses a storage-autoscaling ceiling less than 10 % above the allocated size ("The maximum allocated
    # storage must be increased by at least 10 percent"; an equal value: "Max storage size must be greater").
    min_ceiling = -(-v["dbAllocatedStorageGb"] * 11 // 10)  # ceil(1.1 × allocated), in integers
    if v["dbMaxAllocatedStorageGb"] < min_ceiling:
        raise v.fail(
            "dbMaxAllocatedStorageGb",
            f"must be at least 10 % above dbAllocatedStorageGb ({v['dbAllocatedStorageGb']}), i.e. {min_ceiling} "
            f"or more, got {v['dbMaxAllocatedStorageGb']}",
        )
    if v["dbReplicaLagAlarmSeconds"] > RPO_SECONDS:
        raise v.fail(
            "dbReplicaLagAlarmSeconds",
            f"must be at most {RPO_SECONDS} (the RPO objective), got {v['dbReplicaLagAlarmSeconds']}",
        )
    if production_like and not v["dbMultiAz"]:
        raise v.fail("dbMultiAz", f"must be true in {v['environment']} (stage and prod run Multi-AZ)")
    if production_like and not v["dbReplicaEnabled"]:
        raise v.fail(
            "dbReplicaEnabled", f"must be true in {v['environment']} (the DR replica is what meets the 5-minute RPO)"
        )
    if v["dbReplicaMultiAz"] and not v["dbReplicaEnabled"]:
        raise v.fail("dbReplicaMultiAz", "must be false when dbReplicaEnabled is false (there is no replica)")
    if windows_overlap(v["dbBackupWindow"], v["dbMaintenanceWindow"]):
        raise v.fail("dbMaintenanceWindow", "must not overlap dbBackupWindow (RDS rejects overlapping windows)")
    if "backups" not in v["bucketPurposes"]:
        raise v.fail("bucketPurposes", "must include backups (Velero's backup location)")
    data_event_buckets = v["auditTrailDataEventBuckets"]
    if len(set(data_event_buckets)) != len(data_event_buckets):
        raise v.fail("auditTrailDataEventBuckets", "lists a bucket purpose twice")
    for purpose in data_event_buckets:
        if purpose not in v["bucketPurposes"]:
            raise v.fail("auditTrailDataEventBuckets", f"names {purpose}, which is not in bucketPurposes")
    if data_event_buckets and "audit-logs" not in v["bucketPurposes"]:
        raise v.fail("auditTrailDataEventBuckets", "needs the audit-logs bucket (bucketPurposes) to deliver into")
    return s.build_from(
        DataTierSettings,
        v,
        db_replica_instance_class=v["dbReplicaInstanceClass"] or v["dbInstanceClass"],
        db_backup_window=v["dbBackupWindow"].text,
        db_maintenance_window=v["dbMaintenanceWindow"].text,
    )
