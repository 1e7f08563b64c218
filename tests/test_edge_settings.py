"""Edge settings: failover timing, WAF mode/limits/overrides and CloudFront inputs fail early, in one line."""

import pytest

from preflight.cli import main
from settings.edge import RuleOverride
from tests.harness import PROJECT_DIR, settings_error, stack_settings


def _error(overrides=None, remove=(), stack="prod"):
    return settings_error(stack, overrides, remove)


def test_prod_detects_an_unhealthy_region_in_about_30_seconds():
    edge = stack_settings("prod").edge
    assert (edge.health_check_interval_seconds, edge.health_check_failure_threshold) == (10, 3)
    assert edge.detection_seconds == 30


@pytest.mark.parametrize(("stack", "mode"), [("dev", "count"), ("stage", "count"), ("prod", "block")])
def test_waf_mode_per_stack(stack, mode):
    assert stack_settings(stack).edge.waf_mode == mode


def test_prod_and_stage_put_cloudfront_in_front_and_dev_does_not():
    assert stack_settings("prod").edge.cloudfront_enabled
    assert stack_settings("stage").edge.cloudfront_enabled
    assert not stack_settings("dev").edge.cloudfront_enabled


def test_request_interval_other_than_10_or_30_is_rejected():
    assert _error({"healthCheckIntervalSeconds": 15}) == (
        "Pulumi.prod.yaml: summit-resilience:healthCheckIntervalSeconds: expected one of 10, 30, got 15"
    )


def test_failure_threshold_must_be_1_to_10():
    assert _error({"healthCheckFailureThreshold": 0}) == (
        "Pulumi.prod.yaml: summit-resilience:healthCheckFailureThreshold: expected an integer 1–10, got 0"
    )
    assert "expected an integer 1–10, got 11" in _error({"healthCheckFailureThreshold": 11})


def test_non_alias_record_ttl_may_not_exceed_60_seconds():
    assert "dnsRecordTtlSeconds: expected an integer 1–60, got 300" in _error({"dnsRecordTtlSeconds": 300})


def test_rate_limit_below_10_is_rejected():
    assert _error({"wafRateLimit": 5}) == (
        "Pulumi.prod.yaml: summit-resilience:wafRateLimit: expected an integer 10–2000000000, got 5"
    )


def test_rate_window_must_be_one_wafv2_accepts():
    assert "wafRateWindowSeconds: expected one of 60, 120, 300, 600, got 30" in _error({"wafRateWindowSeconds": 30})


def test_unknown_waf_mode_lists_the_allowed_modes():
    assert _error({"wafMode": "monitor"}) == (
        'Pulumi.prod.yaml: summit-resilience:wafMode: expected one of count, block, got "monitor"'
    )


def test_prod_may_count_only_with_a_recorded_rollout_exemption():
    msg = _error({"wafMode": "count"})
    assert msg.startswith("Pulumi.prod.yaml: summit-resilience:wafMode: prod must block")
    assert "wafRolloutExemption" in msg
    edge = stack_settings("prod", {"wafMode": "count", "wafRolloutExemption": "PLAT-812 WAF rollout"}).edge
    assert edge.waf_mode == "count"


def test_rule_overrides_parse_into_group_rule_and_action():
    edge = stack_settings(
        "stage", {"wafRuleActionOverrides": ["AWSManagedRulesBotControlRuleSet/CategoryHttpLibrary=challenge"]}
    ).edge
    assert edge.waf_rule_overrides == (
        RuleOverride("AWSManagedRulesBotControlRuleSet", "CategoryHttpLibrary", "challenge"),
    )


@pytest.mark.parametrize(
    "bad",
    [
        "AWSManagedRulesSQLiRuleSet/SQLi_BODY=count",  # not one of the groups the ACLs run
        "AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY=ignore",  # not a WAF action
        "AWSManagedRulesCommonRuleSet=count",  # no rule name
    ],
)
def test_malformed_rule_override_is_rejected_with_the_expected_syntax(bad):
    msg = _error({"wafRuleActionOverrides": [bad]})
    assert "wafRuleActionOverrides: item 0: expected RuleGroup/RuleName=ACTION" in msg
    assert msg.endswith(f'got "{bad}"')


def test_the_same_rule_overridden_twice_is_rejected():
    rule = "AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY"
    assert "names the same rule twice" in _error({"wafRuleActionOverrides": [f"{rule}=count", f"{rule}=block"]})


def test_log_retention_must_be_a_cloudwatch_value():
    assert "wafLogRetentionDays: expected one of 1, 3, 5" in _error({"wafLogRetentionDays": 100})


def test_gateway_is_always_a_failover_host():
    assert "failoverHosts: must include gateway" in _error({"failoverHosts": ["wallet"]})
    assert 'failoverHosts: item 0: expected one of gateway, wallet, got "shop"' in _error({"failoverHosts": ["shop"]})


def test_primary_alb_must_live_in_the_primary_region():
    arn = "arn:aws:elasticloadbalancing:us-west-2:432109876543:loadbalancer/app/summit-prod-gw/7f3a9c2e1b4d5a60"
    assert _error({"primaryAlbArn": arn}) == (
        "Pulumi.prod.yaml: summit-resilience:primaryAlbArn: must be an ALB in primaryRegion us-east-1, "
        "got one in us-west-2"
    )


