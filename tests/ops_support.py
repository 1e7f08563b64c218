"""Shared scaffolding for the ops tests: a moto server on loopback, a stage-like AWS world in it, scripted observers.

moto simulates the AWS APIs, not the outside world: health-check status, DNS answers, HTTP probes and replication
are scripted here against a FakeClock, so a 20-minute drill timeline runs in milliseconds.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ops.aws import ClientFactory
from ops.canary import CanaryRow
from ops.clock import FakeClock
from ops.drill import World
from ops.observers import HEALTHY, UNHEALTHY
from ops.outputs import StackOutputs, parse

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "outputs.stage.json"
ACCOUNT = "123456789012"  # moto's default account
# The moto world stands in for the stage account: stack -> (awsAccountId, tier), as ops.identity reads the stack files
MOTO_ACCOUNTS = {"dev": ("210987654321", "dev"), "stage": (ACCOUNT, "stage"), "prod": ("432109876543", "prod")}
PRIMARY, DR = "us-east-1", "us-west-2"


def throttle(operation: str = "GetHealthCheckStatus") -> ClientError:
    return ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, operation)


@dataclass
class MotoStack:
    """A stage-like stack created in moto; `outputs()` is what `pulumi stack output --json` would print."""

    endpoint: str
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    account: str = ACCOUNT  # the moto account the stack is built in (MOTO_ACCOUNT_ID, when a test sets it)
    data: dict[str, Any] = field(default_factory=dict)

    def factory(self, **kw: Any) -> ClientFactory:
        return ClientFactory(endpoint_url=self.endpoint, **kw)

    def build(
        self, *, lag: float = 4.0, rtc: bool = True, failed_replication: float = 0.0, replicate_backups: bool = True
    ) -> MotoStack:
        f = self.factory()
        s = self.suffix
        primary, replica = create_replicated_pair(f.client("rds", PRIMARY), f.client("rds", DR), f"db-{s}")
        if replicate_backups:
            simulate_backup_replication(f"db-{s}", self.account)
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
            "dbBackupRetentionDays": 14,  # stage keeps 14 days (Pulumi.stage.yaml); moto's primary was made with 7
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

    def fis_template(self, name: str = "primary-db-reboot") -> str:
        """An FIS experiment template in moto rebooting the primary (what components/chaos.py creates)."""
        return str(
            self.factory()
            .client("fis", PRIMARY)
            .create_experiment_template(
                clientToken=f"{self.suffix}-{name}",
                description=f"drill {name}",
                roleArn=f"arn:aws:iam::{self.account}:role/drill-fis",
                stopConditions=[{"source": "none"}],
                targets={
                    "primary-db": {
                        "resourceType": "aws:rds:db",
                        "resourceArns": [self.data["dbPrimaryArn"]],
                        "selectionMode": "ALL",
                    }
                },
                actions={
                    "reboot": {"actionId": "aws:rds:reboot-db-instances", "targets": {"DBInstances": "primary-db"}}
                },
            )["experimentTemplate"]["id"]
        )

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


def create_replicated_pair(rds_primary: Any, rds_dr: Any, identifier: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A PostgreSQL primary `identifier` in moto and its cross-region read replica `<identifier>-dr`."""
    primary = rds_primary.create_db_instance(
        DBInstanceIdentifier=identifier,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="summit",
        MasterUserPassword=secrets.token_urlsafe(16),  # moto requires one; never used
        AllocatedStorage=20,
        BackupRetentionPeriod=7,
    )["DBInstance"]
    replica = rds_dr.create_db_instance_read_replica(
        DBInstanceIdentifier=f"{identifier}-dr",
        SourceDBInstanceIdentifier=primary["DBInstanceArn"],
        DBInstanceClass="db.t3.micro",
    )["DBInstance"]
    return primary, replica


def simulate_backup_replication(primary_id: str, account: str = ACCOUNT) -> None:
    """AWS lists replicated automated backups in the DR region; moto cannot replicate, so place one there."""
    from moto.rds.models import DBSnapshot, rds_backends

    source = rds_backends[account][PRIMARY].databases[primary_id]
    dr = rds_backends[account][DR]
    snapshot = DBSnapshot(dr, source, f"rds:{primary_id}-replicated", "automated")
    dr.database_snapshots[snapshot.db_snapshot_identifier] = snapshot


