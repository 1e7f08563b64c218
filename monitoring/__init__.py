"""The monitoring source of truth: blackbox modules, Prometheus rule files and their promtool tests.

These YAML files are what gets deployed (components/synthetics.py loads them into the blackbox exporter's
Helm values and the PrometheusRule) and what the real tools test (tests/test_monitoring_tools.py runs
promtool and the blackbox exporter on them). Nothing here is copied into Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

MONITORING_DIR = Path(__file__).resolve().parent
BLACKBOX_CONFIG = MONITORING_DIR / "blackbox.yml"
RULES_DIR = MONITORING_DIR / "rules"
RULE_TESTS_DIR = MONITORING_DIR / "tests"

# `<expr> > 60` — the threshold an alert compares against, as written at the end of its expression.
_TRAILING_THRESHOLD = re.compile(r">\s*([0-9]+(?:\.[0-9]+)?)\s*$")


def rule_files() -> list[Path]:
    return sorted(RULES_DIR.glob("*.yml"))


def blackbox_modules() -> dict[str, Any]:
    """The `modules:` mapping of monitoring/blackbox.yml (the Helm chart's `config.modules`)."""
    doc = yaml.safe_load(BLACKBOX_CONFIG.read_text())
    modules = doc["modules"]
    if not isinstance(modules, dict) or not modules:
        raise ValueError(f"{BLACKBOX_CONFIG}: expected a non-empty `modules:` mapping")
    return modules


def rule_groups() -> list[dict[str, Any]]:
    """Every rule group of every monitoring/rules/*.yml file, in file order (the PrometheusRule's spec.groups)."""
    groups: list[dict[str, Any]] = []
    for path in rule_files():
        groups.extend(yaml.safe_load(path.read_text())["groups"])
    names = [g["name"] for g in groups]
    if len(set(names)) != len(names):
        raise ValueError(f"{RULES_DIR}: rule group names must be unique, got {names}")
    return groups


def alerting_rules() -> dict[str, dict[str, Any]]:
    """Alerting rules by alert name."""
    out: dict[str, dict[str, Any]] = {}
    for group in rule_groups():
        for rule in group["rules"]:
            if "alert" in rule:
                if rule["alert"] in out:
                    raise ValueError(f"{RULES_DIR}: alert {rule['alert']} is defined twice")
                out[rule["alert"]] = rule
    return out


def alert_threshold(alert: str) -> float:
    """The number an alert's expression ends with after `>` (e.g. 60 for `... > 60`)."""
    expr = " ".join(str(alerting_rules()[alert]["expr"]).split())
    m = _TRAILING_THRESHOLD.search(expr)
    if m is None:
        raise ValueError(f"{RULES_DIR}: alert {alert} does not end in `> <number>`: {expr}")
    return float(m.group(1))


REPLICA_LAG_ALERT = "DatabaseReplicaLagHigh"
BACKUP_AGE_ALERT = "VeleroBackupTooOld"
HOURLY_BACKUP_AGE_ALERT = "VeleroHourlyBackupTooOld"
# The schedule name the hourly alert watches (seed 004's hourly volume snapshots of the stateful namespaces); every
# other schedule is watched by VeleroBackupTooOld. A Prometheus rule cannot read a schedule's period, so the split is
# by name and settings check each threshold against the periods the stack configures.
HOURLY_SCHEDULE = "hourly"
# VeleroBackupTooOld tolerates the longest gap between scheduled backups plus this much for a slow backup.
BACKUP_AGE_SLACK_SECONDS = 2 * 3600
# The hourly schedule backs the 1 h cluster-state RPO of its namespaces: half an hour of slack, not two.
HOURLY_BACKUP_AGE_SLACK_SECONDS = 30 * 60


def expected_thresholds(replica_lag_alarm_seconds: int, backup_intervals: Mapping[str, int]) -> dict[str, int]:
    """The thresholds the DR rules must carry for a stack: the data tier's replica-lag alarm (the same number
    CloudWatch alarms on); the hourly schedule's period plus HOURLY_BACKUP_AGE_SLACK_SECONDS (when the stack has
    one); the longest period of the other schedules plus BACKUP_AGE_SLACK_SECONDS. `backup_intervals`: schedule
    name -> seconds between two of its backups."""
    out = {REPLICA_LAG_ALERT: replica_lag_alarm_seconds}
    others = [seconds for name, seconds in backup_intervals.items() if name != HOURLY_SCHEDULE]
    if others:
        out[BACKUP_AGE_ALERT] = max(others) + BACKUP_AGE_SLACK_SECONDS
    if HOURLY_SCHEDULE in backup_intervals:
        out[HOURLY_BACKUP_AGE_ALERT] = backup_intervals[HOURLY_SCHEDULE] + HOURLY_BACKUP_AGE_SLACK_SECONDS
    return out


def threshold_mismatches(replica_lag_alarm_seconds: int, backup_intervals: Mapping[str, int]) -> list[str]:
    """One sentence per DR rule whose fixed threshold differs from what the stack's settings imply."""
    out = []
    for alert, want in expected_thresholds(replica_lag_alarm_seconds, backup_intervals).items():
        have = alert_threshold(alert)
        if have != want:
            out.append(
                f"monitoring/rules/dr.yml alerts {alert} above {have:g} s, but this stack needs {want} s "
                "(change the rule and its promtool test together with the setting)"
            )
    return out
