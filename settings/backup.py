"""Settings for AWS Backup of the database: vaults with vault lock, the snapshot plan, restore testing, audit.

Two sources, each for its own facts:
- the stack file (Pulumi.<stack>.yaml) says what this stack does: schedules, retention, lock mode, restore tests;
- the policy pack's config (policy/config/<stack>.json, the file CI passes to `--policy-pack-config`) says what the
  organisation requires: minimum retention, maximum time between backups, cross-region copy, how often a restore
  must be proven. The Backup Audit Manager framework encodes those same numbers, read here through
  ops.objectives (the module that already reads that file for the drill), so the controls AWS evaluates after
  deploy and the policies the pack evaluates before it cannot disagree. A stack value that the policy would
  reject fails here, early, naming both.
"""

from __future__ import annotations

from dataclasses import dataclass

from contract import cron
from settings import schema as s
from settings.loader import Values

PLAN_POLICY = "aws-backup-plan"
LOCK_POLICY = "backup-vault-lock"
RESTORE_POLICY = "restore-testing-plan"
LOCK_MODES = ("governance", "compliance")
PRODUCTION_LIKE = ("stage", "prod")
HOUR = 3600
DAY = 24 * HOUR
# Lifecycle DeleteAfterDays and a vault lock's retention cap out at 36,500 days (botocore backup model,
# PutBackupVaultLockConfiguration MaxRetentionDays: "approximately 100 years").
MAX_RETENTION_DAYS = 36_500
# PutBackupVaultLockConfiguration ChangeableForDays: "Backup enforces a 72-hour cooling-off period … you must set
# ChangeableForDays to 3 or greater."
MIN_LOCK_GRACE_DAYS = 3
# RestoreTestingSelection ValidationWindowHours: 0–168 (botocore backup model). 0 leaves no time to validate.
MAX_VALIDATION_WINDOW_HOURS = 168


def _schedule(text: str) -> str:
    """A five-field UTC cron that AWS can express (one of the two day fields unrestricted) and that runs at most
    once an hour: AWS Backup's most frequent schedule is hourly."""
    try:
        cron.to_aws(text)
    except cron.CronError as e:
        raise s.Invalid(str(e)) from None
    if len(cron.parse(text, every=False).minutes) > 1:
        raise s.Invalid("AWS Backup runs at most once an hour (one minute value)")
    return text


_SCHEDULE_WHAT = 'a UTC cron schedule such as "0 5 * * *" (five fields)'


@dataclass(frozen=True)
class BackupRequirements:
    """What the policy pack enforces on AWS Backup (policy/config/<stack>.json), for the audit framework."""

    source: str  # the policy config file, as shown to the user
    min_retention_days: int  # aws-backup-plan.minRetentionDays
    max_interval_hours: int  # aws-backup-plan.maxIntervalHours
    cross_region_copy: bool  # aws-backup-plan.requireCrossRegionCopy
    vault_lock_min_retention_days: int  # backup-vault-lock.minRetentionDays
    restore_test_max_interval_days: int  # restore-testing-plan.maxIntervalDays


