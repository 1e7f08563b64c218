"""ReplicatedBucket: an S3 bucket replicated to the DR region within 15 minutes (S3 Replication Time Control)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components import kms_policy
from components.alerting import AlarmTopics, severity_tags
from components.iam import service_trust
from contract.data import BUCKET_DATA_CLASS
from contract.recovery import RTC_MINUTES, RTC_SECONDS

if TYPE_CHECKING:
    from settings import StackSettings

# Storage-class transitions by purpose, (days after creation, class). Audit logs and archive follow seed 002's
# archival table (events: Standard-IA at 90 d, Glacier at 365 d; audit logs: Deep Archive at 730 d). Velero
# backups are read only on restore: Standard-IA after S3's 30-day minimum. Live data tiers down once.
TRANSITIONS: dict[str, tuple[tuple[int, str], ...]] = {
    "backups": ((30, "STANDARD_IA"),),
    "audit-logs": ((90, "STANDARD_IA"), (365, "GLACIER"), (730, "DEEP_ARCHIVE")),
    "data": ((90, "STANDARD_IA"),),
    "archive": ((90, "STANDARD_IA"), (365, "GLACIER")),
}
ABORT_MULTIPART_DAYS = 7
# S3 RTC replicates 99.99 % of objects within RTC_MINUTES; the latency alarm fires when that promise breaks.
REPLICATION_LATENCY_ALARM_SECONDS = RTC_SECONDS
# Server access logs: one log bucket per region (S3 delivers only to a bucket in the source's region and account;
# S3 User Guide, "Enabling Amazon S3 server access logging"). Keys are partitioned by source account, region,
# bucket and event day under this prefix, so one prefix serves every source bucket and Athena can prune by day.
ACCESS_LOG_PREFIX = "s3-access/"
ACCESS_LOG_DATA_CLASS = "access-logs"


# What an SSE-KMS bucket's writer needs on the bucket key: S3 asks KMS for a data key on the writer's behalf
# (GenerateDataKey), and multipart uploads read it back (Decrypt).
WRITER_KEY_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"]


@dataclass(frozen=True)
class BucketWriter:
    """An AWS service that delivers objects (reports, logs) into both buckets of a pair under a key prefix.

    The bucket policy admits `principal` for s3:PutObject on `<key_prefix>*` (plus `bucket_actions` on the bucket,
    e.g. the ACL check CloudTrail makes), with `conditions`; each bucket's KMS key lets it encrypt through S3 in
    that bucket only. A bucket has one policy, so every writer is declared here rather than in its own component.
    """

    sid: str  # statement id, e.g. "BackupAuditManagerReports"
    principal: Mapping[str, pulumi.Input[str]]  # {"AWS": role ARN} or {"Service": "cloudtrail.amazonaws.com"}
    key_prefix: str  # e.g. "backup-reports/"
    conditions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    bucket_actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReplicatedBucketArgs:
    """What the caller decides. Everything else is a safe default."""

    purpose: str  # "backups", "audit-logs", "data", "archive" — lifecycle and the data-class tag follow it
    primary_bucket_name: str
    replica_bucket_name: str
    noncurrent_retention_days: int  # how long overwritten/deleted versions are kept
    alarm_topics: AlarmTopics  # replication metrics live in the source region: the primary region's topics
    account_id: str  # the key policies name the account
    # Where each side's server access logs go: the AccessLogBucket of the primary region, then of the DR region.
    access_log_buckets: tuple[pulumi.Input[str], pulumi.Input[str]]
    object_lock_days: int | None = None  # COMPLIANCE default retention; set → Object Lock on both buckets
    production_like: bool = False  # stage/prod: protect=True on buckets and keys
    writers: tuple[BucketWriter, ...] = ()  # services delivering into the buckets (reports, trails)
    # audit-logs: the ARN of the CloudTrail trail allowed to deliver into the primary bucket (components/audit.py)
    cloudtrail_trail_arn: str | None = None

    @classmethod
    def from_settings(
        cls,
        config: StackSettings,
        purpose: str,
        *,
        alarm_topics: AlarmTopics,
        access_log_buckets: tuple[pulumi.Input[str], pulumi.Input[str]],
        audit_writers: tuple[BucketWriter, ...] = (),
        audit_trail_arn: str | None = None,
    ) -> ReplicatedBucketArgs:
        """`audit_writers`/`audit_trail_arn` apply to the audit-logs pair only (Object Lock, reports, the trail)."""
        core, data = config.core, config.data
        audit = purpose == "audit-logs"
        return cls(
            purpose=purpose,
            primary_bucket_name=core.bucket_name(purpose, core.primary_region),
            replica_bucket_name=core.bucket_name(purpose, core.dr_region),
            noncurrent_retention_days=data.bucket_noncurrent_retention_days,
            alarm_topics=alarm_topics,
            account_id=core.aws_account_id,
            access_log_buckets=access_log_buckets,
            object_lock_days=data.audit_log_object_lock_days if audit else None,
            production_like=core.is_production_like,
            writers=audit_writers if audit else (),
            cloudtrail_trail_arn=audit_trail_arn if audit else None,
        )


@dataclass(frozen=True)
class _RoleUse:
    """The replication role's use of one side's key (kept to its bucket's region through S3)."""

    role: aws.iam.Role
    sid: str
    actions: tuple[str, ...]


def cloudtrail_delivery(trail_arn: str | None) -> Callable[[pulumi.Output[str]], list[dict[str, Any]]] | None:
    """The CloudTrail bucket-policy statements (CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail"):
    the service may read the ACL and write under AWSLogs/<account>/ only for this trail (`aws:SourceArn`, which
    also pins the account), never for another account's or another trail's logs (confused deputy)."""
    if trail_arn is None:
        return None
    account = trail_arn.split(":")[4]
    only_this_trail = {"aws:SourceArn": trail_arn}

    def statements(bucket_arn: pulumi.Output[str]) -> list[dict[str, Any]]:
        return [
            {
                "Sid": "CloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": only_this_trail},
            },
            {
                "Sid": "CloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": pulumi.Output.concat(bucket_arn, f"/AWSLogs/{account}/*"),
                # BucketOwnerEnforced accepts this ACL (and ignores it); CloudTrail always sends it.
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **only_this_trail}},
            },
        ]

    return statements


