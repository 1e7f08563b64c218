"""Service limits the API models cannot express, written by hand — each with the AWS page it comes from.

The botocore models say "RequestInterval: integer 10–30" but Route 53 takes only 10 or 30; they say nothing about
an RDS read replica of a source whose master password Secrets Manager manages, or about S3 lifecycle transition
ordering. These rules say it. Each `Limit` names the resource types it judges, the AWS documentation page its
numbers come from, and yields (input path, value, rule text) for every violation; the text starts with "AWS:".
A value only known after deploy is skipped (never guessed). Stack limits see every resource, to relate them
(a replica to its source). Add a limit: write a function, register it with `@limit(...)`, and give it a breaking
and a clean case in tests/test_aws_rules_limits.py.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from contract.recovery import RTC_MINUTES  # ReplicationTimeValue.Minutes: "Valid value: 15"
from policy.awsrules import botomodel
from policy.awsrules.findings import Finding, shown
from policy.resources import UNKNOWN

Violation = tuple[str, Any, str]  # (input path, value, rule text)


class Text(str):
    """A value shown as written, not quoted ("(not set)", "2 destinations")."""


NOT_SET = Text("(not set)")


@dataclass(frozen=True)
class Res:
    """A resource as the limits see it (from the pack's PolicyResource or preflight's recording)."""

    type: str
    urn: str
    name: str
    region: str | None
    props: Mapping[str, Any]
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)  # input → URNs it uses


@dataclass(frozen=True)
class Limit:
    id: str
    types: frozenset[str]  # the types it judges (a stack limit: the types it starts from)
    doc: str  # the AWS page its rule comes from
    check: Callable[..., Iterable[Violation]]
    stack: bool = False  # check(resource, all resources) instead of check(resource)


LIMITS: list[Limit] = []


def limit(id_: str, types: Iterable[str], doc: str, *, stack: bool = False) -> Callable[..., Any]:
    def register(fn: Callable[..., Iterable[Violation]]) -> Callable[..., Iterable[Violation]]:
        LIMITS.append(Limit(id_, frozenset(types), doc, fn, stack))
        return fn

    return register


def known(value: Any) -> bool:
    return value is not None and value is not UNKNOWN


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not known(value):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _arn_region(arn: Any) -> str | None:
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 else None


# --- S3 ------------------------------------------------------------------------------------------------------------

S3_LIFECYCLE_DOC = (
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html"
)
IA_CLASSES = ("STANDARD_IA", "ONEZONE_IA")
IA_MINIMUM_DAYS = 30  # objects stay ≥ 30 days in S3 Standard before a transition to Standard-IA / One Zone-IA
# Supported lifecycle transitions ("the waterfall"): from each class, the classes a later transition may go to.
S3_NEXT_CLASSES = {
    "STANDARD_IA": {"INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"},
    "INTELLIGENT_TIERING": {"ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"},
    "ONEZONE_IA": {"GLACIER", "DEEP_ARCHIVE"},
    "GLACIER_IR": {"GLACIER", "DEEP_ARCHIVE"},
    "GLACIER": {"DEEP_ARCHIVE"},
    "DEEP_ARCHIVE": set(),
}
LIFECYCLE_RULE_ID_MAX = 255  # S3 API LifecycleRule.ID: "cannot be longer than 255 characters"


def _transitions(rule: Mapping[str, Any], key: str, days_key: str, base: str) -> Iterator[Violation]:
    steps = []
    for j, t in enumerate(_items(rule.get(key))):
        if not isinstance(t, Mapping):
            continue
        days, cls = _int(t.get(days_key)), t.get("storageClass")
        if days is None or not isinstance(cls, str):
            continue
        path = f"{base}.{key}[{j}]"
        if cls in IA_CLASSES and days < IA_MINIMUM_DAYS:
            yield (
                f"{path}.{days_key}",
                days,
                f"AWS: a transition to {cls} needs {days_key} ≥ {IA_MINIMUM_DAYS} (objects stay 30 days in "
                "S3 Standard first)",
            )
        steps.append((days, cls, path))
    steps.sort(key=lambda s: s[0])
    for (d1, c1, _), (d2, c2, p2) in itertools.pairwise(steps):
        if c1 in S3_NEXT_CLASSES and c2 not in S3_NEXT_CLASSES[c1]:
            yield (
                f"{p2}.storageClass",
                c2,
                f"AWS: S3 does not transition {c1} to {c2} (after {d1} days it is already {c1}; supported next "
                f"classes: {', '.join(sorted(S3_NEXT_CLASSES[c1])) or 'none'})",
            )
        elif c1 in IA_CLASSES and d2 - d1 < IA_MINIMUM_DAYS:
            yield (
                f"{p2}.{days_key}",
                d2,
                f"AWS: objects stay ≥ {IA_MINIMUM_DAYS} days in {c1} before the next transition ({c2} at day {d2} "
                f"is {d2 - d1} days after {c1} at day {d1})",
            )


LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


@limit("s3-lifecycle-transitions", [LIFECYCLE], S3_LIFECYCLE_DOC)
def _s3_lifecycle(r: Res) -> Iterator[Violation]:
    for i, rule in enumerate(_items(r.props.get("rules"))):
        if not isinstance(rule, Mapping):
            continue
        base = f"rules[{i}]"
        rid = rule.get("id")
        if isinstance(rid, str) and len(rid) > LIFECYCLE_RULE_ID_MAX:
            yield f"{base}.id", rid, f"AWS: a lifecycle rule ID is at most {LIFECYCLE_RULE_ID_MAX} characters"
        yield from _transitions(rule, "transitions", "days", base)
        yield from _transitions(rule, "noncurrentVersionTransitions", "noncurrentDays", base)
        for exp_key, tr_key, days_key in (
            ("expiration", "transitions", "days"),
            ("noncurrentVersionExpiration", "noncurrentVersionTransitions", "noncurrentDays"),
        ):
            exp = rule.get(exp_key)
            exp_days = _int(exp.get(days_key)) if isinstance(exp, Mapping) else None
            last = [_int(t.get(days_key)) for t in _items(rule.get(tr_key)) if isinstance(t, Mapping)]
            last_days = max((d for d in last if d is not None), default=None)
            if exp_days is not None and last_days is not None and exp_days <= last_days:
                yield (
                    f"{base}.{exp_key}.{days_key}",
                    exp_days,
                    f"AWS: expiration must come after the last transition ({tr_key} at day {last_days})",
                )


S3_RTC_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html"


@limit("s3-replication-time-control", ["aws:s3/bucketReplicationConfig:BucketReplicationConfig"], S3_RTC_DOC)
def _s3_rtc(r: Res) -> Iterator[Violation]:
    for i, rule in enumerate(_items(r.props.get("rules"))):
        dest = rule.get("destination") if isinstance(rule, Mapping) else None
        if not isinstance(dest, Mapping):
            continue
        base = f"rules[{i}].destination"
        rtc, metrics = dest.get("replicationTime"), dest.get("metrics")
        for key, block, sub in (("replicationTime", rtc, "time"), ("metrics", metrics, "eventThreshold")):
            inner = block.get(sub) if isinstance(block, Mapping) else None
            minutes = _int(inner.get("minutes")) if isinstance(inner, Mapping) else None
            if minutes is not None and minutes != RTC_MINUTES:
                yield f"{base}.{key}.{sub}.minutes", minutes, f"AWS: the only valid value is {RTC_MINUTES} minutes"
        if isinstance(rtc, Mapping) and rtc.get("status") == "Enabled":
            status = metrics.get("status") if isinstance(metrics, Mapping) else None
            if status != "Enabled" and status is not UNKNOWN:
                yield (
                    f"{base}.metrics.status",
                    status if known(status) else NOT_SET,
                    "AWS: S3 Replication Time Control requires replication metrics (metrics.status = Enabled)",
                )


S3_NAMING_DOC = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"
_BUCKET_CHARS = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_IP = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """Why S3 refuses a general purpose bucket name, or None."""
    if not 3 <= len(name) <= 63:
        return f"AWS: bucket names are 3–63 characters (is {len(name)})"
    if not _BUCKET_CHARS.fullmatch(name):
        return (
            "AWS: bucket names use lowercase letters, digits, dots and hyphens, and begin and end with a letter or "
            "digit"
        )
    if ".." in name:
        return "AWS: bucket names have no two adjacent periods"
    if _IP.fullmatch(name):
        return "AWS: bucket names are not formatted as an IP address"
    for p in _BUCKET_PREFIXES:
        if name.startswith(p):
            return f"AWS: bucket names must not start with {p!r} (reserved)"
    for s in _BUCKET_SUFFIXES:
        if name.endswith(s):
            return f"AWS: bucket names must not end with {s!r} (reserved)"
    return None


@limit("s3-bucket-name", ["aws:s3/bucket:Bucket"], S3_NAMING_DOC)
def _s3_bucket_name(r: Res) -> Iterator[Violation]:
    name, prefix = r.props.get("bucket"), r.props.get("bucketPrefix")
    if isinstance(name, str):
        problem = bucket_name_problem(name)
        if problem:
            yield "bucket", name, problem
    if isinstance(prefix, str):
        problem = bucket_name_problem(prefix + "0" * 26)
        if problem:
            yield "bucketPrefix", prefix, f"{problem} (the prefix plus the 26 characters the provider appends)"


# --- RDS -------------------------------------------------------------------------------------------------------

RDS_CREATE_DOC = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html"
RDS_INSTANCE = "aws:rds/instance:Instance"
_RDS_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|-(?!-))*")


def rds_name_problem(value: str, max_len: int, what: str) -> str | None:
    """The shared RDS naming rule: 1–max letters, digits, hyphens; first a letter; no trailing or double hyphen."""
    if not 1 <= len(value) <= max_len:
        return f"AWS: {what} is 1–{max_len} characters (is {len(value)})"
    if not _RDS_NAME.fullmatch(value) or value.endswith("-"):
        return (
            f"AWS: {what} uses letters, digits and hyphens, starts with a letter, and has no trailing or double hyphen"
        )
    return None


@limit("rds-identifiers", [RDS_INSTANCE], RDS_CREATE_DOC)
def _rds_identifiers(r: Res) -> Iterator[Violation]:
    for key, max_len, what in (
        ("identifier", 63, "a DB instance identifier"),
        ("finalSnapshotIdentifier", 255, "a snapshot identifier"),
    ):
        value = r.props.get(key)
        if isinstance(value, str):
            problem = rds_name_problem(value, max_len, what)
            if problem:
                yield key, value, problem
    prefix = r.props.get("identifierPrefix")
    if isinstance(prefix, str):
        problem = rds_name_problem(prefix + "0" * 26, 63, "a DB instance identifier")
        if problem:
            yield "identifierPrefix", prefix, f"{problem} (the prefix plus the 26 characters the provider appends)"


@limit(
    "rds-parameter-group-name",
    ["aws:rds/parameterGroup:ParameterGroup"],
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html",
)
def _rds_parameter_group(r: Res) -> Iterator[Violation]:
    for key, suffix in (("name", ""), ("namePrefix", "0" * 26)):
        value = r.props.get(key)
        if isinstance(value, str):
            problem = rds_name_problem(value + suffix, 255, "a DB parameter group name")
            if problem:
                yield key, value, problem


_SUBNET_GROUP = re.compile(r"[A-Za-z][A-Za-z0-9._ -]*")


@limit(
    "rds-subnet-group-name",
    ["aws:rds/subnetGroup:SubnetGroup"],
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html",
)
def _rds_subnet_group(r: Res) -> Iterator[Violation]:
    value = r.props.get("name")
    if not isinstance(value, str):
        return
    if value.lower() == "default":
        yield "name", value, "AWS: a DB subnet group must not be named default"
    elif len(value) > 255 or not _SUBNET_GROUP.fullmatch(value):
        yield (
            "name",
            value,
            "AWS: a DB subnet group name is ≤ 255 letters, digits, periods, underscores, spaces or hyphens, "
            "starting with a letter",
        )


MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
PI_RETENTION = frozenset({7, 731, *(31 * m for m in range(1, 24))})  # 7, month × 31 (1–23 months), 731
_BACKUP_WINDOW = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAINTENANCE_WINDOW = re.compile(
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)",
    re.IGNORECASE,
)
WINDOW_MINIMUM_MINUTES = 30
_WEEK = 7 * 24 * 60


def _backup_minutes(window: str) -> tuple[int, int] | None:
    m = _BACKUP_WINDOW.fullmatch(window)
    if not m:
        return None
    return int(m[1]) * 60 + int(m[2]), int(m[3]) * 60 + int(m[4])


def _maintenance_minutes(window: str) -> tuple[int, int] | None:
    m = _MAINTENANCE_WINDOW.fullmatch(window)
    if not m:
        return None
    start = _DAYS.index(m[1].lower()) * 1440 + int(m[2]) * 60 + int(m[3])
    end = _DAYS.index(m[4].lower()) * 1440 + int(m[5]) * 60 + int(m[6])
    return start, end


def _span(start: int, end: int, period: int) -> int:
    return (end - start) % period


def _overlaps(backup: tuple[int, int], maintenance: tuple[int, int]) -> bool:
    """Whether the daily backup window meets the weekly maintenance window on any day."""
    m_start, m_len = maintenance[0], _span(*maintenance, _WEEK)
    b_len = _span(*backup, 1440)
    for day in range(7):
        b_start = day * 1440 + backup[0]
        for a_start, a_len, c_start, _ in ((b_start, b_len, m_start, m_len), (m_start, m_len, b_start, b_len)):
            if (c_start - a_start) % _WEEK < a_len:
                return True
    return False


@limit("rds-instance-settings", [RDS_INSTANCE], RDS_CREATE_DOC)
def _rds_settings(r: Res) -> Iterator[Violation]:
    p = r.props
    retention = _int(p.get("backupRetentionPeriod"))
    if retention is not None and not 0 <= retention <= 35:
        yield "backupRetentionPeriod", retention, "AWS: backup retention is 0–35 days"
    interval = _int(p.get("monitoringInterval"))
    if interval is not None and interval not in MONITORING_INTERVALS:
        yield "monitoringInterval", interval, f"AWS: one of {', '.join(map(str, MONITORING_INTERVALS))} seconds"
    if interval == 0 and isinstance(p.get("monitoringRoleArn"), str):
        yield "monitoringInterval", 0, "AWS: with a monitoringRoleArn, monitoringInterval must not be 0"
    pi = _int(p.get("performanceInsightsRetentionPeriod"))
    if pi is not None and pi not in PI_RETENTION:
        yield (
            "performanceInsightsRetentionPeriod",
            pi,
            "AWS: Performance Insights keeps data 7 days, a number of months × 31 (93, 124, …, 713) or 731 days",
        )
    backup = p.get("backupWindow")
    b = _backup_minutes(backup) if isinstance(backup, str) else None
    if isinstance(backup, str):
        if b is None:
            yield "backupWindow", backup, "AWS: the backup window is hh24:mi-hh24:mi (UTC)"
        elif _span(*b, 1440) < WINDOW_MINIMUM_MINUTES:
            yield "backupWindow", backup, f"AWS: the backup window is at least {WINDOW_MINIMUM_MINUTES} minutes"
    maintenance = p.get("maintenanceWindow")
    mw = _maintenance_minutes(maintenance) if isinstance(maintenance, str) else None
    if isinstance(maintenance, str):
        if mw is None:
            yield "maintenanceWindow", maintenance, "AWS: the maintenance window is ddd:hh24:mi-ddd:hh24:mi (UTC)"
        elif _span(*mw, _WEEK) < WINDOW_MINIMUM_MINUTES:
            yield (
                "maintenanceWindow",
                maintenance,
                f"AWS: the maintenance window is at least {WINDOW_MINIMUM_MINUTES} minutes",
            )
    if b is not None and mw is not None and _overlaps(b, mw):
        yield "backupWindow", backup, f"AWS: the backup window must not overlap the maintenance window {maintenance}"


def _sources(replica: Res, instances: Sequence[Res]) -> list[Res]:
    """The instances a replica's replicateSourceDb names: by property dependency, else by identifier or ARN."""
    deps = set(replica.property_dependencies.get("replicateSourceDb", ()))
    found = [i for i in instances if i.urn in deps]
    if found:
        return found
    src = replica.props.get("replicateSourceDb")
    if not isinstance(src, str):
        return []
    out = []
    for i in instances:
        ident = i.props.get("identifier")
        if i.urn != replica.urn and isinstance(ident, str) and (src == ident or src.endswith(f":db:{ident}")):
            out.append(i)
    return out


