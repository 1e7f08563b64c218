"""ReplicatedPostgres: primary with PITR, backups replicated to the DR region, a cross-region replica, alarms."""

import dataclasses
import json

import pytest

from components.database import (
    FREE_STORAGE_BURN_EXPRESSION,
    WAL_SHARE_EXPRESSION,
    ReplicatedPostgres,
    ReplicatedPostgresArgs,
    in_region,
)
from preflight.engine import SecretValue
from settings import ConfigError
from tests.harness import operations_alerts, run_component, run_stack, stack_settings
from tests.metric_math import evaluate

INSTANCE = "aws:rds/instance:Instance"
KEY = "aws:kms/key:Key"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
PARAMETER = "aws:ssm/parameter:Parameter"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def build(s, p):
    ops = operations_alerts("ops", p.primary, s.core.primary_region)
    ops_dr = operations_alerts("ops-dr", p.dr, s.core.dr_region)
    return ReplicatedPostgres(
        "db",
        ReplicatedPostgresArgs.from_settings(s, ops.topics, ops_dr.topics),
        primary=p.primary,
        dr=p.dr,
        random_provider=p.random,
    )


@pytest.fixture(scope="module")
def prod():
    return run_component(build, "prod")


@pytest.fixture(scope="module")
def dev():
    return run_component(build, "dev")


def test_primary_is_in_the_primary_region_and_replica_in_the_dr_region(prod):
    assert prod.one(INSTANCE, "db-primary").region == "us-east-1"
    assert prod.one(INSTANCE, "db-replica").region == "us-west-2"


def test_replica_is_sourced_by_the_primarys_arn(prod):
    primary = prod.one(INSTANCE, "db-primary")
    assert prod.one(INSTANCE, "db-replica").inputs["replicateSourceDb"] == primary.outputs["arn"]


def test_replica_is_encrypted_with_its_own_key_in_the_dr_region(prod):
    replica = prod.one(INSTANCE, "db-replica")
    dr_key = prod.one(KEY, "db-dr-key")
    assert dr_key.region == "us-west-2"
    assert replica.inputs["storageEncrypted"] is True
    assert replica.inputs["kmsKeyId"] == dr_key.outputs["arn"]
    assert replica.inputs["performanceInsightsKmsKeyId"] == dr_key.outputs["arn"]


def test_replica_keeps_backups_so_it_promotes_with_pitr(prod):
    assert prod.one(INSTANCE, "db-replica").inputs["backupRetentionPeriod"] == 14


def test_replica_lives_in_the_dr_vpc_subnets_and_security_group(prod):
    replica = prod.one(INSTANCE, "db-replica")
    subnets = prod.one("aws:rds/subnetGroup:SubnetGroup", "db-dr-subnets")
    sg = prod.one("aws:ec2/securityGroup:SecurityGroup", "db-dr-sg")
    assert subnets.inputs["subnetIds"] == [
        "subnet-072b000000000002a",
        "subnet-072b000000000002b",
        "subnet-072b000000000002c",
    ]
    assert replica.inputs["dbSubnetGroupName"] == subnets.outputs["name"]
    assert sg.inputs["vpcId"] == "vpc-072b3c4d5e6f70819"
    assert replica.inputs["vpcSecurityGroupIds"] == [sg.id]


def test_replica_has_deletion_protection_and_performance_insights_in_prod(prod):
    replica = prod.one(INSTANCE, "db-replica")
    assert replica.inputs["deletionProtection"] is True
    assert replica.inputs["performanceInsightsEnabled"] is True


def test_automated_backups_are_replicated_into_the_dr_region_with_the_dr_key(prod):
    replication = prod.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
    assert replication.region == "us-west-2"
    assert replication.inputs["sourceDbInstanceArn"] == prod.one(INSTANCE, "db-primary").outputs["arn"]
    assert replication.inputs["kmsKeyId"] == prod.one(KEY, "db-dr-key").outputs["arn"]
    assert replication.inputs["retentionPeriod"] == 14


def test_replicated_backups_are_protected_in_prod(prod):
    # Deleting the replication stops it and removes the DR region's PITR copy: a second, reviewed change.
    assert prod.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication").protect


@pytest.mark.parametrize(("stack", "days"), [("dev", 7), ("prod", 14)])
def test_pitr_window_follows_the_stack(stack, days, dev, prod):
    run = {"dev": dev, "prod": prod}[stack]
    assert run.one(INSTANCE, "db-primary").inputs["backupRetentionPeriod"] == days