@dataclass(frozen=True)
class PrivateBucket:
    """What a caller may need to order on after `private_bucket_baseline`."""

    versioning: aws.s3.BucketVersioning
    policy: aws.s3.BucketPolicy


def private_bucket_baseline(
    prefix: str,
    bucket: aws.s3.Bucket,
    opts: pulumi.ResourceOptions,
    *,
    policy_name: str,
    kms_key_arn: pulumi.Input[str] | None = None,
    statements: Sequence[Mapping[str, Any]] = (),
) -> PrivateBucket:
    """Every bucket's safety settings, defined once: versioning on; default encryption (SSE-KMS with a bucket key when
    `kms_key_arn` is given, else SSE-S3); all public access blocked; BucketOwnerEnforced (no ACLs); a bucket policy
    denying plain HTTP to everyone, plus `statements`. Children: `<prefix>-versioning|sse|public-access|ownership`
    and `policy_name`."""
    versioning = aws.s3.BucketVersioning(
        f"{prefix}-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=opts,
    )
    if kms_key_arn is not None:
        rule = aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
            ),
            # One data key per bucket instead of per object: ~99 % fewer KMS requests.
            bucket_key_enabled=True,
        )
    else:
        rule = aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="AES256"
            ),
        )
    aws.s3.BucketServerSideEncryptionConfiguration(f"{prefix}-sse", bucket=bucket.id, rules=[rule], opts=opts)
    public_block = aws.s3.BucketPublicAccessBlock(
        f"{prefix}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketOwnershipControls(
        f"{prefix}-ownership",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=opts,
    )
    policy = aws.s3.BucketPolicy(
        policy_name,
        bucket=bucket.id,
        policy=pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    *statements,
                ],
            }
        ),
        # PutBucketPolicy races the public access block otherwise.
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[public_block])),
    )
    return PrivateBucket(versioning, policy)


@dataclass
class _Side:
    bucket: aws.s3.Bucket
    key: aws.kms.Key
    versioning: aws.s3.BucketVersioning
    policy: aws.s3.BucketPolicy


