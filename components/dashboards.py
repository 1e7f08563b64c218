"""DrDashboard: the stack's DR and resilience dashboard (seed 002 §10) as code, created in the DR region so it
is still there when the primary region is not. Widgets read metrics in the region that publishes them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from monitoring.grafana import build_dashboard

if TYPE_CHECKING:
    from settings import StackSettings

# The drill (ops/drill.py) publishes its measured objectives here, dimension Environment=<stack>; the widget
# shows nothing until the first drill has run. Names fixed in docs/audit-and-dashboards.md.
DRILL_NAMESPACE = "Summit/DR"
DRILL_METRICS = ("MeasuredRtoSeconds", "MeasuredRpoSeconds")
# Route53 health-check metrics and AWS/Billing exist only in us-east-1 (Route53 and Billing docs).
GLOBAL_METRICS_REGION = "us-east-1"
WIDTH, HALF, HEIGHT = 24, 12, 6


@dataclass(frozen=True)
class ReplicatedBucketMetrics:
    """The dimensions S3 publishes replication metrics under (per rule, in the source region)."""

    purpose: str
    source_bucket: str
    destination_bucket: str
    rule_id: str


@dataclass(frozen=True)
class DashboardInputs:
    """Plain values (resolved outputs) the body is built from; optional parts add widgets only when given."""

    environment: str
    primary_region: str
    dr_region: str
    replica_identifier: str | None
    replica_lag_alarm_seconds: int
    health_checks: dict[str, dict[str, str]]  # host → {"primary": id, "secondary": id}
    buckets: tuple[ReplicatedBucketMetrics, ...]
    monthly_budget_usd: int
    forecast_alert_percent: int | None = None
    backup_vaults: dict[str, str] = field(default_factory=dict)  # region → vault name
    canaries: dict[str, tuple[str, ...]] = field(default_factory=dict)  # region → Synthetics canary names there


def _metric_widget(
    title: str, region: str, metrics: list[list[Any]], *, stat: str, width: int = HALF, **props: Any
) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": width,
        "height": HEIGHT,
        "properties": {"title": title, "region": region, "metrics": metrics, "stat": stat, "period": 300, **props},
    }


def _s3_dimensions(metric: str, b: ReplicatedBucketMetrics) -> list[Any]:
    dims = ("SourceBucket", b.source_bucket, "DestinationBucket", b.destination_bucket, "RuleId", b.rule_id)
    return ["AWS/S3", metric, *dims]


def _threshold(value: float, label: str) -> dict[str, Any]:
    return {"horizontal": [{"value": value, "label": label}]}


def dashboard_body(d: DashboardInputs) -> dict[str, Any]:
    """The dashboard JSON (CloudWatch dashboard body structure: widgets of type metric/text, each metric as
    [namespace, name, dimension name, value, …, {options}])."""
    widgets: list[dict[str, Any]] = [
        {
            "type": "text",
            "width": WIDTH,
            "height": 2,
            "properties": {
                "markdown": f"# {d.environment}: DR and resilience\nPrimary {d.primary_region}, DR {d.dr_region}. "
                "This dashboard lives in the DR region; Route53 and billing widgets read us-east-1."
            },
        }
    ]
    if d.replica_identifier:
        widgets.append(
            _metric_widget(
                "Database replica lag (s)",
                d.dr_region,
                [["AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", d.replica_identifier]],
                stat="Maximum",
                annotations=_threshold(d.replica_lag_alarm_seconds, "alarm (RPO budget)"),
            )
        )
    if d.health_checks:
        widgets.append(
            _metric_widget(
                "Route53 health checks (1 = healthy)",
                GLOBAL_METRICS_REGION,
                [
                    ["AWS/Route53", "HealthCheckStatus", "HealthCheckId", check_id, {"label": f"{host} {role}"}]
                    for host, checks in sorted(d.health_checks.items())
                    for role, check_id in sorted(checks.items())
                ],
                stat="Minimum",
            )
        )
    if d.buckets:
        for title, metric, stat in (
            ("S3 replication latency (s)", "ReplicationLatency", "Maximum"),
            ("S3 objects failed to replicate", "OperationsFailedReplication", "Sum"),
        ):
            widgets.append(
                _metric_widget(
                    title,
                    d.primary_region,
                    [[*_s3_dimensions(metric, b), {"label": b.purpose}] for b in d.buckets],
                    stat=stat,
                )
            )
    # Canaries publish SuccessPercent in their own region: one widget per region (the DR one outlives the primary).
    for region, names in sorted(d.canaries.items()):
        if names:
            widgets.append(
                _metric_widget(
                    f"Synthetics canaries success (%) from {region}",
                    region,
                    [["CloudWatchSynthetics", "SuccessPercent", "CanaryName", n] for n in names],
                    stat="Average",
                )
            )
    for region, vault in sorted(d.backup_vaults.items()):
        widgets.append(
            _metric_widget(
                f"AWS Backup job failures ({region})",
                region,
                [
                    ["AWS/Backup", m, "BackupVaultName", vault]
                    # The job failures each vault alarms on (components/aws_backup.py JOB_FAILURE_METRICS).
                    for m in ("NumberOfBackupJobsFailed", "NumberOfCopyJobsFailed", "NumberOfRestoreJobsFailed")
                ],
                stat="Sum",
            )
        )
    widgets.append(
        _metric_widget(
            "Drill: measured RTO and RPO (s)",
            d.dr_region,
            [[DRILL_NAMESPACE, m, "Environment", d.environment] for m in DRILL_METRICS],
            stat="Maximum",
            period=86400,
        )
    )
    budget_lines = [{"value": d.monthly_budget_usd, "label": "monthly budget"}]
    if d.forecast_alert_percent is not None:
        budget_lines.append(
            {
                "value": d.monthly_budget_usd * d.forecast_alert_percent / 100,
                "label": f"forecast alert ({d.forecast_alert_percent} %)",
            }
        )
    widgets.append(
        _metric_widget(
            "Account estimated charges vs budget (USD)",
            GLOBAL_METRICS_REGION,
            [["AWS/Billing", "EstimatedCharges", "Currency", "USD"]],
            stat="Maximum",
            period=21600,  # billing data points arrive a few times a day
            annotations={"horizontal": budget_lines},
        )
    )
    return {"widgets": widgets}


@dataclass(frozen=True)
class DrDashboardArgs:
    """What the caller decides: the stack's identifiers (outputs allowed) and its objectives."""

    name: str  # DashboardName: up to 255 of A-Z a-z 0-9 - _ (CloudWatch PutDashboard)
    environment: str
    primary_region: str
    dr_region: str
    replica_identifier: pulumi.Input[str] | None
    replica_lag_alarm_seconds: int
    health_check_ids: dict[str, dict[str, pulumi.Input[str]]]
    buckets: dict[str, tuple[pulumi.Input[str], pulumi.Input[str], str]]  # purpose → (source, destination, rule)
    monthly_budget_usd: int
    forecast_alert_percent: int | None = None
    backup_vaults: dict[str, pulumi.Input[str]] = field(default_factory=dict)  # region → vault name
    canaries: dict[str, tuple[pulumi.Input[str], ...]] = field(default_factory=dict)  # region → canary names

    @classmethod
    def from_settings(
        cls,
        config: StackSettings,
        *,
        replica_identifier: pulumi.Input[str] | None,
        health_check_ids: dict[str, dict[str, pulumi.Input[str]]],
        buckets: dict[str, tuple[pulumi.Input[str], pulumi.Input[str], str]],
        canaries: dict[str, tuple[pulumi.Input[str], ...]],
        backup_vaults: dict[str, pulumi.Input[str]],
    ) -> DrDashboardArgs:
        core = config.core
        return cls(
            name=f"{core.name_prefix}-dr",
            environment=core.environment,
            primary_region=core.primary_region,
            dr_region=core.dr_region,
            replica_identifier=replica_identifier,
            replica_lag_alarm_seconds=config.data.db_replica_lag_alarm_seconds,
            health_check_ids=health_check_ids,
            buckets=buckets,
            monthly_budget_usd=core.monthly_budget_usd,
            forecast_alert_percent=min(
                (n.percent for n in core.budget_notifications if n.kind == "FORECASTED"), default=None
            ),
            canaries=canaries,
            backup_vaults=backup_vaults,
        )


