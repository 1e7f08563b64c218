"""Settings for the cluster platform: Velero, Kubecost, Karpenter on the existing EKS cluster.

Records are arrays of strings with a small syntax (Pulumi.yaml allows no objects):
- `veleroSchedules`: "NAME: CRON | TTL | NAMESPACE,NAMESPACE", e.g. "nightly: 0 3 * * * | 720h | gateway,postgres"
- `kubecostNamespaceBudgets`: "NAMESPACE:USD" monthly budgets, e.g. "gateway:400"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contract import cron
from settings import schema as s
from settings.loader import Values

CAPACITY_TYPES = ("spot", "on-demand", "reserved")
INGRESS_SCHEMES = ("internal", "internet-facing")

_OIDC_ID = r"[A-Za-z0-9]{16,64}"
_OIDC_HOST = rf"oidc\.eks\.([a-z]{{2}}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com/id/{_OIDC_ID}"
_OIDC_ARN = rf"arn:aws[a-z-]*:iam::(\d{{12}}):oidc-provider/({_OIDC_HOST})"
_OIDC_URL = rf"https://({_OIDC_HOST})"
# Karpenter's own patterns (karpenter.sh_nodepools.yaml): consolidateAfter accepts s/m/h, budget durations h/m.
_DURATION = r"([0-9]+(s|m|h))+"
_BUDGET_DURATION = r"(([0-9]+(h|m))|([0-9]+h[0-9]+m))"
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"


@dataclass(frozen=True)
class BackupSchedule:
    """One Velero Schedule: when (cron, UTC), how long backups live (TTL) and which namespaces they hold."""

    name: str
    cron: str
    ttl: str
    namespaces: tuple[str, ...]


@dataclass(frozen=True)
class NamespaceBudget:
    """A monthly spend budget for one namespace; Kubecost alerts Slack when a day's share is exceeded."""

    namespace: str
    monthly_usd: int


def _schedule(text: str) -> BackupSchedule:
    m = re.fullmatch(r"\s*([a-z0-9][a-z0-9-]{0,50}[a-z0-9]?)\s*:\s*(.+?)\s*\|\s*(\d+h)\s*\|\s*([^|]+?)\s*", text)
    if not m or int(m.group(3)[:-1]) < 1:
        raise ValueError(text)
    try:  # the parser that later computes the schedule's period (Velero's own syntax, @every included)
        cron.validate(m.group(2))
    except cron.CronError as e:
        raise s.Invalid(str(e)) from None
    namespaces = tuple(n.strip() for n in m.group(4).split(","))
    if not all(n == "*" or re.fullmatch(_LABEL, n) for n in namespaces) or len(set(namespaces)) != len(namespaces):
        raise ValueError(text)
    return BackupSchedule(m.group(1), m.group(2), m.group(3), namespaces)


def _no_disruption_schedule(text: str) -> str:
    """A Karpenter budget schedule: 5 fields or @hourly…@yearly (its CRD has no @every), or "" for none."""
    try:
        return text if text == "" else cron.validate(text, every=False)
    except cron.CronError as e:
        raise s.Invalid(str(e)) from None


def _budget(text: str) -> NamespaceBudget:
    namespace, _, usd = text.partition(":")
    if not re.fullmatch(_LABEL, namespace) or not usd.isdigit() or not 1 <= int(usd) <= 10_000_000:
        raise ValueError(text)
    return NamespaceBudget(namespace, int(usd))