def test_prod_primary_is_multi_az(prod):
    assert prod.one(INSTANCE, "db-primary").inputs["multiAz"] is True


def test_dev_primary_is_single_az(dev):
    assert dev.one(INSTANCE, "db-primary").inputs["multiAz"] is False


def test_prod_primary_has_deletion_protection_and_a_final_snapshot(prod):
    primary = prod.one(INSTANCE, "db-primary").inputs
    assert (primary["deletionProtection"], primary["skipFinalSnapshot"]) == (True, False)
    assert primary["finalSnapshotIdentifier"] == "summit-prod-db-final"


def test_dev_primary_can_be_torn_down_without_a_snapshot(dev):
    primary = dev.one(INSTANCE, "db-primary").inputs
    assert (primary["deletionProtection"], primary["skipFinalSnapshot"]) == (False, True)
    assert "finalSnapshotIdentifier" not in primary


def test_instances_keys_and_log_groups_are_protected_in_prod(prod):
    assert all(r.protect for r in prod.all(INSTANCE) + prod.all(KEY) + prod.all(LOG_GROUP))


def test_nothing_is_protected_in_dev(dev):
    assert not any(r.protect for r in dev.resources)


def test_primary_uses_the_configured_engine_and_windows(prod):
    primary = prod.one(INSTANCE, "db-primary").inputs
    assert (primary["engine"], primary["engineVersion"]) == ("postgres", "16")
    assert (primary["backupWindow"], primary["maintenanceWindow"]) == ("03:00-04:00", "sun:04:00-sun:05:00")


def test_primary_storage_is_gp3_encrypted_with_the_customer_key_and_autoscales(prod):
    primary = prod.one(INSTANCE, "db-primary").inputs
    key = prod.one(KEY, "db-key")
    assert (primary["storageType"], primary["allocatedStorage"], primary["maxAllocatedStorage"]) == ("gp3", 200, 1000)
    assert primary["storageEncrypted"] is True
    assert primary["kmsKeyId"] == key.outputs["arn"]


def test_keys_rotate(prod):
    assert all(k.inputs["enableKeyRotation"] is True for k in prod.all(KEY))


# --- master credentials: pulumi-random → RDS and a Secrets Manager secret replicated to the DR region ---

SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
PASSWORD = "random:index/randomPassword:RandomPassword"


def test_replicas_source_does_not_let_rds_manage_its_password(prod):
    # RDS refuses CreateDBInstanceReadReplica for a source with ManageMasterUserPassword (RDS User Guide,
    # Secrets Manager integration limitations): the source must take a password of its own.
    source = prod.one(INSTANCE, "db-primary")
    primary = source.inputs
    assert prod.one(INSTANCE, "db-replica").inputs["replicateSourceDb"] == source.outputs["arn"]
    assert "manageMasterUserPassword" not in primary and "masterUserSecretKmsKeyId" not in primary
    assert isinstance(primary["password"], SecretValue)


def test_primary_password_is_the_generated_one_and_reaches_rds_only_as_a_secret(prod):
    generated = prod.one(PASSWORD).outputs["result"]
    password = prod.one(INSTANCE, "db-primary").inputs["password"]
    assert isinstance(password, SecretValue) and password.value == generated


def test_generated_password_fits_rds_postgresql_rules(prod):
    # 8–128 printable ASCII characters, none of "/", '"', "@" (RDS API, CreateDBInstance MasterUserPassword).
    inputs = prod.one(PASSWORD).inputs
    assert 8 <= inputs["length"] <= 128
    assert inputs["special"] is True
    assert not set('/"@ ') & set(inputs["overrideSpecial"])
    assert all(32 < ord(c) < 127 for c in inputs["overrideSpecial"])


def test_replica_takes_no_password_of_its_own(prod):
    # Physical replication: RDS refuses a master password on a PostgreSQL replica that differs from its source.
    assert not {"password", "passwordWo", "manageMasterUserPassword"} & set(prod.one(INSTANCE, "db-replica").inputs)


def test_master_secret_is_encrypted_with_the_primary_key_and_replicated_with_the_dr_key(prod):
    secret = prod.one(SECRET)
    assert secret.region == "us-east-1"
    assert secret.inputs["kmsKeyId"] == prod.one(KEY, "db-key").outputs["arn"]
    assert secret.inputs["replicas"] == [{"region": "us-west-2", "kmsKeyId": prod.one(KEY, "db-dr-key").outputs["arn"]}]


