"""Cluster platform settings: seed defaults, per-stack values, and one clear line for every bad value."""

import pytest

from preflight.cli import main
from settings import ConfigError
from settings.cluster import BackupSchedule, NamespaceBudget
from tests.harness import PROJECT_DIR, settings_error, stack_settings

STAGE_ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/5A1B2C3D4E5F60718293A4B5C6D7E8F9"


def test_default_schedule_is_seed_001_nightly_at_three_keeping_720_hours():
    nightly, _ = stack_settings("stage").cluster.velero_schedules
    assert nightly == BackupSchedule("nightly", "0 3 * * *", "720h", ("gateway", "intelgraph", "postgres"))


def test_default_hourly_schedule_snapshots_the_stateful_namespaces_away_from_the_nightly_start():
    _, hourly = stack_settings("stage").cluster.velero_schedules
    assert hourly == BackupSchedule("hourly", "30 * * * *", "168h", ("intelgraph", "postgres"))


def test_prod_keeps_hourly_points_as_long_as_its_policy_minimum():
    _, hourly = stack_settings("prod").cluster.velero_schedules
    assert (hourly.cron, hourly.ttl) == ("30 * * * *", "720h")


def test_several_schedules_parse_in_order():
    cluster = stack_settings(
        "stage",
        {"veleroSchedules": ["nightly: 0 3 * * * | 720h | gateway,postgres", "hourly-db: @hourly | 48h | postgres"]},
    ).cluster
    assert [(s.name, s.cron, s.ttl, s.namespaces) for s in cluster.velero_schedules] == [
        ("nightly", "0 3 * * *", "720h", ("gateway", "postgres")),
        ("hourly-db", "@hourly", "48h", ("postgres",)),
    ]


def test_velero_schedules_accept_what_velero_accepts_including_at_every():
    cluster = stack_settings(
        "stage",
        {"veleroSchedules": ["nightly: 0 3 * * * | 720h | gateway", "often: @every 6h | 48h | postgres"]},
    ).cluster
    assert [s.cron for s in cluster.velero_schedules] == ["0 3 * * *", "@every 6h"]


def test_karpenter_freeze_window_accepts_named_weekday_ranges():
    cluster = stack_settings("stage", {"karpenterNoDisruptionSchedule": "0 8 * * MON-FRI"}).cluster
    assert cluster.karpenter_no_disruption_schedule == "0 8 * * MON-FRI"


def test_oidc_issuer_is_kept_without_scheme_for_irsa_condition_keys():
    assert stack_settings("stage").cluster.oidc_issuer == STAGE_ISSUER


def test_kubecost_host_defaults_to_kubecost_under_the_stack_domain():
    assert stack_settings("dev").cluster.kubecost_host == "kubecost.dev.summit.example.com"
    assert stack_settings("prod").cluster.kubecost_host == "kubecost.summit.example.com"
    assert stack_settings("stage", {"kubecostHost": "costs.internal.example.com"}).cluster.kubecost_host == (
        "costs.internal.example.com"
    )


def test_namespace_budgets_are_set_for_stage_and_prod_only():
    assert stack_settings("dev").cluster.kubecost_namespace_budgets == ()
    assert stack_settings("prod").cluster.kubecost_namespace_budgets == (
        NamespaceBudget("gateway", 4000),
        NamespaceBudget("intelgraph", 3000),
        NamespaceBudget("postgres", 2000),
    )


def test_capacity_and_ami_differ_per_stack():
    dev, stage, prod = (stack_settings(s).cluster for s in ("dev", "stage", "prod"))
    assert dev.karpenter_capacity_types == ("spot",)
    assert stage.karpenter_capacity_types == ("spot", "on-demand")
    assert prod.karpenter_capacity_types == ("on-demand",)
    assert dev.karpenter_ami_alias == "al2023@latest"
    assert prod.karpenter_ami_alias.startswith("al2023@v")
    assert (prod.karpenter_no_disruption_schedule, prod.karpenter_no_disruption_duration) == ("0 8 * * mon-fri", "10h")
    assert stage.karpenter_no_disruption_schedule == ""


