"""Explicit, least-privilege KMS key policies: who administers a key, and which service may use it for whom.

Every customer-managed key of the stack gets a policy built from these statements instead of the default key
policy. The default ("Enable IAM User Permissions": the account root may do kms:*) lets any principal whose IAM
policy says kms:Decrypt read everything the key protects, directly. Here the account administers the key (so
IAM policies can still manage it, and nobody is locked out: kms:PutKeyPolicy stays with the account), but
cryptographic use is granted only *through* the service that stores the data (kms:ViaService), to principals
of this account (kms:CallerAccount), or to a named service principal under an encryption-context condition.
Key policy elements: AWS KMS Developer Guide, "Key policies in AWS KMS" and "Default key policy"; the
ViaService/CallerAccount pair is the one AWS-managed keys (aws/rds, aws/secretsmanager, aws/s3) use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

# Key administration without cryptographic use (KMS Developer Guide, "Allows key administrators to administer the
# KMS key"). kms:Put* keeps kms:PutKeyPolicy with the account, which is what CreateKey's lockout safety check needs.
ADMIN_ACTIONS = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
]
# What a storage service does with a key on the caller's behalf: the action list of the AWS-managed aws/rds and
# aws/secretsmanager key policies. CreateGrant: RDS and Secrets Manager hold grants for the resources they encrypt.
SERVICE_USE_ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:CreateGrant",
    "kms:ListGrants",
    "kms:DescribeKey",
]
# S3 encrypts objects with data keys and never needs grants (AWS-managed aws/s3 key policy).
S3_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
# CloudWatch Logs encrypts log events in the service itself (CloudWatch Logs User Guide, "Encrypt log data in
# CloudWatch Logs using AWS KMS": Encrypt*/Decrypt*/ReEncrypt*/GenerateDataKey*/Describe*).
LOGS_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
# An AWS service publishing to an SSE-KMS topic (SNS Developer Guide, "Enable compatibility between event
# sources from AWS services and encrypted topics").
PUBLISH_TO_TOPIC_ACTIONS = ["kms:GenerateDataKey*", "kms:Decrypt"]

Statement = dict[str, Any]


def account_root(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def administration(account_id: str) -> Statement:
    """The account administers the key (IAM policies decide who); it cannot use it except as granted below."""
    return {
        "Sid": "KeyAdministrationByTheAccount",
        "Effect": "Allow",
        "Principal": {"AWS": account_root(account_id)},
        "Action": ADMIN_ACTIONS,
        "Resource": "*",
    }


def use_through_service(
    account_id: str, service: str, region: pulumi.Input[str], actions: Sequence[str] = SERVICE_USE_ACTIONS
) -> Statement:
    """Principals of this account (that IAM also allows) may use the key, but only through `service` in `region`
    (e.g. "rds", "secretsmanager", "s3") — never to decrypt data directly."""
    return {
        "Sid": f"UseThrough{_title(service)}",
        "Effect": "Allow",
        "Principal": {"AWS": account_root(account_id)},
        "Action": list(actions),
        "Resource": "*",
        "Condition": {
            "StringEquals": {
                "kms:ViaService": _via(service, region),
                "kms:CallerAccount": account_id,
            }
        },
    }


def role_through_service(
    sid: str, role_arn: pulumi.Input[str], service: str, region: pulumi.Input[str], actions: Sequence[str]
) -> Statement:
    """One named role (e.g. S3's replication role) may use the key for `actions`, through `service` only."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": role_arn},
        "Action": list(actions),
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": pulumi.Output.concat(service, ".", region, ".amazonaws.com")}},
    }


def logs_for_log_groups(account_id: str, region: str, log_group_pattern: str, sid: str) -> Statement:
    """CloudWatch Logs in `region` may use the key for the log groups whose names match `log_group_pattern` only
    (the service passes the group's ARN as encryption context)."""
    log_groups = f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_pattern}"
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": LOGS_ACTIONS,
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
    }


def service_publishes_to_topic(sid: str, service_principal: str, topic_arn: pulumi.Input[str]) -> Statement:
    """An AWS service (e.g. budgets.amazonaws.com) may publish to one SSE-KMS topic: SNS passes the topic ARN as
    encryption context, so the service cannot use the key for anything else."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": service_principal},
        "Action": PUBLISH_TO_TOPIC_ACTIONS,
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}},
    }


def document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """The key policy JSON (statements may hold Outputs, e.g. a role ARN)."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _via(service: str, region: pulumi.Input[str]) -> pulumi.Input[str]:
    """The kms:ViaService value of `service` in `region` (a plain string when the region is known)."""
    if isinstance(region, str):
        return f"{service}.{region}.amazonaws.com"
    return pulumi.Output.concat(service, ".", region, ".amazonaws.com")


def _title(service: str) -> str:
    return {"rds": "Rds", "s3": "S3", "secretsmanager": "SecretsManager", "sns": "Sns"}.get(service, service.title())
