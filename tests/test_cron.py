"""contract/cron.py — the one cron parser (settings, the recovery model, ops verify and the program all use it).

Reference semantics: robfig/cron v3 ParseStandard, the parser Velero and Karpenter run.
"""

import pytest

from contract import cron
from contract.cron import CronError, parse, period_seconds, validate

H, D = 3600, 86400


@pytest.mark.parametrize(
    ("expr", "seconds"),
    [
        # plain fields, lists, ranges, steps
        ("0 3 * * *", D),
        ("0 * * * *", H),
        ("*/15 * * * *", 900),
        ("0 */6 * * *", 6 * H),
        ("30 1,13 * * *", 12 * H),
        ("0 6,18 * * *", 12 * H),
        ("0 8-18/2 * * *", 14 * H),  # 18:00 → 08:00
        ("5/20 * * * *", 20 * 60),  # N/STEP means N-max/STEP: :05, :25, :45
        ("0  3 *  * *", D),  # runs of spaces separate fields too
        ("0 3 ? * *", D),  # ? is any
        # day-of-week: numbers, names in any case, ranges of names
        ("0 2 * * 0", 7 * D),
        ("30 2 * * 0", 7 * D),
        ("0 3 * * 1", 7 * D),
        ("0 2 * * SUN", 7 * D),
        ("0 3 * * mon-fri", 72 * H),  # Friday 03:00 → Monday 03:00
        ("30 2 * * 1-5", 72 * H),
        ("0 9-17 * * MON-FRI", 64 * H),  # Friday 17:00 → Monday 09:00
        # day-of-month and month
        ("0 0 1 * *", 31 * D),  # the longest month
        ("0 0 1 Jan *", 366 * D),  # 2024 is a leap year
        ("0 0 1 jan,jul *", 184 * D),  # 1 July → 1 January
        ("0 0 29 2 *", 4 * 366 * D - 3 * D),  # leap days only: 29 Feb 2024 → 29 Feb 2028 (1461 days)
        # both day fields restricted: a day matches either
        ("0 0 1,15 * 1", 7 * D),
        ("0 3 1,15 * mon", 7 * D),
        ("0 0 13 * fri", 7 * D),
        ("0 0 1 * */2", 2 * D),  # */2 restricts (Sun, Tue, Thu, Sat) … or the 1st
        # a bare * or ? (step 1) leaves a day field unrestricted: both must match
        ("0 0 1 * ?", 31 * D),
        ("0 0 1 * */1", 31 * D),
        # descriptors
        ("@hourly", H),
        ("@daily", D),
        ("@midnight", D),
        ("@weekly", 7 * D),
        ("@monthly", 31 * D),
        ("@yearly", 366 * D),
        ("@annually", 366 * D),
        # @every with a Go duration: whole seconds, at least one
        ("@every 6h", 6 * H),
        ("@every 1h30m", 5400),
        ("@every 1.5h", 5400),
        ("@every 90s", 90),
        ("@every 1500ms", 1),
        ("@every 500ms", 1),
    ],
)
def test_period_is_the_longest_gap_between_two_runs(expr, seconds):
    assert period_seconds(expr) == seconds


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        # shape
        ("0 3 * *", "expected 5 fields"),
        ("0 0 3 * * *", "expected 5 fields"),  # no seconds field
        ("", "expected 5 fields"),
        ("every day", "expected 5 fields"),
        # ranges (day-of-week 7 is not Sunday for Velero/Karpenter's parser)
        ("61 * * * *", "minute 61 is outside 0–59"),
        ("0 24 * * *", "hour 24 is outside 0–23"),
        ("0 0 0 * *", "day-of-month 0 is outside 1–31"),
        ("0 0 * 13 *", "month 13 is outside 1–12"),
        ("0 0 * * 7", "day-of-week 7 is outside 0–6"),
        ("0 17-9 * * *", "runs backwards"),
        # steps
        ("*/0 * * * *", "step must be a positive integer"),
        ("*/x * * * *", "step must be a positive integer"),
        ("0/ * * * *", "step must be a positive integer"),
        # tokens the Go parser does not know
        ("0 3 L * *", "unsupported day-of-month token 'L'"),
        ("0 3 15W * *", "unsupported day-of-month token"),
        ("0 3 ? * 1#2", "unsupported day-of-week token"),
        ("H 3 * * *", "unsupported minute token"),
        ("0 3 * * funday", "unsupported day-of-week token"),
        ("0 3 * mon *", "unsupported month token 'mon'"),  # names belong to their own field
        ("0 jan * * *", "unsupported hour token"),
        ("0 3 * * mon-", "unsupported day-of-week token ''"),
        ("0,,5 * * * *", "unsupported minute token ''"),
        ("*-5 * * * *", "unsupported minute token '*'"),
        # descriptors are lower case, as in Go
        ("@DAILY", "unknown descriptor"),
        ("@fortnightly", "unknown descriptor"),
        # @every
        ("@every soon", "Go duration"),
        ("@every 1h 30m", "Go duration"),
        ("@every 6", "Go duration"),
        ("@every -5m", "Go duration"),
        ("@every 0s", "must be positive"),
        # never runs (twice)
        ("0 0 30 2 *", "never runs"),
        ("0 0 31 4,6,9,11 *", "never runs"),
    ],
)
def test_invalid_or_never_repeating_schedules_raise_one_line_cron_error(expr, reason):
    with pytest.raises(CronError) as e:
        period_seconds(expr)
    assert reason in str(e.value) and "\n" not in str(e.value)


