"""The Grafana resilience dashboard: built with grafana-foundation-sdk, loaded by the sidecar, querying only
metrics this stack's exporters, rules and add-ons produce."""

import json
import re
from pathlib import Path

import pytest
import yaml

from monitoring.grafana import METRIC_SOURCES, build_dashboard, panel_queries

ROOT = Path(__file__).resolve().parent.parent
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
# PromQL words that are not metric names: functions, aggregations, keywords.
PROMQL_WORDS = {"avg", "max", "min", "sum", "by", "without", "time", "increase", "rate", "avg_over_time", "on"}


def metric_names(expr):
    expr = re.sub(r'"[^"]*"', '""', expr)  # label values
    expr = re.sub(r"\{[^}]*\}", "{}", expr)  # matchers
    expr = re.sub(r"\[[^\]]*\]", "[]", expr)  # ranges
    expr = re.sub(r"by \([^)]*\)", "", expr)  # grouping labels
    return {w for w in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr) if w not in PROMQL_WORDS}


@pytest.fixture(scope="module")
def model():
    return build_dashboard("prod")


def test_every_panel_queries_only_metrics_with_a_known_source(model):
    queries = panel_queries(model)
    assert len(queries) >= 8
    for title, expr in queries:
        unknown = metric_names(expr) - set(METRIC_SOURCES)
        assert not unknown, f"{title}: {unknown}"


def test_metrics_said_to_come_from_this_repositorys_rules_are_in_those_rules():
    rules = {p.name: p.read_text() for p in (ROOT / "monitoring/rules").glob("*.yml")}
    for metric, source in METRIC_SOURCES.items():
        for name in re.findall(r"monitoring/rules/(\w+\.yml)", source):
            assert metric in rules[name], (metric, name)


def test_probe_velero_karpenter_and_kubecost_each_have_a_panel(model):
    used = set().union(*(metric_names(e) for _, e in panel_queries(model)))
    assert {"probe_success", "probe_duration_seconds"} <= used
    assert {"velero_backup_last_successful_timestamp", "velero_backup_failure_total"} <= used
    assert {"karpenter_nodeclaims_created_total", "node_total_hourly_cost"} <= used


def test_probe_panels_split_per_target(model):
    probes = [e for _, e in panel_queries(model) if "probe_" in e]
    assert probes and all("by (job, instance)" in e for e in probes)


def test_blackbox_job_labels_the_panels_group_by_are_the_probes_this_stack_creates(prod):
    jobs = {p.inputs["spec"]["jobName"] for p in prod.all("kubernetes:monitoring.coreos.com/v1:Probe")}
    assert jobs == set(prod.outputs["probeTargets"])


def test_dashboard_ships_as_a_configmap_the_grafana_sidecar_loads(prod):
    cm = prod.one(CONFIG_MAP, "grafana-dashboard-configmap")
    assert cm.inputs["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert cm.inputs["metadata"]["namespace"] == "monitoring"
    (body,) = cm.inputs["data"].values()
    assert json.loads(body)["uid"] == "summit-resilience-prod"


def test_velero_panels_read_the_schedule_label_the_dr_rules_use(model):
    rules = yaml.safe_load((ROOT / "monitoring/rules/dr.yml").read_text())
    rule_exprs = [r["expr"] for g in rules["groups"] for r in g["rules"] if "velero" in r["expr"]]
    assert all("schedule=" in e for e in rule_exprs)  # every rule keys on the schedule label (one pins "hourly")
    velero = [e for _, e in panel_queries(model) if "velero" in e]
    assert velero and all('schedule=~".+"' in e for e in velero)
