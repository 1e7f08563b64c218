"""RegionSwitchPlan under the mock engine: every step present, pointing at the right resources, valid for AWS."""

from __future__ import annotations

import json

import pytest

from components.region_switch import (
    HANDLER,
    FailoverRecordSet,
    RegionSwitchPlan,
    RegionSwitchPlanArgs,
    ReplicatedDatabase,
    ReportBucket,
)
from ops.objectives import RTO, resolve
from ops.outputs import PLAN_ARN
from preflight.engine import SecretValue
from tests.arc_model import create_plan_violations
from tests.harness import run_component, run_stack

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
PLAN = "aws:arcregionswitch/plan:Plan"
FUNCTION = "aws:lambda/function:Function"


def writers(run):
    """The plan's writer-switch functions (the stack has other functions, e.g. the restore-test validator)."""
    return [f for f in run.all(FUNCTION) if f.name.startswith("region-switch-writer")]


ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
CHECK = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"
DR_ALARM = "arn:aws:cloudwatch:us-west-2:432109876543:alarm:summit-prod-dr-canary"
WITH_EVERYTHING = {
    "regionSwitchDrEksClusterName": "summit-prod-dr",
    "regionSwitchEksDeployments": ["gateway/gateway", "intelgraph/api"],
    "regionSwitchAutoActivate": True,
    "regionSwitchTriggerAlarmArn": DR_ALARM,
    "regionSwitchDnsGate": True,
    "regionSwitchReprotectWorkflows": True,
}


@pytest.fixture(scope="module")
def everything():
    return run_stack("prod", overrides=WITH_EVERYTHING)


def workflow(run, action, region):
    flows = run.one(PLAN).inputs["workflows"]
    return next(w for w in flows if w["workflowTargetAction"] == action and w["workflowTargetRegion"] == region)


def blocks(flow):
    """(name, type, config) of every execution block, Parallel members flattened."""
    out = []
    for step in flow["steps"]:
        members = step["parallelConfigs"][0]["steps"] if step["executionBlockType"] == "Parallel" else [step]
        for m in members:
            key = next(k for k in m if k.endswith("Configs"))
            out.append((m["name"], m["executionBlockType"], m[key][0]))
    return out


def plain(value):
    """An input as the program computed it (a SecretValue wraps values derived from a secret, e.g. the secret ARN)."""
    return value.value if isinstance(value, SecretValue) else value


def statements(run, name):
    policy = next(r for r in run.all(ROLE_POLICY) if r.name == name)
    return {s["Sid"]: s for s in json.loads(plain(policy.inputs["policy"]))["Statement"]}


@pytest.mark.parametrize("fixture", ["prod", "stage", "everything"])
def test_the_plan_is_a_valid_create_plan_request_of_the_arc_region_switch_model(request, fixture):
    assert create_plan_violations(request.getfixturevalue(fixture).one(PLAN).inputs) == []


def test_prod_failover_starts_with_an_approval_by_the_configured_role(prod):
    first = workflow(prod, "activate", "us-west-2")["steps"][0]
    assert first["executionBlockType"] == "ManualApproval"
    assert first["executionApprovalConfigs"][0] == {
        "approvalRole": "arn:aws:iam::432109876543:role/summit-prod-failover-approver",
        "timeoutMinutes": 5,
    }


def test_stage_fails_over_without_waiting_for_an_approval(stage):
    types = [b[1] for b in blocks(workflow(stage, "activate", "us-west-2"))]
    assert "ManualApproval" not in types and types[0] == "RdsPromoteReadReplica"


def test_failover_promotes_the_dr_replica_then_repoints_the_writer_then_switches_dns_in_that_order(prod):
    types = [b[1] for b in blocks(workflow(prod, "activate", "us-west-2"))]
    assert types == [
        "ManualApproval",
        "RdsPromoteReadReplica",
        "CustomActionLambda",
        "Route53HealthCheck",
        "Route53HealthCheck",
    ]


