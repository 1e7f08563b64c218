"""DatabaseBackups: AWS Backup snapshots of the database in locked vaults in both regions, restore-tested in the DR
region by a validation Lambda, and audited by Backup Audit Manager.

(components/backups.py is Velero, for cluster state; this module is AWS Backup, for the database.)

PITR arrangement. RDS automated backups (ReplicatedPostgres: backup_retention_period, and
InstanceAutomatedBackupsReplication to the DR region) keep point-in-time recovery in both regions. AWS Backup adds
daily *snapshot* recovery points beside them, never a continuous-backup rule: an AWS Backup continuous rule takes
over the instance's automated backups (RDS then refuses changes to them: "If you manage your backups in AWS Backup,
you can't enable automated backups", RDS User Guide, Enabling automated backups), and its cross-region copies
"become a snapshot (periodic) backup … PITR is not available for these copies" (AWS Backup Developer Guide, Copy a
backup). Snapshots alone would therefore cost the DR region its PITR; the arrangement here keeps it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components.alerting import AlarmTopics, severity_tags
from components.database import POSTGRES_PORT, NetworkArgs, database_identifier
from components.iam import service_trust
from components.storage import BucketWriter
from contract.cron import to_aws
from lambdas.restore_validation import package

if TYPE_CHECKING:
    from settings import StackSettings

BACKUP_SERVICE_POLICIES = {
    # AWS managed policies for the role AWS Backup assumes (AWS Backup Developer Guide, Managed policies).
    "backup": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "restores": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
}
LAMBDA_VPC_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
REPORTS_SERVICE = "reports.backup.amazonaws.com"
REPORT_PREFIX = "backup-reports"
REPORT_FORMATS = ["CSV", "JSON"]
# BackupRuleInput.StartWindowMinutes: "must be at least 60 minutes to avoid errors" (botocore backup model).
START_WINDOW_MINUTES = 60
# A daily job must finish before the next one starts (CompletionWindowMinutes; AWS's default is 7 days).
COMPLETION_WINDOW_MINUTES = 24 * 60
# A restore test that cannot start within a day is cancelled (RestoreTestingPlan StartWindowHours, 1–168).
RESTORE_START_WINDOW_HOURS = 24
METRIC_NAMESPACE = "Summit/RestoreTesting"
VALIDATION_TIMEOUT_SECONDS = 300  # wait for the instance (≤ 180 s) + TLS connect + one query
VALIDATION_MEMORY_MB = 256
# Vault names: ^[a-zA-Z0-9\-\_]{2,50}$ (botocore backup model, BackupVaultName).
MAX_VAULT_NAME = 50
# AWS/Backup job metrics alarmed per vault → the alarm role (components/alerting.py SEVERITIES).
JOB_FAILURE_METRICS = {
    "NumberOfBackupJobsFailed": "backup-job-failed",
    "NumberOfCopyJobsFailed": "backup-copy-job-failed",
    "NumberOfRestoreJobsFailed": "backup-restore-job-failed",
}


@dataclass(frozen=True)
class AuditArgs:
    """What the Backup Audit Manager controls check — the policy pack's numbers (settings.backup.BackupRequirements)
    — and where the reports go (the audit-logs bucket pair; its policy admits the reports role)."""

    min_retention_days: int
    max_interval_hours: int
    cross_region_copy: bool
    vault_lock_min_retention_days: int
    report_bucket: pulumi.Input[str]  # audit-logs bucket in the primary region
    dr_report_bucket: pulumi.Input[str]  # its replica in the DR region (DR-region reports are delivered there)
    report_after: Sequence[pulumi.Resource] = ()  # the bucket pair: its policy must admit the reports role first


@dataclass(frozen=True)
class RestoreTestArgs:
    """The weekly restore test in the DR region and its validation."""

    schedule: str  # five-field UTC cron (contract.cron); written in AWS's form here
    validation_window_hours: int
    selection_window_days: int  # how far back "the latest recovery point" may be
    target_minutes: int  # RESTORE_TIME_FOR_RESOURCES_MEET_TARGET
    network: NetworkArgs  # DR VPC: the restored instance and the validation Lambda
    secret_arn: pulumi.Input[str]  # database credentials (JSON username/password), any region
    secret_kms_key_arn: pulumi.Input[str]  # the key the secret is encrypted with
    db_name: str
    log_retention_days: int


@dataclass(frozen=True)
class DatabaseBackupsArgs:
    """What the caller decides. Everything else is a safe default."""

    identifier: str  # the database identifier: names vaults, plan, tests
    db_instance_arn: pulumi.Input[str]
    schedule: str  # five-field UTC cron of the snapshot (contract.cron)
    retention_days: int  # both vaults; also the vault lock's minimum retention
    vault_lock_mode: str  # "compliance" or "governance"
    vault_lock_grace_days: int  # compliance: days before the lock is permanent (≥ 3)
    account_id: str
    primary_region: str
    dr_region: str
    production_like: bool  # protect=True on keys, vaults and their locks
    recovery_point_tags: Mapping[str, str]  # cost allocation on the recovery points
    audit: AuditArgs
    # "primary"/"dr" -> that region's alarm topics: each vault's job-failure alarms (and the DR restore test's)
    alarm_topics: Mapping[str, AlarmTopics]
    restore_test: RestoreTestArgs | None = None

    @classmethod
    def from_settings(
        cls,
        config: StackSettings,
        *,
        db_instance_arn: pulumi.Input[str],
        report_buckets: tuple[pulumi.Input[str], pulumi.Input[str]],
        report_after: Sequence[pulumi.Resource],
        alarm_topics: Mapping[str, AlarmTopics],
        secret_arn: pulumi.Input[str],
        secret_kms_key_arn: pulumi.Input[str],
    ) -> DatabaseBackupsArgs:
        """`report_buckets`: the audit-logs pair (primary, DR); `secret_arn`/`secret_kms_key_arn`: the DR-region copy
        of the credentials secret and its key — the restore test runs there and must not depend on the primary."""
        core, backups, data = config.core, config.backup, config.data
        requirements = backups.requirements
        return cls(
            identifier=database_identifier(config),
            db_instance_arn=db_instance_arn,
            schedule=backups.schedule,
            retention_days=backups.retention_days,
            vault_lock_mode=backups.vault_lock_mode,
            vault_lock_grace_days=backups.vault_lock_grace_days,
            account_id=core.aws_account_id,
            primary_region=core.primary_region,
            dr_region=core.dr_region,
            production_like=core.is_production_like,
            recovery_point_tags=core.cost_allocation_tags,
            audit=AuditArgs(
                min_retention_days=requirements.min_retention_days,
                max_interval_hours=requirements.max_interval_hours,
                cross_region_copy=requirements.cross_region_copy,
                vault_lock_min_retention_days=requirements.vault_lock_min_retention_days,
                report_bucket=report_buckets[0],
                dr_report_bucket=report_buckets[1],
                report_after=report_after,
            ),
            alarm_topics=alarm_topics,
            restore_test=(
                RestoreTestArgs(
                    schedule=backups.restore_test_schedule,
                    validation_window_hours=backups.restore_test_validation_window_hours,
                    selection_window_days=backups.restore_selection_window_days,
                    target_minutes=backups.restore_test_target_minutes,
                    network=NetworkArgs.from_settings(config, "dr"),
                    secret_arn=secret_arn,
                    secret_kms_key_arn=secret_kms_key_arn,
                    db_name=data.db_name,
                    log_retention_days=data.db_log_retention_days,
                )
                if backups.restore_test_enabled
                else None
            ),
        )


def vault_arn(region: str, account_id: str, name: str) -> str:
    """A vault's ARN, known before the vault exists: the plan's copy action and the restore testing plan name the DR
    vault by ARN, and the policy pack reads the copy's region from it at preview time."""
    partition = "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return f"arn:{partition}:backup:{region}:{account_id}:backup-vault:{name}"


