"""ReplicatedPostgres: RDS PostgreSQL with point-in-time recovery in two regions and a cross-region replica."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

POSTGRES_PORT = 5432
# Enhanced monitoring every 60 s: OS metrics at the granularity of the CloudWatch alarms below.
MONITORING_INTERVAL_SECONDS = 60
# Performance Insights' free tier keeps 7 days; longer retention is billed per vCPU.
PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7
LOG_EXPORTS = ["postgresql", "upgrade"]
# What CloudWatch Logs may do with a customer-managed key (Encrypt*/Decrypt*/ReEncrypt*/GenerateDataKey*/Describe*).
LOGS_KEY_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
# Alarm when free storage drops under 10 % of the allocated size (autoscaling grows storage at 10 % free;
# staying there means the ceiling is reached) or WAL held back for the replica passes 10 % of it.
STORAGE_ALARM_FRACTION = 0.10
CPU_ALARM_PERCENT = 80
GIB = 1024**3

# rds.force_ssl: clients must use TLS. hot_standby_feedback: the primary's vacuum keeps rows the replica's
# queries still read, so long reads on the DR replica are not cancelled. wal_sender_timeout: a cross-region
# stream tolerates a 60 s stall before the walsender drops it (RDS's 30 s default churns over WAN blips).
# All three are dynamic in the postgres16 family ("immediate"). max_slot_wal_keep_size is left unbounded on
# purpose: a cross-region replica has no S3 WAL archive to fall back on, so a capped slot would break it —
# the OldestReplicationSlotLag / TransactionLogsDiskUsage alarms and storage autoscaling guard the disk instead.
PARAMETERS = {"rds.force_ssl": "1", "hot_standby_feedback": "1", "wal_sender_timeout": "60000"}


@dataclass(frozen=True)
class NetworkArgs:
    """An existing VPC in one region: where the instance's subnet group and security group live."""

    vpc_id: str
    vpc_cidr: str  # clients inside the VPC may connect on 5432
    subnet_ids: tuple[str, ...]


@dataclass(frozen=True)
class ReplicatedPostgresArgs:
    """What the caller decides. Everything else is a safe default."""

    identifier: str  # RDS identifier of the primary; the replica is "<identifier>-dr"
    engine_version: str  # "16.8"
    parameter_group_family: str  # "postgres16"
    db_name: str
    instance_class: str
    replica_instance_class: str
    allocated_storage_gb: int
    max_allocated_storage_gb: int
    backup_retention_days: int  # the PITR window, in both regions
    replica_backup_retention_days: int
    multi_az: bool
    replica_enabled: bool
    replica_lag_alarm_seconds: int
    backup_window: str
    maintenance_window: str
    primary_network: NetworkArgs
    dr_network: NetworkArgs
    endpoint_parameter_name: str  # SSM String parameter holding the writer endpoint, same name in both regions
    alarm_topic_arn: pulumi.Input[str]  # operations topic in the primary region
    dr_alarm_topic_arn: pulumi.Input[str]  # CloudWatch alarms notify only topics in their own region
    production_like: bool  # stage/prod: deletion protection, final snapshot, protect=True
    account_id: str  # the key policies name the account root and the account's RDS log groups
    primary_region: str  # region of the `primary` provider
    dr_region: str  # region of the `dr` provider
    log_retention_days: int  # retention of the exported-log groups (a CloudWatch Logs value)
    master_username: str = "summit_admin"


