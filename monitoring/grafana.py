"""The in-cluster resilience dashboard, built with grafana-foundation-sdk (Grafana's own builders), and the
list of every metric its queries may name, with where that metric comes from.

tests/test_grafana_dashboard.py parses each panel's PromQL and fails on a metric not in `METRIC_SOURCES`, and
checks the ones from this repository's rules/exporters against those files.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

UID = "summit-resilience"
# kube-prometheus-stack provisions its Prometheus data source with uid "prometheus" (grafana.sidecar.datasources).
DATASOURCE = DataSourceRef(type_val="prometheus", uid="prometheus")

# Every metric a panel may query, and its source. Velero, Karpenter and Kubecost metrics are named in their
# upstream docs for the versions this stack deploys (components/backups.py, autoscaling.py, costs.py).
METRIC_SOURCES: dict[str, str] = {
    "probe_success": "blackbox exporter (components/synthetics.py Probes; monitoring/rules/synthetics.yml)",
    "probe_duration_seconds": "blackbox exporter prober metrics (github.com/prometheus/blackbox_exporter)",
    "velero_backup_last_successful_timestamp": "Velero /metrics (pkg/metrics/metrics.go; monitoring/rules/dr.yml)",
    "velero_backup_failure_total": "Velero /metrics (pkg/metrics/metrics.go; monitoring/rules/dr.yml)",
    "velero_backup_success_total": "Velero /metrics (pkg/metrics/metrics.go)",
    "aws_rds_replica_lag_average": "YACE export of AWS/RDS ReplicaLag (monitoring/rules/dr.yml header)",
    "karpenter_nodeclaims_created_total": "Karpenter 1.14 metrics reference (karpenter.sh/v1.14/reference/metrics)",
    "karpenter_nodeclaims_disrupted_total": "Karpenter 1.14 metrics reference (karpenter.sh/v1.14/reference/metrics)",
    "node_total_hourly_cost": "Kubecost cost-model metrics (docs.kubecost.com, 'Kubecost Metrics')",
}


def _query(expr: str, legend: str) -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend)


def _series(title: str, unit: str, *queries: prometheus.Dataquery) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(DATASOURCE).span(12).height(8)
    for q in queries:
        panel = panel.with_target(q)
    return panel


def build_dashboard(environment: str) -> dict[str, Any]:
    """The dashboard model as plain JSON (what the Grafana sidecar loads from the ConfigMap)."""
    board = (
        dashboard.Dashboard(f"Summit resilience ({environment})")
        .uid(f"{UID}-{environment}")
        .tags(["summit", "dr", environment])
        .time("now-24h", "now")
        .refresh("1m")
        .with_row(dashboard.Row("Synthetic probes"))
        .with_panel(
            stat.Panel()
            .title("Probe success (last 5 min)")
            .unit("percentunit")
            .datasource(DATASOURCE)
            .span(12)
            .height(8)
            .with_target(_query("avg by (job, instance) (avg_over_time(probe_success[5m]))", "{{job}}"))
        )
        .with_panel(
            _series(
                "Probe latency per target", "s", _query("max by (job, instance) (probe_duration_seconds)", "{{job}}")
            )
        )
        .with_row(dashboard.Row("Cluster backups (Velero)"))
        .with_panel(
            _series(
                "Age of the last successful backup per schedule",
                "s",
                _query('time() - velero_backup_last_successful_timestamp{schedule=~".+"}', "{{schedule}}"),
            )
        )
        .with_panel(
            _series(
                "Backups per schedule (1 h)",
                "short",
                _query('increase(velero_backup_failure_total{schedule=~".+"}[1h])', "failed {{schedule}}"),
                _query('increase(velero_backup_success_total{schedule=~".+"}[1h])', "ok {{schedule}}"),
            )
        )
        .with_panel(
            _series(
                "Database replica lag",
                "s",
                _query(
                    "max by (dimension_DBInstanceIdentifier) (aws_rds_replica_lag_average)",
                    "{{dimension_DBInstanceIdentifier}}",
                ),
            )
        )
        .with_row(dashboard.Row("Nodes and cost"))
        .with_panel(
            _series(
                "Karpenter node claims (1 h)",
                "short",
                _query("sum by (nodepool) (increase(karpenter_nodeclaims_created_total[1h]))", "created {{nodepool}}"),
                _query(
                    "sum by (nodepool, reason) (increase(karpenter_nodeclaims_disrupted_total[1h]))",
                    "disrupted {{nodepool}} ({{reason}})",
                ),
            )
        )
        .with_panel(
            _series(
                "Kubecost: node cost, monthly rate (USD)",
                "currencyUSD",
                _query("sum(node_total_hourly_cost) * 730", "all nodes"),
            )
        )
    )
    model = board.build()
    return json.loads(json.dumps(model, cls=JSONEncoder))  # type: ignore[no-any-return]


def panel_queries(model: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every target of every panel, rows included."""
    panels = list(model.get("panels") or [])
    for p in list(panels):
        panels += p.get("panels") or []
    return [(p.get("title", ""), t["expr"]) for p in panels for t in p.get("targets") or [] if "expr" in t]
