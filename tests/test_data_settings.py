"""Data-tier settings: defaults, per-stack values, and one clear line for every bad value."""

import pytest

from preflight.cli import main
from tests.harness import settings_error, stack_settings


def error(stack, **overrides):
    return settings_error(stack, overrides)


def test_engine_defaults_to_postgres_16_and_its_parameter_group_family():
    data = stack_settings("stage").data
    assert data.db_engine_version == "16"
    assert data.db_parameter_group_family == "postgres16"


def test_a_newer_major_version_selects_its_family():
    assert stack_settings("stage", {"dbEngineVersion": "17"}).data.db_parameter_group_family == "postgres17"


def test_postgres_older_than_16_is_refused():
    assert error("prod", dbEngineVersion="15") == (
        "Pulumi.prod.yaml: summit-resilience:dbEngineVersion: "
        'expected a PostgreSQL major version 16 or newer, e.g. "16", got "15"'
    )


def test_a_pinned_minor_version_is_refused_because_rds_upgrades_minors_itself():
    # With auto_minor_version_upgrade on, "16.8" drifts to 16.9 and the next deploy would try a downgrade.
    assert error("prod", dbEngineVersion="16.8").endswith(
        'got "16.8": RDS applies minor versions itself; a pinned minor makes the next deploy attempt a downgrade'
    )


def test_windows_default_to_backups_at_three_and_maintenance_sunday_at_four_utc():
    data = stack_settings("prod").data
    assert (data.db_backup_window, data.db_maintenance_window) == ("03:00-04:00", "sun:04:00-sun:05:00")


def test_dev_is_single_az_with_a_week_of_pitr():
    data = stack_settings("dev").data
    assert (data.db_multi_az, data.db_backup_retention_days) == (False, 7)


@pytest.mark.parametrize("stack", ["stage", "prod"])
def test_stage_and_prod_are_multi_az_with_fourteen_days_of_pitr_and_a_replica(stack):
    data = stack_settings(stack).data
    assert (data.db_multi_az, data.db_backup_retention_days, data.db_replica_enabled) == (True, 14, True)


@pytest.mark.parametrize("days", [0, 40])
def test_backup_retention_outside_1_to_35_days_is_one_clear_line(days):
    assert error("prod", dbBackupRetentionDays=days) == (
        f"Pulumi.prod.yaml: summit-resilience:dbBackupRetentionDays: expected an integer 1–35, got {days}"
    )


def test_replica_backup_retention_must_be_at_least_one_day_so_the_promoted_database_has_pitr():
    assert "expected an integer 1–35, got 0" in error("stage", dbReplicaBackupRetentionDays=0)


def test_unknown_bucket_purpose_is_one_clear_line():
    assert error("prod", bucketPurposes=["backups", "logs"]) == (
        "Pulumi.prod.yaml: summit-resilience:bucketPurposes: item 1: expected one of backups, audit-logs, data, "
        'archive, got "logs"'
    )


def test_bucket_purposes_must_include_backups_for_velero():
    assert error("stage", bucketPurposes=["data"]).endswith(
        "bucketPurposes: must include backups (Velero's backup location)"
    )


def test_same_region_for_primary_and_dr_is_one_clear_line():
    assert error("prod", drRegion="us-east-1") == (
        'Pulumi.prod.yaml: summit-resilience:drRegion: must differ from primaryRegion, both are "us-east-1"'
    )


def test_storage_ceiling_below_the_allocated_size_is_refused():
    message = error("stage", dbAllocatedStorageGb=200, dbMaxAllocatedStorageGb=100)
    assert message.endswith(
        "dbMaxAllocatedStorageGb: must be at least 10 % above dbAllocatedStorageGb (200), i.e. 220 or more, got 100"
    )


def test_storage_ceiling_less_than_ten_percent_above_the_allocated_size_is_refused():
    # RDS: "The maximum allocated storage must be increased by at least 10 percent" (equal is refused too).
    assert "i.e. 220 or more, got 219" in error("stage", dbAllocatedStorageGb=200, dbMaxAllocatedStorageGb=219)