def underscored(name: str) -> str:
    """Restore testing plans, frameworks and report plans take [a-zA-Z][_a-zA-Z0-9]* names (botocore backup model)."""
    return name.replace("-", "_")


def _control(
    name: str, params: Mapping[str, object] | None = None, rds_only: bool = False
) -> aws.backup.FrameworkControlArgs:
    return aws.backup.FrameworkControlArgs(
        name=name,
        input_parameters=[
            aws.backup.FrameworkControlInputParameterArgs(name=k, value=str(v)) for k, v in (params or {}).items()
        ]
        or None,
        scope=aws.backup.FrameworkControlScopeArgs(compliance_resource_types=["RDS"]) if rds_only else None,
    )


def primary_controls(audit: AuditArgs, dr_region: str) -> list[aws.backup.FrameworkControlArgs]:
    """Controls in the primary region (plan, selection, source recovery points). Parameter names and ranges:
    AWS Backup Developer Guide, Creating frameworks using the AWS Backup API / Choosing your controls; the frequency
    and recovery-point-age values are hours (at most 24 and 744 respectively)."""
    controls = [
        _control("BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN", rds_only=True),
        _control(
            "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK",
            {
                "requiredFrequencyUnit": "hours",
                "requiredFrequencyValue": audit.max_interval_hours,
                "requiredRetentionDays": audit.min_retention_days,
            },
        ),
        _control(
            "BACKUP_LAST_RECOVERY_POINT_CREATED",
            {"recoveryPointAgeUnit": "hours", "recoveryPointAgeValue": audit.max_interval_hours},
            rds_only=True,
        ),
        _control("BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK", {"requiredRetentionDays": audit.min_retention_days}),
        _control("BACKUP_RECOVERY_POINT_ENCRYPTED"),
        _control("BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED"),
        _control(
            "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK",
            {"minRetentionDays": audit.vault_lock_min_retention_days},
            rds_only=True,
        ),
    ]
    if audit.cross_region_copy:
        controls.append(
            _control("BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION", {"crossRegionList": dr_region}, rds_only=True)
        )
    return controls