@dataclass(frozen=True)
class ClusterSettings:
    # IRSA: the cluster's IAM OIDC identity provider (aws eks describe-cluster … identity.oidc.issuer).
    oidc_provider_arn: str = s.setting(
        "eksOidcProviderArn",
        s.string(_OIDC_ARN, "an IAM OIDC provider ARN such as arn:aws:iam::ACCOUNT:oidc-provider/oidc.eks.REGION…"),
        required=True,
    )
    # host/path without https:// — the prefix of the `:sub` / `:aud` condition keys (build() strips the scheme)
    oidc_issuer: str = s.setting(
        "eksOidcIssuerUrl",
        s.string(_OIDC_URL, "the cluster's OIDC issuer URL such as https://oidc.eks.us-east-1.amazonaws.com/id/ID"),
        required=True,
    )
    # Velero
    velero_namespace: str = s.setting("veleroNamespace", s.dns_label())
    velero_schedules: tuple[BackupSchedule, ...] = s.setting(
        "veleroSchedules",
        s.array(
            s.composite(
                _schedule, 'NAME: CRON | TTL | NAMESPACES, e.g. "nightly: 0 3 * * * | 720h | gateway,postgres"'
            ),
            min_items=1,
        ),
    )
    # Kubecost
    kubecost_namespace: str = s.setting("kubecostNamespace", s.dns_label())
    # "" in the stack file = kubecost.<domain> (build())
    kubecost_host: str = s.setting(
        "kubecostHost",
        s.string(
            r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
            "a DNS name, or empty for kubecost.<domain>",
            allow_empty=True,
        ),
    )
    kubecost_ingress_scheme: str = s.setting("kubecostIngressScheme", s.choice(*INGRESS_SCHEMES))
    kubecost_ingress_class: str = s.setting("kubecostIngressClass", s.dns_label())
    kubecost_namespace_budgets: tuple[NamespaceBudget, ...] = s.setting(
        "kubecostNamespaceBudgets", s.array(s.composite(_budget, 'NAMESPACE:USD, e.g. "gateway:400"'))
    )
    # The chart: Prometheus must keep more than 49 h or cost data is overwritten before Kubecost reads it.
    kubecost_prometheus_retention_days: int = s.setting("kubecostPrometheusRetentionDays", s.integer(3, 90))
    # Karpenter
    karpenter_namespace: str = s.setting("karpenterNamespace", s.dns_label())
    karpenter_capacity_types: tuple[str, ...] = s.setting(
        "karpenterCapacityTypes", s.array(s.choice(*CAPACITY_TYPES), min_items=1)
    )
    karpenter_instance_categories: tuple[str, ...] = s.setting(
        "karpenterInstanceCategories",
        s.array(s.string(r"[a-z]", "an EC2 instance category letter such as c, m or r"), min_items=1),
    )
    karpenter_cpu_limit: int = s.setting("karpenterCpuLimit", s.integer(1, 100_000))
    karpenter_memory_limit_gi: int = s.setting("karpenterMemoryLimitGi", s.integer(1, 1_000_000))
    karpenter_consolidate_after: str = s.setting(
        "karpenterConsolidateAfter", s.string(_DURATION, "a duration such as 30s, 1m or 1h")
    )
    karpenter_ami_alias: str = s.setting(
        "karpenterAmiAlias",
        s.string(r"al2023@(latest|v\d{8})", "an AL2023 alias: al2023@latest or a pinned al2023@vYYYYMMDD"),
    )
    karpenter_disruption_budget_percent: int = s.setting("karpenterDisruptionBudgetPercent", s.integer(1, 100))
    # "" = no freeze window
    karpenter_no_disruption_schedule: str = s.setting(
        "karpenterNoDisruptionSchedule",
        s.composite(_no_disruption_schedule, 'a cron schedule (UTC) such as "0 8 * * mon-fri", or empty'),
    )
    karpenter_no_disruption_duration: str = s.setting(
        "karpenterNoDisruptionDuration", s.string(_BUDGET_DURATION, "a duration in h/m such as 10h or 9h30m")
    )


KEYS = s.keys_of(ClusterSettings)


def build(v: Values) -> ClusterSettings:
    arn_match = re.fullmatch(_OIDC_ARN, v["eksOidcProviderArn"])
    url_match = re.fullmatch(_OIDC_URL, v["eksOidcIssuerUrl"])
    assert arn_match and url_match  # the key checks above guarantee both
    if arn_match.group(1) != v["awsAccountId"]:
        raise v.fail(
            "eksOidcProviderArn", f"must be in awsAccountId {v['awsAccountId']}, got account {arn_match.group(1)}"
        )
    if arn_match.group(2) != url_match.group(1):
        raise v.fail("eksOidcProviderArn", f"must name the issuer of eksOidcIssuerUrl ({url_match.group(1)})")
    if url_match.group(2) != v["primaryRegion"]:
        raise v.fail(
            "eksOidcIssuerUrl",
            f"must be the cluster's issuer in primaryRegion {v['primaryRegion']}, got {url_match.group(2)}",
        )

    schedules = v["veleroSchedules"]
    names = [sch.name for sch in schedules]
    if len(set(names)) != len(names):
        raise v.fail("veleroSchedules", "two schedules share a name")

    budgets = v["kubecostNamespaceBudgets"]
    namespaces = [b.namespace for b in budgets]
    if len(set(namespaces)) != len(namespaces):
        raise v.fail("kubecostNamespaceBudgets", "lists a namespace twice")
    total = sum(b.monthly_usd for b in budgets)
    if total > v["monthlyBudgetUsd"]:
        raise v.fail(
            "kubecostNamespaceBudgets",
            f"namespace budgets add up to {total} USD, more than the stack's monthlyBudgetUsd {v['monthlyBudgetUsd']}",
        )
    add_on_namespaces = {"veleroNamespace": v["veleroNamespace"], "kubecostNamespace": v["kubecostNamespace"]}
    for key, namespace in add_on_namespaces.items():
        if namespace == v["karpenterNamespace"] or (key == "kubecostNamespace" and namespace == v["veleroNamespace"]):
            raise v.fail(key, f"each add-on needs its own namespace; {s.show(namespace)} is already used")
    production_like = v["environment"] in ("stage", "prod")
    if production_like and v["kubecostIngressScheme"] != "internal":
        raise v.fail(
            "kubecostIngressScheme",
            "must be internal in stage and prod (the Kubecost UI has no login of its own), got "
            + s.show(v["kubecostIngressScheme"]),
        )

    if v["environment"] == "prod":
        if "on-demand" not in v["karpenterCapacityTypes"]:
            raise v.fail(
                "karpenterCapacityTypes", "must include on-demand in prod (spot alone can lose every node at once)"
            )
        if v["karpenterAmiAlias"].endswith("@latest"):
            raise v.fail(
                "karpenterAmiAlias",
                "must be pinned in prod (al2023@vYYYYMMDD); @latest rolls every node on each AMI release",
            )
        if not v["karpenterNoDisruptionSchedule"]:
            raise v.fail(
                "karpenterNoDisruptionSchedule",
                "must be set in prod: no voluntary node disruption during business hours",
            )

    return s.build_from(
        ClusterSettings,
        v,
        oidc_issuer=url_match.group(1),
        kubecost_host=v["kubecostHost"] or f"kubecost.{v['domain']}",
    )