def test_storage_ceiling_exactly_ten_percent_above_the_allocated_size_is_accepted():
    data = stack_settings("stage", {"dbAllocatedStorageGb": 200, "dbMaxAllocatedStorageGb": 220}).data
    assert data.db_max_allocated_storage_gb == 220


def test_replica_lag_alarm_above_the_five_minute_rpo_is_refused():
    assert error("prod", dbReplicaLagAlarmSeconds=301).endswith("must be at most 300 (the RPO objective), got 301")


def test_replica_lag_alarm_defaults_to_a_minute():
    assert stack_settings("prod").data.db_replica_lag_alarm_seconds == 60


def test_prod_cannot_turn_multi_az_off():
    assert error("prod", dbMultiAz=False).endswith("dbMultiAz: must be true in prod (stage and prod run Multi-AZ)")


def test_stage_cannot_drop_the_dr_replica():
    assert "dbReplicaEnabled: must be true in stage" in error("stage", dbReplicaEnabled=False)


def test_dev_may_drop_the_dr_replica():
    assert stack_settings("dev", {"dbReplicaEnabled": False}).data.db_replica_enabled is False


@pytest.mark.parametrize("window", ["3:00-4:00", "03:00-03:15", "25:00-26:00"])
def test_malformed_or_too_short_backup_window_is_refused(window):
    assert "dbBackupWindow: expected a daily UTC window of 30+ minutes" in error("stage", dbBackupWindow=window)


def test_malformed_maintenance_window_is_refused():
    assert "dbMaintenanceWindow: expected a weekly UTC window" in error("stage", dbMaintenanceWindow="sunday 04:00")


def test_maintenance_window_overlapping_the_backup_window_is_refused():
    message = error("prod", dbMaintenanceWindow="wed:03:30-wed:04:30")
    assert message.endswith("dbMaintenanceWindow: must not overlap dbBackupWindow (RDS rejects overlapping windows)")


def test_overlap_is_found_across_midnight():
    assert "must not overlap" in error("prod", dbBackupWindow="23:30-00:30", dbMaintenanceWindow="mon:00:00-mon:01:00")


def test_adjacent_windows_do_not_overlap():
    data = stack_settings("prod", {"dbBackupWindow": "03:00-04:00", "dbMaintenanceWindow": "sat:04:00-sat:05:00"}).data
    assert data.db_maintenance_window == "sat:04:00-sat:05:00"


def test_replica_class_defaults_to_the_primary_class():
    data = stack_settings("prod").data
    assert data.db_replica_instance_class == data.db_instance_class == "db.r6g.xlarge"


def test_preflight_exits_2_with_one_line_for_a_bad_retention_in_a_config_file(tmp_path, capsys):
    from tests.harness import PROJECT_DIR

    text = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()
    bad = text.replace("summit-resilience:dbBackupRetentionDays: 14", "summit-resilience:dbBackupRetentionDays: 40")
    assert bad != text
    config = tmp_path / "Pulumi.prod.yaml"
    config.write_text(bad)
    code = main(["--stack", "prod", "--config", str(config), "--no-policy"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.strip().splitlines() == [
        f"preflight: {config}: summit-resilience:dbBackupRetentionDays: expected an integer 1–35, got 40"
    ]


def test_replica_multi_az_is_on_in_prod_and_off_in_dev_and_stage():
    assert [stack_settings(s).data.db_replica_multi_az for s in ("dev", "stage", "prod")] == [False, False, True]


def test_a_multi_az_replica_without_a_replica_is_one_clear_line():
    assert error("dev", dbReplicaEnabled=False, dbReplicaMultiAz=True) == (
        "Pulumi.dev.yaml: summit-resilience:dbReplicaMultiAz: must be false when dbReplicaEnabled is false "
        "(there is no replica)"
    )
