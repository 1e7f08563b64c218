"""Monthly cost of a stack's resources, estimated at preview time from a dated price table.

`estimate(resources, assumptions, prices)` prices each resource (a plain dict
`{"type", "urn", "name", "region", "props", "protect"}`) from its type, properties and region, using the
on-demand list prices in `policy/prices.json` and the stack's usage assumptions (policy config). It never
guesses silently: whatever it cannot price lands in `unpriced` with the reason.

What is in which list:
- `items`: every billed resource with its monthly USD and the arithmetic (`basis`), plus free AWS
  resources (IAM, security groups, bucket settings, …) at 0 with basis `free: …` so every AWS resource of
  the stack is accounted for. Request-based services with no volume assumption (SQS, SNS) are listed at 0
  with the rate in the basis.
- `unpriced`: resources (or parts of one) the model cannot price — unknown types, regions missing from the
  price table, values not known until deploy, missing usage assumptions, Kubernetes objects (they run on
  the existing cluster's nodes; Kubecost attributes that spend).
- neither: Pulumi providers and component resources (`summit:…`), which are not cloud resources.

Assumptions (all optional except where a resource needs them; missing → unpriced with the key named):
`s3StorageGb` {purpose|"default": GB}, `s3StorageClass` {purpose|"default": class} (default STANDARD),
`s3ReplicationGbPerMonth` (GB or {purpose|"default": GB}), `wafRequestsMillionsPerMonth` (per web ACL: a number,
or {ACL name|scope REGIONAL/CLOUDFRONT|region|"default": millions} — e.g. 0 for the idle DR region's ACL),
`wafBotControlRequestsMillionsPerMonth` (requests a scoped-down Bot Control inspects, keyed like
`wafRequestsMillionsPerMonth`; default: all the ACL's requests),
`cloudfrontRequestsMillionsPerMonth`, `cloudfrontTransferGbPerMonth`, `route53QueriesMillionsPerMonth`
(split evenly over the non-alias records), `route53HealthCheckEndpoint` ("aws" | "non-aws", default
"non-aws" unless the endpoint is an AWS hostname), `rdsDailyChangeGb` (default 5 % of allocated storage),
`cloudwatchLogsGbPerMonth` (GB or {log group name|"default": GB}), `sqsRequestsMillionsPerMonth`,
`snsPublishesMillionsPerMonth` (number or {name|"default": number}), `restoreTestHoursPerRun` (hours a restore-tested
instance runs, default 1 h to restore plus the selection's validation window), `backupAuditEvaluationsPerMonth`
(default: one evaluation per control per day), `lambdaInvocationsPerMonth` and `lambdaAverageSeconds` ({function
name|"default": number}; without them a function is priced at $0 with its rates, e.g. the writer-switch function that
only a Region switch execution invokes), `cloudtrailDataEventsMillionsPerMonth` (S3 data events a trail with
data-event selectors records; required then), `cloudtrailAdditionalManagementEventsMillionsPerMonth` (only when
another trail already takes the account's free first copy of management events, e.g. an organization trail; default 0).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from contract.values import is_unknown, reveal
from policy import waf

PRICES_FILE = Path(__file__).with_name("prices.json")

# Backups of a database change by about this share of its allocated storage per day when the stack does not
# say (`rdsDailyChangeGb`): an OLTP database rewriting 5 % of its pages daily is a busy but ordinary one.
DEFAULT_DAILY_CHANGE_SHARE = 0.05
# The RDS API keeps automated backups for 1 day when backupRetentionPeriod is not set.
DEFAULT_BACKUP_RETENTION_DAYS = 1
# CreateDBInstanceReadReplica/automated-backups replication default retention.
DEFAULT_REPLICATION_RETENTION_DAYS = 7
# RDS gp3 baseline: 3,000 IOPS below 400 GB, 12,000 IOPS from 400 GB (PostgreSQL).
GP3_BASELINE_IOPS = ((400, 12000), (0, 3000))
# An S3 replication rule with metrics publishes four CloudWatch metrics (bytes/operations pending,
# latency, failed operations), billed as custom metrics.
S3_REPLICATION_METRICS_PER_RULE = 4
DAYS_PER_MONTH = 30
# Log groups AWS services deliver into (WAF requires the aws-waf-logs- prefix; CloudFront standard logging v2 and
# other vended logs go under /aws/vendedlogs/ by convention) ingest at the vended-logs rate, not the standard one.
VENDED_LOG_GROUP_PREFIXES = ("aws-waf-logs-", "/aws/vendedlogs/")
# A log group with no retention keeps growing; price a year of accumulated storage to make that visible.
UNBOUNDED_LOG_RETENTION_DAYS = 365
# AWS Backup restore tests: restoring a snapshot takes about an hour before validation starts (restore testing
# reports each job's duration; `restoreTestHoursPerRun` replaces this estimate with a measured one).
RESTORE_TEST_RESTORE_HOURS = 1.0
# Backup Audit Manager evaluates most controls once a day ("Occurs: automatically every 24 hours", Controls and
# remediation); `backupAuditEvaluationsPerMonth` replaces this estimate.
AUDIT_EVALUATIONS_PER_CONTROL_PER_MONTH = 31

# AWS resources that cost nothing by themselves (what they configure is billed on the resource it belongs to).
FREE_PREFIXES: dict[str, str] = {
    "aws:iam/": "IAM is free",
    "aws:vpc/securityGroup": "security group rules are free",
    "aws:ec2/securityGroup": "security groups are free",
    "aws:s3/bucket": "bucket setting; storage is billed on the bucket",
    "aws:eks/": "EKS access entries, pod identities and add-on registrations are free (the cluster is pre-existing)",
    "aws:cloudfront/originAccessControl": "CloudFront configuration object",
    "aws:cloudfront/cachePolicy": "CloudFront configuration object",
    "aws:cloudfront/originRequestPolicy": "CloudFront configuration object",
    "aws:cloudfront/responseHeadersPolicy": "CloudFront configuration object",
}
FREE_TYPES: dict[str, str] = {
    "aws:rds/subnetGroup:SubnetGroup": "DB subnet groups are free",
    "aws:rds/parameterGroup:ParameterGroup": "DB parameter groups are free",
    "aws:rds/optionGroup:OptionGroup": "DB option groups are free",
    "aws:kms/alias:Alias": "KMS aliases are free",
    "aws:kms/keyPolicy:KeyPolicy": "key policies are free",
    "aws:kms/grant:Grant": "KMS grants are free",
    "aws:sns/topicPolicy:TopicPolicy": "topic policies are free",
    "aws:sqs/queuePolicy:QueuePolicy": "queue policies are free",
    "aws:sqs/redrivePolicy:RedrivePolicy": "redrive settings are free",
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": "redrive settings are free",
    "aws:secretsmanager/secretVersion:SecretVersion": "versions are included in the secret's monthly fee",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "secret policies are free",
    "aws:secretsmanager/secretRotation:SecretRotation": "rotation schedule is free (its Lambda bills separately)",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "associating a web ACL is free",
    "aws:wafv2/ipSet:IpSet": "IP sets are free",
    "aws:wafv2/regexPatternSet:RegexPatternSet": "regex pattern sets are free",
    "aws:wafv2/ruleGroup:RuleGroup": "billed as one rule in each web ACL that references it",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "logs bill at their destination",
    "aws:cloudwatch/eventRule:EventRule": "rules matching AWS service events on the default bus are free",
    "aws:cloudwatch/eventTarget:EventTarget": "event delivery to AWS targets is free",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "resource policies are free",
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": "vended-log delivery bills as ingestion at its destination",
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": (
        "vended-log delivery bills as ingestion at its destination"
    ),
    "aws:cloudwatch/logDelivery:LogDelivery": "vended-log delivery bills as ingestion at its destination",
    "aws:backup/selection:Selection": "selections are free; the recovery points bill on the vaults",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": "vault lock is free",
    "aws:backup/vaultPolicy:VaultPolicy": "vault access policies are free",
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": (
        "the restored instance and the test fee are priced on the restore testing plan"
    ),
    "aws:backup/reportPlan:ReportPlan": (
        "Backup Audit Manager bills control evaluations (priced on the framework); reports bill as S3 storage"
    ),
    "aws:lambda/permission:Permission": "resource policies are free",
    "aws:acm/certificate:Certificate": "public ACM certificates are free",
    "aws:acm/certificateValidation:CertificateValidation": "validation is free",
    "aws:budgets/budget:Budget": "budgets without actions are free",
    "aws:sns/topicSubscription:TopicSubscription": (
        "deliveries bill per notification (email $2 per 100,000 after 1,000 free, HTTPS $0.60 per million); "
        "alert volume is negligible"
    ),
    "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": (
        "AWS Chatbot has no charge of its own (AWS Chatbot pricing); the SNS deliveries to it bill on the topics"
    ),
}
# Non-cloud providers: values generated locally, nothing billed.
LOCAL_PACKAGES = {"random", "tls", "time", "command"}


class Unpriced(Exception):
    """A resource (or part of one) the model cannot price; the message is the reason."""


def load_prices(path: Path | str | None = None) -> dict[str, Any]:
    """The price table (`policy/prices.json` unless told otherwise)."""
    return _load(str(path or PRICES_FILE))


@cache
def _load(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text())  # type: ignore[no-any-return]


# --- values -----------------------------------------------------------------------------------------


# Unknowns are contract/values.py's `is_unknown` (preflight's UNKNOWN, pulumi_policy sentinels, `<computed>`);
# a secret input is priced on what it holds.
_plain = reveal


def _get(props: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A property, raising Unpriced when it is not known until deploy."""
    value = _plain(props.get(key, default))
    if is_unknown(value):
        raise Unpriced(f"{key} not known until deploy")
    return default if value is None else value