def _replicas(all_resources: Sequence[Res]) -> Iterator[tuple[Res, Res]]:
    instances = [x for x in all_resources if x.type == RDS_INSTANCE]
    for replica in instances:
        src = replica.props.get("replicateSourceDb")
        if src is UNKNOWN or src:  # a source ARN is unknown at a real preview; the property dependency names it
            for source in _sources(replica, instances):
                yield replica, source


@limit(
    "rds-replica-of-managed-password-source",
    [RDS_INSTANCE],
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations",
    stack=True,
)
def _rds_replica_managed_password(r: Res, all_resources: Sequence[Res]) -> Iterator[Violation]:
    for replica, source in _replicas(all_resources):
        engine = source.props.get("engine")
        if replica.urn != r.urn or (isinstance(engine, str) and engine.startswith("sqlserver")):
            continue
        if source.props.get("manageMasterUserPassword") is True:
            yield (
                "replicateSourceDb",
                replica.props.get("replicateSourceDb"),
                f"AWS: RDS cannot create a read replica of a source whose master password Secrets Manager manages "
                f"({source.name} has manageMasterUserPassword = true; all engines but SQL Server)",
            )


@limit("rds-replica-source-backups", [RDS_INSTANCE], RDS_CREATE_DOC, stack=True)
def _rds_replica_source_backups(r: Res, all_resources: Sequence[Res]) -> Iterator[Violation]:
    for replica, source in _replicas(all_resources):
        if replica.urn == r.urn and _int(source.props.get("backupRetentionPeriod", 1)) == 0:
            yield (
                "replicateSourceDb",
                replica.props.get("replicateSourceDb"),
                f"AWS: a read replica's source keeps automated backups ({source.name} has backupRetentionPeriod 0)",
            )