class ReplicatedBucket(pulumi.ComponentResource):
    """A versioned, SSE-KMS, private S3 bucket and its replica in the DR region, with lifecycle tiering.

    Both buckets: versioning, SSE-KMS with a key in their own region (bucket keys on; the key policy allows use
    only through S3, by this account and the replication role), server access logs to their region's log bucket,
    all four public access blocks, BucketOwnerEnforced, a policy denying non-TLS requests, the purpose's lifecycle
    rules, and — when object_lock_days is set — Object Lock COMPLIANCE (enabled at creation; S3 cannot add it later).
    """

    primary: aws.s3.Bucket
    replica: aws.s3.Bucket
    primary_key: aws.kms.Key
    replica_key: aws.kms.Key
    replication: aws.s3.BucketReplicationConfig
    replication_role: aws.iam.Role
    primary_policy: aws.s3.BucketPolicy
    replication_rule_id: str

    def __init__(
        self,
        name: str,
        args: ReplicatedBucketArgs,
        *,
        primary: aws.Provider,
        dr: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:storage:ReplicatedBucket", name, None, opts)
        if args.purpose not in TRANSITIONS:
            raise ValueError(f"unknown bucket purpose {args.purpose!r}; expected one of {', '.join(TRANSITIONS)}")
        in_primary = pulumi.ResourceOptions(parent=self, provider=primary)
        in_dr = pulumi.ResourceOptions(parent=self, provider=dr)

        # The replication role exists first: both keys' policies name it.
        role = aws.iam.Role(
            f"{name}-replication",
            description=f"S3 replication of {args.primary_bucket_name} to {args.replica_bucket_name}",
            assume_role_policy=service_trust("s3.amazonaws.com"),
            opts=in_primary,
        )
        # Source key: the role reads (decrypts) source objects; replica key: it writes (encrypts) replicas.
        src = self._side(
            f"{name}-primary", args.primary_bucket_name, args.access_log_buckets[0], args, in_primary,
            _RoleUse(role, "ReplicationRoleReadsSourceObjects", ("kms:Decrypt",)),
            cloudtrail_delivery(args.cloudtrail_trail_arn),
        )  # fmt: skip
        dst = self._side(
            f"{name}-replica", args.replica_bucket_name, args.access_log_buckets[1], args, in_dr,
            _RoleUse(role, "ReplicationRoleWritesReplicas", ("kms:Encrypt", "kms:GenerateDataKey")),
        )  # fmt: skip
        self.primary, self.primary_key = src.bucket, src.key
        self.primary_policy = src.policy  # a trail (audit-logs) must wait for it: CreateTrail checks the policy
        self.replica, self.replica_key = dst.bucket, dst.key

        role_policy = self._replication_policy(name, role, src, dst, args, in_primary)
        self.replication_role = role
        rule_id = "all-objects-to-dr"
        self.replication_rule_id = rule_id  # the RuleId dimension of its replication metrics
        self.replication = aws.s3.BucketReplicationConfig(
            f"{name}-replication",
            bucket=src.bucket.id,
            role=role.arn,
            rules=[
                aws.s3.BucketReplicationConfigRuleArgs(
                    id=rule_id,
                    status="Enabled",
                    priority=0,
                    filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),  # every object
                    delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                        status="Enabled"
                    ),
                    source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                        sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                            status="Enabled"
                        )
                    ),
                    destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                        bucket=dst.bucket.arn,
                        # Re-encrypted with the DR key: the replica never depends on the primary region's KMS.
                        encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                            replica_kms_key_id=dst.key.arn
                        ),
                        replication_time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs(
                            status="Enabled",
                            time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs(
                                minutes=RTC_MINUTES
                            ),
                        ),
                        metrics=aws.s3.BucketReplicationConfigRuleDestinationMetricsArgs(
                            status="Enabled",
                            event_threshold=aws.s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs(
                                minutes=RTC_MINUTES
                            ),
                        ),
                    ),
                )
            ],
            # S3 refuses a replication configuration until versioning is on at both ends. And S3 never retries a
            # failed replication: objects written before the role may read/write/encrypt would stay FAILED.
            opts=pulumi.ResourceOptions.merge(
                in_primary, pulumi.ResourceOptions(depends_on=[src.versioning, dst.versioning, role_policy])
            ),
        )

        # Replication metrics are published in the source bucket's region, per rule.
        dimensions: dict[str, pulumi.Input[str]] = {
            "SourceBucket": src.bucket.bucket,
            "DestinationBucket": dst.bucket.bucket,
            "RuleId": rule_id,
        }
        for role_name, metric, statistic, threshold, description in (
            ("replication-failed", "OperationsFailedReplication", "Sum", 0,
             "Objects failed to replicate to the DR region"),
            ("replication-latency", "ReplicationLatency", "Maximum", REPLICATION_LATENCY_ALARM_SECONDS,
             f"Replication to the DR region slower than the {RTC_MINUTES}-minute RTC objective"),
        ):  # fmt: skip
            aws.cloudwatch.MetricAlarm(
                f"{name}-{role_name}",
                name=f"{args.primary_bucket_name}-{role_name}",
                alarm_description=f"{args.purpose}: {description}",
                namespace="AWS/S3",
                metric_name=metric,
                dimensions=dimensions,
                statistic=statistic,
                period=300,
                evaluation_periods=1,
                comparison_operator="GreaterThanThreshold",
                threshold=threshold,
                treat_missing_data="notBreaching",
                alarm_actions=args.alarm_topics.actions(f"s3-{role_name}"),
                ok_actions=args.alarm_topics.actions(f"s3-{role_name}"),
                tags=severity_tags(f"s3-{role_name}"),
                opts=pulumi.ResourceOptions.merge(in_primary, pulumi.ResourceOptions(depends_on=[self.replication])),
            )

        self.register_outputs(
            {
                "primaryBucket": self.primary.bucket,
                "primaryArn": self.primary.arn,
                "replicaBucket": self.replica.bucket,
                "replicaArn": self.replica.arn,
            }
        )

    def _side(
        self,
        prefix: str,
        bucket_name: str,
        access_log_bucket: pulumi.Input[str],
        args: ReplicatedBucketArgs,
        opts: pulumi.ResourceOptions,
        replication: _RoleUse,
        grants: Callable[[pulumi.Output[str]], list[dict[str, Any]]] | None = None,
    ) -> _Side:
        """One bucket with its key and every safety setting; the same for the primary and the replica.

        `grants(bucket_arn)` adds service statements to the bucket policy (CloudTrail delivery on audit-logs)."""
        stateful = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=args.production_like))
        bucket = aws.s3.Bucket(
            prefix,
            bucket=bucket_name,
            # Object Lock can only be switched on when a bucket is created.
            object_lock_enabled=args.object_lock_days is not None,
            tags={"data-class": BUCKET_DATA_CLASS[args.purpose], "purpose": args.purpose},
            opts=stateful,
        )
        key = aws.kms.Key(
            f"{prefix}-key",
            description=f"S3 {bucket_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=kms_policy.document(
                [
                    kms_policy.administration(args.account_id),
                    kms_policy.use_through_service(args.account_id, "s3", bucket.region, kms_policy.S3_USE_ACTIONS),
                    kms_policy.role_through_service(
                        replication.sid, replication.role.arn, "s3", bucket.region, replication.actions
                    ),
                    # Services that deliver into this bucket (reports, trails): data keys through S3, here only.
                    *_writer_key_statements(bucket_name, args.writers),
                ]
            ),
            opts=stateful,
        )
        aws.s3.BucketLogging(
            f"{prefix}-access-logging",
            bucket=bucket.id,
            target_bucket=access_log_bucket,
            target_prefix=ACCESS_LOG_PREFIX,
            target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
                partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(
                    partition_date_source="EventTime"
                )
            ),
            opts=opts,
        )
        baseline = private_bucket_baseline(
            prefix,
            bucket,
            opts,
            policy_name=f"{prefix}-tls-only",
            kms_key_arn=key.arn,
            statements=[
                *(st for w in args.writers for st in _writer_statements(w, bucket.arn)),
                *(grants(bucket.arn) if grants else []),
            ],
        )
        versioning, policy = baseline.versioning, baseline.policy
        aws.s3.BucketLifecycleConfiguration(
            f"{prefix}-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id=f"{args.purpose}-tiering",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    transitions=[
                        aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=days, storage_class=cls)
                        for days, cls in TRANSITIONS[args.purpose]
                    ],
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.noncurrent_retention_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABORT_MULTIPART_DAYS
                    ),
                )
            ],
            # Lifecycle on an unversioned bucket would expire current objects instead of old versions.
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[versioning])),
        )
        if args.object_lock_days is not None:
            aws.s3.BucketObjectLockConfiguration(
                f"{prefix}-object-lock",
                bucket=bucket.id,
                object_lock_enabled="Enabled",
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode="COMPLIANCE", days=args.object_lock_days
                    )
                ),
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[versioning])),
            )
        return _Side(bucket, key, versioning, policy)

    def _replication_policy(
        self,
        name: str,
        role: aws.iam.Role,
        src: _Side,
        dst: _Side,
        args: ReplicatedBucketArgs,
        opts: pulumi.ResourceOptions,
    ) -> aws.iam.RolePolicy:
        """What the role S3 assumes may do: read this source, write this destination, these two keys only."""
        src_region = src.bucket.region
        dst_region = dst.bucket.region
        source_objects = pulumi.Output.concat(src.bucket.arn, "/*")
        dest_objects = pulumi.Output.concat(dst.bucket.arn, "/*")
        source_read = [
            "s3:GetObjectVersionForReplication",
            "s3:GetObjectVersionAcl",
            "s3:GetObjectVersionTagging",
        ]
        if args.object_lock_days is not None:
            source_read += ["s3:GetObjectRetention", "s3:GetObjectLegalHold"]
        policy = aws.iam.RolePolicy(
            f"{name}-replication",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ReadSourceConfiguration",
                            "Effect": "Allow",
                            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                            "Resource": src.bucket.arn,
                        },
                        {
                            "Sid": "ReadSourceVersions",
                            "Effect": "Allow",
                            "Action": source_read,
                            "Resource": source_objects,
                        },
                        {
                            "Sid": "WriteReplicas",
                            "Effect": "Allow",
                            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                            "Resource": dest_objects,
                        },
                        {
                            # With bucket keys the encryption context is the bucket ARN, else the object ARN.
                            "Sid": "DecryptSource",
                            "Effect": "Allow",
                            "Action": "kms:Decrypt",
                            "Resource": src.key.arn,
                            "Condition": {
                                "StringEquals": {
                                    "kms:ViaService": pulumi.Output.concat("s3.", src_region, ".amazonaws.com")
                                },
                                "StringLike": {"kms:EncryptionContext:aws:s3:arn": [src.bucket.arn, source_objects]},
                            },
                        },
                        {
                            "Sid": "EncryptReplicas",
                            "Effect": "Allow",
                            "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                            "Resource": dst.key.arn,
                            "Condition": {
                                "StringEquals": {
                                    "kms:ViaService": pulumi.Output.concat("s3.", dst_region, ".amazonaws.com")
                                },
                                "StringLike": {"kms:EncryptionContext:aws:s3:arn": [dst.bucket.arn, dest_objects]},
                            },
                        },
                    ],
                }
            ),
            opts=opts,
        )
        return policy


