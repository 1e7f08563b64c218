"""The edge in front of the gateway: WAFv2 web ACLs on both ALBs and, when enabled, CloudFront with its own ACL.

CloudFront and the ALBs trust each other through a secret, not through anything a client chooses: CloudFront adds
`x-origin-verify: <secret>` to every origin request (and overwrites a viewer's header of that name). The CLOUDFRONT
ACL inspects every viewer request with the viewer's IP; a regional ACL inspects — rate-limits, IP-lists, Bot
Control — only the requests that lack the secret, i.e. the ones that did not come through CloudFront. Each request
is therefore inspected once, and `Host: gateway.<domain>` sent straight to an ALB buys nothing (docs/edge.md).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from settings.edge import GLOBAL_REGION, RuleOverride

if TYPE_CHECKING:
    from settings import StackSettings

wafv2 = aws.wafv2
cf = aws.cloudfront

# Source-IP groups first (25 and 50 WCU, cheapest), then the per-IP rate rule, then the content groups; Bot Control
# last: it is billed per request it inspects, so a request an earlier rule blocks never reaches (or costs) it.
IP_GROUPS = ("AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesAnonymousIpList")
CONTENT_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
BOT_CONTROL = "AWSManagedRulesBotControlRuleSet"
MANAGED_GROUPS = (*IP_GROUPS, *CONTENT_GROUPS, BOT_CONTROL)
# Behind CloudFront the ALB sees CloudFront's address, not the viewer's: the IP lists would judge an edge server
# and the rate rule would count a whole edge location as one client; the CLOUDFRONT ACL does both per viewer IP.
# Bot Control already inspected (and billed) the request at the edge. Content groups run on everything.
EDGE_INSPECTED = (*IP_GROUPS, BOT_CONTROL)
RATE_RULE = "rate-limit-per-ip"

# CloudFront → ALB trust header. Not on CloudFront's list of headers it refuses to add (no X-Amz-/X-Edge- prefix;
# CloudFront Developer Guide, "Custom headers that CloudFront can't add to origin requests"); CloudFront overwrites
# a viewer-sent header of the same name, so a client cannot supply it through CloudFront.
ORIGIN_HEADER = "x-origin-verify"
# 64 alphanumerics ≈ 381 bits. A WAF string match compares at most 200 bytes (wafv2 ByteMatchStatement.SearchString);
# CloudFront header values may hold 1,783 characters (CloudFront quotas, custom headers).
ORIGIN_SECRET_LENGTH = 64
# Credentials and the trust secret never reach the WAF logs.
REDACTED_HEADERS = ("authorization", "cookie", ORIGIN_HEADER)

# AWS managed CloudFront policies (ids are fixed across accounts).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
# Forwards the viewer's Host header, so each ALB's certificate for gateway.<domain> validates against it.
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"  # the hosted zone of every *.cloudfront.net alias target
ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
FAILOVER_STATUS_CODES = [500, 502, 503, 504]
# HSTS for a year: the floor browsers' preload lists ask for, and what AWS's managed SecurityHeadersPolicy sends.
HSTS_MAX_AGE_SECONDS = 31_536_000
# CloudFront standard logging (v2) fields: the ACCESS_LOGS default set (CloudWatch Logs
# DescribeConfigurationTemplates) minus cs(Cookie) — session cookies are credentials, as in the WAF logs.
ACCESS_LOG_FIELDS = [
    "date",
    "time",
    "x-edge-location",
    "sc-bytes",
    "c-ip",
    "cs-method",
    "cs(Host)",
    "cs-uri-stem",
    "sc-status",
    "cs(Referer)",
    "cs(User-Agent)",
    "cs-uri-query",
    "x-edge-result-type",
    "x-edge-request-id",
    "x-host-header",
    "cs-protocol",
    "cs-bytes",
    "time-taken",
    "x-forwarded-for",
    "ssl-protocol",
    "ssl-cipher",
    "x-edge-response-result-type",
    "cs-protocol-version",
    "fle-status",
    "fle-encrypted-fields",
    "c-port",
    "time-to-first-byte",
    "x-edge-detailed-result-type",
    "sc-content-type",
    "sc-content-len",
    "sc-range-start",
    "sc-range-end",
]
# What CloudWatch Logs needs on a key to encrypt a log group (CloudWatch Logs User Guide, "Encrypt log data in
# CloudWatch Logs using AWS KMS", step 2: the key policy statement for logs.<region>.amazonaws.com).
LOGS_KEY_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]

_ACTION_TO_USE = {
    "allow": lambda: wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
        allow=wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseAllowArgs()
    ),
    "block": lambda: wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
        block=wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseBlockArgs()
    ),
    "captcha": lambda: wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
        captcha=wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseCaptchaArgs()
    ),
    "challenge": lambda: wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
        challenge=wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseChallengeArgs()
    ),
    "count": lambda: wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
        count=wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseCountArgs()
    ),
}


@dataclass(frozen=True)
class WafPolicy:
    """How the web ACLs treat traffic. `count` is the rollout mode: everything is measured, nothing blocked."""

    mode: str  # "count" | "block"
    rate_limit: int  # requests per client IP per window
    rate_window_seconds: int  # 60 | 120 | 300 | 600
    rule_overrides: tuple[RuleOverride, ...] = ()
    # Managed groups in their first rollout stage: they only count, even when `mode` is block.
    count_only_groups: tuple[str, ...] = ()
    log_retention_days: int = 90  # WAF logs and CloudFront access logs


@dataclass(frozen=True)
class OriginSecret:
    """Rotation state of the CloudFront → ALB trust secret. Two slots (generation parity) hold the current and the
    previous generation; bumping `generation` regenerates the other slot (its keepers change)."""

    generation: int = 1
    accept_previous: bool = False  # during a rotation the regional ACLs also accept generation - 1

    def __post_init__(self) -> None:
        if self.generation < 1 or (self.accept_previous and self.generation < 2):
            raise ValueError(f"no previous origin secret to accept at generation {self.generation}")


@dataclass(frozen=True)
class CloudFrontArgs:
    """A distribution for one public host (the gateway) in front of both regions' ALBs."""

    hostname: str  # gateway.<domain>: the distribution's alias and the A/AAAA alias records
    zone_id: str  # hosted zone holding `hostname`
    certificate_arn: str  # ACM, us-east-1, covering `hostname`
    # The Route53 PRIMARY/SECONDARY name. Non-GET traffic (POST /graphql) goes here: CloudFront refuses
    # POST on a behaviour whose target is an origin group, so DNS failover moves it instead.
    failover_origin: pulumi.Input[str]
    static_paths: tuple[str, ...] = ("/static/*",)
    origin_secret: OriginSecret = OriginSecret()


