"""The recovery budget: how long a regional failover takes (RTO) and how much data it can lose (RPO), read off
the resource properties of a stack, term by term, and compared with the stack's objectives.

RTO, when the stack has an ARC Region switch plan, is the sum of the steps of the plan's failover workflow (the
`activate` workflow of the DR region) plus what happens around it, one term per step kind, each with its basis:
- detection: the PRIMARY failover record's health check, requestInterval × failureThreshold (AWS defaults
  30 s × 3 when unset); a CloudWatch-alarm health check takes its alarm's period × evaluationPeriods; a CALCULATED
  check fails when enough of its children fail (the fastest children in the stack decide). With several services
  (gateway, wallet, …) the slowest one counts: the region is back when all are.
- approval: the ManualApproval step's timeoutMinutes — the longest the plan waits for a person (0 without one).
- dbPromotion: the `dbPromotionSeconds` estimate (drill-measured, per stack), bounded by the RdsPromoteReadReplica
  step's timeoutMinutes (the plan gives up then).
- endpointSwitch: the CustomActionLambda step's timeoutMinutes (re-pointing the writer endpoint).
- drCapacity: the EKSResourceScaling step's timeoutMinutes, when the plan scales DR workloads.
- dns: resolvers keep the old answer until it expires — 60 s for alias records (Route53 answers aliases with
  a 60 s TTL), else the record's TTL — after the plan's Route53HealthCheck step or the health check moved it.
- appReconnect: `objectives["appReconnectSeconds"]`, the application's allowance to reconnect to the new writer.
Steps in a Parallel block overlap: a block counts with its slowest member. Without a plan the terms are detection,
dns, dbPromotion (the estimate) and appReconnect.

RPO per data class:
- `database`: the threshold of the `ReplicaLag` CloudWatch alarm on the cross-region replica (lag beyond it
  pages someone, so it is the loss the stack accepts); unbounded without a replica or without the alarm.
- `s3:<purpose>` (one per bucket data-class): 900 s when the bucket's replication uses Replication Time
  Control (S3's 15-minute SLA); unbounded when replication has no time bound or is missing.
- `cluster-state:<namespaces>`: per group of namespaces, the gap between runs of the most frequent Velero
  schedule that backs them up (cron, contract/cron.py) — e.g. 1 h for the stateful namespaces the hourly
  schedule snapshots, 24 h for those only the nightly one holds. `*` = every namespace no schedule names.
  Each entry lists its `namespaces`; the objective is looked up by the full class, then `cluster-state`.

Which objective applies to which class: the seeds' 5-minute RPO ("latest tx id vs. replica") is about the
database. S3 cannot promise better than RTC's 15 minutes, and cluster state is declarative (rebuilt from git
and Helm; Velero covers the rest nightly). So `objectives["rpoSeconds"]` applies to `database` and to any
class without its own objective; `s3` and `cluster-state` default to `CLASS_RPO_DEFAULTS`, and
`objectives["rpoSecondsByClass"]` ({class or "s3": seconds, or None for "no objective"}) overrides both.
Every term carries its basis; a missing piece is reported (seconds None, ok False) rather than guessed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from contract.cron import CronError, period_seconds
from contract.recovery import (
    APP_RECONNECT_KEY,
    DB_PROMOTION_KEY,
    RPO_BY_CLASS_KEY,
    RPO_KEY,
    RTC_MINUTES,
    RTC_SECONDS,
    RTO_KEY,
)
from contract.values import is_unknown, reveal

ALIAS_TTL_SECONDS = 60
DEFAULT_REQUEST_INTERVAL = 30  # Route53 health check defaults
DEFAULT_FAILURE_THRESHOLD = 3
CLASS_RPO_DEFAULTS: dict[str, int] = {"s3": RTC_SECONDS, "cluster-state": 86400}

HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RDS = "aws:rds/instance:Instance"
BUCKET = "aws:s3/bucket:Bucket"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
TRAIL = "aws:cloudtrail/trail:Trail"
VELERO_SCHEDULE = "kubernetes:velero.io/v1:Schedule"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
PLAN = "aws:arcregionswitch/plan:Plan"
# Execution block type -> the RTO term it adds (kinds absent here do not sit on the failover's clock).
STEP_TERMS = {
    "ManualApproval": "approval",
    "RdsPromoteReadReplica": "dbPromotion",
    "CustomActionLambda": "endpointSwitch",
    "EKSResourceScaling": "drCapacity",
}
STEP_CONFIGS = {
    "ManualApproval": "executionApprovalConfigs",
    "RdsPromoteReadReplica": "rdsPromoteReadReplicaConfigs",
    "CustomActionLambda": "customActionLambdaConfigs",
    "EKSResourceScaling": "eksResourceScalingConfigs",
    "Route53HealthCheck": "route53HealthCheckConfigs",
    "RdsCreateCrossRegionReplica": "rdsCreateCrossRegionReadReplicaConfigs",
}


def _v(value: Any) -> Any:
    """A plain, known value, or None (unknown values and secrets' wrappers are unwrapped/dropped)."""
    value = reveal(value)
    return None if is_unknown(value) else value


def _num(value: Any) -> float | None:
    value = _v(value)
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _secs(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def _label(r: Mapping[str, Any]) -> str:
    return str(r.get("name") or r.get("urn", "?"))


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{_secs(seconds / size)} {unit}"
    return f"{_secs(seconds)} s"


# --- RTO ---------------------------------------------------------------------------------------------


def _by_type(resources: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for r in resources:
        out.setdefault(str(r.get("type")), []).append(r)
    return out


def _props(r: Mapping[str, Any]) -> Mapping[str, Any]:
    p = r.get("props")
    return p if isinstance(p, Mapping) else {}


def _tags(r: Mapping[str, Any]) -> Mapping[str, Any]:
    t = _props(r).get("tags")
    return t if isinstance(t, Mapping) else {}


def _host_matches(a: str, b: str) -> bool:
    a, b = a.rstrip(".").lower(), b.rstrip(".").lower()
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _failover_role(record: Mapping[str, Any]) -> str | None:
    policies = _v(_props(record).get("failoverRoutingPolicies")) or []
    for p in policies if isinstance(policies, list) else []:
        if isinstance(p, Mapping) and isinstance(_v(p.get("type")), str):
            return str(p["type"]).upper()
    return None


def _check_hosts(check: Mapping[str, Any]) -> list[str]:
    """Hosts a health check says it guards: its service-host tag and the first word of its Name tag."""
    tags = _tags(check)
    hosts = [str(_v(tags.get("service-host")) or "")]
    name = _v(tags.get("Name"))
    if isinstance(name, str) and name.strip():
        hosts.append(name.split()[0])
    return [h for h in hosts if h]


def _host_score(host: str, check: Mapping[str, Any]) -> int:
    """How well a record's host matches a check: 3 same host, 2 same first label, 1 label prefix, 0 none."""
    label = host.split(".", 1)[0].lower()
    best = 0
    for h in _check_hosts(check):
        if _host_matches(h, host):
            best = max(best, 3)
        elif h.split(".", 1)[0].lower() == label:
            best = max(best, 2)
        elif label.startswith(h.split(".", 1)[0].lower() + "-"):
            best = max(best, 1)
    return best


def _health_check_for(record: Mapping[str, Any], checks: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The health check of a PRIMARY record: by id when the dicts carry ids, else by the failover-role and
    service-host/Name tags (the best unambiguous match)."""
    ref = _v(_props(record).get("healthCheckId"))
    if ref:
        by_id = [c for c in checks if ref == c.get("id")]
        if by_id:
            return by_id[0]
    host = str(_v(_props(record).get("name")) or "")
    primaries = [c for c in checks if str(_v(_tags(c).get("failover-role")) or "").lower() == "primary"]
    scored = [(_host_score(host, c), i) for i, c in enumerate(primaries)] if host else []
    top = max((s for s, _ in scored), default=0)
    best = [primaries[i] for s, i in scored if s == top and s > 0]
    if len(best) == 1:
        return best[0]
    if not scored and len(primaries) == 1:
        return primaries[0]
    if not primaries and len(checks) == 1:
        return checks[0]
    return None


def _calculated(
    check: Mapping[str, Any], checks: list[Mapping[str, Any]], alarms: list[Mapping[str, Any]]
) -> tuple[float | None, str]:
    """A CALCULATED check goes unhealthy once fewer than childHealthThreshold children are healthy, i.e. when
    (children − threshold + 1) of them have failed: the that-many fastest detecting children in the stack decide.
    Children outside the stack (a Region switch plan's checks) are flipped by the plan, not by a failure."""
    p, name = _props(check), _label(check)
    children = _v(p.get("childHealthchecks"))
    threshold = _num(p.get("childHealthThreshold"))
    if not isinstance(children, list) or threshold is None:
        return None, f"health check {name} is CALCULATED with children or threshold not known until deploy"
    needed = len(children) - int(threshold) + 1
    found = [(c, _detection(c, alarms, checks)) for c in checks if c.get("id") in children and c is not check]
    known = sorted((d for d in found if d[1][0] is not None), key=lambda d: d[1][0] or 0)
    if needed < 1 or len(known) < needed:
        return None, (
            f"health check {name} is CALCULATED: {needed} of its {len(children)} children must fail, "
            f"{len(known)} of them detect failures in this stack"
        )
    _, (seconds, basis) = known[needed - 1]
    return seconds, f"health check {name} (CALCULATED, {int(threshold)} of {len(children)} healthy) ← {basis}"


def _detection(
    check: Mapping[str, Any], alarms: list[Mapping[str, Any]], checks: list[Mapping[str, Any]] | None = None
) -> tuple[float | None, str]:
    p, name = _props(check), _label(check)
    kind = str(_v(p.get("type")) or "HTTP").upper()
    if kind == "CALCULATED":
        return _calculated(check, checks or [], alarms)
    if kind == "CLOUDWATCH_METRIC":
        alarm_name = _v(p.get("cloudwatchAlarmName"))
        alarm = next((a for a in alarms if alarm_name and _v(_props(a).get("name")) == alarm_name), None)
        if alarm is None:
            return None, f"health check {name} watches alarm {alarm_name!r}, which is not in this stack"
        period, periods = _num(_props(alarm).get("period")), _num(_props(alarm).get("evaluationPeriods"))
        if period is None or periods is None:
            return None, f"alarm {alarm_name} period/evaluationPeriods not known until deploy"
        return period * periods, f"health check {name} ← alarm {alarm_name}: {_secs(period)} s × {_secs(periods)}"
    interval_raw, threshold_raw = p.get("requestInterval"), p.get("failureThreshold")
    interval, threshold = _num(interval_raw), _num(threshold_raw)
    notes = []
    if interval is None:
        if interval_raw is not None:
            return None, f"health check {name} requestInterval not known until deploy"
        interval = DEFAULT_REQUEST_INTERVAL
        notes.append("interval AWS default")
    if threshold is None:
        if threshold_raw is not None:
            return None, f"health check {name} failureThreshold not known until deploy"
        threshold = DEFAULT_FAILURE_THRESHOLD
        notes.append("threshold AWS default")
    extra = f" ({', '.join(notes)})" if notes else ""
    return interval * threshold, (
        f"health check {name}: {_secs(interval)} s interval × {_secs(threshold)} failures{extra}"
    )


def _dns(record: Mapping[str, Any]) -> tuple[float | None, str]:
    p, name = _props(record), _v(_props(record).get("name")) or _label(record)
    aliases = p.get("aliases")
    if aliases and not is_unknown(aliases):
        return ALIAS_TTL_SECONDS, f"record {name} is an alias: resolvers cache it {ALIAS_TTL_SECONDS} s"
    ttl = _num(p.get("ttl"))
    if ttl is None:
        return None, f"record {name} has no known TTL"
    return ttl, f"record {name} TTL {_secs(ttl)} s"


def _rto(by: Mapping[str, list[Mapping[str, Any]]], objectives: Mapping[str, Any]) -> dict[str, Any]:
    checks, alarms = by.get(HEALTH_CHECK, []), by.get(ALARM, [])
    primaries = [r for r in by.get(RECORD, []) if _failover_role(r) == "PRIMARY"]
    terms: list[dict[str, Any]] = []

    if not primaries:
        terms.append({"name": "detection", "seconds": None, "basis": "no PRIMARY failover record in this stack"})
        terms.append({"name": "dns", "seconds": None, "basis": "no failover records in this stack"})
    else:
        found: list[tuple[float | None, str]] = []
        for rec in primaries:
            check = _health_check_for(rec, checks)
            if check is None:
                host = _v(_props(rec).get("name")) or _label(rec)
                found.append((None, f"PRIMARY record {host} has no health check in this stack"))
            else:
                found.append(_detection(check, alarms, checks))
        missing = [basis for s, basis in found if s is None]
        if missing:
            terms.append({"name": "detection", "seconds": None, "basis": "; ".join(missing)})
        else:
            # Slowest wins; equal times fall to the first basis by name, so the report is the same on every run
            # (resources arrive from the engine in no fixed order).
            s, basis = min(found, key=lambda f: (-(f[0] or 0), f[1]))
            others = f" (slowest of {len(found)} services)" if len(found) > 1 else ""
            terms.append({"name": "detection", "seconds": _secs(s or 0), "basis": basis + others})
        dns = [_dns(rec) for rec in primaries]
        unknown = [basis for s, basis in dns if s is None]
        if unknown:
            terms.append({"name": "dns", "seconds": None, "basis": "; ".join(unknown)})
        else:
            s, basis = min(dns, key=lambda d: (-(d[0] or 0), d[1]))
            terms.append({"name": "dns", "seconds": _secs(s or 0), "basis": basis})

    plan = failover_workflow(by.get(PLAN, []))
    if plan is None:
        terms.append(_promotion_estimate(by, objectives))
    else:
        dns_term = terms.pop() if terms and terms[-1]["name"] == "dns" else None
        terms += _plan_terms(plan, by, objectives)
        if dns_term is not None:
            dns_term = {
                **dns_term,
                "basis": f"after the plan's Route53HealthCheck step or the health check: {dns_term['basis']}",
            }
            terms.append(dns_term)
    reconnect = _num(objectives.get(APP_RECONNECT_KEY))
    terms.append(
        {"name": "appReconnect", "seconds": None, "basis": "objectives.appReconnectSeconds not set"}
        if reconnect is None
        else {
            "name": "appReconnect",
            "seconds": _secs(reconnect),
            "basis": "application reconnect allowance (appReconnectSeconds)",
        }
    )
    known = [t["seconds"] for t in terms]
    total = _secs(sum(known)) if all(s is not None for s in known) else None
    objective = _num(objectives.get(RTO_KEY))
    ok = total is not None and objective is not None and total <= objective
    return {
        "terms": terms,
        "totalSeconds": total,
        "objectiveSeconds": None if objective is None else _secs(objective),
        "ok": ok,
    }


def _is_replica(r: Mapping[str, Any]) -> bool:
    """A read replica: its source is set, or not known until deploy (the source's ARN usually is, at a preview)."""
    source = _props(r).get("replicateSourceDb")
    return is_unknown(source) or bool(source)


def _promotion_estimate(by: Mapping[str, list[Mapping[str, Any]]], objectives: Mapping[str, Any]) -> dict[str, Any]:
    """Without a plan: promoting the replica takes the configured estimate."""
    instances = by.get(RDS, [])
    replicas = [r for r in instances if _is_replica(r)]
    promotion = _num(objectives.get(DB_PROMOTION_KEY))
    if not instances:
        return {"name": "dbPromotion", "seconds": 0, "basis": "no RDS instance in this stack: nothing to promote"}
    if not replicas:
        return {"name": "dbPromotion", "seconds": None, "basis": "no cross-region replica to promote"}
    if promotion is None:
        return {"name": "dbPromotion", "seconds": None, "basis": "objectives.dbPromotionSeconds not set"}
    names = ", ".join(_label(r) for r in replicas)
    return {
        "name": "dbPromotion",
        "seconds": _secs(promotion),
        "basis": f"promote replica {names}: configured estimate (dbPromotionSeconds)",
    }


def plan_workflows(plan: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    flows = _v(_props(plan).get("workflows"))
    return [w for w in flows if isinstance(w, Mapping)] if isinstance(flows, list) else []


def failover_workflow(plans: Iterable[Mapping[str, Any]]) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """(plan, its failover workflow): the `activate` workflow of a region other than the plan's primary region."""
    for plan in plans:
        primary = _v(_props(plan).get("primaryRegion"))
        for flow in plan_workflows(plan):
            if _v(flow.get("workflowTargetAction")) == "activate" and _v(flow.get("workflowTargetRegion")) != primary:
                return plan, flow
    return None


def _stage_steps(step: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The blocks of one stage: a Parallel block's members (they overlap), else the step itself."""
    if _v(step.get("executionBlockType")) != "Parallel":
        return [step]
    members: list[Mapping[str, Any]] = []
    for cfg in _v(step.get("parallelConfigs")) or []:
        if isinstance(cfg, Mapping):
            members += [m for m in _v(cfg.get("steps")) or [] if isinstance(m, Mapping)]
    return members


def workflow_blocks(flow: Mapping[str, Any]) -> list[list[Mapping[str, Any]]]:
    """The workflow's stages in order, each a list of the execution blocks that run together."""
    return [_stage_steps(s) for s in _v(flow.get("steps")) or [] if isinstance(s, Mapping)]


def step_config(step: Mapping[str, Any]) -> Mapping[str, Any]:
    """The (first) configuration block of a step, by its execution block type."""
    key = STEP_CONFIGS.get(str(_v(step.get("executionBlockType"))))
    configs = _v(step.get(key)) if key else None
    return configs[0] if isinstance(configs, list) and configs and isinstance(configs[0], Mapping) else {}


def _plan_terms(
    found: tuple[Mapping[str, Any], Mapping[str, Any]],
    by: Mapping[str, list[Mapping[str, Any]]],
    objectives: Mapping[str, Any],
) -> list[dict[str, Any]]:
    plan, flow = found
    region = _v(flow.get("workflowTargetRegion"))
    where = f"plan {_label(plan)} activate {region}"
    seconds: dict[str, float | None] = {}
    bases: dict[str, list[str]] = {}
    for stage in workflow_blocks(flow):
        longest: dict[str, tuple[float | None, str]] = {}
        for step in stage:
            kind = str(_v(step.get("executionBlockType")))
            term = STEP_TERMS.get(kind)
            if term is None:
                continue
            timeout = _num(step_config(step).get("timeoutMinutes"))
            name = _v(step.get("name")) or kind
            if term == "dbPromotion":
                estimate = _num(objectives.get(DB_PROMOTION_KEY))
                if estimate is None:
                    value: float | None = None
                    basis = f"{kind} step {name}: objectives.dbPromotionSeconds not set"
                else:
                    value = estimate if timeout is None else min(estimate, timeout * 60)
                    bound = "no timeout" if timeout is None else f"timeout {_secs(timeout)} min"
                    basis = f"{kind} step {name} ({bound}): dbPromotionSeconds estimate"
            elif timeout is None:
                value, basis = None, f"{kind} step {name} has no timeoutMinutes: unbounded"
            else:
                value, basis = timeout * 60, f"{kind} step {name}: timeout {_secs(timeout)} min"
            prior = longest.get(term)
            if prior is None or (prior[0] is not None and (value is None or value > prior[0])):
                longest[term] = (value, basis)
        for term, (value, basis) in longest.items():
            total = seconds.get(term, 0.0)
            seconds[term] = None if value is None or total is None else total + value
            bases.setdefault(term, []).append(basis)
    terms = []
    for term, absent in (
        ("approval", "no ManualApproval step: the plan starts without waiting for a person"),
        ("dbPromotion", "promotes no replica"),
        ("endpointSwitch", "no CustomActionLambda step re-points the writer endpoint"),
        ("drCapacity", None),
    ):
        if term in seconds:
            value = seconds[term]
            terms.append(
                {
                    "name": term,
                    "seconds": None if value is None else _secs(value),
                    "basis": f"{where}: " + "; ".join(bases[term]),
                }
            )
        elif term == "dbPromotion":
            has_replica = any(_is_replica(r) for r in by.get(RDS, []))
            terms.append({"name": term, "seconds": None if has_replica else 0, "basis": f"{where} {absent}"})
        elif absent is not None:
            terms.append({"name": term, "seconds": 0, "basis": f"{where}: {absent}"})
    return terms


# --- RPO ---------------------------------------------------------------------------------------------


def _objective(data_class: str, objectives: Mapping[str, Any]) -> tuple[float | None, bool]:
    """(objective seconds, whether the class has an objective at all)."""
    by_class = objectives.get(RPO_BY_CLASS_KEY)
    by_class = by_class if isinstance(by_class, Mapping) else {}
    family = data_class.split(":", 1)[0]
    for key in (data_class, family):
        if key in by_class:
            value = _num(by_class[key])
            return value, value is not None
    if family in CLASS_RPO_DEFAULTS:
        return float(CLASS_RPO_DEFAULTS[family]), True
    value = _num(objectives.get(RPO_KEY))
    return value, True


def _rpo_entry(data_class: str, seconds: float | None, basis: str, objectives: Mapping[str, Any]) -> dict[str, Any]:
    objective, has = _objective(data_class, objectives)
    if not has:
        ok, basis = True, basis + " (no objective for this class)"
    else:
        ok = seconds is not None and objective is not None and seconds <= objective
    return {
        "dataClass": data_class,
        "seconds": None if seconds is None else _secs(seconds),
        "basis": basis,
        "objectiveSeconds": None if objective is None else _secs(objective),
        "ok": ok,
    }


def _alarm_metric_names(alarm: Mapping[str, Any]) -> list[str]:
    p = _props(alarm)
    names = [_v(p.get("metricName"))]
    for q in _v(p.get("metricQueries")) or []:
        if isinstance(q, Mapping) and isinstance(q.get("metric"), Mapping):
            names.append(_v(q["metric"].get("metricName")))
    return [n for n in names if isinstance(n, str)]


def _database_rpo(by: Mapping[str, list[Mapping[str, Any]]]) -> tuple[float | None, str]:
    instances = by.get(RDS, [])
    if not instances:
        return None, "no RDS instance in this stack"
    replicas = [r for r in instances if _is_replica(r)]
    if not replicas:
        return None, "no cross-region read replica: unbounded (only backups remain)"
    lag_alarms = [a for a in by.get(ALARM, []) if "ReplicaLag" in _alarm_metric_names(a)]
    names = ", ".join(_label(r) for r in replicas)
    if not lag_alarms:
        return None, f"replica {names} has no ReplicaLag alarm bounding its lag"
    thresholds = [(_num(_props(a).get("threshold")), _label(a)) for a in lag_alarms]
    if any(t is None for t, _ in thresholds):
        return None, "ReplicaLag alarm threshold not known until deploy"
    worst, alarm = max(thresholds, key=lambda t: t[0] or 0)
    return worst, f"ReplicaLag alarm {alarm} threshold {_secs(worst or 0)} s on replica {names}"


def _bucket_purpose(b: Mapping[str, Any]) -> str:
    tag = _v(_tags(b).get("data-class"))
    return str(tag) if tag else _label(b)


def _replication_purpose(cfg: Mapping[str, Any], buckets: list[Mapping[str, Any]], purposes: list[str]) -> str | None:
    ref = _v(_props(cfg).get("bucket"))
    for b in buckets:
        if ref and ref in (_v(_props(b).get("bucket")), b.get("name")):
            return _bucket_purpose(b)
    text = f"{cfg.get('name', '')} {cfg.get('urn', '')}"
    named = [p for p in sorted(purposes, key=len, reverse=True) if p in text]
    if named:
        return named[0]
    return purposes[0] if len(purposes) == 1 else None


def _s3_rpo(by: Mapping[str, list[Mapping[str, Any]]]) -> list[tuple[str, float | None, str]]:
    buckets = by.get(BUCKET, [])
    if not buckets:
        return [("s3", None, "no S3 buckets in this stack")]
    purposes = sorted({_bucket_purpose(b) for b in buckets})
    configs: dict[str, list[Mapping[str, Any]]] = {}
    for cfg in by.get(REPLICATION, []):
        purpose = _replication_purpose(cfg, buckets, purposes)
        if purpose is not None:
            configs.setdefault(purpose, []).append(cfg)
    out: list[tuple[str, float | None, str]] = []
    for purpose in purposes:
        cfgs = configs.get(purpose, [])
        if not cfgs:
            out.append((f"s3:{purpose}", None, "not replicated: unbounded"))
            continue
        rules = [x for c in cfgs for x in (_v(_props(c).get("rules")) or []) if isinstance(x, Mapping)]
        dests = [x.get("destination") for x in rules if isinstance(x.get("destination"), Mapping)]
        rtc = [d for d in dests if isinstance(d, Mapping) and _rtc_enabled(d.get("replicationTime"))]
        if rtc:
            out.append(
                (
                    f"s3:{purpose}",
                    RTC_SECONDS,
                    f"{_label(cfgs[0])}: Replication Time Control ({RTC_MINUTES}-minute SLA)",
                )
            )
        else:
            out.append((f"s3:{purpose}", None, f"{_label(cfgs[0])}: replication without RTC has no time bound"))
    return out


def _rtc_enabled(block: Any) -> bool:
    return isinstance(block, Mapping) and str(_v(block.get("status")) or "").lower() == "enabled"


def _namespaces(template: Any) -> tuple[str, ...]:
    """A backup template's includedNamespaces; Velero backs up every namespace when the list is empty or unset."""
    included = _v(template.get("includedNamespaces")) if isinstance(template, Mapping) else None
    names = tuple(str(n) for n in included or () if isinstance(n, str)) if isinstance(included, list) else ()
    return names or ("*",)


def _velero_schedules(by: Mapping[str, list[Mapping[str, Any]]]) -> list[tuple[str, Any, bool, tuple[str, ...]]]:
    """(name, cron, paused, namespaces) of every Velero schedule: Schedule CRs and the Helm release's values."""
    out: list[tuple[str, Any, bool, tuple[str, ...]]] = []
    for s in by.get(VELERO_SCHEDULE, []):
        spec = _props(s).get("spec")
        spec = spec if isinstance(spec, Mapping) else {}
        meta = _props(s).get("metadata")
        name = _v(meta.get("name")) if isinstance(meta, Mapping) else None
        out.append(
            (
                str(name or _label(s)),
                spec.get("schedule"),
                bool(_v(spec.get("paused"))),
                _namespaces(spec.get("template")),
            )
        )
    for rel in by.get(HELM_RELEASE, []):
        chart = str(_v(_props(rel).get("chart")) or "")
        if not chart.rstrip("/").endswith("velero"):
            continue
        values = _v(_props(rel).get("values"))
        if isinstance(values, str):
            try:
                values = json.loads(values)
            except ValueError:
                values = {}
        schedules = values.get("schedules") if isinstance(values, Mapping) else None
        for key, sched in (schedules or {}).items() if isinstance(schedules, Mapping) else []:
            if isinstance(sched, Mapping):
                out.append(
                    (
                        f"{_label(rel)}/{key}",
                        sched.get("schedule"),
                        bool(_v(sched.get("paused"))),
                        _namespaces(sched.get("template")),
                    )
                )
    return out


def _cluster_rpo(by: Mapping[str, list[Mapping[str, Any]]]) -> list[tuple[str, float | None, str, tuple[str, ...]]]:
    """Cluster-state RPO per group of namespaces: a namespace's RPO is the period of the most frequent schedule
    that backs it up ("*" stands for every namespace no schedule names). One entry per (period, schedule), as
    (dataClass, seconds, basis, namespaces); a single `cluster-state` entry when nothing can be computed."""
    schedules = _velero_schedules(by)
    active = [(n, c, ns) for n, c, paused, ns in schedules if not paused]
    if not active:
        why = "no active Velero schedule in this stack" + (" (all paused)" if schedules else "")
        return [("cluster-state", None, why, ())]
    periods: list[tuple[float, str, str, tuple[str, ...]]] = []
    for name, cron, namespaces in active:
        if is_unknown(cron) or not isinstance(cron, str):
            return [("cluster-state", None, f"schedule {name}: cron not known until deploy", ())]
        try:
            period = float(period_seconds(cron))
        except CronError as e:
            return [("cluster-state", None, f"schedule {name}: unknown period ({e})", ())]
        periods.append((period, name, cron, namespaces))
    named = sorted({n for *_, namespaces in periods for n in namespaces if n != "*"})
    wildcard = [p for p in periods if "*" in p[3]]
    best: dict[str, tuple[float, str, str]] = {}
    for ns in named:
        fastest = min([p for p in periods if ns in p[3]] + wildcard, key=lambda p: p[0])
        best[ns] = fastest[:3]
    if wildcard:
        best["*"] = min(wildcard, key=lambda p: p[0])[:3]
    groups: dict[tuple[float, str, str], list[str]] = {}
    for ns, key in best.items():
        groups.setdefault(key, []).append(ns)
    out: list[tuple[str, float | None, str, tuple[str, ...]]] = []
    for (every, sched, expr), members in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1])):
        where = "every namespace" if members == ["*"] else f"namespace(s) {', '.join(members)}"
        basis = f"Velero schedule {sched} {expr!r}: every {_human(every)} at most, for {where}"
        out.append((f"cluster-state:{','.join(members)}", every, basis, tuple(members)))
    return out


def _audit_trails(by: Mapping[str, list[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """Where the audit trail lands and how well it is kept: the trail's scope, validation and key, and the
    destination bucket's Object Lock and replication (reported, not scored: it is evidence, not recovery)."""
    out = []
    for t in by.get(TRAIL, []):
        p = _props(t)
        bucket_name = _v(p.get("s3BucketName"))
        named = [b for b in by.get(BUCKET, []) if bucket_name in (_v(_props(b).get("bucket")), b.get("id"))]
        bucket = named[0] if bucket_name and named else None
        lock_days = None
        if bucket is not None:
            for cfg in by.get(OBJECT_LOCK, []):
                ref = _v(_props(cfg).get("bucket"))
                if ref in (bucket_name, bucket.get("id")) or str(cfg.get("name", "")).startswith(f"{_label(bucket)}-"):
                    rule = _v(_props(cfg).get("rule")) or {}
                    retention = rule.get("defaultRetention") if isinstance(rule, Mapping) else None
                    if isinstance(retention, Mapping):
                        days, years = _num(retention.get("days")), _num(retention.get("years"))
                        lock_days = days if days is not None else (years * 365 if years is not None else None)
        replicated = bucket is not None and any(
            _v(_props(c).get("bucket")) in (bucket_name, bucket.get("id"))
            or str(c.get("name", "")).startswith(_label(bucket).removesuffix("-primary"))
            for c in by.get(REPLICATION, [])
        )
        out.append(
            {
                "trail": str(_v(p.get("name")) or _label(t)),
                "bucket": bucket_name,
                "multiRegion": _v(p.get("isMultiRegionTrail")) is True,
                "logFileValidation": _v(p.get("enableLogFileValidation")) is True,
                "kmsEncrypted": p.get("kmsKeyId") is not None,
                "objectLockDays": None if lock_days is None else _secs(lock_days),
                "replicated": replicated,
            }
        )
    return out


def recovery_budget(resources: Iterable[Mapping[str, Any]], objectives: Mapping[str, Any]) -> dict[str, Any]:
    """RTO terms and total, RPO per data class, each against its objective, with the basis of every figure."""
    by = _by_type(resources)
    objectives = objectives or {}
    rto = _rto(by, objectives)
    rpo = [_rpo_entry("database", *_database_rpo(by), objectives)]
    rpo += [_rpo_entry(cls, s, basis, objectives) for cls, s, basis in _s3_rpo(by)]
    for cls, seconds, basis, namespaces in _cluster_rpo(by):
        entry = _rpo_entry(cls, seconds, basis, objectives)
        rpo.append({**entry, "namespaces": list(namespaces)} if namespaces else entry)
    ok = bool(rto["ok"] and all(e["ok"] for e in rpo))
    return {"rto": rto, "rpo": rpo, "auditTrails": _audit_trails(by), "ok": ok}


# RTO terms a drill measures (ops/drill.py `measured`): the term → how to read it from the drill's measurements.
DRILL_TERMS = {
    "dbPromotion": "promotionSeconds (promote requested → writer available with backups)",
    "dns": "dnsSeconds − detectionSeconds (health check Unhealthy → DNS answers the secondary)",
    "appReconnect": "reconnectSeconds (endpoint re-pointed → first good probe)",
}


def drill_terms(measured: Mapping[str, Any]) -> dict[str, float]:
    """The RTO terms a finished drill measured, from its evidence's `measured` block (absent ones left out)."""
    out: dict[str, float] = {}
    promotion, reconnect = _num(measured.get("promotionSeconds")), _num(measured.get("reconnectSeconds"))
    dns, detection = _num(measured.get("dnsSeconds")), _num(measured.get("detectionSeconds"))
    if promotion is not None:
        out["dbPromotion"] = promotion
    if dns is not None and detection is not None:
        out["dns"] = max(dns - detection, 0.0)
    if reconnect is not None:
        out["appReconnect"] = reconnect
    return out


def apply_drill(budget: Mapping[str, Any], measured: Mapping[str, float], source: str) -> dict[str, Any]:
    """The recovery budget with the drill's measured terms in place of the estimates; every term says which it is."""
    rto = dict(budget["rto"])
    terms = []
    for term in rto["terms"]:
        name = term["name"]
        if name in measured:
            terms.append(
                {
                    **term,
                    "seconds": _secs(round(measured[name], 3)),
                    "basis": f"measured by the drill {source}: {DRILL_TERMS[name]}",
                    "measured": True,
                }
            )
        else:
            terms.append({**term, "measured": False})
    known = [t["seconds"] for t in terms]
    total = _secs(sum(known)) if all(s is not None for s in known) else None
    objective = rto.get("objectiveSeconds")
    rto.update(terms=terms, totalSeconds=total, ok=total is not None and objective is not None and total <= objective)
    rto["drill"] = source
    ok = bool(rto["ok"] and all(e["ok"] for e in budget.get("rpo") or []))
    return {**budget, "rto": rto, "ok": ok}