# --- Route 53 ----------------------------------------------------------------------------------------------------

HEALTH_CHECK_INTERVALS = (10, 30)


@limit(
    "route53-health-check-interval",
    ["aws:route53/healthCheck:HealthCheck"],
    "https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html",
)
def _health_check(r: Res) -> Iterator[Violation]:
    interval = _int(r.props.get("requestInterval"))
    if interval is not None and interval not in HEALTH_CHECK_INTERVALS:
        yield "requestInterval", interval, "AWS: a health check requests every 10 or 30 seconds"


_ROUTING = (
    "failoverRoutingPolicies",
    "weightedRoutingPolicies",
    "latencyRoutingPolicies",
    "geolocationRoutingPolicies",
    "geoproximityRoutingPolicy",
    "cidrRoutingPolicy",
    "multivalueAnswerRoutingPolicy",
)


@limit(
    "route53-record-shape",
    ["aws:route53/record:Record"],
    "https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html",
)
def _record(r: Res) -> Iterator[Violation]:
    p = r.props
    alias = bool(_items(p.get("aliases")))
    if alias and known(p.get("ttl")):
        yield "ttl", p["ttl"], "AWS: an alias record has no TTL (Route 53 uses the alias target's)"
    if alias and _items(p.get("records")):
        yield "records", p["records"], "AWS: an alias record has no resource records"
    routed = [k for k in _ROUTING if p.get(k) not in (None, [], False)]
    if routed and p.get("setIdentifier") is None:
        yield "setIdentifier", NOT_SET, f"AWS: a record with a routing policy ({routed[0]}) needs a setIdentifier"
    if not routed and isinstance(p.get("setIdentifier"), str):
        yield "setIdentifier", p["setIdentifier"], "AWS: setIdentifier is only for records with a routing policy"