@dataclass(frozen=True)
class BackupSettings:
    requirements: BackupRequirements  # the policy pack's numbers (policy/config/<stack>.json), passed by build()
    enabled: bool = s.setting("awsBackupEnabled", s.boolean())
    # five-field UTC cron of the daily snapshot
    schedule: str = s.setting("awsBackupSchedule", s.composite(_schedule, _SCHEDULE_WHAT))
    # recovery points in both vaults; also the vault lock's minimum retention
    retention_days: int = s.setting("awsBackupRetentionDays", s.integer(1, MAX_RETENTION_DAYS))
    # "compliance" (prod by default) or "governance"
    vault_lock_mode: str = s.setting(
        "backupVaultLockMode", s.string(r"governance|compliance", "governance, compliance or empty", True)
    )
    # compliance only: days before the lock becomes immutable
    vault_lock_grace_days: int = s.setting(
        "backupVaultLockGraceDays", s.integer(MIN_LOCK_GRACE_DAYS, MAX_RETENTION_DAYS)
    )
    restore_test_enabled: bool = s.setting("restoreTestEnabled", s.boolean())
    # five-field UTC cron
    restore_test_schedule: str = s.setting("restoreTestSchedule", s.composite(_schedule, _SCHEDULE_WHAT))
    restore_test_validation_window_hours: int = s.setting(
        "restoreTestValidationWindowHours", s.integer(1, MAX_VALIDATION_WINDOW_HOURS)
    )
    restore_test_target_minutes: int = s.setting("restoreTestTargetMinutes", s.integer(1, 7 * 24 * 60))

    @property
    def schedule_period_hours(self) -> float:
        return cron.period_seconds(self.schedule, every=False) / HOUR

    @property
    def restore_selection_window_days(self) -> int:
        """How far back a restore test looks for the latest recovery point: one backup period (rounded up to days)
        plus a day. Longer would let a test pass on an old snapshot after backups had silently stopped."""
        return -(-cron.period_seconds(self.schedule, every=False) // DAY) + 1


KEYS = s.keys_of(BackupSettings)


def _requirements(v: Values) -> BackupRequirements:
    from ops.objectives import _shown, policy_config_path, policy_properties

    path = policy_config_path(v.stack)
    plan, _ = policy_properties(path, PLAN_POLICY)
    lock, _ = policy_properties(path, LOCK_POLICY)
    restore, _ = policy_properties(path, RESTORE_POLICY)
    return BackupRequirements(
        source=_shown(path),
        min_retention_days=plan["minRetentionDays"],
        max_interval_hours=plan["maxIntervalHours"],
        cross_region_copy=plan["requireCrossRegionCopy"],
        vault_lock_min_retention_days=lock["minRetentionDays"],
        restore_test_max_interval_days=restore["maxIntervalDays"],
    )


def build(v: Values) -> BackupSettings:
    environment = v["environment"]
    production_like = environment in PRODUCTION_LIKE
    req = _requirements(v)
    if production_like and not v["awsBackupEnabled"]:
        raise v.fail("awsBackupEnabled", f"must be true in {environment} (locked, copied snapshots of the database)")
    if production_like and not v["restoreTestEnabled"]:
        raise v.fail("restoreTestEnabled", f"must be true in {environment} (a backup is proven by restoring it)")
    mode = v["backupVaultLockMode"] or ("compliance" if environment == "prod" else "governance")
    if environment == "prod" and mode != "compliance":
        raise v.fail("backupVaultLockMode", f"must be compliance in prod (nobody may shorten retention), got {mode}")
    if v["awsBackupEnabled"] and "audit-logs" not in v["bucketPurposes"]:
        raise v.fail("bucketPurposes", "must include audit-logs when awsBackupEnabled (Backup Audit Manager reports)")
    if v["awsBackupEnabled"]:
        retention = v["awsBackupRetentionDays"]
        floor = max(req.min_retention_days, req.vault_lock_min_retention_days)
        if retention < floor:
            raise v.fail(
                "awsBackupRetentionDays",
                f"must be at least {floor} ({req.source}: {PLAN_POLICY}/{LOCK_POLICY} minRetentionDays), "
                f"got {retention}",
            )
        hours = cron.period_seconds(v["awsBackupSchedule"], every=False) / HOUR
        if hours > req.max_interval_hours:
            raise v.fail(
                "awsBackupSchedule",
                f"runs every {hours:g} h at worst; {req.source} ({PLAN_POLICY}.maxIntervalHours) allows "
                f"{req.max_interval_hours} h",
            )
    if v["restoreTestEnabled"]:
        if not v["awsBackupEnabled"]:
            raise v.fail("restoreTestEnabled", "needs awsBackupEnabled (restore tests restore its recovery points)")
        days = cron.period_seconds(v["restoreTestSchedule"], every=False) / DAY
        if days > req.restore_test_max_interval_days:
            raise v.fail(
                "restoreTestSchedule",
                f"runs every {days:g} days at worst; {req.source} ({RESTORE_POLICY}.maxIntervalDays) allows "
                f"{req.restore_test_max_interval_days}",
            )
    return s.build_from(BackupSettings, v, vault_lock_mode=mode, requirements=req)