def leave_failed_back(stack: MotoStack) -> None:
    """The state a drill + `ops failback --execute` leave: DR promoted, a -failback replica, parameters re-pointed."""
    f, d = stack.factory(), stack.data
    f.client("rds", DR).promote_read_replica(DBInstanceIdentifier=d["dbReplicaIdentifier"], BackupRetentionPeriod=14)
    f.client("rds", PRIMARY).create_db_instance_read_replica(
        DBInstanceIdentifier=f"{d['dbPrimaryIdentifier']}-failback",
        SourceDBInstanceIdentifier=d["dbReplicaArn"],
        DBInstanceClass="db.t3.micro",
    )
    for region in (PRIMARY, DR):
        f.client("ssm", region).put_parameter(
            Name=d["dbEndpointParameterName"], Value=d["dbReplicaEndpoint"], Type="String", Overwrite=True
        )


def set_failback_lag(stack: MotoStack, lag: float, ago: float = 30) -> None:
    """`<primary>-failback` reports ReplicaLag `lag`, `ago` seconds ago (moto has no replication to measure)."""
    stack.factory().client("cloudwatch", PRIMARY).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "ReplicaLag",
                "Dimensions": [
                    {"Name": "DBInstanceIdentifier", "Value": f"{stack.data['dbPrimaryIdentifier']}-failback"}
                ],
                "Value": lag,
                "Timestamp": datetime.now(UTC) - timedelta(seconds=ago),
                "Unit": "Seconds",
            }
        ],
    )


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
        self.fenced_at: datetime | None = None  # when the drill stopped the old primary (StopDBInstance returned)
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
    """A canary writer/reader on the fake clock: a row every `interval` s through the primary endpoint.

    The old primary acknowledges writes until it goes down — `down_after` seconds after the fault (a real fault),
    or, when None (the health-check lever alone), until the drill fences it. The replica holds the rows written up
    to `lag` s before the fault: what the promoted writer has. `newest`/`rows` read the promoted side;
    `old_side()` reads the old primary's."""

    def __init__(
        self,
        clock: FakeClock,
        timeline: Timeline,
        *,
        interval: float = 1.0,
        lag: float = 2.5,
        down_after: float | None = None,
    ) -> None:
        self.clock, self.timeline, self.interval, self.lag = clock, timeline, interval, lag
        self.down_after = down_after
        self.written: list[CanaryRow] = []
        self.errors: list[tuple[datetime, str]] = []
        self.running = False
        self._next_at: datetime | None = None
        clock.on_sleep.append(self._tick)

    def start(self) -> None:
        self.running = True
        self._next_at = self._next_at or self.clock.now()
        self._tick(self.clock.now())

    def stop(self) -> None:
        self.running = False

    def _accepts(self, at: datetime) -> bool:
        fault, fenced = self.timeline.fault_at, self.timeline.fenced_at
        if fenced is not None and at >= fenced:
            return False
        return not (
            fault is not None and self.down_after is not None and at >= fault + timedelta(seconds=self.down_after)
        )

    def _tick(self, now: datetime) -> None:
        if not self.running or self._next_at is None:
            return
        while self._next_at <= now:
            at = self._next_at
            if self._accepts(at):
                self.written.append(CanaryRow(len(self.written) + 1, at))
            else:
                self.errors.append((at, "connection to the primary refused"))
            self._next_at = at + timedelta(seconds=self.interval)

    def rows(self) -> list[CanaryRow]:
        fault = self.timeline.fault_at
        cutoff = (fault or self.clock.now()) - timedelta(seconds=self.lag)
        return [row for row in self.written if row.written_at <= cutoff]

    def newest(self) -> CanaryRow | None:
        visible = self.rows()
        return visible[-1] if visible else None

    def old_side(self) -> OldPrimarySide:
        return OldPrimarySide(self)


class OldPrimarySide:
    """The old primary's canary table: every row it acknowledged (unreadable once it is down)."""

    def __init__(self, canary: FakeCanary) -> None:
        self.canary = canary

    def rows(self) -> list[CanaryRow]:
        if not self.canary._accepts(self.canary.clock.now()):
            raise ConnectionRefusedError("old primary is down")
        return list(self.canary.written)

    def newest(self) -> CanaryRow | None:
        rows = self.rows()
        return rows[-1] if rows else None