class ReplicatedPostgres(pulumi.ComponentResource):
    """A Multi-AZ RDS PostgreSQL primary, its automated backups replicated to the DR region, and a read replica there.

    The master password is generated and rotated by RDS in Secrets Manager (encrypted with the primary's
    customer-managed key); it never passes through config, state inputs or outputs. The log groups RDS exports
    to (/aws/rds/instance/<identifier>/<log>) are created here first, with retention and encrypted with the
    region's key, so RDS writes into them instead of creating unbounded ones. The writer endpoint is
    published in SSM in both regions so applications in either region find the writer; the DR drill
    re-points the parameter after promoting the replica.
    """

    primary: aws.rds.Instance
    replica: aws.rds.Instance | None
    log_groups: list[aws.cloudwatch.LogGroup]  # per instance and exported log
    primary_key: aws.kms.Key
    replica_key: aws.kms.Key
    backups_replication: aws.rds.InstanceAutomatedBackupsReplication
    replica_lag_alarm: aws.cloudwatch.MetricAlarm | None
    endpoint_parameters: list[aws.ssm.Parameter]
    secret_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: ReplicatedPostgresArgs,
        *,
        primary: aws.Provider,
        dr: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:database:ReplicatedPostgres", name, None, opts)
        in_primary = pulumi.ResourceOptions(parent=self, provider=primary)
        in_dr = pulumi.ResourceOptions(parent=self, provider=dr)
        stateful = pulumi.ResourceOptions(protect=args.production_like)

        # --- keys: one customer-managed key per region (storage, Performance Insights, master secret) ---
        self.primary_key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.identifier}: storage, Performance Insights, master secret and exported logs",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_policy(args.account_id, args.primary_region, args.identifier),
            opts=pulumi.ResourceOptions.merge(in_primary, stateful),
        )
        aws.kms.Alias(
            f"{name}-key-alias", name=f"alias/{args.identifier}", target_key_id=self.primary_key.key_id, opts=in_primary
        )
        self.replica_key = aws.kms.Key(
            f"{name}-dr-key",
            description=f"{args.identifier}: DR replica storage, replicated automated backups and exported logs",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_policy(args.account_id, args.dr_region, replica_identifier(args.identifier)),
            opts=pulumi.ResourceOptions.merge(in_dr, stateful),
        )
        aws.kms.Alias(
            f"{name}-dr-key-alias",
            name=f"alias/{args.identifier}-dr",
            target_key_id=self.replica_key.key_id,
            opts=in_dr,
        )

        monitoring_role = aws.iam.Role(
            f"{name}-monitoring",
            description="RDS enhanced monitoring publishes OS metrics to CloudWatch Logs",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "monitoring.rds.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            opts=in_primary,
        )
        monitoring_policy = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring",
            role=monitoring_role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
            opts=in_primary,
        )

        # --- primary region ---
        subnets, sg, params = self._network_and_parameters(name, "", args, args.primary_network, in_primary)
        primary_logs = self._log_groups(f"{name}-primary", args.identifier, self.primary_key, args, in_primary)
        self.log_groups = list(primary_logs)
        self.primary = aws.rds.Instance(
            f"{name}-primary",
            identifier=args.identifier,
            engine="postgres",
            engine_version=args.engine_version,
            instance_class=args.instance_class,
            db_name=args.db_name,
            username=args.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=self.primary_key.arn,
            iam_database_authentication_enabled=True,
            storage_type="gp3",
            allocated_storage=args.allocated_storage_gb,
            max_allocated_storage=args.max_allocated_storage_gb,
            storage_encrypted=True,
            kms_key_id=self.primary_key.arn,
            multi_az=args.multi_az,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[sg.id],
            parameter_group_name=params.id,
            publicly_accessible=False,
            port=POSTGRES_PORT,
            backup_retention_period=args.backup_retention_days,
            backup_window=args.backup_window,
            maintenance_window=args.maintenance_window,
            copy_tags_to_snapshot=True,
            # Keep automated backups after deletion: PITR to before a mistaken delete stays possible.
            delete_automated_backups=False,
            deletion_protection=args.production_like,
            skip_final_snapshot=not args.production_like,
            final_snapshot_identifier=f"{args.identifier}-final" if args.production_like else None,
            auto_minor_version_upgrade=True,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=self.primary_key.arn,
            performance_insights_retention_period=PERFORMANCE_INSIGHTS_RETENTION_DAYS,
            monitoring_interval=MONITORING_INTERVAL_SECONDS,
            monitoring_role_arn=monitoring_role.arn,
            enabled_cloudwatch_logs_exports=LOG_EXPORTS,
            opts=pulumi.ResourceOptions.merge(
                in_primary,
                pulumi.ResourceOptions(protect=args.production_like, depends_on=[monitoring_policy, *primary_logs]),
            ),
        )
        # RDS creates the secret; its ARN is the only handle on the password. Marked secret all the same.
        self.secret_arn = pulumi.Output.secret(self.primary.master_user_secrets.apply(_first_secret_arn))

        # --- DR region: PITR survives the loss of the primary region even when the replica is broken ---
        self.backups_replication = aws.rds.InstanceAutomatedBackupsReplication(
            f"{name}-backups-dr",
            source_db_instance_arn=self.primary.arn,
            kms_key_id=self.replica_key.arn,
            retention_period=args.backup_retention_days,
            # Deleting it stops replication and the provider waits until the DR-region backups are gone.
            opts=pulumi.ResourceOptions.merge(in_dr, stateful),
        )

        self.replica = None
        self.replica_lag_alarm = None
        if args.replica_enabled:
            dr_subnets, dr_sg, dr_params = self._network_and_parameters(name, "-dr", args, args.dr_network, in_dr)
            replica_id = replica_identifier(args.identifier)
            replica_logs = self._log_groups(f"{name}-replica", replica_id, self.replica_key, args, in_dr)
            self.log_groups += replica_logs
            self.replica = aws.rds.Instance(
                f"{name}-replica",
                identifier=replica_id,
                # Cross-region: the source is named by ARN; engine, version, user and db name come from it.
                replicate_source_db=self.primary.arn,
                instance_class=args.replica_instance_class,
                storage_type="gp3",
                max_allocated_storage=args.max_allocated_storage_gb,
                storage_encrypted=True,
                kms_key_id=self.replica_key.arn,
                db_subnet_group_name=dr_subnets.name,
                vpc_security_group_ids=[dr_sg.id],
                parameter_group_name=dr_params.id,
                publicly_accessible=False,
                port=POSTGRES_PORT,
                iam_database_authentication_enabled=True,
                # Backups on the replica: promotion is clean and the promoted database has PITR at once.
                backup_retention_period=args.replica_backup_retention_days,
                backup_window=args.backup_window,
                maintenance_window=args.maintenance_window,
                copy_tags_to_snapshot=True,
                deletion_protection=args.production_like,
                # RDS takes no final snapshot of a read replica; after promotion, take one by hand if needed.
                skip_final_snapshot=True,
                auto_minor_version_upgrade=True,
                performance_insights_enabled=True,
                performance_insights_kms_key_id=self.replica_key.arn,
                performance_insights_retention_period=PERFORMANCE_INSIGHTS_RETENTION_DAYS,
                monitoring_interval=MONITORING_INTERVAL_SECONDS,
                monitoring_role_arn=monitoring_role.arn,
                enabled_cloudwatch_logs_exports=LOG_EXPORTS,
                opts=pulumi.ResourceOptions.merge(
                    in_dr,
                    pulumi.ResourceOptions(protect=args.production_like, depends_on=[monitoring_policy, *replica_logs]),
                ),
            )

        # --- where applications find the writer (both regions; the drill re-points both) ---
        self.endpoint_parameters = [
            aws.ssm.Parameter(
                f"{name}-writer-endpoint{suffix}",
                name=args.endpoint_parameter_name,
                type="String",
                description=f"Writer endpoint (host) of {args.identifier}; re-pointed to the replica on failover",
                insecure_value=self.primary.address,
                # After a failover the drill/operator owns the value: a later `pulumi up` must not point
                # applications back at a lost primary.
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(ignore_changes=["insecureValue"])),
            )
            for suffix, child in (("", in_primary), ("-dr", in_dr))
        ]

        self._alarms(name, args, in_primary, in_dr)
        self.register_outputs(
            {
                "primaryArn": self.primary.arn,
                "primaryEndpoint": self.primary.address,
                "replicaArn": self.replica.arn if self.replica else None,
                "replicaEndpoint": self.replica.address if self.replica else None,
                "secretArn": self.secret_arn,
            }
        )

    @staticmethod
    def _log_groups(
        prefix: str, identifier: str, key: aws.kms.Key, args: ReplicatedPostgresArgs, opts: pulumi.ResourceOptions
    ) -> list[aws.cloudwatch.LogGroup]:
        """The groups RDS exports each log of one instance to, created before the instance so that RDS finds them:
        otherwise RDS creates them itself, without retention or encryption (and outside this stack)."""
        return [
            aws.cloudwatch.LogGroup(
                f"{prefix}-log-{log}",
                name=log_group_name(identifier, log),
                retention_in_days=args.log_retention_days,
                kms_key_id=key.arn,
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=args.production_like)),
            )
            for log in LOG_EXPORTS
        ]

    def _network_and_parameters(
        self, name: str, suffix: str, args: ReplicatedPostgresArgs, net: NetworkArgs, opts: pulumi.ResourceOptions
    ) -> tuple[aws.rds.SubnetGroup, aws.ec2.SecurityGroup, aws.rds.ParameterGroup]:
        """Subnet group, security group (5432 from the VPC only) and parameter group in one region."""
        prefix = f"{name}{suffix}"
        subnets = aws.rds.SubnetGroup(
            f"{prefix}-subnets",
            name=f"{args.identifier}{suffix}",
            description=f"{args.identifier}: private subnets",
            subnet_ids=list(net.subnet_ids),
            opts=opts,
        )
        sg = aws.ec2.SecurityGroup(
            f"{prefix}-sg",
            vpc_id=net.vpc_id,
            description=f"{args.identifier}: PostgreSQL from inside the VPC only",
            opts=opts,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{prefix}-sg-postgres",
            security_group_id=sg.id,
            ip_protocol="tcp",
            from_port=POSTGRES_PORT,
            to_port=POSTGRES_PORT,
            cidr_ipv4=net.vpc_cidr,
            description="PostgreSQL from the VPC",
            opts=opts,
        )
        params = aws.rds.ParameterGroup(
            f"{prefix}-params",
            # A prefix, not a name: a new family (major upgrade) creates the new group before deleting the old.
            name_prefix=f"{args.identifier}{suffix}-{args.parameter_group_family}-",
            family=args.parameter_group_family,
            description=f"{args.identifier}: TLS only, replication-friendly",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name=k, value=v, apply_method="immediate")
                for k, v in PARAMETERS.items()
            ],
            opts=opts,
        )
        return subnets, sg, params

    def _alarms(
        self, name: str, args: ReplicatedPostgresArgs, in_primary: pulumi.ResourceOptions, in_dr: pulumi.ResourceOptions
    ) -> None:
        storage_bytes = int(args.allocated_storage_gb * GIB * STORAGE_ALARM_FRACTION)
        specs = [
            _AlarmSpec("cpu-high", "CPUUtilization", ">", CPU_ALARM_PERCENT, "Average", 15,
                       f"Primary CPU above {CPU_ALARM_PERCENT} % for 15 minutes"),
            _AlarmSpec("storage-low", "FreeStorageSpace", "<", storage_bytes, "Minimum", 5,
                       "Primary free storage under 10 % of allocated for 5 minutes (autoscaling ceiling reached?)"),
            _AlarmSpec("slot-lag", "OldestReplicationSlotLag", ">", storage_bytes, "Maximum", 5,
                       "WAL held for the DR replica exceeds 10 % of storage: replication is stuck, the disk fills"),
            _AlarmSpec("wal-disk", "TransactionLogsDiskUsage", ">", storage_bytes, "Maximum", 5,
                       "Transaction logs use more than 10 % of the primary's storage"),
        ]  # fmt: skip
        for spec in specs:
            self._alarm(name, args.identifier, self.primary, spec, args.alarm_topic_arn, in_primary)
        if self.replica is None:
            return
        replica_specs = [
            # Lag above the threshold for 2 minutes alarms well inside the 5-minute RPO. No data means the
            # replica stopped reporting: the RPO cannot be shown to hold, so that alarms too.
            _AlarmSpec("replica-lag", "ReplicaLag", ">", args.replica_lag_alarm_seconds, "Maximum", 2,
                       f"DR replica more than {args.replica_lag_alarm_seconds} s behind (RPO objective 300 s)",
                       missing="breaching"),
            _AlarmSpec("replica-storage-low", "FreeStorageSpace", "<", storage_bytes, "Minimum", 5,
                       "DR replica free storage under 10 % of allocated: replication stops when it is full"),
        ]  # fmt: skip
        alarms = [
            self._alarm(name, args.identifier, self.replica, s, args.dr_alarm_topic_arn, in_dr) for s in replica_specs
        ]
        self.replica_lag_alarm = alarms[0]

    @staticmethod
    def _alarm(
        name: str,
        identifier: str,
        instance: aws.rds.Instance,
        spec: _AlarmSpec,
        topic: pulumi.Input[str],
        opts: pulumi.ResourceOptions,
    ) -> aws.cloudwatch.MetricAlarm:
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{spec.role}",
            name=f"{identifier}-{spec.role}",
            alarm_description=spec.description,
            namespace="AWS/RDS",
            metric_name=spec.metric,
            dimensions={"DBInstanceIdentifier": instance.identifier},
            statistic=spec.statistic,
            period=60,
            evaluation_periods=spec.minutes,
            datapoints_to_alarm=spec.minutes,
            comparison_operator="GreaterThanThreshold" if spec.op == ">" else "LessThanThreshold",
            threshold=spec.threshold,
            treat_missing_data=spec.missing,
            alarm_actions=[topic],
            ok_actions=[topic],
            opts=opts,
        )