def test_master_secret_holds_the_rds_rotation_json_shape_as_a_secret(prod):
    value = prod.one(SECRET_VERSION).inputs["secretString"]
    assert isinstance(value, SecretValue)
    assert prod.one(SECRET_VERSION).inputs["secretId"] == prod.one(SECRET).id
    assert json.loads(value.value) == {
        "engine": "postgres",
        "host": prod.one(INSTANCE, "db-primary").outputs["address"],
        "port": 5432,
        "username": "summit_admin",
        "password": prod.one(PASSWORD).outputs["result"],
        "dbname": "summit",
        "dbInstanceIdentifier": "summit-prod-db",
    }


def test_master_secret_survives_a_mistaken_delete_in_prod_and_not_in_dev(prod, dev):
    assert (prod.one(SECRET).protect, prod.one(SECRET).inputs["recoveryWindowInDays"]) == (True, 30)
    assert dev.one(SECRET).inputs["recoveryWindowInDays"] == 0


def test_secret_recovery_window_follows_the_setting_in_stage():
    run = run_component(build, "stage", overrides={"dbSecretRecoveryDays": 7})
    assert run.one(SECRET).inputs["recoveryWindowInDays"] == 7


@pytest.mark.parametrize("days", [0, 6, 31])
def test_a_secret_recovery_window_secrets_manager_refuses_is_a_config_error(days):
    with pytest.raises(ConfigError, match=rf"dbSecretRecoveryDays: expected an integer 7–30, got {days}$"):
        stack_settings("prod", {"dbSecretRecoveryDays": days})


def test_password_is_generated_through_the_explicit_random_provider(prod):
    assert prod.one(PASSWORD).provider.endswith("::random")


def test_dr_secret_arn_is_the_primary_secret_arn_in_the_dr_region():
    arn = "arn:aws:secretsmanager:us-east-1:432109876543:secret:summit-prod-db/master-AbC123"
    dr = "arn:aws:secretsmanager:us-west-2:432109876543:secret:summit-prod-db/master-AbC123"
    assert in_region(arn, "us-west-2") == dr


def test_a_value_that_is_not_an_arn_is_refused_when_deriving_the_dr_secret_arn():
    with pytest.raises(ValueError, match="not an ARN"):
        in_region("summit-prod-db/master", "us-west-2")


# --- ordering and the Multi-AZ replica ---


def test_replica_is_created_after_the_backups_replication_not_alongside(prod):
    replication = prod.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
    assert replication.urn in prod.one(INSTANCE, "db-replica").dependencies


def test_prod_replica_is_multi_az_so_a_promoted_writer_has_a_standby(prod):
    assert prod.one(INSTANCE, "db-replica").inputs["multiAz"] is True


def test_dev_replica_is_single_az(dev):
    assert dev.one(INSTANCE, "db-replica").inputs["multiAz"] is False


def test_neither_instance_is_publicly_accessible(prod):
    assert [r.inputs["publiclyAccessible"] for r in prod.all(INSTANCE)] == [False, False]


def test_postgres_is_reachable_only_from_inside_each_vpc(prod):
    rules = {r.region: r.inputs for r in prod.all("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")}
    assert {region: (i["cidrIpv4"], i["fromPort"], i["toPort"]) for region, i in rules.items()} == {
        "us-east-1": ("10.30.0.0/16", 5432, 5432),
        "us-west-2": ("10.130.0.0/16", 5432, 5432),
    }