# --- CloudWatch, Logs ----------------------------------------------------------------------------------------------

ALARM_DOC = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"
TREAT_MISSING = ("breaching", "notBreaching", "ignore", "missing")
ROUTE53_HEALTH_METRICS = frozenset(
    {
        "HealthCheckStatus",
        "HealthCheckPercentageHealthy",
        "ChildHealthCheckHealthyCount",
        "ConnectionTime",
        "SSLHandshakeTime",
        "TimeToFirstByte",
    }
)


@limit("cloudwatch-alarm-period", ["aws:cloudwatch/metricAlarm:MetricAlarm"], ALARM_DOC)
def _alarm(r: Res) -> Iterator[Violation]:
    p = r.props
    period, evaluations = _int(p.get("period")), _int(p.get("evaluationPeriods"))
    if period is not None and period not in (10, 20, 30) and period % 60:
        yield "period", period, "AWS: a period is 10, 20, 30 or a multiple of 60 seconds"
    if period is not None and evaluations is not None:
        ceiling, why = (86400, "one day for periods under an hour") if period < 3600 else (604800, "seven days")
        if period * evaluations > ceiling:
            yield (
                "evaluationPeriods",
                evaluations,
                f"AWS: period × evaluationPeriods ≤ {ceiling} s ({why}; is {period * evaluations})",
            )
    datapoints = _int(p.get("datapointsToAlarm"))
    if datapoints is not None and evaluations is not None and datapoints > evaluations:
        yield "datapointsToAlarm", datapoints, f"AWS: datapointsToAlarm ≤ evaluationPeriods ({evaluations})"
    missing = p.get("treatMissingData")
    if isinstance(missing, str) and missing not in TREAT_MISSING:
        yield "treatMissingData", missing, f"AWS: one of {', '.join(TREAT_MISSING)}"


@limit(
    "route53-metrics-us-east-1",
    ["aws:cloudwatch/metricAlarm:MetricAlarm"],
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html",
)
def _route53_metrics(r: Res) -> Iterator[Violation]:
    p = r.props
    uses = p.get("namespace") == "AWS/Route53" and p.get("metricName") in ROUTE53_HEALTH_METRICS
    for q in _items(p.get("metricQueries")):
        metric = q.get("metric") if isinstance(q, Mapping) else None
        if isinstance(metric, Mapping) and metric.get("namespace") == "AWS/Route53":
            uses = uses or metric.get("metricName") in ROUTE53_HEALTH_METRICS
    if uses and r.region is not None and r.region != "us-east-1":
        yield (
            "metricName",
            p.get("metricName"),
            f"AWS: Route 53 health-check metrics exist only in us-east-1 (this alarm is in {r.region})",
        )


# PutRetentionPolicy.retentionInDays: "Possible values are: 1, 3, 5, …, 3653" (the model has no enum).
LOG_RETENTION_DAYS = (
    *(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731),
    *(1096, 1827, 2192, 2557, 2922, 3288, 3653),
)


@limit(
    "logs-retention-days",
    ["aws:cloudwatch/logGroup:LogGroup"],
    "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html",
)
def _log_retention(r: Res) -> Iterator[Violation]:
    days = _int(r.props.get("retentionInDays"))
    if days is not None and days != 0 and days not in LOG_RETENTION_DAYS:  # 0 = never expire (the provider's unset)
        yield "retentionInDays", days, f"AWS: one of {', '.join(map(str, LOG_RETENTION_DAYS))}"


# --- WAFv2, CloudFront -------------------------------------------------------------------------------------------

CLOUDFRONT_REGION = "us-east-1"


@limit(
    "wafv2-cloudfront-scope-region",
    ["aws:wafv2/webAcl:WebAcl"],
    "https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html",
)
def _waf_scope(r: Res) -> Iterator[Violation]:
    if r.props.get("scope") == "CLOUDFRONT" and r.region is not None and r.region != CLOUDFRONT_REGION:
        yield "scope", "CLOUDFRONT", f"AWS: a CLOUDFRONT-scope web ACL is created in us-east-1 (this one: {r.region})"


WAF_LOGGING_DOC = "https://docs.aws.amazon.com/waf/latest/developerguide/logging-destinations.html"
WAF_LOG_PREFIX = "aws-waf-logs-"


def _destination_name(arn: str) -> str | None:
    """The name part of a log group, bucket or Firehose stream ARN."""
    if ":log-group:" in arn:
        return arn.split(":log-group:", 1)[1].split(":")[0]
    if arn.startswith("arn:") and ":s3:::" in arn:
        return arn.split(":s3:::", 1)[1].split("/")[0]
    if ":deliverystream/" in arn:
        return arn.split(":deliverystream/", 1)[1]
    return None


WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"


@limit("wafv2-logging-destination", [WAF_LOGGING], WAF_LOGGING_DOC)
def _waf_logging(r: Res) -> Iterator[Violation]:
    dests = r.props.get("logDestinationConfigs")
    if isinstance(dests, list) and len(dests) > 1:
        yield (
            "logDestinationConfigs",
            Text(f"{len(dests)} destinations"),
            "AWS: a web ACL logs to exactly one destination",
        )
    for i, arn in enumerate(_items(dests)):
        name = _destination_name(arn) if isinstance(arn, str) else None
        if name is not None and not name.startswith(WAF_LOG_PREFIX):
            yield f"logDestinationConfigs[{i}]", arn, f"AWS: a WAF log destination's name starts with {WAF_LOG_PREFIX}"


@limit(
    "wafv2-association-scope",
    ["aws:wafv2/webAclAssociation:WebAclAssociation"],
    "https://docs.aws.amazon.com/waf/latest/APIReference/API_AssociateWebACL.html",
)
def _waf_association(r: Res) -> Iterator[Violation]:
    acl, target = r.props.get("webAclArn"), r.props.get("resourceArn")
    if isinstance(acl, str) and ":global/webacl/" in acl:
        yield (
            "webAclArn",
            acl,
            "AWS: a CLOUDFRONT-scope web ACL is attached through the distribution's webAclId, not AssociateWebACL",
        )
    for key, arn in (("webAclArn", acl), ("resourceArn", target)):
        region = _arn_region(arn)
        if region and r.region and region != r.region and not (key == "webAclArn" and ":global/" in str(arn)):
            yield key, arn, f"AWS: the web ACL, the resource and the association share one region ({r.region})"


DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
CLOUDFRONT_COMMENT_MAX = 128  # DistributionConfig.Comment: "cannot be longer than 128 characters"


