"""Velero backup freshness: where the backups come from, and the newest one a schedule completed.

The source is injectable. Both built-in sources read the same document — what
`kubectl -n NAMESPACE get backups.velero.io,schedules.velero.io -o json` prints (a `List` holding Backup and
Schedule objects):
* `KubectlVelero` runs that command (needs kubectl and cluster credentials);
* `FileVelero` reads a saved copy (`--velero-json FILE`), e.g. captured by CI or another operator.
The schedule interval is derived from the Schedule's `spec.schedule` by contract/cron.py (the one cron parser).
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
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
