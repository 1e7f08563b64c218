"""Cron schedules: parse, validate, and the longest time between two runs — the one implementation.

The semantics are those of robfig/cron v3 `ParseStandard`, the parser Velero (Schedule `spec.schedule`) and
Karpenter (NodePool disruption-budget `schedule`) both use, so a schedule accepted here is one they accept:
- five fields: minute (0–59), hour (0–23), day-of-month (1–31), month (1–12 or jan…dec), day-of-week (0–6 or
  sun…sat; 7 is not Sunday there); names are case-insensitive;
- each field a comma list of `*` or `?` (any), `N`, `A-B`, each optionally `/STEP`; `N/STEP` means `N-max/STEP`;
- when day-of-month and day-of-week are both restricted a day matches EITHER (cron's rule); a field counts as
  unrestricted when it lists a bare `*`/`?` (step 1), so `*/2` restricts;
- the descriptors @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly (lower case) and
  `@every <Go duration>` (e.g. 6h, 1h30m, 90s; whole seconds, at least 1). Karpenter's schema has no @every:
  pass `every=False` there.
Not supported (rejected, as by the Go parser): L, W, #, H, TZ= prefixes, six-field (seconds) specs.
Times are UTC. The policy pack imports only policy/, so this module lives here and everyone else imports it.

AWS services that take a schedule (AWS Backup plans, restore testing plans) want AWS's own six-field form,
`cron(minute hour day-of-month month day-of-week year)`: days of the week are 1–7 from Sunday, and one of the two
day fields must be `?`. Config keeps the five-field form above; `to_aws` writes the AWS form and `from_aws` reads it
back (the policy pack judges the AWS form on the resources), so both sides share these semantics.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}
_DAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_NO_NAMES: dict[str, int] = {}
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, _NO_NAMES),
    ("hour", 0, 23, _NO_NAMES),
    ("day-of-month", 1, 31, _NO_NAMES),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 6, _DAYS),
)
_EVERY = "@every "
# Go's time.ParseDuration, unsigned: one or more <decimal><unit>.
_GO_DURATION = re.compile(r"(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+")
_GO_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {
    "ns": Fraction(1, 10**9),
    "us": Fraction(1, 10**6),
    "µs": Fraction(1, 10**6),
    "μs": Fraction(1, 10**6),
    "ms": Fraction(1, 1000),
    "s": Fraction(1),
    "m": Fraction(60),
    "h": Fraction(3600),
}
_DIGITS = re.compile(r"[0-9]+")
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# cron(m h dom mon dow year): AWS's schedule expression (EventBridge/AWS Backup "cron expressions" reference).
_AWS_CRON = re.compile(r"\s*cron\(\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*\)\s*")
# Eight years from 2024-01-01: leap days and rare day-of-month/day-of-week combinations repeat at least once.
_SIM_START = dt.date(2024, 1, 1)
_SIM_DAYS = 8 * 366


class CronError(ValueError):
    """A schedule that is not valid cron, or that never runs twice (the message says why, in one line)."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: either a fixed interval (`every_seconds`) or the sets of matching field values."""

    expression: str
    every_seconds: int | None = None
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()  # 0 = Sunday
    day_either: bool = False  # day-of-month and day-of-week both restricted: a day matches either

    def runs_on(self, day: dt.date) -> bool:
        if self.every_seconds is not None:
            return True
        if day.month not in self.months:
            return False
        dom, dow = day.day in self.days, day.isoweekday() % 7 in self.weekdays
        return (dom or dow) if self.day_either else (dom and dow)


def _number(token: str, field: str, names: dict[str, int], expr: str) -> int:
    if token.lower() in names:
        return names[token.lower()]
    if not _DIGITS.fullmatch(token):
        raise CronError(f"unsupported {field} token {token!r} in {expr!r}")
    return int(token)


