"""FailoverDns: per-region health checks, the PRIMARY/SECONDARY record pair and the us-east-1 alarms."""

import pytest

from components.failover import FailoverDns, FailoverDnsArgs
from tests.harness import moved_to_europe, operations_alerts, run_component, run_stack

CHECK = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def build(s, p):
    ops = operations_alerts("ops", p.global_, "us-east-1")
    return FailoverDns("failover", FailoverDnsArgs.from_settings(s, ops.topics), provider=p.global_)


@pytest.fixture(scope="module")
def prod():
    return run_component(build, "prod")


def _by_role(run, type_, host):
    return {r.name.split("-")[2]: r for r in run.all(type_) if r.name.startswith(f"failover-{host}-")}


def test_each_host_gets_a_primary_and_a_secondary_record_with_distinct_set_identifiers(prod):
    for host, fqdn in (("gateway", "gateway-origin.summit.example.com"), ("wallet", "wallet.summit.example.com")):
        records = _by_role(prod, RECORD, host)
        assert {role: r.inputs["failoverRoutingPolicies"][0]["type"] for role, r in records.items()} == {
            "primary": "PRIMARY",
            "secondary": "SECONDARY",
        }
        assert {r.inputs["name"] for r in records.values()} == {fqdn}
        assert {r.inputs["zoneId"] for r in records.values()} == {"Z0PROD4EXAMPLE3C"}
        assert records["primary"].inputs["setIdentifier"] != records["secondary"].inputs["setIdentifier"]


def test_each_record_is_gated_by_its_own_health_check(prod):
    records, checks = _by_role(prod, RECORD, "gateway"), _by_role(prod, CHECK, "gateway")
    assert records["primary"].inputs["healthCheckId"] == checks["primary"].id
    assert records["secondary"].inputs["healthCheckId"] == checks["secondary"].id
    assert checks["primary"].id != checks["secondary"].id


def test_primary_aliases_the_primary_alb_and_secondary_the_dr_alb_evaluating_target_health(prod):
    records = _by_role(prod, RECORD, "gateway")
    assert records["primary"].inputs["aliases"] == [
        {
            "name": "summit-prod-gw-1548302967.us-east-1.elb.amazonaws.com",
            "zoneId": "Z35SXDOTRQ7X7K",
            "evaluateTargetHealth": True,
        }
    ]
    assert records["secondary"].inputs["aliases"] == [
        {
            "name": "summit-prod-gw-dr-906271534.us-west-2.elb.amazonaws.com",
            "zoneId": "Z1H1FL5HABSF5",
            "evaluateTargetHealth": True,
        }
    ]
    assert all(r.inputs["type"] == "A" and "ttl" not in r.inputs for r in records.values())


def test_health_checks_probe_each_regions_alb_directly_over_https(prod):
    checks = _by_role(prod, CHECK, "wallet")
    assert checks["primary"].inputs["fqdn"] == "summit-prod-gw-1548302967.us-east-1.elb.amazonaws.com"
    assert checks["secondary"].inputs["fqdn"] == "summit-prod-gw-dr-906271534.us-west-2.elb.amazonaws.com"
    for c in checks.values():
        assert (c.inputs["type"], c.inputs["port"], c.inputs["resourcePath"]) == ("HTTPS", 443, "/healthz")
        assert c.inputs["enableSni"] is True and c.inputs["measureLatency"] is True


def test_prod_checks_every_10_seconds_and_fails_after_3_misses(prod):
    assert {(c.inputs["requestInterval"], c.inputs["failureThreshold"]) for c in prod.all(CHECK)} == {(10, 3)}


def test_check_timing_and_path_follow_config():
    run = run_component(
        build,
        "dev",
        overrides={"healthCheckFailureThreshold": 5, "healthCheckPath": "/livez", "failoverHosts": ["gateway"]},
    )
    checks = run.all(CHECK)
    assert len(checks) == 2
    assert {(c.inputs["requestInterval"], c.inputs["failureThreshold"], c.inputs["resourcePath"]) for c in checks} == {
        (30, 5, "/livez")
    }


