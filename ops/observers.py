"""What the drill observes about the outside world, behind small protocols so tests can script it.

moto does not simulate health status, DNS answers or replication, and a drill against real AWS should not be
tested by waiting minutes, so the drill reads all four through these protocols:

* `HealthObserver.status(health_check_id)` → "Healthy" | "Unhealthy". Default `Route53Health`: the majority of
  Route53 checkers' reports (`route53.get_health_check_status`) combined with the check's `Inverted` flag
  (`route53.get_health_check`) — the checkers report the raw probe result, DNS uses the inverted one.
* `DnsObserver.answer(fqdn)` → the addresses a resolver answers now. Default `SocketDns` (getaddrinfo). The drill
  records the pre-fault answer and treats an answer disjoint from it as "DNS answers the secondary".
* `Prober.probe(url)` → HTTP status, or None when the connection failed. Default `HttpProber` (urllib).
* `CanaryReader.newest()` → the newest canary row visible on the promoted database (ops.canary).
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any, Protocol

from ops.aws import ClientFactory

HEALTHY = "Healthy"
UNHEALTHY = "Unhealthy"


class HealthObserver(Protocol):
    def status(self, health_check_id: str) -> str: ...


class DnsObserver(Protocol):
    def answer(self, fqdn: str) -> tuple[str, ...]: ...


class Prober(Protocol):
    def probe(self, url: str) -> int | None: ...


class Route53Health:
    """Effective health-check status from Route53's own checkers, inversion applied."""

    def __init__(self, factory: ClientFactory) -> None:
        self.route53 = factory.client("route53", "us-east-1")  # Route53 is global; its API lives in us-east-1

    def status(self, health_check_id: str) -> str:
        observations = self.route53.get_health_check_status(HealthCheckId=health_check_id)["HealthCheckObservations"]
        reports = [o.get("StatusReport", {}).get("Status", "") for o in observations]
        raw_healthy = bool(reports) and sum(r.startswith("Success") for r in reports) * 2 > len(reports)
        inverted = bool(
            self.route53.get_health_check(HealthCheckId=health_check_id)["HealthCheck"]["HealthCheckConfig"].get(
                "Inverted", False
            )
        )
        return HEALTHY if raw_healthy != inverted else UNHEALTHY


class SocketDns:
    """The system resolver's current answer (sorted, deduplicated addresses)."""

    def answer(self, fqdn: str) -> tuple[str, ...]:
        try:
            infos = socket.getaddrinfo(fqdn, 443, proto=socket.IPPROTO_TCP)
        except socket.gaierror:
            return ()
        return tuple(sorted({str(info[4][0]) for info in infos}))


class HttpProber:
    """GET the URL; the status code, or None when no HTTP response came back within the timeout."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout

    def probe(self, url: str) -> int | None:
        request = urllib.request.Request(url, headers={"User-Agent": "summit-ops-drill/1"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return int(response.status)
        except urllib.error.HTTPError as err:
            return int(err.code)
        except (urllib.error.URLError, OSError, ValueError):
            return None


def describe(value: Any) -> str:
    """Short human form of an observed value for progress lines."""
    if isinstance(value, tuple):
        return ",".join(value) or "(no answer)"
    return str(value)


def replica_lag_points(
    factory: ClientFactory, region: str, identifier: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """CloudWatch `AWS/RDS ReplicaLag` Maximum per minute of one replica (a 1-minute metric), oldest first."""
    points = factory.client("cloudwatch", region).get_metric_statistics(
        Namespace="AWS/RDS",
        MetricName="ReplicaLag",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": identifier}],
        StartTime=start,
        EndTime=end,
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    return sorted(points, key=lambda d: d["Timestamp"])