@limit(
    "cloudfront-certificate-region",
    [DISTRIBUTION],
    "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ViewerCertificate.html",
)
def _cloudfront_certificate(r: Res) -> Iterator[Violation]:
    cert = r.props.get("viewerCertificate")
    arn = cert.get("acmCertificateArn") if isinstance(cert, Mapping) else None
    region = _arn_region(arn)
    if region is not None and region != CLOUDFRONT_REGION:
        yield (
            "viewerCertificate.acmCertificateArn",
            arn,
            f"AWS: CloudFront uses ACM certificates from us-east-1 only (this one is in {region})",
        )


@limit(
    "cloudfront-distribution-config",
    [DISTRIBUTION],
    "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html",
)
def _cloudfront_config(r: Res) -> Iterator[Violation]:
    comment = r.props.get("comment")
    if isinstance(comment, str) and len(comment) > CLOUDFRONT_COMMENT_MAX:
        yield "comment", comment, f"AWS: a distribution comment is at most {CLOUDFRONT_COMMENT_MAX} characters"
    acl = r.props.get("webAclId")
    if isinstance(acl, str) and ":regional/webacl/" in acl:
        yield "webAclId", acl, "AWS: a distribution takes a CLOUDFRONT-scope (global) web ACL, not a REGIONAL one"


# --- SQS, SNS, KMS, SSM, EC2, EKS ----------------------------------------------------------------------------------

SQS_DOC = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"
_QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
SQS_RANGES = {  # Pulumi input → (API attribute, min, max), from CreateQueue's attribute list
    "delaySeconds": ("DelaySeconds", 0, 900),
    "maxMessageSize": ("MaximumMessageSize", 1024, 1048576),
    "messageRetentionSeconds": ("MessageRetentionPeriod", 60, 1209600),
    "receiveWaitTimeSeconds": ("ReceiveMessageWaitTimeSeconds", 0, 20),
    "visibilityTimeoutSeconds": ("VisibilityTimeout", 0, 43200),
    "kmsDataKeyReusePeriodSeconds": ("KmsDataKeyReusePeriodSeconds", 60, 86400),
}


@limit("sqs-queue", ["aws:sqs/queue:Queue"], SQS_DOC)
def _sqs(r: Res) -> Iterator[Violation]:
    p = r.props
    name, fifo = p.get("name"), p.get("fifoQueue") is True
    if isinstance(name, str):
        base = name[: -len(".fifo")] if name.endswith(".fifo") else name
        if len(name) > 80 or not _QUEUE_NAME.fullmatch(base):
            yield "name", name, "AWS: a queue name is ≤ 80 letters, digits, hyphens or underscores (+ .fifo)"
        elif fifo != name.endswith(".fifo"):
            yield "name", name, "AWS: a FIFO queue's name ends with .fifo, and only a FIFO queue's does"
    for key, (attr, low, high) in SQS_RANGES.items():
        value = _int(p.get(key))
        if value is not None and not low <= value <= high:
            yield key, value, f"AWS: {attr} is {low}–{high}"


_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")


@limit("sns-topic-name", ["aws:sns/topic:Topic"], "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html")
def _sns(r: Res) -> Iterator[Violation]:
    name, fifo = r.props.get("name"), r.props.get("fifoTopic") is True
    if isinstance(name, str):
        base = name[: -len(".fifo")] if name.endswith(".fifo") else name
        if len(name) > 256 or not _TOPIC_NAME.fullmatch(base):
            yield "name", name, "AWS: a topic name is 1–256 ASCII letters, digits, underscores or hyphens (+ .fifo)"
        elif fifo != name.endswith(".fifo"):
            yield "name", name, "AWS: a FIFO topic's name ends with .fifo, and only a FIFO topic's does"


@limit(
    "kms-alias-name",
    ["aws:kms/alias:Alias"],
    "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
)
def _kms_alias(r: Res) -> Iterator[Violation]:
    for key in ("name", "namePrefix"):
        value = r.props.get(key)
        if not isinstance(value, str):
            continue
        if not value.startswith("alias/"):
            yield key, value, "AWS: an alias name begins with alias/"
        elif value.startswith("alias/aws/"):
            yield key, value, "AWS: alias/aws/ is reserved for AWS managed keys"


KMS_DELETION_WINDOW = (7, 30)


@limit(
    "kms-deletion-window",
    ["aws:kms/key:Key"],
    "https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html",
)
def _kms_window(r: Res) -> Iterator[Violation]:
    days = _int(r.props.get("deletionWindowInDays"))
    low, high = KMS_DELETION_WINDOW
    if days is not None and not low <= days <= high:
        yield "deletionWindowInDays", days, f"AWS: the waiting period is {low}–{high} days"


_SSM_CHARS = re.compile(r"[A-Za-z0-9_.\-/]+")
SSM_MAX_LEVELS = 15


@limit(
    "ssm-parameter-name",
    ["aws:ssm/parameter:Parameter"],
    "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html",
)
def _ssm(r: Res) -> Iterator[Violation]:
    name = r.props.get("name")
    if not isinstance(name, str):
        return
    first = name.lstrip("/").split("/")[0].lower()
    if not _SSM_CHARS.fullmatch(name):
        yield "name", name, "AWS: a parameter name uses a-zA-Z0-9_.- and / between hierarchy levels"
    elif first.startswith(("aws", "ssm")):
        yield "name", name, "AWS: a parameter name must not begin with aws or ssm (any case)"
    elif name.strip("/").count("/") + 1 > SSM_MAX_LEVELS:
        yield "name", name, f"AWS: a parameter hierarchy has at most {SSM_MAX_LEVELS} levels"


EC2_SG_DOC = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html"
_SG_TEXT = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}")


@limit("ec2-security-group-text", ["aws:ec2/securityGroup:SecurityGroup"], EC2_SG_DOC)
def _security_group(r: Res) -> Iterator[Violation]:
    p = r.props
    for key in ("name", "description"):
        value = p.get(key)
        if isinstance(value, str) and not _SG_TEXT.fullmatch(value):
            yield key, value, "AWS: ≤ 255 characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*"
    name = p.get("name")
    if isinstance(name, str) and name.startswith("sg-"):
        yield "name", name, "AWS: a security group name must not start with sg-"
    for block in ("ingress", "egress"):
        for i, rule in enumerate(_items(p.get(block))):
            desc = rule.get("description") if isinstance(rule, Mapping) else None
            if isinstance(desc, str) and not _SG_TEXT.fullmatch(desc):
                yield (
                    f"{block}[{i}].description",
                    desc,
                    "AWS: ≤ 255 characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*",
                )


@limit(
    "ec2-security-group-rule-text",
    [
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    ],
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html",
)
def _security_group_rule(r: Res) -> Iterator[Violation]:
    desc = r.props.get("description")
    if isinstance(desc, str) and not _SG_TEXT.fullmatch(desc):
        yield "description", desc, "AWS: ≤ 255 characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*"


