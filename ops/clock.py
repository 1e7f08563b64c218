"""Time, injectable: the drill, waits and the lab read `now()` and `sleep()` from a Clock.

`SystemClock` is wall time (UTC). `FakeClock` advances only when slept on, so tests drive a 20-minute drill
timeline in milliseconds; `on_sleep` hooks let a scripted world change state as time passes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that moves only when someone sleeps (or `advance` is called)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2025, 10, 20, 14, 0, tzinfo=UTC)
        self._lock = threading.Lock()
        self.slept = 0.0
        self.on_sleep: list[Callable[[datetime], None]] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            now = self._now
        for hook in self.on_sleep:
            hook(now)

    def sleep(self, seconds: float) -> None:
        self.slept += max(0.0, seconds)
        self.advance(max(0.0, seconds))


def iso(moment: datetime | None) -> str | None:
    """UTC ISO-8601 with milliseconds and a Z: how every timestamp appears in evidence."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
