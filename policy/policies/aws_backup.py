"""AWS Backup: snapshots on a schedule, copied to another region, in locked vaults, and proven by restore tests.

The numbers here (retention, time between backups, time between restore tests) are the ones the program's Backup
Audit Manager framework encodes (settings/backup.py reads them from the same policy config), so what this pack
checks before deploy is what AWS keeps checking after it.
"""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import StackValidationArgs

from contract.cron import CronError, aws_period_seconds
from policy.policies._common import Report, Unknowns, dig, number, of_type, schema, stack_policy
from policy.resources import UNKNOWN, from_policy_resource, related, unwrap

RDS = "aws:rds/instance:Instance"
AUTOMATED_BACKUPS_REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
VAULT = "aws:backup/vault:Vault"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
RESTORE_TESTING_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
RESTORE_TESTING_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"

HOUR, DAY = 3600, 86400
_ARN_REGION = re.compile(r"arn:aws[a-z-]*:backup:([a-z0-9-]+):")


def _primaries(args: StackValidationArgs) -> list[Any]:
    return [r for r in of_type(args, RDS) if not unwrap(r.props).get("replicateSourceDb")]


def _region_of_arn(arn: Any) -> Any:
    if arn is UNKNOWN:
        return UNKNOWN
    m = _ARN_REGION.match(arn) if isinstance(arn, str) else None
    return m.group(1) if m else None


def _period(expr: Any) -> Any:
    """Seconds between runs of an AWS cron expression; None when it is not one this pack can read."""
    if expr is UNKNOWN:
        return UNKNOWN
    try:
        return aws_period_seconds(expr)
    except CronError:
        return None


# --- aws-backup-plan --------------------------------------------------------------------------------------------


def _rule_problems(rule: dict[str, Any], plan_region: Any, cfg: dict, u: Unknowns, urn: str) -> list[str]:
    """Why one backup rule does not protect a database as the stack requires ([] when it does)."""
    name = rule.get("ruleName", "?")
    problems = []
    period = _period(rule.get("schedule"))
    if period is UNKNOWN:
        u.add(urn, f"rule {name} schedule")
    elif period is None:
        problems.append(f"rule {name} has no schedule this pack can read ({rule.get('schedule')!r})")
    elif period > cfg["maxIntervalHours"] * HOUR:
        problems.append(f"rule {name} runs every {period / HOUR:g} h at worst (maximum {cfg['maxIntervalHours']} h)")
    keep = dig(rule, "lifecycle", "deleteAfter")
    if keep is UNKNOWN:
        u.add(urn, f"rule {name} lifecycle")
    elif keep is not None and (number(keep) or 0) < cfg["minRetentionDays"]:
        problems.append(f"rule {name} keeps recovery points {keep} days (minimum {cfg['minRetentionDays']})")
    if rule.get("enableContinuousBackup") is True:
        problems.append(
            f"rule {name} enables continuous backup: AWS Backup would take over the instance's automated backups "
            "(their retention and cross-region replication), and its cross-region copies are snapshots without PITR"
        )
    if cfg["requireCrossRegionCopy"]:
        copies = rule.get("copyActions") or []
        if copies is UNKNOWN:
            u.add(urn, f"rule {name} copy actions")
            return problems
        elsewhere = []
        for copy in copies:
            region = _region_of_arn(copy.get("destinationVaultArn"))
            if region is UNKNOWN or plan_region is None:
                u.add(urn, f"rule {name} copy destination region")
                return problems
            if region and region != plan_region:
                elsewhere.append(copy)
        if not elsewhere:
            problems.append(f"rule {name} copies recovery points to no vault in another region")
        for copy in elsewhere:
            copy_keep = dig(copy, "lifecycle", "deleteAfter")
            if copy_keep is None:
                copy_keep = keep  # a copy without its own lifecycle keeps the source's
            if copy_keep is UNKNOWN:
                u.add(urn, f"rule {name} copy lifecycle")
            elif copy_keep is not None and (number(copy_keep) or 0) < cfg["minRetentionDays"]:
                problems.append(f"rule {name} keeps its cross-region copy {copy_keep} days")
    return problems


