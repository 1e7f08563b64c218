"""DrDashboard: the CloudWatch DR dashboard lives in the DR region and shows only metrics this stack produces."""

import json

from components.dashboards import DRILL_METRICS, DRILL_NAMESPACE, DashboardInputs, dashboard_body

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
# Metrics AWS publishes without an alarm of ours to match against, and the drill's own (docs/audit-and-dashboards.md).
KNOWN_WITHOUT_ALARM = {
    ("AWS/Billing", "EstimatedCharges", (("Currency", "USD"),)),
    *((DRILL_NAMESPACE, m, (("Environment", "prod"),)) for m in DRILL_METRICS),
}


def body(run):
    return json.loads(run.one(DASHBOARD).inputs["dashboardBody"])


def metrics(dashboard):
    """(namespace, metric, dimensions, widget region) of every metric line of every metric widget."""
    for w in dashboard["widgets"]:
        if w["type"] != "metric":
            continue
        for line in w["properties"]["metrics"]:
            plain = [x for x in line if not isinstance(x, dict)]
            dims = tuple(sorted(zip(plain[2::2], plain[3::2], strict=True)))
            yield plain[0], plain[1], dims, w["properties"]["region"]


def alarm_metrics(run):
    return {
        (a.inputs["namespace"], a.inputs["metricName"], tuple(sorted(a.inputs["dimensions"].items())), a.region)
        for a in run.all(ALARM)
        if "dimensions" in a.inputs
    }


def test_dashboard_lives_in_the_dr_region(prod):
    assert prod.one(DASHBOARD).region == "us-west-2"
    assert prod.one(DASHBOARD).inputs["dashboardName"] == "summit-prod-dr"


def test_every_aws_metric_is_one_this_stack_alarms_on_in_the_same_region(prod):
    alarmed = alarm_metrics(prod)
    for namespace, metric, dims, region in metrics(body(prod)):
        if (namespace, metric, dims) in KNOWN_WITHOUT_ALARM:
            continue
        assert (namespace, metric, dims, region) in alarmed, (namespace, metric, dims, region)


def test_replica_lag_health_checks_and_s3_replication_are_all_shown(prod):
    shown = {(ns, m) for ns, m, _, _ in metrics(body(prod))}
    assert {("AWS/RDS", "ReplicaLag"), ("AWS/Route53", "HealthCheckStatus")} <= shown
    assert {("AWS/S3", "ReplicationLatency"), ("AWS/S3", "OperationsFailedReplication")} <= shown


def test_every_health_check_and_every_replicated_bucket_has_a_line(prod):
    lines = list(metrics(body(prod)))
    check_ids = {dict(d)["HealthCheckId"] for ns, _, d, _ in lines if ns == "AWS/Route53"}
    assert check_ids == {c.id for c in prod.all("aws:route53/healthCheck:HealthCheck")} and len(check_ids) == 4
    sources = {dict(d)["SourceBucket"] for ns, m, d, _ in lines if m == "ReplicationLatency"}
    assert sources == {b["primaryBucket"] for b in prod.outputs["buckets"].values()}


def test_billing_reads_us_east_1_with_the_budget_and_forecast_alert_lines(prod):
    (widget,) = [w for w in body(prod)["widgets"] if "EstimatedCharges" in json.dumps(w)]
    assert widget["properties"]["region"] == "us-east-1"
    assert widget["properties"]["annotations"]["horizontal"] == [
        {"value": 20000, "label": "monthly budget"},
        {"value": 16000, "label": "forecast alert (80 %)"},
    ]


def test_stack_exports_the_dashboard_name(prod):
    assert prod.outputs["drDashboardName"] == "summit-prod-dr"


def inputs(**extra):
    return DashboardInputs(
        environment="prod", primary_region="us-east-1", dr_region="us-west-2", replica_identifier=None,
        replica_lag_alarm_seconds=60, health_checks={}, buckets=(), monthly_budget_usd=100, **extra,
    )  # fmt: skip


def test_backup_and_canary_widgets_appear_only_when_their_names_are_given():
    bare = {ns for ns, *_ in metrics(dashboard_body(inputs()))}
    assert "AWS/Backup" not in bare and "CloudWatchSynthetics" not in bare
    wired = list(
        metrics(
            dashboard_body(
                inputs(
                    backup_vaults={"us-west-2": "summit-prod-dr"}, canaries={"us-east-1": ("gw",), "us-west-2": ("gw",)}
                )
            )
        )
    )
    assert ("AWS/Backup", "NumberOfRestoreJobsFailed", (("BackupVaultName", "summit-prod-dr"),), "us-west-2") in wired
    assert ("CloudWatchSynthetics", "SuccessPercent", (("CanaryName", "gw"),), "us-east-1") in wired
    assert ("CloudWatchSynthetics", "SuccessPercent", (("CanaryName", "gw"),), "us-west-2") in wired


def test_drill_widget_reads_the_namespace_the_drill_publishes_to():
    lines = [x for x in metrics(dashboard_body(inputs())) if x[0] == DRILL_NAMESPACE]
    assert [m for _, m, _, _ in lines] == list(DRILL_METRICS)
    assert all(dims == (("Environment", "prod"),) for _, _, dims, _ in lines)
