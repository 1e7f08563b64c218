"""The AWS Backup policies' rule judgement (policy/policies/aws_backup.py) on plain rules: what counts as a backup rule
that protects the database. The pack-level compliant and violating cases are in test_policy_pack.py."""

import pytest

from policy.policies._common import Unknowns
from policy.policies.aws_backup import _rule_problems
from policy.resources import UNKNOWN

CFG = {"minRetentionDays": 35, "maxIntervalHours": 24, "requireCrossRegionCopy": True}
DR_VAULT = "arn:aws:backup:us-west-2:432109876543:backup-vault:summit-prod-db-us-west-2"
URN = "urn:pulumi:prod::summit-resilience::aws:backup/plan:Plan::plan"


def rule(**overrides):
    base = {
        "ruleName": "snapshot-copied-to-dr",
        "schedule": "cron(0 5 * * ? *)",
        "lifecycle": {"deleteAfter": 35},
        "enableContinuousBackup": False,
        "copyActions": [{"destinationVaultArn": DR_VAULT, "lifecycle": {"deleteAfter": 35}}],
    }
    return {**base, **overrides}


def problems(r, cfg=CFG, region="us-east-1"):
    u = Unknowns()
    return _rule_problems(r, region, cfg, u, URN), u.notes


def test_the_programs_rule_protects_the_database():
    assert problems(rule()) == ([], [])


def test_a_continuous_backup_rule_is_refused_because_it_would_take_over_the_instances_pitr():
    (found,), _ = problems(rule(enableContinuousBackup=True))
    assert "enables continuous backup: AWS Backup would take over the instance's automated backups" in found


def test_a_copy_to_a_vault_in_the_same_region_is_no_cross_region_copy():
    same = DR_VAULT.replace("us-west-2", "us-east-1")
    (found,), _ = problems(rule(copyActions=[{"destinationVaultArn": same, "lifecycle": {"deleteAfter": 35}}]))
    assert found == "rule snapshot-copied-to-dr copies recovery points to no vault in another region"


def test_a_copy_kept_shorter_than_the_minimum_is_refused():
    (found,), _ = problems(rule(copyActions=[{"destinationVaultArn": DR_VAULT, "lifecycle": {"deleteAfter": 7}}]))
    assert found == "rule snapshot-copied-to-dr keeps its cross-region copy 7 days"


def test_a_copy_without_its_own_lifecycle_is_judged_by_the_source_retention():
    assert problems(rule(copyActions=[{"destinationVaultArn": DR_VAULT}]))[0] == []
    (found, *_), _ = problems(rule(lifecycle={"deleteAfter": 7}, copyActions=[{"destinationVaultArn": DR_VAULT}]))
    assert found == "rule snapshot-copied-to-dr keeps recovery points 7 days (minimum 35)"


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("cron(0 5 ? * MON-FRI *)", "runs every 72 h at worst (maximum 24 h)"),
        ("rate(1 day)", "has no schedule this pack can read ('rate(1 day)')"),
    ],
)
def test_a_schedule_sparser_than_the_maximum_or_unreadable_is_refused(schedule, message):
    (found,), _ = problems(rule(schedule=schedule))
    assert found == f"rule snapshot-copied-to-dr {message}"


def test_values_unknown_at_preview_are_noted_not_judged():
    found, notes = problems(rule(schedule=UNKNOWN, copyActions=[{"destinationVaultArn": UNKNOWN}]))
    assert found == []
    assert [n.split(": ", 1)[1] for n in notes] == [
        "rule snapshot-copied-to-dr schedule not known until deploy",
        "rule snapshot-copied-to-dr copy destination region not known until deploy",
    ]


def test_without_the_cross_region_requirement_a_local_rule_suffices():
    assert problems(rule(copyActions=[]), {**CFG, "requireCrossRegionCopy": False})[0] == []