@dataclass(frozen=True)
class EdgeProtectionArgs:
    """What the caller decides. Everything else is a safe default."""

    name_prefix: str  # physical-name prefix, e.g. "summit-prod" (ACLs, aws-waf-logs-<prefix>-… log groups)
    waf: WafPolicy
    account_id: str  # key policies name the account and the log groups' ARNs
    primary_region: str
    dr_region: str
    primary_alb_arn: str
    primary_alb_dns_name: str
    dr_alb_arn: str
    dr_alb_dns_name: str
    cloudfront: CloudFrontArgs | None = None
    protect_logs: bool = False  # stage/prod: logs and their keys are evidence; deleting them takes a reviewed change

    @classmethod
    def from_settings(cls, config: StackSettings, failover_origin: pulumi.Input[str]) -> EdgeProtectionArgs:
        """`failover_origin`: the gateway's Route53 failover name, CloudFront's origin (both regions behind it)."""
        core, edge = config.core, config.edge
        return cls(
            name_prefix=core.name_prefix,
            waf=WafPolicy(
                mode=edge.waf_mode,
                rate_limit=edge.waf_rate_limit,
                rate_window_seconds=edge.waf_rate_window_seconds,
                rule_overrides=edge.waf_rule_overrides,
                count_only_groups=edge.waf_count_only_rule_groups,
                log_retention_days=edge.waf_log_retention_days,
            ),
            account_id=core.aws_account_id,
            primary_region=core.primary_region,
            dr_region=core.dr_region,
            primary_alb_arn=edge.primary_alb.arn,
            primary_alb_dns_name=edge.primary_alb.dns_name,
            dr_alb_arn=edge.dr_alb.arn,
            dr_alb_dns_name=edge.dr_alb.dns_name,
            cloudfront=(
                CloudFrontArgs(
                    hostname=edge.public_fqdn("gateway", core.domain),
                    zone_id=core.hosted_zone_id,
                    certificate_arn=edge.acm_certificate_arn,
                    failover_origin=failover_origin,
                    static_paths=edge.cloudfront_static_paths,
                    origin_secret=OriginSecret(
                        generation=edge.cloudfront_origin_secret_generation,
                        accept_previous=edge.cloudfront_origin_secret_accept_previous,
                    ),
                )
                if edge.cloudfront_enabled
                else None
            ),
            protect_logs=core.is_production_like,
        )


