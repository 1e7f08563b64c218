"""Retention: how long backups, object versions, cluster backups and logs survive."""

from __future__ import annotations

from typing import Any

from pulumi_policy import ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs

from policy.policies._common import MANDATORY, Report, Unknowns, config, dig, number, of_type, schema, stack_policy, tag
from policy.resources import UNKNOWN, go_duration_hours, related, short, unwrap

RDS = "aws:rds/instance:Instance"
BACKUP_REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
VELERO_SCHEDULE = "kubernetes:velero.io/v1:Schedule"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

# AWS defaults when the property is omitted.
RDS_DEFAULT_RETENTION_DAYS = 1  # CreateDBInstance BackupRetentionPeriod default
BACKUP_REPLICATION_DEFAULT_DAYS = 7  # StartDBInstanceAutomatedBackupsReplication default
VELERO_DEFAULT_TTL_HOURS = 720.0  # velero: --ttl defaults to 30 days


def _resource_policy(name: str, description: str, validate: Any, props: dict[str, dict[str, Any]], remediation: str):
    cfg_schema = schema(props)

    def run(args: ResourceValidationArgs, report: Report) -> None:
        unknowns = Unknowns()
        validate(args, unwrap(args.props), config(args, cfg_schema), report, unknowns)
        unknowns.finish()

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=run,
        enforcement_level=MANDATORY,
        config_schema=cfg_schema,
        remediation_steps=remediation,
    )


# --- RDS ------------------------------------------------------------------------------------------


def _is_replica(props: dict[str, Any]) -> bool:
    src = props.get("replicateSourceDb")
    return src is UNKNOWN or bool(src)


def _rds_retention(args: ResourceValidationArgs, props: dict, cfg: dict, report: Report, u: Unknowns) -> None:
    if args.resource_type != RDS or (_is_replica(props) and not cfg["includeReplicas"]):
        return
    value = props.get("backupRetentionPeriod", RDS_DEFAULT_RETENTION_DAYS)
    if value is UNKNOWN:
        u.add(args.urn, "backupRetentionPeriod")
        return
    days = number(value) or 0
    if days < cfg["minRetentionDays"]:
        kind = "replica" if _is_replica(props) else "instance"
        report(
            f"{kind} {args.name} keeps automated backups {days:g} days; the stack requires ≥ {cfg['minRetentionDays']}."
        )


rds_backup_retention = _resource_policy(
    "rds-backup-retention",
    "RDS instances keep automated backups at least the stack's minimum number of days.",
    _rds_retention,
    {
        "minRetentionDays": {"type": "integer", "minimum": 1, "maximum": 35, "default": 7},
        "includeReplicas": {"type": "boolean", "default": True},
    },
    "Set backup_retention_period on aws.rds.Instance (primary and replicas) to at least minRetentionDays.",
)


def _rds_safeguards(args: ResourceValidationArgs, props: dict, cfg: dict, report: Report, u: Unknowns) -> None:
    if args.resource_type != RDS:
        return
    if cfg["requireDeletionProtection"]:
        dp = props.get("deletionProtection", False)
        if dp is UNKNOWN:
            u.add(args.urn, "deletionProtection")
        elif dp is not True:
            report(f"{args.name} has deletionProtection off; the stack requires it.")
    if cfg["requireFinalSnapshot"] and not _is_replica(props):  # AWS takes no final snapshot of a read replica
        skip = props.get("skipFinalSnapshot", False)
        ident = props.get("finalSnapshotIdentifier")
        if skip is UNKNOWN or ident is UNKNOWN:
            u.add(args.urn, "skipFinalSnapshot/finalSnapshotIdentifier")
        elif skip is True or not ident:
            report(
                f"{args.name} would be deleted without a final snapshot (skipFinalSnapshot={skip}, "
                f"finalSnapshotIdentifier={ident or 'unset'})."
            )


rds_deletion_safeguards = _resource_policy(
    "rds-deletion-safeguards",
    "RDS instances have deletion protection, and primaries take a named final snapshot on delete.",
    _rds_safeguards,
    {
        "requireDeletionProtection": {"type": "boolean", "default": True},
        "requireFinalSnapshot": {"type": "boolean", "default": True},
    },
    "Set deletion_protection=True, skip_final_snapshot=False and final_snapshot_identifier on aws.rds.Instance.",
)


def _backup_replication(args: ResourceValidationArgs, props: dict, cfg: dict, report: Report, u: Unknowns):
    if args.resource_type != BACKUP_REPLICATION:
        return
    value = props.get("retentionPeriod", BACKUP_REPLICATION_DEFAULT_DAYS)
    if value is UNKNOWN:
        u.add(args.urn, "retentionPeriod")
        return
    days = number(value) or 0
    if days < cfg["minRetentionDays"]:
        report(f"{args.name} keeps replicated backups {days:g} days; the stack requires ≥ {cfg['minRetentionDays']}.")


