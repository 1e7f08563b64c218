"""The stack outputs: every exported name written once, the shapes as typed objects.

`__main__.py` builds a `StackOutputs` and exports it with `export(pulumi.export, ...)`; `ops/outputs.py` parses the
`pulumi stack output --json --show-secrets` document with the same `Key`/`BucketKey`/`FailoverKey` members. A key's
camelCase string exists only here: git grep for a quoted key finds this file alone outside tests and docs.

Each shape is a frozen dataclass paired with a `StrEnum` of its keys: field `db_primary_arn` is exported as
`Key.DB_PRIMARY_ARN` (dbPrimaryArn). The pairing is checked when this module is imported, so a field without a key
(or a key without a field) fails every layer at once, not one of them at run time. Field values are whatever the
program holds (pulumi Outputs, plain values, None for a component a stack does not deploy): this module imports the
standard library only (the policy pack's virtualenv has no pulumi_aws), so they are typed `Any`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from enum import StrEnum
from typing import Any, ClassVar

# The failover host whose record serves gatewayUrl: its own name without CloudFront, the distribution's origin with it.
GATEWAY_HOST = "gateway"


class Key(StrEnum):
    """Top-level stack outputs (`pulumi stack output --json`)."""

    ENVIRONMENT = "environment"
    PRIMARY_REGION = "primaryRegion"
    DR_REGION = "drRegion"
    OPS_ALERT_TOPIC_ARN = "opsAlertTopicArn"
    OPS_WARNING_TOPIC_ARN = "opsWarningTopicArn"
    BUDGET_NAME = "budgetName"
    BUDGET_ALERT_TOPIC_ARN = "budgetAlertTopicArn"
    GATEWAY_URL = "gatewayUrl"
    FAILOVER = "failover"
    REGION_SWITCH_PLAN_ARN = "regionSwitchPlanArn"
    CHAOS_EXPERIMENT_TEMPLATE_IDS = "chaosExperimentTemplateIds"
    WAF_REGIONAL_ACL_ARN = "wafRegionalAclArn"
    WAF_DR_REGIONAL_ACL_ARN = "wafDrRegionalAclArn"
    WAF_CLOUDFRONT_ACL_ARN = "wafCloudfrontAclArn"
    CLOUDFRONT_DOMAIN_NAME = "cloudfrontDomainName"
    DR_OPS_ALERT_TOPIC_ARN = "drOpsAlertTopicArn"
    DR_OPS_WARNING_TOPIC_ARN = "drOpsWarningTopicArn"
    DB_PRIMARY_IDENTIFIER = "dbPrimaryIdentifier"
    DB_PRIMARY_ARN = "dbPrimaryArn"
    DB_PRIMARY_ENDPOINT = "dbPrimaryEndpoint"
    DB_PRIMARY_REGION = "dbPrimaryRegion"
    DB_REPLICA_IDENTIFIER = "dbReplicaIdentifier"
    DB_REPLICA_ARN = "dbReplicaArn"
    DB_REPLICA_ENDPOINT = "dbReplicaEndpoint"
    DB_REPLICA_REGION = "dbReplicaRegion"
    DB_BACKUP_RETENTION_DAYS = "dbBackupRetentionDays"
    DB_SECRET_ARN = "dbSecretArn"
    DB_DR_SECRET_ARN = "dbDrSecretArn"
    DB_KMS_KEY_ARN = "dbKmsKeyArn"
    DB_REPLICA_KMS_KEY_ARN = "dbReplicaKmsKeyArn"
    DB_ENDPOINT_PARAMETER_NAME = "dbEndpointParameterName"
    DB_REPLICA_LAG_ALARM_NAME = "dbReplicaLagAlarmName"
    AWS_BACKUP = "awsBackup"
    BUCKETS = "buckets"
    DR_DASHBOARD_NAME = "drDashboardName"
    AUDIT_TRAIL_ARN = "auditTrailArn"
    SYNTHETICS_NAMESPACE = "syntheticsNamespace"
    PROBE_TARGETS = "probeTargets"
    CANARIES = "canaries"
    SLACK_CHANNEL_CONFIGURATION_ARN = "slackChannelConfigurationArn"
    VELERO_NAMESPACE = "veleroNamespace"
    VELERO_SCHEDULE_NAME = "veleroScheduleName"
    VELERO_BUCKET = "veleroBucket"
    KARPENTER_INTERRUPTION_QUEUE_URL = "karpenterInterruptionQueueUrl"
    KUBECOST_HOST = "kubecostHost"


class FailoverKey(StrEnum):
    """One host of the `failover` output ({host: {...}})."""

    FQDN = "fqdn"
    PRIMARY_HEALTH_CHECK_ID = "primaryHealthCheckId"
    SECONDARY_HEALTH_CHECK_ID = "secondaryHealthCheckId"
    PRIMARY_ALARM_ARN = "primaryAlarmArn"
    SECONDARY_ALARM_ARN = "secondaryAlarmArn"


class BackupKey(StrEnum):
    """The `awsBackup` output (None when AWS Backup is off for the stack)."""

    PRIMARY_VAULT_NAME = "primaryVaultName"
    DR_VAULT_NAME = "drVaultName"
    PLAN_ID = "planId"
    RESTORE_TESTING_PLAN_NAME = "restoreTestingPlanName"
    VALIDATION_FUNCTION_NAME = "validationFunctionName"
    FRAMEWORK_ARNS = "frameworkArns"


class BucketKey(StrEnum):
    """One purpose of the `buckets` output ({purpose: {...}})."""

    PRIMARY_BUCKET = "primaryBucket"
    PRIMARY_ARN = "primaryArn"
    PRIMARY_REGION = "primaryRegion"
    REPLICA_BUCKET = "replicaBucket"
    REPLICA_ARN = "replicaArn"
    REPLICA_REGION = "replicaRegion"


class CanaryKey(StrEnum):
    """One region of the `canaries` output ({region: {...}})."""

    NAMES = "names"
    ARTIFACT_BUCKET = "artifactBucket"


@dataclass(frozen=True)
class FailoverHostOutputs:
    KEYS: ClassVar[type[StrEnum]] = FailoverKey
    fqdn: Any
    primary_health_check_id: Any
    secondary_health_check_id: Any
    primary_alarm_arn: Any
    secondary_alarm_arn: Any


@dataclass(frozen=True)
class BackupOutputs:
    KEYS: ClassVar[type[StrEnum]] = BackupKey
    primary_vault_name: Any
    dr_vault_name: Any
    plan_id: Any
    restore_testing_plan_name: Any
    validation_function_name: Any
    framework_arns: Any


@dataclass(frozen=True)
class BucketPairOutputs:
    KEYS: ClassVar[type[StrEnum]] = BucketKey
    primary_bucket: Any
    primary_arn: Any
    primary_region: Any
    replica_bucket: Any
    replica_arn: Any
    replica_region: Any


@dataclass(frozen=True)
class CanaryGroupOutputs:
    KEYS: ClassVar[type[StrEnum]] = CanaryKey
    names: Any
    artifact_bucket: Any


@dataclass(frozen=True)
class StackOutputs:
    """Everything the stack exports, in export order. None: that component is not deployed in this stack."""

    KEYS: ClassVar[type[StrEnum]] = Key
    environment: Any
    primary_region: Any
    dr_region: Any
    ops_alert_topic_arn: Any
    ops_warning_topic_arn: Any
    budget_name: Any
    budget_alert_topic_arn: Any
    gateway_url: Any
    failover: Mapping[str, FailoverHostOutputs]
    region_switch_plan_arn: Any
    chaos_experiment_template_ids: Any
    waf_regional_acl_arn: Any
    waf_dr_regional_acl_arn: Any
    waf_cloudfront_acl_arn: Any
    cloudfront_domain_name: Any
    dr_ops_alert_topic_arn: Any
    dr_ops_warning_topic_arn: Any
    db_primary_identifier: Any
    db_primary_arn: Any
    db_primary_endpoint: Any
    db_primary_region: Any
    db_replica_identifier: Any
    db_replica_arn: Any
    db_replica_endpoint: Any
    db_replica_region: Any
    # The PITR window a promoted replica must keep (ops drill promotes with it, never with a tool default).
    db_backup_retention_days: Any
    db_secret_arn: Any
    db_dr_secret_arn: Any
    db_kms_key_arn: Any
    db_replica_kms_key_arn: Any
    db_endpoint_parameter_name: Any
    db_replica_lag_alarm_name: Any
    aws_backup: BackupOutputs | None
    buckets: Mapping[str, BucketPairOutputs]
    dr_dashboard_name: Any
    audit_trail_arn: Any
    synthetics_namespace: Any
    probe_targets: Any
    canaries: Mapping[str, CanaryGroupOutputs]
    slack_channel_configuration_arn: Any
    velero_namespace: Any
    velero_schedule_name: Any
    velero_bucket: Any
    karpenter_interruption_queue_url: Any
    kubecost_host: Any


SHAPES: tuple[type, ...] = (StackOutputs, FailoverHostOutputs, BackupOutputs, BucketPairOutputs, CanaryGroupOutputs)


def key_of(shape: type, field_name: str) -> StrEnum:
    """The exported key of `shape`'s field (`db_primary_arn` → Key.DB_PRIMARY_ARN)."""
    keys: type[StrEnum] = shape.KEYS  # type: ignore[attr-defined]
    return keys[field_name.upper()]


def document(value: Any) -> Any:
    """A shape as the exported document: dataclasses become {key: value}, mappings and lists are walked."""
    if is_dataclass(value) and not isinstance(value, type):
        return {key_of(type(value), f.name).value: document(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {k: document(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [document(v) for v in value]
    return value


def export(export_fn: Callable[[str, Any], None], outputs: StackOutputs) -> None:
    """Export each top-level output once, in field order (`export_fn` is pulumi.export)."""
    for name, value in document(outputs).items():
        export_fn(name, value)


def check_shape(shape: type) -> None:
    """A field without a key, or a key without a field (or out of order), would export or parse a name no other
    layer knows: refuse it at import time, naming both lists."""
    keys: type[StrEnum] = shape.KEYS  # type: ignore[attr-defined]
    names = [f.name.upper() for f in fields(shape)]
    members = [m.name for m in keys]
    if names != members:
        raise TypeError(f"contract/outputs.py: {shape.__name__} fields {names} do not match {keys.__name__} {members}")


for _shape in SHAPES:
    check_shape(_shape)
