"""DR posture (stage/prod): cross-region replicas, S3 RTC, failover pairs, WAF, protected state, recovery budget."""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs

from contract.recovery import (
    APP_RECONNECT_KEY,
    DB_PROMOTION_KEY,
    RECOVERY_BUDGET_POLICY,
    RPO_BY_CLASS_KEY,
    RPO_KEY,
    RPO_SECONDS,
    RTC_MINUTES,
    RTO_KEY,
    RTO_SECONDS,
)
from policy import recovery, waf
from policy.policies._common import (
    MANDATORY,
    Report,
    Unknowns,
    ci_dig,
    ci_get,
    config,
    dig,
    of_type,
    schema,
    stack_policy,
    tag,
)
from policy.resources import UNKNOWN, from_policy_resource, related, stack_dicts, unwrap

RDS = "aws:rds/instance:Instance"
BUCKET = "aws:s3/bucket:Bucket"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
RECORD = "aws:route53/record:Record"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
KMS_KEY = "aws:kms/key:Key"
PLAN = recovery.PLAN
BACKUP_VAULT = "aws:backup/vault:Vault"


def _primaries_and_replicas(args: StackValidationArgs) -> tuple[list[Any], list[Any]]:
    primaries: list[Any] = []
    replicas: list[Any] = []
    for r in of_type(args, RDS):
        src = unwrap(r.props).get("replicateSourceDb")
        (replicas if (src is UNKNOWN or src) else primaries).append(r)
    return primaries, replicas


