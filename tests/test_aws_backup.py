"""DatabaseBackups (components/aws_backup.py) in the whole program: vaults and their locks, the snapshot plan and its
cross-region copy, restore testing and its validation Lambda, the Backup Audit Manager frameworks and reports."""

from __future__ import annotations

import json

import pytest

from lambdas.restore_validation import package
from tests.harness import PROJECT_DIR, run_stack
from tests.schemas import reveal

VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
RT_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
RT_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
FRAMEWORK = "aws:backup/framework:Framework"
REPORT_PLAN = "aws:backup/reportPlan:ReportPlan"
FUNCTION = "aws:lambda/function:Function"
KEY = "aws:kms/key:Key"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"


def vaults(run):
    return run.one(VAULT, "db-backup-primary-vault"), run.one(VAULT, "db-backup-dr-vault")


def lock_of(run, vault):
    (lock,) = [r for r in run.all(LOCK) if r.inputs["backupVaultName"] == vault.outputs["name"]]
    return lock


def rule(run):
    (only,) = run.one(PLAN, "db-backup-plan").inputs["rules"]
    return only


def policy_config(stack):
    return json.loads((PROJECT_DIR / "policy" / "config" / f"{stack}.json").read_text())


def params(control):
    return {p["name"]: p["value"] for p in control.get("inputParameters", [])}


# --- vaults -------------------------------------------------------------------------------------------------------


def test_each_region_has_a_vault_encrypted_with_its_own_key(prod):
    primary, dr = vaults(prod)
    assert (primary.region, dr.region) == ("us-east-1", "us-west-2")
    assert (primary.inputs["name"], dr.inputs["name"]) == ("summit-prod-db-us-east-1", "summit-prod-db-us-west-2")
    for vault, side in ((primary, "primary"), (dr, "dr")):
        key = prod.one(KEY, f"db-backup-{side}-vault-key")
        assert vault.inputs["kmsKeyArn"] == key.outputs["arn"] and key.region == vault.region
        assert key.inputs["enableKeyRotation"] is True


def test_prod_vaults_are_compliance_locked_for_the_whole_retention(prod):
    for vault in vaults(prod):
        lock = lock_of(prod, vault)
        assert (lock.inputs["minRetentionDays"], lock.inputs["changeableForDays"]) == (35, 3)
        assert "maxRetentionDays" not in lock.inputs  # no ceiling: a longer retention later stays possible


def test_stage_vaults_are_governance_locked_without_a_grace_period(stage):
    for vault in vaults(stage):
        lock = lock_of(stage, vault)
        assert lock.inputs["minRetentionDays"] == 14 and "changeableForDays" not in lock.inputs


def test_prod_keys_vaults_and_locks_are_protected(prod):
    for name in ("primary", "dr"):
        for role in ("vault-key", "vault", "vault-lock"):
            assert prod.named(f"db-backup-{name}-{role}").protect is True


def test_dev_backup_state_is_not_protected(dev):
    assert not any(r.protect for r in (*dev.all(VAULT), *dev.all(LOCK)))


def test_vault_policies_deny_everyone_the_manual_deletion_of_recovery_points(prod):
    for vault in vaults(prod):
        (policy,) = [p for p in prod.all(VAULT_POLICY) if p.inputs["backupVaultName"] == vault.outputs["name"]]
        (statement,) = json.loads(policy.inputs["policy"])["Statement"]
        assert (statement["Effect"], statement["Principal"]) == ("Deny", {"AWS": "*"})
        assert statement["Action"] == ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"]


# --- the plan -----------------------------------------------------------------------------------------------------


def test_the_plan_snapshots_daily_into_the_primary_vault_for_the_stack_retention(prod):
    r = rule(prod)
    assert prod.one(PLAN, "db-backup-plan").region == "us-east-1"
    assert r["targetVaultName"] == "summit-prod-db-us-east-1"
    assert r["schedule"] == "cron(0 5 * * ? *)"  # awsBackupSchedule "0 5 * * *", after the 03:00–04:00 RDS window
    assert r["lifecycle"] == {"deleteAfter": 35}
    assert (r["startWindow"], r["completionWindow"]) == (60, 1440)