def _backup_plan(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    plans, selections = of_type(args, PLAN), of_type(args, SELECTION)
    for db in _primaries(args):
        mine = [s for s in selections if related(s, "resources", [db])]
        if not mine:
            report(f"primary {db.name} is in no AWS Backup selection (aws.backup.Selection of its ARN).", db.urn)
            continue
        problems: list[str] = []
        protected = False
        for plan in (p for s in mine for p in related(s, "planId", plans)):
            rules = unwrap(plan.props).get("rules")
            if rules is UNKNOWN:
                u.add(plan.urn, "rules")
                continue
            region = from_policy_resource(plan)["region"]
            for rule in rules or []:
                found = _rule_problems(rule, region, cfg, u, plan.urn)
                protected = protected or not found
                problems += [f"plan {plan.name}: {p}" for p in found]
        if not protected:
            report(
                f"primary {db.name} has no backup rule that meets the stack's requirements: "
                + ("; ".join(problems) or "its selection belongs to no plan in this stack")
                + ".",
                db.urn,
            )
    u.finish()


aws_backup_plan = stack_policy(
    name="aws-backup-plan",
    description="Each primary database is selected by an AWS Backup plan with a snapshot rule that runs often enough, "
    "keeps recovery points long enough and copies them to another region.",
    validate=_backup_plan,
    config_schema=schema(
        {
            "minRetentionDays": {"type": "integer", "minimum": 1, "maximum": 36500, "default": 35},
            # Backup Audit Manager's BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK takes at most 24 hours.
            "maxIntervalHours": {"type": "integer", "minimum": 1, "maximum": 24, "default": 24},
            "requireCrossRegionCopy": {"type": "boolean", "default": True},
        }
    ),
    remediation="Add an aws.backup.Selection (resources = the instance ARN) to an aws.backup.Plan whose rule runs at "
    "least every maxIntervalHours, has lifecycle.delete_after ≥ minRetentionDays and a copy_action to a vault in "
    "another region; keep enable_continuous_backup off (RDS automated backups keep PITR).",
)


# --- backup-vault-lock ------------------------------------------------------------------------------------------


def _vault_lock(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    vaults, locks = of_type(args, VAULT), of_type(args, VAULT_LOCK)
    if not vaults and _primaries(args):
        report("the stack has RDS primaries but no AWS Backup vault: nothing keeps immutable copies of the database.")
    for vault in vaults:
        mine = [lk for lk in locks if related(lk, "backupVaultName", [vault])]
        if not mine:
            report(f"backup vault {vault.name} has no vault lock: its recovery points can be deleted early.", vault.urn)
            continue
        props = unwrap(mine[0].props)
        low, grace = props.get("minRetentionDays"), props.get("changeableForDays")
        if low is UNKNOWN or grace is UNKNOWN:
            u.add(mine[0].urn, "minRetentionDays/changeableForDays")
            continue
        if low is None or (number(low) or 0) < cfg["minRetentionDays"]:
            report(
                f"backup vault {vault.name} locks recovery points for {low or 'no'} days minimum; the stack requires "
                f"≥ {cfg['minRetentionDays']}.",
                vault.urn,
            )
        if cfg["requireComplianceMode"] and grace is None:
            report(
                f"backup vault {vault.name} is locked in governance mode (no changeable_for_days); the stack requires "
                "compliance mode, which nobody can remove once the grace period ends.",
                vault.urn,
            )
    u.finish()


backup_vault_lock = stack_policy(
    name="backup-vault-lock",
    description="Every AWS Backup vault has a vault lock with at least the minimum retention (compliance mode where "
    "required), and a stack with a database has a vault.",
    validate=_vault_lock,
    config_schema=schema(
        {
            "minRetentionDays": {"type": "integer", "minimum": 1, "maximum": 36500, "default": 35},
            "requireComplianceMode": {"type": "boolean", "default": True},
        }
    ),
    remediation="Add aws.backup.VaultLockConfiguration(backup_vault_name=<vault>.name, min_retention_days ≥ "
    "minRetentionDays) and, for compliance mode, changeable_for_days (≥ 3).",
)


# --- restore-testing-plan ---------------------------------------------------------------------------------------


def _restore_testing(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    primaries = _primaries(args)
    if not primaries:
        return
    plans, selections = of_type(args, RESTORE_TESTING_PLAN), of_type(args, RESTORE_TESTING_SELECTION)
    if not plans:
        report("the stack backs up a database but has no AWS Backup restore testing plan: no backup is ever restored.")
        return
    db_regions = {from_policy_resource(db)["region"] for db in primaries}
    for plan in plans:
        props = unwrap(plan.props)
        period = _period(props.get("scheduleExpression"))
        if period is UNKNOWN:
            u.add(plan.urn, "scheduleExpression")
        elif period is None or period > cfg["maxIntervalDays"] * DAY:
            shown = "unreadable" if period is None else f"every {period / DAY:g} days at worst"
            report(
                f"restore testing plan {plan.name} runs {shown}; required: every {cfg['maxIntervalDays']} days.",
                plan.urn,
            )
        mine = [s for s in selections if related(s, "restoreTestingPlanName", [plan])]
        kinds = [unwrap(s.props).get("protectedResourceType") for s in mine]
        if UNKNOWN in kinds:
            u.add(plan.urn, "selection resource types")
        elif "RDS" not in kinds:
            report(f"restore testing plan {plan.name} has no RDS selection: the database is never restored.", plan.urn)
        vaults = dig(props, "recoveryPointSelection", "includeVaults")
        if cfg["requireOtherRegion"]:
            if vaults is UNKNOWN or any(v is UNKNOWN for v in vaults or []):
                u.add(plan.urn, "recoveryPointSelection.includeVaults")
            elif not vaults or any(_region_of_arn(v) in db_regions or _region_of_arn(v) is None for v in vaults):
                report(
                    f"restore testing plan {plan.name} restores from {vaults or 'any vault'}, not only from vaults in "
                    "another region than the database: it does not prove the copy a region loss leaves you.",
                    plan.urn,
                )
    u.finish()


restore_testing_plan = stack_policy(
    name="restore-testing-plan",
    description="A stack with a database restores its recovery points on a schedule (AWS Backup restore testing), "
    "from the vault in the other region, at least every maxIntervalDays.",
    validate=_restore_testing,
    config_schema=schema(
        {
            "maxIntervalDays": {"type": "integer", "minimum": 1, "maximum": 365, "default": 7},
            "requireOtherRegion": {"type": "boolean", "default": True},
        }
    ),
    remediation="Add an aws.backup.RestoreTestingPlan (schedule at least every maxIntervalDays, include_vaults = the "
    "DR vault ARN) and an aws.backup.RestoreTestingSelection with protected_resource_type RDS.",
)

POLICIES = [aws_backup_plan, backup_vault_lock, restore_testing_plan]