def _number(props: Mapping[str, Any], key: str, default: float | None = None) -> float:
    value = _get(props, key, default)
    if value is None:
        raise Unpriced(f"{key} not set")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise Unpriced(f"{key} is not a number: {value!r}") from None


def _money(x: float) -> str:
    return f"${x:,.2f}" if x >= 0.01 or x == 0 else f"${x:.4f}"


def _fmt(x: float) -> str:
    return f"{x:g}"


# --- the model ---------------------------------------------------------------------------------------


class _Ctx:
    def __init__(self, resources: list[dict[str, Any]], assumptions: Mapping[str, Any], prices: Mapping[str, Any]):
        self.resources = resources
        self.assumptions = assumptions
        self.prices = prices
        self.hours = float(prices.get("hoursPerMonth", 730))
        self.by_type: dict[str, list[dict[str, Any]]] = {}
        for r in resources:
            self.by_type.setdefault(r["type"], []).append(r)
        self.partial: list[dict[str, Any]] = []  # unpriced parts of priced resources

    def price(self, key: str, region: str | None) -> float:
        rows = self.prices.get("figures", {}).get(key)
        if not rows:
            raise Unpriced(f"no price for {key} in prices.json")
        for want in (region, "global"):
            for row in rows:
                if row.get("region") == want:
                    return float(row["value"])
        have = ", ".join(sorted({str(row.get("region")) for row in rows}))
        raise Unpriced(f"no price for {key} in region {region} (prices.json has {have})")

    def assumption(self, key: str, candidates: Iterable[str] = (), *, required: bool = True) -> float | None:
        """A usage assumption: a number, or a mapping looked up by candidate keys then "default"."""
        return self.assumption_with_key(key, candidates, required=required)[0]

    def assumption_with_key(
        self, key: str, candidates: Iterable[str] = (), *, required: bool = True
    ) -> tuple[float | None, str]:
        """The assumption and how it was found (`key[candidate]`, for the basis)."""
        raw = self.assumptions.get(key)
        cands = list(candidates)
        if isinstance(raw, Mapping):
            for k in [*cands, "default"]:
                if k in raw and raw[k] is not None:
                    return float(raw[k]), f"{key}[{k}]"
            if required:
                raise Unpriced(f"no {key} assumption for {', '.join([*cands, 'default'])}")
            return None, key
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return float(raw), key
        if required:
            raise Unpriced(f"no {key} assumption")
        return None, key

    def partly_unpriced(self, r: Mapping[str, Any], reason: str) -> None:
        self.partial.append({"urn": r["urn"], "type": r["type"], "reason": reason})


Pricer = Callable[[dict[str, Any], _Ctx], tuple[float, str]]


def _region(r: Mapping[str, Any]) -> str:
    region = r.get("region")
    if is_unknown(region):
        raise Unpriced("region not known until deploy")
    if not region:
        raise Unpriced("region unknown (no region input and no provider region)")
    return str(region)


# RDS ------------------------------------------------------------------------------------------------


def _rds_instances(ctx: _Ctx) -> list[dict[str, Any]]:
    return ctx.by_type.get("aws:rds/instance:Instance", [])


def _ref_matches(ref: Any, r: Mapping[str, Any]) -> bool:
    """Whether an identifier/ARN value refers to RDS instance `r`."""
    if not isinstance(ref, str) or is_unknown(ref):
        return False
    ident = r["props"].get("identifier")
    names = {n for n in (ident, r["name"]) if isinstance(n, str) and not is_unknown(n)}
    return any(ref == n or ref.endswith(f":db:{n}") for n in names)