def test_promotion_maps_each_region_to_its_own_instance(prod):
    _, _, config = next(b for b in blocks(workflow(prod, "activate", "us-west-2")) if b[1] == "RdsPromoteReadReplica")
    primary = next(r for r in prod.all("aws:rds/instance:Instance") if r.name == "db-primary")
    replica = next(r for r in prod.all("aws:rds/instance:Instance") if r.name == "db-replica")
    assert config["dbInstanceArnMap"] == {"us-east-1": primary.outputs["arn"], "us-west-2": replica.outputs["arn"]}


def test_the_writer_switch_runs_in_the_activated_region_with_a_function_in_each_region(prod):
    _, _, config = next(b for b in blocks(workflow(prod, "activate", "us-west-2")) if b[1] == "CustomActionLambda")
    functions = {f.region: f.outputs["arn"] for f in writers(prod)}
    assert config["regionToRun"] == "activatingRegion"
    assert sorted(x["arn"] for x in config["lambdas"]) == sorted(functions.values())
    assert set(functions) == {"us-east-1", "us-west-2"}
    assert "ungracefuls" not in config  # "skip" would leave the application on the lost writer


def test_every_failover_record_set_is_switched_with_its_set_identifiers_mapped_to_regions(prod):
    switched = {
        c["recordName"]: {r["recordSetIdentifier"]: r["region"] for r in c["recordSets"]}
        for _, kind, c in blocks(workflow(prod, "activate", "us-west-2"))
        if kind == "Route53HealthCheck"
    }
    records = {
        (r.inputs["name"], r.inputs["setIdentifier"]) for r in prod.all(RECORD) if r.name.startswith("failover-")
    }
    assert switched == {
        "gateway-origin.summit.example.com": {"gateway-primary": "us-east-1", "gateway-secondary": "us-west-2"},
        "wallet.summit.example.com": {"wallet-primary": "us-east-1", "wallet-secondary": "us-west-2"},
    }
    assert {(name, ident) for name, idents in switched.items() for ident in idents} == records


def test_several_record_sets_switch_together_in_one_parallel_block(prod):
    last = workflow(prod, "activate", "us-west-2")["steps"][-1]
    assert last["executionBlockType"] == "Parallel"
    assert [s["name"] for s in last["parallelConfigs"][0]["steps"]] == ["dns-gateway-origin", "dns-wallet"]


def test_reprotection_recreates_the_replica_in_the_recovered_region_and_repoints_it_there(everything):
    flow = workflow(everything, "deactivate", "us-east-1")
    kinds = [(name, kind) for name, kind, _ in blocks(flow)]
    assert kinds == [("recreate-replica-db", "RdsCreateCrossRegionReplica"), ("repoint-writer", "CustomActionLambda")]
    assert blocks(flow)[1][2]["regionToRun"] == "deactivatingRegion"


def test_failback_is_the_mirror_image_of_the_failover(prod):
    back = [(n, k) for n, k, _ in blocks(workflow(prod, "activate", "us-east-1"))]
    forth = [(n, k) for n, k, _ in blocks(workflow(prod, "activate", "us-west-2"))]
    assert back == forth
    assert [
        w["workflowTargetAction"] + " " + w["workflowTargetRegion"] for w in prod.one(PLAN).inputs["workflows"]
    ] == ["activate us-west-2", "activate us-east-1"]


def test_an_active_passive_plan_carries_no_deactivate_workflow_and_no_replica_creation_right_by_default(prod):
    # AWS documents deactivate workflows for active/active plans only ("Create Region switch plan workflows");
    # re-protection is ops failback until regionSwitchReprotectWorkflows is turned on.
    assert {w["workflowTargetAction"] for w in prod.one(PLAN).inputs["workflows"]} == {"activate"}
    assert "RdsCreateCrossRegionReplica" not in statements(prod, "region-switch-execution")


def test_opting_in_adds_a_reprotect_workflow_per_region_and_the_right_to_create_replicas(everything):
    assert [
        w["workflowTargetAction"] + " " + w["workflowTargetRegion"] for w in everything.one(PLAN).inputs["workflows"]
    ] == ["activate us-west-2", "deactivate us-east-1", "activate us-east-1", "deactivate us-west-2"]
    assert "RdsCreateCrossRegionReplica" in statements(everything, "region-switch-execution")