def test_health_checks_are_tagged_with_their_failover_role_and_service_host(prod):
    assert sorted((c.inputs["tags"]["service-host"], c.inputs["tags"]["failover-role"]) for c in prod.all(CHECK)) == [
        ("gateway", "primary"),
        ("gateway", "secondary"),
        ("wallet", "primary"),
        ("wallet", "secondary"),
    ]


def test_alarms_watch_health_check_status_in_us_east_1_and_notify_the_topic_of_their_severity(prod):
    topics = {
        "critical": prod.one("aws:sns/topic:Topic", "ops-critical"),
        "warning": prod.one("aws:sns/topic:Topic", "ops-warning"),
    }
    checks = {c.id for c in prod.all(CHECK)}
    alarms = prod.all(ALARM)
    assert len(alarms) == 4
    assert {a.inputs["dimensions"]["HealthCheckId"] for a in alarms} == checks
    for a in alarms:
        assert a.region == "us-east-1"
        assert (a.inputs["namespace"], a.inputs["metricName"]) == ("AWS/Route53", "HealthCheckStatus")
        assert (a.inputs["comparisonOperator"], a.inputs["threshold"]) == ("LessThanThreshold", 1)
        topic = topics[a.inputs["tags"]["severity"]]
        assert a.inputs["alarmActions"] == [topic.outputs["arn"]] == a.inputs["okActions"]
    severities = {a.name.split("-")[2]: a.inputs["tags"]["severity"] for a in alarms}
    assert severities == {"primary": "critical", "secondary": "warning"}


def test_missing_health_check_data_counts_as_unhealthy(prod):
    assert {a.inputs["treatMissingData"] for a in prod.all(ALARM)} == {"breaching"}


def test_dev_fails_over_only_the_gateway_at_its_public_name():
    run = run_component(build, "dev")
    assert {r.inputs["name"] for r in run.all(RECORD)} == {"gateway.dev.summit.example.com"}


def test_without_an_alias_zone_the_pair_is_cname_records_with_the_short_ttl():
    run = run_component(build, "dev", overrides={"primaryAlbZoneId": "", "drAlbZoneId": "", "dnsRecordTtlSeconds": 30})
    for r in run.all(RECORD):
        assert (r.inputs["type"], r.inputs["ttl"]) == ("CNAME", 30)
        assert "aliases" not in r.inputs
    assert sorted(r.inputs["records"][0] for r in run.all(RECORD)) == [
        "summit-dev-gw-205816473.us-east-1.elb.amazonaws.com",
        "summit-dev-gw-dr-671940382.us-west-2.elb.amazonaws.com",
    ]


def test_failover_stack_output_names_fqdn_health_checks_and_alarms_per_host():
    run = run_stack("prod")
    out = run.outputs["failover"]
    assert set(out) == {"gateway", "wallet"}
    gateway = out["gateway"]
    assert gateway["fqdn"] == "gateway-origin.summit.example.com"
    primary_check = next(
        c
        for c in run.all(CHECK)
        if c.inputs["tags"]
        == {"Name": "gateway-origin.summit.example.com primary", "failover-role": "primary", "service-host": "gateway"}
    )
    assert gateway["primaryHealthCheckId"] == primary_check.id
    assert gateway["secondaryHealthCheckId"] != gateway["primaryHealthCheckId"]
    assert gateway["primaryAlarmArn"].startswith("arn:aws:cloudwatch:us-east-1:432109876543:alarm:")
    assert run.outputs["gatewayUrl"] == "https://gateway.summit.example.com"


def test_when_the_primary_region_is_not_us_east_1_alarms_notify_a_topic_in_us_east_1():
    run = run_stack("dev", overrides=moved_to_europe("dev"))
    assert run.one("aws:wafv2/webAcl:WebAcl", "edge-primary-acl").region == "eu-west-1"
    alarms = [a for a in run.all(ALARM) if a.inputs.get("metricName") == "HealthCheckStatus"]
    assert alarms and all(a.region == "us-east-1" for a in alarms)
    topics = {t.outputs["arn"]: t for t in run.all("aws:sns/topic:Topic")}
    for a in alarms:
        (action,) = a.inputs["alarmActions"]
        assert topics[action].region == "us-east-1"