def drill_world(clock: FakeClock, timeline: Timeline, canary: FakeCanary | None = None) -> World:
    """The outside world of a drill: health, DNS and probes follow `timeline`, the canary (when given) writes and reads
    on both sides, and Velero holds a backup 20 minutes old (within the RPO)."""
    return World(
        health=timeline,
        dns=timeline,
        prober=timeline,
        canary_writer=canary,
        canary_reader=canary,
        old_primary_reader=canary.old_side() if canary is not None else None,
        velero=StaticVelero(velero_objects(clock.now(), backup_age=timedelta(minutes=20))),
    )


def arm_on_fault(factory: ClientFactory, timeline: Timeline) -> ClientFactory:
    """Start the scripted timeline when the drill's UpdateHealthCheck(Inverted=True) call completes."""

    def armed(params: dict[str, Any] | None = None, **_: Any) -> None:
        timeline.arm()

    def fenced(params: dict[str, Any] | None = None, **_: Any) -> None:
        timeline.fenced_at = timeline.clock.now()

    factory.client("route53", PRIMARY).meta.events.register("after-call.route53.UpdateHealthCheck", armed)
    factory.client("rds", PRIMARY).meta.events.register("after-call.rds.StopDBInstance", fenced)
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


# --- failure scaffolding: environments, endpoints and directories that do not work -------------------------------

AWS_ENV_PREFIXES = ("AWS_",)


@pytest.fixture
def bare_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS credentials anywhere botocore looks, and nothing that could reach the network for them.

    Every AWS_* variable is removed; the config and credentials files are empty files; the instance-metadata
    provider is off (it would call 169.254.169.254). The shared boto3 session (which caches credentials) is
    replaced by a fresh one for the test."""
    import ops.aws

    for key in list(os.environ):
        if key.startswith(AWS_ENV_PREFIXES):
            monkeypatch.delenv(key)
    for name in ("config", "credentials"):
        (tmp_path / f"aws-{name}").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(ops.aws, "_SESSION", None)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def unanswered_port() -> Iterator[int]:
    """A loopback port that accepts no connection: its listen backlog is full, so a connect() times out."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = int(server.getsockname()[1])
    fillers = []
    for _ in range(4):  # Linux queues backlog+1 connections; the rest wait in SYN_SENT
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for sock in (*fillers, server):
            sock.close()


@contextlib.contextmanager
def throttling_endpoint() -> Iterator[tuple[str, list[str]]]:
    """An HTTP endpoint on loopback that answers every AWS query-protocol call (RDS) with HTTP 400 Throttling,
    as AWS does under a request-rate limit; yields its URL and the list of requests it received."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[str] = []
    body = (
        b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
        b"</Error><RequestId>throttled</RequestId></ErrorResponse>"
    )

    class Throttle(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server calls do_<METHOD>
            length = int(self.headers.get("Content-Length", 0))
            received.append(self.rfile.read(length).decode())
            self.send_response(400)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Throttle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def moto_auth(endpoint: str) -> Iterator[None]:
    """moto checks every request's credentials and IAM policies (its `reset-auth` API) until the block ends."""

    def reset(value: str) -> None:
        request = urllib.request.Request(
            f"{endpoint}/moto-api/reset-auth",
            data=value.encode(),
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    reset("0")
    try:
        yield
    finally:
        reset("inf")


@contextlib.contextmanager
def unwritable_dir(path: Path) -> Iterator[str]:
    """Make `path` (a directory) unwritable for this process and yield the strerror creating in it gives.

    Not root: mode 0555. Root ignores modes, so the directory is made immutable (chattr +i, which needs
    CAP_LINUX_IMMUTABLE). Either way the test then sees the operating system's own refusal."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    else:
        path.chmod(0o555)
    try:
        try:
            (path / "probe").mkdir()
        except OSError as err:
            yield os.strerror(err.errno or errno.EACCES)
        else:
            raise AssertionError(f"{path} is still writable")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(0o755)


def processes_mentioning(text: str) -> list[str]:
    """Command lines of running processes (zombies excluded) that contain `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(cmdline)
    return found


def ops_process(argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`python -m ops ARGV` in the repository, stdout and stderr piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "ops", *argv],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