def test_alb_arn_must_be_an_application_load_balancer():
    nlb = "arn:aws:elasticloadbalancing:us-east-1:432109876543:loadbalancer/net/summit-prod-gw/7f3a9c2e1b4d5a60"
    assert "primaryAlbArn: expected an ALB ARN such as arn:aws:elasticloadbalancing" in _error({"primaryAlbArn": nlb})


def test_dr_alb_dns_name_must_be_in_the_dr_region():
    msg = _error({"drAlbDnsName": "summit-prod-gw-dr-906271534.us-east-1.elb.amazonaws.com"})
    assert "drAlbDnsName: expected the ALB's DNS name, ending .us-west-2.elb.amazonaws.com" in msg


def test_cloudfront_needs_a_certificate():
    msg = _error({"acmCertificateArn": ""})
    assert msg == (
        "Pulumi.prod.yaml: summit-resilience:acmCertificateArn: is required when cloudfrontEnabled is true "
        "(an acm ARN in us-east-1)"
    )


def test_cloudfront_certificate_must_be_in_us_east_1():
    arn = "arn:aws:acm:us-west-2:432109876543:certificate/5b1f0c7e-8a42-4d3e-9f61-2c7d8e9a0b13"
    assert "acmCertificateArn: expected an acm ARN in us-east-1" in _error({"acmCertificateArn": arn})


def test_without_cloudfront_no_certificate_is_needed():
    edge = stack_settings("prod", {"cloudfrontEnabled": False}, remove=["acmCertificateArn"]).edge
    assert not edge.cloudfront_enabled and edge.acm_certificate_arn == ""


def test_with_cloudfront_the_failover_pair_moves_to_the_origin_name():
    prod, dev = stack_settings("prod").edge, stack_settings("dev").edge
    assert prod.failover_fqdn("gateway", "summit.example.com") == "gateway-origin.summit.example.com"
    assert prod.failover_fqdn("wallet", "summit.example.com") == "wallet.summit.example.com"
    assert dev.failover_fqdn("gateway", "dev.summit.example.com") == "gateway.dev.summit.example.com"


@pytest.mark.parametrize(
    ("line", "bad", "expected"),
    [
        ("healthCheckIntervalSeconds: 10", "healthCheckIntervalSeconds: 15", "expected one of 10, 30, got 15"),
        ("healthCheckFailureThreshold: 3", "healthCheckFailureThreshold: 0", "expected an integer 1–10, got 0"),
        ("wafRateLimit: 2000", "wafRateLimit: 5", "expected an integer 10–2000000000, got 5"),
        ("wafMode: block", "wafMode: monitor", 'expected one of count, block, got "monitor"'),
    ],
)
def test_preflight_exits_2_with_one_line_for_bad_edge_config(capsys, tmp_path, line, bad, expected):
    text = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()
    assert f"summit-resilience:{line}\n" in text
    cfg = tmp_path / "prod.yaml"
    cfg.write_text(text.replace(f"summit-resilience:{line}\n", f"summit-resilience:{bad}\n"))
    code = main(["--stack", "prod", "--config", str(cfg), "--no-policy"])
    out, err = capsys.readouterr()
    key = bad.split(":")[0]
    assert (code, out) == (2, "")
    assert err.strip().splitlines() == [f"preflight: {cfg}: summit-resilience:{key}: {expected}"]


@pytest.mark.parametrize("stack", ["dev", "stage", "prod"])
def test_anonymous_ip_list_starts_count_only_in_every_stack(stack):
    assert stack_settings(stack).edge.waf_count_only_rule_groups == ("AWSManagedRulesAnonymousIpList",)


def test_a_count_only_group_must_be_one_the_acls_run():
    msg = _error({"wafCountOnlyRuleGroups": ["AWSManagedRulesSQLiRuleSet"]})
    assert msg.startswith("Pulumi.prod.yaml: summit-resilience:wafCountOnlyRuleGroups: item 0: expected one of ")
    assert msg.endswith('got "AWSManagedRulesSQLiRuleSet"')


def test_the_origin_secret_starts_at_generation_1_with_no_previous_secret_accepted():
    edge = stack_settings("prod").edge
    assert (edge.cloudfront_origin_secret_generation, edge.cloudfront_origin_secret_accept_previous) == (1, False)


def test_origin_secret_generation_0_is_rejected():
    assert "cloudfrontOriginSecretGeneration: expected an integer 1–1000000, got 0" in _error(
        {"cloudfrontOriginSecretGeneration": 0}
    )


def test_accepting_the_previous_secret_needs_a_previous_generation():
    assert _error({"cloudfrontOriginSecretAcceptPrevious": True}) == (
        "Pulumi.prod.yaml: summit-resilience:cloudfrontOriginSecretAcceptPrevious: needs "
        "cloudfrontOriginSecretGeneration 2 or more (generation 1 has no previous secret to accept)"
    )
    edge = stack_settings(
        "prod", {"cloudfrontOriginSecretGeneration": 2, "cloudfrontOriginSecretAcceptPrevious": True}
    ).edge
    assert edge.cloudfront_origin_secret_accept_previous