def dr_controls(audit: AuditArgs, restore_target_minutes: int | None) -> list[aws.backup.FrameworkControlArgs]:
    """Controls in the DR region: the copies (retention, encryption, deletion) and the restore tests' duration."""
    controls = [
        _control("BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK", {"requiredRetentionDays": audit.min_retention_days}),
        _control("BACKUP_RECOVERY_POINT_ENCRYPTED"),
        _control("BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED"),
    ]
    if restore_target_minutes is not None:
        controls.append(
            _control(
                "RESTORE_TIME_FOR_RESOURCES_MEET_TARGET", {"maxRestoreTime": restore_target_minutes}, rds_only=True
            )
        )
    return controls


class BackupReportsRole(pulumi.ComponentResource):
    """The service-linked role Backup Audit Manager delivers reports with (AWSServiceRoleForBackupReports).

    Created here, before the audit-logs buckets, because their bucket and key policies name it and S3/KMS reject a
    policy whose principal does not exist yet. One per account: if the account already has it, import it
    (`pulumi import aws:iam/serviceLinkedRole:ServiceLinkedRole backup-reports-role <its ARN>`).
    """

    role: aws.iam.ServiceLinkedRole

    def __init__(self, name: str, *, provider: aws.Provider, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("summit:aws_backup:BackupReportsRole", name, None, opts)
        self.role = aws.iam.ServiceLinkedRole(
            f"{name}-role",
            aws_service_name=REPORTS_SERVICE,
            description="Backup Audit Manager delivers compliance and job reports to the audit-logs buckets",
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        self.register_outputs({"roleArn": self.role.arn})

    def writer(self, prefix: str = REPORT_PREFIX) -> BucketWriter:
        """The audit-logs bucket pair admits the reports role under `prefix/`. The condition is the one the AWS
        Backup Developer Guide's report-plan bucket policy carries (the owner gets full control of each report)."""
        return BucketWriter(
            sid="BackupAuditManagerReports",
            principal={"AWS": self.role.arn},
            key_prefix=f"{prefix}/",
            conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        )


class DatabaseBackups(pulumi.ComponentResource):
    """Locked vaults in both regions, a daily snapshot plan copying to the DR vault, a weekly restore test in the DR
    region validated by a Lambda, and Backup Audit Manager frameworks with daily reports into the audit-logs buckets.

    Vault lock: compliance mode (`changeable_for_days` set) becomes immutable when the grace period ends — nobody,
    root included, can then shorten retention, remove the lock or delete a recovery point before it expires, and a
    vault holding recovery points cannot be deleted. Governance mode (no grace period) can be removed by a principal
    allowed backup:DeleteBackupVaultLockConfiguration. The vault policy also denies manual deletion of recovery
    points (the BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED control checks for it).
    """

    vaults: dict[str, aws.backup.Vault]  # "primary", "dr"
    vault_locks: dict[str, aws.backup.VaultLockConfiguration]
    vault_keys: dict[str, aws.kms.Key]
    role: aws.iam.Role
    plan: aws.backup.Plan
    selection: aws.backup.Selection
    frameworks: dict[str, aws.backup.Framework]
    report_plans: list[aws.backup.ReportPlan]
    restore_testing_plan: aws.backup.RestoreTestingPlan | None
    restore_testing_selection: aws.backup.RestoreTestingSelection | None
    validation_function: aws.lambda_.Function | None

    def __init__(
        self,
        name: str,
        args: DatabaseBackupsArgs,
        *,
        primary: aws.Provider,
        dr: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:aws_backup:DatabaseBackups", name, None, opts)
        if args.vault_lock_mode not in ("compliance", "governance"):
            raise ValueError(f"vault_lock_mode must be compliance or governance, got {args.vault_lock_mode!r}")
        in_region = {
            "primary": pulumi.ResourceOptions(parent=self, provider=primary),
            "dr": pulumi.ResourceOptions(parent=self, provider=dr),
        }
        regions = {"primary": args.primary_region, "dr": args.dr_region}
        stateful = pulumi.ResourceOptions(protect=args.production_like)

        # --- vaults: one per region, own key, locked, manual deletion denied ---
        self.vaults, self.vault_locks, self.vault_keys = {}, {}, {}
        vault_names = {side: f"{args.identifier}-{region}" for side, region in regions.items()}
        for side in regions:
            if len(vault_names[side]) > MAX_VAULT_NAME:
                raise ValueError(f"backup vault name {vault_names[side]!r} is longer than {MAX_VAULT_NAME} characters")
            opts_side = in_region[side]
            key = aws.kms.Key(
                f"{name}-{side}-vault-key",
                description=f"AWS Backup vault {vault_names[side]}: recovery points of {args.identifier}",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                opts=pulumi.ResourceOptions.merge(opts_side, stateful),
            )
            aws.kms.Alias(
                f"{name}-{side}-vault-key-alias",
                name=f"alias/{vault_names[side]}-backup",
                target_key_id=key.key_id,
                opts=opts_side,
            )
            vault = aws.backup.Vault(
                f"{name}-{side}-vault",
                name=vault_names[side],
                kms_key_arn=key.arn,
                # Never delete recovery points to make a `pulumi destroy` pass: the lock forbids it anyway.
                force_destroy=False,
                opts=pulumi.ResourceOptions.merge(opts_side, stateful),
            )
            lock = aws.backup.VaultLockConfiguration(
                f"{name}-{side}-vault-lock",
                backup_vault_name=vault.name,
                # Every recovery point stays for its whole retention: jobs with a shorter lifecycle are refused.
                min_retention_days=args.retention_days,
                # Compliance mode: the lock can be changed for this many days (≥ 3, AWS's cooling-off period), then
                # never again. Without it, governance mode: removable by a privileged principal.
                changeable_for_days=args.vault_lock_grace_days if args.vault_lock_mode == "compliance" else None,
                opts=pulumi.ResourceOptions.merge(opts_side, stateful),
            )
            aws.backup.VaultPolicy(
                f"{name}-{side}-vault-policy",
                backup_vault_name=vault.name,
                policy=pulumi.Output.json_dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "DenyManualDeletionOfRecoveryPoints",
                                "Effect": "Deny",
                                "Principal": {"AWS": "*"},
                                "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"],
                                "Resource": "*",
                            }
                        ],
                    }
                ),
                opts=opts_side,
            )
            self.vaults[side], self.vault_locks[side], self.vault_keys[side] = vault, lock, key
            self._job_alarms(name, side, vault, args.alarm_topics[side], opts_side)
        dr_vault_arn = vault_arn(args.dr_region, args.account_id, vault_names["dr"])

        # --- the role AWS Backup assumes for backups, copies and (test) restores ---
        self.role = aws.iam.Role(
            f"{name}-role",
            description=f"AWS Backup: snapshots, cross-region copies and restore tests of {args.identifier}",
            assume_role_policy=service_trust("backup.amazonaws.com"),
            opts=in_region["primary"],
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-role-{kind}", role=self.role.name, policy_arn=arn, opts=in_region["primary"]
            )
            for kind, arn in BACKUP_SERVICE_POLICIES.items()
        ]

        # --- the plan: daily snapshots, kept `retention_days`, copied to the DR vault for as long ---
        lifecycle = aws.backup.PlanRuleLifecycleArgs(delete_after=args.retention_days)
        self.plan = aws.backup.Plan(
            f"{name}-plan",
            name=f"{args.identifier}-snapshots",
            rules=[
                aws.backup.PlanRuleArgs(
                    rule_name="snapshot-copied-to-dr",
                    target_vault_name=self.vaults["primary"].name,
                    schedule=to_aws(args.schedule),
                    start_window=START_WINDOW_MINUTES,
                    completion_window=COMPLETION_WINDOW_MINUTES,
                    lifecycle=lifecycle,
                    # Snapshots only: a continuous rule would take over the instance's automated backups and their
                    # cross-region replication (module docstring), leaving the DR region without PITR.
                    enable_continuous_backup=False,
                    recovery_point_tags=dict(args.recovery_point_tags),
                    copy_actions=[
                        aws.backup.PlanRuleCopyActionArgs(
                            destination_vault_arn=dr_vault_arn,
                            lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=args.retention_days),
                        )
                    ],
                )
            ],
            # The first recovery point is already locked, and the copy's destination exists.
            opts=pulumi.ResourceOptions.merge(
                in_region["primary"], pulumi.ResourceOptions(depends_on=list(self.vault_locks.values()))
            ),
        )
        self.selection = aws.backup.Selection(
            f"{name}-selection",
            name=args.identifier,
            plan_id=self.plan.id,
            iam_role_arn=self.role.arn,
            resources=[args.db_instance_arn],
            opts=pulumi.ResourceOptions.merge(in_region["primary"], pulumi.ResourceOptions(depends_on=attachments)),
        )

        # --- restore testing in the DR region ---
        self.restore_testing_plan = self.restore_testing_selection = self.validation_function = None
        if args.restore_test is not None:
            self._restore_testing(name, args, args.restore_test, dr_vault_arn, attachments, in_region["dr"])

        # --- Backup Audit Manager: the policy pack's numbers, evaluated by AWS after deploy ---
        target = args.restore_test.target_minutes if args.restore_test else None
        self.frameworks = {
            side: aws.backup.Framework(
                f"{name}-{side}-framework",
                name=f"{underscored(args.identifier)}_backup_{side}",
                description=f"{args.identifier}: AWS Backup requirements of the policy pack, {regions[side]}",
                controls=controls,
                opts=in_region[side],
            )
            for side, controls in (
                ("primary", primary_controls(args.audit, args.dr_region)),
                ("dr", dr_controls(args.audit, target)),
            )
        }
        reports = [
            ("primary", "CONTROL_COMPLIANCE_REPORT"),
            ("primary", "BACKUP_JOB_REPORT"),
            ("primary", "COPY_JOB_REPORT"),
            ("dr", "CONTROL_COMPLIANCE_REPORT"),
        ]
        if args.restore_test is not None:
            reports.append(("dr", "RESTORE_JOB_REPORT"))
        buckets = {"primary": args.audit.report_bucket, "dr": args.audit.dr_report_bucket}
        self.report_plans = [
            aws.backup.ReportPlan(
                f"{name}-{side}-{template.lower().replace('_', '-')}",
                name=f"{underscored(args.identifier)}_{side}_{template.lower()}",
                description=f"{args.identifier}: daily {template} into the audit-logs bucket, {REPORT_PREFIX}/",
                report_delivery_channel=aws.backup.ReportPlanReportDeliveryChannelArgs(
                    s3_bucket_name=buckets[side], s3_key_prefix=REPORT_PREFIX, formats=REPORT_FORMATS
                ),
                report_setting=aws.backup.ReportPlanReportSettingArgs(
                    report_template=template,
                    framework_arns=[self.frameworks[side].arn] if template == "CONTROL_COMPLIANCE_REPORT" else None,
                ),
                opts=pulumi.ResourceOptions.merge(
                    in_region[side], pulumi.ResourceOptions(depends_on=list(args.audit.report_after))
                ),
            )
            for side, template in reports
        ]

        self.register_outputs(
            {
                "primaryVaultName": self.vaults["primary"].name,
                "drVaultName": self.vaults["dr"].name,
                "planId": self.plan.id,
                "restoreTestingPlanName": self.restore_testing_plan.name if self.restore_testing_plan else None,
                "validationFunctionName": self.validation_function.name if self.validation_function else None,
            }
        )

    @staticmethod
    def _job_alarms(
        name: str, side: str, vault: aws.backup.Vault, topics: AlarmTopics, opts: pulumi.ResourceOptions
    ) -> None:
        """A failed backup, copy or restore job of this vault alarms in the vault's region. AWS Backup publishes the
        job counts to CloudWatch in namespace AWS/Backup per BackupVaultName (AWS Backup Developer Guide, "AWS Backup
        metrics with CloudWatch"); a copy job counts against its source vault, a restore job against the vault of
        the recovery point it restores."""
        for metric, role in JOB_FAILURE_METRICS.items():
            aws.cloudwatch.MetricAlarm(
                f"{name}-{side}-{role}",
                name=pulumi.Output.concat(vault.name, f"-{role}"),
                alarm_description=pulumi.Output.concat("AWS Backup: ", metric, " > 0 in vault ", vault.name),
                namespace="AWS/Backup",
                metric_name=metric,
                dimensions={"BackupVaultName": vault.name},
                statistic="Sum",
                # AWS Backup emits job metrics every 5 minutes (same guide): one period, any failure alarms.
                period=300,
                evaluation_periods=1,
                comparison_operator="GreaterThanThreshold",
                threshold=0,
                treat_missing_data="notBreaching",  # no jobs in the period is not a failure
                alarm_actions=topics.actions(role),
                ok_actions=topics.actions(role),
                tags=severity_tags(role),
                opts=opts,
            )

    def _restore_testing(
        self,
        name: str,
        args: DatabaseBackupsArgs,
        test: RestoreTestArgs,
        dr_vault_arn: str,
        attachments: list[aws.iam.RolePolicyAttachment],
        in_dr: pulumi.ResourceOptions,
    ) -> None:
        """Restore the newest DR-vault snapshot weekly into the DR VPC and validate it with a smoke query."""
        net = test.network
        # Where the restored instance lands: private DR subnets, reachable only from the validation Lambda.
        subnets = aws.rds.SubnetGroup(
            f"{name}-restore-test-subnets",
            name=f"{args.identifier}-restore-test",
            description=f"{args.identifier}: restore tests (AWS Backup) in the DR region",
            subnet_ids=list(net.subnet_ids),
            opts=in_dr,
        )
        validator_sg = aws.ec2.SecurityGroup(
            f"{name}-validator-sg",
            vpc_id=net.vpc_id,
            description=f"{args.identifier}: restore-validation Lambda",
            opts=in_dr,
        )
        restored_sg = aws.ec2.SecurityGroup(
            f"{name}-restored-sg",
            vpc_id=net.vpc_id,
            description=f"{args.identifier}: instances restored by restore tests, PostgreSQL from the validator only",
            opts=in_dr,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-restored-sg-postgres",
            security_group_id=restored_sg.id,
            ip_protocol="tcp",
            from_port=POSTGRES_PORT,
            to_port=POSTGRES_PORT,
            referenced_security_group_id=validator_sg.id,
            description="PostgreSQL from the restore-validation Lambda",
            opts=in_dr,
        )
        for role, port, cidr, why in (
            ("postgres", POSTGRES_PORT, net.vpc_cidr, "the restored instance"),
            # AWS Backup, RDS and Secrets Manager APIs and the RDS CA bundle: the subnets' NAT (or VPC endpoints).
            ("https", 443, "0.0.0.0/0", "AWS APIs and the RDS CA bundle"),
        ):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-validator-sg-{role}",
                security_group_id=validator_sg.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4=cidr,
                description=f"to {why}",
                opts=in_dr,
            )

        self.restore_testing_plan = aws.backup.RestoreTestingPlan(
            f"{name}-restore-testing-plan",
            name=f"{underscored(args.identifier)}_restore_test",
            schedule_expression=to_aws(test.schedule),
            start_window_hours=RESTORE_START_WINDOW_HOURS,
            recovery_point_selection=aws.backup.RestoreTestingPlanRecoveryPointSelectionArgs(
                # The newest snapshot copied to the DR vault: what a region loss would leave.
                algorithm="LATEST_WITHIN_WINDOW",
                include_vaults=[dr_vault_arn],
                recovery_point_types=["SNAPSHOT"],
                selection_window_days=test.selection_window_days,
            ),
            opts=pulumi.ResourceOptions.merge(in_dr, pulumi.ResourceOptions(depends_on=[self.vaults["dr"]])),
        )
        self.restore_testing_selection = aws.backup.RestoreTestingSelection(
            f"{name}-restore-testing-selection",
            name=f"{underscored(args.identifier)}_rds",
            restore_testing_plan_name=self.restore_testing_plan.name,
            protected_resource_type="RDS",
            # Every RDS recovery point in the DR vault (only this database's copies land there); the copies carry
            # the source instance's ARN, which is a protected resource of the primary region, not of this one.
            protected_resource_arns=["*"],
            iam_role_arn=self.role.arn,
            # Keys from the AWS Backup Developer Guide, Restore testing inferred metadata (RDS); the source's subnet
            # group and security groups do not exist in this region.
            restore_metadata_overrides={
                "dbSubnetGroupName": subnets.name,
                "vpcSecurityGroupIds": pulumi.Output.json_dumps([restored_sg.id]),
            },
            validation_window_hours=test.validation_window_hours,
            opts=pulumi.ResourceOptions.merge(in_dr, pulumi.ResourceOptions(depends_on=attachments)),
        )
        self.validation_function = self._validator(name, args, test, subnets, validator_sg, in_dr)

    def _validator(
        self,
        name: str,
        args: DatabaseBackupsArgs,
        test: RestoreTestArgs,
        subnets: aws.rds.SubnetGroup,
        validator_sg: aws.ec2.SecurityGroup,
        in_dr: pulumi.ResourceOptions,
    ) -> aws.lambda_.Function:
        """The Lambda that validates each completed restore test (lambdas/restore_validation) and its trigger."""
        assert self.restore_testing_plan is not None
        function_name = f"{args.identifier}-restore-validation"
        role = aws.iam.Role(
            f"{name}-validator-role",
            description=f"{function_name}: read the restore job and the credentials, report the verdict",
            assume_role_policy=service_trust("lambda.amazonaws.com"),
            opts=in_dr,
        )
        vpc_access = aws.iam.RolePolicyAttachment(
            f"{name}-validator-vpc", role=role.name, policy_arn=LAMBDA_VPC_POLICY, opts=in_dr
        )
        grants = aws.iam.RolePolicy(
            f"{name}-validator-policy",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            # Restore jobs have no resource type in IAM: these two take "*".
                            "Sid": "RestoreJob",
                            "Effect": "Allow",
                            "Action": ["backup:DescribeRestoreJob", "backup:PutRestoreValidationResult"],
                            "Resource": "*",
                        },
                        {
                            "Sid": "RestoredInstance",
                            "Effect": "Allow",
                            "Action": "rds:DescribeDBInstances",
                            "Resource": f"arn:aws:rds:{args.dr_region}:{args.account_id}:db:*",
                        },
                        {
                            # The database component marks the secret's ARN secret; this policy inherits that.
                            "Sid": "Credentials",
                            "Effect": "Allow",
                            "Action": "secretsmanager:GetSecretValue",
                            "Resource": test.secret_arn,
                        },
                        {
                            "Sid": "CredentialsKey",
                            "Effect": "Allow",
                            "Action": "kms:Decrypt",
                            "Resource": test.secret_kms_key_arn,
                            "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}},
                        },
                    ],
                }
            ),
            opts=in_dr,
        )
        logs = aws.cloudwatch.LogGroup(
            f"{name}-validator-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=test.log_retention_days,
            opts=in_dr,
        )
        function = aws.lambda_.Function(
            f"{name}-validator",
            name=function_name,
            description=f"Validates AWS Backup restore tests of {args.identifier}: smoke query, verdict to AWS Backup",
            role=role.arn,
            runtime=package.RUNTIME,
            architectures=[package.ARCHITECTURE],
            handler=package.HANDLER,
            code=package.archive(),
            timeout=VALIDATION_TIMEOUT_SECONDS,
            memory_size=VALIDATION_MEMORY_MB,
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={
                    "RESTORE_TESTING_PLAN_ARN": self.restore_testing_plan.arn,
                    "RESTORE_TESTING_PLAN_NAME": self.restore_testing_plan.name,
                    "SECRET_ARN": test.secret_arn,
                    "DB_NAME": test.db_name,
                    "METRIC_NAMESPACE": METRIC_NAMESPACE,
                }
            ),
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=list(test.network.subnet_ids), security_group_ids=[validator_sg.id]
            ),
            opts=pulumi.ResourceOptions.merge(
                in_dr, pulumi.ResourceOptions(depends_on=[logs, vpc_access, grants, subnets])
            ),
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-restore-job-events",
            description=f"RDS restore jobs in {args.dr_region} finishing: {function_name} validates the tests",
            event_pattern=json.dumps(
                {
                    "source": ["aws.backup"],
                    "detail-type": ["Restore Job State Change"],
                    "detail": {"resourceType": ["RDS"], "status": ["COMPLETED", "FAILED", "ABORTED"]},
                }
            ),
            opts=in_dr,
        )
        permission = aws.lambda_.Permission(
            f"{name}-validator-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            opts=in_dr,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-restore-job-validator",
            rule=rule.name,
            arn=function.arn,
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                maximum_retry_attempts=2, maximum_event_age_in_seconds=3600
            ),
            opts=pulumi.ResourceOptions.merge(in_dr, pulumi.ResourceOptions(depends_on=[permission])),
        )
        aws.cloudwatch.MetricAlarm(
            f"{name}-restore-test-failed",
            name=f"{args.identifier}-restore-test-failed",
            alarm_description=f"A restore test of {args.identifier} failed to restore or to validate ({function_name})",
            namespace=METRIC_NAMESPACE,
            metric_name="RestoreTestFailed",
            dimensions={"RestoreTestingPlan": self.restore_testing_plan.name},
            statistic="Maximum",
            period=3600,
            evaluation_periods=1,
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            treat_missing_data="notBreaching",
            alarm_actions=args.alarm_topics["dr"].actions("backup-restore-test-failed"),
            ok_actions=args.alarm_topics["dr"].actions("backup-restore-test-failed"),
            tags=severity_tags("backup-restore-test-failed"),
            opts=in_dr,
        )
        return function