def replica_identifier(identifier: str) -> str:
    return f"{identifier}-dr"


def log_group_name(identifier: str, log: str) -> str:
    """Where RDS exports `log` of instance `identifier` (a fixed name; RDS does not let you choose)."""
    return f"/aws/rds/instance/{identifier}/{log}"


def key_policy(account_id: str, region: str, identifier: str) -> str:
    """A region's data-tier key policy: the account's IAM policies govern it (the default key policy, which RDS,
    Secrets Manager and Performance Insights rely on), and CloudWatch Logs in that region may use it for this
    instance's exported-log groups only (the encryption-context condition names their ARNs)."""
    log_groups = f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name(identifier, '*')}"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EnableIamUserPermissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsForRdsExports",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": LOGS_KEY_ACTIONS,
                    "Resource": "*",
                    "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
                },
            ],
        }
    )


def _first_secret_arn(secrets: Sequence[aws.rds.outputs.InstanceMasterUserSecret]) -> str:
    arn = secrets[0].secret_arn if secrets else None
    if arn is None:
        raise ValueError("RDS returned no master user secret although manage_master_user_password is set")
    return arn


@dataclass(frozen=True)
class _AlarmSpec:
    role: str
    metric: str
    op: str  # ">" or "<"
    threshold: float
    statistic: str
    minutes: int  # consecutive 1-minute datapoints that must breach
    description: str
    missing: str = "missing"