@dataclass(frozen=True)
class _Statements:
    """The pulumi_aws Args classes of one scope-down position (they differ per position, not in shape)."""

    statement: Any
    not_: Any
    or_: Any
    byte_match: Any
    field_to_match: Any
    single_header: Any
    transformation: Any


_RATE_SCOPE = _Statements(
    wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementArgs,
    wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementNotStatementArgs,
    wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementOrStatementArgs,
    wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementArgs,
    wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementFieldToMatchArgs,
    wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementFieldToMatchSingleHeaderArgs,
    wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementTextTransformationArgs,
)
_GROUP_SCOPE = _Statements(
    wafv2.WebAclRuleStatementManagedRuleGroupStatementScopeDownStatementArgs,
    wafv2.WebAclRuleStatementManagedRuleGroupStatementScopeDownStatementNotStatementArgs,
    wafv2.WebAclRuleStatementManagedRuleGroupStatementScopeDownStatementOrStatementArgs,
    wafv2.WebAclRuleStatementManagedRuleGroupStatementScopeDownStatementByteMatchStatementArgs,
    wafv2.WebAclRuleStatementManagedRuleGroupStatementScopeDownStatementByteMatchStatementFieldToMatchArgs,
    wafv2.WebAclRuleStatementManagedRuleGroupStatementScopeDownStatementByteMatchStatementFieldToMatchSingleHeaderArgs,
    wafv2.WebAclRuleStatementManagedRuleGroupStatementScopeDownStatementByteMatchStatementTextTransformationArgs,
)


