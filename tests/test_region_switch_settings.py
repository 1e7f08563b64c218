"""Region switch settings: per-stack values, the RTO from the policy config, one clear line for every bad value."""

from __future__ import annotations

import json
from pathlib import Path

import ops.objectives
from tests.harness import settings_error, stack_settings

DR_ALARM = "arn:aws:cloudwatch:us-west-2:432109876543:alarm:summit-prod-dr-canary"


def error(stack, **overrides):
    return settings_error(stack, overrides)


def test_prod_approves_with_its_approver_role_and_stage_does_not_wait():
    assert stack_settings("prod").region_switch.approver_role_arn == (
        "arn:aws:iam::432109876543:role/summit-prod-failover-approver"
    )
    assert stack_settings("stage").region_switch.approval_required is False


def test_prod_without_an_approver_is_refused():
    assert error("prod", regionSwitchApproverRoleArn="") == (
        "Pulumi.prod.yaml: summit-resilience:regionSwitchApproverRoleArn: is required in prod: a production failover "
        "waits for a person to approve it in the Region switch console"
    )


def test_an_approver_role_of_another_account_is_refused():
    message = error("prod", regionSwitchApproverRoleArn="arn:aws:iam::111122223333:role/approver")
    assert "must be a role in awsAccountId 432109876543" in message


def test_an_approver_that_is_not_a_role_arn_is_refused():
    assert "expected an IAM role ARN" in error("stage", regionSwitchApproverRoleArn="approver")


def test_triggers_are_off_and_the_dns_gate_closed_by_default():
    rs = stack_settings("prod").region_switch
    assert (rs.auto_activate, rs.trigger_alarm_arn, rs.dns_gate) == (False, "", False)


def test_auto_activation_needs_the_alarm_it_keys_on():
    assert error("prod", regionSwitchAutoActivate=True) == (
        "Pulumi.prod.yaml: summit-resilience:regionSwitchTriggerAlarmArn: is required when regionSwitchAutoActivate "
        "is true"
    )


def test_a_trigger_alarm_in_the_primary_region_is_refused_because_it_dies_with_it():
    alarm = DR_ALARM.replace("us-west-2", "us-east-1")
    message = error("prod", regionSwitchAutoActivate=True, regionSwitchTriggerAlarmArn=alarm)
    assert "must be an alarm in drRegion us-west-2 of awsAccountId 432109876543" in message


def test_a_dr_alarm_turns_auto_activation_on():
    rs = stack_settings(
        "prod", {"regionSwitchAutoActivate": True, "regionSwitchTriggerAlarmArn": DR_ALARM}
    ).region_switch
    assert (rs.auto_activate, rs.trigger_alarm_arn) == (True, DR_ALARM)


def test_a_dr_cluster_needs_deployments_to_scale_and_deployments_need_a_cluster():
    assert "needs at least one namespace/name" in error("stage", regionSwitchDrEksClusterName="summit-stage-dr")
    assert "is required when regionSwitchEksDeployments" in error("stage", regionSwitchEksDeployments=["gw/gw"])


def test_a_deployment_is_namespace_slash_name():
    message = error("stage", regionSwitchDrEksClusterName="dr", regionSwitchEksDeployments=["Gateway"])
    assert 'expected a Deployment as "namespace/name"' in message


def test_the_approval_timeout_stays_within_an_hour():
    assert "expected an integer 1–60, got 90" in error("prod", regionSwitchApprovalTimeoutMinutes=90)


def test_the_plan_name_fits_arcs_32_characters():
    assert stack_settings("stage").region_switch.plan_name == "summit-stage-failover"
    message = error("stage", service="summit-payments-platform")
    assert "longer than the 32 characters ARC allows" in message


def test_the_rto_is_the_recovery_budget_objective_in_whole_minutes():
    rs = stack_settings("stage").region_switch
    assert (rs.rto_minutes, rs.rto_source) == (15, "policy/config/stage.json (recovery-budget.rtoSeconds)")


def _policy_config(tmp_path, monkeypatch, budget):
    path = tmp_path / "stage.json"
    stage = json.loads(Path("policy/config/stage.json").read_text())  # the other policies' settings stay
    path.write_text(json.dumps({**stage, "recovery-budget": {"enforcementLevel": "mandatory", **budget}}))
    monkeypatch.setattr(ops.objectives, "policy_config_path", lambda stack: path)
    return path


def test_a_tighter_objective_in_the_policy_config_tightens_the_plan(tmp_path, monkeypatch):
    _policy_config(tmp_path, monkeypatch, {"rtoSeconds": 659})
    assert stack_settings("stage").region_switch.rto_minutes == 10  # rounded down: never looser


def test_an_objective_under_a_minute_cannot_be_a_plan_objective(tmp_path, monkeypatch):
    _policy_config(tmp_path, monkeypatch, {"rtoSeconds": 59})
    assert "needs an RTO of 1–10080 whole minutes, but 59 s from" in error("stage")


def test_a_missing_policy_config_is_one_line_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(ops.objectives, "policy_config_path", lambda stack: tmp_path / "nope.json")
    message = error("stage")
    assert message.startswith("Pulumi.stage.yaml: summit-resilience:dbReplicaEnabled: the Region switch plan takes")
    assert "nope.json" in message


def test_without_a_replica_there_is_no_plan(tmp_path, monkeypatch):
    assert stack_settings("dev", {"dbReplicaEnabled": False}).region_switch.enabled is False
