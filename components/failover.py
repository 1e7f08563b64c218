"""Route53 failover for the public hosts: per-region health checks, a PRIMARY/SECONDARY record pair, alarms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components.alerting import AlarmTopics, severity_tags
from contract.outputs import FailoverHostOutputs, document

if TYPE_CHECKING:
    from settings import StackSettings

ROLES = ("primary", "secondary")


@dataclass(frozen=True)
class Endpoint:
    """One region's entry point: an existing ALB."""

    dns_name: str
    zone_id: str  # the ALB's canonical hosted zone → alias record; "" → CNAME record with `ttl_seconds`


@dataclass(frozen=True)
class FailoverDnsArgs:
    """What the caller decides. Everything else is a safe default."""

    zone_id: str  # existing hosted zone that holds the names
    records: dict[str, str]  # service host label ("gateway", "wallet") → FQDN of its failover pair
    primary: Endpoint
    secondary: Endpoint
    alarm_topics: AlarmTopics  # topics in us-east-1 (where HealthCheckStatus alarms live)
    health_check_path: str = "/healthz"
    # 10 s × 3 ≈ 30 s detection in prod keeps the traffic share of the RTO small; 30 s is the cheaper standard.
    request_interval_seconds: int = 30
    failure_threshold: int = 3
    ttl_seconds: int = 60  # only for non-alias records; alias TTLs are Route53's
    # host -> the Region switch plan's Route53 health check for the primary region (None while not allocated yet).
    # Given for a host, its PRIMARY record is gated by a CALCULATED check: healthy only while BOTH the endpoint check
    # and the plan's check are healthy (see FailoverDns).
    primary_gates: Mapping[str, pulumi.Input[str | None]] = field(default_factory=dict)

    @classmethod
    def from_settings(
        cls,
        config: StackSettings,
        alarm_topics: AlarmTopics,
        primary_gates: Mapping[str, pulumi.Input[str | None]] | None = None,
    ) -> FailoverDnsArgs:
        core, edge = config.core, config.edge
        return cls(
            zone_id=core.hosted_zone_id,
            records={host: edge.failover_fqdn(host, core.domain) for host in edge.failover_hosts},
            primary=Endpoint(edge.primary_alb.dns_name, edge.primary_alb.zone_id),
            secondary=Endpoint(edge.dr_alb.dns_name, edge.dr_alb.zone_id),
            alarm_topics=alarm_topics,
            health_check_path=edge.health_check_path,
            request_interval_seconds=edge.health_check_interval_seconds,
            failure_threshold=edge.health_check_failure_threshold,
            ttl_seconds=edge.dns_ttl_seconds,
            primary_gates=primary_gates or {},
        )


@dataclass(frozen=True)
class HostFailover:
    """The pieces of one host's failover the DR drill needs."""

    fqdn: pulumi.Output[str]
    health_checks: dict[str, aws.route53.HealthCheck]  # role → endpoint check
    gate: aws.route53.HealthCheck | None  # the PRIMARY record's CALCULATED check when the plan gates it
    records: dict[str, aws.route53.Record]
    alarms: dict[str, aws.cloudwatch.MetricAlarm]