class DrDashboard(pulumi.ComponentResource):
    """One CloudWatch dashboard per stack in the DR region (dashboards are regional; this one must outlive the
    primary). Its body is built by `dashboard_body` once every identifier is known."""

    dashboard: aws.cloudwatch.Dashboard

    def __init__(
        self, name: str, args: DrDashboardArgs, *, provider: aws.Provider, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("summit:dashboards:DrDashboard", name, None, opts)
        here = pulumi.ResourceOptions(parent=self, provider=provider)
        resolved = pulumi.Output.all(
            replica=args.replica_identifier,
            checks=args.health_check_ids,
            buckets=args.buckets,
            vaults=args.backup_vaults,
            canaries={region: list(names) for region, names in args.canaries.items()},
        )
        body = resolved.apply(
            lambda r: json.dumps(
                dashboard_body(
                    DashboardInputs(
                        environment=args.environment,
                        primary_region=args.primary_region,
                        dr_region=args.dr_region,
                        replica_identifier=r["replica"],
                        replica_lag_alarm_seconds=args.replica_lag_alarm_seconds,
                        health_checks=r["checks"],
                        buckets=tuple(
                            ReplicatedBucketMetrics(purpose, src, dst, rule)
                            for purpose, (src, dst, rule) in sorted(r["buckets"].items())
                        ),
                        monthly_budget_usd=args.monthly_budget_usd,
                        forecast_alert_percent=args.forecast_alert_percent,
                        backup_vaults=r["vaults"],
                        canaries={region: tuple(names) for region, names in r["canaries"].items()},
                    )
                ),
                sort_keys=True,
            )
        )
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard", dashboard_name=args.name, dashboard_body=body, opts=here
        )
        self.register_outputs({"dashboardName": self.dashboard.dashboard_name})


