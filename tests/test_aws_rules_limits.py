"""Hand-written service limits: for each, a resource that breaks it (exact message, AWS page cited) and one that
keeps it (clean)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policy.awsrules import limits
from policy.awsrules.limits import LIMITS, Res, by_id
from policy.resources import UNKNOWN

LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
RDS = "aws:rds/instance:Instance"


def res(type_: str, props: dict, *, name: str = "it", region: str | None = "us-east-1", deps=None) -> Res:
    return Res(type_, f"urn:pulumi:prod::p::{type_}::{name}", name, region, props, deps or {})


def found(*resources: Res) -> list[str]:
    return [f.message() for f in limits.check(list(resources))]


def doc(id_: str) -> str:
    return by_id(id_).doc


def lifecycle(*rules: dict) -> Res:
    return res(LIFECYCLE, {"bucket": "b", "rules": list(rules)})


def transitions(*steps: tuple[int, str], noncurrent: bool = False) -> dict:
    key, days = ("noncurrentVersionTransitions", "noncurrentDays") if noncurrent else ("transitions", "days")
    return {"id": "r", "status": "Enabled", key: [{days: d, "storageClass": c} for d, c in steps]}


URN_L = f"urn:pulumi:prod::p::{LIFECYCLE}::it"


# --- S3 lifecycle ------------------------------------------------------------------------------------------------


def test_standard_ia_transition_before_30_days_is_refused():
    assert found(lifecycle(transitions((29, "STANDARD_IA")))) == [
        f"{URN_L}: rules[0].transitions[0].days = 29: AWS: a transition to STANDARD_IA needs days ≥ 30 (objects "
        f"stay 30 days in S3 Standard first) [{doc('s3-lifecycle-transitions')}]"
    ]


def test_noncurrent_onezone_ia_transition_before_30_days_is_refused():
    assert found(lifecycle(transitions((7, "ONEZONE_IA"), noncurrent=True))) == [
        f"{URN_L}: rules[0].noncurrentVersionTransitions[0].noncurrentDays = 7: AWS: a transition to ONEZONE_IA "
        f"needs noncurrentDays ≥ 30 (objects stay 30 days in S3 Standard first) [{doc('s3-lifecycle-transitions')}]"
    ]


def test_a_transition_back_up_the_waterfall_is_refused():
    assert found(lifecycle(transitions((30, "GLACIER"), (120, "STANDARD_IA")))) == [
        f"{URN_L}: rules[0].transitions[1].storageClass = 'STANDARD_IA': AWS: S3 does not transition GLACIER to "
        f"STANDARD_IA (after 30 days it is already GLACIER; supported next classes: DEEP_ARCHIVE) "
        f"[{doc('s3-lifecycle-transitions')}]"
    ]


def test_leaving_standard_ia_within_30_days_is_refused():
    assert found(lifecycle(transitions((30, "STANDARD_IA"), (45, "GLACIER")))) == [
        f"{URN_L}: rules[0].transitions[1].days = 45: AWS: objects stay ≥ 30 days in STANDARD_IA before the next "
        f"transition (GLACIER at day 45 is 15 days after STANDARD_IA at day 30) [{doc('s3-lifecycle-transitions')}]"
    ]


def test_expiration_before_the_last_transition_is_refused():
    rule = {**transitions((30, "STANDARD_IA"), (90, "GLACIER")), "expiration": {"days": 60}}
    assert found(lifecycle(rule)) == [
        f"{URN_L}: rules[0].expiration.days = 60: AWS: expiration must come after the last transition (transitions "
        f"at day 90) [{doc('s3-lifecycle-transitions')}]"
    ]


def test_a_waterfall_with_30_day_gaps_and_a_later_expiration_is_clean():
    rule = {
        **transitions((30, "STANDARD_IA"), (60, "GLACIER_IR"), (150, "DEEP_ARCHIVE")),
        "expiration": {"days": 400},
        "noncurrentVersionTransitions": [{"noncurrentDays": 30, "storageClass": "STANDARD_IA"}],
        "noncurrentVersionExpiration": {"noncurrentDays": 90},
    }
    assert found(lifecycle(rule)) == []


def test_a_lifecycle_rule_id_over_255_characters_is_refused():
    assert found(lifecycle({"id": "x" * 256, "status": "Enabled"})) == [
        f"{URN_L}: rules[0].id = '{'x' * 78}…: AWS: a lifecycle rule ID is at most 255 characters "
        f"[{doc('s3-lifecycle-transitions')}]"
    ]


# --- S3 replication, bucket names ----------------------------------------------------------------------------------

REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"


def replication(rtc_minutes: int = 15, metrics: dict | None = None) -> Res:
    dest = {
        "bucket": "arn:aws:s3:::copy",
        "replicationTime": {"status": "Enabled", "time": {"minutes": rtc_minutes}},
        **({"metrics": metrics} if metrics is not None else {}),
    }
    return res(REPLICATION, {"rules": [{"id": "all", "status": "Enabled", "destination": dest}]})


def test_replication_time_control_other_than_15_minutes_is_refused():
    metrics = {"status": "Enabled", "eventThreshold": {"minutes": 15}}
    assert found(replication(10, metrics)) == [
        f"urn:pulumi:prod::p::{REPLICATION}::it: rules[0].destination.replicationTime.time.minutes = 10: AWS: the "
        f"only valid value is 15 minutes [{doc('s3-replication-time-control')}]"
    ]


def test_replication_time_control_without_metrics_is_refused():
    assert found(replication(15)) == [
        f"urn:pulumi:prod::p::{REPLICATION}::it: rules[0].destination.metrics.status = (not set): AWS: S3 "
        f"Replication Time Control requires replication metrics (metrics.status = Enabled) "
        f"[{doc('s3-replication-time-control')}]"
    ]


def test_replication_time_control_with_15_minute_metrics_is_clean():
    assert found(replication(15, {"status": "Enabled", "eventThreshold": {"minutes": 15}})) == []


@pytest.mark.parametrize(
    ("bucket", "rule"),
    [
        (
            "Summit-Data",
            "bucket names use lowercase letters, digits, dots and hyphens, and begin and end with a letter or digit",
        ),
        ("ab", "bucket names are 3–63 characters (is 2)"),
        ("summit..data", "bucket names have no two adjacent periods"),
        ("192.168.5.4", "bucket names are not formatted as an IP address"),
        ("xn--summit", "bucket names must not start with 'xn--' (reserved)"),
        ("summit-s3alias", "bucket names must not end with '-s3alias' (reserved)"),
    ],
)
def test_bucket_names_s3_refuses_are_reported(bucket, rule):
    assert found(res("aws:s3/bucket:Bucket", {"bucket": bucket})) == [
        f"urn:pulumi:prod::p::aws:s3/bucket:Bucket::it: bucket = {bucket!r}: AWS: {rule} [{doc('s3-bucket-name')}]"
    ]


def test_a_bucket_prefix_too_long_for_the_generated_suffix_is_reported():
    assert found(res("aws:s3/bucket:Bucket", {"bucketPrefix": "p" * 38})) == [
        f"urn:pulumi:prod::p::aws:s3/bucket:Bucket::it: bucketPrefix = '{'p' * 38}': AWS: bucket names are 3–63 "
        f"characters (is 64) (the prefix plus the 26 characters the provider appends) [{doc('s3-bucket-name')}]"
    ]


def test_a_valid_bucket_name_and_prefix_are_clean():
    assert found(res("aws:s3/bucket:Bucket", {"bucket": "summit-prod-data-us-east-1-123456789012"})) == []
    assert found(res("aws:s3/bucket:Bucket", {"bucketPrefix": "p" * 37})) == []


# --- RDS ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "path", "value", "rule"),
    [
        (
            {"identifier": "summit--db"},
            "identifier",
            "'summit--db'",
            "a DB instance identifier uses letters, digits and hyphens, starts with a letter, and has no trailing or "
            "double hyphen",
        ),
        (
            {"identifier": "d" * 64},
            "identifier",
            f"'{'d' * 64}'",
            "a DB instance identifier is 1–63 characters (is 64)",
        ),
        (
            {"finalSnapshotIdentifier": "1-final"},
            "finalSnapshotIdentifier",
            "'1-final'",
            "a snapshot identifier uses letters, digits and hyphens, starts with a letter, and has no trailing or "
            "double hyphen",
        ),
    ],
)
def test_rds_identifiers_rds_refuses_are_reported(props, path, value, rule):
    assert found(res(RDS, props)) == [
        f"urn:pulumi:prod::p::{RDS}::it: {path} = {value}: AWS: {rule} [{doc('rds-identifiers')}]"
    ]


def test_valid_rds_identifiers_are_clean():
    assert found(res(RDS, {"identifier": "summit-prod-db", "finalSnapshotIdentifier": "summit-prod-db-final"})) == []


def test_parameter_and_subnet_group_names_rds_refuses_are_reported():
    pg = res("aws:rds/parameterGroup:ParameterGroup", {"name": "pg-"}, name="pg")
    sg = res("aws:rds/subnetGroup:SubnetGroup", {"name": "default"}, name="sg")
    assert found(pg, sg) == [
        "urn:pulumi:prod::p::aws:rds/parameterGroup:ParameterGroup::pg: name = 'pg-': AWS: a DB parameter group name "
        "uses letters, digits and hyphens, starts with a letter, and has no trailing or double hyphen "
        f"[{doc('rds-parameter-group-name')}]",
        "urn:pulumi:prod::p::aws:rds/subnetGroup:SubnetGroup::sg: name = 'default': AWS: a DB subnet group must not "
        f"be named default [{doc('rds-subnet-group-name')}]",
    ]


def test_valid_parameter_and_subnet_group_names_are_clean():
    pg = res("aws:rds/parameterGroup:ParameterGroup", {"namePrefix": "summit-db-postgres16-"})
    sg = res("aws:rds/subnetGroup:SubnetGroup", {"name": "summit-prod-db"})
    assert found(pg, sg) == []


@pytest.mark.parametrize(
    ("props", "path", "value", "rule"),
    [
        ({"backupRetentionPeriod": 36}, "backupRetentionPeriod", "36", "backup retention is 0–35 days"),
        ({"monitoringInterval": 20}, "monitoringInterval", "20", "one of 0, 1, 5, 10, 15, 30, 60 seconds"),
        (
            {"performanceInsightsRetentionPeriod": 94},
            "performanceInsightsRetentionPeriod",
            "94",
            "Performance Insights keeps data 7 days, a number of months × 31 (93, 124, …, 713) or 731 days",
        ),
        ({"backupWindow": "03:00-03:20"}, "backupWindow", "'03:00-03:20'", "the backup window is at least 30 minutes"),
        ({"backupWindow": "3:00-4:00"}, "backupWindow", "'3:00-4:00'", "the backup window is hh24:mi-hh24:mi (UTC)"),
        (
            {"maintenanceWindow": "sun:04:00-sun:04:10"},
            "maintenanceWindow",
            "'sun:04:00-sun:04:10'",
            "the maintenance window is at least 30 minutes",
        ),
        (
            {"backupWindow": "03:00-04:00", "maintenanceWindow": "wed:03:30-wed:05:00"},
            "backupWindow",
            "'03:00-04:00'",
            "the backup window must not overlap the maintenance window wed:03:30-wed:05:00",
        ),
    ],
)
def test_rds_settings_rds_refuses_are_reported(props, path, value, rule):
    assert found(res(RDS, props)) == [
        f"urn:pulumi:prod::p::{RDS}::it: {path} = {value}: AWS: {rule} [{doc('rds-instance-settings')}]"
    ]


def test_rds_settings_within_the_documented_values_are_clean():
    props = {
        "backupRetentionPeriod": 35,
        "monitoringInterval": 60,
        "performanceInsightsRetentionPeriod": 93,
        "backupWindow": "03:00-04:00",
        "maintenanceWindow": "sun:04:00-sun:05:00",
    }
    assert found(res(RDS, props)) == []


def primary_and_replica(*, managed: bool, engine: str = "postgres", source_arn=None) -> tuple[Res, Res]:
    primary = res(RDS, {"identifier": "db", "engine": engine, "manageMasterUserPassword": managed}, name="db-primary")
    replica = res(
        RDS,
        {"replicateSourceDb": source_arn if source_arn is not None else "arn:aws:rds:us-east-1:1:db:db"},
        name="db-replica",
        region="us-west-2",
        deps={"replicateSourceDb": [primary.urn]},
    )
    return primary, replica


def test_a_read_replica_of_a_managed_password_source_is_refused():
    assert found(*primary_and_replica(managed=True)) == [
        f"urn:pulumi:prod::p::{RDS}::db-replica: replicateSourceDb = 'arn:aws:rds:us-east-1:1:db:db': AWS: RDS cannot "
        "create a read replica of a source whose master password Secrets Manager manages (db-primary has "
        "manageMasterUserPassword = true; all engines but SQL Server) "
        f"[{doc('rds-replica-of-managed-password-source')}]"
    ]


def test_the_replica_rule_relates_by_property_dependency_when_the_source_arn_is_unknown():
    messages = found(*primary_and_replica(managed=True, source_arn=UNKNOWN))
    assert len(messages) == 1 and "replicateSourceDb = <computed>: AWS: RDS cannot create a read replica" in messages[0]


def test_a_read_replica_of_a_source_with_its_own_password_is_clean():
    assert found(*primary_and_replica(managed=False)) == []


def test_sql_server_replicas_of_managed_password_sources_are_allowed():
    assert found(*primary_and_replica(managed=True, engine="sqlserver-ee")) == []


def test_a_replica_of_a_source_without_backups_is_refused():
    primary, replica = primary_and_replica(managed=False)
    primary = Res(
        primary.type, primary.urn, primary.name, primary.region, {**primary.props, "backupRetentionPeriod": 0}
    )
    assert found(primary, replica) == [
        f"urn:pulumi:prod::p::{RDS}::db-replica: replicateSourceDb = 'arn:aws:rds:us-east-1:1:db:db': AWS: a read "
        f"replica's source keeps automated backups (db-primary has backupRetentionPeriod 0) "
        f"[{doc('rds-replica-source-backups')}]"
    ]


# --- Route 53 ----------------------------------------------------------------------------------------------------

CHECK = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"


def test_a_health_check_interval_other_than_10_or_30_is_refused():
    assert found(res(CHECK, {"requestInterval": 20})) == [
        f"urn:pulumi:prod::p::{CHECK}::it: requestInterval = 20: AWS: a health check requests every 10 or 30 seconds "
        f"[{doc('route53-health-check-interval')}]"
    ]


@pytest.mark.parametrize("interval", [10, 30])
def test_health_check_intervals_of_10_and_30_are_clean(interval):
    assert found(res(CHECK, {"requestInterval": interval})) == []


@pytest.mark.parametrize(
    ("props", "path", "value", "rule"),
    [
        (
            {"aliases": [{"name": "lb", "zoneId": "Z", "evaluateTargetHealth": True}], "ttl": 60},
            "ttl",
            "60",
            "an alias record has no TTL (Route 53 uses the alias target's)",
        ),
        (
            {"records": ["1.2.3.4"], "ttl": 60, "failoverRoutingPolicies": [{"type": "PRIMARY"}]},
            "setIdentifier",
            "(not set)",
            "a record with a routing policy (failoverRoutingPolicies) needs a setIdentifier",
        ),
        (
            {"records": ["1.2.3.4"], "ttl": 60, "setIdentifier": "a"},
            "setIdentifier",
            "'a'",
            "setIdentifier is only for records with a routing policy",
        ),
    ],
)
def test_record_shapes_route53_refuses_are_reported(props, path, value, rule):
    assert found(res(RECORD, {"name": "gw", "type": "A", **props})) == [
        f"urn:pulumi:prod::p::{RECORD}::it: {path} = {value}: AWS: {rule} [{doc('route53-record-shape')}]"
    ]


def test_a_failover_alias_record_with_a_set_identifier_is_clean():
    props = {
        "name": "gw",
        "type": "A",
        "setIdentifier": "primary",
        "failoverRoutingPolicies": [{"type": "PRIMARY"}],
        "aliases": [{"name": "lb", "zoneId": "Z", "evaluateTargetHealth": True}],
    }
    assert found(res(RECORD, props)) == []


# --- CloudWatch, Logs ----------------------------------------------------------------------------------------------

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


@pytest.mark.parametrize(
    ("props", "path", "value", "rule"),
    [
        ({"period": 45}, "period", "45", "a period is 10, 20, 30 or a multiple of 60 seconds"),
        (
            {"period": 60, "evaluationPeriods": 1441},
            "evaluationPeriods",
            "1441",
            "period × evaluationPeriods ≤ 86400 s (one day for periods under an hour; is 86460)",
        ),
        (
            {"period": 60, "evaluationPeriods": 3, "datapointsToAlarm": 4},
            "datapointsToAlarm",
            "4",
            "datapointsToAlarm ≤ evaluationPeriods (3)",
        ),
        (
            {"treatMissingData": "notbreaching"},
            "treatMissingData",
            "'notbreaching'",
            "one of breaching, notBreaching, ignore, missing",
        ),
    ],
)
def test_alarm_settings_cloudwatch_refuses_are_reported(props, path, value, rule):
    assert found(res(ALARM, props)) == [
        f"urn:pulumi:prod::p::{ALARM}::it: {path} = {value}: AWS: {rule} [{doc('cloudwatch-alarm-period')}]"
    ]


def test_alarm_settings_within_the_documented_values_are_clean():
    props = {"period": 3600, "evaluationPeriods": 168, "datapointsToAlarm": 2, "treatMissingData": "notBreaching"}
    assert found(res(ALARM, props)) == []


def test_a_health_check_status_alarm_outside_us_east_1_is_refused():
    props = {"namespace": "AWS/Route53", "metricName": "HealthCheckStatus", "period": 60}
    assert found(res(ALARM, props, region="us-west-2")) == [
        f"urn:pulumi:prod::p::{ALARM}::it: metricName = 'HealthCheckStatus': AWS: Route 53 health-check metrics exist "
        f"only in us-east-1 (this alarm is in us-west-2) [{doc('route53-metrics-us-east-1')}]"
    ]


def test_a_health_check_status_alarm_in_us_east_1_is_clean():
    props = {"namespace": "AWS/Route53", "metricName": "HealthCheckStatus", "period": 60}
    assert found(res(ALARM, props, region="us-east-1")) == []


def test_a_log_retention_cloudwatch_logs_does_not_offer_is_refused():
    assert found(res("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 45})) == [
        "urn:pulumi:prod::p::aws:cloudwatch/logGroup:LogGroup::it: retentionInDays = 45: AWS: one of 1, 3, 5, 7, 14, "
        "30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 "
        f"[{doc('logs-retention-days')}]"
    ]


@pytest.mark.parametrize("days", [0, 14, 3653])
def test_log_retentions_cloudwatch_logs_offers_are_clean(days):
    assert found(res("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": days})) == []


# --- WAFv2, CloudFront ---------------------------------------------------------------------------------------------

ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
REGIONAL_ACL = "arn:aws:wafv2:us-east-1:1:regional/webacl/a/1"
GLOBAL_ACL = "arn:aws:wafv2:us-east-1:1:global/webacl/a/1"


def test_a_cloudfront_scope_web_acl_outside_us_east_1_is_refused():
    assert found(res(ACL, {"scope": "CLOUDFRONT"}, region="us-west-2")) == [
        f"urn:pulumi:prod::p::{ACL}::it: scope = 'CLOUDFRONT': AWS: a CLOUDFRONT-scope web ACL is created in "
        f"us-east-1 (this one: us-west-2) [{doc('wafv2-cloudfront-scope-region')}]"
    ]


def test_a_cloudfront_scope_web_acl_in_us_east_1_and_a_regional_one_elsewhere_are_clean():
    assert found(res(ACL, {"scope": "CLOUDFRONT"}), res(ACL, {"scope": "REGIONAL"}, region="us-west-2")) == []


def test_waf_logging_to_a_destination_without_the_aws_waf_logs_prefix_is_refused():
    arn = "arn:aws:logs:us-east-1:1:log-group:waf-summit"
    assert found(res(LOGGING, {"resourceArn": REGIONAL_ACL, "logDestinationConfigs": [arn]})) == [
        f"urn:pulumi:prod::p::{LOGGING}::it: logDestinationConfigs[0] = '{arn}': AWS: a WAF log destination's name "
        f"starts with aws-waf-logs- [{doc('wafv2-logging-destination')}]"
    ]


def test_waf_logging_to_two_destinations_is_refused():
    arns = [f"arn:aws:s3:::aws-waf-logs-{i}" for i in range(2)]
    assert found(res(LOGGING, {"resourceArn": REGIONAL_ACL, "logDestinationConfigs": arns})) == [
        f"urn:pulumi:prod::p::{LOGGING}::it: logDestinationConfigs = 2 destinations: AWS: a web ACL logs to exactly "
        f"one destination [{doc('wafv2-logging-destination')}]"
    ]


def test_waf_logging_to_one_aws_waf_logs_destination_is_clean():
    arn = "arn:aws:logs:us-east-1:1:log-group:aws-waf-logs-summit"
    assert found(res(LOGGING, {"resourceArn": REGIONAL_ACL, "logDestinationConfigs": [arn]})) == []


def test_associating_a_cloudfront_scope_web_acl_is_refused():
    alb = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/gw/1"
    assert found(res(ASSOCIATION, {"webAclArn": GLOBAL_ACL, "resourceArn": alb})) == [
        f"urn:pulumi:prod::p::{ASSOCIATION}::it: webAclArn = '{GLOBAL_ACL}': AWS: a CLOUDFRONT-scope web ACL is "
        f"attached through the distribution's webAclId, not AssociateWebACL [{doc('wafv2-association-scope')}]"
    ]


def test_associating_a_resource_in_another_region_is_refused():
    alb = "arn:aws:elasticloadbalancing:us-west-2:1:loadbalancer/app/gw/1"
    assert found(res(ASSOCIATION, {"webAclArn": REGIONAL_ACL, "resourceArn": alb})) == [
        f"urn:pulumi:prod::p::{ASSOCIATION}::it: resourceArn = '{alb}': AWS: the web ACL, the resource and the "
        f"association share one region (us-east-1) [{doc('wafv2-association-scope')}]"
    ]


def test_associating_a_regional_acl_with_a_resource_of_its_region_is_clean():
    alb = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/gw/1"
    assert found(res(ASSOCIATION, {"webAclArn": REGIONAL_ACL, "resourceArn": alb})) == []


@pytest.mark.parametrize(
    ("props", "path", "value", "rule", "limit_id"),
    [
        (
            {"viewerCertificate": {"acmCertificateArn": "arn:aws:acm:eu-west-1:1:certificate/c"}},
            "viewerCertificate.acmCertificateArn",
            "'arn:aws:acm:eu-west-1:1:certificate/c'",
            "CloudFront uses ACM certificates from us-east-1 only (this one is in eu-west-1)",
            "cloudfront-certificate-region",
        ),
        (
            {"comment": "c" * 129},
            "comment",
            f"'{'c' * 78}…",
            "a distribution comment is at most 128 characters",
            "cloudfront-distribution-config",
        ),
        (
            {"webAclId": REGIONAL_ACL},
            "webAclId",
            f"'{REGIONAL_ACL}'",
            "a distribution takes a CLOUDFRONT-scope (global) web ACL, not a REGIONAL one",
            "cloudfront-distribution-config",
        ),
    ],
)
def test_distribution_settings_cloudfront_refuses_are_reported(props, path, value, rule, limit_id):
    assert found(res(DISTRIBUTION, props)) == [
        f"urn:pulumi:prod::p::{DISTRIBUTION}::it: {path} = {value}: AWS: {rule} [{doc(limit_id)}]"
    ]


def test_a_distribution_with_a_us_east_1_certificate_and_a_global_acl_is_clean():
    props = {
        "viewerCertificate": {"acmCertificateArn": "arn:aws:acm:us-east-1:1:certificate/c"},
        "comment": "c" * 128,
        "webAclId": GLOBAL_ACL,
    }
    assert found(res(DISTRIBUTION, props)) == []


# --- SQS, SNS, KMS, SSM, EC2, EKS, regions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "props", "path", "value", "rule", "limit_id"),
    [
        (
            "aws:sqs/queue:Queue",
            {"name": "karpenter interruptions"},
            "name",
            "'karpenter interruptions'",
            "a queue name is ≤ 80 letters, digits, hyphens or underscores (+ .fifo)",
            "sqs-queue",
        ),
        (
            "aws:sqs/queue:Queue",
            {"name": "orders", "fifoQueue": True},
            "name",
            "'orders'",
            "a FIFO queue's name ends with .fifo, and only a FIFO queue's does",
            "sqs-queue",
        ),
        (
            "aws:sqs/queue:Queue",
            {"messageRetentionSeconds": 30},
            "messageRetentionSeconds",
            "30",
            "MessageRetentionPeriod is 60–1209600",
            "sqs-queue",
        ),
        (
            "aws:sns/topic:Topic",
            {"name": "ops.alerts"},
            "name",
            "'ops.alerts'",
            "a topic name is 1–256 ASCII letters, digits, underscores or hyphens (+ .fifo)",
            "sns-topic-name",
        ),
        (
            "aws:kms/alias:Alias",
            {"name": "summit-db"},
            "name",
            "'summit-db'",
            "an alias name begins with alias/",
            "kms-alias-name",
        ),
        (
            "aws:kms/alias:Alias",
            {"name": "alias/aws/summit"},
            "name",
            "'alias/aws/summit'",
            "alias/aws/ is reserved for AWS managed keys",
            "kms-alias-name",
        ),
        (
            "aws:kms/key:Key",
            {"deletionWindowInDays": 6},
            "deletionWindowInDays",
            "6",
            "the waiting period is 7–30 days",
            "kms-deletion-window",
        ),
        (
            "aws:ssm/parameter:Parameter",
            {"name": "/aws/summit/endpoint"},
            "name",
            "'/aws/summit/endpoint'",
            "a parameter name must not begin with aws or ssm (any case)",
            "ssm-parameter-name",
        ),
        (
            "aws:ssm/parameter:Parameter",
            {"name": "/summit/db endpoint"},
            "name",
            "'/summit/db endpoint'",
            "a parameter name uses a-zA-Z0-9_.- and / between hierarchy levels",
            "ssm-parameter-name",
        ),
        (
            "aws:ec2/securityGroup:SecurityGroup",
            {"description": "PostgreSQL – from the VPC"},
            "description",
            "'PostgreSQL – from the VPC'",
            "≤ 255 characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*",
            "ec2-security-group-text",
        ),
        (
            "aws:ec2/securityGroup:SecurityGroup",
            {"name": "sg-database"},
            "name",
            "'sg-database'",
            "a security group name must not start with sg-",
            "ec2-security-group-text",
        ),
        (
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            {"description": "PostgreSQL from the VPC's subnets"},
            "description",
            '"PostgreSQL from the VPC\'s subnets"',
            "≤ 255 characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*",
            "ec2-security-group-rule-text",
        ),
        (
            "aws:eks/accessEntry:AccessEntry",
            {"type": "EC2_LINUX_NODE"},
            "type",
            "'EC2_LINUX_NODE'",
            "one of STANDARD, FARGATE_LINUX, EC2_LINUX, EC2_WINDOWS, EC2, HYBRID_LINUX, HYPERPOD_LINUX",
            "eks-access-entry-type",
        ),
        (
            "pulumi:providers:aws",
            {"region": "zz-moon-1"},
            "region",
            "'zz-moon-1'",
            "no such region in botocore 1.44.5's endpoints",
            "aws-region-exists",
        ),
        (
            "aws:s3/bucket:Bucket",
            {"region": "us-west-9"},
            "region",
            "'us-west-9'",
            "no such region in botocore 1.44.5's endpoints",
            "aws-region-exists",
        ),
    ],
)
def test_names_and_values_these_services_refuse_are_reported(type_, props, path, value, rule, limit_id):
    assert found(res(type_, props)) == [
        f"urn:pulumi:prod::p::{type_}::it: {path} = {value}: AWS: {rule} [{doc(limit_id)}]"
    ]


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        ("aws:sqs/queue:Queue", {"name": "summit-prod-karpenter-interruptions", "messageRetentionSeconds": 300}),
        ("aws:sqs/queue:Queue", {"name": "orders.fifo", "fifoQueue": True}),
        ("aws:sns/topic:Topic", {"name": "ops-alerts_topic"}),
        ("aws:kms/alias:Alias", {"name": "alias/summit-prod-db"}),
        ("aws:kms/key:Key", {"deletionWindowInDays": 30}),
        ("aws:ssm/parameter:Parameter", {"name": "/summit/prod/database/writer-endpoint"}),
        (
            "aws:ec2/securityGroup:SecurityGroup",
            {"name": "db", "description": "summit-prod-db: PostgreSQL from the VPC"},
        ),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {"description": "PostgreSQL from the VPC"}),
        ("aws:eks/accessEntry:AccessEntry", {"type": "EC2_LINUX"}),
        ("pulumi:providers:aws", {"region": "us-west-2"}),
    ],
)
def test_names_and_values_these_services_accept_are_clean(type_, props):
    assert found(res(type_, props)) == []


def test_every_limit_cites_an_aws_documentation_page_and_has_a_unique_id():
    assert len({lim.id for lim in LIMITS}) == len(LIMITS)
    assert all(lim.doc.startswith("https://docs.aws.amazon.com/") for lim in LIMITS)


def test_every_limit_is_exercised_by_this_module():
    source = Path(__file__).read_text(encoding="utf-8")
    assert [lim.id for lim in LIMITS if f"'{lim.id}'" not in source and f'"{lim.id}"' not in source] == []


# --- types issues 11, 12, 14 and 17 added: Backup, CloudTrail, Lambda, ARC, Secrets Manager, CloudWatch, S3 logging --

BACKUP_PLAN = "aws:backup/plan:Plan"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
ARC_PLAN = "aws:arcregionswitch/plan:Plan"
LAMBDA = "aws:lambda/function:Function"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def arc_plan(**overrides) -> dict:
    approve = {
        "name": "approve",
        "executionBlockType": "ManualApproval",
        "executionApprovalConfigs": [{"approvalRole": "arn:aws:iam::123456789012:role/approver"}],
    }
    promote = {
        "name": "promote-db",
        "executionBlockType": "RdsPromoteReadReplica",
        "rdsPromoteReadReplicaConfigs": [
            {
                "dbInstanceArnMap": {
                    "us-east-1": "arn:aws:rds:us-east-1:123456789012:db:db",
                    "us-west-2": "arn:aws:rds:us-west-2:123456789012:db:db-dr",
                }
            }
        ],
    }
    workflow = {"workflowTargetAction": "activate", "workflowTargetRegion": "us-west-2", "steps": [approve, promote]}
    return {
        "name": "failover",
        "recoveryApproach": "activePassive",
        "regions": ["us-east-1", "us-west-2"],
        "primaryRegion": "us-east-1",
        "workflows": [workflow],
        **overrides,
    }


def metric_queries(*return_data: bool, first_id: str = "free") -> dict:
    ids = [first_id, *(f"q{i}" for i in range(1, len(return_data)))]
    return {"metricQueries": [{"id": i, "returnData": flag} for i, flag in zip(ids, return_data, strict=True)]}


@pytest.mark.parametrize(
    ("type_", "props", "path", "value", "rule", "limit_id"),
    [
        (
            VAULT_LOCK,
            {"backupVaultName": "v", "minRetentionDays": 35, "changeableForDays": 1},
            "changeableForDays",
            "1",
            "changeableForDays is ≥ 3 (the 72-hour cooling-off period)",
            "backup-vault-lock",
        ),
        (
            VAULT_LOCK,
            {"backupVaultName": "v", "minRetentionDays": 400, "maxRetentionDays": 365},
            "minRetentionDays",
            "400",
            "the minimum retention is at most the maximum (365 days)",
            "backup-vault-lock",
        ),
        (
            BACKUP_PLAN,
            {"rules": [{"ruleName": "r", "targetVaultName": "v", "startWindow": 30}]},
            "rules[0].startWindow",
            "30",
            "a start window is at least 60 minutes",
            "backup-plan-rule",
        ),
        (
            BACKUP_PLAN,
            {
                "rules": [
                    {"ruleName": "r", "targetVaultName": "v", "lifecycle": {"coldStorageAfter": 30, "deleteAfter": 100}}
                ]
            },
            "rules[0].lifecycle.deleteAfter",
            "100",
            "recovery points stay ≥ 90 days in cold storage (deleteAfter ≥ coldStorageAfter 30 + 90)",
            "backup-plan-rule",
        ),
        (
            BACKUP_PLAN,
            {
                "rules": [
                    {
                        "ruleName": "r",
                        "targetVaultName": "v",
                        "copyActions": [
                            {"destinationVaultArn": "arn:x", "lifecycle": {"coldStorageAfter": 10, "deleteAfter": 90}}
                        ],
                    }
                ]
            },
            "rules[0].copyActions[0].lifecycle.deleteAfter",
            "90",
            "recovery points stay ≥ 90 days in cold storage (deleteAfter ≥ coldStorageAfter 10 + 90)",
            "backup-plan-rule",
        ),
        (
            BACKUP_PLAN,
            {
                "rules": [
                    {
                        "ruleName": "pitr",
                        "targetVaultName": "v",
                        "enableContinuousBackup": True,
                        "lifecycle": {"deleteAfter": 36},
                    }
                ]
            },
            "rules[0].lifecycle.deleteAfter",
            "36",
            "continuous backups are kept at most 35 days",
            "backup-plan-rule",
        ),
        (
            "aws:cloudtrail/trail:Trail",
            {"name": "ab"},
            "name",
            "'ab'",
            "a trail name is 3–128 characters (is 2)",
            "cloudtrail-trail-name",
        ),
        *(
            (
                "aws:cloudtrail/trail:Trail",
                {"name": name},
                "name",
                f"'{name}'",
                "a trail name is ASCII letters, digits, . _ -, begins and ends with a letter or digit, has no "
                "adjacent . _ - and is not an IP address",
                "cloudtrail-trail-name",
            )
            for name in ("summit--audit", "summit audit", "-summit-audit", "192.168.5.4")
        ),
        (
            LAMBDA,
            {"name": "f" * 65},
            "name",
            f"'{'f' * 65}'",
            "a function name is at most 64 characters (is 65)",
            "lambda-function",
        ),
        (
            LAMBDA,
            {"name": "writer-switch", "environment": {"variables": {"AWS_REGION": "us-west-2"}}},
            'environment.variables["AWS_REGION"] (key)',
            "'AWS_REGION'",
            "Lambda reserves this environment variable",
            "lambda-function",
        ),
        (
            LAMBDA,
            {"name": "writer-switch", "environment": {"variables": {"CONFIG": "x" * 4091}}},
            "environment.variables",
            "4097 bytes",
            "environment variables total at most 4 KB (4096 bytes of names and values)",
            "lambda-function",
        ),
        (
            ARC_PLAN,
            arc_plan(primaryRegion="eu-west-1"),
            "primaryRegion",
            "'eu-west-1'",
            "a region of the plan (us-east-1, us-west-2)",
            "arc-region-switch-plan",
        ),
        (
            ARC_PLAN,
            {k: v for k, v in arc_plan().items() if k != "primaryRegion"},
            "primaryRegion",
            "(not set)",
            "an activePassive plan names its primary region",
            "arc-region-switch-plan",
        ),
        (
            ARC_PLAN,
            arc_plan(workflows=[{**arc_plan()["workflows"][0], "workflowTargetRegion": "us-east-2"}]),
            "workflows[0].workflowTargetRegion",
            "'us-east-2'",
            "a region of the plan (us-east-1, us-west-2)",
            "arc-region-switch-plan",
        ),
        (
            ARC_PLAN,
            arc_plan(
                workflows=[
                    {
                        "workflowTargetAction": "activate",
                        "steps": [
                            {
                                "name": "promote-db",
                                "executionBlockType": "RdsPromoteReadReplica",
                                "executionApprovalConfigs": [{"approvalRole": "arn:aws:iam::123456789012:role/a"}],
                            }
                        ],
                    }
                ]
            ),
            "workflows[0].steps[0].executionBlockType",
            "'RdsPromoteReadReplica'",
            "a RdsPromoteReadReplica step carries exactly one rdsPromoteReadReplicaConfigs block (has "
            "executionApprovalConfigs)",
            "arc-region-switch-plan",
        ),
        (
            ARC_PLAN,
            arc_plan(
                workflows=[
                    {
                        "workflowTargetAction": "activate",
                        "steps": [
                            {
                                "name": "parallel",
                                "executionBlockType": "Parallel",
                                "parallelConfigs": [
                                    {
                                        "steps": [
                                            {
                                                "name": "promote-db",
                                                "executionBlockType": "RdsPromoteReadReplica",
                                                "rdsPromoteReadReplicaConfigs": [
                                                    {"dbInstanceArnMap": {"eu-west-1": "arn:aws:rds:eu-west-1:1:db:x"}}
                                                ],
                                            }
                                        ]
                                    }
                                ],
                            }
                        ],
                    }
                ]
            ),
            'workflows[0].steps[0].parallelConfigs[0].steps[0].rdsPromoteReadReplicaConfigs[0].dbInstanceArnMap["eu-'
            'west-1"] (key)',
            "'eu-west-1'",
            "a region of the plan (us-east-1, us-west-2)",
            "arc-region-switch-plan",
        ),
        (
            "aws:secretsmanager/secret:Secret",
            {"name": "summit prod db"},
            "name",
            "'summit prod db'",
            "a secret name is 1–512 ASCII letters, digits and /_+=.@-",
            "secretsmanager-secret",
        ),
        (
            "aws:secretsmanager/secret:Secret",
            {"name": "summit-prod-db/master-abcdef"},
            "name",
            "'summit-prod-db/master-abcdef'",
            "a secret name must not end with a hyphen and six characters (ARN suffix)",
            "secretsmanager-secret",
        ),
        (
            "aws:secretsmanager/secret:Secret",
            {"name": "db/master", "recoveryWindowInDays": 3},
            "recoveryWindowInDays",
            "3",
            "the recovery window is 7–30 days (0: delete at once)",
            "secretsmanager-secret",
        ),
        (
            "aws:secretsmanager/secret:Secret",
            {"name": "db/master", "replicas": [{"region": "us-east-1"}]},
            "replicas[0].region",
            "'us-east-1'",
            "a replica is in another region than its primary secret",
            "secretsmanager-secret",
        ),
        (
            "aws:cloudwatch/dashboard:Dashboard",
            {"dashboardName": "summit prod: DR", "dashboardBody": "{}"},
            "dashboardName",
            "'summit prod: DR'",
            "a dashboard name is ≤ 255 letters, digits, hyphens or underscores",
            "cloudwatch-dashboard-name",
        ),
        (
            ALARM,
            metric_queries(True, first_id="Free"),
            "metricQueries[0].id",
            "'Free'",
            "a query id begins with a lowercase letter and has only letters, digits and underscores",
            "cloudwatch-alarm-metric-queries",
        ),
        (
            ALARM,
            metric_queries(True, True),
            "metricQueries",
            "2 with returnData = true",
            "exactly one query of an alarm returns data (returnData = true; the alarm watches it)",
            "cloudwatch-alarm-metric-queries",
        ),
        (
            ALARM,
            metric_queries(False, False),
            "metricQueries",
            "0 with returnData = true",
            "exactly one query of an alarm returns data (returnData = true; the alarm watches it)",
            "cloudwatch-alarm-metric-queries",
        ),
    ],
)
def test_settings_the_newer_services_refuse_are_reported(type_, props, path, value, rule, limit_id):
    assert found(res(type_, props)) == [
        f"urn:pulumi:prod::p::{type_}::it: {path} = {value}: AWS: {rule} [{doc(limit_id)}]"
    ]


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (VAULT_LOCK, {"backupVaultName": "v", "minRetentionDays": 35, "changeableForDays": 3}),
        (VAULT_LOCK, {"backupVaultName": "v", "minRetentionDays": 35, "maxRetentionDays": 35}),
        (
            BACKUP_PLAN,
            {
                "rules": [
                    {
                        "ruleName": "snapshot",
                        "targetVaultName": "v",
                        "startWindow": 60,
                        "completionWindow": 1440,
                        "lifecycle": {"coldStorageAfter": 30, "deleteAfter": 120},
                        "copyActions": [{"destinationVaultArn": "arn:x", "lifecycle": {"deleteAfter": 35}}],
                    },
                    {
                        "ruleName": "pitr",
                        "targetVaultName": "v",
                        "enableContinuousBackup": True,
                        "lifecycle": {"deleteAfter": 35},
                    },
                ]
            },
        ),
        ("aws:cloudtrail/trail:Trail", {"name": "summit-prod.audit_trail"}),
        (
            LAMBDA,
            {
                "name": "summit-prod-failover-writer-switch",
                "environment": {"variables": {"WRITER_SWITCH_CONFIG": "{}", "AWS_LAMBDA_EXEC_WRAPPER": "/opt/w"}},
            },
        ),
        (LAMBDA, {"name": "arn:aws:lambda:us-east-1:123456789012:function:" + "f" * 64}),
        (ARC_PLAN, arc_plan()),
        (ARC_PLAN, {**arc_plan(recoveryApproach="activeActive"), "primaryRegion": None}),
        (
            "aws:secretsmanager/secret:Secret",
            {"name": "summit-prod-db/master", "recoveryWindowInDays": 0, "replicas": [{"region": "us-west-2"}]},
        ),
        ("aws:secretsmanager/secret:Secret", {"name": "db/master", "recoveryWindowInDays": 7}),
        ("aws:cloudwatch/dashboard:Dashboard", {"dashboardName": "summit-prod-dr_resilience", "dashboardBody": "{}"}),
        (ALARM, metric_queries(False, True, False, first_id="wal")),
    ],
)
def test_settings_the_newer_services_accept_are_clean(type_, props):
    assert found(res(type_, props)) == []


def vault_lock(name: str, region: str, low: int | None = 35, high: int | None = None) -> Res:
    props = {"backupVaultName": name, "minRetentionDays": low, "maxRetentionDays": high, "changeableForDays": 3}
    return res(VAULT_LOCK, {k: v for k, v in props.items() if v is not None}, name=f"{name}-lock", region=region)


def backup_plan(delete_after: int | None, copy_delete_after: int | None = 35) -> Res:
    rule = {
        "ruleName": "snapshot",
        "targetVaultName": "db-us-east-1",
        "lifecycle": {"deleteAfter": delete_after} if delete_after is not None else {},
        "copyActions": [
            {
                "destinationVaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:db-us-west-2",
                "lifecycle": {"deleteAfter": copy_delete_after},
            }
        ],
    }
    return res(BACKUP_PLAN, {"rules": [rule]}, name="plan")


URN_PLAN = f"urn:pulumi:prod::p::{BACKUP_PLAN}::plan"


def test_a_backup_kept_shorter_than_its_vault_locks_minimum_is_refused():
    locks = (vault_lock("db-us-east-1", "us-east-1"), vault_lock("db-us-west-2", "us-west-2"))
    assert found(backup_plan(14), *locks) == [
        f"{URN_PLAN}: rules[0].lifecycle.deleteAfter = 14: AWS: Backup fails a backup or copy job into a locked vault "
        f"whose retention is outside the lock (db-us-east-1-lock sets minRetentionDays 35 on vault db-us-east-1 in "
        f"us-east-1) [{doc('backup-retention-within-vault-lock')}]"
    ]


def test_a_copy_kept_longer_than_the_dr_vault_locks_maximum_is_refused():
    locks = (vault_lock("db-us-east-1", "us-east-1"), vault_lock("db-us-west-2", "us-west-2", 7, 30))
    assert found(backup_plan(35, 35), *locks) == [
        f"{URN_PLAN}: rules[0].copyActions[0].lifecycle.deleteAfter = 35: AWS: Backup fails a backup or copy job "
        f"into a locked vault whose retention is outside the lock (db-us-west-2-lock sets maxRetentionDays 30 on vault "
        f"db-us-west-2 in us-west-2) [{doc('backup-retention-within-vault-lock')}]"
    ]


def test_a_backup_kept_forever_in_a_vault_with_a_maximum_is_refused():
    locks = (vault_lock("db-us-east-1", "us-east-1", 7, 365),)
    assert found(backup_plan(None), *locks) == [
        f"{URN_PLAN}: rules[0].lifecycle.deleteAfter = (not set): AWS: Backup fails a backup or copy job into a locked "
        f"vault whose retention is outside the lock (db-us-east-1-lock sets maxRetentionDays 365 on vault "
        f"db-us-east-1 in us-east-1) [{doc('backup-retention-within-vault-lock')}]"
    ]


def test_backups_and_copies_within_their_vault_locks_are_clean():
    locks = (vault_lock("db-us-east-1", "us-east-1"), vault_lock("db-us-west-2", "us-west-2", 35, 400))
    assert found(backup_plan(35, 35), *locks) == []


def test_a_lock_of_a_same_named_vault_in_another_region_does_not_judge_the_plan():
    assert found(backup_plan(14), vault_lock("db-us-east-1", "us-west-2")) == []


S3_BUCKET = "aws:s3/bucket:Bucket"
S3_LOGGING = "aws:s3/bucketLogging:BucketLogging"
URN_LOGGING = f"urn:pulumi:prod::p::{S3_LOGGING}::logging"


def logging_setup(log_region: str, log_sse: str = "AES256") -> list[Res]:
    return [
        res(S3_BUCKET, {"bucket": "data-us-east-1"}, name="data"),
        res(S3_BUCKET, {"bucket": "logs"}, name="logs", region=log_region),
        res(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            {"bucket": "logs", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": log_sse}}]},
            name="logs-sse",
            region=log_region,
        ),
        res(S3_LOGGING, {"bucket": "data-us-east-1", "targetBucket": "logs", "targetPrefix": "s3/"}, name="logging"),
    ]


def test_server_access_logs_to_a_bucket_of_another_region_are_refused():
    assert found(*logging_setup("us-west-2")) == [
        f"{URN_LOGGING}: targetBucket = 'logs': AWS: server access logs go to a bucket of the source's region (logs "
        f"is in us-west-2, the source in us-east-1) [{doc('s3-bucket-logging-target')}]"
    ]


def test_server_access_logs_to_an_sse_kms_bucket_are_refused():
    assert found(*logging_setup("us-east-1", "aws:kms")) == [
        f"{URN_LOGGING}: targetBucket = 'logs': AWS: server access logs cannot be delivered to a bucket whose default "
        f"encryption is aws:kms (SSE-S3 only) [{doc('s3-bucket-logging-target')}]"
    ]


def test_server_access_logs_to_an_sse_s3_bucket_of_the_same_region_are_clean():
    assert found(*logging_setup("us-east-1")) == []