EKS_ACCESS_ENTRY_TYPES = (
    *("STANDARD", "FARGATE_LINUX", "EC2_LINUX", "EC2_WINDOWS"),
    *("EC2", "HYBRID_LINUX", "HYPERPOD_LINUX"),
)


@limit(
    "eks-access-entry-type",
    ["aws:eks/accessEntry:AccessEntry"],
    "https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html",
)
def _eks_access_entry(r: Res) -> Iterator[Violation]:
    kind = r.props.get("type")
    if isinstance(kind, str) and kind not in EKS_ACCESS_ENTRY_TYPES:
        yield "type", kind, f"AWS: one of {', '.join(EKS_ACCESS_ENTRY_TYPES)}"


# --- AWS Backup ----------------------------------------------------------------------------------------------------

BACKUP_LOCK_DOC = "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html"
BACKUP_LIFECYCLE_DOC = "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html"
BACKUP_LOCK_MIN_CHANGEABLE_DAYS = 3  # the 72-hour cooling-off period before the lock becomes immutable
BACKUP_COLD_MINIMUM_DAYS = 90  # recovery points stay ≥ 90 days in cold storage
BACKUP_CONTINUOUS_MAX_DAYS = 35  # continuous (point-in-time) backups are kept 1–35 days
BACKUP_MIN_START_WINDOW_MINUTES = 60  # BackupRule.StartWindowMinutes: "at least 60 minutes to avoid errors"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"


@limit("backup-vault-lock", [VAULT_LOCK], BACKUP_LOCK_DOC)
def _backup_vault_lock(r: Res) -> Iterator[Violation]:
    p = r.props
    changeable = _int(p.get("changeableForDays"))
    if changeable is not None and changeable < BACKUP_LOCK_MIN_CHANGEABLE_DAYS:
        yield (
            "changeableForDays",
            changeable,
            f"AWS: changeableForDays is ≥ {BACKUP_LOCK_MIN_CHANGEABLE_DAYS} (the 72-hour cooling-off period)",
        )
    low, high = _int(p.get("minRetentionDays")), _int(p.get("maxRetentionDays"))
    if low is not None and high is not None and low > high:
        yield "minRetentionDays", low, f"AWS: the minimum retention is at most the maximum ({high} days)"


def _vault_locks(all_resources: Sequence[Res]) -> dict[tuple[str | None, str], Res]:
    """(region, vault name) → its lock configuration."""
    return {
        (x.region, x.props["backupVaultName"]): x
        for x in all_resources
        if x.type == VAULT_LOCK and isinstance(x.props.get("backupVaultName"), str)
    }


def _retention_outside(days: int | None, lock: Res) -> str | None:
    low, high = _int(lock.props.get("minRetentionDays")), _int(lock.props.get("maxRetentionDays"))
    if days is None:  # kept forever
        return f"{lock.name} sets maxRetentionDays {high}" if high is not None else None
    if low is not None and days < low:
        return f"{lock.name} sets minRetentionDays {low}"
    if high is not None and days > high:
        return f"{lock.name} sets maxRetentionDays {high}"
    return None


@limit("backup-retention-within-vault-lock", ["aws:backup/plan:Plan"], BACKUP_LOCK_DOC, stack=True)
def _backup_retention_within_lock(r: Res, all_resources: Sequence[Res]) -> Iterator[Violation]:
    locks = _vault_locks(all_resources)
    for i, rule in enumerate(_items(r.props.get("rules"))):
        if not isinstance(rule, Mapping):
            continue
        targets = [(f"rules[{i}]", r.region, rule.get("targetVaultName"), rule.get("lifecycle"))]
        for j, copy in enumerate(_items(rule.get("copyActions"))):
            if isinstance(copy, Mapping):
                arn = copy.get("destinationVaultArn")
                name = arn.split(":backup-vault:")[-1] if isinstance(arn, str) and ":backup-vault:" in arn else None
                targets.append((f"rules[{i}].copyActions[{j}]", _arn_region(arn), name, copy.get("lifecycle")))
        for path, region, vault, lifecycle in targets:
            lock = locks.get((region, vault)) if isinstance(vault, str) else None
            if lock is None:
                continue
            delete_after = lifecycle.get("deleteAfter") if isinstance(lifecycle, Mapping) else None
            if delete_after is UNKNOWN:
                continue
            days = _int(delete_after)
            why = _retention_outside(days, lock)
            if why is not None:
                yield (
                    f"{path}.lifecycle.deleteAfter",
                    days if days is not None else NOT_SET,
                    f"AWS: Backup fails a backup or copy job into a locked vault whose retention is outside the "
                    f"lock ({why} on vault {vault} in {region})",
                )


@limit("backup-plan-rule", ["aws:backup/plan:Plan"], BACKUP_LIFECYCLE_DOC)
def _backup_plan_rule(r: Res) -> Iterator[Violation]:
    for i, rule in enumerate(_items(r.props.get("rules"))):
        if not isinstance(rule, Mapping):
            continue
        start = _int(rule.get("startWindow"))
        if start is not None and start < BACKUP_MIN_START_WINDOW_MINUTES:
            yield (
                f"rules[{i}].startWindow",
                start,
                f"AWS: a start window is at least {BACKUP_MIN_START_WINDOW_MINUTES} minutes",
            )
        lifecycles = [(f"rules[{i}].lifecycle", rule.get("lifecycle"))]
        lifecycles += [
            (f"rules[{i}].copyActions[{j}].lifecycle", c.get("lifecycle"))
            for j, c in enumerate(_items(rule.get("copyActions")))
            if isinstance(c, Mapping)
        ]
        for path, lc in lifecycles:
            if not isinstance(lc, Mapping):
                continue
            cold, delete = _int(lc.get("coldStorageAfter")), _int(lc.get("deleteAfter"))
            if cold is not None and delete is not None and delete < cold + BACKUP_COLD_MINIMUM_DAYS:
                yield (
                    f"{path}.deleteAfter",
                    delete,
                    f"AWS: recovery points stay ≥ {BACKUP_COLD_MINIMUM_DAYS} days in cold storage (deleteAfter ≥ "
                    f"coldStorageAfter {cold} + {BACKUP_COLD_MINIMUM_DAYS})",
                )
        delete = _int(rule["lifecycle"].get("deleteAfter")) if isinstance(rule.get("lifecycle"), Mapping) else None
        if rule.get("enableContinuousBackup") is True and delete is not None and delete > BACKUP_CONTINUOUS_MAX_DAYS:
            yield (
                f"rules[{i}].lifecycle.deleteAfter",
                delete,
                f"AWS: continuous backups are kept at most {BACKUP_CONTINUOUS_MAX_DAYS} days",
            )


# --- CloudTrail ----------------------------------------------------------------------------------------------------