def _field(text: str, field: str, lo: int, hi: int, names: dict[str, int], expr: str) -> tuple[frozenset[int], bool]:
    """(values, unrestricted) of one field."""
    values: set[int] = set()
    unrestricted = False
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not _DIGITS.fullmatch(step_text) or int(step_text) == 0:
                raise CronError(f"{field} step must be a positive integer, got {item!r} in {expr!r}")
            step = int(step_text)
        if base in ("*", "?"):
            first, last = lo, hi
            unrestricted = unrestricted or step == 1
        else:
            low, dash, high = base.partition("-")
            first = _number(low, field, names, expr)
            last = _number(high, field, names, expr) if dash else (hi if slash else first)
        for value in (first, last):
            if not lo <= value <= hi:
                raise CronError(f"{field} {value} is outside {lo}–{hi} in {expr!r}")
        if first > last:
            raise CronError(f"{field} range {item!r} runs backwards in {expr!r}")
        values.update(range(first, last + 1, step))
    return frozenset(values), unrestricted


def _every(expr: str) -> int:
    duration = expr[len(_EVERY) :]
    if not _GO_DURATION.fullmatch(duration):
        raise CronError(f"@every takes a Go duration such as 6h or 1h30m, got {expr!r}")
    seconds = sum(Fraction(n) * _UNIT_SECONDS[u] for n, u in _GO_PART.findall(duration))
    if seconds <= 0:
        raise CronError(f"@every duration must be positive in {expr!r}")
    return max(1, int(seconds))  # the Go scheduler runs whole seconds, at least one


@lru_cache(maxsize=256)
def _parse(expr: str, every: bool) -> Schedule:
    text = expr.strip()
    if text.startswith("@"):
        if text.startswith(_EVERY):
            if not every:
                raise CronError(f"@every is not supported here (5 fields or @hourly…@yearly), got {expr!r}")
            return Schedule(expr, every_seconds=_every(text))
        if text not in DESCRIPTORS:
            raise CronError(f"unknown descriptor {expr!r} (expected @hourly, @daily, @weekly, @monthly or @yearly)")
        text = DESCRIPTORS[text]
    parts = text.split()
    if len(parts) != 5:
        raise CronError(f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)} in {expr!r}")
    (minutes, _), (hours, _), (days, dom_any), (months, _), (weekdays, dow_any) = (
        _field(part, field, lo, hi, names, expr) for part, (field, lo, hi, names) in zip(parts, _FIELDS, strict=True)
    )
    return Schedule(expr, None, minutes, hours, days, months, weekdays, day_either=not (dom_any or dow_any))


def parse(expr: str, *, every: bool = True) -> Schedule:
    """The parsed schedule; CronError when `expr` is not valid (or is `@every …` with every=False)."""
    if not isinstance(expr, str):
        raise CronError(f"expected a cron string, got {expr!r}")
    return _parse(expr, every)


@lru_cache(maxsize=1)
def _calendar() -> tuple[dt.date, ...]:
    return tuple(_SIM_START + dt.timedelta(days=i) for i in range(_SIM_DAYS))


@lru_cache(maxsize=256)
def _longest_gap(schedule: Schedule) -> int:
    if schedule.every_seconds is not None:
        return schedule.every_seconds
    times = sorted(h * 3600 + m * 60 for h in schedule.hours for m in schedule.minutes)
    days = [i for i, day in enumerate(_calendar()) if schedule.runs_on(day)]
    if not days or (len(days) == 1 and len(times) == 1):
        raise CronError(f"{schedule.expression!r} never runs (or runs only once) in eight years")
    longest = max((b - a for a, b in itertools.pairwise(times)), default=0)
    for a, b in itertools.pairwise(days):
        longest = max(longest, (b - a) * 86400 + times[0] - times[-1])
    return longest


