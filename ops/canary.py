"""Canary rows: a monotonically numbered row written at a fixed interval, read back after promotion.

The writer stamps each row with the drill host's clock (the same clock that timestamps the fault), so
RPO = fault time − newest row visible after promotion is measured on one clock. The writer keeps its own log of
acknowledged rows; rows acknowledged by the old primary but missing on the promoted one are the data lost.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ops.clock import Clock, SystemClock, iso

TABLE = "ops_canary"
CREATE = f"CREATE TABLE IF NOT EXISTS {TABLE} (seq bigint PRIMARY KEY, written_at timestamptz NOT NULL)"


@dataclass(frozen=True)
class CanaryRow:
    seq: int
    written_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "writtenAt": iso(self.written_at)}


class CanaryReader(Protocol):
    def newest(self) -> CanaryRow | None: ...

    def rows(self) -> list[CanaryRow]: ...


class PgCanaryReader:
    """Reads the newest canary row from a PostgreSQL database (psycopg 3)."""

    def __init__(self, conninfo: str, connect_timeout: int = 5) -> None:
        self.conninfo = conninfo
        self.connect_timeout = connect_timeout

    def newest(self) -> CanaryRow | None:
        import psycopg

        with psycopg.connect(self.conninfo, connect_timeout=self.connect_timeout, autocommit=True) as conn:
            row = conn.execute(f"SELECT seq, written_at FROM {TABLE} ORDER BY seq DESC LIMIT 1").fetchone()
        return CanaryRow(int(row[0]), row[1]) if row else None

    def rows(self) -> list[CanaryRow]:
        import psycopg

        with psycopg.connect(self.conninfo, connect_timeout=self.connect_timeout, autocommit=True) as conn:
            found = conn.execute(f"SELECT seq, written_at FROM {TABLE} ORDER BY seq").fetchall()
        return [CanaryRow(int(seq), at) for seq, at in found]

    def all_seqs(self) -> list[int]:
        import psycopg

        with psycopg.connect(self.conninfo, connect_timeout=self.connect_timeout, autocommit=True) as conn:
            return [int(r[0]) for r in conn.execute(f"SELECT seq FROM {TABLE} ORDER BY seq").fetchall()]


class PgCanaryWriter:
    """Background thread inserting one canary row every `interval` seconds; `written` holds acknowledged rows.

    A failed insert (primary gone) is recorded and retried on a fresh connection at the next tick, so the writer
    survives the fault and keeps writing wherever the endpoint points afterwards.
    """

    def __init__(
        self, conninfo: str, interval: float = 1.0, clock: Clock | None = None, connect_timeout: int = 2
    ) -> None:
        self.conninfo = conninfo
        self.interval = interval
        self.clock = clock or SystemClock()
        self.connect_timeout = connect_timeout
        self.written: list[CanaryRow] = []
        self.errors: list[tuple[datetime, str]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: Any = None
        self._next_seq = 1

    def prepare(self) -> None:
        """Create the table (idempotent) and continue numbering after any rows already there."""
        import psycopg

        with psycopg.connect(self.conninfo, connect_timeout=self.connect_timeout, autocommit=True) as conn:
            conn.execute(CREATE)
            row = conn.execute(f"SELECT coalesce(max(seq), 0) FROM {TABLE}").fetchone()
        self._next_seq = int(row[0]) + 1 if row else 1

    def start(self) -> None:
        self.prepare()
        self._thread = threading.Thread(target=self._run, name="canary-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._close()

    def write_once(self) -> CanaryRow | None:
        import psycopg

        seq = self._next_seq
        try:
            if self._conn is None:
                self._conn = psycopg.connect(self.conninfo, connect_timeout=self.connect_timeout, autocommit=True)
            at = self.clock.now()
            self._conn.execute(f"INSERT INTO {TABLE} (seq, written_at) VALUES (%s, %s)", (seq, at))
        except psycopg.Error as err:
            self.errors.append((self.clock.now(), str(err).strip().splitlines()[0] if str(err).strip() else "error"))
            self._close()
            return None
        row = CanaryRow(seq, at)
        self.written.append(row)
        self._next_seq = seq + 1
        return row

    def _run(self) -> None:
        while not self._stop.is_set():
            self.write_once()
            self._stop.wait(self.interval)

    def _close(self) -> None:
        if self._conn is not None:
            # closing a connection to a killed server may fail any way it likes
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
