"""CostVisibility: the pinned Kubecost release, secret values, the internal ingress and namespace budget alerts."""

import json

import pytest

from components.costs import CostVisibility, CostVisibilityArgs
from preflight.engine import SecretValue
from tests.harness import run_component
from tests.schemas import SchemaMismatch, assert_values_known, chart_metadata, reveal

RELEASE = "kubernetes:helm.sh/v3:Release"
CHART = "cost-analyzer-v2.9.7"
TOKEN = "kc-token-for-tests-0001"
WEBHOOK = "https://hooks.slack.com/services/T000/B000/testhook"
# Keys values.yaml shows only in comments (the chart documents them there).
DOCUMENTED = [
    "ingress.className",
    "kubecostProductConfigs",
    "global.notifications.alertConfigs",
]


def build(s, p):
    return CostVisibility("kubecost", CostVisibilityArgs.from_settings(s), k8s_provider=p.kubernetes)


@pytest.fixture(scope="module")
def prod():
    return run_component(build, "prod", {"kubecostToken": TOKEN, "slackWebhookUrl": WEBHOOK})


@pytest.fixture(scope="module")
def dev():
    return run_component(build, "dev")


def values(run):
    return reveal(run.one(RELEASE).inputs["values"])


def test_release_pins_cost_analyzer_2_9_7_from_the_kubecost_repository(prod):
    release = prod.one(RELEASE)
    chart = chart_metadata(CHART)
    assert (release.inputs["chart"], release.inputs["version"]) == ("cost-analyzer", "2.9.7")
    assert (chart["name"], chart["version"]) == ("cost-analyzer", "2.9.7")
    assert release.inputs["repositoryOpts"]["repo"] == "https://kubecost.github.io/cost-analyzer/"
    assert (release.inputs["name"], release.inputs["namespace"]) == ("kubecost", "kubecost")


def test_every_value_key_exists_in_the_chart(prod, dev):
    assert_values_known(CHART, values(prod), documented=DOCUMENTED)
    assert_values_known(CHART, values(dev), documented=DOCUMENTED)


def test_a_misspelt_value_is_caught(prod):
    v = values(prod)
    v["ingress"]["host"] = v["ingress"].pop("hosts")
    with pytest.raises(SchemaMismatch, match=r"ingress\.host: not in"):
        assert_values_known(CHART, v, documented=DOCUMENTED)


def test_token_and_slack_webhook_reach_the_chart_only_as_secrets(prod):
    release = prod.one(RELEASE)
    assert isinstance(release.inputs["values"], SecretValue)
    v = values(prod)
    assert v["kubecostToken"] == TOKEN
    assert v["global"]["notifications"]["alertConfigs"]["globalSlackWebhookUrl"] == WEBHOOK
    for r in prod.resources:
        plain = json.dumps({k: val for k, val in r.inputs.items() if not isinstance(val, SecretValue)}, default=repr)
        assert TOKEN not in plain and WEBHOOK not in plain, r.name


def test_ingress_is_internal_at_kubecost_under_the_stack_domain(prod, dev):
    for run, host in ((prod, "kubecost.summit.example.com"), (dev, "kubecost.dev.summit.example.com")):
        ingress = values(run)["ingress"]
        assert ingress["enabled"] is True and ingress["hosts"] == [host]
        assert ingress["className"] == "alb"
        assert ingress["annotations"]["alb.ingress.kubernetes.io/scheme"] == "internal"


def test_ingress_host_and_scheme_follow_config():
    run = run_component(
        build, "dev", {"kubecostHost": "costs.dev.example.net", "kubecostIngressScheme": "internet-facing"}
    )
    ingress = values(run)["ingress"]
    assert ingress["hosts"] == ["costs.dev.example.net"]
    assert ingress["annotations"]["alb.ingress.kubernetes.io/scheme"] == "internet-facing"


def test_each_namespace_budget_alerts_when_a_day_exceeds_its_share_of_the_month(prod):
    alerts = values(prod)["global"]["notifications"]["alertConfigs"]["alerts"]
    assert [(a["filter"], a["threshold"]) for a in alerts] == [
        ("gateway", 131.51),  # 4000 USD / (365/12) days
        ("intelgraph", 98.63),
        ("postgres", 65.75),
    ]
    assert all((a["type"], a["window"], a["aggregation"]) == ("budget", "daily", "namespace") for a in alerts)


def test_daily_alert_shares_never_add_up_to_more_than_the_stack_budget(prod):
    alerts = values(prod)["global"]["notifications"]["alertConfigs"]["alerts"]
    assert sum(a["threshold"] for a in alerts) * 365 / 12 <= 20000


def test_dev_has_no_budget_alerts(dev):
    assert values(dev)["global"]["notifications"]["alertConfigs"]["alerts"] == []


def test_bundled_prometheus_keeps_the_configured_retention(prod):
    v = values(prod)
    assert v["global"]["prometheus"]["enabled"] is True
    assert v["prometheus"]["server"]["retention"] == "4d"
    run = run_component(build, "dev", {"kubecostPrometheusRetentionDays": 10})
    assert values(run)["prometheus"]["server"]["retention"] == "10d"


def test_costs_are_reported_for_this_cluster(prod):
    v = values(prod)
    assert v["global"]["clusterId"] == "summit-prod"
    assert v["kubecostProductConfigs"]["clusterName"] == "summit-prod"


def test_kubecost_runs_in_its_own_namespace_created_first(prod):
    namespace = prod.one("kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["name"] == "kubecost"
    assert namespace.urn in prod.one(RELEASE).dependencies
    component = prod.one("summit:costs:CostVisibility")
    assert {prod.provider_of(k).name for k in prod.children(component)} == {"k8s-cluster"}


def test_values_stay_secret_even_when_the_caller_passes_plain_strings():
    def plain_build(s, p):
        c = s.cluster
        return CostVisibility(
            "kubecost",
            CostVisibilityArgs(
                cluster_name="summit-dev",
                namespace=c.kubecost_namespace,
                host=c.kubecost_host,
                ingress_scheme="internal",
                ingress_class="alb",
                budgets=(),
                prometheus_retention_days=4,
                kubecost_token=TOKEN,
                slack_webhook_url=WEBHOOK,
            ),
            k8s_provider=p.kubernetes,
        )

    release = run_component(plain_build, "dev").one(RELEASE)
    assert isinstance(release.inputs["values"], SecretValue)