def test_both_parameter_groups_force_tls_for_the_postgres16_family(prod):
    groups = prod.all("aws:rds/parameterGroup:ParameterGroup")
    assert sorted(g.region for g in groups) == ["us-east-1", "us-west-2"]
    for g in groups:
        assert g.inputs["family"] == "postgres16"
        assert {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"} in g.inputs["parameters"]


def test_instances_use_their_regions_parameter_group(prod):
    for role, group in (("db-primary", "db-params"), ("db-replica", "db-dr-params")):
        params = prod.one("aws:rds/parameterGroup:ParameterGroup", group)
        assert params.inputs["namePrefix"].startswith(prod.one(INSTANCE, role).inputs["identifier"] + "-postgres16-")
        assert prod.one(INSTANCE, role).inputs["parameterGroupName"] == params.id


def test_primary_has_iam_auth_insights_enhanced_monitoring_and_log_exports(prod):
    primary = prod.one(INSTANCE, "db-primary").inputs
    role = prod.one("aws:iam/role:Role", "db-monitoring")
    assert primary["iamDatabaseAuthenticationEnabled"] is True
    assert primary["performanceInsightsKmsKeyId"] == prod.one(KEY, "db-key").outputs["arn"]
    assert (primary["monitoringInterval"], primary["monitoringRoleArn"]) == (60, role.outputs["arn"])
    assert primary["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert primary["copyTagsToSnapshot"] is True


# --- exported-log groups: created by the stack (retention, encryption) before RDS would create them ---

INSTANCE_LOGS = [
    ("db-primary", "summit-prod-db", "us-east-1", "db-key"),
    ("db-replica", "summit-prod-db-dr", "us-west-2", "db-dr-key"),
]


@pytest.mark.parametrize(("role", "identifier", "region", "key"), INSTANCE_LOGS)
def test_each_exported_log_of_each_instance_has_its_log_group_in_the_instances_region(
    prod, role, identifier, region, key
):
    exported = prod.one(INSTANCE, role).inputs["enabledCloudwatchLogsExports"]
    groups = {g.inputs["name"]: g for g in prod.all(LOG_GROUP) if g.name.startswith(f"{role}-log-")}
    assert sorted(groups) == sorted(f"/aws/rds/instance/{identifier}/{log}" for log in exported)
    assert {g.region for g in groups.values()} == {region}
    assert {g.provider for g in groups.values()} == {prod.one(INSTANCE, role).provider}


@pytest.mark.parametrize(("role", "identifier", "region", "key"), INSTANCE_LOGS)
def test_instances_depend_on_their_log_groups_so_rds_finds_them_existing(prod, role, identifier, region, key):
    groups = [g for g in prod.all(LOG_GROUP) if g.name.startswith(f"{role}-log-")]
    assert len(groups) == 2
    assert {g.urn for g in groups} <= set(prod.one(INSTANCE, role).dependencies)


@pytest.mark.parametrize(("role", "identifier", "region", "key"), INSTANCE_LOGS)
def test_log_groups_are_encrypted_with_their_regions_data_key(prod, role, identifier, region, key):
    arn = prod.one(KEY, key).outputs["arn"]
    assert {g.inputs["kmsKeyId"] for g in prod.all(LOG_GROUP) if g.name.startswith(f"{role}-log-")} == {arn}


@pytest.mark.parametrize(("role", "identifier", "region", "key"), INSTANCE_LOGS)
def test_key_policy_lets_cloudwatch_logs_use_the_key_for_this_instances_log_groups_only(
    prod, role, identifier, region, key
):
    statements = {st["Sid"]: st for st in json.loads(prod.one(KEY, key).inputs["policy"])["Statement"]}
    logs = statements["CloudWatchLogsForRdsExports"]
    assert logs["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:432109876543:log-group:"
            f"/aws/rds/instance/{identifier}/*"
        }
    }
    assert "kms:GenerateDataKey*" in logs["Action"] and "kms:*" not in logs["Action"]


@pytest.mark.parametrize(("role", "identifier", "region", "key"), INSTANCE_LOGS)
def test_database_key_is_administered_by_the_account_but_not_usable_directly(prod, role, identifier, region, key):
    statements = json.loads(prod.one(KEY, key).inputs["policy"])["Statement"]
    admin = next(st for st in statements if st["Sid"] == "KeyAdministrationByTheAccount")
    assert admin["Principal"] == {"AWS": "arn:aws:iam::432109876543:root"}
    assert "kms:PutKeyPolicy" not in admin["Action"] and "kms:Put*" in admin["Action"]  # no lockout
    assert not {"kms:*", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"} & set(admin["Action"])
    for st in statements:
        assert st["Action"] != "kms:*", st["Sid"]
        if st["Sid"] != "KeyAdministrationByTheAccount":
            assert "Condition" in st, st["Sid"]


@pytest.mark.parametrize(("role", "identifier", "region", "key"), INSTANCE_LOGS)
def test_database_key_serves_rds_and_secrets_manager_of_its_region_for_this_account_only(
    prod, role, identifier, region, key
):
    statements = {st["Sid"]: st for st in json.loads(prod.one(KEY, key).inputs["policy"])["Statement"]}
    for sid, service in (("UseThroughRds", "rds"), ("UseThroughSecretsManager", "secretsmanager")):
        assert statements[sid]["Condition"] == {
            "StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com", "kms:CallerAccount": "432109876543"}
        }
        assert {"kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateGrant"} <= set(statements[sid]["Action"])


@pytest.mark.parametrize(("stack", "days"), [("dev", 14), ("prod", 90)])
def test_log_groups_keep_logs_for_the_configured_retention(stack, days, dev, prod):
    run = {"dev": dev, "prod": prod}[stack]
    assert [g.inputs["retentionInDays"] for g in run.all(LOG_GROUP)] == [days] * 4


def test_without_a_replica_only_the_primary_has_log_groups():
    run = run_component(build, "dev", overrides={"dbReplicaEnabled": False})
    assert sorted(g.inputs["name"] for g in run.all(LOG_GROUP)) == [
        "/aws/rds/instance/summit-dev-db/postgresql",
        "/aws/rds/instance/summit-dev-db/upgrade",
    ]


def test_a_retention_cloudwatch_does_not_offer_is_one_config_error_line():
    with pytest.raises(ConfigError) as e:
        stack_settings("prod", {"dbLogRetentionDays": 45})
    assert str(e.value) == (
        "Pulumi.prod.yaml: summit-resilience:dbLogRetentionDays: expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, "
        "150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, got 45"
    )


def test_replica_lag_alarm_watches_the_replica_at_the_configured_threshold(prod):
    alarm = prod.one(ALARM, "db-replica-lag")
    assert alarm.inputs["metricName"] == "ReplicaLag"
    assert alarm.inputs["threshold"] == 60
    assert alarm.inputs["dimensions"] == {"DBInstanceIdentifier": "summit-prod-db-dr"}
    assert alarm.inputs["name"] == "summit-prod-db-replica-lag"


def test_replica_lag_alarm_notifies_a_topic_in_its_own_region(prod):
    alarm = prod.one(ALARM, "db-replica-lag")
    topic = prod.one("aws:sns/topic:Topic", "ops-dr-critical")
    assert alarm.region == topic.region == "us-west-2"
    assert alarm.inputs["alarmActions"] == [topic.outputs["arn"]]


def test_missing_replica_lag_data_counts_as_breaching(prod):
    assert prod.one(ALARM, "db-replica-lag").inputs["treatMissingData"] == "breaching"


def test_replica_lag_threshold_follows_the_setting():
    def with_threshold(s, p):
        return build(dataclasses.replace(s, data=dataclasses.replace(s.data, db_replica_lag_alarm_seconds=45)), p)

    run = run_component(with_threshold, "dev")
    assert run.one(ALARM, "db-replica-lag").inputs["threshold"] == 45


def alarmed_metrics(alarm):
    """The AWS/RDS metrics an alarm reads (one, or the inputs of its metric math) and their instance."""
    if "metricQueries" not in alarm.inputs:
        return {alarm.inputs["metricName"]}, alarm.inputs["dimensions"]["DBInstanceIdentifier"]
    metrics = [q["metric"] for q in alarm.inputs["metricQueries"] if "metric" in q]
    assert {m["namespace"] for m in metrics} == {"AWS/RDS"}
    (instance,) = {m["dimensions"]["DBInstanceIdentifier"] for m in metrics}
    return {m["metricName"] for m in metrics}, instance


def alarmed_expression(alarm):
    (returned,) = [q for q in alarm.inputs["metricQueries"] if q.get("returnData")]
    return returned["expression"], {q["id"]: q["metric"] for q in alarm.inputs["metricQueries"] if "metric" in q}


def test_primary_alarms_cover_slot_lag_wal_disk_free_storage_and_cpu(prod):
    topics = {s: prod.one("aws:sns/topic:Topic", f"ops-{s}").outputs["arn"] for s in ("critical", "warning")}
    primary = {a.name: a for a in prod.all(ALARM) if alarmed_metrics(a)[1] == "summit-prod-db"}
    assert {name: alarmed_metrics(a)[0] for name, a in primary.items()} == {
        "db-cpu-high": {"CPUUtilization"},
        "db-storage-low": {"FreeStorageSpace"},
        "db-slot-lag": {"OldestReplicationSlotLag", "FreeStorageSpace"},
        "db-wal-disk": {"TransactionLogsDiskUsage", "FreeStorageSpace"},
    }
    for a in primary.values():
        assert a.region == "us-east-1"
        assert a.inputs["alarmActions"] == [topics[a.inputs["tags"]["severity"]]]
    severities = {name: a.inputs["tags"]["severity"] for name, a in primary.items()}
    assert severities == {
        "db-cpu-high": "warning", "db-storage-low": "critical", "db-slot-lag": "critical", "db-wal-disk": "warning",
    }  # fmt: skip


# Storage alarms are ratios of live metrics, so they mean the same after autoscaling grows the disk.
GIB = 1024**3


def burn_percent_per_hour(free_gib_before, free_gib_now, period=900):
    return evaluate(FREE_STORAGE_BURN_EXPRESSION, {"free": [free_gib_before * GIB, free_gib_now * GIB]}, period)


def test_free_storage_alarm_reads_the_burn_expression_on_15_minute_minima_for_an_hour(prod):
    for name in ("db-storage-low", "db-replica-storage-low"):
        alarm = prod.one(ALARM, name)
        expression, inputs = alarmed_expression(alarm)
        assert expression == FREE_STORAGE_BURN_EXPRESSION
        assert inputs == {"free": {"namespace": "AWS/RDS", "metricName": "FreeStorageSpace", "stat": "Minimum",
                                   "period": 900, "dimensions": inputs["free"]["dimensions"]}}  # fmt: skip
        assert (alarm.inputs["comparisonOperator"], alarm.inputs["threshold"]) == ("GreaterThanThreshold", 10)
        assert alarm.inputs["evaluationPeriods"] == alarm.inputs["datapointsToAlarm"] == 4


def test_free_storage_alarm_fires_on_a_grown_disk_that_fills_within_ten_hours():
    # 1000 GiB after autoscaling, 50 GiB (5 %) free, 1.5 GiB written per 15 minutes = 6 GiB/h: empty in ~8 h.
    # The old fixed threshold (10 % of the initial 200 GiB = 20 GiB) would stay silent until 2 % free.
    assert burn_percent_per_hour(51.5, 50) > 10


def test_free_storage_alarm_stays_quiet_on_a_small_disk_filling_slowly():
    # 200 GiB disk at the autoscaling point (20 GiB free) growing 1 GiB/h: autoscaling has hours to act.
    assert burn_percent_per_hour(20.25, 20) < 10


def test_free_storage_alarm_stays_quiet_while_free_space_grows():
    assert burn_percent_per_hour(20, 60) < 0  # autoscaling just added storage


def test_wal_alarms_read_wal_against_wal_plus_free_storage(prod):
    for name, wal_metric in (("db-slot-lag", "OldestReplicationSlotLag"), ("db-wal-disk", "TransactionLogsDiskUsage")):
        alarm = prod.one(ALARM, name)
        expression, inputs = alarmed_expression(alarm)
        assert expression == WAL_SHARE_EXPRESSION
        assert (inputs["wal"]["metricName"], inputs["wal"]["stat"]) == (wal_metric, "Maximum")
        assert (inputs["free"]["metricName"], inputs["free"]["stat"]) == ("FreeStorageSpace", "Minimum")
        assert (alarm.inputs["comparisonOperator"], alarm.inputs["threshold"]) == ("GreaterThanThreshold", 20)


def test_slot_lag_alarm_fires_when_stuck_wal_eats_a_nearly_full_disks_headroom():
    # 15 GiB held for the slot with 30 GiB free: a third of the headroom. The old threshold (20 GiB) stayed silent.
    assert evaluate(WAL_SHARE_EXPRESSION, {"wal": [15 * GIB], "free": [30 * GIB]}, 60) > 20


def test_slot_lag_alarm_stays_quiet_on_a_grown_disk_with_room_to_spare():
    # 25 GiB of lag on a 1000 GiB disk with 600 GiB free is 4 %; the old threshold (20 GiB) would have fired.
    assert evaluate(WAL_SHARE_EXPRESSION, {"wal": [25 * GIB], "free": [600 * GIB]}, 60) < 20


def test_writer_endpoint_parameter_has_the_same_name_in_both_regions(prod):
    params = prod.all(PARAMETER)
    assert sorted(p.region for p in params) == ["us-east-1", "us-west-2"]
    assert {p.inputs["name"] for p in params} == {"/summit/prod/database/writer-endpoint"}
    assert {p.inputs["type"] for p in params} == {"String"}


def test_writer_endpoint_parameters_start_at_the_primary(prod):
    address = prod.one(INSTANCE, "db-primary").outputs["address"]
    assert [p.inputs["insecureValue"] for p in prod.all(PARAMETER)] == [address, address]


def test_a_later_deploy_does_not_undo_the_drills_repointing(prod):
    assert all(p.ignore_changes == ["insecureValue"] for p in prod.all(PARAMETER))


def test_dev_without_a_replica_still_replicates_backups():
    run = run_component(build, "dev", overrides={"dbReplicaEnabled": False})
    assert [i.name for i in run.all(INSTANCE)] == ["db-primary"]
    assert run.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication").region == (
        "us-west-2"
    )
    assert [a for a in run.all(ALARM) if a.inputs.get("metricName") == "ReplicaLag"] == []


