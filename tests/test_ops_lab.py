"""Integration: a real PostgreSQL primary + streaming replica, killed and promoted (`python -m ops lab`)."""

from __future__ import annotations

import io
import json
import socket
import tempfile
from pathlib import Path

from ops.cli import Deps, main
from ops.clock import parse_iso


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