def test_the_plan_objective_is_the_recovery_budget_rto_of_the_policy_config(prod):
    assert prod.one(PLAN).inputs["recoveryTimeObjectiveMinutes"] == resolve("prod", {RTO: None}).seconds[RTO] // 60


def test_execution_reports_go_to_the_dr_copy_of_the_audit_log_bucket(prod):
    bucket = next(r for r in prod.all("aws:s3/bucket:Bucket") if r.name == "bucket-audit-logs-replica")
    s3 = prod.one(PLAN).inputs["reportConfigurations"][0]["reportOutputs"][0]["s3Configurations"][0]
    assert s3 == {"bucketOwner": "432109876543", "bucketPath": f"s3://{bucket.inputs['bucket']}/region-switch/"}
    assert bucket.region == "us-west-2"


def test_the_execution_role_trusts_only_region_switch(prod):
    role = next(r for r in prod.all("aws:iam/role:Role") if r.name == "region-switch-execution")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust == [
        {"Effect": "Allow", "Principal": {"Service": "arc-region-switch.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]


def test_each_execution_permission_names_only_this_stacks_resources(prod):
    sids = statements(prod, "region-switch-execution")
    assert sids["RdsPromoteReadReplica"]["Resource"] == [
        "arn:aws:rds:us-east-1:432109876543:db:summit-prod-db",
        "arn:aws:rds:us-west-2:432109876543:db:summit-prod-db-dr",
    ]
    assert sids["Route53HealthCheck"]["Resource"] == ["arn:aws:route53:::hostedzone/Z0PROD4EXAMPLE3C"]
    assert sorted(sids["CustomActionLambda"]["Resource"]) == sorted(f.outputs["arn"] for f in writers(prod))
    assert sids["ExecutionReports"]["Resource"].endswith("-us-west-2-432109876543/region-switch/*")
    # Only GetMetricStatistics (no resource-level permissions) for the canary alarms needs a wildcard.
    assert {sid for sid, s in sids.items() if s["Resource"] == "*"} == {"AlarmMetrics"}
    assert sids["AlarmMetrics"]["Action"] == "cloudwatch:GetMetricStatistics"


def test_the_execution_policy_exists_before_the_plan_so_evaluation_can_assume_the_role(prod):
    policy = next(r for r in prod.all(ROLE_POLICY) if r.name == "region-switch-execution")
    assert policy.urn in prod.one(PLAN).dependencies


def test_triggers_are_off_by_default(prod):
    assert not prod.one(PLAN).inputs.get("triggers")
    assert {a["alarmType"] for a in prod.one(PLAN).inputs["associatedAlarms"]} == {"applicationHealth"}


def dr_canary_alarms(run):
    """ARNs of the DR region's canary alarms, which the plan reads as application health."""
    return sorted(a.outputs["arn"] for a in run.all(ALARM) if a.name.startswith("canaries-dr-"))


def test_the_application_health_alarms_are_the_dr_region_canaries(prod):
    alarms = prod.one(PLAN).inputs["associatedAlarms"]
    assert sorted(a["resourceIdentifier"] for a in alarms) == dr_canary_alarms(prod)
    assert len(alarms) == 2 and all(":us-west-2:" in a["resourceIdentifier"] for a in alarms)
    assert sorted(statements(prod, "region-switch-execution")["AssociatedAlarms"]["Resource"]) == dr_canary_alarms(prod)


def test_auto_activate_triggers_the_dr_activation_on_the_configured_dr_alarm(everything):
    plan = everything.one(PLAN).inputs
    assert [a for a in plan["associatedAlarms"] if a["alarmType"] == "trigger"] == [
        {"mapBlockKey": "failover-trigger", "alarmType": "trigger", "resourceIdentifier": DR_ALARM}
    ]
    assert plan["triggers"] == [
        {
            "action": "activate",
            "targetRegion": "us-west-2",
            "minDelayMinutesBetweenExecutions": 60,
            "conditions": [{"associatedAlarmName": "failover-trigger", "condition": "red"}],
            "description": "Fail over to the DR region when the DR-region trigger alarm is in ALARM",
        }
    ]
    alarms = statements(everything, "region-switch-execution")["AssociatedAlarms"]["Resource"]
    assert sorted(alarms) == sorted([*dr_canary_alarms(everything), DR_ALARM])


def test_a_dr_cluster_adds_the_scaling_step_and_access_to_its_namespaces_in_both_clusters(everything):
    _, _, config = next(
        b for b in blocks(workflow(everything, "activate", "us-west-2")) if b[1] == "EKSResourceScaling"
    )
    assert [c["clusterArn"] for c in config["eksClusters"]] == [
        "arn:aws:eks:us-east-1:432109876543:cluster/summit-prod",
        "arn:aws:eks:us-west-2:432109876543:cluster/summit-prod-dr",
    ]
    assert config["targetPercent"] == 100 and config["kubernetesResourceTypes"] == [
        {"apiVersion": "apps/v1", "kind": "Deployment"}
    ]
    associations = everything.all("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert {(a.region, a.inputs["clusterName"]) for a in associations} == {
        ("us-east-1", "summit-prod"),
        ("us-west-2", "summit-prod-dr"),
    }
    assert {tuple(a.inputs["accessScope"]["namespaces"]) for a in associations} == {("gateway", "intelgraph")}
    assert {a.inputs["policyArn"] for a in associations} == {
        "arn:aws:eks::aws:cluster-access-policy/AmazonARCRegionSwitchScalingPolicy"
    }


def test_without_a_dr_cluster_nothing_is_scaled(prod):
    assert "EKSResourceScaling" not in [b[1] for b in blocks(workflow(prod, "activate", "us-west-2"))]
    assert prod.all("aws:eks/accessPolicyAssociation:AccessPolicyAssociation") == []


def test_the_dns_gate_ands_each_primary_record_with_the_plans_primary_region_check(everything):
    checks = {c.name: c for c in everything.all(CHECK)}
    records = {r.name: r for r in everything.all(RECORD)}
    gate = checks["failover-gateway-primary-gate"]
    assert records["failover-gateway-primary-record"].inputs["healthCheckId"] == gate.id
    assert gate.inputs["type"] == "CALCULATED" and gate.inputs["childHealthThreshold"] == 2
    children = gate.inputs["childHealthchecks"]
    assert children[0] == checks["failover-gateway-primary-check"].id and len(children) == 2
    # the SECONDARY keeps its endpoint check alone, so an endpoint failure still fails over automatically
    assert (
        records["failover-gateway-secondary-record"].inputs["healthCheckId"]
        == checks["failover-gateway-secondary-check"].id
    )


def test_without_the_dns_gate_the_records_keep_their_endpoint_checks(prod):
    assert not [c for c in prod.all(CHECK) if c.inputs["type"] == "CALCULATED"]


def test_the_writer_switch_function_is_packaged_from_the_repository_handler_only(prod):
    fn = next(f for f in writers(prod) if f.region == "us-west-2")
    assert (fn.inputs["runtime"], fn.inputs["architectures"], fn.inputs["handler"]) == (
        "python3.13",
        ["arm64"],
        "handler.handler",
    )
    # An AssetArchive on the wire: {sig: archive, "assets": {name: {sig: file asset, "path": ...}}}
    assets = fn.inputs["code"]["assets"]
    assert list(assets) == ["handler.py"]
    assert assets["handler.py"]["path"] == str(HANDLER) and HANDLER.is_file()


def test_the_function_config_names_the_parameter_and_both_regions_instances(prod):
    fn = next(f for f in writers(prod) if f.region == "us-west-2")
    config = json.loads(plain(fn.inputs["environment"]["variables"]["WRITER_SWITCH_CONFIG"]))
    assert config["databases"][0]["parameter"] == "/summit/prod/database/writer-endpoint"
    assert config["databases"][0]["instances"] == {"us-east-1": "summit-prod-db", "us-west-2": "summit-prod-db-dr"}


def test_the_function_may_write_only_its_own_regions_parameter(prod):
    sids = statements(prod, "region-switch-writer-us-west-2-role")
    assert sids["WriterEndpointParameter"]["Resource"] == [
        "arn:aws:ssm:us-west-2:432109876543:parameter/summit/prod/database/writer-endpoint"
    ]
    assert sids["WriterEndpointParameter"]["Action"] == ["ssm:GetParameter", "ssm:PutParameter"]


def test_the_function_log_group_keeps_logs_as_long_as_the_data_tier_and_exists_first(prod):
    fn = next(f for f in writers(prod) if f.region == "us-west-2")
    logs = next(
        r for r in prod.all("aws:cloudwatch/logGroup:LogGroup") if r.name == "region-switch-writer-us-west-2-logs"
    )
    assert logs.inputs["name"] == f"/aws/lambda/{fn.inputs['name']}" and logs.inputs["retentionInDays"] == 90
    assert logs.urn in fn.dependencies


def test_no_replica_means_no_plan_and_no_plan_output():
    run = run_stack("dev", overrides={"dbReplicaEnabled": False})
    assert run.all(PLAN) == [] and run.outputs["regionSwitchPlanArn"] is None


def test_the_exported_plan_arn_is_one_ops_accepts(prod):
    assert PLAN_ARN.fullmatch(prod.outputs["regionSwitchPlanArn"])
    assert prod.outputs["regionSwitchPlanArn"] == prod.one(PLAN).outputs["arn"]


def _two_databases(s, p):
    dbs = tuple(
        ReplicatedDatabase(
            name=label,
            primary_identifier=f"summit-stage-{label}",
            primary_arn=f"arn:aws:rds:us-east-1:321098765432:db:summit-stage-{label}",
            replica_identifier=f"summit-stage-{label}-dr",
            replica_arn=f"arn:aws:rds:us-west-2:321098765432:db:summit-stage-{label}-dr",
            endpoint_parameter_name=f"/summit/stage/{label}/writer-endpoint",
        )
        for label in ("orders", "ledger")
    )
    return RegionSwitchPlan(
        "region-switch",
        RegionSwitchPlanArgs(
            plan_name="summit-stage-failover",
            account_id="321098765432",
            primary_region="us-east-1",
            dr_region="us-west-2",
            rto_minutes=15,
            databases=dbs,
            record_sets=(
                FailoverRecordSet(
                    "Z0STAGE4EXAMPLE2B",
                    "gateway.stage.summit.example.com",
                    {"us-east-1": "gateway-primary", "us-west-2": "gateway-secondary"},
                ),
            ),
            report_bucket=ReportBucket(
                "reports-us-west-2",
                "arn:aws:s3:::reports-us-west-2",
                "arn:aws:kms:us-west-2:321098765432:key/k",
                "us-west-2",
            ),
            log_retention_days=30,
            reprotect_workflows=True,
        ),
        primary=p.primary,
        dr=p.dr,
    )


@pytest.fixture(scope="module")
def two():
    return run_component(_two_databases, "stage")


def test_two_replicas_need_two_promote_steps_that_run_together(two):
    promote = workflow(two, "activate", "us-west-2")["steps"][0]
    assert promote["executionBlockType"] == "Parallel"
    members = promote["parallelConfigs"][0]["steps"]
    assert [(m["name"], m["executionBlockType"]) for m in members] == [
        ("promote-orders", "RdsPromoteReadReplica"),
        ("promote-ledger", "RdsPromoteReadReplica"),
    ]
    assert {m["rdsPromoteReadReplicaConfigs"][0]["dbInstanceArnMap"]["us-west-2"] for m in members} == {
        "arn:aws:rds:us-west-2:321098765432:db:summit-stage-orders-dr",
        "arn:aws:rds:us-west-2:321098765432:db:summit-stage-ledger-dr",
    }
    assert create_plan_violations(two.one(PLAN).inputs) == []


def test_two_replicas_are_recreated_together_when_reprotecting(two):
    recreate = workflow(two, "deactivate", "us-east-1")["steps"][0]
    assert [m["name"] for m in recreate["parallelConfigs"][0]["steps"]] == [
        "recreate-replica-orders",
        "recreate-replica-ledger",
    ]


def test_a_plan_without_databases_is_refused():
    args = RegionSwitchPlanArgs(
        "p", "1" * 12, "us-east-1", "us-west-2", 15, (), (), ReportBucket("b", "a", "k", "r"), 30
    )
    with pytest.raises(ValueError, match="at least one replicated database"):
        RegionSwitchPlan("p", args, primary=None, dr=None)  # type: ignore[arg-type]
