"""The edge: CloudFront sends security headers and keeps access logs; WAF request logs are under a customer key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import StackValidationArgs

from policy.policies._common import Report, Unknowns, of_type, schema, stack_policy
from policy.resources import UNKNOWN, related, unwrap

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"


def _behaviours(props: Mapping[str, Any]) -> Any:
    ordered = props.get("orderedCacheBehaviors")
    default = props.get("defaultCacheBehavior")
    if ordered is UNKNOWN or default is UNKNOWN:
        return UNKNOWN
    return [b for b in [default, *(ordered or [])] if isinstance(b, Mapping)]


def _logs_access(distribution: Any, sources: list[Any], deliveries: list[Any]) -> bool:
    """Standard logging v2 (a delivery source for the distribution, delivered somewhere) or legacy S3 logging."""
    if (unwrap(distribution.props).get("loggingConfig") or {}).get("bucket"):
        return True
    mine = [s for s in sources if related(s, "resourceArn", [distribution])]
    return any(related(d, "deliverySourceName", mine) for d in deliveries)


def _edge_hardening(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    sources, deliveries = of_type(args, DELIVERY_SOURCE), of_type(args, DELIVERY)
    for d in of_type(args, DISTRIBUTION):
        behaviours = _behaviours(unwrap(d.props))
        if behaviours is UNKNOWN:
            u.add(d.urn, "cache behaviours")
        else:
            # An id not known until deploy is still a policy that will be attached.
            bare = [b.get("pathPattern", "default") for b in behaviours if b.get("responseHeadersPolicyId") is None]
            if bare:
                report(
                    f"distribution {d.name} sends no security headers (HSTS, nosniff, frame options) on behaviours "
                    f"{', '.join(map(str, bare))}: they have no response_headers_policy_id.",
                    d.urn,
                )
        if not _logs_access(d, sources, deliveries):
            report(
                f"distribution {d.name} keeps no access logs: no standard logging (v2) delivery source with a "
                f"delivery for it, and no legacy logging_config bucket.",
                d.urn,
            )
    groups = of_type(args, LOG_GROUP)
    for logging in of_type(args, WAF_LOGGING):
        for g in related(logging, "logDestinationConfigs", groups):
            key = unwrap(g.props).get("kmsKeyId")
            if key is UNKNOWN:
                u.add(g.urn, "kmsKeyId")
            elif not key:
                report(
                    f"WAF log group {g.name} (client IPs, URIs, headers) is not encrypted with a customer-managed "
                    f"key (no kms_key_id).",
                    g.urn,
                )
    u.finish()


edge_hardening = stack_policy(
    name="edge-hardening",
    description="CloudFront distributions send security response headers on every behaviour and keep access logs; "
    "WAF log groups are encrypted with a customer-managed KMS key.",
    validate=_edge_hardening,
    config_schema=schema({}),
    remediation="Attach an aws.cloudfront.ResponseHeadersPolicy to every cache behaviour; add an "
    "aws.cloudwatch.LogDeliverySource (ACCESS_LOGS, the distribution's ARN, us-east-1) with a LogDelivery; give the "
    "aws-waf-logs-* log groups kms_key_id (a key whose policy admits logs.<region>.amazonaws.com).",
)

POLICIES = [edge_hardening]