def test_cron_error_is_a_value_error():
    assert issubclass(CronError, ValueError)


def test_a_non_string_is_a_cron_error():
    with pytest.raises(CronError, match="expected a cron string"):
        parse(None)  # type: ignore[arg-type]


def test_validate_returns_the_expression_unchanged():
    assert validate("0 3 * * mon-fri") == "0 3 * * mon-fri"
    assert validate("@every 6h") == "@every 6h"


def test_validate_rejects_a_schedule_that_parses_but_never_runs():
    parse("0 0 30 2 *")  # syntactically fine …
    with pytest.raises(CronError, match="never runs"):
        validate("0 0 30 2 *")  # … but there is no 30 February


def test_every_false_rejects_at_every_but_keeps_the_other_descriptors():
    with pytest.raises(CronError, match="@every is not supported here"):
        validate("@every 6h", every=False)
    assert validate("@daily", every=False) == "@daily"
    assert period_seconds("0 8 * * mon-fri", every=False) == 72 * H


def test_parse_exposes_the_matching_values():
    s = parse("5/20 9-17/4 * jan,Dec mon-fri")
    assert (s.minutes, s.hours, s.months, s.weekdays) == ({5, 25, 45}, {9, 13, 17}, {1, 12}, {1, 2, 3, 4, 5})
    assert s.days == frozenset(range(1, 32)) and s.day_either is False and s.every_seconds is None
    assert parse("0 0 1,15 * 1").day_either is True
    assert parse("@every 2h").every_seconds == 7200


def test_descriptors_expand_to_their_five_field_equivalents():
    for descriptor, fields in cron.DESCRIPTORS.items():
        assert period_seconds(descriptor) == period_seconds(fields)


# --- AWS cron (AWS Backup plans and restore testing plans) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "aws"),
    [
        ("0 5 * * *", "cron(0 5 * * ? *)"),  # day-of-week unrestricted: it becomes ?
        ("0 6 * * sun", "cron(0 6 ? * SUN *)"),  # day-of-week restricted: day-of-month becomes ?, names not numbers
        ("30 2 * * 1-5", "cron(30 2 ? * MON,TUE,WED,THU,FRI *)"),  # cron 1 is Monday; AWS 1 would be Sunday
        ("0 0 1 jan,jul *", "cron(0 0 1 1,7 ? *)"),
        ("0 */6 * * *", "cron(0 */6 * * ? *)"),
        ("@weekly", "cron(0 0 ? * SUN *)"),
        ("0 3 ? * *", "cron(0 3 * * ? *)"),
    ],
)
def test_to_aws_writes_awss_six_field_form_that_runs_at_the_same_times(expr, aws):
    assert cron.to_aws(expr) == aws
    assert cron.aws_period_seconds(aws) == period_seconds(expr)


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("0 0 1 * mon", "restricts both day-of-month and day-of-week"),
        ("@every 6h", "@every is not supported here"),
        ("0 0 30 2 *", "never runs"),
    ],
)
def test_schedules_aws_cannot_run_have_no_aws_form(expr, reason):
    with pytest.raises(CronError, match=reason):
        cron.to_aws(expr)


@pytest.mark.parametrize(
    ("aws", "standard"),
    [
        ("cron(0 5 ? * 1 *)", "0 5 * * 0"),  # AWS numbers days 1–7 from Sunday
        ("cron(0 5 ? * 2-6 *)", "0 5 * * 1-5"),
        ("cron(0 12 ? * MON,FRI *)", "0 12 * * MON,FRI"),
        ("cron(15 10 * * ? *)", "15 10 * * *"),
    ],
)
def test_from_aws_reads_an_aws_expression_back_into_five_fields(aws, standard):
    assert cron.from_aws(aws) == standard


@pytest.mark.parametrize(
    ("aws", "reason"),
    [
        ("rate(1 day)", "expected an AWS cron expression"),
        ("cron(0 5 * * ? 2030)", "restricted year"),
        ("cron(0 5 L * ? *)", "L, W and # are not supported"),
        ("cron(0 5 ? * 6#3 *)", "L, W and # are not supported"),
        ("cron(0 5 ? * 8 *)", "AWS day-of-week 8 is outside 1–7"),
    ],
)
def test_aws_expressions_this_parser_cannot_judge_are_one_line_cron_errors(aws, reason):
    with pytest.raises(CronError, match=reason):
        cron.aws_period_seconds(aws)
