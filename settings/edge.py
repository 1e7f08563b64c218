"""Settings for the traffic failover and edge: FailoverDns and EdgeProtection."""

from __future__ import annotations

import re
from dataclasses import dataclass

from contract.outputs import GATEWAY_HOST
from settings import schema as s
from settings.loader import Values

# Route53 HealthCheckStatus metrics, CLOUDFRONT-scope WAF ACLs and CloudFront's ACM certificates live here.
GLOBAL_REGION = "us-east-1"

HOSTS = (GATEWAY_HOST, "wallet")
WAF_MODES = ("count", "block")
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesBotControlRuleSet",
)
OVERRIDE_ACTIONS = ("count", "allow", "block", "challenge", "captcha")

_ZONE_ID = r"Z[A-Z0-9]{6,32}"
_ALB_ARN = "an ALB ARN such as arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID"


@dataclass(frozen=True)
class RuleOverride:
    """Run one rule of a managed group with another action (a known false positive → count)."""

    group: str
    rule: str
    action: str


def _rule_override(text: str) -> RuleOverride:
    m = re.fullmatch(r"([A-Za-z]+)/([A-Za-z0-9_-]{1,128})=([a-z]+)", text)
    if not m or m.group(1) not in MANAGED_RULE_GROUPS or m.group(3) not in OVERRIDE_ACTIONS:
        raise ValueError(text)
    return RuleOverride(m.group(1), m.group(2), m.group(3))


# ACM certificate ids are UUIDs: arn:aws:acm:REGION:ACCOUNT:certificate/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx
# (ACM's Arn shape in botocore acm/2015-12-08 allows more; a certificate's ARN is always this).
_ACM_CERTIFICATE = r"certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# An ALB name "can have a maximum of 32 characters, must contain only alphanumeric characters or hyphens, must
# not begin or end with a hyphen" (botocore elbv2/2015-12-01 CreateLoadBalancerInput.Name); the id after it is
# hex (AWS documents no length for it).
_ALB_RESOURCE = r"loadbalancer/app/[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?/[0-9a-f]+"


def _acm_arn_or_empty(text: str) -> str:
    if text == "":
        return ""
    arn = s.parse_arn(text, "acm")
    if arn.region != GLOBAL_REGION:
        # ViewerCertificate.ACMCertificateArn: "CloudFront only supports ACM certificates in the US East
        # (N. Virginia) Region (us-east-1)" (botocore cloudfront/2020-05-31).
        raise s.Invalid(f"in {arn.region or 'no region'}; CloudFront takes certificates from {GLOBAL_REGION} only")
    if not re.fullmatch(_ACM_CERTIFICATE, arn.resource):
        raise s.Invalid(f"resource {s.show(arn.resource)} is not certificate/UUID")
    return text


def _alb_arn(text: str) -> str:
    arn = s.parse_arn(text, "elasticloadbalancing")
    if not arn.region:
        raise s.Invalid("no region")
    if not re.fullmatch(_ALB_RESOURCE, arn.resource):
        raise s.Invalid(f"resource {s.show(arn.resource)} is not loadbalancer/app/NAME/ID (an ALB)")
    return text


# The two ALBs: three keys each make one AlbEndpoint field (build() checks them together).
ALB_KEYS = [
    s.Key("primaryAlbArn", s.composite(_alb_arn, _ALB_ARN), required=True),
    s.Key("primaryAlbDnsName", s.dns_name(), required=True),
    s.Key("primaryAlbZoneId", s.string(_ZONE_ID, "the ALB's canonical hosted zone id, or empty", allow_empty=True)),
    s.Key("drAlbArn", s.composite(_alb_arn, _ALB_ARN), required=True),
    s.Key("drAlbDnsName", s.dns_name(), required=True),
    s.Key("drAlbZoneId", s.string(_ZONE_ID, "the ALB's canonical hosted zone id, or empty", allow_empty=True)),
]


@dataclass(frozen=True)
class AlbEndpoint:
    """An existing ALB that serves the hosts in one region."""

    arn: str
    dns_name: str
    zone_id: str  # canonical hosted zone of the ALB; "" → plain CNAME records with dns_ttl_seconds

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]


