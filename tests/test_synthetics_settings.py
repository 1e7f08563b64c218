"""Synthetics settings: defaults, one-line errors, and the DR rules' agreement with the stack's settings."""

import pytest

from tests.harness import settings_error, stack_settings


def _error(overrides, stack="prod"):
    return settings_error(stack, overrides)


def test_defaults_probe_every_30s_in_namespace_synthetics_selected_by_the_kube_prometheus_stack_release():
    s = stack_settings("prod").synthetics
    assert (s.namespace, s.probe_interval, s.probe_wallet_enabled) == ("synthetics", "30s", True)
    assert s.selector_labels == {"release": "kube-prometheus-stack"}


def test_dev_probes_once_a_minute():
    assert stack_settings("dev").synthetics.probe_interval == "1m"


@pytest.mark.parametrize("interval", ["5s", "90s", "2m"])
def test_probe_interval_outside_10s_to_60s_is_rejected_because_gateway_down_needs_two_failures(interval):
    msg = _error({"probeInterval": interval})
    assert msg == (
        "Pulumi.prod.yaml: summit-resilience:probeInterval: expected 10s–60s (GatewayDown waits 2m and needs at "
        f'least two failed probes), got "{interval}"'
    )


def test_probe_interval_must_be_a_duration():
    assert 'probeInterval: expected a duration such as "30s" or "1m", got "half a minute"' in _error(
        {"probeInterval": "half a minute"}
    )


def test_selector_labels_must_be_key_equals_value():
    msg = _error({"prometheusSelectorLabels": ["release"]})
    assert 'prometheusSelectorLabels: item 0: expected a Kubernetes label as "key=value"' in msg


def test_selector_label_set_twice_is_rejected():
    msg = _error({"prometheusSelectorLabels": ["release=a", "release=b"]})
    assert msg == 'Pulumi.prod.yaml: summit-resilience:prometheusSelectorLabels: sets label "release" twice'


def test_replica_lag_alarm_that_differs_from_the_dr_rule_fails_in_one_line():
    msg = _error({"dbReplicaLagAlarmSeconds": 120})
    assert msg == (
        "Pulumi.prod.yaml: summit-resilience:dbReplicaLagAlarmSeconds: implies DatabaseReplicaLagHigh at 120 s but "
        "monitoring/rules/dr.yml alerts at 60 s; change the rule and its promtool test with this setting"
    )


def test_weekly_velero_schedule_would_make_the_backup_age_alert_fire_all_week_so_it_fails():
    msg = _error({"veleroSchedules": ["weekly: 0 3 * * 0 | 720h | gateway"]})
    assert "summit-resilience:veleroSchedules: implies VeleroBackupTooOld at 612000 s" in msg


def test_an_extra_more_frequent_schedule_keeps_the_nightly_threshold():
    s = stack_settings(
        "prod",
        overrides={"veleroSchedules": ["nightly: 0 3 * * * | 720h | gateway", "hourly: 0 * * * * | 24h | postgres"]},
    )
    assert [sch.name for sch in s.cluster.velero_schedules] == ["nightly", "hourly"]
