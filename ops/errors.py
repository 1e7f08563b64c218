"""Exit codes, the exceptions that carry them, and the signals that stop a run — one vocabulary for the door.

Every expected failure is an `OpsError` whose `str()` is one line naming what failed and what to do; its class
says the exit code. `ops.cli.main` is the one door that prints it (`ops COMMAND: <line>`) and returns the code;
nothing else catches to print. Failures from libraries are turned into `OpsError`s where they enter ops/: AWS
errors in `ops.aws.ClientFactory` (its clients' event hooks), file errors in `ops.outputs` and `ops.evidence`.

SIGINT and SIGTERM become `Interrupted` (a BaseException, so no `except Exception` swallows it) while
`interruptible()` is active, which lets every `finally` run: the lab stops its servers and removes its temp dir,
the drill keeps its journal. `deferred()` holds an interruption back over a few lines that must not be cut in half
(starting a server and recording that it runs).
"""

from __future__ import annotations

import signal
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran and found a problem: a check failed, an objective was missed, a drill stopped
EXIT_INPUT = 2  # usage, arguments, the outputs file, the policy config, the evidence directory, the prod guard
EXIT_ENVIRONMENT = 3  # AWS unreachable, no/rejected credentials, access denied, throttled out, PostgreSQL missing
EXIT_BUG = 4  # an unexpected exception: a bug in ops/ (the traceback is printed)
EXIT_SIGNAL_BASE = 128  # interrupted: 128 + the signal number (130 SIGINT, 143 SIGTERM), as a shell reports it

LINE_LIMIT = 400  # characters of one error line; longer values are cut with "…"


class OpsError(Exception):
    """An expected failure. `str()` is one line (what failed — what to do); `exit_code` is its class's code."""

    exit_code = EXIT_INPUT


class InputError(OpsError):
    """What the user gave cannot be used: arguments, files, directories (exit 2)."""

    exit_code = EXIT_INPUT


class EnvironmentProblem(OpsError):
    """The world around the tool cannot be used: AWS, credentials, permissions, local binaries (exit 3)."""

    exit_code = EXIT_ENVIRONMENT


class Interrupted(BaseException):  # named for what happened, like KeyboardInterrupt
    """SIGINT or SIGTERM arrived; raised in the main thread so every `finally` on the way out runs."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.name}")

    @property
    def exit_code(self) -> int:
        return EXIT_SIGNAL_BASE + self.signum


def one_line(text: str, limit: int = LINE_LIMIT) -> str:
    """`text` as one printable line: control characters escaped (a newline in a value is shown as \\n), cut at
    `limit` characters with "…"."""
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    line = "".join(out)
    return line if len(line) <= limit else line[: limit - 1] + "…"


# --- signals ------------------------------------------------------------------------------------------------

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _State:
    """Process-wide, like signal handlers themselves: is a handler installed, is an interruption held back."""

    def __init__(self) -> None:
        self.active = False
        self.raised = False  # the first signal was raised; later ones must not cut the cleanup short
        self.deferred_depth = 0
        self.pending: int | None = None


_state = _State()


def _handler(signum: int, _frame: FrameType | None) -> None:
    if _state.raised:
        return  # already stopping: let the cleanup that is running finish
    if _state.deferred_depth:
        _state.pending = _state.pending or signum
        return
    _state.raised = True
    raise Interrupted(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """Turn SIGINT/SIGTERM into `Interrupted` for the duration (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread() or _state.active:
        yield
        return
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    _state.active, _state.raised, _state.pending, _state.deferred_depth = True, False, None, 0
    for s in STOP_SIGNALS:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _state.active = False


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM back until the block ends, then raise `Interrupted` (if one arrived)."""
    _state.deferred_depth += 1
    try:
        yield
    finally:
        _state.deferred_depth -= 1
    if _state.deferred_depth == 0 and _state.pending is not None and _state.active and not _state.raised:
        signum, _state.pending = _state.pending, None
        _state.raised = True
        raise Interrupted(signum)