def test_the_plan_takes_snapshots_never_continuous_backups_so_rds_keeps_pitr_in_both_regions(prod):
    assert rule(prod)["enableContinuousBackup"] is False
    # RDS automated backups stay in charge of PITR, and keep replicating to the DR region.
    assert prod.one("aws:rds/instance:Instance", "db-primary").inputs["backupRetentionPeriod"] == 14
    assert prod.all("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")


def test_every_snapshot_is_copied_to_the_dr_vault_and_kept_as_long(prod):
    (copy,) = rule(prod)["copyActions"]
    assert copy["destinationVaultArn"] == vaults(prod)[1].outputs["arn"]
    assert copy["lifecycle"] == {"deleteAfter": 35}


def test_recovery_points_carry_the_cost_allocation_tags(prod):
    assert rule(prod)["recoveryPointTags"] == {"environment": "prod", "service": "summit",
                                               "cost-center": "cc-platform-prod"}  # fmt: skip


def test_the_plan_waits_for_both_vault_locks(prod):
    plan = prod.one(PLAN, "db-backup-plan")
    assert {lock_of(prod, v).urn for v in vaults(prod)} <= set(plan.dependencies)


def test_the_selection_names_the_primary_instance_by_arn(prod):
    selection = prod.one(SELECTION)
    assert selection.inputs["resources"] == [prod.one("aws:rds/instance:Instance", "db-primary").outputs["arn"]]
    assert selection.inputs["planId"] == prod.one(PLAN).id


def test_aws_backup_assumes_a_role_with_the_managed_backup_and_restore_policies(prod):
    role = prod.one("aws:iam/role:Role", "db-backup-role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "backup.amazonaws.com"
    }
    attached = {a.inputs["policyArn"] for a in prod.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if a.inputs["role"] == role.outputs["name"]}  # fmt: skip
    assert attached == {
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    }
    assert prod.one(SELECTION).inputs["iamRoleArn"] == role.outputs["arn"]


# --- restore testing ----------------------------------------------------------------------------------------------


def test_restore_tests_run_weekly_in_the_dr_region_on_the_latest_dr_vault_snapshot(prod):
    plan = prod.one(RT_PLAN)
    assert plan.region == "us-west-2"
    assert plan.inputs["name"] == "summit_prod_db_restore_test"
    assert plan.inputs["scheduleExpression"] == "cron(0 6 ? * SUN *)"
    assert plan.inputs["recoveryPointSelection"] == {
        "algorithm": "LATEST_WITHIN_WINDOW",
        "includeVaults": [vaults(prod)[1].outputs["arn"]],
        "recoveryPointTypes": ["SNAPSHOT"],
        "selectionWindowDays": 2,  # a daily snapshot + a day: an old snapshot cannot mask stopped backups
    }


def test_restored_instances_land_in_the_dr_subnets_behind_their_own_security_group(prod):
    selection = prod.one(RT_SELECTION)
    subnets = prod.one("aws:rds/subnetGroup:SubnetGroup", "db-backup-restore-test-subnets")
    restored_sg = prod.one("aws:ec2/securityGroup:SecurityGroup", "db-backup-restored-sg")
    assert selection.region == subnets.region == restored_sg.region == "us-west-2"
    assert subnets.inputs["subnetIds"] == ["subnet-072b000000000002a", "subnet-072b000000000002b",
                                           "subnet-072b000000000002c"]  # fmt: skip
    assert selection.inputs["restoreMetadataOverrides"] == {
        "dbSubnetGroupName": subnets.outputs["name"],
        "vpcSecurityGroupIds": json.dumps([restored_sg.id]),
    }
    assert (selection.inputs["protectedResourceType"], selection.inputs["validationWindowHours"]) == ("RDS", 2)
    assert selection.inputs["restoreTestingPlanName"] == prod.one(RT_PLAN).outputs["name"]


