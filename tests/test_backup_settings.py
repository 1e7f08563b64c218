"""AWS Backup settings (settings/backup.py): per-stack values, the policy config they must satisfy, one line per
mistake."""

import dataclasses
import json

import pytest

import settings
from settings import ConfigError
from tests.harness import PROJECT_DIR, settings_error, stack_raw, stack_settings


def error(stack, **overrides):
    return settings_error(stack, overrides)


def test_prod_locks_its_vaults_in_compliance_mode_and_stage_in_governance_mode():
    assert stack_settings("prod").backup.vault_lock_mode == "compliance"
    assert stack_settings("stage").backup.vault_lock_mode == "governance"


def test_stage_may_choose_compliance_mode():
    assert stack_settings("stage", {"backupVaultLockMode": "compliance"}).backup.vault_lock_mode == "compliance"


def test_prod_may_not_choose_governance_mode():
    assert error("prod", backupVaultLockMode="governance") == (
        "Pulumi.prod.yaml: summit-resilience:backupVaultLockMode: must be compliance in prod "
        "(nobody may shorten retention), got governance"
    )


def test_a_lock_mode_that_is_neither_is_refused():
    assert "expected governance, compliance or empty" in error("stage", backupVaultLockMode="legal-hold")


def test_the_compliance_grace_period_is_at_least_awss_three_day_cooling_off():
    assert "expected an integer 3–36500, got 2" in error("prod", backupVaultLockGraceDays=2)


@pytest.mark.parametrize(("stack", "days"), [("dev", 7), ("stage", 14), ("prod", 35)])
def test_each_stack_keeps_snapshots_as_long_as_its_policy_config_requires(stack, days):
    backup = stack_settings(stack).backup
    assert backup.retention_days == days == backup.requirements.min_retention_days


def test_retention_below_the_policy_minimum_names_the_policy_config():
    assert error("prod", awsBackupRetentionDays=30) == (
        "Pulumi.prod.yaml: summit-resilience:awsBackupRetentionDays: must be at least 35 "
        "(policy/config/prod.json: aws-backup-plan/backup-vault-lock minRetentionDays), got 30"
    )


def test_the_requirements_are_the_policy_configs_numbers():
    doc = json.loads((PROJECT_DIR / "policy/config/stage.json").read_text())
    req = stack_settings("stage").backup.requirements
    assert (req.min_retention_days, req.max_interval_hours, req.cross_region_copy) == (
        doc["aws-backup-plan"]["minRetentionDays"],
        doc["aws-backup-plan"]["maxIntervalHours"],
        doc["aws-backup-plan"]["requireCrossRegionCopy"],
    )
    assert req.vault_lock_min_retention_days == doc["backup-vault-lock"]["minRetentionDays"]
    assert req.restore_test_max_interval_days == doc["restore-testing-plan"]["maxIntervalDays"]
    assert req.source == "policy/config/stage.json"


def test_a_stack_without_a_policy_config_is_one_line_naming_the_missing_file():
    with pytest.raises(ConfigError) as e:
        settings.from_raw(stack_raw("stage", {"environmentOverride": "stage"}), "qa")
    assert "policy/config/qa.json: file not found" in str(e.value) and "\n" not in str(e.value)


def test_a_schedule_sparser_than_the_policy_allows_is_refused():
    assert error("prod", awsBackupSchedule="0 5 * * mon-fri").endswith(
        "runs every 72 h at worst; policy/config/prod.json (aws-backup-plan.maxIntervalHours) allows 24 h"
    )


def test_more_than_one_backup_an_hour_is_refused():
    assert error("prod", awsBackupSchedule="*/30 * * * *").endswith(
        "AWS Backup runs at most once an hour (one minute value)"
    )


def test_a_schedule_aws_cron_cannot_express_is_refused():
    assert "restricts both day-of-month and day-of-week" in error("stage", restoreTestSchedule="0 6 1 * sun")


def test_restore_tests_sparser_than_the_policy_allows_are_refused():
    assert error("prod", restoreTestSchedule="0 6 1 * *").endswith(
        "runs every 31 days at worst; policy/config/prod.json (restore-testing-plan.maxIntervalDays) allows 7"
    )


@pytest.mark.parametrize("stack", ["stage", "prod"])
@pytest.mark.parametrize("key", ["awsBackupEnabled", "restoreTestEnabled"])
def test_stage_and_prod_cannot_switch_backups_or_restore_tests_off(stack, key):
    assert f"summit-resilience:{key}: must be true in {stack}" in error(stack, **{key: False})


def test_dev_runs_no_restore_tests_and_they_need_aws_backup():
    assert stack_settings("dev").backup.restore_test_enabled is False
    assert error("dev", awsBackupEnabled=False, restoreTestEnabled=True).endswith(
        "restoreTestEnabled: needs awsBackupEnabled (restore tests restore its recovery points)"
    )


def test_reports_need_the_audit_logs_buckets():
    assert error("dev", bucketPurposes=["backups", "data"]).endswith(
        "bucketPurposes: must include audit-logs when awsBackupEnabled (Backup Audit Manager reports)"
    )


@pytest.mark.parametrize("hours", [0, 169])
def test_the_validation_window_is_one_to_168_hours(hours):
    assert f"expected an integer 1–168, got {hours}" in error("prod", restoreTestValidationWindowHours=hours)


@pytest.mark.parametrize(("schedule", "days"), [("0 5 * * *", 2), ("0 */6 * * *", 2), ("0 5 * * sun", 8)])
def test_a_restore_test_looks_back_one_backup_period_plus_a_day(schedule, days):
    backup = dataclasses.replace(stack_settings("prod").backup, schedule=schedule)
    assert backup.restore_selection_window_days == days