def _source_of(ctx: _Ctx, ref: Any) -> dict[str, Any] | None:
    """The primary instance an identifier/ARN refers to; else the only primary in the stack."""
    primaries = [r for r in _rds_instances(ctx) if not r["props"].get("replicateSourceDb")]
    matches = [r for r in primaries if _ref_matches(ref, r)]
    if len(matches) == 1:
        return matches[0]
    return primaries[0] if len(primaries) == 1 else None


def _daily_change_gb(ctx: _Ctx, storage_gb: float, name: str) -> tuple[float, str]:
    given = ctx.assumption("rdsDailyChangeGb", [name], required=False)
    if given is not None:
        return given, f"{_fmt(given)} GB/day (assumption)"
    gb = storage_gb * DEFAULT_DAILY_CHANGE_SHARE
    return gb, f"{_fmt(gb)} GB/day (default {DEFAULT_DAILY_CHANGE_SHARE:.0%} of storage)"


def _price_rds_instance(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    props, region = r["props"], _region(r)
    source_ref = _get(props, "replicateSourceDb")
    source = _source_of(ctx, source_ref) if source_ref else None
    cls = _get(props, "instanceClass")
    if not cls:
        raise Unpriced("instanceClass not set")
    engine = _get(props, "engine") or (source and _plain(source["props"].get("engine"))) or None
    if not engine or is_unknown(engine):
        raise Unpriced("engine not set (and no source instance to inherit it from)")
    engine = "postgres" if str(engine).startswith("postgres") else str(engine)
    multi = bool(_get(props, "multiAz", False))
    copies = 2 if multi else 1
    hourly = ctx.price(f"rds.instanceHour.{engine}.{cls}", region)
    compute = hourly * ctx.hours * copies
    parts = [
        f"{cls} {engine} {'Multi-AZ' if multi else 'Single-AZ'}{' replica' if source_ref else ''} in {region}: "
        f"{copies} × {_fmt(ctx.hours)} h × ${_fmt(hourly)} = {_money(compute)}"
    ]
    total = compute

    storage_props = props
    if props.get("allocatedStorage") is None and source is not None:
        storage_props = source["props"]  # a replica inherits its source's storage
    storage_gb = _number(storage_props, "allocatedStorage")
    stype = str(_get(storage_props, "storageType") or "gp2")
    try:
        per_gb = ctx.price(f"rds.storageGbMonth.{stype}", region)
    except Unpriced as e:
        ctx.partly_unpriced(r, f"storage: {e}")
    else:
        storage = storage_gb * copies * per_gb
        total += storage
        parts.append(f"{stype} {_fmt(storage_gb)} GB × {copies} × ${_fmt(per_gb)} = {_money(storage)}")
        iops = _get(props, "iops")
        if stype == "gp3" and iops:
            baseline = next(b for floor, b in GP3_BASELINE_IOPS if storage_gb >= floor)
            extra = max(0.0, float(iops) - baseline)
            if extra:
                rate = ctx.price("rds.gp3ExtraIopsMonth", region)
                cost = extra * copies * rate
                total += cost
                parts.append(f"{_fmt(extra)} IOPS above baseline × {copies} × ${_fmt(rate)} = {_money(cost)}")
        if stype == "gp3" and _get(props, "storageThroughput"):
            ctx.partly_unpriced(r, "gp3 throughput above baseline is not in prices.json")

    # Read replicas keep no automated backups unless asked (the API default is 0 for them).
    retention = _number(props, "backupRetentionPeriod", 0 if source_ref else DEFAULT_BACKUP_RETENTION_DAYS)
    if retention > 0:
        daily, daily_basis = _daily_change_gb(ctx, storage_gb, r["name"])
        billable = retention * daily  # one full copy (≤ allocated storage) is inside the free 100 %
        rate = ctx.price("rds.backupGbMonth", region)
        backup = billable * rate
        total += backup
        parts.append(
            f"backups {_fmt(retention)} d × {daily_basis} beyond the free {_fmt(storage_gb)} GB "
            f"× ${_fmt(rate)} = {_money(backup)}"
        )
    if _get(props, "manageMasterUserPassword", False):
        secret = ctx.price("secretsmanager.secretMonth", region)
        total += secret
        parts.append(f"RDS-managed master secret {_money(secret)}")
    return total, "; ".join(parts)


def _price_backup_replication(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    props, region = r["props"], _region(r)
    ref = _get(props, "sourceDbInstanceArn")
    source = _source_of(ctx, ref)
    if source is None:
        raise Unpriced("cannot tell which DB instance it replicates (sourceDbInstanceArn matches none)")
    source_region = _region(source)
    storage_gb = _number(source["props"], "allocatedStorage")
    retention = _number(props, "retentionPeriod", DEFAULT_REPLICATION_RETENTION_DAYS)
    daily, daily_basis = _daily_change_gb(ctx, storage_gb, source["name"])
    stored = storage_gb + retention * daily  # no free allowance applies to the replicated copy
    rate = ctx.price("rds.backupGbMonth", region)
    transfer_gb = daily * DAYS_PER_MONTH
    tx_rate = ctx.price("transfer.interRegionGb", source_region)
    storage_cost, transfer_cost = stored * rate, transfer_gb * tx_rate
    basis = (
        f"backup copy in {region}: ({_fmt(storage_gb)} GB + {_fmt(retention)} d × {daily_basis}) × ${_fmt(rate)} "
        f"= {_money(storage_cost)}; transfer {source_region}→{region} {_fmt(transfer_gb)} GB/month × ${_fmt(tx_rate)}"
        f" = {_money(transfer_cost)}"
    )
    return storage_cost + transfer_cost, basis


# AWS Backup -----------------------------------------------------------------------------------------

_VAULT_ARN_SUFFIX = ":backup-vault:"


def _plan_instances(ctx: _Ctx, plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The database instances a backup plan's selections name (else the only primary in the stack)."""
    ids = {str(v) for v in (plan.get("id"), plan["props"].get("name"), plan["name"]) if isinstance(v, str)}
    refs = [
        ref
        for sel in ctx.by_type.get("aws:backup/selection:Selection", [])
        if _plain(sel["props"].get("planId")) in ids
        for ref in (_plain(sel["props"].get("resources")) or [])
    ]
    found = [src for src in (_source_of(ctx, ref) for ref in refs) if src is not None]
    if not found and (only := _source_of(ctx, None)) is not None:
        found = [only]
    return list({id(src): src for src in found}.values())


def _rule_days(rule: Mapping[str, Any], copy: Mapping[str, Any] | None = None) -> float:
    """Days a rule's (or its copy's) recovery points are kept; a copy without a lifecycle keeps the source's."""
    own = (copy or {}).get("lifecycle") or rule.get("lifecycle") or {}
    days = _plain(own.get("deleteAfter")) if isinstance(own, Mapping) else None
    if is_unknown(days):
        raise Unpriced("backup lifecycle not known until deploy")
    if days is None:
        raise Unpriced("a backup rule without lifecycle.deleteAfter keeps recovery points forever")
    return float(days)


def _snapshot_gb(ctx: _Ctx, db: Mapping[str, Any], days: float) -> tuple[float, str]:
    storage = _number(db["props"], "allocatedStorage")
    daily, daily_basis = _daily_change_gb(ctx, storage, db["name"])
    return storage + days * daily, f"{db['name']}: ({_fmt(storage)} GB + {_fmt(days)} d × {daily_basis})"


def _price_backup_vault(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    """Snapshot storage in one vault: the full first snapshot plus the daily changes it keeps, per database, for
    the rules that target it and the copies other regions send it."""
    region, name = _region(r), _get(r["props"], "name", r["name"])
    stored, parts = 0.0, []
    for plan in ctx.by_type.get("aws:backup/plan:Plan", []):
        rules = _get(plan["props"], "rules", [])
        for rule in rules if isinstance(rules, list) else []:
            sources = []
            if _plain(rule.get("targetVaultName")) == name:
                sources.append((_rule_days(rule), "snapshots"))
            for copy in rule.get("copyActions") or []:
                dest = _plain(copy.get("destinationVaultArn"))
                if is_unknown(dest):
                    raise Unpriced("copy destination not known until deploy")
                if isinstance(dest, str) and dest.endswith(f"{_VAULT_ARN_SUFFIX}{name}"):
                    sources.append((_rule_days(rule, copy), f"copies from {plan.get('region')}"))
            for days, what in sources:
                for db in _plan_instances(ctx, plan):
                    gb, basis = _snapshot_gb(ctx, db, days)
                    stored += gb
                    parts.append(f"{what} of {basis}")
    rate = ctx.price("backup.rdsSnapshotGbMonth", region)
    if not parts:
        return 0.0, f"no backup rule or copy stores into {name} (${_fmt(rate)} per GB-month when one does)"
    cost = stored * rate
    return cost, f"{'; '.join(parts)} = {_fmt(round(stored, 1))} GB in {region} × ${_fmt(rate)} = {_money(cost)}"


def _price_backup_plan(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    """Cross-region copies: each day's changed blocks leave the plan's region (copies are incremental)."""
    region = _region(r)
    rules = _get(r["props"], "rules", [])
    gb, parts = 0.0, []
    for rule in rules if isinstance(rules, list) else []:
        for copy in rule.get("copyActions") or []:
            dest = _plain(copy.get("destinationVaultArn"))
            if is_unknown(dest):
                raise Unpriced("copy destination not known until deploy")
            dest_region = str(dest).split(":")[3] if isinstance(dest, str) and dest.count(":") >= 4 else None
            if dest_region == region:
                continue
            for db in _plan_instances(ctx, r):
                daily, daily_basis = _daily_change_gb(ctx, _number(db["props"], "allocatedStorage"), db["name"])
                gb += daily * DAYS_PER_MONTH
                parts.append(f"{db['name']} {daily_basis} × {DAYS_PER_MONTH} d to {dest_region}")
    if not parts:
        return 0.0, "no cross-region copy (scheduling is free; recovery points bill on the vaults)"
    rate = ctx.price("transfer.interRegionGb", region)
    cost = gb * rate
    return cost, (
        f"cross-region copy transfer {'; '.join(parts)} = {_fmt(gb)} GB/month × ${_fmt(rate)} = {_money(cost)}"
        " (the first full copy is a one-off)"
    )


def _price_restore_testing_plan(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    """Each run restores the database, keeps it for validation, then AWS Backup deletes it: the job fee plus the
    restored instance's hours (single-AZ, the source's class) and its storage for those hours."""
    from contract.cron import CronError, aws_period_seconds

    region = _region(r)
    schedule = _get(r["props"], "scheduleExpression")
    try:
        runs = DAYS_PER_MONTH * 86400 / aws_period_seconds(str(schedule))
    except CronError as e:
        raise Unpriced(f"scheduleExpression: {e}") from None
    db = _source_of(ctx, None)
    if db is None:
        raise Unpriced("cannot tell which database it restores (not exactly one primary instance)")
    windows = [
        _number(sel["props"], "validationWindowHours", 0)
        for sel in ctx.by_type.get("aws:backup/restoreTestingSelection:RestoreTestingSelection", [])
    ]
    hours = ctx.assumption("restoreTestHoursPerRun", [r["name"]], required=False)
    hours_basis = "restoreTestHoursPerRun"
    if hours is None:
        hours = RESTORE_TEST_RESTORE_HOURS + max(windows, default=0)
        hours_basis = f"{_fmt(RESTORE_TEST_RESTORE_HOURS)} h restore + {_fmt(max(windows, default=0))} h window"
    cls = _get(db["props"], "instanceClass")
    engine = str(_get(db["props"], "engine", "postgres"))
    engine = "postgres" if engine.startswith("postgres") else engine
    instance = ctx.price(f"rds.instanceHour.{engine}.{cls}", region) * hours
    storage_gb = _number(db["props"], "allocatedStorage")
    stype = str(_get(db["props"], "storageType") or "gp2")
    storage = storage_gb * ctx.price(f"rds.storageGbMonth.{stype}", region) * hours / ctx.hours
    fee = ctx.price("backup.restoreTestJob", region)
    per_run = instance + storage + fee
    cost = runs * per_run
    return cost, (
        f"{_fmt(round(runs, 2))} runs/month × (test job ${_fmt(fee)} + {cls} {_fmt(hours)} h ({hours_basis}) "
        f"{_money(instance)} + {_fmt(storage_gb)} GB {stype} for those hours {_money(storage)}) = {_money(cost)}"
    )


def _price_backup_framework(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    region = _region(r)
    controls = _get(r["props"], "controls", [])
    n = len(controls) if isinstance(controls, list) else 0
    evaluations = ctx.assumption("backupAuditEvaluationsPerMonth", [r["name"]], required=False)
    basis = "backupAuditEvaluationsPerMonth"
    if evaluations is None:
        evaluations = n * AUDIT_EVALUATIONS_PER_CONTROL_PER_MONTH
        basis = f"{n} controls × {AUDIT_EVALUATIONS_PER_CONTROL_PER_MONTH} daily evaluations"
    rate = ctx.price("backup.auditControlEvaluation", region)
    ctx.partly_unpriced(r, "AWS Config recording of the AWS Backup resource types (account prerequisite) not modelled")
    cost = evaluations * rate
    return cost, f"{_fmt(evaluations)} control evaluations ({basis}) × ${_fmt(rate)} = {_money(cost)}"


# S3 -------------------------------------------------------------------------------------------------


def _purpose_candidates(ctx: _Ctx, r: Mapping[str, Any], tag: Any, keys_of: str) -> list[str]:
    """Assumption keys that may describe this bucket: its data-class tag, then purposes named in its names."""
    out: list[str] = []
    raw = ctx.assumptions.get(keys_of)
    keys = [k for k in raw if k != "default"] if isinstance(raw, Mapping) else []
    if isinstance(tag, str) and not is_unknown(tag):
        out.append(tag)
        out += [k for k in keys if k != tag and (k.startswith(tag) or tag.startswith(k))]
    names = [r["name"], *(v for v in (r["props"].get("bucket"),) if isinstance(v, str) and not is_unknown(v))]
    out += [k for k in sorted(keys, key=len, reverse=True) if k not in out and any(k in n for n in names)]
    return out


def _price_bucket(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    region = _region(r)
    tags = r["props"].get("tags") if isinstance(r["props"].get("tags"), Mapping) else {}
    cands = _purpose_candidates(ctx, r, tags.get("data-class"), "s3StorageGb")
    gb, used = ctx.assumption_with_key("s3StorageGb", cands)
    cls_raw = ctx.assumptions.get("s3StorageClass")
    cls = "STANDARD"
    if isinstance(cls_raw, str):
        cls = cls_raw
    elif isinstance(cls_raw, Mapping):
        cls = next((str(cls_raw[k]) for k in [*cands, "default"] if k in cls_raw), "STANDARD")
    rate = ctx.price(f"s3.storageGbMonth.{cls}", region)
    cost = (gb or 0.0) * rate
    return cost, f"{cls} {_fmt(gb or 0)} GB ({used}) in {region} × ${_fmt(rate)} = {_money(cost)}"


def _bucket_of(ctx: _Ctx, ref: Any) -> dict[str, Any] | None:
    if not isinstance(ref, str) or is_unknown(ref):
        return None
    for b in ctx.by_type.get("aws:s3/bucket:Bucket", []):
        if ref in (b["props"].get("bucket"), b["name"]):
            return b
    return None


def _rules(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    rules = _get(props, "rules", [])
    if not isinstance(rules, list):
        raise Unpriced("rules not known until deploy")
    return [x for x in rules if isinstance(x, Mapping)]


def _enabled(block: Any) -> bool:
    return isinstance(block, Mapping) and str(block.get("status", "")).lower() == "enabled"


def _price_replication(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    region = _region(r)
    bucket = _bucket_of(ctx, r["props"].get("bucket"))
    tags = bucket["props"].get("tags") if bucket and isinstance(bucket["props"].get("tags"), Mapping) else {}
    probe = {"name": r["name"], "props": bucket["props"] if bucket else {}}
    cands = _purpose_candidates(ctx, probe, tags.get("data-class"), "s3ReplicationGbPerMonth")
    gb = ctx.assumption("s3ReplicationGbPerMonth", cands) or 0.0
    rules = _rules(r["props"])
    tx_rate = ctx.price("transfer.interRegionGb", region)
    cost = gb * tx_rate
    parts = [f"{_fmt(gb)} GB/month cross-region from {region} × ${_fmt(tx_rate)} = {_money(cost)}"]
    dests = [x.get("destination") for x in rules if isinstance(x.get("destination"), Mapping)]
    if any(_enabled(d.get("replicationTime")) for d in dests if isinstance(d, Mapping)):
        rtc = ctx.price("s3.rtcGb", region)
        cost += gb * rtc
        parts.append(f"RTC {_fmt(gb)} GB × ${_fmt(rtc)} = {_money(gb * rtc)}")
    metric_rules = sum(1 for d in dests if isinstance(d, Mapping) and _enabled(d.get("metrics")))
    if metric_rules:
        per = ctx.price("cloudwatch.customMetricMonth", region)
        m = metric_rules * S3_REPLICATION_METRICS_PER_RULE * per
        cost += m
        parts.append(
            f"replication metrics {metric_rules} rule(s) × {S3_REPLICATION_METRICS_PER_RULE} × ${_fmt(per)}"
            f" = {_money(m)}"
        )
    parts.append("replica storage is priced on the replica bucket; replication PUT requests not modelled")
    return cost, "; ".join(parts)


# Route53 --------------------------------------------------------------------------------------------

_AWS_HOST_SUFFIXES = (".amazonaws.com", ".cloudfront.net", ".awsglobalaccelerator.com", ".on.aws")


def _price_zone(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    p = ctx.price("route53.hostedZoneMonth", None)
    return p, f"hosted zone created by this stack {_money(p)} (existing zones are not counted)"


def _price_health_check(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    props = r["props"]
    kind = str(_get(props, "type", "HTTP")).upper()
    if kind in ("CALCULATED", "CLOUDWATCH_METRIC", "RECOVERY_CONTROL"):
        endpoint, why = "aws", f"{kind} check (AWS rate)"
    else:
        host = _get(props, "fqdn") or ""
        if str(host).endswith(_AWS_HOST_SUFFIXES):
            endpoint, why = "aws", f"AWS endpoint {host}"
        else:
            endpoint = str(ctx.assumptions.get("route53HealthCheckEndpoint", "non-aws")).lower()
            endpoint = "aws" if endpoint == "aws" else "non-aws"
            given = "route53HealthCheckEndpoint" in ctx.assumptions
            why = f"{endpoint} endpoint (route53HealthCheckEndpoint{'' if given else ' default'})"
    suffix = "aws" if endpoint == "aws" else "nonAws"
    base = ctx.price(f"route53.healthCheckMonth.{suffix}", None)
    features = []
    if kind in ("HTTPS", "HTTPS_STR_MATCH"):
        features.append("HTTPS")
    if kind.endswith("STR_MATCH"):
        features.append("string matching")
    if _number(props, "requestInterval", 30) == 10:
        features.append("fast interval")
    if _get(props, "measureLatency", False):
        features.append("latency measurement")
    feature = ctx.price(f"route53.healthCheckFeatureMonth.{suffix}", None)
    cost = base + len(features) * feature
    extra = f" + {len(features)} × ${_fmt(feature)} ({', '.join(features)})" if features else ""
    return cost, f"{why}: ${_fmt(base)}{extra} = {_money(cost)}"


def _is_alias(props: Mapping[str, Any]) -> bool:
    aliases = props.get("aliases")
    return bool(aliases) and not is_unknown(aliases)


def _price_record(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    props = r["props"]
    if _is_alias(props):
        return 0.0, "alias queries to AWS resources are free"
    name = str(_get(props, "name", r["name"]))
    if name.startswith("_"):
        return 0.0, "validation record: queried only by ACM (negligible)"
    paying = [
        x
        for x in ctx.by_type.get("aws:route53/record:Record", [])
        if not _is_alias(x["props"]) and not str(_plain(x["props"].get("name", x["name"]))).startswith("_")
    ]
    total_q = ctx.assumption("route53QueriesMillionsPerMonth")
    share = (total_q or 0.0) / max(1, len(paying))
    kind = "standard"
    if props.get("latencyRoutingPolicies"):
        kind = "latency"
    elif props.get("geolocationRoutingPolicies") or props.get("geoproximityRoutingPolicy"):
        kind = "geo"
    rate = ctx.price(f"route53.queriesMillion.{kind}", None)
    cost = share * rate
    return cost, (
        f"{_fmt(round(share, 4))} M {kind} queries (route53QueriesMillionsPerMonth / {len(paying)} non-alias records)"
        f" × ${_fmt(rate)} = {_money(cost)}"
    )


# WAF, CloudFront -------------------------------------------------------------------------------------


def _waf_rules(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw_json = _get(props, "ruleJson")
    if raw_json:
        try:
            parsed = json.loads(raw_json)
        except ValueError:
            raise Unpriced("ruleJson is not valid JSON") from None
        return [x for x in parsed if isinstance(x, Mapping)] if isinstance(parsed, list) else []
    return _rules(props)


def _managed_group(rule: Mapping[str, Any]) -> Mapping[str, Any]:
    stmt = rule.get("statement") or rule.get("Statement") or {}
    if not isinstance(stmt, Mapping):
        return {}
    group = stmt.get("managedRuleGroupStatement") or stmt.get("ManagedRuleGroupStatement") or {}
    return group if isinstance(group, Mapping) else {}


def _bot_control_level(group: Mapping[str, Any]) -> str:
    for cfg in group.get("managedRuleGroupConfigs") or group.get("ManagedRuleGroupConfigs") or []:
        if not isinstance(cfg, Mapping):
            continue
        bot = cfg.get("awsManagedRulesBotControlRuleSet") or cfg.get("AWSManagedRulesBotControlRuleSet")
        if isinstance(bot, Mapping):
            level = bot.get("inspectionLevel") or bot.get("InspectionLevel")
            if isinstance(level, str) and not is_unknown(level):
                return level.upper()
    return "COMMON"


def _price_web_acl(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    rules = _waf_rules(r["props"])
    acl, per_rule = ctx.price("waf.webAclMonth", None), ctx.price("waf.ruleMonth", None)
    scope = _plain(r["props"].get("scope"))
    keys = [k for k in (r["name"], scope, r.get("region")) if isinstance(k, str) and not is_unknown(k)]
    req_m, used = ctx.assumption_with_key("wafRequestsMillionsPerMonth", keys)
    req_m = req_m or 0.0
    req_rate = ctx.price("waf.requestsMillion", None)
    cost = acl + len(rules) * per_rule + req_m * req_rate
    parts = [
        f"web ACL ${_fmt(acl)} + {len(rules)} rules × ${_fmt(per_rule)} + {_fmt(req_m)} M requests ({used}) × "
        f"${_fmt(req_rate)} = {_money(cost)}"
    ]
    for rule in rules:
        group = _managed_group(rule)
        name = str(group.get("name") or group.get("Name") or "")
        if name == "AWSManagedRulesBotControlRuleSet":
            level = _bot_control_level(group)
            sub = ctx.price("waf.botControlMonth", None)
            per_m = ctx.price(f"waf.botControlRequestsMillion.{level}", None)
            # Bot Control bills only the requests its scope-down lets in (AWS WAF pricing; Developer Guide,
            # "Using scope-down statements"); without a stated share, every request is the upper bound.
            inspected, how = req_m, "all requests assumed in scope"
            if waf.get(group, "scopeDownStatement") is not None:
                scoped, scoped_key = ctx.assumption_with_key(
                    "wafBotControlRequestsMillionsPerMonth", keys, required=False
                )
                if scoped is not None:
                    inspected, how = scoped, f"only requests its scope-down admits, {scoped_key}"
                else:
                    how = "scoped down, but no wafBotControlRequestsMillionsPerMonth: all requests assumed"
            bot = sub + inspected * per_m
            cost += bot
            parts.append(
                f"Bot Control ({level}) ${_fmt(sub)} + {_fmt(inspected)} M × ${_fmt(per_m)} = {_money(bot)} ({how})"
            )
        elif name in ("AWSManagedRulesATPRuleSet", "AWSManagedRulesACFPRuleSet"):
            ctx.partly_unpriced(r, f"{name} subscription and request fees are not in prices.json")
    try:
        wcu = waf.capacity(rules)
    except waf.Unsupported as e:
        parts.append(f"capacity not modelled ({e})")
    else:
        parts.append(f"{wcu} WCU of the {waf.BASE_PRICE_WCU} the base price covers")
        if wcu > waf.BASE_PRICE_WCU:
            ctx.partly_unpriced(r, f"{wcu} WCU: the fee per 500 WCU above {waf.BASE_PRICE_WCU} is not in prices.json")
    return cost, "; ".join(parts)


def _price_distribution(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    req_m = ctx.assumption("cloudfrontRequestsMillionsPerMonth")
    gb = ctx.assumption("cloudfrontTransferGbPerMonth")
    req_rate, gb_rate = ctx.price("cloudfront.requestsMillion", None), ctx.price("cloudfront.transferGb", None)
    cost = (req_m or 0) * req_rate + (gb or 0) * gb_rate
    return cost, (
        f"{_fmt(req_m or 0)} M HTTPS requests × ${_fmt(req_rate)} + {_fmt(gb or 0)} GB × ${_fmt(gb_rate)} "
        f"= {_money(cost)} (US rates, free tier not applied)"
    )


# Small fixed-fee resources ----------------------------------------------------------------------------


def _fixed(key: str, what: str) -> Pricer:
    def price(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
        p = ctx.price(key, _region(r))
        return p, f"{what} {_money(p)}"

    return price


def _price_secret(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    p = ctx.price("secretsmanager.secretMonth", _region(r))
    replicas = _get(r["props"], "replicas", [])
    n = 1 + (len(replicas) if isinstance(replicas, list) else 0)
    return p * n, f"{n} × secret ${_fmt(p)} = {_money(p * n)}" + (" (incl. replica regions)" if n > 1 else "")


def _price_alarm(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    props, region = r["props"], _region(r)
    queries = _get(props, "metricQueries", [])
    if queries:
        metrics = [q for q in queries if isinstance(q, Mapping) and q.get("metric")]
        periods = [float(_plain(q["metric"].get("period") or 60)) for q in metrics]
        n = len(metrics)
    else:
        n, periods = 1, [_number(props, "period", 60)]
    if _get(props, "thresholdMetricId"):
        n += 2  # anomaly detection band: the metric plus upper and lower bound
    high = any(p < 60 for p in periods)
    rate = ctx.price(f"cloudwatch.alarmMetricMonth.{'highResolution' if high else 'standard'}", region)
    kind = "high-resolution" if high else "standard"
    return n * rate, f"{n} {kind} alarm metric(s) × ${_fmt(rate)} = {_money(n * rate)}"


def _usage_based(key: str, rate_key: Callable[[Mapping[str, Any]], str], what: str) -> Pricer:
    def price(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
        region = _region(r)
        name = _plain(r["props"].get("name"))
        names = [n for n in (name, r["name"]) if isinstance(n, str) and not is_unknown(n)]
        volume = ctx.assumption(key, names, required=False)
        rate = ctx.price(rate_key(r["props"]), region)
        if volume is None:
            return 0.0, (
                f"{what} at ${_fmt(rate)} per million; no {key} assumption — alert/event volumes stay far "
                "below 1 M/month (inside the account's free tier)"
            )
        return volume * rate, f"{_fmt(volume)} M {what} ({key}) × ${_fmt(rate)} = {_money(volume * rate)}"

    return price


def _price_log_group(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    region = _region(r)
    name = _plain(r["props"].get("name"))
    names = [n for n in (name, r["name"]) if isinstance(n, str) and not is_unknown(n)]
    gb = ctx.assumption("cloudwatchLogsGbPerMonth", names) or 0.0
    vended = isinstance(name, str) and name.startswith(VENDED_LOG_GROUP_PREFIXES)
    ingest_rate = ctx.price("logs.vendedIngestGb" if vended else "logs.ingestGb", region)
    store_rate = ctx.price("logs.storageGbMonth", region)
    days = _number(r["props"], "retentionInDays", 0) or UNBOUNDED_LOG_RETENTION_DAYS
    stored = gb * days / DAYS_PER_MONTH
    cost = gb * ingest_rate + stored * store_rate
    note = "" if r["props"].get("retentionInDays") else " (no retention: a year of growth shown)"
    kind = "vended-log ingest" if vended else "ingest"
    return cost, (
        f"{kind} {_fmt(gb)} GB × ${_fmt(ingest_rate)} + stored {_fmt(round(stored, 2))} GB × ${_fmt(store_rate)}{note}"
        f" = {_money(cost)}"
    )


def _price_lambda(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    """Requests plus GB-seconds (architecture rate) at the assumed volume; no volume assumption → $0 with the rates."""
    props, region = r["props"], _region(r)
    name = _plain(props.get("name"))
    names = [n for n in (name, r["name"]) if isinstance(n, str) and not is_unknown(n)]
    arch = (_get(props, "architectures", ["x86_64"]) or ["x86_64"])[0]
    memory_gb = _number(props, "memorySize", 128) / 1024
    per_request = ctx.price("lambda.requestsMillion", region)
    per_gb_second = ctx.price(f"lambda.gbSecond.{arch}", region)
    rate = f"{per_gb_second:.10f}".rstrip("0")  # not 1.33334e-05
    invocations = ctx.assumption("lambdaInvocationsPerMonth", names, required=False)
    if not invocations:
        return 0.0, (
            f"${_fmt(per_request)} per million requests + ${rate} per GB-second ({arch}); no "
            "lambdaInvocationsPerMonth assumption — event-driven (a Region switch execution, a restore test)"
        )
    seconds = ctx.assumption("lambdaAverageSeconds", names, required=False) or _number(props, "timeout", 3)
    compute = invocations * seconds * memory_gb * per_gb_second
    requests = invocations / 1e6 * per_request
    return compute + requests, (
        f"{_fmt(invocations)} invocations × {_fmt(seconds)} s × {_fmt(memory_gb)} GB × ${rate} "
        f"({arch}) + {_fmt(invocations / 1e6)} M requests × ${_fmt(per_request)} = {_money(compute + requests)}"
    )


# rate(N minute|minutes|hour) — the only schedule form components/canaries.py writes (CanaryScheduleInput).
_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour)\)")


def _price_canary(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    """CloudWatch Synthetics: every run is billed; runs per month follow the schedule's rate."""
    expression = _get(_get(r["props"], "schedule", {}) or {}, "expression")
    m = _RATE.fullmatch(expression) if isinstance(expression, str) else None
    if m is None:
        raise Unpriced(f"canary schedule {expression!r} is not a rate(N minutes) expression")
    minutes = int(m.group(1)) * (60 if m.group(2) == "hour" else 1)
    if minutes == 0:  # rate(0 minute): one run when started
        return 0.0, "runs once when started"
    runs = DAYS_PER_MONTH * 24 * 60 / minutes
    rate = ctx.price("synthetics.canaryRun", _region(r))
    return runs * rate, f"{_fmt(runs)} runs/month ({expression}) × ${_fmt(rate)} = {_money(runs * rate)}"


# The drill runs each FIS experiment template about once a month (the monthly stage drill, .github/workflows/
# dr-drill.yml); a template itself is free, FIS bills action-minutes while an experiment runs.
FIS_RUNS_PER_MONTH = 1
# An action without a duration parameter (a reboot) completes within a minute; FIS rounds to the nearest minute.
FIS_INSTANT_ACTION_MINUTES = 1.0


def _iso_minutes(text: str) -> float | None:
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", text)
    if not m or not any(m.groups()):
        return None
    hours, minutes, seconds = (int(g or 0) for g in m.groups())
    return hours * 60 + minutes + seconds / 60


def _price_fis_template(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    """Action-minutes of one run (each action's duration parameter, else one minute) × runs per month × rate."""
    rate = ctx.price("fis.actionMinute", _region(r))
    minutes = 0.0
    for action in _plain(_get(r["props"], "actions", [])) or []:
        params = {p.get("key"): p.get("value") for p in action.get("parameters") or []}
        duration = params.get("duration")
        if is_unknown(duration):
            raise Unpriced("the action duration is not known until deploy")
        minutes += (_iso_minutes(duration) if isinstance(duration, str) else None) or FIS_INSTANT_ACTION_MINUTES
    cost = minutes * FIS_RUNS_PER_MONTH * rate
    return cost, (
        f"{_fmt(minutes)} action-minute(s) per run × {FIS_RUNS_PER_MONTH} run(s)/month (monthly drill) × "
        f"${_fmt(rate)} = {_money(cost)}"
    )


def _price_parameter(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    tier = str(_get(r["props"], "tier", "Standard"))
    if tier.lower() == "advanced":
        p = ctx.price("ssm.advancedParameterMonth", _region(r))
        return p, f"advanced parameter {_money(p)}"
    return 0.0, "free: standard-tier parameters are free"


def _records_data_events(props: Mapping[str, Any]) -> bool:
    """Whether a trail's selectors (advanced or basic) select any data events."""
    for sel in _get(props, "advancedEventSelectors", []) or []:
        for fs in (sel.get("fieldSelectors") or []) if isinstance(sel, Mapping) else []:
            if isinstance(fs, Mapping) and fs.get("field") == "eventCategory" and "Data" in (fs.get("equals") or []):
                return True
    basic = _get(props, "eventSelectors", []) or []
    return any(isinstance(sel, Mapping) and sel.get("dataResources") for sel in basic)


def _price_trail(r: dict[str, Any], ctx: _Ctx) -> tuple[float, str]:
    """CloudTrail: the first copy of management events is free; data events bill per event, every copy."""
    props = r["props"]
    extra = ctx.assumption("cloudtrailAdditionalManagementEventsMillionsPerMonth", required=False) or 0.0
    cost, parts = 0.0, []
    if extra:
        rate = ctx.price("cloudtrail.extraManagementEventsMillion", _region(r))
        cost += extra * rate
        parts.append(f"{_fmt(extra)} M management events (additional copy) × ${_fmt(rate)}")
    else:
        parts.append("management events: first copy free")
    if _records_data_events(props):
        events = ctx.assumption("cloudtrailDataEventsMillionsPerMonth") or 0.0
        rate = ctx.price("cloudtrail.dataEventsMillion", _region(r))
        cost += events * rate
        parts.append(f"{_fmt(events)} M data events (cloudtrailDataEventsMillionsPerMonth) × ${_fmt(rate)}")
    return cost, " + ".join(parts) + f" = {_money(cost)} (log storage bills on the bucket)"


PRICERS: dict[str, Pricer] = {
    "aws:rds/instance:Instance": _price_rds_instance,
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": _price_backup_replication,
    "aws:s3/bucket:Bucket": _price_bucket,
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": _price_replication,
    "aws:route53/zone:Zone": _price_zone,
    "aws:route53/healthCheck:HealthCheck": _price_health_check,
    "aws:route53/record:Record": _price_record,
    "aws:wafv2/webAcl:WebAcl": _price_web_acl,
    "aws:cloudfront/distribution:Distribution": _price_distribution,
    "aws:kms/key:Key": _fixed("kms.keyMonth", "customer managed key (first year; rotations add up to $2)"),
    "aws:kms/replicaKey:ReplicaKey": _fixed("kms.keyMonth", "multi-Region replica key"),
    "aws:secretsmanager/secret:Secret": _price_secret,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _price_alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _fixed("cloudwatch.compositeAlarmMonth", "composite alarm"),
    "aws:cloudwatch/dashboard:Dashboard": _fixed("cloudwatch.dashboardMonth", "dashboard"),
    "aws:cloudtrail/trail:Trail": _price_trail,
    "aws:cloudwatch/logGroup:LogGroup": _price_log_group,
    "aws:sqs/queue:Queue": _usage_based(
        "sqsRequestsMillionsPerMonth",
        lambda p: "sqs.requestsMillion.fifo" if p.get("fifoQueue") is True else "sqs.requestsMillion.standard",
        "requests",
    ),
    "aws:sns/topic:Topic": _usage_based("snsPublishesMillionsPerMonth", lambda p: "sns.publishesMillion", "publishes"),
    "aws:ssm/parameter:Parameter": _price_parameter,
    "aws:lambda/function:Function": _price_lambda,
    "aws:synthetics/canary:Canary": _price_canary,
    "aws:fis/experimentTemplate:ExperimentTemplate": _price_fis_template,
    "aws:arcregionswitch/plan:Plan": _fixed("arcregionswitch.planMonth", "ARC Region switch plan"),
    "aws:backup/vault:Vault": _price_backup_vault,
    "aws:backup/plan:Plan": _price_backup_plan,
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": _price_restore_testing_plan,
    "aws:backup/framework:Framework": _price_backup_framework,
}


def _free_reason(typ: str) -> str | None:
    if typ in FREE_TYPES:
        return FREE_TYPES[typ]
    if typ in PRICERS:
        return None
    return next((why for prefix, why in FREE_PREFIXES.items() if typ.startswith(prefix)), None)


def is_component(typ: str) -> bool:
    """Component resources have no "/" in the module part of their type token (`summit:storage:ReplicatedBucket`)."""
    parts = typ.split(":")
    return len(parts) == 3 and "/" not in parts[1]


def estimate(
    resources: Iterable[Mapping[str, Any]],
    assumptions: Mapping[str, Any] | None,
    prices: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Monthly USD per resource and in total, plus what could not be priced and why."""
    res = [dict(r) for r in resources]
    ctx = _Ctx(res, assumptions or {}, prices if prices is not None else load_prices())
    items: list[dict[str, Any]] = []
    unpriced: list[dict[str, Any]] = []
    for r in res:
        typ = str(r.get("type", ""))
        r.setdefault("props", {})
        r["props"] = r["props"] if isinstance(r["props"], Mapping) else {}
        pkg = typ.split(":", 1)[0]
        if typ.startswith("pulumi:") or is_component(typ):
            continue
        if pkg == "kubernetes":
            unpriced.append({"urn": r["urn"], "type": typ, "reason": "runs on existing cluster nodes (see Kubecost)"})
            continue
        free = _free_reason(typ)
        if free is None and pkg in LOCAL_PACKAGES:
            free = f"{pkg} values are generated by Pulumi, not billed"
        if free is not None:
            items.append(_item(r, 0.0, f"free: {free}"))
            continue
        pricer = PRICERS.get(typ)
        if pricer is None:
            unpriced.append({"urn": r["urn"], "type": typ, "reason": f"no price model for {typ}"})
            continue
        try:
            monthly, basis = pricer(r, ctx)
        except Unpriced as e:
            unpriced.append({"urn": r["urn"], "type": typ, "reason": str(e)})
            continue
        if not math.isfinite(monthly) or monthly < 0:
            unpriced.append({"urn": r["urn"], "type": typ, "reason": f"model produced {monthly!r}"})
            continue
        items.append(_item(r, monthly, basis))
    unpriced += ctx.partial
    items.sort(key=lambda i: (-i["monthly"], i["type"], i["name"]))
    return {
        "currency": "USD",
        "total": round(sum(i["monthly"] for i in items), 2),
        "items": items,
        "unpriced": unpriced,
        "pricesTaken": ctx.prices.get("taken"),
    }


def _item(r: Mapping[str, Any], monthly: float, basis: str) -> dict[str, Any]:
    region = r.get("region")
    return {
        "urn": r["urn"],
        "type": r["type"],
        "name": r["name"],
        "region": None if is_unknown(region) else region,
        "monthly": round(monthly, 2),
        "basis": basis,
    }
