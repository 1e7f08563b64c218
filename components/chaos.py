"""ChaosDrill: the drill's real faults as AWS FIS experiment templates, and the alarms on the drill's own results.

Faults (primary region, where the targets are; only when `faults` is given — stage by default):
* `primary-db-reboot` — `aws:rds:reboot-db-instances` on the primary instance (target by ARN: a tag would also match
  the `-failback` replica that failback creates in the same region);
* `s3-pause-replication` — `aws:s3:bucket-pause-replication` on the replicated source buckets, towards the DR
  region (the S3 side of the RPO);
* `app-network` — `aws:network:disrupt-connectivity` (scope `all`) on the app-tier subnets chosen by tag (only when
  a tag is configured): the application in the primary region loses its network, the database its clients.
Each template has the stack's stop conditions (CloudWatch alarms in the primary region: FIS reads them where the
experiment runs), a bounded duration (`FAULT_DURATION`; a reboot is a single, self-ending action) and runs as one
role that may do exactly those actions on exactly those targets. The drill's minimal lever (inverting the primary
health check) stays in ops/drill.py; a template adds a real fault on top (docs/runbooks/monthly-drill.md).

Alarms (DR region, where the drill publishes — ops/drill.py METRIC_NAMESPACE; every alarm notifies
the DR region's paging topics, by their roles in components/alerting.py):
RTOViolated, RPOViolated (newest measured value above the objective), ChaosDrillFailed (a drill finished without
passing) and ChaosDrillNotRun (no successful drill in `not_run_days`, from a daily function — lambdas/drill_age).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components.alerting import AlarmTopics, severity_tags
from components.dashboards import DRILL_NAMESPACE
from components.iam import service_trust

if TYPE_CHECKING:
    from settings import StackSettings

# Each drill alarm's role in the paging table (components/alerting.py SEVERITIES).
ALARM_ROLES = {
    "RTOViolated": "drill-rto-violated",
    "RPOViolated": "drill-rpo-violated",
    "ChaosDrillFailed": "chaos-drill-failed",
    "ChaosDrillNotRun": "chaos-drill-not-run",
}

HANDLER = Path(__file__).resolve().parent.parent / "lambdas" / "drill_age" / "handler.py"
# Lambda Python runtime (botocore lambda Runtime enum); the handler only uses boto3 CloudWatch calls.
LAMBDA_RUNTIME = "python3.13"
LAMBDA_TIMEOUT_SECONDS = 30  # one GetMetricStatistics and one PutMetricData (Lambda allows 1–900 s)
LAMBDA_MEMORY_MB = 128  # the minimum (botocore MemorySize 128–32768)
# FIS duration parameters are ISO 8601, "from one minute to 12 hours" (FIS actions reference, disrupt-connectivity
# and bucket-pause-replication); ten minutes covers detection, DNS and promotion of a 15-minute RTO drill.
FAULT_DURATION = "PT10M"
# FIS quota "Stop conditions per experiment template": 5 (AWS FIS quotas page).
MAX_STOP_CONDITIONS = 5
DAY_SECONDS = 86400  # alarm period: one drill result per day at most; Period × EvaluationPeriods ≤ 604,800 s
SUCCESS_METRIC, AGE_METRIC = "DrillSucceeded", "DaysSinceSuccessfulDrill"
RTO_METRIC, RPO_METRIC = "MeasuredRtoSeconds", "MeasuredRpoSeconds"
# EventBridge schedule expression (rate(value unit), value ≥ 1): the age is published once a day.
AGE_SCHEDULE = "rate(1 day)"


@dataclass(frozen=True)
class FaultTargets:
    """What the FIS templates may break, all in the primary region."""

    db_arn: pulumi.Input[str]
    bucket_arns: Sequence[pulumi.Input[str]]  # replication sources (paused towards the DR region)
    stop_alarm_arns: Sequence[pulumi.Input[str]]  # alarms in the primary region that stop every experiment
    app_subnet_tag: tuple[str, str] | None = None  # (key, value) of the app-tier subnets; None = no network fault

    @classmethod
    def from_settings(
        cls,
        config: StackSettings,
        *,
        db_arn: pulumi.Input[str],
        bucket_arns: Sequence[pulumi.Input[str]],
        stop_alarm_arns: Sequence[pulumi.Input[str]],
    ) -> FaultTargets:
        return cls(
            db_arn=db_arn,
            bucket_arns=bucket_arns,
            stop_alarm_arns=stop_alarm_arns,
            app_subnet_tag=config.region_switch.chaos_app_subnet_tag,
        )


@dataclass(frozen=True)
class ChaosDrillArgs:
    name_prefix: str  # e.g. summit-stage: names the templates, role, alarms and function
    environment: str  # the Environment dimension the drill publishes under
    account_id: str
    primary_region: str
    dr_region: str
    alarm_topics: AlarmTopics  # the DR region's paging topics (the alarms live there)
    rto_seconds: float
    rpo_seconds: float
    log_retention_days: int
    not_run_days: int = 35  # seed: a drill at least monthly, with a few days' grace
    faults: FaultTargets | None = None

    def __post_init__(self) -> None:
        if self.faults is not None and not 1 <= len(self.faults.stop_alarm_arns) <= MAX_STOP_CONDITIONS:
            raise ValueError(
                f"ChaosDrill {self.name_prefix}: FIS templates need 1 to {MAX_STOP_CONDITIONS} stop-condition alarms, "
                f"got {len(self.faults.stop_alarm_arns)}"
            )

    @classmethod
    def from_settings(cls, config: StackSettings, alarm_topics: AlarmTopics, faults: FaultTargets) -> ChaosDrillArgs:
        """`alarm_topics`: the DR region's (the drill publishes there, and the alarms must outlive the primary)."""
        core, switch = config.core, config.region_switch
        return cls(
            name_prefix=core.name_prefix,
            environment=core.environment,
            account_id=core.aws_account_id,
            primary_region=core.primary_region,
            dr_region=core.dr_region,
            alarm_topics=alarm_topics,
            rto_seconds=switch.drill_rto_seconds,
            rpo_seconds=switch.drill_rpo_seconds,
            log_retention_days=config.data.db_log_retention_days,
            faults=faults,
        )


