"""Velero backup freshness: where the backups come from, and how long the schedule allows between them.

The source is injectable. Both built-in sources read the same document — what
`kubectl -n NAMESPACE get backups.velero.io,schedules.velero.io -o json` prints (a `List` holding Backup and
Schedule objects):
* `KubectlVelero` runs that command (needs kubectl and cluster credentials);
* `FileVelero` reads a saved copy (`--velero-json FILE`), e.g. captured by CI or another operator.
The schedule interval is derived from the Schedule's `spec.schedule` (5-field cron, `@every 6h`, `@daily`…).
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from ops.clock import parse_iso


class VeleroSource(Protocol):
    def objects(self) -> list[dict[str, Any]]: ...


class VeleroSourceError(RuntimeError):
    pass


def _items(document: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise VeleroSourceError(f"{where}: expected a kubectl List with items")
    return [item for item in document["items"] if isinstance(item, dict)]


class FileVelero:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def objects(self) -> list[dict[str, Any]]:
        try:
            return _items(json.loads(self.path.read_text()), str(self.path))
        except (OSError, json.JSONDecodeError) as err:
            raise VeleroSourceError(f"{self.path}: {err}") from err


class KubectlVelero:
    def __init__(self, namespace: str, kubectl: str = "kubectl", timeout: float = 30) -> None:
        self.command = [kubectl, "-n", namespace, "get", "backups.velero.io,schedules.velero.io", "-o", "json"]
        self.timeout = timeout

    def objects(self) -> list[dict[str, Any]]:
        try:
            done = subprocess.run(self.command, capture_output=True, text=True, timeout=self.timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise VeleroSourceError(f"{' '.join(self.command)}: {err}") from err
        if done.returncode != 0:
            message = (done.stderr.strip().splitlines() or ["failed"])[-1]
            raise VeleroSourceError(f"{' '.join(self.command)}: {message}")
        return _items(json.loads(done.stdout), "kubectl output")


# --- cron -----------------------------------------------------------------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s)")
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


def _field(text: str, lo: int, hi: int) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = lo, hi
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = int(a), int(b)
        else:
            start = int(base)
            end = hi if step_text else start
        if not (lo <= start <= hi and lo <= end <= hi + (1 if hi == 6 else 0)) or step < 1:
            raise ValueError(text)
        values.update(v % 7 if hi == 6 else v for v in range(start, end + 1, step))
    return values


def schedule_interval(expression: str) -> timedelta:
    """The longest gap between two runs of a Velero schedule (a cron spec or `@every <duration>`)."""
    text = expression.strip()
    if text.startswith("@every "):
        parts = _DURATION.findall(text[len("@every ") :].replace(" ", ""))
        if not parts or "".join(n + u for n, u in parts) != text[len("@every ") :].replace(" ", ""):
            raise ValueError(f"unsupported duration in {expression!r}")
        unit = {"h": 3600, "m": 60, "s": 1}
        return timedelta(seconds=sum(float(n) * unit[u] for n, u in parts))
    text = _MACROS.get(text, text)
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 cron fields in {expression!r}")
    minutes, hours, days, months, weekdays = (_field(f, lo, hi) for f, (lo, hi) in zip(fields, _RANGES, strict=True))
    dom_any, dow_any = fields[2] == "*", fields[4] == "*"
    # Scan 400 days minute by minute only at matching hours: enough to see any monthly or yearly gap.
    start = datetime(2024, 1, 1, tzinfo=UTC)
    fires: list[datetime] = []
    day = start
    while day < start + timedelta(days=400):
        day_ok = day.month in months and (
            (day.day in days or day.isoweekday() % 7 in weekdays)
            if not (dom_any or dow_any)
            else (day.day in days and day.isoweekday() % 7 in weekdays)
        )
        if day_ok:
            fires.extend(day.replace(hour=h, minute=m) for h in sorted(hours) for m in sorted(minutes))
        day += timedelta(days=1)
    if len(fires) < 2:
        raise ValueError(f"{expression!r} fires less than twice a year")
    return max(b - a for a, b in itertools.pairwise(fires))


# --- the check ------------------------------------------------------------------------------------------------


def last_successful_backup(objects: list[dict[str, Any]], schedule_name: str) -> tuple[datetime | None, str | None]:
    """(completion time of the newest Completed backup made by the schedule, the schedule's cron)."""
    cron = None
    newest: datetime | None = None
    for obj in objects:
        kind = obj.get("kind")
        meta = obj.get("metadata") or {}
        if kind == "Schedule" and meta.get("name") == schedule_name:
            cron = (obj.get("spec") or {}).get("schedule")
        elif kind == "Backup" and (meta.get("labels") or {}).get("velero.io/schedule-name") == schedule_name:
            status = obj.get("status") or {}
            if status.get("phase") == "Completed":
                at = parse_iso(status.get("completionTimestamp") or status.get("startTimestamp"))
                if at is not None and (newest is None or at > newest):
                    newest = at
    return newest, cron