# kube-prometheus-stack's Grafana sidecar loads ConfigMaps carrying grafana.sidecar.dashboards.label=labelValue
# (chart defaults: grafana_dashboard / "1"), from Grafana's own namespace unless searchNamespace says otherwise.
SIDECAR_LABEL = {"grafana_dashboard": "1"}


@dataclass(frozen=True)
class GrafanaDashboardArgs:
    environment: str
    namespace: str  # where the Grafana sidecar looks (kube-prometheus-stack's namespace by default)

    @classmethod
    def from_settings(cls, config: StackSettings) -> GrafanaDashboardArgs:
        return cls(environment=config.core.environment, namespace=config.synthetics.grafana_dashboard_namespace)


class GrafanaDashboard(pulumi.ComponentResource):
    """The in-cluster resilience dashboard (monitoring/grafana.py) as a ConfigMap the Grafana sidecar loads."""

    config_map: k8s.core.v1.ConfigMap

    def __init__(
        self,
        name: str,
        args: GrafanaDashboardArgs,
        *,
        provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:dashboards:GrafanaDashboard", name, None, opts)
        model = build_dashboard(args.environment)
        self.config_map = k8s.core.v1.ConfigMap(
            f"{name}-configmap",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"summit-resilience-{args.environment}-dashboard",
                namespace=args.namespace,
                labels={**SIDECAR_LABEL, "app.kubernetes.io/part-of": "summit-resilience"},
            ),
            data={f"summit-resilience-{args.environment}.json": json.dumps(model, sort_keys=True)},
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        self.register_outputs({"configMap": self.config_map.metadata.name})