def test_children_are_parented_to_the_component(prod):
    component = prod.one("summit:database:ReplicatedPostgres")
    kids = prod.children(component)
    assert {INSTANCE, KEY, ALARM, PARAMETER, LOG_GROUP} <= {k.type for k in kids}
    assert all(k.name.startswith("db-") for k in kids)


# --- the whole program: the contract ops/ tooling reads ---


@pytest.fixture(scope="module")
def program():
    return run_stack("prod")


def test_program_exports_the_database_contract(program):
    out = program.outputs
    assert out["dbPrimaryIdentifier"] == "summit-prod-db"
    assert out["dbPrimaryArn"] == "arn:aws:rds:us-east-1:432109876543:db:summit-prod-db"
    assert (out["dbPrimaryRegion"], out["dbReplicaRegion"]) == ("us-east-1", "us-west-2")
    assert out["dbReplicaArn"] == "arn:aws:rds:us-west-2:432109876543:db:summit-prod-db-dr"
    assert out["dbReplicaEndpoint"].startswith("summit-prod-db-dr.") and out["dbReplicaEndpoint"].endswith(
        ".us-west-2.rds.amazonaws.com"
    )
    assert out["dbKmsKeyArn"].startswith("arn:aws:kms:us-east-1:")
    assert out["dbReplicaKmsKeyArn"].startswith("arn:aws:kms:us-west-2:")
    assert out["dbEndpointParameterName"] == "/summit/prod/database/writer-endpoint"
    assert out["dbReplicaLagAlarmName"] == "summit-prod-db-replica-lag"


