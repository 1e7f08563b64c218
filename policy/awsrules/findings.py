"""What a check finds: one violation (resource, input path, value, rule) and the bookkeeping of a run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from policy.resources import UNKNOWN

VALUE_LIMIT = 80  # characters of a value shown in a message; the rest is elided
SENSITIVE = "[sensitive]"


def shown(value: Any, *, sensitive: bool = False) -> str:
    """A value for a one-line message: repr-quoted, escaped, truncated; sensitive values never shown."""
    if sensitive:
        return SENSITIVE
    if value is UNKNOWN:
        return "<computed>"
    text = repr(value)
    if len(text) > VALUE_LIMIT:
        text = text[: VALUE_LIMIT - 1] + "…"
    return text


@dataclass(frozen=True)
class Finding:
    """One input AWS would refuse."""

    urn: str
    path: str  # Pulumi input path: rules[0].visibilityConfig.metricName
    value: str  # already rendered by `shown`
    rule: str  # "pattern …", "one of …", "length …", "range …", "AWS: …"
    where: str = ""  # the API member or the doc page the rule comes from

    def message(self) -> str:
        where = f" [{self.where}]" if self.where else ""
        return f"{self.urn}: {self.path} = {self.value}: {self.rule}{where}"


@dataclass
class Tally:
    """Counts of one model check: what was compared, and what was not and why."""

    values_checked: int = 0  # leaf values compared with an API member's shape
    constraints_checked: int = 0  # enum/pattern/length/range/required comparisons made
    unknown: int = 0  # values only known after deploy: skipped, never guessed
    patterns_unchecked: int = 0  # pattern comparisons skipped (not translatable, or matching timed out)
    members: set[str] = field(default_factory=set)  # API members with a constraint that was compared
    unmapped: Counter[str] = field(default_factory=Counter)  # "type: input path" with no API member
    mismatched: Counter[str] = field(default_factory=Counter)  # "type: path (expected X, got Y)"
    not_checked_types: Counter[str] = field(default_factory=Counter)  # types explicitly not checked
    unmapped_types: Counter[str] = field(default_factory=Counter)  # AWS types with no mapping at all
    types: set[str] = field(default_factory=set)  # types that were checked

    def add(self, other: Tally) -> None:
        self.values_checked += other.values_checked
        self.constraints_checked += other.constraints_checked
        self.unknown += other.unknown
        self.patterns_unchecked += other.patterns_unchecked
        self.members |= other.members
        self.unmapped.update(other.unmapped)
        self.mismatched.update(other.mismatched)
        self.not_checked_types.update(other.not_checked_types)
        self.unmapped_types.update(other.unmapped_types)
        self.types |= other.types

    def to_json(self) -> dict[str, Any]:
        """Everything, JSON-safe: the pack hands its tallies to preflight this way (see policy/policies/aws_rules)."""
        return {
            "values_checked": self.values_checked,
            "constraints_checked": self.constraints_checked,
            "unknown": self.unknown,
            "patterns_unchecked": self.patterns_unchecked,
            "members": sorted(self.members),
            "unmapped": dict(self.unmapped),
            "mismatched": dict(self.mismatched),
            "not_checked_types": dict(self.not_checked_types),
            "unmapped_types": dict(self.unmapped_types),
            "types": sorted(self.types),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Tally:
        return cls(
            values_checked=int(doc["values_checked"]),
            constraints_checked=int(doc["constraints_checked"]),
            unknown=int(doc["unknown"]),
            patterns_unchecked=int(doc["patterns_unchecked"]),
            members=set(doc["members"]),
            unmapped=Counter(doc["unmapped"]),
            mismatched=Counter(doc["mismatched"]),
            not_checked_types=Counter(doc["not_checked_types"]),
            unmapped_types=Counter(doc["unmapped_types"]),
            types=set(doc["types"]),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "typesChecked": len(self.types),
            "valuesChecked": self.values_checked,
            "constraintsChecked": self.constraints_checked,
            "membersChecked": len(self.members),
            "unknownSkipped": self.unknown,
            "patternsUnchecked": self.patterns_unchecked,
            "unmappedInputs": dict(sorted(self.unmapped.items())),
            "typeMismatches": dict(sorted(self.mismatched.items())),
            "typesNotChecked": dict(sorted(self.not_checked_types.items())),
            "typesWithoutMapping": dict(sorted(self.unmapped_types.items())),
        }
