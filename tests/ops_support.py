"""Shared scaffolding for the ops tests: a moto server on loopback, a stage-like AWS world in it, scripted observers.

moto simulates the AWS APIs, not the outside world: health-check status, DNS answers, HTTP probes and replication
are scripted here against a FakeClock, so a 20-minute drill timeline runs in milliseconds.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ops.aws import ClientFactory
from ops.canary import CanaryRow
from ops.clock import FakeClock
from ops.observers import HEALTHY, UNHEALTHY
from ops.outputs import StackOutputs, parse

FIXTURE = Path(__file__).parent / "fixtures" / "outputs.stage.json"
ACCOUNT = "123456789012"  # moto's default account
PRIMARY, DR = "us-east-1", "us-west-2"


def throttle(operation: str = "GetHealthCheckStatus") -> ClientError:
    return ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, operation)


@dataclass
class MotoStack:
    """A stage-like stack created in moto; `outputs()` is what `pulumi stack output --json` would print."""

    endpoint: str
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    data: dict[str, Any] = field(default_factory=dict)

    def factory(self, **kw: Any) -> ClientFactory:
        return ClientFactory(endpoint_url=self.endpoint, **kw)

    def build(
        self, *, lag: float = 4.0, rtc: bool = True, failed_replication: float = 0.0, replicate_backups: bool = True
    ) -> MotoStack:
        f = self.factory()
        s = self.suffix
        rds1, rds2 = f.client("rds", PRIMARY), f.client("rds", DR)
        primary = rds1.create_db_instance(
            DBInstanceIdentifier=f"db-{s}",
            Engine="postgres",
            DBInstanceClass="db.t3.micro",
            MasterUsername="summit",
            MasterUserPassword=secrets.token_urlsafe(16),  # moto requires one; never used
            AllocatedStorage=20,
            BackupRetentionPeriod=7,
        )["DBInstance"]
        replica = rds2.create_db_instance_read_replica(
            DBInstanceIdentifier=f"db-{s}-dr",
            SourceDBInstanceIdentifier=primary["DBInstanceArn"],
            DBInstanceClass="db.t3.micro",
        )["DBInstance"]
        if replicate_backups:
            simulate_backup_replication(f"db-{s}")
        now = datetime.now(UTC)
        cw1, cw2 = f.client("cloudwatch", PRIMARY), f.client("cloudwatch", DR)
        cw2.put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": "ReplicaLag",
                    "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": f"db-{s}-dr"}],
                    "Value": value,
                    "Timestamp": now - timedelta(minutes=i + 1),
                    "Unit": "Seconds",
                }
                for i, value in enumerate([lag, lag / 2, 1.0])
            ],
        )
        cw2.put_metric_alarm(
            AlarmName=f"db-{s}-dr-replica-lag",
            Namespace="AWS/RDS",
            MetricName="ReplicaLag",
            Statistic="Maximum",
            Period=60,
            EvaluationPeriods=3,
            Threshold=120,
            ComparisonOperator="GreaterThanThreshold",
            Dimensions=[{"Name": "DBInstanceIdentifier", "Value": f"db-{s}-dr"}],
        )
        param = f"/summit/{s}/db/writer-endpoint"
        p_ep, r_ep = (f"{db['Endpoint']['Address']}:{db['Endpoint']['Port']}" for db in (primary, replica))
        for region in (PRIMARY, DR):
            f.client("ssm", region).put_parameter(Name=param, Value=p_ep, Type="String")
        s3a, s3b = f.client("s3", PRIMARY), f.client("s3", DR)
        src, dst = f"backups-{s}-use1", f"backups-{s}-usw2"
        s3a.create_bucket(Bucket=src)
        s3b.create_bucket(Bucket=dst, CreateBucketConfiguration={"LocationConstraint": DR})
        for client, bucket in ((s3a, src), (s3b, dst)):
            client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        destination: dict[str, Any] = {"Bucket": f"arn:aws:s3:::{dst}"}
        if rtc:
            destination |= {
                "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
                "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
            }
        s3a.put_bucket_replication(
            Bucket=src,
            ReplicationConfiguration={
                "Role": f"arn:aws:iam::{ACCOUNT}:role/replication",
                "Rules": [
                    {
                        "ID": "all",
                        "Priority": 1,
                        "Status": "Enabled",
                        "Filter": {},
                        "DeleteMarkerReplication": {"Status": "Enabled"},
                        "Destination": destination,
                    }
                ],
            },
        )
        cw1.put_metric_data(
            Namespace="AWS/S3",
            MetricData=[
                {
                    "MetricName": "OperationsFailedReplication",
                    "Value": failed_replication,
                    "Timestamp": now - timedelta(minutes=1),
                    "Dimensions": [
                        {"Name": "SourceBucket", "Value": src},
                        {"Name": "DestinationBucket", "Value": dst},
                        {"Name": "RuleId", "Value": "all"},
                    ],
                }
            ],
        )
        route53 = f.client("route53", PRIMARY)
        checks = [
            route53.create_health_check(
                CallerReference=f"{s}-{role}",
                HealthCheckConfig={
                    "Type": "HTTPS",
                    "FullyQualifiedDomainName": f"{role}.gateway.{s}.example.com",
                    "Port": 443,
                    "ResourcePath": "/health",
                    "RequestInterval": 10,
                    "FailureThreshold": 3,
                },
            )["HealthCheck"]["Id"]
            for role in ("primary", "secondary")
        ]
        secret_arn = f.client("secretsmanager", PRIMARY).create_secret(
            Name=f"rds!db-{s}", SecretString=json.dumps({"username": "summit", "password": secrets.token_urlsafe(16)})
        )["ARN"]
        self.data = {
            "environment": "stage",
            "primaryRegion": PRIMARY,
            "drRegion": DR,
            "dbPrimaryIdentifier": f"db-{s}",
            "dbPrimaryArn": primary["DBInstanceArn"],
            "dbPrimaryEndpoint": p_ep,
            "dbPrimaryRegion": PRIMARY,
            "dbReplicaIdentifier": f"db-{s}-dr",
            "dbReplicaArn": replica["DBInstanceArn"],
            "dbReplicaEndpoint": r_ep,
            "dbReplicaRegion": DR,
            "dbSecretArn": secret_arn,
            "dbEndpointParameterName": param,
            "dbReplicaLagAlarmName": f"db-{s}-dr-replica-lag",
            "buckets": {
                "backups": {
                    "primaryBucket": src,
                    "primaryArn": f"arn:aws:s3:::{src}",
                    "primaryRegion": PRIMARY,
                    "replicaBucket": dst,
                    "replicaArn": f"arn:aws:s3:::{dst}",
                    "replicaRegion": DR,
                }
            },
            "gatewayUrl": f"https://gateway.{s}.example.com",
            "failover": {
                "gateway": {
                    "fqdn": f"gateway.{s}.example.com",
                    "primaryHealthCheckId": checks[0],
                    "secondaryHealthCheckId": checks[1],
                }
            },
            "veleroNamespace": "velero",
            "veleroScheduleName": "hourly",
            "veleroBucket": src,
        }
        return self

    def outputs(self, **overrides: Any) -> StackOutputs:
        return parse({**self.data, **overrides}, "outputs.json")

    def write(self, path: Path, **overrides: Any) -> Path:
        path.write_text(json.dumps({**self.data, **overrides}))
        return path

    # state in moto
    def replica(self) -> dict[str, Any]:
        return (
            self.factory()
            .client("rds", DR)
            .describe_db_instances(DBInstanceIdentifier=self.data["dbReplicaIdentifier"])["DBInstances"][0]
        )

    def health_check(self) -> dict[str, Any]:
        return (
            self.factory()
            .client("route53", PRIMARY)
            .get_health_check(HealthCheckId=self.data["failover"]["gateway"]["primaryHealthCheckId"])["HealthCheck"][
                "HealthCheckConfig"
            ]
        )

    def parameter(self, region: str = DR) -> str:
        return str(
            self.factory()
            .client("ssm", region)
            .get_parameter(Name=self.data["dbEndpointParameterName"])["Parameter"]["Value"]
        )


def simulate_backup_replication(primary_id: str) -> None:
    """AWS lists replicated automated backups in the DR region; moto cannot replicate, so place one there."""
    from moto.rds.models import DBSnapshot, rds_backends

    source = rds_backends[ACCOUNT][PRIMARY].databases[primary_id]
    dr = rds_backends[ACCOUNT][DR]
    snapshot = DBSnapshot(dr, source, f"rds:{primary_id}-replicated", "automated")
    dr.database_snapshots[snapshot.db_snapshot_identifier] = snapshot


def fix_moto_promotion() -> None:
    """moto 5.2.5 keeps ReadReplicaSourceDBInstanceIdentifier after promote_read_replica; AWS clears it."""
    from moto.rds.models import RDSBackend

    original = RDSBackend.promote_read_replica
    if getattr(original, "_ops_fixed", False):
        return

    def promote(self: Any, db_kwargs: dict[str, Any]) -> Any:
        database = original(self, db_kwargs)
        database.source_db_instance_identifier = None
        return database

    promote._ops_fixed = True  # type: ignore[attr-defined]
    RDSBackend.promote_read_replica = promote  # type: ignore[method-assign]


def velero_objects(now: datetime, *, backup_age: timedelta, schedule: str = "0 * * * *") -> list[dict[str, Any]]:
    def backup(name: str, age: timedelta, phase: str) -> dict[str, Any]:
        at = (now - age).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "kind": "Backup",
            "metadata": {"name": name, "labels": {"velero.io/schedule-name": "hourly"}},
            "status": {"phase": phase, "startTimestamp": at, "completionTimestamp": at},
        }

    return [
        {"kind": "Schedule", "metadata": {"name": "hourly"}, "spec": {"schedule": schedule}},
        backup("hourly-new-failed", timedelta(minutes=1), "Failed"),
        backup("hourly-ok", backup_age, "Completed"),
        backup("hourly-older", backup_age + timedelta(hours=1), "Completed"),
    ]


class StaticVelero:
    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self._objects = objects

    def objects(self) -> list[dict[str, Any]]:
        return self._objects


# --- scripted outside world -------------------------------------------------------------------------------------


class Timeline:
    """Scripted world keyed to the moment the fault is injected (the first poll after it)."""

    def __init__(
        self,
        clock: FakeClock,
        *,
        unhealthy_after: float | None = 30,
        dns_after: float | None = 90,
        good_after: float | None = 400,
        throttle_health_once: bool = False,
    ) -> None:
        self.clock = clock
        self.unhealthy_after, self.dns_after, self.good_after = unhealthy_after, dns_after, good_after
        self.throttle_health_once = throttle_health_once
        self.fault_at: datetime | None = None
        self.crash_on_dns: BaseException | None = None
        self.health_polls = 0

    def _since(self) -> float:
        return 0.0 if self.fault_at is None else (self.clock.now() - self.fault_at).total_seconds()

    def arm(self) -> None:
        if self.fault_at is None:
            self.fault_at = self.clock.now()

    # HealthObserver
    def status(self, health_check_id: str) -> str:
        self.health_polls += 1
        if self.fault_at is None:  # verify (before the fault) sees a healthy check
            return HEALTHY
        if self.throttle_health_once:
            self.throttle_health_once = False
            raise throttle()
        return UNHEALTHY if self.unhealthy_after is not None and self._since() >= self.unhealthy_after else HEALTHY

    # DnsObserver
    def answer(self, fqdn: str) -> tuple[str, ...]:
        if self.crash_on_dns is not None and self.fault_at is not None:
            crash, self.crash_on_dns = self.crash_on_dns, None
            raise crash
        if self.fault_at is not None and self.dns_after is not None and self._since() >= self.dns_after:
            return ("198.51.100.20", "198.51.100.21")
        return ("192.0.2.10", "192.0.2.11")

    # Prober
    def probe(self, url: str) -> int | None:
        if self.fault_at is None:
            return 200
        if self.good_after is not None and self._since() >= self.good_after:
            return 200
        return 503 if self._since() > 20 else 200


class FakeCanary:
    """A canary writer/reader on the fake clock: a row every `interval` s; the promoted DB holds rows up to `lag`."""

    def __init__(self, clock: FakeClock, timeline: Timeline, *, interval: float = 1.0, lag: float = 2.5) -> None:
        self.clock, self.timeline, self.interval, self.lag = clock, timeline, interval, lag
        self.written: list[CanaryRow] = []
        self.running = False
        clock.on_sleep.append(self._tick)

    def start(self) -> None:
        self.running = True
        self._tick(self.clock.now())

    def stop(self) -> None:
        self.running = False

    def _tick(self, now: datetime) -> None:
        if not self.running:
            return
        last = self.written[-1].written_at if self.written else now - timedelta(seconds=self.interval)
        while last + timedelta(seconds=self.interval) <= now:
            last += timedelta(seconds=self.interval)
            self.written.append(CanaryRow(len(self.written) + 1, last))

    def newest(self) -> CanaryRow | None:
        fault = self.timeline.fault_at
        assert fault is not None
        cutoff = fault - timedelta(seconds=self.lag)
        visible = [row for row in self.written if row.written_at <= cutoff]
        return visible[-1] if visible else None


def arm_on_fault(factory: ClientFactory, timeline: Timeline) -> ClientFactory:
    """Start the scripted timeline when the drill's UpdateHealthCheck(Inverted=True) call completes."""

    def armed(params: dict[str, Any] | None = None, **_: Any) -> None:
        timeline.arm()

    factory.client("route53", PRIMARY).meta.events.register("after-call.route53.UpdateHealthCheck", armed)
    return factory


# --- pytest fixtures (import them into a test module to use them) ------------------------------------------------


@pytest.fixture(scope="session")
def moto_endpoint() -> Any:
    """One moto server per test worker, on loopback with a free port; fake credentials so nothing reaches AWS."""
    from moto.server import ThreadedMotoServer

    saved = {
        k: os.environ.get(k)
        for k in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_DEFAULT_REGION",
            "AWS_PROFILE",
        )
    }
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_DEFAULT_REGION=PRIMARY,
    )
    os.environ.pop("AWS_PROFILE", None)
    fix_moto_promotion()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def stack(moto_endpoint: str) -> MotoStack:
    return MotoStack(moto_endpoint).build()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))