class EdgeProtection(pulumi.ComponentResource):
    """A REGIONAL web ACL on each region's ALB, and (optionally) a CloudFront distribution for the gateway with a
    CLOUDFRONT-scope web ACL, a security response headers policy and standard logging. Every ACL runs the same
    managed groups and per-IP rate rule in the same mode and logs to its own `aws-waf-logs-…` group with the
    credentials and the origin secret redacted; every log group is encrypted with its region's edge-logs key.
    """

    regional_acls: dict[str, aws.wafv2.WebAcl]  # "primary" | "dr"
    cloudfront_acl: aws.wafv2.WebAcl | None
    distribution: aws.cloudfront.Distribution | None
    log_keys: dict[str, aws.kms.Key]  # region → the key encrypting that region's edge log groups
    origin_secrets: list[random.RandomPassword]  # slots 0 and 1 (generation parity); empty without CloudFront
    response_headers_policy: aws.cloudfront.ResponseHeadersPolicy | None
    access_logs: aws.cloudwatch.LogGroup | None

    def __init__(
        self,
        name: str,
        args: EdgeProtectionArgs,
        *,
        primary: aws.Provider,
        dr: aws.Provider,
        global_: aws.Provider,
        random_provider: random.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:edge:EdgeProtection", name, None, opts)
        prefix, cdn = args.name_prefix, args.cloudfront

        # --- log groups and the keys that encrypt them: one key per region ---
        placement = {"primary": (args.primary_region, primary), "dr": (args.dr_region, dr)}
        if cdn is not None:
            placement["cloudfront"] = (GLOBAL_REGION, global_)  # CLOUDFRONT scope and its logs live in us-east-1
        waf_log_names = {role: f"aws-waf-logs-{prefix}-{role}" for role in placement}
        access_log_name = f"/aws/vendedlogs/cloudfront/{prefix}-gateway"
        groups_by_region: dict[str, list[str]] = {}
        key_placement: dict[str, tuple[str, aws.Provider]] = {}  # region → (key role, provider)
        for role, (region, provider) in placement.items():
            groups_by_region.setdefault(region, []).append(waf_log_names[role])
            # us-east-1 gets a key of its own ("global") only when it is neither the primary nor the DR region.
            key_placement.setdefault(region, ("global" if role == "cloudfront" else role, provider))
        if cdn is not None:
            groups_by_region[GLOBAL_REGION].append(access_log_name)
        self.log_keys = {
            region: self._log_key(name, prefix, key_role, region, args, groups_by_region[region], provider)
            for region, (key_role, provider) in key_placement.items()
        }

        # --- the CloudFront → ALB trust secret (regional ACLs need it before they can exempt anything) ---
        self.origin_secrets = []
        accepted: list[pulumi.Output[str]] = []
        current: pulumi.Output[str] | None = None
        if cdn is not None:
            gen = cdn.origin_secret.generation
            self.origin_secrets = [
                random.RandomPassword(
                    f"{name}-origin-secret-{slot}",
                    length=ORIGIN_SECRET_LENGTH,
                    special=False,  # header-safe: letters and digits only
                    # The slot holds the newest generation with its parity; a bump changes the other slot's keeper,
                    # which replaces (regenerates) it while this slot — the previous secret — stays as it is.
                    keepers={"generation": str(gen if gen % 2 == slot else gen - 1)},
                    opts=pulumi.ResourceOptions(parent=self, provider=random_provider),
                )
                for slot in (0, 1)
            ]
            # Secret explicitly: random marks `result` secret through the engine, and every input and output that
            # carries the value (ACL rules, distribution origins) must stay secret in state and previews alike.
            current = pulumi.Output.secret(self.origin_secrets[gen % 2].result)
            accepted = [current]
            if cdn.origin_secret.accept_previous:
                accepted.append(pulumi.Output.secret(self.origin_secrets[(gen - 1) % 2].result))

        # --- web ACLs ---
        self.regional_acls = {}
        for role in ("primary", "dr"):
            region, provider = placement[role]
            alb_arn = args.primary_alb_arn if role == "primary" else args.dr_alb_arn
            acl = self._web_acl(
                f"{name}-{role}",
                f"{prefix}-{role}",
                "REGIONAL",
                args,
                provider,
                self.log_keys[region],
                waf_log_names[role],
                edge_secrets=accepted,
            )
            wafv2.WebAclAssociation(
                f"{name}-{role}-alb",
                resource_arn=alb_arn,
                web_acl_arn=acl.arn,
                opts=pulumi.ResourceOptions(parent=self, provider=provider),
            )
            self.regional_acls[role] = acl

        self.cloudfront_acl = None
        self.distribution = None
        self.response_headers_policy = None
        self.access_logs = None
        if cdn is not None and current is not None:
            self.cloudfront_acl = self._web_acl(
                f"{name}-cloudfront",
                f"{prefix}-cloudfront",
                "CLOUDFRONT",
                args,
                global_,
                self.log_keys[GLOBAL_REGION],
                waf_log_names["cloudfront"],
                edge_secrets=[],
            )
            self.response_headers_policy = self._security_headers(name, prefix, global_)
            self.distribution = self._distribution(
                name, args, cdn, self.cloudfront_acl, self.response_headers_policy, current, global_
            )
            self.access_logs = self._access_logging(
                name, prefix, args, access_log_name, self.log_keys[GLOBAL_REGION], self.distribution, global_
            )

        self.register_outputs(
            {
                "regionalAclArns": {role: acl.arn for role, acl in self.regional_acls.items()},
                "cloudfrontAclArn": self.cloudfront_acl.arn if self.cloudfront_acl else None,
                "cloudfrontDomainName": self.distribution.domain_name if self.distribution else None,
                "originVerifyHeader": ORIGIN_HEADER if cdn is not None else None,  # the name; the value stays secret
                "logKeyArns": {region: key.arn for region, key in self.log_keys.items()},
            }
        )

    def _log_key(
        self,
        name: str,
        prefix: str,
        role: str,
        region: str,
        args: EdgeProtectionArgs,
        log_groups: Sequence[str],
        provider: aws.Provider,
    ) -> aws.kms.Key:
        in_region = pulumi.ResourceOptions(parent=self, provider=provider)
        key = aws.kms.Key(
            f"{name}-{role}-logs-key",
            description=f"{prefix} edge logs in {region}: WAF request logs and CloudFront access logs",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=logs_key_policy(args.account_id, region, log_groups),
            opts=pulumi.ResourceOptions.merge(in_region, pulumi.ResourceOptions(protect=args.protect_logs)),
        )
        aws.kms.Alias(
            f"{name}-{role}-logs-key-alias",
            name=f"alias/{prefix}-edge-logs-{role}",
            target_key_id=key.key_id,
            opts=in_region,
        )
        return key

    def _web_acl(
        self,
        name: str,
        physical: str,
        scope: str,
        args: EdgeProtectionArgs,
        provider: aws.Provider,
        key: aws.kms.Key,
        log_group_name: str,
        edge_secrets: Sequence[pulumi.Input[str]],
    ) -> aws.wafv2.WebAcl:
        """`edge_secrets` non-empty: a regional ACL behind CloudFront, which leaves requests carrying one of them
        to the CLOUDFRONT ACL for the IP-based groups, the rate rule and Bot Control."""
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        waf = args.waf
        edge_rate = _lacks_origin_secret(_RATE_SCOPE, edge_secrets) if edge_secrets else None
        edge_group = _lacks_origin_secret(_GROUP_SCOPE, edge_secrets) if edge_secrets else None
        rules = [
            *(_managed_rule(g, 10 * (i + 1), waf, edge_group) for i, g in enumerate(IP_GROUPS)),
            _rate_rule(10 * (len(IP_GROUPS) + 1), waf, edge_rate),
            *(_managed_rule(g, 10 * (len(IP_GROUPS) + 2 + i), waf, None) for i, g in enumerate(CONTENT_GROUPS)),
            _managed_rule(BOT_CONTROL, 10 * (len(MANAGED_GROUPS) + 1), waf, edge_group),
        ]
        acl = wafv2.WebAcl(
            f"{name}-acl",
            name=physical,
            # WAFv2 EntityDescription allows word characters, whitespace and + = : # @ / - , . only (no parentheses).
            description=f"{physical}: AWS managed rules and a per-IP rate limit, {waf.mode} mode",
            scope=scope,
            default_action=wafv2.WebAclDefaultActionArgs(allow=wafv2.WebAclDefaultActionAllowArgs()),
            rules=rules,
            visibility_config=wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=physical, sampled_requests_enabled=True
            ),
            opts=child,
        )
        # WAF only delivers to log groups whose name starts with aws-waf-logs-, in the ACL's own region.
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name,
            retention_in_days=waf.log_retention_days,
            kms_key_id=key.arn,  # client IPs, URIs and headers for up to a year: under the customer's own key
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=args.protect_logs)),
        )
        wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=acl.arn,
            log_destination_configs=[logs.arn],
            redacted_fields=[
                wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header)
                )
                for header in REDACTED_HEADERS
            ],
            opts=child,
        )
        return acl

    def _security_headers(self, name: str, prefix: str, provider: aws.Provider) -> aws.cloudfront.ResponseHeadersPolicy:
        return cf.ResponseHeadersPolicy(
            f"{name}-security-headers",
            name=f"{prefix}-gateway-security-headers",
            comment="HSTS, nosniff, DENY framing, strict-origin-when-cross-origin referrers",
            security_headers_config=cf.ResponseHeadersPolicySecurityHeadersConfigArgs(
                # override: the edge's values win over whatever the origin sends, so every response carries them.
                strict_transport_security=cf.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
                    access_control_max_age_sec=HSTS_MAX_AGE_SECONDS, include_subdomains=True, override=True
                ),
                content_type_options=cf.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(override=True),
                # The gateway is an API: nothing of it belongs in a frame (clickjacking).
                frame_options=cf.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                    frame_option="DENY", override=True
                ),
                referrer_policy=cf.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
                    referrer_policy="strict-origin-when-cross-origin", override=True
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )

    def _distribution(
        self,
        name: str,
        args: EdgeProtectionArgs,
        cdn: CloudFrontArgs,
        acl: aws.wafv2.WebAcl,
        headers: aws.cloudfront.ResponseHeadersPolicy,
        origin_secret: pulumi.Input[str],
        provider: aws.Provider,
    ) -> aws.cloudfront.Distribution:
        # On a rotation the ALB ACLs must accept the new secret before CloudFront sends it.
        child = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=list(self.regional_acls.values()))
        https_only = cf.DistributionOriginCustomOriginConfigArgs(
            http_port=80, https_port=443, origin_protocol_policy="https-only", origin_ssl_protocols=["TLSv1.2"]
        )
        trust = [cf.DistributionOriginCustomHeaderArgs(name=ORIGIN_HEADER, value=origin_secret)]
        behaviour: dict[str, Any] = {
            "viewer_protocol_policy": "https-only",
            "cached_methods": ["GET", "HEAD"],
            "origin_request_policy_id": ALL_VIEWER,
            "response_headers_policy_id": headers.id,
            "compress": True,
        }
        distribution = cf.Distribution(
            f"{name}-cdn",
            comment=f"{cdn.hostname}: WAF + cache in front of the primary/DR ALBs",
            enabled=True,
            aliases=[cdn.hostname],
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class="PriceClass_100",  # North America + Europe edges: where the users are, cheapest class
            web_acl_id=acl.arn,
            origins=[
                cf.DistributionOriginArgs(
                    origin_id=origin_id, domain_name=domain, custom_origin_config=https_only, custom_headers=trust
                )
                for origin_id, domain in (
                    ("failover", cdn.failover_origin),
                    ("primary-alb", args.primary_alb_dns_name),
                    ("dr-alb", args.dr_alb_dns_name),
                )
            ],
            # GET/HEAD/OPTIONS only: CloudFront retries the DR ALB on the same request when the primary errors.
            origin_groups=[
                cf.DistributionOriginGroupArgs(
                    origin_id="alb-failover-group",
                    failover_criteria=cf.DistributionOriginGroupFailoverCriteriaArgs(
                        status_codes=FAILOVER_STATUS_CODES
                    ),
                    members=[
                        cf.DistributionOriginGroupMemberArgs(origin_id="primary-alb"),
                        cf.DistributionOriginGroupMemberArgs(origin_id="dr-alb"),
                    ],
                )
            ],
            default_cache_behavior=cf.DistributionDefaultCacheBehaviorArgs(
                target_origin_id="failover",
                allowed_methods=ALL_METHODS,
                cache_policy_id=CACHING_DISABLED,
                **behaviour,
            ),
            ordered_cache_behaviors=[
                cf.DistributionOrderedCacheBehaviorArgs(
                    path_pattern="/graphql",
                    target_origin_id="failover",
                    allowed_methods=ALL_METHODS,
                    cache_policy_id=CACHING_DISABLED,
                    **behaviour,
                ),
                *(
                    cf.DistributionOrderedCacheBehaviorArgs(
                        path_pattern=path,
                        target_origin_id="alb-failover-group",
                        allowed_methods=["GET", "HEAD", "OPTIONS"],
                        cache_policy_id=CACHING_OPTIMIZED,
                        **behaviour,
                    )
                    for path in cdn.static_paths
                ),
            ],
            viewer_certificate=cf.DistributionViewerCertificateArgs(
                acm_certificate_arn=cdn.certificate_arn,
                ssl_support_method="sni-only",
                minimum_protocol_version="TLSv1.2_2021",
            ),
            restrictions=cf.DistributionRestrictionsArgs(
                geo_restriction=cf.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")
            ),
            opts=child,
        )
        for record_type in ("A", "AAAA"):
            aws.route53.Record(
                f"{name}-cdn-{record_type.lower()}",
                zone_id=cdn.zone_id,
                name=cdn.hostname,
                type=record_type,
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=distribution.domain_name,
                        zone_id=distribution.hosted_zone_id,
                        evaluate_target_health=False,  # CloudFront alias targets do not support it
                    )
                ],
                opts=pulumi.ResourceOptions(parent=self, provider=provider),
            )
        return distribution

    def _access_logging(
        self,
        name: str,
        prefix: str,
        args: EdgeProtectionArgs,
        log_group_name: str,
        key: aws.kms.Key,
        distribution: aws.cloudfront.Distribution,
        provider: aws.Provider,
    ) -> aws.cloudwatch.LogGroup:
        """CloudFront standard logging (v2) into a KMS-encrypted CloudWatch Logs group. v2 is the current mechanism
        (CloudFront Developer Guide, "Configure standard logging (v2)"); legacy S3 logging would need a bucket with
        ACLs enabled, which S3 disables by default and advises against. The delivery source must be created in
        us-east-1, where CloudFront's logs originate; the destination group lives there too."""
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        logs = aws.cloudwatch.LogGroup(
            f"{name}-cdn-logs",
            name=log_group_name,
            retention_in_days=args.waf.log_retention_days,
            kms_key_id=key.arn,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=args.protect_logs)),
        )
        # Delivery source/destination names: 1–60 characters of [\w-] (CloudWatch Logs API, DeliverySourceName).
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-cdn-log-source",
            name=f"{prefix}-cloudfront",
            log_type="ACCESS_LOGS",  # the one log type CloudFront offers (PutDeliverySource)
            resource_arn=distribution.arn,
            opts=child,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-cdn-log-destination",
            name=f"{prefix}-cloudfront-access-logs",
            output_format="json",  # one JSON object per request: Logs Insights reads the fields without parsing
            delivery_destination_configuration=aws.cloudwatch.LogDeliveryDestinationDeliveryDestinationConfigurationArgs(
                destination_resource_arn=logs.arn
            ),
            opts=child,
        )
        aws.cloudwatch.LogDelivery(
            f"{name}-cdn-log-delivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            record_fields=ACCESS_LOG_FIELDS,
            opts=child,
        )
        return logs


