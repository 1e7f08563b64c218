"""The replication lab: a real PostgreSQL primary + streaming replica on loopback, failed over for real.

`python -m ops lab` initdb's a primary under a temp dir, clones a streaming replica with `pg_basebackup -R`,
writes canary rows at a fixed interval, kills the primary (`pg_ctl stop -m immediate`), promotes the replica
(`SELECT pg_promote()`), and measures promotion time and RPO with the same measurement and evidence code as the
AWS drill (ops.evidence, ops.canary, ops.runner), writing the same bundle. As root, the postgres binaries run as
the `postgres` user (runuser).

`--fault partition` is the split brain: instead of killing the primary, replication is cut (the replica's
`primary_conninfo` emptied and reloaded, so its WAL receiver stops) while the primary keeps running and the canary
keeps writing to it; the replica is promoted, the old primary keeps acknowledging writes for `--split-seconds`, then
it is fenced (its rows read, then stopped). Every row it acknowledged after the partition is missing on the promoted
writer: lost writes, counted in RPO exactly as the AWS drill counts them (ops.evidence.rpo_from_both_sides).

Everything it starts is stopped and its temp dir removed on every way out — success, a failed step, an unusable
--evidence-dir (checked before anything is started), SIGINT and SIGTERM (`ops.errors.interruptible` turns them
into an exception so the cleanup below runs): each resource is registered for cleanup the moment it exists,
servers are found by their data directory's `postmaster.pid` (not by what the lab believes it started), and the
PostgreSQL binaries run in their own process group, killed whole if the lab is stopped while one runs.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.recovery import RPO_SECONDS, RTO_SECONDS
from ops.canary import CanaryRow, PgCanaryReader, PgCanaryWriter
from ops.clock import Clock, SystemClock, iso, parse_iso
from ops.errors import EnvironmentProblem, deferred
from ops.evidence import Evidence, bundle_dir, judge, rpo_from_both_sides, seconds_between
from ops.runner import Progress, Runner

PG_ROOT = Path("/usr/lib/postgresql")
FAULTS = ("kill", "partition")


def find_pg_bin(env: Mapping[str, str] = os.environ, root: Path = PG_ROOT) -> Path | None:
    """OPS_PG_BIN, else the newest Debian PostgreSQL server under /usr/lib/postgresql/<major>/bin."""
    if env.get("OPS_PG_BIN"):
        return Path(env["OPS_PG_BIN"])
    found = [p.parent for p in root.glob("*/bin/initdb") if p.parent.parent.name.isdigit()]
    return max(found, key=lambda p: int(p.parent.name)) if found else None


PG_BIN = find_pg_bin() or PG_ROOT / "15" / "bin"


class LabError(EnvironmentProblem):
    """PostgreSQL is missing, or one of its binaries failed (exit 3); `str()` is one line."""


@dataclass(frozen=True)
class LabOptions:
    canary_interval: float = 0.1  # 10 rows/s: RPO resolution of 100 ms
    write_seconds: float = 3.0  # how long the canary runs before the fault
    promote_timeout: float = 60.0
    rto_seconds: float = RTO_SECONDS
    rpo_seconds: float = RPO_SECONDS
    fault: str = "kill"  # kill: the primary dies; partition: replication is cut and the primary keeps running
    split_seconds: float = 1.0  # partition: how long the old primary keeps taking writes after the promotion


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """One postgres data directory run as the postgres user when we are root."""

    def __init__(self, root: Path, name: str, port: int, as_user: str | None) -> None:
        self.root, self.name, self.port, self.as_user = root, name, port, as_user
        self.data = root / name
        self.log = root / f"{name}.log"
        self.running = False

    @property
    def conninfo(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres connect_timeout=2"

    def cmd(self, binary: str, *args: str, timeout: float = 120) -> str:
        argv = [str(PG_BIN / binary), *args]
        if self.as_user:
            argv = ["runuser", "-u", self.as_user, "--", *argv]
        returncode, stdout, stderr = _run(argv, timeout, binary)
        if returncode != 0:
            tail = (stderr.strip() or stdout.strip()).splitlines()[-1:] or ["failed"]
            raise LabError(f"{binary} {' '.join(args[:2])}: {tail[0]}")
        return stdout

    def configure(self, extra: dict[str, str]) -> None:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            **extra,
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# ops lab\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))

    def start(self) -> None:
        # pg_ctl detaches the server into its own session: cut short by a signal, it could leave a server running
        # that the lab does not know of, so a signal waits until the start finished (at most -t 60 s).
        with deferred():
            self.running = True
            self.cmd("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        if self.running:
            with deferred():
                self.running = False
                self.cmd("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def postmaster_pid(self) -> int | None:
        """The pid in the data directory's postmaster.pid if that process is alive and is the server of this data
        directory (a stale file's pid may belong to another process by now), else None."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None
        return pid if str(self.data).encode() in cmdline and _alive(pid) else None

    def halt(self) -> int | None:
        """Stop whatever server runs on this data directory, started by us or not; the pid still alive, or None."""
        self.running = False
        pid = self.postmaster_pid()
        if pid is None:
            return None
        with contextlib.suppress(LabError):
            self.cmd("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop", timeout=40)
        # pg_ctl could not (or timed out): SIGQUIT is PostgreSQL's immediate shutdown, SIGKILL the last resort
        for sig, wait in ((signal.SIGQUIT, 10.0), (signal.SIGKILL, 5.0)):
            if not _alive(pid):
                return None
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        return pid if _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not yet reaped by its parent) counts as gone
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def _run(argv: Sequence[str], timeout: float, label: str) -> tuple[int, str, str]:
    """Run a PostgreSQL binary in its own process group; stopped for any reason (a signal, a timeout), the
    group is killed whole, so neither runuser nor the binary it runs outlives the lab."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except BaseException as err:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        if isinstance(err, subprocess.TimeoutExpired):
            raise LabError(f"{label}: no result within {timeout:g} s") from None
        raise
    return proc.returncode, stdout, stderr


def _query(conninfo: str, sql: str) -> Any:
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn:
        cursor = conn.execute(sql)
        row = cursor.fetchone() if cursor.description else None  # ALTER SYSTEM returns no rows
    return row[0] if row else None


def run_lab(
    evidence_root: Path,
    options: LabOptions | None = None,
    *,
    clock: Clock | None = None,
    progress: Progress | None = None,
) -> tuple[bool, Evidence]:
    opts = options or LabOptions()
    clock = clock or SystemClock()
    if not (PG_BIN / "initdb").exists():
        raise LabError(
            f"PostgreSQL server binaries not found under {PG_BIN} — apt-get install postgresql, or set OPS_PG_BIN "
            "to their directory"
        )
    as_user = "postgres" if os.geteuid() == 0 else None
    say: Progress = progress or (lambda _message: None)
    ports = free_port(), free_port()
    started = clock.now()
    # The bundle first: an unusable --evidence-dir stops the lab here, before anything exists that needs cleaning up.
    evidence = Evidence.create(
        bundle_dir(evidence_root, "lab", started),
        kind="lab",
        stack="lab",
        started_at=started,
        objectives={"rtoSeconds": opts.rto_seconds, "rpoSeconds": opts.rpo_seconds},
        context={
            "postgres": str(PG_BIN),
            "workDir": None,  # the temp dir, set below; removed when the lab ends, whichever way it ends
            "primaryPort": ports[0],
            "replicaPort": ports[1],
            "canaryIntervalSeconds": opts.canary_interval,
            "writeSeconds": opts.write_seconds,
            "fault": opts.fault,
            "splitSeconds": opts.split_seconds if opts.fault == "partition" else None,
        },
    )
    runner = Runner(evidence, clock, progress=progress, progress_every=5)
    with contextlib.ExitStack() as cleanup:  # callbacks run last-registered first: servers stop, then the dir goes
        with deferred():  # the dir and its cleanup come into being together
            root = Path(tempfile.mkdtemp(prefix="ops-lab-"))
            cleanup.callback(_remove, root, say)
        if as_user:
            user = pwd.getpwnam(as_user)
            os.chown(root, user.pw_uid, user.pw_gid)
        evidence.data["context"]["workDir"] = str(root)
        evidence.save()
        primary = Cluster(root, "primary", ports[0], as_user)
        replica = Cluster(root, "replica", ports[1], as_user)
        for cluster in (primary, replica):
            cleanup.callback(_halt, cluster, runner, say)
        writer = PgCanaryWriter(primary.conninfo, interval=opts.canary_interval, clock=clock, connect_timeout=1)
        cleanup.callback(writer.stop)
        runner.before_save = lambda: evidence.data["canary"].update(written=[r.to_json() for r in writer.written])
        runner.run("start-primary", "initdb and start the primary", lambda: _start_primary(primary))
        runner.run(
            "start-replica",
            "pg_basebackup -R and start the streaming replica",
            lambda: _start_replica(runner, primary, replica),
        )
        runner.run(
            "write-canary", f"Write canary rows every {opts.canary_interval:g} s", lambda: _write(runner, writer, opts)
        )
        if opts.fault == "partition":
            runner.run(
                "partition",
                "Cut replication; the primary keeps running and taking writes",
                lambda: _partition(runner, primary, replica),
            )
            runner.run("promote", "Promote the replica (SELECT pg_promote())", lambda: _promote(runner, replica, opts))
            runner.run(
                "split-brain",
                f"Old primary keeps taking writes for {opts.split_seconds:g} s",
                lambda: _split(runner, writer, opts),
            )
            runner.run(
                "fence-old-primary",
                "Fence the old primary (read-only), read its canary rows, stop it",
                lambda: _fence(runner, primary, writer),
            )
        else:
            runner.run(
                "kill-primary", "Kill the primary (pg_ctl stop -m immediate)", lambda: _kill(runner, primary, writer)
            )
            runner.run("promote", "Promote the replica (SELECT pg_promote())", lambda: _promote(runner, replica, opts))
        rpo = runner.run("measure-rpo", "Measure RPO from the canary rows", lambda: _measure(runner, replica, writer))
        runner.run("write-promoted", "Write to the promoted replica", lambda: _write_promoted(runner, replica))
    ev = evidence.event
    measured: dict[str, Any] = {
        "rtoSeconds": seconds_between(ev("faultAt"), ev("firstGoodWriteAt")),
        "rpoSeconds": rpo["seconds"],
        "promotionSeconds": seconds_between(ev("promoteRequestedAt"), ev("promotedAt")),
        "canaryRowsWritten": len(writer.written),
        "lostRows": rpo["lostRows"],
        "splitBrainRows": rpo["splitBrainRows"],
        "canaryRowsOnPromoted": runner.result("measure-rpo").get("rowsOnPromoted"),
        "canaryContiguous": runner.result("measure-rpo").get("contiguous"),
        "rpo": rpo,
    }
    verdict = judge(evidence.data["objectives"], measured)
    verdict["ok"] = verdict["ok"] and bool(measured["canaryContiguous"])
    evidence.finish(
        clock.now(),
        measured,
        verdict,
        [
            "Compare promotionSeconds with the RDS drill's: the lab is the database floor, RDS adds its control plane.",
            "RPO here is async streaming on loopback; cross-region lag (ReplicaLag) is what the AWS drill adds.",
        ],
    )
    return bool(verdict["ok"]), evidence


def _halt(cluster: Cluster, runner: Runner, say: Progress) -> None:
    pid = cluster.halt()
    if pid is not None:
        runner.observe(f"stopping {cluster.name} failed", {"pid": pid})
        say(f"ops lab: the {cluster.name} server (pid {pid}) survived SIGKILL: stop it by hand")


def _remove(root: Path, say: Progress) -> None:
    shutil.rmtree(root, ignore_errors=True)
    if root.exists():
        say(f"ops lab: could not remove {root}: remove it by hand")


def _start_primary(primary: Cluster) -> dict[str, Any]:
    primary.cmd("initdb", "-D", str(primary.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
    primary.configure({"wal_level": "replica", "max_wal_senders": "5", "wal_keep_size": "'64MB'"})
    primary.start()
    return {"port": primary.port, "version": _query(primary.conninfo, "SHOW server_version")}


def _start_replica(runner: Runner, primary: Cluster, replica: Cluster) -> dict[str, Any]:
    replica.cmd(
        "pg_basebackup",
        "-h",
        "127.0.0.1",
        "-p",
        str(primary.port),
        "-U",
        "postgres",
        "-D",
        str(replica.data),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
    )
    replica.configure({"hot_standby": "on"})
    replica.start()
    state, _ = runner.wait_until(
        "the replica to stream from the primary",
        lambda: _query(primary.conninfo, "SELECT coalesce(max(state), 'none') FROM pg_stat_replication"),
        lambda s: s == "streaming",
        timeout=30,
        interval=0.1,
    )
    return {"port": replica.port, "state": state}


def _write(runner: Runner, writer: PgCanaryWriter, opts: LabOptions) -> dict[str, Any]:
    writer.start()
    runner.clock.sleep(opts.write_seconds)
    runner.save()
    return {"rowsSoFar": len(writer.written)}


def _kill(runner: Runner, primary: Cluster, writer: PgCanaryWriter) -> dict[str, Any]:
    primary.stop("immediate")
    # The fault time is when the kill completed: every acknowledged row was written before it (the same convention
    # as the drill, whose fault time is when UpdateHealthCheck returned).
    fault_at = runner.clock.now()
    runner.evidence.set_event("faultAt", fault_at)
    writer.stop()  # nothing can be written any more; stop before promotion so no row lands on the new primary
    last = writer.written[-1] if writer.written else None
    return {
        "faultAt": iso(fault_at),
        "lastAcknowledged": last.to_json() if last else None,
        "writerErrors": len(writer.errors),
    }


def _partition(runner: Runner, primary: Cluster, replica: Cluster) -> dict[str, Any]:
    # primary_conninfo is reloadable (PostgreSQL 13+): emptied, the WAL receiver stops and the standby stays in
    # recovery, receiving nothing more — the replication link is gone while both servers run.
    _query(replica.conninfo, "ALTER SYSTEM SET primary_conninfo = ''")
    _query(replica.conninfo, "SELECT pg_reload_conf()")
    runner.wait_until(
        "the primary to have no streaming replica",
        lambda: _query(primary.conninfo, "SELECT count(*) FROM pg_stat_replication"),
        lambda n: n == 0,
        timeout=30,
        interval=0.01,
    )
    fault_at = runner.clock.now()
    runner.evidence.set_event("faultAt", fault_at)
    return {
        "faultAt": iso(fault_at),
        "primaryStillWritable": not _query(primary.conninfo, "SELECT pg_is_in_recovery()"),
    }


def _split(runner: Runner, writer: PgCanaryWriter, opts: LabOptions) -> dict[str, Any]:
    before = len(writer.written)
    runner.clock.sleep(opts.split_seconds)
    runner.save()
    return {"rowsAcknowledgedByOldPrimary": len(writer.written) - before}


def _fence(runner: Runner, primary: Cluster, writer: PgCanaryWriter) -> dict[str, Any]:
    # Fence first (every session re-reads the setting on reload, so the next INSERT fails), then read what the old
    # primary holds — complete, since nothing more can land — then stop it.
    _query(primary.conninfo, "ALTER SYSTEM SET default_transaction_read_only = on")
    _query(primary.conninfo, "SELECT pg_reload_conf()")
    runner.evidence.set_event("fencedAt", runner.clock.now())
    rows = PgCanaryReader(primary.conninfo).rows()
    runner.evidence.data["canary"]["oldPrimary"] = [row.to_json() for row in rows]
    primary.stop("fast")
    writer.stop()
    runner.save()
    return {"rowsOnOldPrimary": len(rows), "writerErrors": len(writer.errors)}


def _promote(runner: Runner, replica: Cluster, opts: LabOptions) -> dict[str, Any]:
    runner.evidence.set_event("promoteRequestedAt", runner.clock.now())
    _query(replica.conninfo, f"SELECT pg_promote(wait => false, wait_seconds => {int(opts.promote_timeout)})")
    _, at = runner.wait_until(
        "pg_is_in_recovery() to be false on the replica",
        lambda: bool(_query(replica.conninfo, "SELECT pg_is_in_recovery()")),
        lambda in_recovery: not in_recovery,
        timeout=opts.promote_timeout,
        interval=0.005,
    )
    runner.evidence.set_event("promotedAt", at)
    return {"promotedAt": iso(at)}


def _write_promoted(runner: Runner, replica: Cluster) -> dict[str, Any]:
    probe = PgCanaryWriter(replica.conninfo, clock=runner.clock)
    probe.prepare()  # continues numbering after the newest row that survived
    row = probe.write_once()
    probe.stop()
    if row is None:
        raise LabError(f"the promoted replica refused a write: {probe.errors[-1][1] if probe.errors else '?'}")
    runner.evidence.set_event("firstGoodWriteAt", row.written_at)
    return {"row": row.to_json()}


def _measure(runner: Runner, replica: Cluster, writer: PgCanaryWriter) -> dict[str, Any]:
    fault_at = runner.evidence.event("faultAt")
    assert fault_at is not None
    promoted = PgCanaryReader(replica.conninfo).rows()
    old = runner.evidence.data["canary"].get("oldPrimary")
    old_rows = None if old is None else [CanaryRow(int(r["seq"]), parse_iso(r["writtenAt"])) for r in old]  # type: ignore[arg-type]
    rpo = rpo_from_both_sides(fault_at, promoted, writer.written, old_rows)
    seqs = [row.seq for row in promoted]
    expected = list(range(1, seqs[-1] + 1)) if seqs else []
    return {**rpo.to_json(), "rowsOnPromoted": len(seqs), "contiguous": seqs == expected}
