"""AWS model patterns are Java regexes: each Java-ism translates to what Java would match, or is recorded unchecked."""

from __future__ import annotations

import pytest
import regex

from policy.awsrules import botomodel
from policy.awsrules.javaregex import FLAGS, PatternCache, UnsupportedPattern, full_match, translate
from policy.awsrules.mapping import TYPES, TypeMap


def matches(pattern: str, value: str) -> bool:
    return regex.fullmatch(translate(pattern), value, flags=FLAGS) is not None


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        # \p{L} etc. are Unicode categories in Java too: letters beyond ASCII pass (WAFv2 tag keys).
        (r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$", "Kostenstelle é 1", True),
        (r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$", "cost(center)", False),
        # \w is ASCII-only in Java (unless UNICODE_CHARACTER_CLASS): é is not a word character.
        (r"^[\w\-]+$", "acl-é", False),
        (r"^[\w\-]+$", "acl_1-x", True),
        (r"\d+", "١٢", False),  # Arabic-Indic digits are \d in Python, not in Java
        (r"\s", "\u00a0", False),
        # A "-" right after a shorthand class is a literal in Java ([\w-_] in CloudWatch Logs' model).
        (r"[\w-_]*", "a-b_c", True),
        (r"[\w-_]*", "a+b", False),
        # POSIX classes are US-ASCII in Java.
        (r"\p{Alpha}+", "abcé", False),
        (r"\p{Punct}", "!", True),
        (r"[\p{Alnum}]+", "a1Z", True),
        # \x{…}, \Q…\E, \z, \0oo
        (r"\x{41}b", "Ab", True),
        (r"\Qa.b\E", "a.b", True),
        (r"\Qa.b\E", "axb", False),
        (r"abc\z", "abc", True),
        (r"\0101", "A", True),
        # An escaped surrogate pair is one supplementary code point in Java (CloudTrail's PartitionKeyName).
        (r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*", "key \U0001f600", True),
        (r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*", "key\x01", False),
        (r"\u0041\u00e9", "A\u00e9", True),
        # Java's . stops at every line terminator, not only \n.
        (r".*", "a\rb", False),
        (r"(?s).*", "a\rb", True),
        # An inline flag mid-pattern scopes to its group (AWS Budgets' BudgetName).
        (r"^(?![^:\\]*/action/|(?i).*<script>.*</script>.*)[^:\\]+$", "a<SCRIPT>x</script>", False),
        (r"^(?![^:\\]*/action/|(?i).*<script>.*</script>.*)[^:\\]+$", "stack-budget-monthly", True),
        (r"(?:x(?i)b)c", "xbC", False),
        # Java's character class intersection and union.
        (r"[a-z&&[^aeiou]]+", "bcd", True),
        (r"[a-z&&[^aeiou]]+", "bad", False),
        (r"[a-c[x-z]]+", "abxz", True),
        # | and ~ inside a class are literals in Java (set operators in regex VERSION1).
        (r"[a||b]+", "a|b", True),
    ],
)
def test_java_pattern_matches_what_java_would_match(pattern, value, expected):
    assert matches(pattern, value) is expected


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(?U)\w+", "UNICODE_CHARACTER_CLASS flag (?U)"),
        (r"(?x) a b # comment", "COMMENTS flag (?x)"),
        (r"\p{javaLowerCase}", "Java-only character property \\p{javaLowerCase}"),
        (r"[abc", "unclosed character class"),
    ],
)
def test_untranslatable_pattern_raises_with_the_reason(pattern, reason):
    with pytest.raises(UnsupportedPattern, match=regex.escape(reason)):
        translate(pattern)


def test_a_pattern_that_cannot_be_compiled_is_recorded_unchecked_not_raised():
    cache = PatternCache()
    assert cache.get(r"\p{NoSuchProperty}") is None
    assert cache.get(r"(?U)\w") is None
    assert set(cache.unsupported) == {r"\p{NoSuchProperty}", r"(?U)\w"}


def test_compiled_patterns_are_cached_per_pattern():
    cache = PatternCache()
    assert cache.get(r"^[\w\-]+$") is cache.get(r"^[\w\-]+$")


def test_a_match_that_times_out_counts_as_unchecked(monkeypatch):
    monkeypatch.setattr("policy.awsrules.javaregex.MATCH_TIMEOUT_S", 0.001)
    monkeypatch.setattr("policy.awsrules.javaregex.MATCH_RETRY_TIMEOUT_S", 0.002)
    catastrophic = regex.compile(r"(a|aa)+$", FLAGS)  # exponential backtracking on a non-matching value
    assert full_match(catastrophic, "a" * 32 + "!") is None


def test_a_match_that_loses_its_first_timeout_to_a_busy_machine_is_tried_again():
    class Descheduled:
        """A pattern whose first attempt is preempted: it times out below 0.5 s, then matches."""

        def __init__(self):
            self.timeouts = []

        def fullmatch(self, value, timeout):
            self.timeouts.append(timeout)
            if timeout < 0.5:
                raise TimeoutError("regex timed out")
            return object()

    compiled = Descheduled()
    assert full_match(compiled, "summit-stage") is True
    assert len(compiled.timeouts) == 2


def test_every_pattern_of_every_mapped_service_compiles():
    services = {tm.service for tm in TYPES.values() if isinstance(tm, TypeMap)}
    cache = PatternCache()
    patterns = {
        (name, shape["pattern"])
        for name in services
        for shape in botomodel.service(name).shapes.values()
        if "pattern" in shape
    }
    for _, pattern in patterns:
        cache.get(pattern)
    assert len(patterns) > 250
    assert cache.unsupported == {}