_TRAIL_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|[._-](?![._-]))*[A-Za-z0-9]")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


@limit(
    "cloudtrail-trail-name",
    ["aws:cloudtrail/trail:Trail"],
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-trail-naming-requirements.html",
)
def _cloudtrail_name(r: Res) -> Iterator[Violation]:
    name = r.props.get("name")
    if not isinstance(name, str):
        return
    if not 3 <= len(name) <= 128:
        yield "name", name, f"AWS: a trail name is 3–128 characters (is {len(name)})"
    elif not _TRAIL_NAME.fullmatch(name) or _IPV4.fullmatch(name):
        yield (
            "name",
            name,
            "AWS: a trail name is ASCII letters, digits, . _ -, begins and ends with a letter or digit, has no "
            "adjacent . _ - and is not an IP address",
        )


# --- Lambda --------------------------------------------------------------------------------------------------------

LAMBDA_ENV_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html"
LAMBDA_FUNCTION_NAME_MAX = 64  # CreateFunction: 140 applies to the full ARN; a plain name is ≤ 64
LAMBDA_ENV_MAX_BYTES = 4096  # "the total size of all environment variables doesn't exceed 4 KB"
LAMBDA_RESERVED_ENV = frozenset(
    {
        *("_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV"),
        *("AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION"),
        *("AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME"),
        *("AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"),
        *("AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"),
    }
)


@limit("lambda-function", ["aws:lambda/function:Function"], LAMBDA_ENV_DOC)
def _lambda_function(r: Res) -> Iterator[Violation]:
    name = r.props.get("name")
    if isinstance(name, str) and not name.startswith("arn:") and len(name) > LAMBDA_FUNCTION_NAME_MAX:
        yield "name", name, f"AWS: a function name is at most {LAMBDA_FUNCTION_NAME_MAX} characters (is {len(name)})"
    env = r.props.get("environment")
    variables = env.get("variables") if isinstance(env, Mapping) else None
    if not isinstance(variables, Mapping):
        return
    for key in variables:
        if key in LAMBDA_RESERVED_ENV:
            yield f'environment.variables["{key}"] (key)', key, "AWS: Lambda reserves this environment variable"
    if all(isinstance(v, str) for v in variables.values()):
        size = sum(len(k.encode()) + len(v.encode()) for k, v in variables.items())
        if size > LAMBDA_ENV_MAX_BYTES:
            yield (
                "environment.variables",
                Text(f"{size} bytes"),
                f"AWS: environment variables total at most 4 KB ({LAMBDA_ENV_MAX_BYTES} bytes of names and values)",
            )


# --- ARC Region switch ---------------------------------------------------------------------------------------------

ARC_PLAN_DOC = "https://docs.aws.amazon.com/arc-region-switch/latest/api/API_CreatePlan.html"
# Step.executionBlockType → the ExecutionBlockConfiguration member (Pulumi: <member>s) it runs.
ARC_BLOCK_CONFIGS = {
    "CustomActionLambda": "customActionLambdaConfigs",
    "ManualApproval": "executionApprovalConfigs",
    "AuroraGlobalDatabase": "globalAuroraConfigs",
    "EC2AutoScaling": "ec2AsgCapacityIncreaseConfigs",
    "ARCRoutingControl": "arcRoutingControlConfigs",
    "ARCRegionSwitchPlan": "regionSwitchPlanConfigs",
    "Parallel": "parallelConfigs",
    "ECSServiceScaling": "ecsCapacityIncreaseConfigs",
    "EKSResourceScaling": "eksResourceScalingConfigs",
    "Route53HealthCheck": "route53HealthCheckConfigs",
    "DocumentDb": "documentDbConfigs",
    "RdsPromoteReadReplica": "rdsPromoteReadReplicaConfigs",
    "RdsCreateCrossRegionReplica": "rdsCreateCrossRegionReadReplicaConfigs",
    "LambdaEventSourceMapping": "lambdaEventSourceMappingConfigs",
    "NeptuneGlobalDatabase": "neptuneGlobalDatabaseConfigs",
    "AuroraServerlessScaling": "auroraServerlessScalingConfigs",
    "AuroraProvisionedScaling": "auroraProvisionedScalingConfigs",
}
_REGION_KEYED = ("rdsPromoteReadReplicaConfigs", "rdsCreateCrossRegionReadReplicaConfigs")


def _arc_steps(steps: Any, base: str, regions: set[str]) -> Iterator[Violation]:
    for k, step in enumerate(_items(steps)):
        if not isinstance(step, Mapping):
            continue
        path = f"{base}[{k}]"
        kind = step.get("executionBlockType")
        configs = [c for c in ARC_BLOCK_CONFIGS.values() if _items(step.get(c))]
        expected = ARC_BLOCK_CONFIGS.get(kind) if isinstance(kind, str) else None
        if expected is not None and configs != [expected]:
            yield (
                f"{path}.executionBlockType",
                kind,
                f"AWS: a {kind} step carries exactly one {expected} block (has {', '.join(configs) or 'none'})",
            )
        for key in _REGION_KEYED:
            for j, block in enumerate(_items(step.get(key))):
                arns = block.get("dbInstanceArnMap") if isinstance(block, Mapping) else None
                for region in arns if isinstance(arns, Mapping) and regions else ():
                    if region not in regions:
                        yield (
                            f'{path}.{key}[{j}].dbInstanceArnMap["{region}"] (key)',
                            region,
                            f"AWS: a region of the plan ({', '.join(sorted(regions))})",
                        )
        for j, block in enumerate(_items(step.get("parallelConfigs"))):
            if isinstance(block, Mapping):
                yield from _arc_steps(block.get("steps"), f"{path}.parallelConfigs[{j}].steps", regions)


@limit("arc-region-switch-plan", ["aws:arcregionswitch/plan:Plan"], ARC_PLAN_DOC)
def _arc_plan(r: Res) -> Iterator[Violation]:
    p = r.props
    listed = _items(p.get("regions"))
    regions = {x for x in listed if isinstance(x, str)} if all(known(x) for x in listed) else set()
    primary = p.get("primaryRegion")
    if p.get("recoveryApproach") == "activePassive" and primary is None:
        yield "primaryRegion", NOT_SET, "AWS: an activePassive plan names its primary region"
    if isinstance(primary, str) and regions and primary not in regions:
        yield "primaryRegion", primary, f"AWS: a region of the plan ({', '.join(sorted(regions))})"
    for i, workflow in enumerate(_items(p.get("workflows"))):
        if not isinstance(workflow, Mapping):
            continue
        target = workflow.get("workflowTargetRegion")
        if isinstance(target, str) and regions and target not in regions:
            yield (
                f"workflows[{i}].workflowTargetRegion",
                target,
                f"AWS: a region of the plan ({', '.join(sorted(regions))})",
            )
        yield from _arc_steps(workflow.get("steps"), f"workflows[{i}].steps", regions)


