"""AuditTrail: a multi-region CloudTrail trail delivering validated, KMS-encrypted log files into the
object-locked, replicated `audit-logs` bucket (components/storage.py admits this trail in its bucket policy)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

if TYPE_CHECKING:
    from settings import StackSettings


def audit_trail_name(config: StackSettings) -> str:
    """The stack's trail: its ARN is known before it exists, so the audit-logs bucket policy can name it."""
    return f"{config.core.name_prefix}-audit"


def trail_arn(region: str, account_id: str, name: str) -> str:
    """A trail's ARN from its home region, account and name: known before the trail exists, so the bucket
    policy and the key policy can name it (`aws:SourceArn`) without a dependency cycle."""
    return f"arn:aws:cloudtrail:{region}:{account_id}:trail/{name}"


@dataclass(frozen=True)
class DataEventBucket:
    """An S3 bucket whose object-level API calls (GetObject, PutObject, DeleteObject, …) the trail records."""

    purpose: str
    arn: pulumi.Input[str]


@dataclass(frozen=True)
class AuditTrailArgs:
    """What the caller decides. The bucket's policy must already admit `trail_arn(region, account_id, name)`."""

    name: str  # CreateTrail Name: 3–128 of [A-Za-z0-9._-], starts/ends alphanumeric (CloudTrail API model)
    account_id: str
    region: str  # the trail's home region (the primary); a multi-region trail is managed there
    bucket_name: pulumi.Input[str]  # the audit-logs primary bucket (Object Lock COMPLIANCE, replicated)
    replication_role_name: pulumi.Input[str]  # the audit-logs bucket's S3 replication role
    # The bucket policy admitting this trail: CreateTrail fails (InsufficientS3BucketPolicyException) before it.
    bucket_policy: pulumi.Resource
    data_event_buckets: tuple[DataEventBucket, ...] = ()
    production_like: bool = False  # stage/prod: protect the key (its deletion would orphan every log file)

    @classmethod
    def from_settings(
        cls,
        config: StackSettings,
        *,
        bucket_name: pulumi.Input[str],
        replication_role_name: pulumi.Input[str],
        bucket_policy: pulumi.Resource,
        bucket_arns: Mapping[str, Sequence[pulumi.Input[str]]],
    ) -> AuditTrailArgs:
        """`bucket_arns`: purpose → both ARNs of that bucket pair (a multi-region trail records both sides)."""
        core = config.core
        return cls(
            name=audit_trail_name(config),
            account_id=core.aws_account_id,
            region=core.primary_region,
            bucket_name=bucket_name,
            replication_role_name=replication_role_name,
            bucket_policy=bucket_policy,
            data_event_buckets=tuple(
                DataEventBucket(purpose, arn)
                for purpose in config.data.audit_trail_data_event_buckets
                for arn in bucket_arns[purpose]
            ),
            production_like=core.is_production_like,
        )


class AuditTrail(pulumi.ComponentResource):
    """Who did what, in every region, kept where nobody can delete it.

    - the trail: multi-region (one trail records every region, global services included), log file validation
      (hourly digest files prove no log file was changed or removed), management events (read and write —
      the first copy is free) and, per config, S3 data events of chosen buckets;
    - a KMS key in the home region whose policy admits CloudTrail only for this trail (`aws:SourceArn`) and
      only to encrypt this account's trail logs (`kms:EncryptionContext:aws:cloudtrail:arn`);
    - a grant to the audit-logs bucket's replication role to decrypt with that key: S3 replicates SSE-KMS
      objects only when its role can decrypt them, and never retries a failed object.
    """

    trail: aws.cloudtrail.Trail
    key: aws.kms.Key

    def __init__(
        self,
        name: str,
        args: AuditTrailArgs,
        *,
        provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:audit:AuditTrail", name, None, opts)
        here = pulumi.ResourceOptions(parent=self, provider=provider)
        arn = trail_arn(args.region, args.account_id, args.name)

        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"CloudTrail {args.name} log files",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.json_dumps(trail_key_policy(arn, args.account_id)),
            opts=pulumi.ResourceOptions.merge(here, pulumi.ResourceOptions(protect=args.production_like)),
        )
        replication_decrypt = aws.iam.RolePolicy(
            f"{name}-replication-decrypt",
            role=args.replication_role_name,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DecryptTrailLogsForReplication",
                            "Effect": "Allow",
                            "Action": "kms:Decrypt",
                            "Resource": self.key.arn,
                            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{args.region}.amazonaws.com"}},
                        }
                    ],
                }
            ),
            opts=here,
        )
        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.name,
            s3_bucket_name=args.bucket_name,
            is_multi_region_trail=True,
            include_global_service_events=True,  # IAM, STS, CloudFront … are logged in us-east-1 only
            enable_log_file_validation=True,
            kms_key_id=self.key.arn,
            advanced_event_selectors=event_selectors(args.data_event_buckets),
            # The first log file must replicate: the role may decrypt before CloudTrail writes anything.
            opts=pulumi.ResourceOptions.merge(
                here, pulumi.ResourceOptions(depends_on=[args.bucket_policy, replication_decrypt])
            ),
        )
        self.register_outputs({"trailArn": self.trail.arn, "keyArn": self.key.arn})


def trail_key_policy(arn: str, account_id: str) -> dict[str, Any]:
    """The key policy of CloudTrail User Guide "Configure AWS KMS key policies for CloudTrail", narrowed to one
    trail: CloudTrail may generate data keys and describe the key only on behalf of this trail."""
    this_trail = {"aws:SourceArn": arn}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                # Without this the account itself could not manage the key (and IAM policies could not grant use).
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudTrailEncryptsThisTrailsLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": this_trail,
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account_id}:trail/*"
                    },
                },
            },
            {
                "Sid": "CloudTrailDescribesTheKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": this_trail},
            },
        ],
    }


def event_selectors(buckets: tuple[DataEventBucket, ...]) -> list[aws.cloudtrail.TrailAdvancedEventSelectorArgs]:
    """Advanced event selectors: every management event, plus S3 object-level events of the chosen buckets.

    Advanced selectors (not basic ones) because a trail takes one kind or the other; `eventCategory` and
    `resources.type` accept only `Equals` (CloudTrail API AdvancedFieldSelector). The audit-logs bucket's own
    data events include CloudTrail's deliveries — one PutObject per log file, bounded, not a loop that grows.
    """
    selectors = [
        aws.cloudtrail.TrailAdvancedEventSelectorArgs(
            name="All management events",
            field_selectors=[
                aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="eventCategory", equals=["Management"])
            ],
        )
    ]
    if buckets:
        prefixes = [pulumi.Output.concat(b.arn, "/") for b in buckets]
        selectors.append(
            aws.cloudtrail.TrailAdvancedEventSelectorArgs(
                name="S3 object events: " + ", ".join(dict.fromkeys(b.purpose for b in buckets)),
                field_selectors=[
                    aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="eventCategory", equals=["Data"]),
                    aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
                        field="resources.type", equals=["AWS::S3::Object"]
                    ),
                    aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
                        field="resources.ARN", starts_withs=prefixes
                    ),
                ],
            )
        )
    return selectors
