"""The outside world of a drill run as a child process, for tests/test_dr_drill_workflow.py (a local harness).

Python imports `sitecustomize` at start-up from sys.path; the workflow test puts this directory first on
PYTHONPATH of the workflow's steps, so `python -m ops …` runs unchanged against moto while the things moto does not
simulate come from moto's own state (nothing here is used unless OPS_WORLD_OUTPUTS names the outputs file):

* DNS: the failover host answers the secondary's address once the primary health check is inverted;
* HTTP probe: 2xx while the primary serves; after the inversion, 2xx once the DR-region endpoint parameter points at
  the promoted replica (the application re-read its writer), else 503;
* PostgreSQL canary: an in-process table per endpoint. The primary acknowledges writes while its RDS instance is
  available (so it keeps taking writes after the DNS fault, until the drill stops it); the replica holds the rows
  written before the inversion (replication lag 0, cut at the fault).
Route53 health comes from moto itself (ops.observers.Route53Health applies the inversion).

Waits are shortened: every `SystemClock.sleep` lasts at most WORLD_MAX_SLEEP seconds (the drill's 10 s canary warm-up,
its 10 s polls). Clock readings stay real, so RTO and RPO are still measured in real seconds and every deadline is
still the tool's own; only the cadence of polling a world that answers at once is faster.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from typing import Any

OUTPUTS = os.environ.get("OPS_WORLD_OUTPUTS")
PROBE_NEVER_GOOD = os.environ.get("OPS_WORLD_PROBE_NEVER_GOOD") == "1"
WORLD_MAX_SLEEP = 0.5


def _install() -> None:
    import boto3
    import psycopg.conninfo

    from ops import canary, observers
    from ops.canary import CanaryRow

    with open(OUTPUTS or "") as f:
        o = json.load(f)
    endpoint = os.environ["OPS_AWS_ENDPOINT_URL"]
    hc = o["failover"]["gateway"]["primaryHealthCheckId"]
    lock = threading.Lock()
    state: dict[str, Any] = {"rows": [], "faultAt": None}

    def client(service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint)

    def inverted() -> bool:
        config = client("route53", "us-east-1").get_health_check(HealthCheckId=hc)["HealthCheck"]["HealthCheckConfig"]
        return bool(config.get("Inverted"))

    def primary_available() -> bool:
        db = client("rds", o["dbPrimaryRegion"]).describe_db_instances(DBInstanceIdentifier=o["dbPrimaryIdentifier"])
        return str(db["DBInstances"][0]["DBInstanceStatus"]) == "available"

    def host(conninfo: str) -> str:
        return str(psycopg.conninfo.conninfo_to_dict(conninfo)["host"])

    def note_fault() -> None:
        if state["faultAt"] is None and inverted():
            state["faultAt"] = datetime.now(UTC)

    class Dns:
        def answer(self, fqdn: str) -> tuple[str, ...]:
            return ("198.51.100.20",) if inverted() else ("192.0.2.10",)

    class Prober:
        def __init__(self, timeout: float = 5.0) -> None:
            pass

        def probe(self, url: str) -> int | None:
            if not inverted():
                return 200
            if PROBE_NEVER_GOOD:
                return 503
            value = client("ssm", o["dbReplicaRegion"]).get_parameter(Name=o["dbEndpointParameterName"])
            return 200 if value["Parameter"]["Value"] == o["dbReplicaEndpoint"] else 503

    class Writer:
        def __init__(self, conninfo: str, interval: float = 1.0, clock: Any = None, connect_timeout: int = 2) -> None:
            self.interval = interval
            self.written: list[CanaryRow] = []
            self.errors: list[tuple[datetime, str]] = []
            self._stop = threading.Event()
            self._thread: threading.Thread | None = None

        def start(self) -> None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

        def stop(self) -> None:
            self._stop.set()
            if self._thread is not None:
                self._thread.join(timeout=10)

        def _run(self) -> None:
            while not self._stop.is_set():
                note_fault()
                at = datetime.now(UTC)
                if primary_available():
                    with lock:
                        row = CanaryRow(len(state["rows"]) + 1, at)
                        state["rows"].append(row)
                    self.written.append(row)
                else:
                    self.errors.append((at, "connection to the primary refused (instance stopped)"))
                self._stop.wait(self.interval)

    class Reader:
        def __init__(self, conninfo: str, connect_timeout: int = 5) -> None:
            self.host = host(conninfo)

        def rows(self) -> list[CanaryRow]:
            note_fault()
            with lock:
                rows = list(state["rows"])
            if self.host == o["dbPrimaryEndpoint"].split(":")[0]:
                if not primary_available():
                    raise ConnectionRefusedError("old primary stopped")
                return rows
            cut = state["faultAt"]
            return [r for r in rows if cut is None or r.written_at < cut]

        def newest(self) -> CanaryRow | None:
            rows = self.rows()
            return rows[-1] if rows else None

    observers.SocketDns = Dns  # type: ignore[misc]
    observers.HttpProber = Prober  # type: ignore[misc]
    canary.PgCanaryWriter = Writer  # type: ignore[misc]
    canary.PgCanaryReader = Reader  # type: ignore[misc]
    import time

    from ops.clock import SystemClock

    SystemClock.sleep = lambda self, seconds: time.sleep(min(max(0.0, seconds), WORLD_MAX_SLEEP))  # type: ignore[method-assign]

    import ops.cli

    ops.cli.SocketDns = Dns  # type: ignore[misc]  # imported by name there
    ops.cli.HttpProber = Prober  # type: ignore[misc]


if OUTPUTS:
    _install()
