"""The edge in front of the gateway: WAFv2 web ACLs on both ALBs and, when enabled, CloudFront with its own ACL."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from settings.edge import RuleOverride

wafv2 = aws.wafv2
cf = aws.cloudfront

# Cheapest, most selective first: a request an earlier rule blocks is never inspected (or billed) by Bot Control.
MANAGED_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesBotControlRuleSet",
)
RATE_RULE = "rate-limit-per-ip"
REDACTED_HEADERS = ("authorization", "cookie")  # credentials never reach the WAF logs

# AWS managed CloudFront policies (ids are fixed across accounts).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
# Forwards the viewer's Host header, so each ALB's certificate for gateway.<domain> validates against it.
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"  # the hosted zone of every *.cloudfront.net alias target
ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
FAILOVER_STATUS_CODES = [500, 502, 503, 504]

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
    log_retention_days: int = 90


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


@dataclass(frozen=True)
class EdgeProtectionArgs:
    """What the caller decides. Everything else is a safe default."""

    name_prefix: str  # physical-name prefix, e.g. "summit-prod" (ACLs, aws-waf-logs-<prefix>-… log groups)
    waf: WafPolicy
    primary_alb_arn: str
    primary_alb_dns_name: str
    dr_alb_arn: str
    dr_alb_dns_name: str
    cloudfront: CloudFrontArgs | None = None
    protect_logs: bool = False  # stage/prod: WAF logs are evidence; deleting them takes a reviewed change


class EdgeProtection(pulumi.ComponentResource):
    """A REGIONAL web ACL on each region's ALB, and (optionally) a CloudFront distribution for the gateway with
    a CLOUDFRONT-scope web ACL. Every ACL runs the same managed groups and per-IP rate rule in the same mode,
    and logs to its own `aws-waf-logs-…` log group with the authorization and cookie headers redacted.
    """

    regional_acls: dict[str, aws.wafv2.WebAcl]  # "primary" | "dr"
    cloudfront_acl: aws.wafv2.WebAcl | None
    distribution: aws.cloudfront.Distribution | None

    def __init__(
        self,
        name: str,
        args: EdgeProtectionArgs,
        *,
        primary: aws.Provider,
        dr: aws.Provider,
        global_: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:edge:EdgeProtection", name, None, opts)

        self.regional_acls = {}
        for role, provider, alb_arn in (("primary", primary, args.primary_alb_arn), ("dr", dr, args.dr_alb_arn)):
            # Behind CloudFront, gateway requests reach the ALB from CloudFront's addresses: a per-IP limit here
            # would count a whole edge location as one client. The CLOUDFRONT ACL limits those per viewer IP.
            exempt = args.cloudfront.hostname if args.cloudfront is not None else None
            acl = self._web_acl(
                f"{name}-{role}", f"{args.name_prefix}-{role}", "REGIONAL", args, provider, rate_exempt_host=exempt
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
        if args.cloudfront is not None:
            # CLOUDFRONT scope exists only in us-east-1.
            self.cloudfront_acl = self._web_acl(
                f"{name}-cloudfront", f"{args.name_prefix}-cloudfront", "CLOUDFRONT", args, global_
            )
            self.distribution = self._distribution(name, args, args.cloudfront, self.cloudfront_acl, global_)

        self.register_outputs(
            {
                "regionalAclArns": {role: acl.arn for role, acl in self.regional_acls.items()},
                "cloudfrontAclArn": self.cloudfront_acl.arn if self.cloudfront_acl else None,
                "cloudfrontDomainName": self.distribution.domain_name if self.distribution else None,
            }
        )

    def _web_acl(
        self,
        name: str,
        physical: str,
        scope: str,
        args: EdgeProtectionArgs,
        provider: aws.Provider,
        rate_exempt_host: str | None = None,
    ) -> aws.wafv2.WebAcl:
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        waf = args.waf
        acl = wafv2.WebAcl(
            f"{name}-acl",
            name=physical,
            description=f"{physical}: AWS managed rules + per-IP rate limit ({waf.mode} mode)",
            scope=scope,
            default_action=wafv2.WebAclDefaultActionArgs(allow=wafv2.WebAclDefaultActionAllowArgs()),
            rules=[
                _managed_rule(MANAGED_GROUPS[0], 10, waf),
                _rate_rule(20, waf, rate_exempt_host),
                *(_managed_rule(group, 30 + 10 * i, waf) for i, group in enumerate(MANAGED_GROUPS[1:])),
            ],
            visibility_config=wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=physical, sampled_requests_enabled=True
            ),
            opts=child,
        )
        # WAF only delivers to log groups whose name starts with aws-waf-logs-, in the ACL's own region.
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"aws-waf-logs-{physical}",
            retention_in_days=waf.log_retention_days,
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

    def _distribution(
        self,
        name: str,
        args: EdgeProtectionArgs,
        cdn: CloudFrontArgs,
        acl: aws.wafv2.WebAcl,
        provider: aws.Provider,
    ) -> aws.cloudfront.Distribution:
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        https_only = cf.DistributionOriginCustomOriginConfigArgs(
            http_port=80, https_port=443, origin_protocol_policy="https-only", origin_ssl_protocols=["TLSv1.2"]
        )
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
                    origin_id="failover", domain_name=cdn.failover_origin, custom_origin_config=https_only
                ),
                cf.DistributionOriginArgs(
                    origin_id="primary-alb", domain_name=args.primary_alb_dns_name, custom_origin_config=https_only
                ),
                cf.DistributionOriginArgs(
                    origin_id="dr-alb", domain_name=args.dr_alb_dns_name, custom_origin_config=https_only
                ),
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
                cached_methods=["GET", "HEAD"],
                viewer_protocol_policy="https-only",
                cache_policy_id=CACHING_DISABLED,
                origin_request_policy_id=ALL_VIEWER,
                compress=True,
            ),
            ordered_cache_behaviors=[
                cf.DistributionOrderedCacheBehaviorArgs(
                    path_pattern="/graphql",
                    target_origin_id="failover",
                    allowed_methods=ALL_METHODS,
                    cached_methods=["GET", "HEAD"],
                    viewer_protocol_policy="https-only",
                    cache_policy_id=CACHING_DISABLED,
                    origin_request_policy_id=ALL_VIEWER,
                    compress=True,
                ),
                *(
                    cf.DistributionOrderedCacheBehaviorArgs(
                        path_pattern=path,
                        target_origin_id="alb-failover-group",
                        allowed_methods=["GET", "HEAD", "OPTIONS"],
                        cached_methods=["GET", "HEAD"],
                        viewer_protocol_policy="https-only",
                        cache_policy_id=CACHING_OPTIMIZED,
                        origin_request_policy_id=ALL_VIEWER,
                        compress=True,
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
                opts=child,
            )
        return distribution


def _managed_rule(group: str, priority: int, waf: WafPolicy) -> aws.wafv2.WebAclRuleArgs:
    overrides = [
        wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs(
            name=o.rule, action_to_use=_ACTION_TO_USE[o.action]()
        )
        for o in waf.rule_overrides
        if o.group == group
    ]
    configs = None
    if group == "AWSManagedRulesBotControlRuleSet":
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
    return wafv2.WebAclRuleArgs(
        name=group,
        priority=priority,
        # count: the group's matches are only counted (and logged); none: the group's own actions apply.
        override_action=(
            wafv2.WebAclRuleOverrideActionArgs(count=wafv2.WebAclRuleOverrideActionCountArgs())
            if waf.mode == "count"
            else wafv2.WebAclRuleOverrideActionArgs(none=wafv2.WebAclRuleOverrideActionNoneArgs())
        ),
        statement=wafv2.WebAclRuleStatementArgs(
            managed_rule_group_statement=wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                vendor_name="AWS",
                name=group,
                rule_action_overrides=overrides or None,
                managed_rule_group_configs=configs,
            )
        ),
        visibility_config=_visibility(group),
    )


def _rate_rule(priority: int, waf: WafPolicy, exempt_host: str | None) -> aws.wafv2.WebAclRuleArgs:
    scope_down = None
    if exempt_host is not None:
        scope_down = wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementArgs(
            not_statement=wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementNotStatementArgs(
                statement=wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementArgs(
                    byte_match_statement=wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementArgs(
                        positional_constraint="EXACTLY",
                        search_string=exempt_host,
                        field_to_match=wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementFieldToMatchArgs(
                            single_header=wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementFieldToMatchSingleHeaderArgs(
                                name="host"
                            )
                        ),
                        text_transformations=[
                            wafv2.WebAclRuleStatementRateBasedStatementScopeDownStatementByteMatchStatementTextTransformationArgs(
                                priority=0, type="LOWERCASE"
                            )
                        ],
                    )
                )
            )
        )
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
