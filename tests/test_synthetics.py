"""SyntheticProbes: blackbox exporter release, Probes, the PrometheusRule and Alertmanager routing in the cluster."""

import dataclasses
import json
import re

import pytest
import yaml

import monitoring
from components.synthetics import (
    CHART,
    CHART_REPO,
    CHART_VERSION,
    SyntheticProbes,
    SyntheticProbesArgs,
)
from monitoring.alertmanager import PAGERDUTY_RECEIVER, SLACK_RECEIVER, alertmanager_yml
from preflight.engine import SecretValue
from tests.harness import run_component
from tests.schemas import assert_values_known, chart_metadata, validate_custom_resource

PROBE = "kubernetes:monitoring.coreos.com/v1:Probe"
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
ROUTING = "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig"
RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"


def build(s, p, **overrides):
    args = dataclasses.replace(SyntheticProbesArgs.from_settings(s), **overrides)
    return SyntheticProbes("synthetics", args, provider=p.kubernetes)


@pytest.fixture(scope="module")
def prod():
    return run_component(build, "prod")


def _custom_resource(res):
    return {k: res.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")}


def _probes(run):
    return {p.inputs["spec"]["jobName"]: p.inputs["spec"] for p in run.all(PROBE)}


# --- blackbox exporter release -----------------------------------------------------------------------------


def test_blackbox_exporter_chart_is_pinned_to_the_version_the_shared_schemas_describe(prod):
    release = prod.one(RELEASE)
    assert (
        (release.inputs["chart"], release.inputs["version"])
        == (CHART, CHART_VERSION)
        == ("prometheus-blackbox-exporter", "11.17.2")
    )
    assert (
        release.inputs["repositoryOpts"]["repo"] == CHART_REPO == "https://prometheus-community.github.io/helm-charts"
    )
    assert chart_metadata(CHART)["version"] == CHART_VERSION


def test_exporter_image_is_pinned_to_the_charts_app_version(prod):
    assert prod.one(RELEASE).inputs["values"]["image"]["tag"] == chart_metadata(CHART)["appVersion"] == "v0.28.0"


def test_every_helm_value_key_exists_in_the_charts_values_yaml(prod):
    # config.modules is the exporter's own config, passed through toYaml: the real exporter checks it
    # (tests/test_monitoring_tools.py runs it with --config.check and probes with it).
    assert_values_known(CHART, prod.one(RELEASE).inputs["values"], free_form=["config.modules"])


def test_release_lives_in_its_own_namespace_created_by_the_component(prod):
    release = prod.one(RELEASE)
    assert release.inputs["namespace"] == "synthetics"
    assert release.inputs["createNamespace"] is False
    namespace = prod.one("kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["name"] == "synthetics"
    assert namespace.urn in release.dependencies


def test_release_modules_are_exactly_the_repos_blackbox_yml(prod):
    modules = yaml.safe_load(monitoring.BLACKBOX_CONFIG.read_text())["modules"]
    assert prod.one(RELEASE).inputs["values"]["config"]["modules"] == modules


def test_graphql_module_posts_the_typename_query_as_json_and_accepts_only_2xx():
    http = monitoring.blackbox_modules()["graphql_post"]["http"]
    assert http["method"] == "POST"
    assert http["headers"] == {"Content-Type": "application/json"}
    assert json.loads(http["body"]) == {"query": "{ __typename }"}
    assert http.get("valid_status_codes", []) == []  # the exporter's default: any 2xx


def test_http_2xx_module_is_seed_000s_get_with_a_10s_timeout():
    module = monitoring.blackbox_modules()["http_2xx"]
    assert (module["prober"], module["timeout"], module["http"]["method"]) == ("http", "10s", "GET")
    assert module["http"]["preferred_ip_protocol"] == "ip4"


def test_production_like_stacks_run_two_exporters_behind_a_disruption_budget(prod):
    values = prod.one(RELEASE).inputs["values"]
    assert values["replicas"] == 2 and values["podDisruptionBudget"] == {"maxUnavailable": 1}


def test_dev_runs_one_exporter_without_a_disruption_budget():
    values = run_component(build, "dev").one(RELEASE).inputs["values"]
    assert values["replicas"] == 1 and "podDisruptionBudget" not in values


# --- probes -------------------------------------------------------------------------------------------------


def test_gateway_probe_posts_graphql_to_the_stacks_gateway(prod):
    spec = _probes(prod)["blackbox-gateway"]
    assert spec["targets"]["staticConfig"]["static"] == ["https://gateway.summit.example.com/graphql"]
    assert spec["module"] == "graphql_post"


def test_wallet_probe_gets_the_wallet_health_endpoint_with_http_2xx(prod):
    spec = _probes(prod)["blackbox-wallet"]
    assert spec["targets"]["staticConfig"]["static"] == ["https://gateway.summit.example.com/wallet/health"]
    assert spec["module"] == "http_2xx"


def test_probes_go_through_the_releases_service_every_probe_interval(prod):
    for spec in _probes(prod).values():
        assert spec["prober"] == {"url": "prometheus-blackbox-exporter.synthetics.svc:9115", "path": "/probe"}
        assert spec["interval"] == "30s"


def test_probe_interval_follows_config():
    run = run_component(build, "stage", overrides={"probeInterval": "1m"})
    assert {s["interval"] for s in _probes(run).values()} == {"1m"}


def test_wallet_probe_can_be_switched_off():
    run = run_component(build, "stage", overrides={"probeWalletEnabled": False})
    assert set(_probes(run)) == {"blackbox-gateway"}


def test_every_job_the_rules_select_on_is_a_probe_job(prod):
    exprs = " ".join(str(rule["expr"]) for rule in monitoring.alerting_rules().values())
    exact = set(re.findall(r'job="([^"]+)"', exprs))
    assert exact == {"blackbox-gateway", "blackbox-wallet"}
    assert exact <= set(_probes(prod))
    for pattern in re.findall(r'job=~"([^"]+)"', exprs):
        assert all(re.fullmatch(pattern, job) for job in _probes(prod))


def test_a_probe_with_a_module_blackbox_yml_lacks_is_refused():
    from components.synthetics import ProbeTargetArgs

    bad = (ProbeTargetArgs("tcp", "blackbox-tcp", "gateway.example.com:443", "tcp_connect"),)
    with pytest.raises(Exception, match="module 'tcp_connect' is not in"):
        run_component(lambda s, p: build(s, p, targets=bad), "dev")


# --- selection labels and CRD schemas ---------------------------------------------------------------------


def test_probes_rule_and_routing_carry_the_labels_the_prometheus_operator_selects_on():
    run = run_component(
        build, "stage", overrides={"prometheusSelectorLabels": ["release=monitoring", "team.example.com/owner=sre"]}
    )
    for res in [*run.all(PROBE), run.one(RULE), run.one(ROUTING)]:
        assert res.inputs["metadata"]["labels"] == {"release": "monitoring", "team.example.com/owner": "sre"}
    self_monitor = run.one(RELEASE).inputs["values"]["serviceMonitor"]["selfMonitor"]
    assert self_monitor["labels"] == {"release": "monitoring", "team.example.com/owner": "sre"}


@pytest.mark.parametrize("kind", [PROBE, RULE, ROUTING])
def test_every_custom_resource_matches_its_upstream_crd_with_no_unknown_keys(prod, kind):
    resources = prod.all(kind)
    assert resources
    for res in resources:
        validate_custom_resource(_custom_resource(res))


def test_crd_validation_would_catch_seed_000s_misspelt_static_targets(prod):
    # Seed 000 wrote `targets.staticConfig.targets`; the CRD field is `static` and the API server would drop it.
    probe = _custom_resource(prod.all(PROBE)[0])
    probe["spec"] = {**probe["spec"], "targets": {"staticConfig": {"targets": ["https://example.com"]}}}
    with pytest.raises(AssertionError, match=r"staticConfig\.targets: unknown key"):
        validate_custom_resource(probe)


# --- PrometheusRule -----------------------------------------------------------------------------------------


def test_prometheus_rule_deploys_the_repos_rule_files_verbatim(prod):
    from_files = [g for path in monitoring.rule_files() for g in yaml.safe_load(path.read_text())["groups"]]
    assert prod.one(RULE).inputs["spec"]["groups"] == from_files
    assert {p.name for p in monitoring.rule_files()} == {"synthetics.yml", "dr.yml"}


def test_rule_file_holds_the_issues_alerts_with_their_severities_and_durations():
    rules = monitoring.alerting_rules()
    summary = {name: (r["labels"]["severity"], r.get("for")) for name, r in rules.items()}
    assert summary == {
        "GatewayDown": ("critical", "2m"),
        "WalletVerifyDown": ("warning", "5m"),
        "ProbeSlow": ("warning", "10m"),
        "CertificateExpiringSoon": ("warning", "15m"),
        "DatabaseReplicaLagHigh": ("critical", "5m"),
        "VeleroBackupFailed": ("warning", None),
        "VeleroBackupTooOld": ("critical", "15m"),
        "VeleroHourlyBackupTooOld": ("critical", "15m"),
    }
    assert rules["GatewayDown"]["expr"] == 'probe_success{job="blackbox-gateway"} == 0'


@pytest.mark.parametrize("stack", ["dev", "stage", "prod"])
def test_dr_rule_thresholds_equal_every_stacks_alarm_and_backup_schedule(stack):
    from contract.cron import period_seconds
    from tests.harness import stack_settings

    s = stack_settings(stack)
    intervals = {sch.name: period_seconds(sch.cron) for sch in s.cluster.velero_schedules}
    longest_other = max(seconds for name, seconds in intervals.items() if name != "hourly")
    assert monitoring.alert_threshold("DatabaseReplicaLagHigh") == s.data.db_replica_lag_alarm_seconds
    assert monitoring.alert_threshold("VeleroBackupTooOld") == longest_other + monitoring.BACKUP_AGE_SLACK_SECONDS
    assert monitoring.alert_threshold("VeleroHourlyBackupTooOld") == (
        intervals["hourly"] + monitoring.HOURLY_BACKUP_AGE_SLACK_SECONDS
    )
    assert monitoring.threshold_mismatches(s.data.db_replica_lag_alarm_seconds, intervals) == []


def test_a_stalled_hourly_schedule_pages_within_ninety_minutes_not_after_the_nightly_alerts_26_hours():
    assert monitoring.expected_thresholds(60, {"nightly": 86400, "hourly": 3600}) == {
        "DatabaseReplicaLagHigh": 60,
        "VeleroBackupTooOld": 93600,
        "VeleroHourlyBackupTooOld": 5400,
    }


def test_an_hourly_schedule_that_runs_less_often_is_refused_in_settings():
    from tests.harness import stack_settings

    schedules = ["nightly: 0 3 * * * | 720h | gateway", "hourly: 30 */2 * * * | 168h | postgres"]
    with pytest.raises(Exception) as refused:
        stack_settings("stage", {"veleroSchedules": schedules})
    assert "implies VeleroHourlyBackupTooOld at 9000 s but monitoring/rules/dr.yml alerts at 5400 s" in str(
        refused.value
    )


def test_component_refuses_rules_that_disagree_with_the_replica_lag_alarm():
    with pytest.raises(Exception, match="DatabaseReplicaLagHigh above 60 s, but this stack needs 120 s"):
        run_component(lambda s, p: build(s, p, replica_lag_threshold_seconds=120), "dev")


# --- Alertmanager routing and its secrets -----------------------------------------------------------------


def test_critical_pages_pagerduty_and_warnings_go_to_slack(prod):
    route = prod.one(ROUTING).inputs["spec"]["route"]
    by_severity = {r["matchers"][0]["value"]: r["receiver"] for r in route["routes"]}
    assert by_severity == {"critical": PAGERDUTY_RECEIVER, "warning": SLACK_RECEIVER}
    assert all(r["matchers"][0]["name"] == "severity" and r["matchers"][0]["matchType"] == "=" for r in route["routes"])
    assert route["receiver"] == SLACK_RECEIVER  # anything else still reaches a human


def test_receivers_read_the_routing_key_and_webhook_from_the_component_secrets(prod):
    secrets = {s.inputs["metadata"]["name"]: s for s in prod.all(SECRET)}
    receivers = {r["name"]: r for r in prod.one(ROUTING).inputs["spec"]["receivers"]}
    pd_ref = receivers[PAGERDUTY_RECEIVER]["pagerdutyConfigs"][0]["routingKey"]
    slack_ref = receivers[SLACK_RECEIVER]["slackConfigs"][0]["apiURL"]
    for ref in (pd_ref, slack_ref):
        secret = secrets[ref["name"]]
        assert secret.inputs["metadata"]["namespace"] == "synthetics"
        assert isinstance(secret.inputs["stringData"], SecretValue)
        assert ref["key"] in secret.inputs["stringData"].value
        assert secret.urn in prod.one(ROUTING).dependencies


def test_secret_values_come_from_the_secure_config_values_and_stay_secret(prod):
    by_name = {s.inputs["metadata"]["name"]: s.inputs["stringData"] for s in prod.all(SECRET)}
    assert by_name["alert-routing-pagerduty"].value == {"routing-key": "preflight-placeholder-secret"}
    assert by_name["alert-routing-slack"].value == {"webhook-url": "preflight-placeholder-secret"}
    plain = json.dumps([r.inputs for r in prod.resources if r.type != SECRET], default=repr)
    assert "preflight-placeholder-secret" not in plain


def test_deployed_routing_and_the_amtool_rendering_route_the_same_severities(prod):
    spec = prod.one(ROUTING).inputs["spec"]
    rendered = alertmanager_yml()
    deployed = [(r["matchers"][0]["value"], r["receiver"], r["repeatInterval"]) for r in spec["route"]["routes"]]
    as_yml = [(r["matchers"][0], r["receiver"], r["repeat_interval"]) for r in rendered["route"]["routes"]]
    assert [(f'severity="{s}"', rcv, rep) for s, rcv, rep in deployed] == as_yml
    assert spec["route"]["receiver"] == rendered["route"]["receiver"]
    assert [r["name"] for r in spec["receivers"]] == [r["name"] for r in rendered["receivers"]]


# --- structure ----------------------------------------------------------------------------------------------


def test_children_are_parented_to_the_component_and_use_the_cluster_provider(prod):
    component = prod.one("summit:synthetics:SyntheticProbes")
    kids = prod.children(component)
    assert {k.type for k in kids} == {
        "kubernetes:core/v1:Namespace",
        RELEASE,
        PROBE,
        RULE,
        SECRET,
        ROUTING,
    }
    assert all(k.name.startswith("synthetics-") for k in kids)
    assert all(k.provider.endswith("k8s-cluster") for k in kids)