# --- Secrets Manager -----------------------------------------------------------------------------------------------

SECRET_RECOVERY_WINDOW = (7, 30)  # DeleteSecret RecoveryWindowInDays; the provider sends 0 as ForceDelete…
_SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
_SECRET_ARN_SUFFIX = re.compile(r".*-[A-Za-z0-9]{6}")  # Secrets Manager appends "-" and 6 random characters


@limit(
    "secretsmanager-secret",
    ["aws:secretsmanager/secret:Secret"],
    "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html",
)
def _secret(r: Res) -> Iterator[Violation]:
    p = r.props
    name = p.get("name")
    if isinstance(name, str):
        if not _SECRET_NAME.fullmatch(name):
            yield "name", name, "AWS: a secret name is 1–512 ASCII letters, digits and /_+=.@-"
        elif _SECRET_ARN_SUFFIX.fullmatch(name):
            yield "name", name, "AWS: a secret name must not end with a hyphen and six characters (ARN suffix)"
    window = _int(p.get("recoveryWindowInDays"))
    low, high = SECRET_RECOVERY_WINDOW
    if window is not None and window != 0 and not low <= window <= high:
        yield "recoveryWindowInDays", window, f"AWS: the recovery window is {low}–{high} days (0: delete at once)"
    for i, replica in enumerate(_items(p.get("replicas"))):
        region = replica.get("region") if isinstance(replica, Mapping) else None
        if isinstance(region, str) and region == r.region:
            yield f"replicas[{i}].region", region, "AWS: a replica is in another region than its primary secret"


# --- CloudWatch dashboards, metric-math alarms ---------------------------------------------------------------------

_DASHBOARD_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")


@limit(
    "cloudwatch-dashboard-name",
    ["aws:cloudwatch/dashboard:Dashboard"],
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
)
def _dashboard_name(r: Res) -> Iterator[Violation]:
    name = r.props.get("dashboardName")
    if isinstance(name, str) and not _DASHBOARD_NAME.fullmatch(name):
        yield "dashboardName", name, "AWS: a dashboard name is ≤ 255 letters, digits, hyphens or underscores"


_METRIC_QUERY_ID = re.compile(r"[a-z][A-Za-z0-9_]*")


@limit(
    "cloudwatch-alarm-metric-queries",
    ["aws:cloudwatch/metricAlarm:MetricAlarm"],
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html",
)
def _alarm_metric_queries(r: Res) -> Iterator[Violation]:
    queries = [q for q in _items(r.props.get("metricQueries")) if isinstance(q, Mapping)]
    if not queries:
        return
    for i, q in enumerate(queries):
        qid = q.get("id")
        if isinstance(qid, str) and not _METRIC_QUERY_ID.fullmatch(qid):
            yield (
                f"metricQueries[{i}].id",
                qid,
                "AWS: a query id begins with a lowercase letter and has only letters, digits and underscores",
            )
    flags = [q.get("returnData") for q in queries]
    if all(f is None or isinstance(f, bool) for f in flags):
        returned = sum(1 for f in flags if f is True)
        if returned != 1:
            yield (
                "metricQueries",
                Text(f"{returned} with returnData = true"),
                "AWS: exactly one query of an alarm returns data (returnData = true; the alarm watches it)",
            )


# --- S3 server access logging --------------------------------------------------------------------------------------


def _bucket_named(all_resources: Sequence[Res], name: Any) -> Res | None:
    if not isinstance(name, str):
        return None
    return next((x for x in all_resources if x.type == "aws:s3/bucket:Bucket" and x.props.get("bucket") == name), None)


def _kms_default_encryption(all_resources: Sequence[Res], bucket: str) -> str | None:
    for x in all_resources:
        if x.type != SSE_CONFIG or x.props.get("bucket") != bucket:
            continue
        for rule in _items(x.props.get("rules")):
            default = rule.get("applyServerSideEncryptionByDefault") if isinstance(rule, Mapping) else None
            algorithm = default.get("sseAlgorithm") if isinstance(default, Mapping) else None
            if isinstance(algorithm, str) and algorithm.startswith("aws:kms"):
                return algorithm
    return None


SSE_CONFIG = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


@limit(
    "s3-bucket-logging-target",
    ["aws:s3/bucketLogging:BucketLogging"],
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html",
    stack=True,
)
def _bucket_logging_target(r: Res, all_resources: Sequence[Res]) -> Iterator[Violation]:
    target_name = r.props.get("targetBucket")
    target = _bucket_named(all_resources, target_name)
    source = _bucket_named(all_resources, r.props.get("bucket"))
    source_region = source.region if source is not None else r.region
    if target is not None and target.region and source_region and target.region != source_region:
        yield (
            "targetBucket",
            target_name,
            f"AWS: server access logs go to a bucket of the source's region ({target.name} is in {target.region}, "
            f"the source in {source_region})",
        )
    algorithm = _kms_default_encryption(all_resources, target_name) if isinstance(target_name, str) else None
    if algorithm is not None:
        yield (
            "targetBucket",
            target_name,
            f"AWS: server access logs cannot be delivered to a bucket whose default encryption is {algorithm} "
            "(SSE-S3 only)",
        )


# --- regions -------------------------------------------------------------------------------------------------------


@limit(
    "aws-region-exists",
    ["*"],
    "https://docs.aws.amazon.com/general/latest/gr/rande.html",
)
def _region(r: Res) -> Iterator[Violation]:
    key = "region"
    value = r.props.get(key)
    if not isinstance(value, str) or not (r.type.startswith("aws:") or r.type == "pulumi:providers:aws"):
        return
    regions = botomodel.partition_regions()
    if not any(value in names for names in regions.values()):
        yield key, value, f"AWS: no such region in botocore {botomodel.botocore_version()}'s endpoints"


# --- running them ---------------------------------------------------------------------------------------------------


def _applies(lim: Limit, type_: str) -> bool:
    return "*" in lim.types or type_ in lim.types


def check(resources: Sequence[Res]) -> list[Finding]:
    """Every limit over every resource it judges."""
    out: list[Finding] = []
    for r in resources:
        for lim in LIMITS:
            if not _applies(lim, r.type):
                continue
            found = lim.check(r, resources) if lim.stack else lim.check(r)
            for path, value, rule in found:
                sensitive = any(s in path.lower() for s in ("password", "secret", "token"))
                text = str(value) if isinstance(value, Text) else shown(value, sensitive=sensitive)
                out.append(Finding(r.urn, path, text, rule, lim.doc))
    return out


def by_id(id_: str) -> Limit:
    return next(lim for lim in LIMITS if lim.id == id_)