def test_secret_arn_is_exported_only_as_a_secret(program):
    assert "dbSecretArn" in program.secret_outputs
    assert program.outputs["dbSecretArn"].startswith("arn:aws:secretsmanager:us-east-1:")


def test_dr_secret_arn_is_exported_only_as_a_secret_and_names_the_dr_region_copy(program):
    assert "dbDrSecretArn" in program.secret_outputs
    primary, dr = program.outputs["dbSecretArn"], program.outputs["dbDrSecretArn"]
    assert dr.startswith("arn:aws:secretsmanager:us-west-2:432109876543:secret:summit-prod-db/master-")
    assert dr.split(":", 4)[4] == primary.split(":", 4)[4]  # same account, name and suffix


def test_no_unmarked_stack_output_carries_a_secret_arn(program):
    secrets = {program.outputs["dbSecretArn"], program.outputs["dbDrSecretArn"]}
    for name, value in program.outputs.items():
        if name not in ("dbSecretArn", "dbDrSecretArn"):
            assert not any(s in str(value) for s in secrets), name


def test_no_generated_password_appears_in_any_input_unless_marked_secret(program):
    # The database password and the CloudFront origin secrets alike.
    passwords = [p.outputs["result"] for p in program.all(PASSWORD)]
    assert len(passwords) >= 2

    def plain(value):
        if isinstance(value, SecretValue):
            return ""
        if isinstance(value, dict):
            return " ".join(plain(v) for v in value.values())
        if isinstance(value, list):
            return " ".join(plain(v) for v in value)
        return str(value)

    for r in program.resources:
        if r.type != PASSWORD:
            assert not any(p in plain(r.inputs) for p in passwords), r.name


def test_dr_alarm_topic_is_exported_for_alert_routing(program):
    assert program.outputs["drOpsAlertTopicArn"].startswith("arn:aws:sns:us-west-2:")