def period_seconds(expr: str, *, every: bool = True) -> int:
    """The longest interval between two consecutive runs of `expr` (UTC), in whole seconds.

    24 h for "0 3 * * *", 72 h for "0 3 * * mon-fri" (Friday → Monday), 31 days for "0 0 1 * *".
    CronError when the schedule is invalid or never runs twice (e.g. "0 0 30 2 *").
    """
    return _longest_gap(parse(expr, every=every))


def validate(expr: str, *, every: bool = True) -> str:
    """`expr` unchanged when it is a valid schedule that runs repeatedly; CronError (one line) otherwise."""
    period_seconds(expr, every=every)
    return expr


def _restricted(text: str, field: int, expr: str) -> bool:
    name, lo, hi, names = _FIELDS[field]
    return not _field(text, name, lo, hi, names, expr)[1]


def to_aws(expr: str) -> str:
    """`expr` (five fields or @hourly…@yearly, UTC) as an AWS cron expression, e.g. "0 5 * * sun" →
    "cron(0 5 ? * SUN *)". Days of the week are written by name (AWS numbers them 1–7 from Sunday, cron 0–6) and
    the unrestricted day field becomes `?`. CronError for @every and for a schedule that restricts both day fields
    ("the 1st or any Monday"): AWS requires one of them to be `?`, so it has no AWS form."""
    text = expr.strip() if isinstance(expr, str) else expr
    schedule = parse(text, every=False)
    validate(text, every=False)
    fields = DESCRIPTORS.get(text, text).split()
    if schedule.day_either:
        raise CronError(f"{expr!r} restricts both day-of-month and day-of-week; AWS cron needs one of them to be ?")
    minute, hour, dom, month, dow = fields
    if _restricted(dow, 4, expr):
        dom, dow = "?", ",".join(_DAY_NAMES[d] for d in sorted(schedule.weekdays))
    else:
        dom, dow = ("*" if dom == "?" else dom), "?"
    if _restricted(month, 3, expr):
        month = ",".join(str(m) for m in sorted(schedule.months))
    return f"cron({minute} {hour} {dom} {month} {dow} *)"


def _aws_weekday(token: str, expr: str) -> str:
    if not _DIGITS.fullmatch(token):
        return token  # a name (or *), the same in both forms
    if not 1 <= int(token) <= 7:
        raise CronError(f"AWS day-of-week {token} is outside 1–7 in {expr!r}")
    return str(int(token) - 1)


def from_aws(expr: str) -> str:
    """The five-field schedule an AWS cron expression runs on ("cron(0 5 ? * SUN *)" → "0 5 * * SUN"), for
    `period_seconds`. CronError for what AWS accepts but this parser does not: L, W, # and a restricted year."""
    m = _AWS_CRON.fullmatch(expr) if isinstance(expr, str) else None
    if not m:
        raise CronError(f"expected an AWS cron expression such as cron(0 5 ? * * *), got {expr!r}")
    minute, hour, dom, month, dow, year = m.groups()
    if year not in ("*", "?"):
        raise CronError(f"a restricted year field is not supported in {expr!r}")
    if any(c in dom for c in "LW#") or "#" in dow or re.search(r"(^|[,/-])\d*L($|[,/-])", dow):
        raise CronError(f"L, W and # are not supported in {expr!r}")
    items = []
    for item in dow.split(","):
        base, slash, step = item.partition("/")
        low, dash, high = base.partition("-")
        if base in ("*", "?"):
            items.append("*" + (slash + step if slash else ""))
            continue
        converted = _aws_weekday(low, expr) + (dash + _aws_weekday(high, expr) if dash else "")
        items.append(converted + (slash + step if slash else ""))
    standard = " ".join((minute, hour, "*" if dom == "?" else dom, month, ",".join(items)))
    parse(standard, every=False)
    return standard


def aws_period_seconds(expr: str) -> int:
    """The longest interval between two runs of an AWS cron expression, in seconds (see `period_seconds`)."""
    return period_seconds(from_aws(expr), every=False)