def _writer_statements(writer: BucketWriter, bucket_arn: pulumi.Output[str]) -> list[dict[str, Any]]:
    """Bucket-policy statements admitting one writer: PutObject under its prefix, and its bucket-level actions."""
    put: dict[str, Any] = {
        "Sid": writer.sid,
        "Effect": "Allow",
        "Principal": dict(writer.principal),
        "Action": "s3:PutObject",
        "Resource": pulumi.Output.concat(bucket_arn, "/", writer.key_prefix, "*"),
    }
    if writer.conditions:
        put["Condition"] = {op: dict(values) for op, values in writer.conditions.items()}
    statements = [put]
    if writer.bucket_actions:
        statements.append(
            {
                "Sid": f"{writer.sid}Bucket",
                "Effect": "Allow",
                "Principal": dict(writer.principal),
                "Action": list(writer.bucket_actions),
                "Resource": bucket_arn,
            }
        )
    return statements


def _writer_key_statements(bucket_name: str, writers: tuple[BucketWriter, ...]) -> list[dict[str, Any]]:
    """Per writer, the data-key use S3 makes on its behalf for this bucket only (encryption context: the bucket ARN
    with bucket keys, else the object ARN)."""
    bucket_arn = f"arn:aws:s3:::{bucket_name}"
    return [
        {
            "Sid": f"{w.sid}ThroughS3",
            "Effect": "Allow",
            "Principal": dict(w.principal),
            "Action": WRITER_KEY_ACTIONS,
            "Resource": "*",
            "Condition": {
                "StringLike": {
                    "kms:ViaService": "s3.*.amazonaws.com",
                    "kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"],
                }
            },
        }
        for w in writers
    ]