BAD = [
    (
        "stage",
        {"eksOidcProviderArn": f"arn:aws:iam::999999999999:oidc-provider/{STAGE_ISSUER}"},
        "eksOidcProviderArn: must be in awsAccountId 321098765432, got account 999999999999",
    ),
    (
        "stage",
        {"eksOidcIssuerUrl": "https://oidc.eks.us-east-1.amazonaws.com/id/FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"},
        "eksOidcProviderArn: must name the issuer of eksOidcIssuerUrl",
    ),
    (
        "stage",
        {
            "eksOidcIssuerUrl": "https://oidc.eks.us-west-2.amazonaws.com/id/5A1B2C3D4E5F60718293A4B5C6D7E8F9",
            "eksOidcProviderArn": "arn:aws:iam::321098765432:oidc-provider/"
            "oidc.eks.us-west-2.amazonaws.com/id/5A1B2C3D4E5F60718293A4B5C6D7E8F9",
        },
        "eksOidcIssuerUrl: must be the cluster's issuer in primaryRegion us-east-1, got us-west-2",
    ),
    (
        "stage",
        {"eksOidcIssuerUrl": "oidc.eks.us-east-1.amazonaws.com/id/X"},
        "eksOidcIssuerUrl: expected the cluster's OIDC issuer URL",
    ),
    (
        "stage",
        {"kubecostNamespaceBudgets": ["gateway:4000", "postgres:2500"]},
        "kubecostNamespaceBudgets: namespace budgets add up to 6500 USD, more than the stack's monthlyBudgetUsd 6000",
    ),
    (
        "stage",
        {"kubecostNamespaceBudgets": ["gateway:10", "gateway:20"]},
        "kubecostNamespaceBudgets: lists a namespace twice",
    ),
    (
        "stage",
        {"kubecostNamespaceBudgets": ["gateway=10"]},
        'expected NAMESPACE:USD, e.g. "gateway:400", got "gateway=10"',
    ),
    (
        "stage",
        {"veleroSchedules": ["nightly 0 3 * * * | 720h | gateway"]},
        "veleroSchedules: item 0: expected NAME: CRON",
    ),
    (
        "stage",
        {"veleroSchedules": ["nightly: 0 3 * * | 720h | gateway"]},
        "veleroSchedules: item 0: expected NAME: CRON",
    ),
    (
        "stage",
        {"veleroSchedules": ["nightly: 0 3 * * 7 | 720h | gateway"]},
        '| 720h | gateway": day-of-week 7 is outside 0–6',
    ),
    (
        "stage",
        {"veleroSchedules": ["nightly: 0 0 30 2 * | 720h | gateway"]},
        "veleroSchedules: item 0: expected NAME: CRON",
    ),
    (
        "stage",
        {"veleroSchedules": ["nightly: 0 0 30 2 * | 720h | gateway"]},
        "'0 0 30 2 *' never runs",
    ),
    (
        "stage",
        {"veleroSchedules": ["nightly: 0 3 L * * | 720h | gateway"]},
        "unsupported day-of-month token 'L'",
    ),
    (
        "stage",
        {"karpenterNoDisruptionSchedule": "@every 6h"},
        'karpenterNoDisruptionSchedule: expected a cron schedule (UTC) such as "0 8 * * mon-fri", or empty, got '
        '"@every 6h": @every is not supported here',
    ),
    (
        "stage",
        {"karpenterNoDisruptionSchedule": "0 25 * * mon-fri"},
        "karpenterNoDisruptionSchedule: expected a cron schedule (UTC)",
    ),
    (
        "stage",
        {"veleroSchedules": ["nightly: 0 3 * * * | 30d | gateway"]},
        "veleroSchedules: item 0: expected NAME: CRON",
    ),
    (
        "stage",
        {"veleroSchedules": ["a: 0 3 * * * | 720h | gateway", "a: 0 4 * * * | 720h | postgres"]},
        "veleroSchedules: two schedules share a name",
    ),
    ("stage", {"veleroSchedules": []}, "veleroSchedules: expected at least 1 item(s), got 0"),
    (
        "stage",
        {"kubecostIngressScheme": "internet-facing"},
        "kubecostIngressScheme: must be internal in stage and prod",
    ),
    ("stage", {"kubecostNamespace": "velero"}, 'kubecostNamespace: each add-on needs its own namespace; "velero"'),
    ("prod", {"karpenterCapacityTypes": ["spot"]}, "karpenterCapacityTypes: must include on-demand in prod"),
    ("prod", {"karpenterAmiAlias": "al2023@latest"}, "karpenterAmiAlias: must be pinned in prod"),
    ("prod", {"karpenterNoDisruptionSchedule": ""}, "karpenterNoDisruptionSchedule: must be set in prod"),
    (
        "stage",
        {"karpenterCapacityTypes": ["spot", "preemptible"]},
        "karpenterCapacityTypes: item 1: expected one of spot",
    ),
    ("stage", {"karpenterConsolidateAfter": "1 minute"}, "karpenterConsolidateAfter: expected a duration such as 30s"),
    ("stage", {"karpenterAmiAlias": "bottlerocket@latest"}, "karpenterAmiAlias: expected an AL2023 alias"),
    ("stage", {"karpenterNoDisruptionDuration": "10s"}, "karpenterNoDisruptionDuration: expected a duration in h/m"),
    (
        "stage",
        {"karpenterDisruptionBudgetPercent": 0},
        "karpenterDisruptionBudgetPercent: expected an integer 1–100, got 0",
    ),
    (
        "stage",
        {"karpenterInstanceCategories": ["c5"]},
        "karpenterInstanceCategories: item 0: expected an EC2 instance category",
    ),
]


@pytest.mark.parametrize(
    ("stack", "overrides", "expected"), BAD, ids=[b[2].split(":")[0] + f"-{i}" for i, b in enumerate(BAD)]
)
def test_bad_cluster_config_is_one_line_naming_file_and_key(stack, overrides, expected):
    message = settings_error(stack, overrides)
    assert message.startswith(f"Pulumi.{stack}.yaml: summit-resilience:")
    assert expected in message


def test_preflight_exits_2_on_namespace_budgets_above_the_stack_budget(capsys, tmp_path):
    cfg = tmp_path / "Pulumi.stage.yaml"
    cfg.write_text((PROJECT_DIR / "Pulumi.stage.yaml").read_text().replace('"gateway:600"', '"gateway:5600"'))
    code = main(["--stack", "stage", "--config", str(cfg)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0
    assert "kubecostNamespaceBudgets: namespace budgets add up to 6200 USD" in err


def test_kubecost_prometheus_retention_below_the_charts_49_hours_is_refused():
    with pytest.raises(ConfigError) as e:
        stack_settings("stage", overrides={"kubecostPrometheusRetentionDays": 2})
    assert "kubecostPrometheusRetentionDays: expected an integer 3–90, got 2" in str(e.value)
