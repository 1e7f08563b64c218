"""ChaosDrill under the mock engine (FIS templates, role, drill alarms) and the drill-age function against moto."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import botocore
import pytest

from components.alerting import AlarmTopics
from components.chaos import FAULT_DURATION, MAX_STOP_CONDITIONS, ChaosDrillArgs, FaultTargets
from lambdas.drill_age.handler import AGE_METRIC, LOOKBACK_DAYS, days_since_success
from ops.drill import METRIC_NAMESPACE
from settings import ConfigError
from tests.harness import run_stack, stack_settings

TEMPLATE = "aws:fis/experimentTemplate:ExperimentTemplate"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FIS_MODEL = json.loads(
    gzip.open(next(Path(botocore.__file__).parent.glob("data/fis/*/service-2.json.gz"))).read()  # noqa: SIM115
)["shapes"]
# Resource types, target keys and permissions per action: AWS FIS actions reference
# (https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html).
FIS_ACTIONS = {
    "aws:rds:reboot-db-instances": ("aws:rds:db", "DBInstances", {"rds:RebootDBInstance", "rds:DescribeDBInstances"}),
    "aws:s3:bucket-pause-replication": (
        "aws:s3:bucket",
        "Buckets",
        {"s3:PutReplicationConfiguration", "s3:GetReplicationConfiguration", "s3:PauseReplication"},
    ),
    "aws:network:disrupt-connectivity": (
        "aws:ec2:subnet",
        "Subnets",
        {
            "ec2:CreateNetworkAcl",
            "ec2:CreateNetworkAclEntry",
            "ec2:CreateTags",
            "ec2:DeleteNetworkAcl",
            "ec2:DescribeManagedPrefixLists",
            "ec2:DescribeNetworkAcls",
            "ec2:DescribeSubnets",
            "ec2:DescribeVpcs",
            "ec2:GetManagedPrefixListEntries",
            "ec2:ReplaceNetworkAclAssociation",
        },
    ),
}


def templates(run):
    return {t.name.removeprefix("chaos-drill-"): t for t in run.all(TEMPLATE)}


def drill_alarms(run):
    return {a.name.removeprefix("chaos-drill-"): a for a in run.all(ALARM) if a.name.startswith("chaos-drill-")}


def test_stage_has_the_three_fault_templates_in_the_primary_region(stage):
    found = templates(stage)
    assert set(found) == {"primary-db-reboot", "s3-pause-replication", "app-network"}
    assert {t.region for t in found.values()} == {"us-east-1"}
    actions = {t.inputs["actions"][0]["actionId"] for t in found.values()}
    assert actions == set(FIS_ACTIONS)


def test_each_action_targets_its_documented_resource_type_by_the_documented_key(stage):
    for template in templates(stage).values():
        (action,) = template.inputs["actions"]
        (target,) = template.inputs["targets"]
        resource_type, key, _ = FIS_ACTIONS[action["actionId"]]
        assert action["target"] == {"key": key, "value": target["name"]}
        assert target["resourceType"] == resource_type and target["selectionMode"] == "ALL"


def test_the_reboot_targets_exactly_the_primary_and_the_network_fault_subnets_by_tag(stage):
    found = templates(stage)
    primary = stage.one("aws:rds/instance:Instance", "db-primary").outputs["arn"]
    assert found["primary-db-reboot"].inputs["targets"][0]["resourceArns"] == [primary]
    assert found["app-network"].inputs["targets"][0]["resourceTags"] == [
        {"key": "kubernetes.io/role/internal-elb", "value": "1"}
    ]
    buckets = found["s3-pause-replication"].inputs["targets"][0]["resourceArns"]
    assert buckets and all(":::" in arn and "us-east-1" in arn for arn in buckets)  # the replication sources


def test_timed_faults_are_bounded_and_pause_replication_towards_the_dr_region(stage):
    found = templates(stage)
    params = {
        name: {p["key"]: p["value"] for p in t.inputs["actions"][0].get("parameters", [])} for name, t in found.items()
    }
    assert params["s3-pause-replication"] == {"duration": FAULT_DURATION, "region": "us-west-2"}
    assert params["app-network"] == {"duration": FAULT_DURATION, "scope": "all"}
    minutes = int(re.fullmatch(r"PT(\d+)M", FAULT_DURATION).group(1))
    assert 1 <= minutes <= 12 * 60  # "from one minute to 12 hours"


def test_every_template_stops_on_primary_region_endpoint_canary_and_replication_alarms(stage):
    by_name = {a.name: a.outputs["arn"] for a in stage.all(ALARM)}
    secondary = {arn for name, arn in by_name.items() if "secondary-unhealthy" in name}
    canary = {arn for name, arn in by_name.items() if name.startswith("canaries-") and ":us-east-1:" in arn}
    slot = {arn for name, arn in by_name.items() if name.endswith("-slot-lag")}
    assert len(secondary) == 2 and len(canary) == 2 and len(slot) == 1  # stage: gateway + wallet, 2 canaries
    for template in templates(stage).values():
        stops = template.inputs["stopConditions"]
        assert {s["source"] for s in stops} == {"aws:cloudwatch:alarm"}
        assert {s["value"] for s in stops} == secondary | canary | slot


def test_every_stop_condition_alarm_is_in_the_templates_region_and_within_the_quota(stage):
    for template in templates(stage).values():
        stops = template.inputs["stopConditions"]
        assert all(s["value"].startswith("arn:aws:cloudwatch:us-east-1:") for s in stops)
        assert 1 <= len(stops) <= MAX_STOP_CONDITIONS


def test_template_values_fit_the_fis_api_model(stage):
    pattern = re.compile(FIS_MODEL["StopConditionSource"]["pattern"])
    for template in templates(stage).values():
        assert len(template.inputs["description"]) <= FIS_MODEL["ExperimentTemplateDescription"]["max"]
        options = template.inputs["experimentOptions"]
        assert options["accountTargeting"] in FIS_MODEL["AccountTargeting"]["enum"]
        assert options["emptyTargetResolutionMode"] in FIS_MODEL["EmptyTargetResolutionMode"]["enum"]
        assert all(pattern.fullmatch(s["source"]) for s in template.inputs["stopConditions"])
        for p in template.inputs["actions"][0].get("parameters", []):
            assert len(p["value"]) <= FIS_MODEL["ExperimentTemplateActionParameter"]["max"]


def test_the_fis_role_is_assumable_only_by_this_accounts_experiments_and_grants_only_the_actions_used(stage):
    role = stage.one("aws:iam/role:Role", "chaos-drill-fis-role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "fis.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "321098765432"}
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:fis:us-east-1:321098765432:experiment/*"}
    policy = json.loads(stage.one("aws:iam/rolePolicy:RolePolicy", "chaos-drill-fis-role").inputs["policy"])
    granted = {a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    needed = set().union(*(FIS_ACTIONS[t.inputs["actions"][0]["actionId"]][2] for t in templates(stage).values()))
    assert needed <= granted
    assert granted - needed == {"s3:ListAllMyBuckets", "tag:GetResources"}  # target discovery, nothing else
    reboot = next(s for s in policy["Statement"] if s["Sid"] == "RebootThePrimary")
    assert reboot["Resource"] == stage.one("aws:rds/instance:Instance", "db-primary").outputs["arn"]


def test_the_four_drill_alarms_live_in_the_dr_region_and_notify_the_dr_warning_topic(stage):
    # A missed objective in a drill is a finding for the team (Slack), not an outage (components/alerting.py).
    alarms = drill_alarms(stage)
    topic = stage.one("aws:sns/topic:Topic", "ops-alerts-dr-warning").outputs["arn"]
    assert set(alarms) == {"RTOViolated", "RPOViolated", "ChaosDrillFailed", "ChaosDrillNotRun"}
    for alarm in alarms.values():
        assert alarm.region == "us-west-2"
        assert alarm.inputs["alarmActions"] == [topic] and alarm.inputs["namespace"] == METRIC_NAMESPACE
        assert alarm.inputs["dimensions"] == {"Environment": "stage"}
        assert alarm.inputs["period"] * alarm.inputs["evaluationPeriods"] <= 604800  # PutMetricAlarm's 7-day limit


def test_alarm_thresholds_are_the_stacks_objectives_and_a_silent_age_function_pages(stage):
    alarms = drill_alarms(stage)
    assert (alarms["RTOViolated"].inputs["threshold"], alarms["RPOViolated"].inputs["threshold"]) == (900, 300)
    assert alarms["ChaosDrillNotRun"].inputs["metricName"] == AGE_METRIC
    assert alarms["ChaosDrillNotRun"].inputs["threshold"] == 35
    assert alarms["ChaosDrillNotRun"].inputs["treatMissingData"] == "breaching"
    assert alarms["ChaosDrillFailed"].inputs["metricName"] == "DrillSucceeded"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stacks_without_chaos_experiments_have_no_templates_or_drill_alarms(stack):
    run = run_stack(stack)
    assert run.all(TEMPLATE) == [] and drill_alarms(run) == {}


def test_chaos_outside_us_east_1_is_refused_with_one_line():
    with pytest.raises(ConfigError) as err:
        stack_settings("stage", {"primaryRegion": "eu-west-1", "drRegion": "eu-central-1"})
    assert "chaosExperimentsEnabled" in str(err.value) and "us-east-1" in str(err.value)


def test_a_template_set_needs_one_to_five_stop_conditions():
    with pytest.raises(ValueError, match="1 to 5 stop-condition alarms, got 0"):
        ChaosDrillArgs(
            name_prefix="summit-stage",
            environment="stage",
            account_id="321098765432",
            primary_region="us-east-1",
            dr_region="us-west-2",
            alarm_topics=AlarmTopics(
                "us-west-2", "arn:aws:sns:us-west-2:321098765432:c", "arn:aws:sns:us-west-2:321098765432:w"
            ),
            rto_seconds=900,
            rpo_seconds=300,
            log_retention_days=30,
            faults=FaultTargets(db_arn="arn:aws:rds:us-east-1:321098765432:db:x", bucket_arns=(), stop_alarm_arns=()),
        )


# --- the drill-age function ----------------------------------------------------------------------------------


@pytest.fixture
def cloudwatch(monkeypatch):
    from moto import mock_aws

    for key, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-west-2",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        import boto3

        yield boto3.client("cloudwatch", region_name="us-west-2")


def succeeded(cloudwatch, at: datetime, value: float) -> None:
    cloudwatch.put_metric_data(
        Namespace=METRIC_NAMESPACE,
        MetricData=[
            {
                "MetricName": "DrillSucceeded",
                "Dimensions": [{"Name": "Environment", "Value": "stage"}],
                "Timestamp": at,
                "Value": value,
            }
        ],
    )


def test_days_since_the_newest_successful_drill_ignores_failed_ones(cloudwatch):
    now = datetime.now(UTC).replace(microsecond=0)
    succeeded(cloudwatch, now - timedelta(days=10), 1.0)
    succeeded(cloudwatch, now - timedelta(days=2), 0.0)  # a failed drill does not reset the clock

    days = days_since_success(cloudwatch, METRIC_NAMESPACE, "stage", now)

    assert 9 <= days <= 11  # one-day periods: the datapoint's day start, not its second


def test_no_successful_drill_in_the_look_back_reads_as_the_whole_look_back(cloudwatch):
    now = datetime.now(UTC)
    succeeded(cloudwatch, now - timedelta(days=1), 0.0)

    assert days_since_success(cloudwatch, METRIC_NAMESPACE, "stage", now) == LOOKBACK_DAYS > 35


def test_the_handler_publishes_the_age_the_alarm_reads(cloudwatch, monkeypatch):
    from lambdas.drill_age import handler

    monkeypatch.setenv("DRILL_NAMESPACE", METRIC_NAMESPACE)
    monkeypatch.setenv("DRILL_ENVIRONMENT", "stage")
    succeeded(cloudwatch, datetime.now(UTC) - timedelta(days=3), 1.0)

    result = handler.handler()

    listed = cloudwatch.list_metrics(Namespace=METRIC_NAMESPACE, MetricName=AGE_METRIC)["Metrics"]
    assert listed and listed[0]["Dimensions"] == [{"Name": "Environment", "Value": "stage"}]
    assert 2 <= result["daysSinceSuccessfulDrill"] <= 4


# --- cost -----------------------------------------------------------------------------------------------------


def _template(actions):
    return {
        "type": TEMPLATE,
        "urn": f"urn:pulumi:t::p::{TEMPLATE}::t",
        "name": "t",
        "region": "us-east-1",
        "props": {"actions": actions},
        "protect": False,
    }


def test_a_template_bills_its_action_minutes_once_a_month_at_the_fis_rate():
    from policy.cost import estimate

    timed = {"actionId": "aws:s3:bucket-pause-replication", "parameters": [{"key": "duration", "value": "PT10M"}]}
    (item,) = estimate([_template([timed])], {})["items"]
    assert item["monthly"] == pytest.approx(10 * 0.10)  # $0.10 per action-minute (FIS pricing)


def test_an_action_without_a_duration_bills_one_minute():
    from policy.cost import estimate

    (item,) = estimate([_template([{"actionId": "aws:rds:reboot-db-instances"}])], {})["items"]
    assert item["monthly"] == pytest.approx(0.10) and "1 action-minute(s) per run" in item["basis"]


def test_chaos_without_the_replica_is_refused_with_one_line():
    with pytest.raises(ConfigError) as err:
        stack_settings("dev", {"chaosExperimentsEnabled": True, "dbReplicaEnabled": False})
    assert "chaosExperimentsEnabled" in str(err.value) and "dbReplicaEnabled" in str(err.value)