@dataclass(frozen=True)
class AccessLogBucketArgs:
    """One region's bucket for S3 server access logs."""

    bucket_name: str
    # The buckets of this region that log here: only their log deliveries may write (aws:SourceArn).
    source_bucket_names: tuple[str, ...]
    account_id: str
    retention_days: int  # log objects expire after this many days
    noncurrent_retention_days: int  # expired (noncurrent) versions are then removed after this many
    production_like: bool = False  # stage/prod: protect=True on the bucket

    @classmethod
    def from_settings(cls, config: StackSettings, region: str) -> AccessLogBucketArgs:
        """`region`'s log bucket: every bucket of that region logs into it."""
        core, data = config.core, config.data
        return cls(
            bucket_name=core.bucket_name("access-logs", region),
            source_bucket_names=tuple(core.bucket_name(purpose, region) for purpose in data.bucket_purposes),
            account_id=core.aws_account_id,
            retention_days=data.access_log_retention_days,
            noncurrent_retention_days=data.bucket_noncurrent_retention_days,
            production_like=core.is_production_like,
        )


class AccessLogBucket(pulumi.ComponentResource):
    """The region's server-access-log bucket: versioned, SSE-S3, private, TLS-only, expiring, logging nowhere.

    SSE-S3 and not SSE-KMS: server access logging cannot deliver to a destination whose default encryption is
    SSE-KMS (S3 User Guide, "Enabling Amazon S3 server access logging": default encryption on the destination
    bucket only with SSE-S3). With BucketOwnerEnforced, target grants are not supported; the logging service
    principal is admitted by bucket policy instead, for this account's listed source buckets only. The bucket
    does not log itself (a delivery would log a delivery: a loop), and it has no Object Lock default retention,
    which S3 refuses on a log destination.
    """

    bucket: aws.s3.Bucket
    bucket_name: pulumi.Output[str]  # the bucket name, resolved once its policy admits log delivery

    def __init__(
        self,
        name: str,
        args: AccessLogBucketArgs,
        *,
        provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:storage:AccessLogBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.bucket = aws.s3.Bucket(
            name,
            bucket=args.bucket_name,
            tags={"data-class": ACCESS_LOG_DATA_CLASS, "purpose": ACCESS_LOG_DATA_CLASS},
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=args.production_like)),
        )
        baseline = private_bucket_baseline(
            name,
            self.bucket,
            child,
            policy_name=f"{name}-policy",
            statements=[
                {
                    # S3 User Guide, "Permissions for log delivery": the logging service principal,
                    # confined to this account's source buckets (confused-deputy guard).
                    "Sid": "S3ServerAccessLogDelivery",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.concat(self.bucket.arn, f"/{ACCESS_LOG_PREFIX}*"),
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": [f"arn:aws:s3:::{b}" for b in args.source_bucket_names]},
                        "StringEquals": {"aws:SourceAccount": args.account_id},
                    },
                },
            ],
        )
        versioning, policy = baseline.versioning, baseline.policy
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="access-log-expiry",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    # No storage-class transitions: log objects are mostly far below Standard-IA's 128 KB
                    # minimum billable size, so tiering them would cost more (S3 pricing, Standard-IA).
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.retention_days),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.noncurrent_retention_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABORT_MULTIPART_DAYS
                    ),
                )
            ],
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[versioning])),
        )
        # Source buckets point their logging here only once the policy lets the deliveries in.
        self.bucket_name = pulumi.Output.all(self.bucket.bucket, policy.id).apply(lambda a: str(a[0]))
        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.bucket.arn})
