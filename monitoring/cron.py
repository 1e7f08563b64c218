"""How long a cron schedule can go between two runs — the backup age VeleroBackupTooOld has to tolerate.

Standard 5-field cron (minute hour day-of-month month day-of-week; `*`, lists, ranges, steps, month and day
names) plus the @hourly/@daily/@weekly/@monthly/@yearly aliases that Velero's cron library accepts. When both
day-of-month and day-of-week are restricted a day matches either (cron's rule).
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, start=1)}
_DAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
# Two years and a bit: every schedule up to yearly shows at least two runs, and leap days are covered.
_HORIZON_DAYS = 2 * 366 + 31


def _values(text: str, lo: int, hi: int, names: dict[str, int]) -> set[int]:
    def number(token: str) -> int:
        value = names[token] if token in names else int(token)
        if not lo <= value <= hi:
            raise ValueError(f"{token} is outside {lo}–{hi}")
        return value

    out: set[int] = set()
    for part in text.lower().split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"step {step_text} must be at least 1")
        if span in ("*", "?"):
            first, last = lo, hi
        elif "-" in span:
            a, b = span.split("-", 1)
            first, last = number(a), number(b)
        else:
            first = number(span)
            last = hi if step_text else first
        out.update(range(first, last + 1, step))
    return out


def max_interval_seconds(cron: str) -> int:
    """The longest time between two consecutive runs of `cron` (UTC), in seconds. ValueError if it is invalid."""
    fields = _ALIASES.get(cron.strip().lower(), cron).split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 cron fields, got {cron!r}")
    minutes = sorted(_values(fields[0], 0, 59, {}))
    hours = sorted(_values(fields[1], 0, 23, {}))
    days = _values(fields[2], 1, 31, {})
    months = _values(fields[3], 1, 12, _MONTHS)
    weekdays = {d % 7 for d in _values(fields[4], 0, 7, _DAYS)}
    either = fields[2] not in ("*", "?") and fields[4] not in ("*", "?")
    times = [h * 60 + m for h in hours for m in minutes]  # minutes after midnight, ascending
    within_day = max((b - a for a, b in pairwise(times)), default=0)
    longest, previous = 0, None  # previous = absolute minute of the last run seen
    start = date(2024, 1, 1)
    for offset in range(_HORIZON_DAYS):
        day = start + timedelta(days=offset)
        dom, dow = day.day in days, day.isoweekday() % 7 in weekdays
        if day.month not in months or not ((dom or dow) if either else (dom and dow)):
            continue
        base = offset * 1440
        if previous is not None:
            longest = max(longest, base + times[0] - previous)
        longest = max(longest, within_day)
        previous = base + times[-1]
    if previous is None or longest == 0:
        raise ValueError(f"{cron!r} does not run at least twice in two years")
    return longest * 60
