"""Shared measurement (RPO/RTO verdict) and the newest Velero backup of a schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ops.canary import CanaryRow
from ops.evidence import judge, rpo_from_canary, rpo_from_lag
from ops.velero import last_successful_backup

T0 = datetime(2025, 10, 20, 14, 0, tzinfo=UTC)


def rows(n: int, every: float = 1.0) -> list[CanaryRow]:
    return [CanaryRow(i, T0 + timedelta(seconds=every * (i - 1))) for i in range(1, n + 1)]


def test_rpo_is_fault_minus_newest_visible_and_lists_lost_rows():
    written = rows(10)
    fault = T0 + timedelta(seconds=9.4)  # rows 1..10 written before the fault
    rpo = rpo_from_canary(fault, written[6], written)  # seq 7 is the newest that survived

    assert rpo.seconds == pytest.approx(3.4)
    assert rpo.lost_seqs == (8, 9, 10)
    assert rpo.lost_window_seconds == pytest.approx(3.0)


def test_rows_written_after_the_fault_are_not_counted_as_lost():
    written = rows(10)
    rpo = rpo_from_canary(T0 + timedelta(seconds=5.5), written[5], written)
    assert rpo.lost_seqs == () and rpo.seconds == 0.5


def test_rpo_never_negative_and_none_when_nothing_visible():
    written = rows(3)
    assert rpo_from_canary(T0, written[2], written).seconds == 0.0
    assert rpo_from_canary(T0 + timedelta(seconds=5), None, written).seconds is None


def test_rpo_from_lag_and_the_verdict():
    assert rpo_from_lag(None).seconds is None
    verdict = judge({"rtoSeconds": 900, "rpoSeconds": 300}, {"rtoSeconds": 901, "rpoSeconds": rpo_from_lag(3).seconds})
    assert verdict["rto"]["ok"] is False and verdict["rpo"]["ok"] is True and verdict["ok"] is False
    assert judge({"rtoSeconds": 900}, {"rtoSeconds": None})["ok"] is False


def test_last_successful_backup_ignores_failed_and_other_schedules():
    def backup(schedule, phase, minutes):
        at = (T0 - timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
        return {
            "kind": "Backup",
            "metadata": {"labels": {"velero.io/schedule-name": schedule}},
            "status": {"phase": phase, "completionTimestamp": at},
        }

    objects = [
        {"kind": "Schedule", "metadata": {"name": "hourly"}, "spec": {"schedule": "0 * * * *"}},
        backup("hourly", "Failed", 1),
        backup("other", "Completed", 2),
        backup("hourly", "Completed", 30),
        backup("hourly", "Completed", 90),
    ]
    newest, cron = last_successful_backup(objects, "hourly")
    assert newest == T0 - timedelta(minutes=30) and cron == "0 * * * *"