def logs_key_policy(account_id: str, region: str, log_groups: Sequence[str]) -> str:
    """The account's IAM policies govern the key (the default key policy's root statement), and CloudWatch Logs in
    `region` may use it only for these log groups: the encryption-context condition names their ARNs (CloudWatch
    Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS")."""
    arns = [f"arn:aws:logs:{region}:{account_id}:log-group:{group}" for group in log_groups]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EnableIamUserPermissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsForEdgeLogGroups",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": LOGS_KEY_ACTIONS,
                    "Resource": "*",
                    "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": arns}},
                },
            ],
        }
    )


def _lacks_origin_secret(classes: _Statements, secrets: Sequence[pulumi.Input[str]]) -> Any:
    """Matches a request whose x-origin-verify header is absent or carries none of `secrets` — one that did not come
    through CloudFront. Exact, untransformed comparison: 2 WCU per accepted secret (string match, EXACTLY)."""
    carries = [
        classes.statement(
            byte_match_statement=classes.byte_match(
                search_string=secret,
                positional_constraint="EXACTLY",
                field_to_match=classes.field_to_match(single_header=classes.single_header(name=ORIGIN_HEADER)),
                text_transformations=[classes.transformation(priority=0, type="NONE")],
            )
        )
        for secret in secrets
    ]
    # OR needs two or more statements (wafv2 OrStatement); one accepted secret is matched directly.
    any_secret = carries[0] if len(carries) == 1 else classes.statement(or_statement=classes.or_(statements=carries))
    return classes.statement(not_statement=classes.not_(statement=any_secret))


