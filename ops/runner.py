"""Runs named steps against the evidence journal: resumable, idempotent-friendly, with bounded waits.

* `run(name, title, fn)` — a step already `done` in the journal is not run again (its recorded result is
  returned), so `--resume DIR` continues after the last finished step; a step that was `running` or `failed`
  when the process died runs again, which is why each step checks state before acting.
* AWS calls made during a step are recorded with their request ids (ClientFactory.sink).
* `wait_until(...)` polls with a timeout, reports progress (what it waits for, elapsed/timeout, last value),
  retries throttled polls with backoff until the timeout (then the throttling error itself is raised: exit 3), and
  raises `WaitTimeout` when time runs out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ops.aws import ApiCall, ClientFactory, is_throttling
from ops.clock import Clock, iso
from ops.errors import InputError
from ops.evidence import Evidence
from ops.observers import describe

_UNSET: Any = object()


class WaitTimeout(Exception):
    def __init__(self, what: str, timeout: float, last: Any) -> None:
        self.what = what
        self.timeout = timeout
        self.last = last
        super().__init__(f"timed out after {timeout:.0f} s waiting for {what} (last observed: {describe(last)})")


class StepFailed(InputError):
    """A step found a state it must not act on (e.g. the replica is not a replica); message is one line.

    The drill and failback catch it and stop (exit 1); raised before they start (outputs lacking the failover
    keys, a --resume journal of another stack) it reaches the CLI as an input error (exit 2)."""


Progress = Callable[[str], None]


class Runner:
    def __init__(
        self,
        evidence: Evidence,
        clock: Clock,
        *,
        factory: ClientFactory | None = None,
        progress: Progress | None = None,
        progress_every: float = 30.0,
    ) -> None:
        self.evidence = evidence
        self.clock = clock
        self.factory = factory
        self.progress: Progress = progress or (lambda _msg: None)
        self.progress_every = progress_every
        self.tick: Callable[[], None] | None = None  # sampled on every poll (the drill's probe loop)
        self.before_save: Callable[[], None] | None = None

    def save(self) -> None:
        if self.before_save is not None:
            self.before_save()
        self.evidence.save()

    def result(self, name: str) -> dict[str, Any]:
        record = self.evidence.step(name)
        return dict((record or {}).get("result") or {})

    def run(self, name: str, title: str, fn: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
        record = self.evidence.step(name)
        if record is not None and record["status"] in ("done", "skipped"):
            self.progress(f"✓ {title} — already {record['status']} (resumed)")
            return dict(record.get("result") or {})
        self.progress(f"→ {title}")
        self.evidence.begin_step(name, title, self.clock.now())
        self.save()
        if self.factory is not None:
            self.factory.sink = self._on_call
        try:
            result = fn() or {}
        except BaseException as err:
            line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            self.evidence.end_step(name, "failed", self.clock.now(), error=f"{type(err).__name__}: {line}")
            self.save()
            raise
        finally:
            if self.factory is not None:
                self.factory.sink = None
        self.evidence.end_step(name, "skipped" if result.get("skipped") else "done", self.clock.now(), result)
        self.save()
        return result

    def _on_call(self, call: ApiCall) -> None:
        self.evidence.add_api_call(call.to_json(), self.clock.now())

    def observe(self, what: str, value: Any) -> None:
        self.evidence.observe(what, value, self.clock.now())

    def wait_until(
        self, what: str, poll: Callable[[], Any], done: Callable[[Any], bool], *, timeout: float, interval: float
    ) -> tuple[Any, datetime]:
        """Poll until `done(value)`; returns (value, when it was observed)."""
        start = self.clock.now()
        last: Any = _UNSET
        last_reported: Any = object()
        last_report_at = -1e9
        throttled = 0
        while True:
            if self.tick is not None:
                self.tick()
            elapsed = (self.clock.now() - start).total_seconds()
            try:
                value = poll()
            except Exception as err:
                if not is_throttling(err) or elapsed >= timeout:
                    raise  # throttled for the whole wait: the one-line AwsThrottled (exit 3) says what to do
                throttled += 1
                self.observe(f"{what}: throttled, retrying", str(err))
                self.progress(f"  [{elapsed:5.0f}s/{timeout:.0f}s] {what}: throttled ({throttled}), backing off")
                self.clock.sleep(min(interval * 2**throttled, 30.0))
                continue
            throttled = 0
            observed_at = self.clock.now()
            if last is _UNSET or value != last:
                self.observe(what, value)  # record changes only: the journal stays readable
            last = value
            if done(value):
                self.progress(f"  [{elapsed:5.0f}s/{timeout:.0f}s] {what}: yes ({describe(value)})")
                return value, observed_at
            if elapsed >= timeout:
                self.observe(f"{what}: timed out", {"timeoutSeconds": timeout, "last": value, "at": iso(observed_at)})
                raise WaitTimeout(what, timeout, value)
            if value != last_reported or elapsed - last_report_at >= self.progress_every:
                self.progress(f"  [{elapsed:5.0f}s/{timeout:.0f}s] waiting for {what} (now: {describe(value)})")
                last_reported, last_report_at = value, elapsed
            self.clock.sleep(min(interval, max(timeout - elapsed, 0.001)))