def _cross_region_replica(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    primaries, replicas = _primaries_and_replicas(args)
    for p in primaries:
        p_region = from_policy_resource(p)["region"]
        mine = [r for r in replicas if related(r, "replicateSourceDb", [p])]
        if not mine:
            report(f"primary {p.name} has no read replica (replicateSourceDb = its ARN).", p.urn)
            continue
        regions = [from_policy_resource(r)["region"] for r in mine]
        if any(reg is None for reg in regions) or p_region is None:
            u.add(p.urn, "replica region")
        elif all(reg == p_region for reg in regions):
            report(f"primary {p.name} has replicas only in its own region {p_region}; a region loss takes both.", p.urn)
    u.finish()


rds_cross_region_replica = stack_policy(
    name="rds-cross-region-replica",
    description="Each primary RDS instance has a read replica in another region.",
    validate=_cross_region_replica,
    config_schema=schema({}),
    remediation="Add an aws.rds.Instance with replicate_source_db=<primary>.arn created with the DR-region provider.",
)


def _replica_source_credentials(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    primaries, replicas = _primaries_and_replicas(args)
    for r in replicas:
        for source in related(r, "replicateSourceDb", primaries):
            managed = unwrap(source.props).get("manageMasterUserPassword")
            if managed is UNKNOWN:
                u.add(source.urn, "manageMasterUserPassword")
            elif managed is True:
                report(
                    f"replica {r.name} cannot be created: its source {source.name} lets RDS manage the master "
                    f"password (manageMasterUserPassword), and RDS refuses read replicas of such a source.",
                    r.urn,
                )
    u.finish()


rds_replica_source_credentials = stack_policy(
    name="rds-replica-source-credentials",
    description="No read replica's source lets RDS manage its master password (RDS refuses such replicas).",
    validate=_replica_source_credentials,
    config_schema=schema({}),
    remediation="Give the source a password of its own (pulumi_random.RandomPassword into `password`, stored in a "
    "Secrets Manager secret replicated to the DR region) instead of manage_master_user_password=True "
    "(RDS User Guide: Limitations for Secrets Manager integration with Amazon RDS).",
)


def _replica_multi_az(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    _, replicas = _primaries_and_replicas(args)
    for r in replicas:
        multi_az = unwrap(r.props).get("multiAz", False)
        if multi_az is UNKNOWN:
            u.add(r.urn, "multiAz")
        elif multi_az is not True:
            report(
                f"replica {r.name} is single-AZ: once promoted, the writer runs without a standby until someone "
                f"converts it (a Multi-AZ conversion during a regional incident).",
                r.urn,
            )
    u.finish()


rds_replica_multi_az = stack_policy(
    name="rds-replica-multi-az",
    description="Read replicas (the DR writer after promotion) run Multi-AZ.",
    validate=_replica_multi_az,
    config_schema=schema({}),
    remediation="Set multi_az=True on the replica's aws.rds.Instance (config dbReplicaMultiAz: true).",
)


def _destinations(cfgs: list[Any], buckets: list[Any]) -> set[str]:
    """URNs of buckets that are replication destinations (the replica side is not itself a source)."""
    out: set[str] = set()
    for c in cfgs:
        sources = {b.urn for b in related(c, "bucket", buckets)}
        for b in related(c, "rules", buckets):
            if b.urn not in sources:
                out.add(b.urn)
        for rule in unwrap(c.props).get("rules") or []:
            dest = dig(rule, "destination", "bucket")
            if isinstance(dest, str):
                out |= {b.urn for b in buckets if f"arn:aws:s3:::{unwrap(b.props).get('bucket')}" == dest}
    return out


def _replication_rtc(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    buckets, cfgs = of_type(args, BUCKET), of_type(args, REPLICATION)
    destinations = _destinations(cfgs, buckets)
    for b in buckets:
        if b.urn in destinations or tag(unwrap(b.props), "data-class") not in cfg["dataClasses"]:
            continue
        mine = [c for c in cfgs if b in related(c, "bucket", buckets)]
        if not mine:
            report(f"data bucket {b.name} does not replicate (no aws.s3.BucketReplicationConfig).", b.urn)
            continue
        rules = unwrap(mine[0].props).get("rules")
        if rules is UNKNOWN:
            u.add(mine[0].urn, "rules")
            continue
        enabled = [r for r in rules or [] if r.get("status") == "Enabled"]
        if not enabled:
            report(f"data bucket {b.name} has no enabled replication rule.", b.urn)
        for rule in enabled:
            rt = dig(rule, "destination", "replicationTime")
            status, minutes = dig(rt, "status"), dig(rt, "time", "minutes")
            metrics = dig(rule, "destination", "metrics", "status")
            if UNKNOWN in (status, minutes, metrics):
                u.add(mine[0].urn, "replicationTime")
            elif status != "Enabled" or minutes != RTC_MINUTES or metrics != "Enabled":
                report(
                    f"data bucket {b.name} rule {rule.get('id', '?')} replicates without RTC "
                    f"(replicationTime {status or 'unset'}/{minutes or '-'} min, metrics {metrics or 'unset'}); "
                    f"RPO would be unbounded.",
                    b.urn,
                )
    u.finish()


s3_replication_rtc = stack_policy(
    name="s3-replication-rtc",
    description="Data buckets replicate cross-region with S3 Replication Time Control (15 min) and metrics.",
    validate=_replication_rtc,
    config_schema=schema(
        {
            "dataClasses": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["data", "audit", "backups", "archive"],
                "description": "values of the data-class tag whose buckets must replicate",
            }
        }
    ),
    remediation="Add aws.s3.BucketReplicationConfig rules with destination.replication_time {status Enabled, "
    "time.minutes 15} and destination.metrics {status Enabled}.",
)


def _failover_pairs(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    groups: dict[tuple[Any, Any, Any], list[tuple[Any, Any]]] = {}
    for r in of_type(args, RECORD):
        p = unwrap(r.props)
        policies = p.get("failoverRoutingPolicies")
        if not policies:
            continue
        kind = UNKNOWN if policies is UNKNOWN else dig(policies, 0, "type")
        key = (p.get("zoneId"), p.get("name"), p.get("type"))
        if UNKNOWN in key or kind is UNKNOWN:
            u.add(r.urn, "record name/zone/failover type")
            continue
        groups.setdefault(key, []).append((r, kind))
    for (_, name, typ), members in groups.items():
        kinds = sorted(k for _, k in members)
        if kinds != ["PRIMARY", "SECONDARY"]:
            report(
                f"failover record {name} ({typ}) has {kinds or 'no'} members; exactly one PRIMARY and one "
                f"SECONDARY are required.",
                members[0][0].urn,
            )
        for r, kind in members:
            hc = unwrap(r.props).get("healthCheckId")
            if hc is UNKNOWN:
                u.add(r.urn, "healthCheckId")
            elif not hc:
                report(f"{kind} failover record {name} ({r.name}) has no health check.", r.urn)
    u.finish()


failover_record_pairs = stack_policy(
    name="failover-record-pairs",
    description="Route53 failover records come as a PRIMARY/SECONDARY pair per name, each with a health check.",
    validate=_failover_pairs,
    config_schema=schema({}),
    remediation="Create both aws.route53.Record failover members (PRIMARY and SECONDARY, same zone/name/type) and "
    "give each a health_check_id.",
)


def _acl_rules(props: dict[str, Any]) -> Any:
    rules = props.get("rules")
    raw = props.get("ruleJson")
    if rules is UNKNOWN or raw is UNKNOWN:
        return UNKNOWN
    if isinstance(raw, str) and raw:
        parsed = json.loads(raw)
        return parsed if isinstance(parsed, list) else [parsed]
    return rules or []


def _inspects_host(statement: Any) -> bool:
    """Whether a statement tree matches on the Host header anywhere (a client-chosen value)."""
    for _, spec in waf.statements(statement):
        header = ci_dig(spec, "fieldToMatch", "singleHeader", "name")
        if isinstance(header, str) and header.lower() == "host":
            return True
    return False


def _gateway_waf(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    acls = of_type(args, WEB_ACL)
    if not acls:
        report("the gateway has no WAF web ACL (aws.wafv2.WebAcl).")
        return
    associations, distributions = of_type(args, WEB_ACL_ASSOCIATION), of_type(args, DISTRIBUTION)
    exempt = bool(cfg["rolloutExemption"].strip())
    for acl in acls:
        associated = [a for a in associations if related(a, "webAclArn", [acl])] + [
            d for d in distributions if related(d, "webAclId", [acl])
        ]
        if not associated:
            report(
                f"web ACL {acl.name} is not associated with the gateway (no WebAclAssociation or CloudFront "
                f"distribution web_acl_id).",
                acl.urn,
            )
        rules = _acl_rules(unwrap(acl.props))
        if rules is UNKNOWN:
            u.add(acl.urn, "rules")
            continue
        rate = [r for r in rules if ci_dig(r, "statement", "rateBasedStatement") is not None]
        if not rate:
            report(f"web ACL {acl.name} has no rate-based rule.", acl.urn)
            continue
        for r in rate:
            scope = ci_dig(r, "statement", "rateBasedStatement", "scopeDownStatement")
            if scope is UNKNOWN:
                u.add(acl.urn, "rate rule scope-down")
            elif _inspects_host(scope):
                report(
                    f"web ACL {acl.name} rate rule {ci_get(r, 'name')} decides by the Host header whom it limits; "
                    f"any client sets Host, so sending the exempt name straight to the load balancer skips the limit.",
                    acl.urn,
                )
        if cfg["requireBlock"] and not exempt:
            counting = [r for r in rate if ci_get(ci_get(r, "action") or {}, "block") is None]
            for r in counting:
                report(
                    f"web ACL {acl.name} rate rule {ci_get(r, 'name')} does not block (action is not block) and no "
                    f"rollout exemption is configured.",
                    acl.urn,
                )
    u.finish()


gateway_waf = stack_policy(
    name="gateway-waf",
    description="The gateway has an associated WAF web ACL with a rate-based rule that blocks (prod) and does not "
    "exempt requests by their Host header.",
    validate=_gateway_waf,
    config_schema=schema(
        {
            "requireBlock": {"type": "boolean", "default": False},
            "rolloutExemption": {
                "type": "string",
                "default": "",
                "description": "non-empty (change id and end date) lets rate rules count instead of block",
            },
        }
    ),
    remediation="Associate an aws.wafv2.WebAcl (WebAclAssociation with the ALB, or the distribution's web_acl_id) "
    "with a rate_based_statement rule whose action is block; count only under a recorded rolloutExemption. Exempt "
    "CloudFront's requests by a secret origin header, never by Host.",
)


def _protected(args: ResourceValidationArgs, report: Report) -> None:
    cfg = config(args, _PROTECT_SCHEMA)
    t = args.resource_type
    if t == BUCKET:
        cls = tag(unwrap(args.props), "data-class")
        if cls is UNKNOWN or cls not in cfg["bucketDataClasses"]:
            return
    elif t not in (RDS, KMS_KEY, BACKUP_VAULT, "aws:rds/cluster:Cluster"):
        return
    if not args.opts.protect:
        report(
            f"{args.name} holds state but is not protect=True: deleting it must take a separate, reviewed "
            f"change that first removes protection."
        )


_PROTECT_SCHEMA = schema(
    {
        "bucketDataClasses": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["data", "audit", "backups"],
        }
    }
)

stateful_resources_protected = ResourceValidationPolicy(
    name="stateful-resources-protected",
    description="Stateful resources (RDS, KMS keys, backup vaults, data buckets) are protect=True (dual-control "
    "delete).",
    validate=_protected,
    enforcement_level=MANDATORY,
    config_schema=_PROTECT_SCHEMA,
    remediation_steps="Pass opts=pulumi.ResourceOptions(protect=True) (components do this when "
    "core.is_production_like).",
)


OBJECTIVES_SCHEMA: dict[str, dict[str, Any]] = {
    RTO_KEY: {"type": "integer", "minimum": 1, "default": RTO_SECONDS},
    RPO_KEY: {"type": "integer", "minimum": 1, "default": RPO_SECONDS},
    DB_PROMOTION_KEY: {"type": "integer", "minimum": 0, "default": 300},
    APP_RECONNECT_KEY: {"type": "integer", "minimum": 0, "default": 60},
    RPO_BY_CLASS_KEY: {
        "type": "object",
        "additionalProperties": {"type": ["integer", "null"], "minimum": 1},
        "default": {},
        "description": "per data class (database, s3, s3:<purpose>, cluster-state) objective; null = none",
    },
    # Read by preflight, not by the policy: where the stack's drill evidence lives (`--drill-evidence` default).
    "drillEvidenceDir": {
        "type": "string",
        "minLength": 1,
        "description": "drill evidence (a bundle or ops drill's --evidence-dir), relative to this config file: "
        "preflight takes the newest drill's measured recovery terms from it unless --drill-evidence is given",
    },
}


def _secs(value: Any) -> str:
    return "unbounded" if value is None else f"{value:g}s"


def describe_recovery(budget: dict[str, Any]) -> str:
    """Every term of the recovery budget, in one message."""
    rto = budget["rto"]
    terms = " + ".join(f"{t['name']} {_secs(t['seconds'])} ({t['basis']})" for t in rto["terms"])
    parts = [
        f"RTO {_secs(rto['totalSeconds'])} = {terms} vs objective {_secs(rto['objectiveSeconds'])}"
        f" [{'ok' if rto['ok'] else 'MISSED'}]"
    ]
    for r in budget["rpo"]:
        parts.append(
            f"RPO {r['dataClass']} {_secs(r['seconds'])} ({r['basis']}) vs objective {_secs(r['objectiveSeconds'])}"
            f" [{'ok' if r['ok'] else 'MISSED'}]"
        )
    return "; ".join(parts)


def _recovery_budget(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    resources = stack_dicts(args.resources)
    budget = recovery.recovery_budget(resources, cfg)
    if not budget["ok"]:
        report(describe_recovery(budget))


recovery_budget = stack_policy(
    name=RECOVERY_BUDGET_POLICY,
    description="The recovery time and recovery point computed from resource properties meet the objectives.",
    validate=_recovery_budget,
    config_schema=schema(OBJECTIVES_SCHEMA),
    remediation="Shorten the term that dominates: health-check interval × failure threshold, record TTL (or alias), "
    "replica-lag alarm threshold, S3 RTC, Velero schedule period.",
)


def _replica_covered(replica: Any, plan: Any, deps: set[str]) -> bool | None:
    """Does an `activate` workflow of the replica's region promote it? None when the plan's ARNs are unknown."""
    props = unwrap(replica.props)
    region = from_policy_resource(replica)["region"]
    ident, arn = props.get("identifier"), props.get("arn")
    unknown = False
    for flow in recovery.plan_workflows({"props": unwrap(plan.props)}):
        if flow.get("workflowTargetAction") != "activate" or flow.get("workflowTargetRegion") != region:
            continue
        for stage in recovery.workflow_blocks(flow):
            for step in stage:
                if step.get("executionBlockType") != "RdsPromoteReadReplica":
                    continue
                arns = recovery.step_config(step).get("dbInstanceArnMap")
                value = arns.get(region) if isinstance(arns, dict) else arns
                if value is UNKNOWN:
                    unknown = True
                elif isinstance(value, str) and (
                    (isinstance(ident, str) and value.endswith(f":db:{ident}"))
                    or (isinstance(arn, str) and value == arn)
                ):
                    return True
    if unknown:
        return True if replica.urn in deps else None
    return False


def _record_switched(zone: Any, name: str, plan: Any) -> bool | None:
    """Does an `activate` workflow switch the failover record set zone/name? None when its inputs are unknown."""
    unknown = False
    for flow in recovery.plan_workflows({"props": unwrap(plan.props)}):
        if flow.get("workflowTargetAction") != "activate":
            continue
        for stage in recovery.workflow_blocks(flow):
            for step in stage:
                if step.get("executionBlockType") != "Route53HealthCheck":
                    continue
                cfg = recovery.step_config(step)
                z, n = cfg.get("hostedZoneId"), cfg.get("recordName")
                if UNKNOWN in (z, n):
                    unknown = True
                elif z == zone and isinstance(n, str) and n.rstrip(".").lower() == name:
                    return True
    return None if unknown else False


def _failover_plan(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    _, replicas = _primaries_and_replicas(args)
    record_sets: dict[tuple[Any, str], Any] = {}
    for r in of_type(args, RECORD):
        p = unwrap(r.props)
        if p.get("failoverRoutingPolicies") and isinstance(p.get("name"), str):
            record_sets.setdefault((p.get("zoneId"), p["name"].rstrip(".").lower()), r)
    if not replicas and not record_sets:
        return
    plans = of_type(args, PLAN)
    if not plans:
        for r in replicas:
            report(f"cross-region replica {r.name} is failed over by no ARC Region switch plan.", r.urn)
        for (_, name), r in record_sets.items():
            report(f"failover record set {name} is switched by no ARC Region switch plan.", r.urn)
        return
    objective = cfg[RTO_KEY]
    for plan in plans:
        minutes = unwrap(plan.props).get("recoveryTimeObjectiveMinutes")
        if minutes is UNKNOWN:
            u.add(plan.urn, "recoveryTimeObjectiveMinutes")
        elif not isinstance(minutes, (int, float)) or isinstance(minutes, bool):
            report(f"plan {plan.name} sets no recoveryTimeObjectiveMinutes (objective {objective} s).", plan.urn)
        elif minutes * 60 > objective:
            report(
                f"plan {plan.name} promises an RTO of {minutes:g} min, looser than the stack's objective of "
                f"{objective} s ({objective / 60:g} min).",
                plan.urn,
            )
    deps = {d.urn for plan in plans for d in (getattr(plan, "property_dependencies", {}) or {}).get("workflows", [])}
    for r in replicas:
        covered = [_replica_covered(r, plan, deps) for plan in plans]
        if True in covered:
            continue
        if None in covered:
            u.add(r.urn, "plan workflow DB instance ARNs")
        else:
            report(
                f"cross-region replica {r.name} is promoted by no RdsPromoteReadReplica step of an activate workflow "
                f"of its region in plan {', '.join(p.name for p in plans)}.",
                r.urn,
            )
    for (zone, name), r in record_sets.items():
        switched = [_record_switched(zone, name, plan) for plan in plans]
        if True in switched:
            continue
        if None in switched:
            u.add(r.urn, "plan Route53HealthCheck steps")
        else:
            report(
                f"failover record set {name} is switched by no Route53HealthCheck step of an activate workflow in "
                f"plan {', '.join(p.name for p in plans)}.",
                r.urn,
            )
    u.finish()


failover_plan = stack_policy(
    name="failover-plan",
    description="An ARC Region switch plan fails over every cross-region replica and every failover record set, with "
    "an RTO objective no looser than the stack's.",
    validate=_failover_plan,
    config_schema=schema(
        {
            RTO_KEY: {
                **OBJECTIVES_SCHEMA[RTO_KEY],
                "description": f"the stack's RTO objective: keep equal to {RECOVERY_BUDGET_POLICY}.{RTO_KEY}",
            }
        }
    ),
    remediation="Create an aws.arcregionswitch.Plan (components/region_switch.py) whose activate workflow of the DR "
    "region has an RdsPromoteReadReplica step per replica and a Route53HealthCheck step per failover record set, and "
    "whose recovery_time_objective_minutes is at most the stack's RTO objective.",
)

POLICIES = [
    rds_cross_region_replica,
    rds_replica_source_credentials,
    rds_replica_multi_az,
    s3_replication_rtc,
    failover_record_pairs,
    gateway_waf,
    stateful_resources_protected,
    recovery_budget,
    failover_plan,
]