@dataclass(frozen=True)
class EdgeSettings:
    primary_alb: AlbEndpoint  # ALB_KEYS, checked together by build()
    dr_alb: AlbEndpoint
    failover_hosts: tuple[str, ...] = s.setting("failoverHosts", s.array(s.choice(*HOSTS), min_items=1))
    health_check_path: str = s.setting(
        "healthCheckPath", s.string(r"/[A-Za-z0-9._~/-]{0,254}", "an absolute URL path such as /healthz")
    )
    # Route53 offers exactly two request intervals: standard (30 s) and fast (10 s).
    health_check_interval_seconds: int = s.setting("healthCheckIntervalSeconds", s.one_of_ints(10, 30))
    health_check_failure_threshold: int = s.setting("healthCheckFailureThreshold", s.integer(1, 10))
    # Resolvers must re-ask soon after a failover; Route53 fixes alias TTLs (60 s for ELB) itself.
    dns_ttl_seconds: int = s.setting("dnsRecordTtlSeconds", s.integer(1, 60))
    waf_mode: str = s.setting("wafMode", s.choice(*WAF_MODES))
    waf_rate_limit: int = s.setting("wafRateLimit", s.integer(10, 2_000_000_000))
    waf_rate_window_seconds: int = s.setting("wafRateWindowSeconds", s.one_of_ints(60, 120, 300, 600))
    waf_rule_overrides: tuple[RuleOverride, ...] = s.setting(
        "wafRuleActionOverrides",
        s.array(
            s.composite(
                _rule_override,
                "RuleGroup/RuleName=ACTION with RuleGroup one of "
                + ", ".join(MANAGED_RULE_GROUPS)
                + " and ACTION one of "
                + "|".join(OVERRIDE_ACTIONS),
            )
        ),
    )
    waf_count_only_rule_groups: tuple[str, ...] = s.setting(
        "wafCountOnlyRuleGroups", s.array(s.choice(*MANAGED_RULE_GROUPS))
    )
    waf_log_retention_days: int = s.setting("wafLogRetentionDays", s.log_retention_days())
    waf_rollout_exemption: str = s.setting(
        "wafRolloutExemption", s.string(what="a reason (e.g. a ticket id)", allow_empty=True)
    )
    cloudfront_enabled: bool = s.setting("cloudfrontEnabled", s.boolean())
    cloudfront_static_paths: tuple[str, ...] = s.setting(
        "cloudfrontStaticPaths",
        s.array(s.string(r"/[A-Za-z0-9._~/*-]{1,254}", "a path pattern such as /static/*")),
    )
    acm_certificate_arn: str = s.setting(
        "acmCertificateArn",
        s.composite(_acm_arn_or_empty, f"an acm ARN in {GLOBAL_REGION} (CloudFront's region), or empty"),
    )
    # The CloudFront → ALB trust header's rotation state (docs/edge.md "Rotating the origin secret").
    cloudfront_origin_secret_generation: int = s.setting("cloudfrontOriginSecretGeneration", s.integer(1, 1_000_000))
    cloudfront_origin_secret_accept_previous: bool = s.setting("cloudfrontOriginSecretAcceptPrevious", s.boolean())

    @property
    def detection_seconds(self) -> int:
        """How long Route53 needs to call an endpoint unhealthy: interval × consecutive failures."""
        return self.health_check_interval_seconds * self.health_check_failure_threshold

    def public_fqdn(self, host: str, domain: str) -> str:
        return f"{host}.{domain}"

    def failover_fqdn(self, host: str, domain: str) -> str:
        """Name of the PRIMARY/SECONDARY pair. With CloudFront in front of the gateway, gateway.<domain>
        aliases the distribution and the pair moves to gateway-origin.<domain> (CloudFront's origin)."""
        if host == GATEWAY_HOST and self.cloudfront_enabled:
            return f"{host}-origin.{domain}"
        return f"{host}.{domain}"


KEYS = [*ALB_KEYS, *s.keys_of(EdgeSettings)]


def _alb(v: Values, prefix: str, region_key: str) -> AlbEndpoint:
    arn, dns = v[f"{prefix}AlbArn"], v[f"{prefix}AlbDnsName"]
    region = v[region_key]
    if arn.split(":")[3] != region:
        raise v.fail(f"{prefix}AlbArn", f"must be an ALB in {region_key} {region}, got one in {arn.split(':')[3]}")
    if not dns.endswith(f".{region}.elb.amazonaws.com"):
        raise v.fail(
            f"{prefix}AlbDnsName", f"expected the ALB's DNS name, ending .{region}.elb.amazonaws.com, got {s.show(dns)}"
        )
    return AlbEndpoint(arn, dns, v[f"{prefix}AlbZoneId"] or "")


def _same_account(v: Values, *keys: str) -> None:
    """Existing resources the stack points at must be in its own account: every provider refuses any other
    (allowed_account_ids), so a foreign ARN would fail late, at deploy, or name another team's resource."""
    for key in keys:
        if v[key]:
            account = v[key].split(":")[4]
            if account != v["awsAccountId"]:
                raise v.fail(key, f"must be in awsAccountId {v['awsAccountId']}, got account {account}")


def build(v: Values) -> EdgeSettings:
    hosts = v["failoverHosts"]
    if GATEWAY_HOST not in hosts:
        raise v.fail("failoverHosts", f"must include gateway (the public API), got {s.show(list(hosts))}")
    _same_account(v, "primaryAlbArn", "drAlbArn", "acmCertificateArn")
    primary, dr = _alb(v, "primary", "primaryRegion"), _alb(v, "dr", "drRegion")
    if v["environment"] == "prod" and v["wafMode"] != "block" and not v["wafRolloutExemption"].strip():
        raise v.fail(
            "wafMode",
            'prod must block; to run "count" during a rollout set wafRolloutExemption to the reason (e.g. a ticket)',
        )
    if v["cloudfrontEnabled"] and not v["acmCertificateArn"]:
        raise v.fail("acmCertificateArn", f"is required when cloudfrontEnabled is true (an acm ARN in {GLOBAL_REGION})")
    if v["cloudfrontEnabled"] and not v["cloudfrontStaticPaths"]:
        raise v.fail("cloudfrontStaticPaths", "needs at least one cached path when cloudfrontEnabled is true")
    if v["cloudfrontOriginSecretAcceptPrevious"] and v["cloudfrontOriginSecretGeneration"] < 2:
        raise v.fail(
            "cloudfrontOriginSecretAcceptPrevious",
            "needs cloudfrontOriginSecretGeneration 2 or more (generation 1 has no previous secret to accept)",
        )
    overrides = v["wafRuleActionOverrides"]
    seen = [(o.group, o.rule) for o in overrides]
    if len(set(seen)) != len(seen):
        raise v.fail("wafRuleActionOverrides", "names the same rule twice")
    return s.build_from(EdgeSettings, v, primary_alb=primary, dr_alb=dr)
