"""ReplicatedBucket: an S3 bucket replicated to the DR region within 15 minutes (S3 Replication Time Control)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

# Storage-class transitions by purpose, (days after creation, class). Audit logs and archive follow seed 002's
# archival table (events: Standard-IA at 90 d, Glacier at 365 d; audit logs: Deep Archive at 730 d). Velero
# backups are read only on restore: Standard-IA after S3's 30-day minimum. Live data tiers down once.
TRANSITIONS: dict[str, tuple[tuple[int, str], ...]] = {
    "backups": ((30, "STANDARD_IA"),),
    "audit-logs": ((90, "STANDARD_IA"), (365, "GLACIER"), (730, "DEEP_ARCHIVE")),
    "data": ((90, "STANDARD_IA"),),
    "archive": ((90, "STANDARD_IA"), (365, "GLACIER")),
}
DATA_CLASS = {"backups": "backups", "audit-logs": "audit", "data": "data", "archive": "archive"}
ABORT_MULTIPART_DAYS = 7
# S3 RTC replicates 99.99 % of objects within 15 minutes; the latency alarm fires when that promise breaks.
RTC_MINUTES = 15
REPLICATION_LATENCY_ALARM_SECONDS = RTC_MINUTES * 60


@dataclass(frozen=True)
class ReplicatedBucketArgs:
    """What the caller decides. Everything else is a safe default."""

    purpose: str  # "backups", "audit-logs", "data", "archive" — lifecycle and the data-class tag follow it
    primary_bucket_name: str
    replica_bucket_name: str
    noncurrent_retention_days: int  # how long overwritten/deleted versions are kept
    alarm_topic_arn: pulumi.Input[str]  # replication metrics live in the source region: the primary topic
    object_lock_days: int | None = None  # COMPLIANCE default retention; set → Object Lock on both buckets
    production_like: bool = False  # stage/prod: protect=True on buckets and keys
    # audit-logs: the ARN of the CloudTrail trail allowed to deliver into the primary bucket (components/audit.py)
    cloudtrail_trail_arn: str | None = None


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


@dataclass
class _Side:
    bucket: aws.s3.Bucket
    key: aws.kms.Key
    versioning: aws.s3.BucketVersioning
    policy: aws.s3.BucketPolicy


class ReplicatedBucket(pulumi.ComponentResource):
    """A versioned, SSE-KMS, private S3 bucket and its replica in the DR region, with lifecycle tiering.

    Both buckets: versioning, SSE-KMS with a key in their own region (bucket keys on), all four public access
    blocks, BucketOwnerEnforced, a policy denying non-TLS requests, the purpose's lifecycle rules, and — when
    object_lock_days is set — Object Lock COMPLIANCE (enabled at creation; S3 cannot add it later).
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

        trail_grants = cloudtrail_delivery(args.cloudtrail_trail_arn)
        src = self._side(f"{name}-primary", args.primary_bucket_name, args, in_primary, trail_grants)
        dst = self._side(f"{name}-replica", args.replica_bucket_name, args, in_dr)
        self.primary, self.primary_key = src.bucket, src.key
        self.primary_policy = src.policy  # a trail (audit-logs) must wait for it: CreateTrail checks the policy
        self.replica, self.replica_key = dst.bucket, dst.key

        role, role_policy = self._replication_role(name, src, dst, args, in_primary)
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
                alarm_actions=[args.alarm_topic_arn],
                ok_actions=[args.alarm_topic_arn],
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
        args: ReplicatedBucketArgs,
        opts: pulumi.ResourceOptions,
        grants: Callable[[pulumi.Output[str]], list[dict[str, Any]]] | None = None,
    ) -> _Side:
        """One bucket with its key and every safety setting; the same for the primary and the replica.

        `grants(bucket_arn)` adds service statements to the bucket policy (CloudTrail delivery on audit-logs)."""
        stateful = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=args.production_like))
        key = aws.kms.Key(
            f"{prefix}-key",
            description=f"S3 {bucket_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=stateful,
        )
        bucket = aws.s3.Bucket(
            prefix,
            bucket=bucket_name,
            # Object Lock can only be switched on when a bucket is created.
            object_lock_enabled=args.object_lock_days is not None,
            tags={"data-class": DATA_CLASS[args.purpose], "purpose": args.purpose},
            opts=stateful,
        )
        versioning = aws.s3.BucketVersioning(
            f"{prefix}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=opts,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{prefix}-sse",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key.arn
                    ),
                    # One data key per bucket instead of per object: ~99 % fewer KMS requests.
                    bucket_key_enabled=True,
                )
            ],
            opts=opts,
        )
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
            f"{prefix}-tls-only",
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
                        *(grants(bucket.arn) if grants else []),
                    ],
                }
            ),
            # PutBucketPolicy races the public access block otherwise.
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[public_block])),
        )
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

    def _replication_role(
        self,
        name: str,
        src: _Side,
        dst: _Side,
        args: ReplicatedBucketArgs,
        opts: pulumi.ResourceOptions,
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """The role S3 assumes to replicate: read this source, write this destination, these two keys only."""
        role = aws.iam.Role(
            f"{name}-replication",
            description=f"S3 replication of {args.primary_bucket_name} to {args.replica_bucket_name}",
            assume_role_policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}
                    ],
                }
            ),
            opts=opts,
        )
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
        return role, policy
