"""EdgeProtection: WAFv2 ACLs (REGIONAL on both ALBs, CLOUDFRONT in us-east-1), their logs, and CloudFront."""

import functools
import json

import pytest

from components.edge import EdgeProtection, EdgeProtectionArgs
from preflight.engine import SecretValue
from tests.harness import moved_to_europe, run_component, run_stack, stack_settings

ACL = "aws:wafv2/webAcl:WebAcl"
DIST = "aws:cloudfront/distribution:Distribution"
LOGS = "aws:cloudwatch/logGroup:LogGroup"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
MANAGED = {
    "AWSManagedRulesAnonymousIpList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesBotControlRuleSet",
}
ANONYMOUS_IP = "AWSManagedRulesAnonymousIpList"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def build(s, p):
    # CloudFront's origin is the gateway's failover name (FailoverDns's output in the program).
    return EdgeProtection(
        "edge",
        EdgeProtectionArgs.from_settings(s, s.edge.failover_fqdn("gateway", s.core.domain)),
        primary=p.primary,
        dr=p.dr,
        global_=p.global_,
        random_provider=p.random,
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
        assert {next(iter(rules[g]["overrideAction"])) for g in MANAGED - {ANONYMOUS_IP}} == {override}
        assert list(rules["rate-limit-per-ip"]["action"]) == [rate_action]
        assert acl.inputs["defaultAction"] == {"allow": {}}


def test_every_acl_runs_the_five_managed_groups_and_the_rate_rule_each_with_visibility(prod):
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


def test_logs_redact_credentials_and_the_origin_secret(prod):
    for logging in prod.all(LOGGING):
        assert logging.inputs["redactedFields"] == [
            {"singleHeader": {"name": "authorization"}},
            {"singleHeader": {"name": "cookie"}},
            {"singleHeader": {"name": "x-origin-verify"}},
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


# --- AnonymousIpList rollout ----------------------------------------------------------------------------------


def test_anonymous_ip_list_only_counts_at_first_even_where_the_acl_blocks(prod):
    """Seed rollout rule: a new group starts in count; prod's other groups already enforce."""
    for acl in prod.all(ACL):
        rules = _rules(acl)
        assert rules[ANONYMOUS_IP]["overrideAction"] == {"count": {}}
        assert rules["AWSManagedRulesCommonRuleSet"]["overrideAction"] == {"none": {}}


def test_a_reviewed_group_leaves_count_only_and_enforces_in_block_mode():
    run = run_component(build, "prod", overrides={"wafCountOnlyRuleGroups": []})
    for acl in run.all(ACL):
        assert _rules(acl)[ANONYMOUS_IP]["overrideAction"] == {"none": {}}


def test_ip_lists_run_before_the_rate_rule_and_bot_control_runs_last(prod):
    for acl in prod.all(ACL):
        order = [r["name"] for r in sorted(acl.inputs["rules"], key=lambda r: r["priority"])]
        assert order[:3] == ["AWSManagedRulesAmazonIpReputationList", ANONYMOUS_IP, "rate-limit-per-ip"]
        assert order[-1] == "AWSManagedRulesBotControlRuleSet"


# --- log encryption -------------------------------------------------------------------------------------------

KEY = "aws:kms/key:Key"


def _key_policy(key):
    return json.loads(key.inputs["policy"])


def test_every_edge_log_group_is_encrypted_with_the_edge_key_of_its_region(prod):
    keys = {k.region: k for k in prod.all(KEY)}
    for group in prod.all(LOGS):
        assert group.inputs["kmsKeyId"] == keys[group.region].outputs["arn"], group.name


def test_one_edge_logs_key_per_region(prod):
    assert sorted(k.region for k in prod.all(KEY)) == ["us-east-1", "us-west-2"]


def test_us_east_1_gets_its_own_key_for_cloudfront_logs_when_both_regions_are_elsewhere():
    # Everything moves to Europe except CloudFront's certificate, which lives in us-east-1 wherever the stack is.
    moved = {**moved_to_europe("prod"), "acmCertificateArn": stack_settings("prod").edge.acm_certificate_arn}
    run = run_component(build, "prod", overrides=moved)
    keys = {k.region: k.name for k in run.all(KEY)}
    assert keys == {"eu-west-1": "edge-primary-logs-key", "eu-central-1": "edge-dr-logs-key",
                    "us-east-1": "edge-global-logs-key"}  # fmt: skip
    cloudfront_logs = run.one(LOGS, "edge-cloudfront-logs")
    assert cloudfront_logs.inputs["kmsKeyId"] == run.one(KEY, "edge-global-logs-key").outputs["arn"]


def test_key_policy_lets_cloudwatch_logs_of_that_region_use_the_key_for_the_edge_log_groups_only(prod):
    key = prod.one(KEY, "edge-primary-logs-key")
    logs = next(
        s for s in _key_policy(key)["Statement"] if s["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    )
    assert set(logs["Action"]) == {"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                                   "kms:Describe*"}  # fmt: skip
    arns = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert sorted(arns) == sorted(
        f"arn:aws:logs:us-east-1:432109876543:log-group:{g.inputs['name']}"
        for g in prod.all(LOGS)
        if g.region == "us-east-1"
    )


def test_key_policy_keeps_the_account_in_control_through_iam(prod):
    for key in prod.all(KEY):
        root = _key_policy(key)["Statement"][0]
        assert root["Principal"] == {"AWS": "arn:aws:iam::432109876543:root"} and root["Action"] == "kms:*"


def test_edge_log_keys_rotate_and_are_protected_in_prod_but_not_in_dev(prod):
    assert all(k.inputs["enableKeyRotation"] and k.protect for k in prod.all(KEY))
    assert not any(k.protect for k in _run("dev").all(KEY))


# --- CloudFront hardening -------------------------------------------------------------------------------------

HEADERS_POLICY = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"


def test_every_behaviour_sends_the_security_headers(prod):
    dist = prod.one(DIST).inputs
    policy_id = prod.one(HEADERS_POLICY).id
    behaviours = [dist["defaultCacheBehavior"], *dist["orderedCacheBehaviors"]]
    assert {b["responseHeadersPolicyId"] for b in behaviours} == {policy_id}


def test_security_headers_are_hsts_for_a_year_nosniff_deny_framing_and_a_referrer_policy(prod):
    config = prod.one(HEADERS_POLICY).inputs["securityHeadersConfig"]
    assert config["strictTransportSecurity"] == {
        "accessControlMaxAgeSec": 31536000,
        "includeSubdomains": True,
        "override": True,
    }
    assert config["contentTypeOptions"] == {"override": True}
    assert config["frameOptions"] == {"frameOption": "DENY", "override": True}
    assert config["referrerPolicy"] == {"referrerPolicy": "strict-origin-when-cross-origin", "override": True}


def test_standard_logging_v2_delivers_the_distributions_access_logs_to_an_encrypted_group(prod):
    source = prod.one("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    destination = prod.one("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination")
    delivery = prod.one("aws:cloudwatch/logDelivery:LogDelivery")
    group = prod.one(LOGS, "edge-cdn-logs")
    assert (source.inputs["logType"], source.inputs["resourceArn"]) == ("ACCESS_LOGS", prod.one(DIST).outputs["arn"])
    assert destination.inputs["deliveryDestinationConfiguration"] == {"destinationResourceArn": group.outputs["arn"]}
    assert delivery.inputs["deliverySourceName"] == source.outputs["name"]
    assert delivery.inputs["deliveryDestinationArn"] == destination.outputs["arn"]
    assert group.inputs["kmsKeyId"] == prod.one(KEY, "edge-primary-logs-key").outputs["arn"]
    assert group.inputs["retentionInDays"] == 365


def test_access_log_delivery_is_created_in_us_east_1(prod):
    """CloudFront's delivery source can only be created in us-east-1."""
    for typ in ("LogDeliverySource", "LogDeliveryDestination", "LogDelivery"):
        kind = typ[0].lower() + typ[1:]
        assert prod.one(f"aws:cloudwatch/{kind}:{typ}").region == "us-east-1"


def test_access_logs_leave_cookies_out(prod):
    fields = prod.one("aws:cloudwatch/logDelivery:LogDelivery").inputs["recordFields"]
    assert "cs(Cookie)" not in fields
    assert {"c-ip", "cs-uri-stem", "sc-status", "x-edge-request-id"} <= set(fields)


# --- the origin secret ----------------------------------------------------------------------------------------

SECRET = "random:index/randomPassword:RandomPassword"


def test_every_origin_gets_the_trust_header_and_its_value_is_a_secret(prod):
    for origin in prod.one(DIST).inputs["origins"]:
        (header,) = origin["customHeaders"]
        assert header["name"] == "x-origin-verify"
        assert isinstance(header["value"], SecretValue)


def test_the_secret_is_64_random_letters_and_digits(prod):
    for slot in prod.all(SECRET):
        assert (slot.inputs["length"], slot.inputs["special"]) == (64, False)


def test_the_random_values_come_from_an_explicit_random_provider(prod):
    for slot in prod.all(SECRET):
        assert prod.provider_of(slot).type == "pulumi:providers:random"


def test_the_distribution_waits_for_the_regional_acls_so_a_rotation_is_accepted_before_it_is_sent(prod):
    dist = prod.one(DIST)
    for role in ("primary", "dr"):
        assert prod.one(ACL, f"edge-{role}-acl").urn in dist.dependencies


def test_bumping_the_generation_regenerates_one_slot_and_keeps_the_previous_secret():
    before = {s.name: s.inputs["keepers"] for s in _run("prod").all(SECRET)}
    after = {
        s.name: s.inputs["keepers"]
        for s in run_component(build, "prod", overrides={"cloudfrontOriginSecretGeneration": 2}).all(SECRET)
    }
    assert before == {"edge-origin-secret-0": {"generation": "0"}, "edge-origin-secret-1": {"generation": "1"}}
    assert after == {"edge-origin-secret-0": {"generation": "2"}, "edge-origin-secret-1": {"generation": "1"}}


def test_no_stack_output_carries_the_origin_secret():
    run = run_stack("prod")
    secrets = {str(s.outputs["result"].value if isinstance(s.outputs["result"], SecretValue) else s.outputs["result"])
               for s in run.all(SECRET)}  # fmt: skip
    exported = json.dumps(run.outputs, default=repr)
    assert secrets and not any(value in exported for value in secrets)
