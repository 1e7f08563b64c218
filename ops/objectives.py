"""The recovery objectives verify and the drill judge against, and where each one came from.

One source of truth: the `recovery-budget` policy's properties in the policy pack's per-stack config
`policy/config/<stack>.json` — the file CI passes to `pulumi preview --policy-pack-config`. They are read the way
preflight hands them to the pack (preflight.analysis: the file's values over the policy's schema defaults, validated
against its config schema), so the drill measures against exactly the numbers the recovery-budget policy checks the
stack's design against. `--rto-seconds` / `--rpo-seconds` override them; the evidence records which one applied.

The drill's RPO is the database's (canary rows or ReplicaLag), so its objective is the `database` class objective of
the recovery budget: `rpoSecondsByClass.database` when set, else `rpoSeconds` (policy.recovery decides, not this file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contract.recovery import (
    APP_RECONNECT_KEY,
    DB_PROMOTION_KEY,
    RECOVERY_BUDGET_POLICY,
    RPO_BY_CLASS_KEY,
    RPO_KEY,
    RTO_KEY,
)

POLICY = RECOVERY_BUDGET_POLICY
PROJECT_DIR = Path(__file__).resolve().parent.parent
RTO, RPO = RTO_KEY, RPO_KEY
FLAGS = {RTO: "--rto-seconds", RPO: "--rpo-seconds"}
PHASES = (DB_PROMOTION_KEY, APP_RECONNECT_KEY)  # RTO terms the policy assumes and the drill measures


class ObjectivesError(ValueError):
    """The policy config cannot give an objective. `str()` is the one line shown to the user (exit 2)."""


@dataclass(frozen=True)
class Objectives:
    """Objective seconds by key (rtoSeconds, rpoSeconds) and, for each, where it came from."""

    seconds: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    phase_budget: dict[str, float] = field(default_factory=dict)  # dbPromotionSeconds, appReconnectSeconds

    def describe(self, key: str) -> str:
        return f"{self.seconds[key]:g} s from {self.sources[key]}"


def policy_config_path(stack: str) -> Path:
    return PROJECT_DIR / "policy" / "config" / f"{stack}.json"


def _shown(path: Path) -> str:
    """The path as preflight shows it: relative to the project when it lies inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_DIR))
    except ValueError:
        return str(path)


def policy_properties(path: Path, policy: str) -> tuple[dict[str, Any], set[str]]:
    """One policy's properties from a policy config file, with the policy's schema defaults filled in and validated
    as preflight does, and the names of those the file sets itself. Raises settings.ConfigError.

    The program reads the AWS Backup requirements through this too (settings/backup.py): the Audit Manager
    framework encodes exactly the numbers the policy pack enforces."""
    from policy.policies import ALL
    from preflight.analysis import load_policy_config, policy_entry
    from preflight.analysis import policy_properties as validated

    shown = _shown(path)
    schema = next(p for p in ALL if p.name == policy).config_schema
    assert schema is not None
    entry = policy_entry(load_policy_config(path, shown), policy, shown)
    filled = validated(policy, entry, schema.properties, list(schema.required or []), shown)
    return filled, set(entry) - {"enforcementLevel"}


def recovery_properties(path: Path) -> tuple[dict[str, Any], set[str]]:
    """The recovery-budget policy's properties from one policy config file (see `policy_properties`)."""
    return policy_properties(path, POLICY)


def resolve(
    stack: str,
    flags: dict[str, float | None],
    *,
    config_file: Path | None = None,
    flag_hint: bool = True,
) -> Objectives:
    """Objectives for `flags`' keys (rtoSeconds, rpoSeconds): the flag when given, else the stack's policy config.

    The file is read only when some objective has no flag; a missing or malformed file is an ObjectivesError
    (naming the flags that would replace it, unless `flag_hint` is off: the program has no flags).
    """
    seconds = {key: float(value) for key, value in flags.items() if value is not None}
    sources = {key: FLAGS[key] for key in seconds}
    if len(seconds) == len(flags):
        return Objectives(seconds, sources)
    from policy import recovery
    from settings import ConfigError

    path = config_file or policy_config_path(stack)
    shown = _shown(path)
    try:
        props, in_file = recovery_properties(path)
    except ConfigError as err:
        given = " and ".join(FLAGS[key] for key in flags)
        hint = f"; or pass {given}" if flag_hint else ""
        raise ObjectivesError(f"{err} (the {POLICY} policy there holds the objectives{hint})") from None
    database = next(e for e in recovery.recovery_budget([], props)["rpo"] if e["dataClass"] == "database")
    by_class = props.get(RPO_BY_CLASS_KEY) or {}
    from_policy: dict[str, tuple[Any, str]] = {
        RTO: (props[RTO], RTO),
        RPO: (database["objectiveSeconds"], f"{RPO_BY_CLASS_KEY}.database" if "database" in by_class else RPO),
    }
    for key in flags:
        if key in seconds:
            continue
        value, prop = from_policy[key]
        if value is None:
            raise ObjectivesError(
                f"{shown}: {POLICY}: {prop} is null (no database RPO objective): pass {FLAGS[key]} to set one"
            )
        seconds[key] = value
        top = prop.split(".", 1)[0]
        sources[key] = f"{shown} ({POLICY}.{prop}{'' if top in in_file else ', schema default'})"
    return Objectives(seconds, sources, {k: float(props[k]) for k in PHASES if props.get(k) is not None})