class ChaosDrill(pulumi.ComponentResource):
    templates: dict[str, aws.fis.ExperimentTemplate]
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(
        self,
        name: str,
        args: ChaosDrillArgs,
        *,
        primary: aws.Provider,
        dr: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:chaos:ChaosDrill", name, None, opts)
        self._args = args
        in_primary = pulumi.ResourceOptions(parent=self, provider=primary)
        in_dr = pulumi.ResourceOptions(parent=self, provider=dr)
        self.templates = {}
        self.role: aws.iam.Role | None = None
        if args.faults is not None:
            self.role = self._fis_role(name, args, args.faults, in_primary)
            self.templates = self._templates(name, args, args.faults, self.role, in_primary)
        self.age_function = self._age_function(name, args, in_dr)
        self.alarms = self._alarms(name, args, in_dr)
        self.register_outputs(
            {
                "templateIds": {k: t.id for k, t in self.templates.items()},
                "alarmArns": {k: a.arn for k, a in self.alarms.items()},
            }
        )

    # --- FIS -------------------------------------------------------------------------------------------------

    def _fis_role(
        self, name: str, args: ChaosDrillArgs, faults: FaultTargets, opts: pulumi.ResourceOptions
    ) -> aws.iam.Role:
        account, region = args.account_id, args.primary_region
        role = aws.iam.Role(
            f"{name}-fis-role",
            name=f"{args.name_prefix}-drill-fis"[:64],
            description=f"AWS FIS experiments of the {args.name_prefix} DR drill",
            # Only FIS experiments of this account and region may assume it (confused-deputy guard, FIS user guide
            # "Service role": aws:SourceAccount and aws:SourceArn).
            assume_role_policy=service_trust(
                "fis.amazonaws.com",
                {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:fis:{region}:{account}:experiment/*"},
                },
            ),
            opts=opts,
        )
        aws.iam.RolePolicy(f"{name}-fis-role", role=role.name, policy=fis_policy(args, faults), opts=opts)
        return role

    def _templates(
        self,
        name: str,
        args: ChaosDrillArgs,
        faults: FaultTargets,
        role: aws.iam.Role,
        opts: pulumi.ResourceOptions,
    ) -> dict[str, aws.fis.ExperimentTemplate]:
        stops = [
            aws.fis.ExperimentTemplateStopConditionArgs(source="aws:cloudwatch:alarm", value=arn)
            for arn in faults.stop_alarm_arns
        ]
        specs: dict[str, tuple[str, aws.fis.ExperimentTemplateActionArgs, aws.fis.ExperimentTemplateTargetArgs]] = {
            "primary-db-reboot": (
                "Reboot the primary database: the application loses its writer",
                aws.fis.ExperimentTemplateActionArgs(
                    name="reboot-primary",
                    action_id="aws:rds:reboot-db-instances",
                    # forceFailover stays off: the drill is about the region, not the AZ.
                    target=aws.fis.ExperimentTemplateActionTargetArgs(key="DBInstances", value="primary-db"),
                ),
                aws.fis.ExperimentTemplateTargetArgs(
                    name="primary-db", resource_type="aws:rds:db", selection_mode="ALL", resource_arns=[faults.db_arn]
                ),
            ),
            "s3-pause-replication": (
                f"Pause S3 replication to {args.dr_region} for {FAULT_DURATION}: objects written meanwhile are "
                "the S3 RPO",
                aws.fis.ExperimentTemplateActionArgs(
                    name="pause-replication",
                    action_id="aws:s3:bucket-pause-replication",
                    parameters=[
                        aws.fis.ExperimentTemplateActionParameterArgs(key="duration", value=FAULT_DURATION),
                        aws.fis.ExperimentTemplateActionParameterArgs(key="region", value=args.dr_region),
                    ],
                    target=aws.fis.ExperimentTemplateActionTargetArgs(key="Buckets", value="replicated-buckets"),
                ),
                aws.fis.ExperimentTemplateTargetArgs(
                    name="replicated-buckets",
                    resource_type="aws:s3:bucket",
                    selection_mode="ALL",
                    resource_arns=list(faults.bucket_arns),
                ),
            ),
        }
        if faults.app_subnet_tag is not None:
            key, value = faults.app_subnet_tag
            specs["app-network"] = (
                f"Cut the primary app tier's network for {FAULT_DURATION} (subnets tagged {key}={value})",
                aws.fis.ExperimentTemplateActionArgs(
                    name="disrupt-app-network",
                    action_id="aws:network:disrupt-connectivity",
                    parameters=[
                        aws.fis.ExperimentTemplateActionParameterArgs(key="duration", value=FAULT_DURATION),
                        aws.fis.ExperimentTemplateActionParameterArgs(key="scope", value="all"),
                    ],
                    target=aws.fis.ExperimentTemplateActionTargetArgs(key="Subnets", value="app-subnets"),
                ),
                aws.fis.ExperimentTemplateTargetArgs(
                    name="app-subnets",
                    resource_type="aws:ec2:subnet",
                    selection_mode="ALL",
                    resource_tags=[aws.fis.ExperimentTemplateTargetResourceTagArgs(key=key, value=value)],
                ),
            )
        return {
            fault: aws.fis.ExperimentTemplate(
                f"{name}-{fault}",
                description=f"{args.name_prefix} DR drill: {description}"[:512],  # ExperimentTemplateDescription ≤ 512
                role_arn=role.arn,
                stop_conditions=stops,
                actions=[action],
                targets=[target],
                # An empty target (the tag matches nothing) fails the experiment instead of "passing" it unharmed.
                experiment_options=aws.fis.ExperimentTemplateExperimentOptionsArgs(
                    account_targeting="single-account", empty_target_resolution_mode="fail"
                ),
                tags={"Name": f"{args.name_prefix}-drill-{fault}"},
                opts=opts,
            )
            for fault, (description, action, target) in specs.items()
        }

    # --- drill results ---------------------------------------------------------------------------------------

    def _age_function(self, name: str, args: ChaosDrillArgs, opts: pulumi.ResourceOptions) -> aws.lambda_.Function:
        function_name = f"{args.name_prefix}-drill-age"[:64]
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-age-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=args.log_retention_days,
            opts=opts,
        )
        role = aws.iam.Role(
            f"{name}-age-role",
            name=f"{args.name_prefix}-drill-age-{args.dr_region}"[:64],
            description="Publishes the days since the newest successful DR drill",
            assume_role_policy=service_trust("lambda.amazonaws.com"),
            opts=opts,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-age-role",
            role=role.name,
            policy=log_group.arn.apply(
                lambda group: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "Logs",
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                "Resource": f"{group}:*",
                            },
                            {
                                # CloudWatch metric APIs have no resource-level permissions (Service Authorization
                                # Reference, Amazon CloudWatch); the namespace condition limits the write.
                                "Sid": "ReadDrillResults",
                                "Effect": "Allow",
                                "Action": "cloudwatch:GetMetricStatistics",
                                "Resource": "*",
                            },
                            {
                                "Sid": "PublishDrillAge",
                                "Effect": "Allow",
                                "Action": "cloudwatch:PutMetricData",
                                "Resource": "*",
                                "Condition": {"StringEquals": {"cloudwatch:namespace": DRILL_NAMESPACE}},
                            },
                        ],
                    }
                )
            ),
            opts=opts,
        )
        function = aws.lambda_.Function(
            f"{name}-age",
            name=function_name,
            description="Days since the newest successful DR drill (ChaosDrillNotRun)",
            role=role.arn,
            runtime=LAMBDA_RUNTIME,
            architectures=["arm64"],
            handler="handler.handler",
            code=pulumi.AssetArchive({"handler.py": pulumi.FileAsset(str(HANDLER))}),
            timeout=LAMBDA_TIMEOUT_SECONDS,
            memory_size=LAMBDA_MEMORY_MB,
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={"DRILL_NAMESPACE": DRILL_NAMESPACE, "DRILL_ENVIRONMENT": args.environment}
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[log_group, policy])),
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-age-schedule",
            name=f"{args.name_prefix}-drill-age"[:64],
            description="Once a day: publish the days since the newest successful DR drill",
            schedule_expression=AGE_SCHEDULE,
            opts=opts,
        )
        aws.lambda_.Permission(
            f"{name}-age-schedule",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            opts=opts,
        )
        aws.cloudwatch.EventTarget(f"{name}-age-schedule", rule=rule.name, arn=function.arn, opts=opts)
        return function

    def _alarms(
        self, name: str, args: ChaosDrillArgs, opts: pulumi.ResourceOptions
    ) -> dict[str, aws.cloudwatch.MetricAlarm]:
        specs = {
            # alarm name: (metric, statistic, comparison, threshold, missing data, what it means)
            "RTOViolated": (
                RTO_METRIC,
                "Maximum",
                "GreaterThanThreshold",
                args.rto_seconds,
                "notBreaching",
                f"The newest drill's measured RTO exceeded the {args.rto_seconds:g} s objective",
            ),
            "RPOViolated": (
                RPO_METRIC,
                "Maximum",
                "GreaterThanThreshold",
                args.rpo_seconds,
                "notBreaching",
                f"The newest drill's measured RPO (lost canary writes included) exceeded {args.rpo_seconds:g} s",
            ),
            "ChaosDrillFailed": (
                SUCCESS_METRIC,
                "Minimum",
                "LessThanThreshold",
                1.0,
                "notBreaching",
                "A DR drill finished without passing (missed objective, or stopped): see its evidence bundle",
            ),
            "ChaosDrillNotRun": (
                AGE_METRIC,
                "Maximum",
                "GreaterThanThreshold",
                float(args.not_run_days),
                # no datapoint = the daily function did not run: page too, nobody is watching the drill cadence
                "breaching",
                f"No successful DR drill in {args.not_run_days} days (or the drill-age function stopped publishing)",
            ),
        }
        return {
            alarm: aws.cloudwatch.MetricAlarm(
                f"{name}-{alarm}",
                name=f"{args.name_prefix}-{alarm}",
                tags=severity_tags(ALARM_ROLES[alarm]),
                alarm_description=description,
                namespace=DRILL_NAMESPACE,
                metric_name=metric,
                dimensions={"Environment": args.environment},
                statistic=statistic,
                period=DAY_SECONDS,
                evaluation_periods=1,
                threshold=threshold,
                comparison_operator=comparison,
                treat_missing_data=missing,
                alarm_actions=args.alarm_topics.actions(ALARM_ROLES[alarm]),
                ok_actions=args.alarm_topics.actions(ALARM_ROLES[alarm]),
                opts=opts,
            )
            for alarm, (metric, statistic, comparison, threshold, missing, description) in specs.items()
        }


def fis_policy(args: ChaosDrillArgs, faults: FaultTargets) -> pulumi.Output[str]:
    """Exactly the permissions the FIS actions reference lists for the three actions, on exactly their targets."""
    account, region = args.account_id, args.primary_region
    return pulumi.Output.all(faults.db_arn, *faults.bucket_arns).apply(
        lambda arns: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        # aws:rds:reboot-db-instances: rds:RebootDBInstance, rds:DescribeDBInstances, tag:GetResources
                        "Sid": "RebootThePrimary",
                        "Effect": "Allow",
                        "Action": ["rds:RebootDBInstance", "rds:DescribeDBInstances"],
                        "Resource": arns[0],
                    },
                    {
                        # aws:s3:bucket-pause-replication: s3:PutReplicationConfiguration,
                        # s3:GetReplicationConfiguration, s3:PauseReplication, s3:ListAllMyBuckets, tag:GetResources
                        "Sid": "PauseReplication",
                        "Effect": "Allow",
                        "Action": [
                            "s3:PutReplicationConfiguration",
                            "s3:GetReplicationConfiguration",
                            "s3:PauseReplication",
                        ],
                        "Resource": list(arns[1:]),
                        # S3 bucket ARNs carry no account
                        "Condition": {"StringEquals": {"s3:ResourceAccount": account}},
                    },
                    {
                        "Sid": "FindTargets",
                        "Effect": "Allow",
                        "Action": ["s3:ListAllMyBuckets", "tag:GetResources"],
                        "Resource": "*",
                    },
                    *(_network_statements(account, region) if faults.app_subnet_tag else []),
                ],
            }
        )
    )


def _network_statements(account: str, region: str) -> list[dict[str, object]]:
    """aws:network:disrupt-connectivity swaps the subnets' network ACL for one FIS creates and tags managedByFIS,
    and restores it afterwards (FIS actions reference; AWSFaultInjectionSimulatorNetworkAccess)."""
    acl = f"arn:aws:ec2:{region}:{account}:network-acl/*"
    return [
        {
            "Sid": "CreateFisAcl",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkAcl", "ec2:CreateTags"],
            "Resource": [acl, f"arn:aws:ec2:{region}:{account}:vpc/*"],
        },
        {
            "Sid": "ChangeOnlyFisAcls",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAcl"],
            "Resource": acl,
            "Condition": {"StringEquals": {"ec2:ResourceTag/managedByFIS": "true"}},
        },
        {
            "Sid": "SwapSubnetAcls",
            "Effect": "Allow",
            "Action": "ec2:ReplaceNetworkAclAssociation",
            "Resource": [acl, f"arn:aws:ec2:{region}:{account}:subnet/*"],
        },
        {
            # Describe/Get calls have no resource-level permissions (Service Authorization Reference, Amazon EC2)
            "Sid": "DescribeNetwork",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeManagedPrefixLists",
                "ec2:DescribeNetworkAcls",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
                "ec2:GetManagedPrefixListEntries",
            ],
            "Resource": "*",
        },
    ]
