"""ReplicatedPostgres: RDS PostgreSQL with point-in-time recovery in two regions and a cross-region replica."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components import kms_policy
from components.alerting import AlarmTopics, severity_tags
from components.iam import service_trust
from contract.recovery import RPO_SECONDS

if TYPE_CHECKING:
    from settings import StackSettings

POSTGRES_PORT = 5432
# Enhanced monitoring every 60 s: OS metrics at the granularity of the CloudWatch alarms below.
MONITORING_INTERVAL_SECONDS = 60
# Performance Insights' free tier keeps 7 days; longer retention is billed per vCPU.
PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7
LOG_EXPORTS = ["postgresql", "upgrade"]
CPU_ALARM_PERCENT = 80

# --- master password (pulumi-random) ---
# RDS for PostgreSQL master passwords: 8–128 printable ASCII characters except "/", '"' and "@" (RDS API
# reference, CreateDBInstance MasterUserPassword; botocore rds model). pulumi-random's default special set
# contains "@", so it is overridden: only RFC 3986 "unreserved" punctuation, so the password also works
# unescaped in a postgresql:// URI. 40 characters of 66 symbols ≈ 240 bits.
MASTER_PASSWORD_LENGTH = 40
MASTER_PASSWORD_SPECIALS = "-_.~"
# --- storage alarms that stay meaningful as storage autoscaling grows the disk ---
# AWS/RDS publishes no allocated-storage metric for an instance: FreeStorageSpace, TransactionLogsDiskUsage and
# OldestReplicationSlotLag are bytes, and the AWS/Usage "AllocatedStorage" metric is an account-wide quota sum
# (RDS User Guide, "Amazon CloudWatch metrics for Amazon RDS"). A byte threshold fixed at deploy time is a
# fraction of the *initial* disk: once autoscaling has grown 200 GiB to 1000 GiB, "10 % of allocated" fires at
# 2 % free. And no threshold on FreeStorageSpace alone can be right for every size: autoscaling keeps 10–20 % of
# the *current* size free (it grows the disk when ≤ 10 % is free for 5 minutes, by ≥ 10 %; RDS User Guide,
# "Managing capacity automatically with Amazon RDS storage autoscaling"), so a bar at "10 % of the ceiling" would
# stand in alarm for most of a healthy small disk's life. So each alarm is a ratio of two live metrics (metric
# math), which means the same on a 200 GiB and a 1000 GiB disk:
# - storage-low: the share of the remaining free space consumed per hour. 10 %/h empties it within 10 hours:
#   sooner than autoscaling may act again (≥ 6 h after a modification, or once storage optimization ends), or
#   with no growth left once the ceiling (max_allocated_storage) is reached — the two cases autoscaling cannot
#   save. Sustained for an hour of 15-minute points, so a burst of temporary files or the minutes before
#   autoscaling reacts do not page.
# - slot-lag / wal-disk: WAL held back (for the DR replica's slot, or in total) as a share of the space that WAL
#   and free storage share. A stuck slot eats that headroom whatever the disk size; 20 % of it leaves time to fix
#   replication before the disk fills.
FREE_STORAGE_BURN_EXPRESSION = "-360000 * RATE(free) / free"  # % of free storage consumed per hour
FREE_STORAGE_BURN_ALARM_PERCENT_PER_HOUR = 10
FREE_STORAGE_BURN_PERIOD_SECONDS = 900
FREE_STORAGE_BURN_DATAPOINTS = 4
WAL_SHARE_EXPRESSION = "100 * wal / (wal + free)"  # % of (WAL + free storage) held by WAL
WAL_SHARE_ALARM_PERCENT = 20

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

    @classmethod
    def from_settings(cls, config: StackSettings, side: str) -> NetworkArgs:
        """The VPC of `side` ("primary" or "dr")."""
        core = config.core
        if side == "primary":
            return cls(core.vpc_id, core.vpc_cidr, core.private_subnet_ids)
        return cls(core.dr_vpc_id, core.dr_vpc_cidr, core.dr_private_subnet_ids)


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
    alarm_topics: AlarmTopics  # the primary region's alarm topics
    dr_alarm_topics: AlarmTopics  # CloudWatch alarms notify only topics in their own region
    production_like: bool  # stage/prod: deletion protection, final snapshot, protect=True
    account_id: str  # the key policies name the account root and the account's RDS log groups
    primary_region: str  # region of the `primary` provider
    dr_region: str  # region of the `dr` provider
    log_retention_days: int  # retention of the exported-log groups (a CloudWatch Logs value)
    # Deleting the secret keeps it recoverable this long in stage/prod (Secrets Manager allows 7–30; 0 deletes at
    # once, which dev needs so that a torn-down stack can be created again under the same secret name).
    secret_recovery_days: int
    # The DR replica runs Multi-AZ: after promotion the writer keeps a standby (RDS bills both, like the primary).
    replica_multi_az: bool = False
    master_username: str = "summit_admin"

    @classmethod
    def from_settings(
        cls, config: StackSettings, alarm_topics: AlarmTopics, dr_alarm_topics: AlarmTopics
    ) -> ReplicatedPostgresArgs:
        core, data = config.core, config.data
        return cls(
            identifier=database_identifier(config),
            engine_version=data.db_engine_version,
            parameter_group_family=data.db_parameter_group_family,
            db_name=data.db_name,
            instance_class=data.db_instance_class,
            replica_instance_class=data.db_replica_instance_class,
            allocated_storage_gb=data.db_allocated_storage_gb,
            max_allocated_storage_gb=data.db_max_allocated_storage_gb,
            backup_retention_days=data.db_backup_retention_days,
            replica_backup_retention_days=data.db_replica_backup_retention_days,
            multi_az=data.db_multi_az,
            replica_enabled=data.db_replica_enabled,
            replica_multi_az=data.db_replica_multi_az,
            replica_lag_alarm_seconds=data.db_replica_lag_alarm_seconds,
            backup_window=data.db_backup_window,
            maintenance_window=data.db_maintenance_window,
            primary_network=NetworkArgs.from_settings(config, "primary"),
            dr_network=NetworkArgs.from_settings(config, "dr"),
            endpoint_parameter_name=endpoint_parameter_name(config),
            alarm_topics=alarm_topics,
            dr_alarm_topics=dr_alarm_topics,
            production_like=core.is_production_like,
            account_id=core.aws_account_id,
            primary_region=core.primary_region,
            dr_region=core.dr_region,
            log_retention_days=data.db_log_retention_days,
            secret_recovery_days=data.db_secret_recovery_days,
        )


class ReplicatedPostgres(pulumi.ComponentResource):
    """A Multi-AZ RDS PostgreSQL primary, its automated backups replicated to the DR region, and a read replica there.

    The master password comes from pulumi-random and lives in a Secrets Manager secret (RDS-rotation JSON shape,
    encrypted with the primary region's key) that Secrets Manager replicates to the DR region under the DR key,
    so the credentials stay readable when the primary region is lost. RDS cannot manage the password itself:
    it refuses read replicas of a source whose master password it manages (RDS User Guide, "Limitations for
    Secrets Manager integration with Amazon RDS"). The log groups RDS exports to (/aws/rds/instance/<id>/<log>)
    are created here first, with retention and encrypted with the region's key, so RDS writes into them instead
    of creating unbounded ones. The writer endpoint is published in SSM in both regions so applications in
    either region find the writer; the DR drill re-points the parameter after promoting the replica.
    """

    primary: aws.rds.Instance
    replica: aws.rds.Instance | None
    log_groups: list[aws.cloudwatch.LogGroup]  # per instance and exported log
    primary_key: aws.kms.Key
    replica_key: aws.kms.Key
    backups_replication: aws.rds.InstanceAutomatedBackupsReplication
    replica_lag_alarm: aws.cloudwatch.MetricAlarm | None
    # primary region: WAL held for the DR replica's slot — the replica's health as the primary sees it
    replication_slot_alarm: aws.cloudwatch.MetricAlarm
    endpoint_parameters: list[aws.ssm.Parameter]
    master_password: random.RandomPassword
    secret: aws.secretsmanager.Secret
    secret_arn: pulumi.Output[str]  # the primary-region secret
    dr_secret_arn: pulumi.Output[str]  # its replica in the DR region (same name and suffix, DR region)

    def __init__(
        self,
        name: str,
        args: ReplicatedPostgresArgs,
        *,
        primary: aws.Provider,
        dr: aws.Provider,
        random_provider: random.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:database:ReplicatedPostgres", name, None, opts)
        in_primary = pulumi.ResourceOptions(parent=self, provider=primary)
        in_dr = pulumi.ResourceOptions(parent=self, provider=dr)
        stateful = pulumi.ResourceOptions(protect=args.production_like)

        # --- keys: one customer-managed key per region (storage, Performance Insights, master secret, logs) ---
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
            description=f"{args.identifier}: DR replica storage, replicated backups, master secret replica and logs",
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
            assume_role_policy=service_trust("monitoring.rds.amazonaws.com"),
            opts=in_primary,
        )
        monitoring_policy = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring",
            role=monitoring_role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
            opts=in_primary,
        )

        # --- master password: generated by Pulumi (a secret in state), never in config ---
        self.master_password = random.RandomPassword(
            f"{name}-master-password",
            length=MASTER_PASSWORD_LENGTH,
            special=True,
            override_special=MASTER_PASSWORD_SPECIALS,
            opts=pulumi.ResourceOptions(parent=self, provider=random_provider),
        )
        password = self.master_password.result  # a secret output: pulumi_random marks `result` secret

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
            # `password`, not the write-only `password_wo`: Pulumi keeps a write-only input in state all the same
            # (encrypted, pulumi-terraform-bridge#3201) and stops diffing it, so a new password would need a
            # password_wo_version bump by hand; Pulumi's docs recommend secret-marked regular fields instead.
            password=password,
            allocated_storage=args.allocated_storage_gb,
            multi_az=args.multi_az,
            backup_retention_period=args.backup_retention_days,
            # Keep automated backups after deletion: PITR to before a mistaken delete stays possible.
            delete_automated_backups=False,
            skip_final_snapshot=not args.production_like,
            final_snapshot_identifier=f"{args.identifier}-final" if args.production_like else None,
            **_instance_settings(args, self.primary_key, subnets, sg, params, monitoring_role),
            opts=pulumi.ResourceOptions.merge(
                in_primary,
                pulumi.ResourceOptions(protect=args.production_like, depends_on=[monitoring_policy, *primary_logs]),
            ),
        )
        self._master_secret(name, args, password, in_primary, stateful)

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
                # Cross-region: the source is named by ARN; engine, version, user, password and db name come from
                # it (physical replication: RDS refuses a different master password on a PostgreSQL replica).
                replicate_source_db=self.primary.arn,
                instance_class=args.replica_instance_class,
                multi_az=args.replica_multi_az,
                # Backups on the replica: promotion is clean and the promoted database has PITR at once.
                backup_retention_period=args.replica_backup_retention_days,
                # RDS takes no final snapshot of a read replica; after promotion, take one by hand if needed.
                skip_final_snapshot=True,
                **_instance_settings(args, self.replica_key, dr_subnets, dr_sg, dr_params, monitoring_role),
                # After the backups replication, not at the same time: both start on the new primary, and each
                # RDS call on a source needs it "available" (InvalidDBInstanceState otherwise; CreateDBInstance-
                # ReadReplica snapshots the source, StartDBInstanceAutomatedBackupsReplication begins its copy).
                # AWS documents neither as safe to overlap, and parallel replica creation on one source is a known
                # InvalidDBInstanceState failure (hashicorp/terraform-provider-aws#43474). Backups first: the DR
                # region's point-in-time recovery, the fallback when a replica breaks, exists before the replica.
                opts=pulumi.ResourceOptions.merge(
                    in_dr,
                    pulumi.ResourceOptions(
                        protect=args.production_like,
                        depends_on=[monitoring_policy, *replica_logs, self.backups_replication],
                    ),
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
                "drSecretArn": self.dr_secret_arn,
            }
        )

    def _master_secret(
        self,
        name: str,
        args: ReplicatedPostgresArgs,
        password: pulumi.Output[str],
        in_primary: pulumi.ResourceOptions,
        stateful: pulumi.ResourceOptions,
    ) -> None:
        """The master credentials in Secrets Manager, replicated to the DR region under the DR key.

        The value has the JSON shape Secrets Manager's RDS PostgreSQL rotation functions read (engine, host,
        username, password, dbname, port; Secrets Manager User Guide, "JSON structure of Secrets Manager
        secrets"). The replica is read-only and follows every new version; after a region loss the Region-switch
        step promotes it to a standalone secret and re-points `host` to the promoted replica (docs/data-tier.md).
        """
        self.secret = aws.secretsmanager.Secret(
            f"{name}-master-secret",
            name=master_secret_name(args.identifier),
            description=f"{args.identifier}: master user credentials (replicated to {args.dr_region})",
            kms_key_id=self.primary_key.arn,
            replicas=[aws.secretsmanager.SecretReplicaArgs(region=args.dr_region, kms_key_id=self.replica_key.arn)],
            recovery_window_in_days=args.secret_recovery_days if args.production_like else 0,
            opts=pulumi.ResourceOptions.merge(in_primary, stateful),
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-master-secret-value",
            secret_id=self.secret.id,
            secret_string=pulumi.Output.json_dumps(
                {
                    "engine": "postgres",
                    "host": self.primary.address,
                    "port": POSTGRES_PORT,
                    "username": args.master_username,
                    "password": password,
                    "dbname": args.db_name,
                    "dbInstanceIdentifier": args.identifier,
                }
            ),
            opts=in_primary,
        )
        # The ARN is no credential, but it names where the password is: exported as a secret all the same.
        self.secret_arn = pulumi.Output.secret(self.secret.arn)
        self.dr_secret_arn = pulumi.Output.secret(self.secret.arn.apply(lambda arn: in_region(arn, args.dr_region)))

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
        burn = f"{FREE_STORAGE_BURN_ALARM_PERCENT_PER_HOUR} %/h"
        specs = [
            _AlarmSpec("cpu-high", ">", CPU_ALARM_PERCENT, 15,
                       f"Primary CPU above {CPU_ALARM_PERCENT} % for 15 minutes",
                       metric="CPUUtilization", statistic="Average"),
            _free_storage_burn("storage-low",
                               f"Primary consumes over {burn} of its free storage for an hour: full within "
                               "10 h — faster than storage autoscaling can grow it, or at max_allocated_storage"),
            _wal_share("slot-lag", "OldestReplicationSlotLag",
                       f"WAL held for the DR replica's slot exceeds {WAL_SHARE_ALARM_PERCENT} % of WAL + free "
                       "storage: replication is stuck and the disk fills"),
            _wal_share("wal-disk", "TransactionLogsDiskUsage",
                       f"Transaction logs take more than {WAL_SHARE_ALARM_PERCENT} % of WAL + free storage"),
        ]  # fmt: skip
        primary_alarms = {
            spec.role: self._alarm(name, args.identifier, self.primary, spec, args.alarm_topics, in_primary)
            for spec in specs
        }
        self.replication_slot_alarm = primary_alarms["slot-lag"]
        if self.replica is None:
            return
        replica_specs = [
            # Lag above the threshold for 2 minutes alarms well inside the 5-minute RPO. No data means the
            # replica stopped reporting: the RPO cannot be shown to hold, so that alarms too.
            _AlarmSpec("replica-lag", ">", args.replica_lag_alarm_seconds, 2,
                       f"DR replica more than {args.replica_lag_alarm_seconds} s behind "
                       f"(RPO objective {RPO_SECONDS} s)",
                       metric="ReplicaLag", statistic="Maximum", missing="breaching"),
            _free_storage_burn("replica-storage-low",
                               f"DR replica consumes over {burn} of its free storage for an hour: replication "
                               "stops when it is full"),
        ]  # fmt: skip
        alarms = [
            self._alarm(name, args.identifier, self.replica, s, args.dr_alarm_topics, in_dr) for s in replica_specs
        ]
        self.replica_lag_alarm = alarms[0]

    @staticmethod
    def _alarm(
        name: str,
        identifier: str,
        instance: aws.rds.Instance,
        spec: _AlarmSpec,
        topics: AlarmTopics,
        opts: pulumi.ResourceOptions,
    ) -> aws.cloudwatch.MetricAlarm:
        dimensions = {"DBInstanceIdentifier": instance.identifier}
        queries = None
        if spec.math is not None:
            queries = [
                *(
                    aws.cloudwatch.MetricAlarmMetricQueryArgs(
                        id=query_id,
                        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                            namespace="AWS/RDS",
                            metric_name=metric,
                            dimensions=dimensions,
                            stat=stat,
                            period=spec.period,
                        ),
                        return_data=False,
                    )
                    for query_id, metric, stat in spec.math.inputs
                ),
                # PutMetricAlarm: exactly one query returns data — the expression the alarm compares.
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="alarmed", expression=spec.math.expression, label=spec.math.label, return_data=True
                ),
            ]
        single = spec.math is None  # a metric alarm names its metric; a metric-math alarm only its queries
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{spec.role}",
            name=f"{identifier}-{spec.role}",
            alarm_description=spec.description,
            namespace="AWS/RDS" if single else None,
            metric_name=spec.metric if single else None,
            dimensions=dimensions if single else None,
            statistic=spec.statistic if single else None,
            period=spec.period if single else None,
            metric_queries=queries,
            evaluation_periods=spec.datapoints,
            datapoints_to_alarm=spec.datapoints,
            comparison_operator="GreaterThanThreshold" if spec.op == ">" else "LessThanThreshold",
            threshold=spec.threshold,
            treat_missing_data=spec.missing,
            # Severity by role (components/alerting.py SEVERITIES): critical pages, warnings reach Slack.
            alarm_actions=topics.actions(f"db-{spec.role}"),
            ok_actions=topics.actions(f"db-{spec.role}"),
            tags=severity_tags(f"db-{spec.role}"),
            opts=opts,
        )


def database_identifier(config: StackSettings) -> str:
    """The primary's RDS identifier (the replica's is replica_identifier() of it)."""
    return f"{config.core.name_prefix}-db"


def endpoint_parameter_name(config: StackSettings) -> str:
    """The SSM parameter holding the writer endpoint, the same name in both regions."""
    return f"/{config.core.service}/{config.core.environment}/database/writer-endpoint"


def _instance_settings(
    args: ReplicatedPostgresArgs,
    key: aws.kms.Key,
    subnets: aws.rds.SubnetGroup,
    sg: aws.ec2.SecurityGroup,
    params: aws.rds.ParameterGroup,
    monitoring_role: aws.iam.Role,
) -> dict[str, Any]:
    """The instance settings the primary and its replica share, so that a promoted replica runs like the primary
    did: storage, encryption with its region's key, network, TLS parameters, IAM auth, windows, Performance Insights,
    enhanced monitoring and log exports. What differs (identity, size, Multi-AZ, backups, final snapshot) the
    callers set."""
    return {
        "storage_type": "gp3",
        "max_allocated_storage": args.max_allocated_storage_gb,
        "storage_encrypted": True,
        "kms_key_id": key.arn,
        "db_subnet_group_name": subnets.name,
        "vpc_security_group_ids": [sg.id],
        "parameter_group_name": params.id,
        "publicly_accessible": False,
        "port": POSTGRES_PORT,
        "iam_database_authentication_enabled": True,
        "backup_window": args.backup_window,
        "maintenance_window": args.maintenance_window,
        "copy_tags_to_snapshot": True,
        "deletion_protection": args.production_like,
        "auto_minor_version_upgrade": True,
        "performance_insights_enabled": True,
        "performance_insights_kms_key_id": key.arn,
        "performance_insights_retention_period": PERFORMANCE_INSIGHTS_RETENTION_DAYS,
        "monitoring_interval": MONITORING_INTERVAL_SECONDS,
        "monitoring_role_arn": monitoring_role.arn,
        "enabled_cloudwatch_logs_exports": LOG_EXPORTS,
    }


def replica_identifier(identifier: str) -> str:
    return f"{identifier}-dr"


def log_group_name(identifier: str, log: str) -> str:
    """Where RDS exports `log` of instance `identifier` (a fixed name; RDS does not let you choose)."""
    return f"/aws/rds/instance/{identifier}/{log}"


def master_secret_name(identifier: str) -> str:
    """Secret names may hold letters, digits and /_+=.@- (Secrets Manager API, CreateSecret Name)."""
    return f"{identifier}/master"


def in_region(arn: str, region: str) -> str:
    """The same ARN in another region: a replica secret keeps its primary's name and suffix, only the region
    differs (Secrets Manager User Guide, "Replicate secrets across Regions")."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"not an ARN: {arn!r}")
    parts[3] = region
    return ":".join(parts)


def key_policy(account_id: str, region: str, identifier: str) -> pulumi.Output[str]:
    """A region's data-tier key: the account administers it; principals of the account may use it only through
    RDS (storage, Performance Insights, replicated backups) and Secrets Manager (the master secret or its
    replica); CloudWatch Logs may use it for this instance's exported-log groups only."""
    return kms_policy.document(
        [
            kms_policy.administration(account_id),
            kms_policy.use_through_service(account_id, "rds", region),
            kms_policy.use_through_service(account_id, "secretsmanager", region),
            kms_policy.logs_for_log_groups(
                account_id, region, log_group_name(identifier, "*"), sid="CloudWatchLogsForRdsExports"
            ),
        ]
    )


@dataclass(frozen=True)
class _Math:
    """A metric-math alarm: `inputs` (query id, AWS/RDS metric, statistic) feed `expression`, which is alarmed."""

    expression: str
    label: str
    inputs: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class _AlarmSpec:
    role: str
    op: str  # ">" or "<"
    threshold: float
    datapoints: int  # consecutive datapoints that must breach
    description: str
    metric: str = ""  # a single AWS/RDS metric …
    statistic: str = ""
    math: _Math | None = None  # … or metric math
    period: int = 60
    missing: str = "missing"


def _free_storage_burn(role: str, description: str) -> _AlarmSpec:
    return _AlarmSpec(
        role,
        ">",
        FREE_STORAGE_BURN_ALARM_PERCENT_PER_HOUR,
        FREE_STORAGE_BURN_DATAPOINTS,
        description,
        math=_Math(
            FREE_STORAGE_BURN_EXPRESSION,
            "Free storage consumed per hour (%)",
            (("free", "FreeStorageSpace", "Minimum"),),
        ),
        period=FREE_STORAGE_BURN_PERIOD_SECONDS,
    )


def _wal_share(role: str, wal_metric: str, description: str) -> _AlarmSpec:
    return _AlarmSpec(
        role,
        ">",
        WAL_SHARE_ALARM_PERCENT,
        5,
        description,
        math=_Math(
            WAL_SHARE_EXPRESSION,
            f"{wal_metric} as % of it plus free storage",
            (("wal", wal_metric, "Maximum"), ("free", "FreeStorageSpace", "Minimum")),
        ),
    )