rds_backup_replication_retention = _resource_policy(
    "rds-backup-replication-retention",
    "Cross-region automated-backup replication keeps backups at least the stack's minimum number of days.",
    _backup_replication,
    {"minRetentionDays": {"type": "integer", "minimum": 1, "maximum": 35, "default": 7}},
    "Set retention_period on aws.rds.InstanceAutomatedBackupsReplication to at least minRetentionDays.",
)


# --- S3 (pulumi_aws 7 split resources, related to their bucket through property dependencies) --------


def _versioning_status(bucket: Any, versionings: list[Any]) -> Any:
    mine = [v for v in versionings if related(v, "bucket", [bucket])]
    if not mine:
        return None
    statuses = [dig(unwrap(v.props), "versioningConfiguration", "status") for v in mine]
    if UNKNOWN in statuses:
        return UNKNOWN
    return "Enabled" if "Enabled" in statuses else statuses[0]


def _s3_versioning(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    versionings = of_type(args, VERSIONING)
    for b in of_type(args, BUCKET):
        status = _versioning_status(b, versionings)
        if status is UNKNOWN:
            u.add(b.urn, "versioning status")
        elif status is None:
            report(f"bucket {b.name} has no aws.s3.BucketVersioning.", b.urn)
        elif status != "Enabled":
            report(f"bucket {b.name} versioning is {status}, not Enabled.", b.urn)
    u.finish()


s3_versioning = stack_policy(
    name="s3-versioning",
    description="Every S3 bucket has versioning enabled (an aws.s3.BucketVersioning with status Enabled).",
    validate=_s3_versioning,
    config_schema=schema({}),
    remediation="Add aws.s3.BucketVersioning(bucket=<bucket>.id, versioning_configuration={'status': 'Enabled'}).",
)


def _s3_noncurrent(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    versionings, lifecycles = of_type(args, VERSIONING), of_type(args, LIFECYCLE)
    lo, hi = cfg["minNoncurrentDays"], cfg["maxNoncurrentDays"]
    for b in of_type(args, BUCKET):
        if _versioning_status(b, versionings) != "Enabled":
            continue
        days: list[Any] = []
        for lc in (lc for lc in lifecycles if related(lc, "bucket", [b])):
            rules = unwrap(lc.props).get("rules")
            if rules is UNKNOWN:
                u.add(lc.urn, "rules")
                continue
            for rule in rules or []:
                if rule.get("status") == "Enabled":
                    nd = dig(rule, "noncurrentVersionExpiration", "noncurrentDays")
                    if nd is not None:
                        days.append(nd)
        if any(d is UNKNOWN for d in days):
            u.add(b.urn, "noncurrent-version expiration")
            continue
        if not days:
            report(
                f"versioned bucket {b.name} has no enabled noncurrent-version expiration: old versions grow "
                f"without bound.",
                b.urn,
            )
            continue
        short_ = min(number(d) or 0 for d in days)
        long_ = max(number(d) or 0 for d in days)
        if short_ < lo:
            report(f"bucket {b.name} expires noncurrent versions after {short_:g} days; the minimum is {lo}.", b.urn)
        if long_ > hi:
            report(f"bucket {b.name} keeps noncurrent versions {long_:g} days; the maximum is {hi}.", b.urn)
    u.finish()


s3_noncurrent_expiration = stack_policy(
    name="s3-noncurrent-expiration",
    description="Every versioned bucket expires noncurrent versions: kept at least the minimum, never unbounded.",
    validate=_s3_noncurrent,
    config_schema=schema(
        {
            "minNoncurrentDays": {"type": "integer", "minimum": 1, "default": 30},
            "maxNoncurrentDays": {"type": "integer", "minimum": 1, "default": 3650},
        }
    ),
    remediation="Add an aws.s3.BucketLifecycleConfiguration rule (status Enabled) with "
    "noncurrent_version_expiration.noncurrent_days between minNoncurrentDays and maxNoncurrentDays.",
)


def _audit_object_lock(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    locks = of_type(args, OBJECT_LOCK)
    for b in of_type(args, BUCKET):
        props = unwrap(b.props)
        if tag(props, cfg["tagKey"]) not in cfg["tagValues"]:
            continue
        enabled = props.get("objectLockEnabled")
        if enabled is UNKNOWN:
            u.add(b.urn, "objectLockEnabled")
        elif enabled is not True:
            report(f"audit bucket {b.name} is created without object_lock_enabled=True.", b.urn)
            continue
        mine = [lk for lk in locks if related(lk, "bucket", [b])]
        if not mine:
            report(f"audit bucket {b.name} has no aws.s3.BucketObjectLockConfiguration.", b.urn)
            continue
        retention = dig(unwrap(mine[0].props), "rule", "defaultRetention")
        if retention is UNKNOWN:
            u.add(mine[0].urn, "rule.defaultRetention")
            continue
        retention = retention or {}
        mode, d, y = retention.get("mode"), retention.get("days"), retention.get("years")
        if UNKNOWN in (mode, d, y):
            u.add(mine[0].urn, "default retention")
            continue
        days = (number(d) or 0) + 365 * (number(y) or 0)
        if mode != "COMPLIANCE":
            report(f"audit bucket {b.name} object lock mode is {mode}; COMPLIANCE is required.", b.urn)
        if days < cfg["minRetentionDays"]:
            report(
                f"audit bucket {b.name} locks objects {days:g} days; the minimum is {cfg['minRetentionDays']}.", b.urn
            )
    u.finish()


s3_audit_object_lock = stack_policy(
    name="s3-audit-object-lock",
    description="Buckets tagged as audit data have object lock in COMPLIANCE mode for at least the minimum.",
    validate=_audit_object_lock,
    config_schema=schema(
        {
            "minRetentionDays": {"type": "integer", "minimum": 1, "default": 365},
            "tagKey": {"type": "string", "default": "data-class"},
            "tagValues": {"type": "array", "items": {"type": "string"}, "default": ["audit"]},
        }
    ),
    remediation="Create the bucket with object_lock_enabled=True and add aws.s3.BucketObjectLockConfiguration "
    "with rule.default_retention mode COMPLIANCE and days ≥ minRetentionDays.",
)


# --- Velero ---------------------------------------------------------------------------------------


def _ttl_hours(ttl: Any) -> Any:
    if ttl is UNKNOWN:
        return UNKNOWN
    if ttl is None:
        return VELERO_DEFAULT_TTL_HOURS
    return go_duration_hours(str(ttl))


def _velero_ttl(args: ResourceValidationArgs, props: dict, cfg: dict, report: Report, u: Unknowns) -> None:
    schedules: dict[str, Any] = {}
    if args.resource_type == VELERO_SCHEDULE:
        spec = props.get("spec")
        schedules[args.name] = UNKNOWN if spec is UNKNOWN else dig(spec, "template", "ttl")
    elif args.resource_type == HELM_RELEASE:
        chart = props.get("chart")
        if not (isinstance(chart, str) and "velero" in chart):
            return
        values = props.get("values")
        configured = UNKNOWN if values is UNKNOWN else dig(values or {}, "schedules")
        if configured is UNKNOWN:
            u.add(args.urn, "values.schedules")
            return
        for name, sched in (configured or {}).items():
            schedules[f"{args.name}/schedules.{name}"] = dig(sched, "template", "ttl")
    else:
        return
    lo = cfg["minTtlHours"]
    for name, ttl in schedules.items():
        hours = _ttl_hours(ttl)
        if hours is UNKNOWN:
            u.add(args.urn, f"{name} ttl")
        elif hours is None:
            report(f"Velero schedule {name} ttl {ttl!r} is not a duration such as 720h0m0s.")
        elif hours < lo:
            report(f"Velero schedule {name} keeps backups {hours:g}h; the minimum is {lo}h.")


velero_backup_ttl = _resource_policy(
    "velero-backup-ttl",
    "Velero schedules (Schedule resources and the Helm release's schedules) keep backups at least the minimum.",
    _velero_ttl,
    {"minTtlHours": {"type": "integer", "minimum": 1, "default": 168}},
    "Set spec.template.ttl (e.g. 336h0m0s) on the velero.io/v1 Schedule or values.schedules.<name>.template.ttl.",
)


def _log_retention(args: ResourceValidationArgs, props: dict, cfg: dict, report: Report, u: Unknowns) -> None:
    if args.resource_type != LOG_GROUP:
        return
    value = props.get("retentionInDays")
    if value is UNKNOWN:
        u.add(args.urn, "retentionInDays")
    elif not value:
        report(f"log group {args.name} has no retention: logs are kept (and billed) forever.")
    elif (number(value) or 0) < cfg["minRetentionDays"]:
        report(f"log group {args.name} keeps logs {value} days; the minimum is {cfg['minRetentionDays']}.")


log_group_retention = _resource_policy(
    "log-group-retention",
    "CloudWatch log groups set a retention of at least the minimum number of days.",
    _log_retention,
    {"minRetentionDays": {"type": "integer", "minimum": 1, "default": 30}},
    "Set retention_in_days on aws.cloudwatch.LogGroup (a CloudWatch-supported value ≥ minRetentionDays).",
)

POLICIES = [
    rds_backup_retention,
    rds_deletion_safeguards,
    rds_backup_replication_retention,
    s3_versioning,
    s3_noncurrent_expiration,
    s3_audit_object_lock,
    velero_backup_ttl,
    log_group_retention,
]

__all__ = ["POLICIES", "short"]
