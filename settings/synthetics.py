"""Settings for the synthetics and alert routing: blackbox probes, PrometheusRule, Alertmanager."""

from __future__ import annotations

import re
from dataclasses import dataclass

import monitoring
from contract.cron import period_seconds
from settings import schema as s
from settings.loader import Values

# Kubernetes label syntax: optional DNS-subdomain prefix + "/" + name (≤ 63), value ≤ 63 (may be empty).
_LABEL_NAME = r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?"
_LABEL_KEY = re.compile(rf"([a-z0-9]([a-z0-9.-]{{0,251}}[a-z0-9])?/)?{_LABEL_NAME}")
_LABEL_VALUE = re.compile(rf"({_LABEL_NAME})?")
_INTERVAL = re.compile(r"([1-9][0-9]*)(s|m)")

# GatewayDown fires after `for: 2m`; at most 60 s between probes gives it at least two failed probes to go on.
MIN_PROBE_SECONDS, MAX_PROBE_SECONDS = 10, 60
# CloudWatch Synthetics canary names are <service>-<environment>-<check>, [0-9a-z_-]+ (synthetics CanaryName), kept
# to 21 characters: Synthetics names the canary's Lambda function cwsyn-<name>-<36-character id>, and Lambda
# function names stop at 64. Probe target name -> the check word in its canary's name.
MAX_CANARY_NAME = 21
CANARY_CHECK_NAMES = {"gateway-graphql": "graphql", "wallet-verify": "wallet"}


def _label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not _LABEL_KEY.fullmatch(key) or not _LABEL_VALUE.fullmatch(value):
        raise ValueError(text)
    return key, value


def interval_seconds(text: str) -> int:
    m = _INTERVAL.fullmatch(text)
    if m is None:
        raise ValueError(text)
    return int(m.group(1)) * (60 if m.group(2) == "m" else 1)


@dataclass(frozen=True)
class SyntheticsSettings:
    # blackbox exporter, Probes, PrometheusRule, AlertmanagerConfig and its Secrets
    namespace: str = s.setting("syntheticsNamespace", s.dns_label())
    # Prometheus duration, e.g. "30s"
    probe_interval: str = s.setting(
        "probeInterval", s.composite(lambda t: (interval_seconds(t), t)[1], 'a duration such as "30s" or "1m"')
    )
    probe_wallet_enabled: bool = s.setting("probeWalletEnabled", s.boolean())
    prometheus_selector_labels: tuple[tuple[str, str], ...] = s.setting(
        "prometheusSelectorLabels",
        s.array(s.composite(_label, 'a Kubernetes label as "key=value", e.g. "release=kube-prometheus-stack"')),
    )
    # where kube-prometheus-stack's Grafana sidecar looks for dashboards
    grafana_dashboard_namespace: str = s.setting("grafanaDashboardNamespace", s.dns_label())
    # CloudWatch Synthetics: rate(1 minute)–rate(1 hour) (CanaryScheduleInput); run records 1–455 days.
    # Canaries in both regions run this often; run artifacts and run records are kept this long.
    canary_interval_minutes: int = s.setting("canaryIntervalMinutes", s.integer(1, 60))
    canary_artifact_retention_days: int = s.setting("canaryArtifactRetentionDays", s.integer(1, 455))

    @property
    def selector_labels(self) -> dict[str, str]:
        """Labels the cluster's Prometheus operator selects Probes, PrometheusRules and AlertmanagerConfigs on."""
        return dict(self.prometheus_selector_labels)


KEYS = s.keys_of(SyntheticsSettings)


def build(v: Values) -> SyntheticsSettings:
    seconds = interval_seconds(v["probeInterval"])
    if not MIN_PROBE_SECONDS <= seconds <= MAX_PROBE_SECONDS:
        raise v.fail(
            "probeInterval",
            f"expected {MIN_PROBE_SECONDS}s–{MAX_PROBE_SECONDS}s (GatewayDown waits 2m and needs at least two "
            f"failed probes), got {s.show(v['probeInterval'])}",
        )
    labels = v["prometheusSelectorLabels"]
    keys = [k for k, _ in labels]
    duplicate = next((k for k in keys if keys.count(k) > 1), None)
    if duplicate is not None:
        raise v.fail("prometheusSelectorLabels", f"sets label {s.show(duplicate)} twice")
    _check_dr_rule_thresholds(v)
    _check_canary_names(v)
    return s.build_from(SyntheticsSettings, v)


def _check_canary_names(v: Values) -> None:
    """Canary names are <service>-<environment>-<check> and must fit components/canaries.py MAX_CANARY_NAME."""
    service, environment = v.get("service"), v.get("environment")
    if not service or not environment:
        return
    longest = f"{service}-{environment}-{max(CANARY_CHECK_NAMES.values(), key=len)}"
    if len(longest) > MAX_CANARY_NAME:
        raise v.fail(
            "service",
            f"canary names would be up to {len(longest)} characters ({s.show(longest)}); Synthetics canaries may "
            f"have at most {MAX_CANARY_NAME} here (their Lambda function is cwsyn-<name>-<id>, ≤ 64)",
        )


def _check_dr_rule_thresholds(v: Values) -> None:
    """monitoring/rules/dr.yml has fixed thresholds (promtool tests exactly what is deployed); the data tier's
    replica-lag alarm and the Velero schedules must agree with them, or the stack fails here, in one line."""
    lag = v.get("dbReplicaLagAlarmSeconds")
    schedules = v.get("veleroSchedules")
    if lag is None or not schedules:
        return
    # Each cron was validated by the same parser (settings/cluster.py), so every schedule has a period.
    expected = monitoring.expected_thresholds(lag, {sch.name: period_seconds(sch.cron) for sch in schedules})
    for key, alert in (
        ("dbReplicaLagAlarmSeconds", monitoring.REPLICA_LAG_ALERT),
        ("veleroSchedules", monitoring.BACKUP_AGE_ALERT),
        ("veleroSchedules", monitoring.HOURLY_BACKUP_AGE_ALERT),
    ):
        if alert not in expected:
            continue
        have = monitoring.alert_threshold(alert)
        if have != expected[alert]:
            raise v.fail(
                key,
                f"implies {alert} at {expected[alert]} s but monitoring/rules/dr.yml alerts at {have:g} s; "
                "change the rule and its promtool test with this setting",
            )
