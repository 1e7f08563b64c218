"""Integration: a real PostgreSQL primary + streaming replica, killed and promoted (`python -m ops lab`)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ops.cli import Deps, main
from ops.clock import parse_iso
from tests.ops_support import ops_process, processes_mentioning, unwritable_dir


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_lab_failover_evidence_is_consistent_and_cleaned_up(tmp_path):
    out = io.StringIO()
    code = main(
        [
            "lab",
            "--evidence-dir",
            str(tmp_path),
            "--write-seconds",
            "1.5",
            "--canary-interval",
            "0.05",
            "--format",
            "json",
        ],
        Deps(stdout=out, stderr=io.StringIO()),
    )
    summary = json.loads(out.getvalue())
    bundle = Path(summary["evidence"])
    data = json.loads((bundle / "evidence.json").read_text())
    measured, rpo = data["measured"], data["measured"]["rpo"]

    assert code == 0 and summary["ok"] is True
    assert [s["status"] for s in data["steps"]] == ["done"] * 7
    # promotion time measured: promote requested → pg_is_in_recovery() false
    assert 0 < measured["promotionSeconds"] < 60
    # RPO ≥ 0 and equal to the lost canary window plus the gap between the last acknowledged write and the kill
    fault = parse_iso(data["events"]["faultAt"])
    written = data["canary"]["written"]
    last_before_fault = [r for r in written if parse_iso(r["writtenAt"]) <= fault][-1]
    gap = (fault - parse_iso(last_before_fault["writtenAt"])).total_seconds()
    assert measured["rpoSeconds"] >= 0
    assert (
        measured["rpoSeconds"] == round(gap + rpo["lostWindowSeconds"], 3)
        or abs(measured["rpoSeconds"] - (gap + rpo["lostWindowSeconds"])) < 0.002
    )
    assert rpo["lostSeqs"] == list(range(rpo["newestVisible"]["seq"] + 1, last_before_fault["seq"] + 1))
    # the canary sequence is contiguous up to the loss point, and the writer really wrote at the interval
    assert measured["canaryContiguous"] is True
    assert measured["canaryRowsOnPromoted"] == rpo["newestVisible"]["seq"]
    assert [r["seq"] for r in written] == list(range(1, len(written) + 1)) and len(written) >= 5
    # the promoted replica accepted a write after promotion
    promoted_write = data["steps"][-1]["result"]["row"]
    assert promoted_write["seq"] == rpo["newestVisible"]["seq"] + 1
    assert parse_iso(promoted_write["writtenAt"]) > parse_iso(data["events"]["promotedAt"])
    assert measured["rtoSeconds"] > measured["promotionSeconds"]
    # the same bundle as the drill; nothing left running or on disk
    assert (bundle / "report.md").is_file() and (bundle / "timeline.png").stat().st_size > 0
    assert not _listening(data["context"]["primaryPort"]) and not _listening(data["context"]["replicaPort"])
    work_dir = Path(data["context"]["workDir"])
    assert work_dir.name.startswith("ops-lab-") and work_dir.parent == Path(tempfile.gettempdir())
    assert not work_dir.exists()


def test_lab_partition_counts_the_writes_the_old_primary_took_after_the_split_as_lost(tmp_path):
    # A real PostgreSQL pair: replication cut, the replica promoted while the old primary keeps taking writes.
    out = io.StringIO()
    code = main(
        [
            *("lab", "--evidence-dir", str(tmp_path), "--fault", "partition"),
            *("--write-seconds", "1", "--split-seconds", "1", "--canary-interval", "0.05", "--format", "json"),
        ],
        Deps(stdout=out, stderr=io.StringIO()),
    )
    summary = json.loads(out.getvalue())
    data = json.loads((Path(summary["evidence"]) / "evidence.json").read_text())
    rpo = data["measured"]["rpo"]
    fault = parse_iso(data["events"]["faultAt"])
    old = {r["seq"]: r for r in data["canary"]["oldPrimary"]}
    after_fault = sorted(seq for seq, r in old.items() if parse_iso(r["writtenAt"]) > fault)

    assert code == 0, summary
    assert [s["name"] for s in data["steps"]][3:7] == ["partition", "promote", "split-brain", "fence-old-primary"]
    assert data["steps"][3]["result"]["primaryStillWritable"] is True
    # the old primary holds more rows than the promoted writer; every row it took after the fault is lost
    assert rpo["rowsOnOldPrimary"] > rpo["rowsOnPromoted"]
    assert len(after_fault) >= 10  # ~1 s of writes at 0.05 s after the split
    acknowledged = {r["seq"] for r in data["canary"]["written"]}
    assert set(after_fault) <= set(rpo["splitBrainSeqs"]) <= set(after_fault) | acknowledged
    assert set(rpo["lostSeqs"]) == (set(old) | acknowledged) - set(range(1, rpo["rowsOnPromoted"] + 1))
    # RPO reaches the newest lost write, not just the fault: the split-brain second is counted
    newest_lost = max(parse_iso(old[seq]["writtenAt"]) for seq in rpo["lostSeqs"])
    newest_kept = parse_iso(rpo["newestVisible"]["writtenAt"])
    assert data["measured"]["rpoSeconds"] == pytest.approx((newest_lost - newest_kept).total_seconds(), abs=0.002)
    assert data["measured"]["rpoSeconds"] > 0.9
    assert "split brain" in (Path(summary["evidence"]) / "report.md").read_text()
    assert not _listening(data["context"]["primaryPort"]) and not _listening(data["context"]["replicaPort"])


def test_lab_uses_the_newest_installed_postgresql_server(tmp_path):
    from ops.lab import find_pg_bin

    for major in ("13", "15", "17"):
        (tmp_path / major / "bin").mkdir(parents=True)
        (tmp_path / major / "bin" / "initdb").touch()
    (tmp_path / "16" / "lib").mkdir(parents=True)  # a client-only or partial install has no initdb
    assert find_pg_bin(env={}, root=tmp_path) == tmp_path / "17" / "bin"


def test_ops_pg_bin_overrides_discovery_and_nothing_installed_is_none(tmp_path):
    from ops.lab import find_pg_bin

    assert find_pg_bin(env={"OPS_PG_BIN": "/opt/pg/bin"}, root=tmp_path) == Path("/opt/pg/bin")
    assert find_pg_bin(env={}, root=tmp_path) is None


# --- every way out cleans up: signals and error paths of a real `python -m ops lab` ------------------------------

PROGRESS = ("→ ", "✓ ", "  ")
CLEANED = "its PostgreSQL servers were stopped and its temp dir removed"


def _traversable_tmpdir(prefix: str) -> Path:
    """A directory in the system temp dir that the postgres user can reach (pytest's tmp_path is 0700 for root;
    the lab runs its servers as postgres when it runs as root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def _family(pids: set[int]) -> set[int]:
    """Those of `pids` still running, and every running process whose parent is one of them."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        state, ppid = fields[0], int(fields[1])
        if state != "Z" and (int(entry.name) in pids or ppid in pids):
            found.add(int(entry.name))
    return found


def _postmasters(under: Path) -> set[int]:
    return {
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and any(f"postgres -D {under}" in c for c in _cmdline(entry))
    }


def _cmdline(entry: Path) -> list[str]:
    try:
        return [(entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")]
    except OSError:
        return []


@pytest.fixture
def lab_tmp():
    """TMPDIR for one lab run: whatever the lab leaves behind shows up here."""
    path = _traversable_tmpdir("ops-lab-test-")
    yield path
    # A failing test must not leave servers behind on the machine: stop this run's own postmasters by pid.
    for pid in _postmasters(path):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT)
    shutil.rmtree(path, ignore_errors=True)


class Lab:
    """A `python -m ops lab` process whose stderr lines are collected as they come."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.proc = ops_process(["lab", *argv], env)
        self.lines: list[str] = []
        assert self.proc.stderr is not None
        self._reader = threading.Thread(target=self._read, args=(self.proc.stderr,), daemon=True)
        self._reader.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.proc.poll() is None, f"lab ended before {text!r}: {self.lines}"
            assert time.monotonic() < deadline, f"no {text!r} within {timeout} s: {self.lines}"
            time.sleep(0.02)

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        *progress, last = self.lines
        assert all(line.startswith(PROGRESS) for line in progress), self.lines
        return code, last


@pytest.mark.parametrize(
    ("sig", "when", "code"),
    [
        (signal.SIGTERM, "→ Write canary rows", 143),  # both servers up, the canary writer running
        (signal.SIGINT, "→ pg_basebackup -R and start the streaming replica", 130),  # primary up, replica starting
    ],
    ids=["sigterm-while-writing", "sigint-while-starting-the-replica"],
)
def test_a_signal_stops_the_labs_servers_removes_its_temp_dir_and_ends_in_one_line(lab_tmp, tmp_path, sig, when, code):
    lab = Lab(["--evidence-dir", str(tmp_path / "ev"), "--write-seconds", "60"], {"TMPDIR": str(lab_tmp)})
    lab.wait_for(when)
    time.sleep(0.5)  # into the step: canary rows flowing / pg_basebackup or the replica's start under way
    servers = _postmasters(lab_tmp)
    assert servers  # the signal lands on a lab with PostgreSQL running

    lab.proc.send_signal(sig)
    exit_code, line = lab.finish()

    assert exit_code == code
    assert line == f"ops lab: interrupted by {signal.Signals(sig).name} — {CLEANED}"
    assert _family(servers) == set()  # no postmaster of this run, no child of one
    assert processes_mentioning(str(lab_tmp)) == []  # nor initdb, pg_basebackup, pg_ctl, runuser
    assert list(lab_tmp.iterdir()) == []  # the temp dir is gone


def test_unwritable_evidence_dir_is_one_line_exit_2_and_leaves_no_temp_dir(lab_tmp, tmp_path):
    locked = tmp_path / "locked"
    with unwritable_dir(locked) as strerror:
        lab = Lab(["--evidence-dir", str(locked)], {"TMPDIR": str(lab_tmp)})
        exit_code, line = lab.finish()

    assert exit_code == 2 and lab.lines == [line]
    assert line == (
        f"ops lab: evidence directory {locked}: cannot write there ({strerror}) — pass --evidence-dir naming a "
        "directory you can write"
    )
    assert list(lab_tmp.iterdir()) == [] and processes_mentioning(str(lab_tmp)) == []


def test_evidence_dir_that_is_a_file_is_one_line_exit_2_and_leaves_no_temp_dir(lab_tmp, tmp_path):
    in_the_way = tmp_path / "evidence"
    in_the_way.write_text("a file")

    exit_code, line = Lab(["--evidence-dir", str(in_the_way)], {"TMPDIR": str(lab_tmp)}).finish()

    assert exit_code == 2
    assert line == (
        f"ops lab: evidence directory {in_the_way} is a file, not a directory — pass --evidence-dir naming a "
        "directory you can write"
    )
    assert list(lab_tmp.iterdir()) == []


def test_missing_postgresql_is_one_line_exit_3(lab_tmp, tmp_path):
    empty = tmp_path / "no-postgres"
    empty.mkdir()

    exit_code, line = Lab(
        ["--evidence-dir", str(tmp_path / "ev")], {"TMPDIR": str(lab_tmp), "OPS_PG_BIN": str(empty)}
    ).finish()

    assert exit_code == 3
    assert line == (
        f"ops lab: PostgreSQL server binaries not found under {empty} — apt-get install postgresql, or set "
        "OPS_PG_BIN to their directory"
    )
    assert list(lab_tmp.iterdir()) == [] and not (tmp_path / "ev").exists()


@pytest.fixture
def broken_basebackup():
    """The installed PostgreSQL binaries, except a pg_basebackup that fails the way a refused connection does."""
    from ops.lab import PG_BIN

    bin_dir = _traversable_tmpdir("ops-lab-bin-")
    for binary in PG_BIN.iterdir():
        (bin_dir / binary.name).symlink_to(binary)
    (bin_dir / "pg_basebackup").unlink()
    script = bin_dir / "pg_basebackup"
    script.write_text('#!/bin/sh\necho "pg_basebackup: error: connection to server refused (scripted)" >&2\nexit 1\n')
    script.chmod(0o755)
    yield bin_dir
    shutil.rmtree(bin_dir)


def test_a_failing_step_stops_the_running_primary_and_removes_the_temp_dir(lab_tmp, tmp_path, broken_basebackup):
    lab = Lab(["--evidence-dir", str(tmp_path / "ev")], {"TMPDIR": str(lab_tmp), "OPS_PG_BIN": str(broken_basebackup)})
    exit_code, line = lab.finish()

    journal = json.loads(next((tmp_path / "ev").iterdir()).joinpath("evidence.json").read_text())
    assert exit_code == 3
    assert line == "ops lab: pg_basebackup -h 127.0.0.1: pg_basebackup: error: connection to server refused (scripted)"
    assert [(s["name"], s["status"]) for s in journal["steps"]] == [
        ("start-primary", "done"),
        ("start-replica", "failed"),
    ]
    assert processes_mentioning(str(lab_tmp)) == [] and list(lab_tmp.iterdir()) == []