class FailoverDns(pulumi.ComponentResource):
    """For each host: HTTPS health checks probing the primary and the DR ALB independently, a PRIMARY record
    to the primary ALB and a SECONDARY record to the DR ALB (each gated by its own check), and a CloudWatch
    alarm per check that notifies the operations topic.

    Everything here uses the us-east-1 provider: Route53's API lives there, and so do the HealthCheckStatus
    metrics the alarms read (they exist in no other region).

    With a Region switch plan (`primary_gates`), a failover record can carry only one health check, yet two things
    must be able to move traffic: the endpoint check (a dead primary ALB fails over on its own, within interval ×
    threshold, even when nobody runs the plan) and the plan's Route53HealthCheck step (an executed plan moves traffic
    even while the primary still answers its health path — a gray failure, a practice run). The Route53 health
    check execution block creates one health check per record and region and flips them when the plan runs; the
    records must reference them. So the PRIMARY record is gated by a CALCULATED check over both children with
    threshold 2 (AND): either child unhealthy makes the record unhealthy and Route53 answers the SECONDARY. The
    SECONDARY record stays on its endpoint check alone: ANDing it with the plan's DR-region check (unhealthy while
    the primary is active) would leave both records unhealthy on an endpoint failure, and Route53 then answers the
    PRIMARY — no automatic failover. A failback execution flips the primary-region check back to healthy, and
    traffic returns once the primary endpoint is healthy too. The HealthCheckStatus alarms stay on the endpoint
    checks: they report the endpoint, not the plan.
    """

    hosts: dict[str, HostFailover]

    def __init__(
        self,
        name: str,
        args: FailoverDnsArgs,
        *,
        provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:failover:FailoverDns", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        endpoints = dict(zip(ROLES, (args.primary, args.secondary), strict=True))

        self.hosts = {}
        for host, fqdn in args.records.items():
            checks: dict[str, aws.route53.HealthCheck] = {}
            records: dict[str, aws.route53.Record] = {}
            alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
            gates: dict[str, aws.route53.HealthCheck] = {}
            for role, endpoint in endpoints.items():
                prefix = f"{name}-{host}-{role}"
                # Probe the region's own ALB, never the failover name: a check that followed the failover
                # record would report the healthy DR region as "primary is fine".
                checks[role] = aws.route53.HealthCheck(
                    f"{prefix}-check",
                    type="HTTPS",
                    fqdn=endpoint.dns_name,
                    port=443,
                    resource_path=args.health_check_path,
                    enable_sni=True,
                    measure_latency=True,
                    request_interval=args.request_interval_seconds,
                    failure_threshold=args.failure_threshold,
                    tags={"Name": f"{fqdn} {role}", "failover-role": role, "service-host": host},
                    opts=child,
                )
                record_check = checks[role]
                if role == "primary" and host in args.primary_gates:
                    children = pulumi.Output.all(checks[role].id, args.primary_gates[host]).apply(
                        lambda ids: [i for i in ids if i]  # a plan check not allocated yet: the endpoint alone
                    )
                    gates[role] = record_check = aws.route53.HealthCheck(
                        f"{prefix}-gate",
                        type="CALCULATED",
                        child_healthchecks=children,
                        # AND of the children (HealthThreshold 0–256, ChildHealthChecks ≤ 256: Route53 API model).
                        child_health_threshold=children.apply(len),
                        tags={"Name": f"{fqdn} {role} gate", "failover-role": role, "service-host": host},
                        opts=child,
                    )
                records[role] = aws.route53.Record(
                    f"{prefix}-record",
                    zone_id=args.zone_id,
                    name=fqdn,
                    set_identifier=set_identifier(host, role),
                    failover_routing_policies=[aws.route53.RecordFailoverRoutingPolicyArgs(type=role.upper())],
                    health_check_id=record_check.id,
                    type="A" if endpoint.zone_id else "CNAME",
                    aliases=_alias(endpoint),
                    ttl=None if endpoint.zone_id else args.ttl_seconds,
                    records=None if endpoint.zone_id else [endpoint.dns_name],
                    opts=child,
                )
                alarms[role] = aws.cloudwatch.MetricAlarm(
                    f"{prefix}-unhealthy",
                    alarm_description=(
                        f"Route53 health check of {fqdn} ({role}, {endpoint.dns_name}{args.health_check_path}) "
                        "is failing; "
                        + ("traffic fails over to the DR region." if role == "primary" else "the DR region is down.")
                    ),
                    namespace="AWS/Route53",
                    metric_name="HealthCheckStatus",
                    dimensions={"HealthCheckId": checks[role].id},
                    statistic="Minimum",
                    period=60,
                    evaluation_periods=1,
                    comparison_operator="LessThanThreshold",
                    threshold=1,
                    # No data means Route53 is not reporting this check: treat as unhealthy, not as fine.
                    treat_missing_data="breaching",
                    alarm_actions=args.alarm_topics.actions(f"endpoint-{role}-unhealthy"),
                    ok_actions=args.alarm_topics.actions(f"endpoint-{role}-unhealthy"),
                    tags=severity_tags(f"endpoint-{role}-unhealthy"),
                    opts=child,
                )
            self.hosts[host] = HostFailover(
                fqdn=records["primary"].fqdn,
                health_checks=checks,
                gate=gates.get("primary"),
                records=records,
                alarms=alarms,
            )

        self.register_outputs({"hosts": document(self.outputs())})

    def outputs(self) -> dict[str, FailoverHostOutputs]:
        """The `failover` stack output: {host: {fqdn, primary/secondary health check id and alarm ARN}}."""
        return {
            host: FailoverHostOutputs(
                fqdn=f.fqdn,
                primary_health_check_id=f.health_checks["primary"].id,
                secondary_health_check_id=f.health_checks["secondary"].id,
                primary_alarm_arn=f.alarms["primary"].arn,
                secondary_alarm_arn=f.alarms["secondary"].arn,
            )
            for host, f in self.hosts.items()
        }


def set_identifier(host: str, role: str) -> str:
    """SetIdentifier of a host's failover record for `role` (primary/secondary); the Region switch plan names it."""
    return f"{host}-{role}"


def _alias(endpoint: Endpoint) -> list[aws.route53.RecordAliasArgs] | None:
    if not endpoint.zone_id:
        return None
    # evaluate_target_health: an ALB with no healthy targets counts as down too, not only a failed probe.
    return [aws.route53.RecordAliasArgs(name=endpoint.dns_name, zone_id=endpoint.zone_id, evaluate_target_health=True)]