def test_the_restored_instance_admits_postgres_from_the_validator_only(prod):
    (ingress,) = [r for r in prod.all("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                  if r.name == "db-backup-restored-sg-postgres"]  # fmt: skip
    validator_sg = prod.one("aws:ec2/securityGroup:SecurityGroup", "db-backup-validator-sg")
    assert ingress.inputs["referencedSecurityGroupId"] == validator_sg.id
    assert (ingress.inputs["fromPort"], ingress.inputs["toPort"]) == (5432, 5432) and "cidrIpv4" not in ingress.inputs


def test_the_validator_runs_the_packaged_handler_in_the_dr_vpc(prod):
    fn = prod.one(FUNCTION, "db-backup-validator")
    assert fn.region == "us-west-2" and fn.inputs["name"] == "summit-prod-db-restore-validation"
    assert (fn.inputs["runtime"], fn.inputs["architectures"], fn.inputs["handler"]) == (
        "python3.12", ["arm64"], "restore_validation.handler.handler")  # fmt: skip
    assert fn.inputs["vpcConfig"]["subnetIds"] == ["subnet-072b000000000002a", "subnet-072b000000000002b",
                                                   "subnet-072b000000000002c"]  # fmt: skip
    assert fn.inputs["vpcConfig"]["securityGroupIds"] == [
        prod.one("aws:ec2/securityGroup:SecurityGroup", "db-backup-validator-sg").id
    ]


def test_the_validator_is_told_the_plan_the_credentials_and_the_database(prod):
    env = reveal(prod.one(FUNCTION, "db-backup-validator").inputs["environment"])["variables"]
    secret = reveal(prod.outputs["dbDrSecretArn"])  # the DR-region copy: the restore test runs there
    assert env["RESTORE_TESTING_PLAN_ARN"] == prod.one(RT_PLAN).outputs["arn"]
    assert env["RESTORE_TESTING_PLAN_NAME"] == "summit_prod_db_restore_test"
    assert env["SECRET_ARN"] == secret
    assert (env["DB_NAME"], env["METRIC_NAMESPACE"]) == ("summit", "Summit/RestoreTesting")


def test_the_validator_may_read_only_the_database_secret_and_decrypt_only_through_secrets_manager(prod):
    policy = json.loads(
        reveal(prod.one("aws:iam/rolePolicy:RolePolicy", "db-backup-validator-policy").inputs["policy"])
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["Credentials"]["Resource"] == reveal(prod.outputs["dbDrSecretArn"])
    assert by_sid["CredentialsKey"]["Resource"] == prod.one(KEY, "db-dr-key").outputs["arn"]
    assert by_sid["CredentialsKey"]["Condition"] == {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}
    assert by_sid["RestoreJob"]["Action"] == ["backup:DescribeRestoreJob", "backup:PutRestoreValidationResult"]
    assert by_sid["RestoredInstance"]["Resource"] == "arn:aws:rds:us-west-2:432109876543:db:*"


def test_the_validators_log_group_exists_first_with_retention(prod):
    logs = prod.one("aws:cloudwatch/logGroup:LogGroup", "db-backup-validator-logs")
    assert logs.inputs["name"] == "/aws/lambda/summit-prod-db-restore-validation"
    assert logs.inputs["retentionInDays"] == 90 and logs.urn in prod.one(FUNCTION, "db-backup-validator").dependencies


def test_finished_rds_restore_jobs_in_the_dr_region_invoke_the_validator(prod):
    rule_ = prod.one("aws:cloudwatch/eventRule:EventRule", "db-backup-restore-job-events")
    assert rule_.region == "us-west-2"
    assert json.loads(rule_.inputs["eventPattern"]) == {
        "source": ["aws.backup"],
        "detail-type": ["Restore Job State Change"],
        "detail": {"resourceType": ["RDS"], "status": ["COMPLETED", "FAILED", "ABORTED"]},
    }
    target = prod.one("aws:cloudwatch/eventTarget:EventTarget", "db-backup-restore-job-validator")
    permission = prod.one("aws:lambda/permission:Permission")
    assert target.inputs["arn"] == prod.one(FUNCTION, "db-backup-validator").outputs["arn"]
    assert (permission.inputs["principal"], permission.inputs["sourceArn"]) == (
        "events.amazonaws.com", rule_.outputs["arn"])  # fmt: skip


def test_a_failed_restore_test_alarms_the_dr_warning_topic(prod):
    alarm = prod.one("aws:cloudwatch/metricAlarm:MetricAlarm", "db-backup-restore-test-failed")
    assert alarm.region == "us-west-2"
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == ("Summit/RestoreTesting", "RestoreTestFailed")
    assert alarm.inputs["dimensions"] == {"RestoreTestingPlan": prod.one(RT_PLAN).outputs["name"]}
    assert alarm.inputs["alarmActions"] == [prod.outputs["drOpsWarningTopicArn"]]


def test_dev_backs_up_but_runs_no_restore_tests(dev):
    assert len(dev.all(VAULT)) == 2 and dev.all(PLAN)
    assert dev.all(RT_PLAN) == [] and [f for f in dev.all(FUNCTION) if f.name == "db-backup-validator"] == []
    assert dev.outputs["awsBackup"]["restoreTestingPlanName"] is None


def test_the_lambda_code_is_the_package_built_from_the_pinned_wheels():
    assert package.HANDLER == "restore_validation.handler.handler" and package.RUNTIME == "python3.12"
    assert set(package.files()) >= {"restore_validation/handler.py", "pg8000/native.py", "scramp/core.py"}


# --- audit --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["stage", "prod"])
def test_the_primary_framework_encodes_the_policy_configs_retention_and_frequency(stack, request):
    run = request.getfixturevalue(stack)
    plan_cfg, lock_cfg = policy_config(stack)["aws-backup-plan"], policy_config(stack)["backup-vault-lock"]
    controls = {c["name"]: c for c in run.one(FRAMEWORK, "db-backup-primary-framework").inputs["controls"]}
    assert params(controls["BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"]) == {
        "requiredFrequencyUnit": "hours",
        "requiredFrequencyValue": str(plan_cfg["maxIntervalHours"]),
        "requiredRetentionDays": str(plan_cfg["minRetentionDays"]),
    }
    assert params(controls["BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"]) == {
        "requiredRetentionDays": str(plan_cfg["minRetentionDays"])
    }
    assert params(controls["BACKUP_LAST_RECOVERY_POINT_CREATED"]) == {
        "recoveryPointAgeUnit": "hours", "recoveryPointAgeValue": str(plan_cfg["maxIntervalHours"])}  # fmt: skip
    assert params(controls["BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK"]) == {
        "minRetentionDays": str(lock_cfg["minRetentionDays"])
    }
    assert params(controls["BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION"]) == {"crossRegionList": "us-west-2"}
    assert {"BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN", "BACKUP_RECOVERY_POINT_ENCRYPTED",
            "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED"} <= set(controls)  # fmt: skip


def test_a_different_policy_config_changes_the_controls_not_a_copy_of_its_numbers(tmp_path, monkeypatch):
    import ops.objectives as objectives

    doc = policy_config("stage")
    doc["aws-backup-plan"].update(minRetentionDays=10, maxIntervalHours=12)
    config_dir = tmp_path / "policy" / "config"
    config_dir.mkdir(parents=True)
    (config_dir / "stage.json").write_text(json.dumps(doc))
    monkeypatch.setattr(objectives, "PROJECT_DIR", tmp_path)
    run = run_stack("stage", overrides={"awsBackupSchedule": "0 */12 * * *"})
    controls = {c["name"]: c for c in run.one(FRAMEWORK, "db-backup-primary-framework").inputs["controls"]}
    assert params(controls["BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"])["requiredFrequencyValue"] == "12"
    assert params(controls["BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"]) == {"requiredRetentionDays": "10"}


def test_the_dr_framework_checks_the_copies_and_the_restore_time_target(prod):
    framework = prod.one(FRAMEWORK, "db-backup-dr-framework")
    controls = {c["name"]: c for c in framework.inputs["controls"]}
    assert framework.region == "us-west-2"
    assert params(controls["RESTORE_TIME_FOR_RESOURCES_MEET_TARGET"]) == {"maxRestoreTime": "120"}
    assert controls["RESTORE_TIME_FOR_RESOURCES_MEET_TARGET"]["scope"] == {"complianceResourceTypes": ["RDS"]}
    assert params(controls["BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"]) == {"requiredRetentionDays": "35"}


def test_frameworks_and_report_plans_take_names_aws_accepts(prod):
    import re

    for r in (*prod.all(FRAMEWORK), *prod.all(REPORT_PLAN), *prod.all(RT_PLAN)):
        assert re.fullmatch(r"[a-zA-Z][_a-zA-Z0-9]*", r.inputs["name"]) and len(r.inputs["name"]) <= 50, r.name


def test_reports_go_daily_to_the_audit_logs_bucket_of_their_region(prod):
    buckets = prod.outputs["buckets"]["audit-logs"]
    plans = {(r.region, r.inputs["reportSetting"]["reportTemplate"]): r for r in prod.all(REPORT_PLAN)}
    assert set(plans) == {("us-east-1", "CONTROL_COMPLIANCE_REPORT"), ("us-east-1", "BACKUP_JOB_REPORT"),
                          ("us-east-1", "COPY_JOB_REPORT"), ("us-west-2", "CONTROL_COMPLIANCE_REPORT"),
                          ("us-west-2", "RESTORE_JOB_REPORT")}  # fmt: skip
    for (region, _), plan in plans.items():
        channel = plan.inputs["reportDeliveryChannel"]
        bucket = buckets["primaryBucket"] if region == "us-east-1" else buckets["replicaBucket"]
        assert channel == {"s3BucketName": bucket, "s3KeyPrefix": "backup-reports", "formats": ["CSV", "JSON"]}
    compliance = plans[("us-east-1", "CONTROL_COMPLIANCE_REPORT")].inputs["reportSetting"]
    assert compliance["frameworkArns"] == [prod.one(FRAMEWORK, "db-backup-primary-framework").outputs["arn"]]


def test_report_plans_wait_for_the_audit_bucket_policies_that_admit_them(prod):
    policies = {prod.one(BUCKET_POLICY, f"bucket-audit-logs-{side}-tls-only").urn for side in ("primary", "replica")}
    for plan in prod.all(REPORT_PLAN):
        assert policies <= set(plan.dependencies), plan.name


def test_the_audit_buckets_admit_the_backup_reports_role_under_its_prefix(prod):
    role = prod.one("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert role.inputs["awsServiceName"] == "reports.backup.amazonaws.com"
    for side in ("primary", "replica"):
        bucket = prod.one("aws:s3/bucket:Bucket", f"bucket-audit-logs-{side}")
        policy = json.loads(prod.one(BUCKET_POLICY, f"bucket-audit-logs-{side}-tls-only").inputs["policy"])
        reports = next(s for s in policy["Statement"] if s["Sid"] == "BackupAuditManagerReports")
        assert reports == {
            "Sid": "BackupAuditManagerReports",
            "Effect": "Allow",
            "Principal": {"AWS": role.outputs["arn"]},
            "Action": "s3:PutObject",
            "Resource": f"{bucket.outputs['arn']}/backup-reports/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        }


def test_the_audit_bucket_keys_let_the_reports_role_encrypt_through_s3_for_that_bucket_only(prod):
    role_arn = prod.one("aws:iam/serviceLinkedRole:ServiceLinkedRole").outputs["arn"]
    key = prod.one(KEY, "bucket-audit-logs-primary-key")
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    writer = statements["BackupAuditManagerReportsThroughS3"]
    assert writer["Principal"] == {"AWS": role_arn}
    assert writer["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    bucket = "arn:aws:s3:::summit-prod-audit-logs-us-east-1-432109876543"
    assert writer["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == [bucket, f"{bucket}/*"]
    other = json.loads(prod.one(KEY, "bucket-data-primary-key").inputs["policy"])["Statement"]
    assert not [st for st in other if st["Sid"].endswith("ThroughS3") and st["Principal"] == {"AWS": role_arn}]


def test_the_stack_exports_the_vaults_plan_restore_test_and_frameworks(prod):
    out = prod.outputs["awsBackup"]
    assert (out["primaryVaultName"], out["drVaultName"]) == ("summit-prod-db-us-east-1", "summit-prod-db-us-west-2")
    assert out["restoreTestingPlanName"] == "summit_prod_db_restore_test"
    assert out["validationFunctionName"] == "summit-prod-db-restore-validation"
    assert out["planId"] == prod.one(PLAN).id
    assert set(out["frameworkArns"]) == {"primary", "dr"}


def test_aws_backup_can_be_switched_off_in_dev():
    run = run_stack("dev", overrides={"awsBackupEnabled": False})
    assert [r.type for r in run.resources if r.type.startswith("aws:backup/")] == []
    assert run.all("aws:iam/serviceLinkedRole:ServiceLinkedRole") == [] and run.outputs["awsBackup"] is None