def _managed_rule(group: str, priority: int, waf: WafPolicy, scope_down: Any) -> aws.wafv2.WebAclRuleArgs:
    overrides = [
        wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs(
            name=o.rule, action_to_use=_ACTION_TO_USE[o.action]()
        )
        for o in waf.rule_overrides
        if o.group == group
    ]
    configs = None
    if group == BOT_CONTROL:
        # COMMON: self-identifying bots and scrapers; TARGETED (ML, browser challenges) costs ~10× per request.
        configs = [
            wafv2.WebAclRuleStatementManagedRuleGroupStatementManagedRuleGroupConfigArgs(
                aws_managed_rules_bot_control_rule_set=(
                    wafv2.WebAclRuleStatementManagedRuleGroupStatementManagedRuleGroupConfigAwsManagedRulesBotControlRuleSetArgs(
                        inspection_level="COMMON"
                    )
                )
            )
        ]
    counting = waf.mode == "count" or group in waf.count_only_groups
    return wafv2.WebAclRuleArgs(
        name=group,
        priority=priority,
        # count: the group's matches are only counted (and logged); none: the group's own actions apply.
        override_action=(
            wafv2.WebAclRuleOverrideActionArgs(count=wafv2.WebAclRuleOverrideActionCountArgs())
            if counting
            else wafv2.WebAclRuleOverrideActionArgs(none=wafv2.WebAclRuleOverrideActionNoneArgs())
        ),
        statement=wafv2.WebAclRuleStatementArgs(
            managed_rule_group_statement=wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                vendor_name="AWS",
                name=group,
                rule_action_overrides=overrides or None,
                managed_rule_group_configs=configs,
                scope_down_statement=scope_down if group in EDGE_INSPECTED else None,
            )
        ),
        visibility_config=_visibility(group),
    )


def _rate_rule(priority: int, waf: WafPolicy, scope_down: Any) -> aws.wafv2.WebAclRuleArgs:
    return wafv2.WebAclRuleArgs(
        name=RATE_RULE,
        priority=priority,
        action=(
            wafv2.WebAclRuleActionArgs(count=wafv2.WebAclRuleActionCountArgs())
            if waf.mode == "count"
            else wafv2.WebAclRuleActionArgs(block=wafv2.WebAclRuleActionBlockArgs())
        ),
        statement=wafv2.WebAclRuleStatementArgs(
            rate_based_statement=wafv2.WebAclRuleStatementRateBasedStatementArgs(
                aggregate_key_type="IP",
                limit=waf.rate_limit,
                evaluation_window_sec=waf.rate_window_seconds,
                scope_down_statement=scope_down,
            )
        ),
        visibility_config=_visibility(RATE_RULE),
    )


def _visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return wafv2.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )
