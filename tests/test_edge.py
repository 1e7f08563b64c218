"""EdgeProtection: WAFv2 ACLs (REGIONAL on both ALBs, CLOUDFRONT in us-east-1), their logs, and CloudFront."""

import functools

import pytest

from components.edge import CloudFrontArgs, EdgeProtection, EdgeProtectionArgs, WafPolicy
from tests.harness import run_component, run_stack

ACL = "aws:wafv2/webAcl:WebAcl"
DIST = "aws:cloudfront/distribution:Distribution"
LOGS = "aws:cloudwatch/logGroup:LogGroup"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
MANAGED = {
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesBotControlRuleSet",
}
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def build(s, p):
    c, e = s.core, s.edge
    return EdgeProtection(
        "edge",
        EdgeProtectionArgs(
            name_prefix=f"{c.service}-{c.environment}",
            waf=WafPolicy(
                mode=e.waf_mode,
                rate_limit=e.waf_rate_limit,
                rate_window_seconds=e.waf_rate_window_seconds,
                rule_overrides=e.waf_rule_overrides,
                log_retention_days=e.waf_log_retention_days,
            ),
            primary_alb_arn=e.primary_alb.arn,
            primary_alb_dns_name=e.primary_alb.dns_name,
            dr_alb_arn=e.dr_alb.arn,
            dr_alb_dns_name=e.dr_alb.dns_name,
            cloudfront=(
                CloudFrontArgs(
                    hostname=e.public_fqdn("gateway", c.domain),
                    zone_id=c.hosted_zone_id,
                    certificate_arn=e.acm_certificate_arn,
                    failover_origin=e.failover_fqdn("gateway", c.domain),
                    static_paths=e.cloudfront_static_paths,
                )
                if e.cloudfront_enabled
                else None
            ),
            protect_logs=c.is_production_like,
        ),
        primary=p.primary,
        dr=p.dr,
        global_=p.global_,
    )


@functools.cache
def _run(stack):
    return run_component(build, stack)


@pytest.fixture(scope="module")
def prod():
    return _run("prod")


def _rules(acl):
    return {r["name"]: r for r in acl.inputs["rules"]}


def _group(rule):
    return rule["statement"]["managedRuleGroupStatement"]


@pytest.mark.parametrize(
    ("stack", "override", "rate_action"),
    [("dev", "count", "count"), ("stage", "count", "count"), ("prod", "none", "block")],
)
def test_count_mode_counts_and_block_mode_enforces(stack, override, rate_action):
    acls = _run(stack).all(ACL)
    assert acls
    for acl in acls:
        rules = _rules(acl)
        assert {next(iter(rules[g]["overrideAction"])) for g in MANAGED} == {override}
        assert list(rules["rate-limit-per-ip"]["action"]) == [rate_action]
        assert acl.inputs["defaultAction"] == {"allow": {}}


def test_every_acl_runs_the_four_managed_groups_and_the_rate_rule_each_with_visibility(prod):
    for acl in prod.all(ACL):
        rules = _rules(acl)
        assert set(rules) == MANAGED | {"rate-limit-per-ip"}
        assert len({r["priority"] for r in rules.values()}) == len(rules)
        for name, rule in rules.items():
            assert rule["visibilityConfig"] == {
                "cloudwatchMetricsEnabled": True,
                "metricName": name,
                "sampledRequestsEnabled": True,
            }
        for group in MANAGED:
            assert (_group(rules[group])["vendorName"], _group(rules[group])["name"]) == ("AWS", group)


def test_bot_control_inspects_at_the_common_level(prod):
    for acl in prod.all(ACL):
        configs = _group(_rules(acl)["AWSManagedRulesBotControlRuleSet"])["managedRuleGroupConfigs"]
        assert configs == [{"awsManagedRulesBotControlRuleSet": {"inspectionLevel": "COMMON"}}]


def test_rule_overrides_apply_inside_their_own_group_only():
    run = run_component(
        build,
        "stage",
        overrides={
            "wafRuleActionOverrides": [
                "AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY=count",
                "AWSManagedRulesBotControlRuleSet/CategoryHttpLibrary=challenge",
            ]
        },
    )
    for acl in run.all(ACL):
        rules = _rules(acl)
        assert _group(rules["AWSManagedRulesCommonRuleSet"])["ruleActionOverrides"] == [
            {"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}
        ]
        assert _group(rules["AWSManagedRulesBotControlRuleSet"])["ruleActionOverrides"] == [
            {"name": "CategoryHttpLibrary", "actionToUse": {"challenge": {}}}
        ]
        assert "ruleActionOverrides" not in _group(rules["AWSManagedRulesKnownBadInputsRuleSet"])


def test_prod_blocks_but_lets_non_browser_api_clients_and_probes_through_bot_control(prod):
    """The gateway is a GraphQL API: apps, SDKs and the blackbox probes are non-browser clients."""
    for acl in prod.all(ACL):
        overrides = _group(_rules(acl)["AWSManagedRulesBotControlRuleSet"])["ruleActionOverrides"]
        assert {o["name"]: o["actionToUse"] for o in overrides} == {
            "SignalNonBrowserUserAgent": {"count": {}},
            "CategoryHttpLibrary": {"count": {}},
        }


def test_rate_rule_limits_per_client_ip_with_the_configured_limit_and_window():
    run = run_component(build, "dev", overrides={"wafRateLimit": 10, "wafRateWindowSeconds": 60})
    for acl in run.all(ACL):
        statement = _rules(acl)["rate-limit-per-ip"]["statement"]["rateBasedStatement"]
        assert statement == {"aggregateKeyType": "IP", "limit": 10, "evaluationWindowSec": 60}


def test_behind_cloudfront_regional_acls_leave_gateway_rate_limiting_to_the_cloudfront_acl(prod):
    """Gateway requests reach the ALBs from CloudFront's addresses; limiting those per IP would throttle an edge."""
    for role in ("primary", "dr"):
        rate = _rules(prod.one(ACL, f"edge-{role}-acl"))["rate-limit-per-ip"]["statement"]["rateBasedStatement"]
        match = rate["scopeDownStatement"]["notStatement"]["statement"]["byteMatchStatement"]
        assert (match["searchString"], match["positionalConstraint"]) == ("gateway.summit.example.com", "EXACTLY")
        assert match["fieldToMatch"] == {"singleHeader": {"name": "host"}}
    cloudfront_rate = _rules(prod.one(ACL, "edge-cloudfront-acl"))["rate-limit-per-ip"]["statement"]
    assert "scopeDownStatement" not in cloudfront_rate["rateBasedStatement"]


def test_regional_acls_sit_in_each_region_on_that_regions_alb(prod):
    assoc = {a.name: a for a in prod.all("aws:wafv2/webAclAssociation:WebAclAssociation")}
    for role, region, alb in (
        ("primary", "us-east-1", "loadbalancer/app/summit-prod-gw/7f3a9c2e1b4d5a60"),
        ("dr", "us-west-2", "loadbalancer/app/summit-prod-gw-dr/2c8e4f6a1d3b5079"),
    ):
        acl = prod.one(ACL, f"edge-{role}-acl")
        assert (acl.inputs["scope"], acl.region) == ("REGIONAL", region)
        a = assoc[f"edge-{role}-alb"]
        assert a.region == region
        assert a.inputs["resourceArn"] == f"arn:aws:elasticloadbalancing:{region}:432109876543:{alb}"
        assert a.inputs["webAclArn"] == acl.outputs["arn"]


def test_cloudfront_scope_acl_is_created_in_us_east_1(prod):
    acl = prod.one(ACL, "edge-cloudfront-acl")
    assert acl.inputs["scope"] == "CLOUDFRONT"
    # The global provider is the primary provider object when the primary region is us-east-1: judge the region.
    assert acl.region == "us-east-1"
    assert prod.provider_of(acl).inputs["region"] == "us-east-1"


def test_each_acl_logs_to_an_aws_waf_logs_group_in_its_region_with_retention(prod):
    groups = {g.name: g for g in prod.all(LOGS)}
    for logging in prod.all(LOGGING):
        role = logging.name.removeprefix("edge-").removesuffix("-logging")
        group = groups[f"edge-{role}-logs"]
        assert group.inputs["name"] == f"aws-waf-logs-summit-prod-{role}"
        assert group.inputs["retentionInDays"] == 365
        assert group.region == prod.one(ACL, f"edge-{role}-acl").region
        assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
        assert logging.inputs["resourceArn"] == prod.one(ACL, f"edge-{role}-acl").outputs["arn"]
    assert len(prod.all(LOGGING)) == 3


def test_logs_redact_the_authorization_and_cookie_headers(prod):
    for logging in prod.all(LOGGING):
        assert logging.inputs["redactedFields"] == [
            {"singleHeader": {"name": "authorization"}},
            {"singleHeader": {"name": "cookie"}},
        ]


def test_waf_log_groups_are_protected_in_prod_but_not_in_dev(prod):
    assert all(g.protect for g in prod.all(LOGS))
    assert not any(g.protect for g in _run("dev").all(LOGS))


def test_distribution_is_guarded_by_the_cloudfront_acl(prod):
    dist = prod.one(DIST)
    assert dist.region == "us-east-1"
    assert dist.inputs["webAclId"] == prod.one(ACL, "edge-cloudfront-acl").outputs["arn"]
    assert dist.inputs["aliases"] == ["gateway.summit.example.com"]


def test_distribution_serves_https_only_with_tls_1_2_2021_and_the_us_east_1_certificate(prod):
    dist = prod.one(DIST).inputs
    assert dist["viewerCertificate"] == {
        "acmCertificateArn": "arn:aws:acm:us-east-1:432109876543:certificate/5b1f0c7e-8a42-4d3e-9f61-2c7d8e9a0b13",
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    }
    behaviours = [dist["defaultCacheBehavior"], *dist["orderedCacheBehaviors"]]
    assert {b["viewerProtocolPolicy"] for b in behaviours} == {"https-only"}
    assert {o["customOriginConfig"]["originProtocolPolicy"] for o in dist["origins"]} == {"https-only"}


def test_origin_group_fails_over_from_the_primary_to_the_dr_alb_on_5xx(prod):
    dist = prod.one(DIST).inputs
    origins = {o["originId"]: o["domainName"] for o in dist["origins"]}
    (group,) = dist["originGroups"]
    assert group["failoverCriteria"]["statusCodes"] == [500, 502, 503, 504]
    assert [origins[m["originId"]] for m in group["members"]] == [
        "summit-prod-gw-1548302967.us-east-1.elb.amazonaws.com",
        "summit-prod-gw-dr-906271534.us-west-2.elb.amazonaws.com",
    ]


def test_graphql_is_never_cached_and_reaches_the_route53_failover_name(prod):
    dist = prod.one(DIST).inputs
    origins = {o["originId"]: o["domainName"] for o in dist["origins"]}
    graphql = next(b for b in dist["orderedCacheBehaviors"] if b["pathPattern"] == "/graphql")
    assert graphql["cachePolicyId"] == CACHING_DISABLED
    assert "POST" in graphql["allowedMethods"]
    assert origins[graphql["targetOriginId"]] == "gateway-origin.summit.example.com"


def test_every_behaviour_forwards_the_viewer_host_so_alb_certificates_validate_and_host_rules_match(prod):
    """The origins are ALB DNS names and gateway-origin.<domain>; the ALBs' certificate covers gateway.<domain>.
    CloudFront validates the origin certificate against the forwarded Host header, else against the origin name:
    AllViewerExceptHostHeader would fail every TLS handshake (502) and miss the ALBs' host-based rules."""
    dist = prod.one(DIST).inputs
    for b in [dist["defaultCacheBehavior"], *dist["orderedCacheBehaviors"]]:
        assert b["originRequestPolicyId"] == "216adef6-5c7f-47e4-b989-5492eafa07d3"  # Managed-AllViewer


def test_static_paths_are_cached_and_served_by_the_origin_group(prod):
    dist = prod.one(DIST).inputs
    static = {b["pathPattern"]: b for b in dist["orderedCacheBehaviors"] if b["pathPattern"] != "/graphql"}
    assert set(static) == {"/static/*", "/assets/*"}
    for b in static.values():
        assert b["cachePolicyId"] == CACHING_OPTIMIZED
        assert b["targetOriginId"] == dist["originGroups"][0]["originId"]


def test_no_behaviour_sends_writes_to_the_origin_group(prod):
    """CloudFront rejects POST/PUT/PATCH/DELETE on a behaviour whose target is an origin group."""
    dist = prod.one(DIST).inputs
    group_id = dist["originGroups"][0]["originId"]
    for b in [dist["defaultCacheBehavior"], *dist["orderedCacheBehaviors"]]:
        if b["targetOriginId"] == group_id:
            assert set(b["allowedMethods"]) <= {"GET", "HEAD", "OPTIONS"}


def test_gateway_name_aliases_the_distribution_over_ipv4_and_ipv6(prod):
    dist = prod.one(DIST)
    records = [r for r in prod.all("aws:route53/record:Record") if r.inputs["name"] == "gateway.summit.example.com"]
    assert sorted(r.inputs["type"] for r in records) == ["A", "AAAA"]
    for r in records:
        assert r.inputs["aliases"] == [
            {"name": dist.outputs["domainName"], "zoneId": "Z2FDTNDATAQYW2", "evaluateTargetHealth": False}
        ]


def test_dev_has_regional_acls_but_no_cloudfront():
    run = _run("dev")
    assert sorted(a.inputs["scope"] for a in run.all(ACL)) == ["REGIONAL", "REGIONAL"]
    assert run.all(DIST) == []


def test_stack_outputs_name_the_acls_and_are_null_without_cloudfront():
    dev = run_stack("dev").outputs
    assert dev["wafRegionalAclArn"].startswith(
        "arn:aws:wafv2:us-east-1:210987654321:regional/webacl/summit-dev-primary/"
    )
    assert dev["wafCloudfrontAclArn"] is None and dev["cloudfrontDomainName"] is None
    prod = run_stack("prod").outputs
    assert prod["wafCloudfrontAclArn"].startswith("arn:aws:wafv2:us-east-1:432109876543:global/webacl/")
    assert prod["cloudfrontDomainName"].endswith(".cloudfront.net")
