"""RegionSwitchPlan: the region failover as an ARC Region switch plan — AWS's regional engine runs it, not a laptop.

Four workflows of an active/passive plan over the primary and the DR region, generated from the same two recipes
so that failover and failback are mirror images:

* activate <region> — fail over to (or back to) that region:
  ManualApproval (when an approver role is configured; required in prod) → RdsPromoteReadReplica for every database
  (one step each, in a Parallel block when there are several) → CustomActionLambda re-pointing the writer endpoint
  parameter and the credentials secret in the activated region (lambdas/writer_switch) → EKSResourceScaling of the
  configured Deployments (when a DR cluster is configured) → Route53HealthCheck for every failover record set.
* deactivate <region> — re-protect once that region is back: RdsCreateCrossRegionReplica for every database (the
  instance of the active region is the source; the old instance in the recovered region is renamed and tagged
  `renamedByRegionSwitch`, a new read replica takes its identifier) → CustomActionLambda re-pointing the recovered
  region's parameter and secret at the active writer.

The deactivate workflows are opt-in (`reprotect_workflows`, config `regionSwitchReprotectWorkflows`, default off).
AWS's guide ("Create Region switch plan workflows") describes activation workflows for an active/passive plan and
deactivation workflows for active/active ones, and documents RdsCreateCrossRegionReplica as a post-recovery block;
the model's WorkflowTargetAction has `postRecovery`, but the pinned provider (pulumi_aws 7.51.1) accepts only
`activate`/`deactivate`. Nothing says CreatePlan accepts deactivate workflows on an active/passive plan, so by default
the plan carries the two activate workflows only and re-protection is `python -m ops failback`; turn the option on
once a stage deploy shows AWS accepts them (there the activating region is the active one, the block's source).

The plan's RTO is the policy pack's `recovery-budget` objective (settings read it). Execution reports go to a bucket
of the DR region passed in (the replicated audit-log bucket's DR copy), written by the region that executes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_aws.arcregionswitch as rs

from components.failover import set_identifier
from components.iam import service_trust

if TYPE_CHECKING:
    from settings import StackSettings

HANDLER = Path(__file__).resolve().parent.parent / "lambdas" / "writer_switch" / "handler.py"
# Lambda Python runtimes (botocore lambda Runtime enum); python3.13 ships a boto3 with every call the handler makes.
LAMBDA_RUNTIME = "python3.13"
# 60 s covers a describe in each region (3 s connect + 10 s read, 2 attempts) plus the writes; Lambda allows 1–900 s.
LAMBDA_TIMEOUT_SECONDS = 60
LAMBDA_MEMORY_MB = 128  # the minimum (botocore MemorySize 128–32768): the function only makes API calls
# Step timeouts (every *TimeoutMinutes shape in the arc-region-switch model has min 1 and no max):
PROMOTE_TIMEOUT_MINUTES = 20  # RDS promotion typically 3–10 min; past 20 min the 15-min RTO is lost anyway
WRITER_TIMEOUT_MINUTES = 2  # two Lambda runs of ≤ 60 s; the recovery budget counts this bound
WRITER_RETRY_MINUTES = 0.5  # retryIntervalMinutes (Float, required): rerun a failed re-point after 30 s
EKS_TIMEOUT_MINUTES = 10
DNS_TIMEOUT_MINUTES = 5
# A cross-region replica of a large database seeds for hours; re-protection is not on the RTO's clock.
RECREATE_TIMEOUT_MINUTES = 360
# Trigger.minDelayMinutesBetweenExecutions (required Integer): a flapping alarm must not start a second failover
# within the hour the first one needs to finish and be looked at.
TRIGGER_MIN_DELAY_MINUTES = 60
# EksResourceScalingConfiguration: targetPercent ≥ 1 (100 = the capacity the deactivated region ran, sampled over
# the last 24 h — capacityMonitoringApproach's only value in the model is sampledMaxInLast24Hours).
EKS_TARGET_PERCENT = 100
EKS_CAPACITY_APPROACH = "sampledMaxInLast24Hours"
EKS_SCALING_ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonARCRegionSwitchScalingPolicy"
REPORT_PREFIX = "region-switch/"


@dataclass(frozen=True)
class ReplicatedDatabase:
    """One primary/replica pair the plan fails over, and what the application reads to find its writer."""

    name: str  # short label used in step names ("db")
    primary_identifier: str
    primary_arn: pulumi.Input[str]
    replica_identifier: str
    replica_arn: pulumi.Input[str]
    endpoint_parameter_name: str  # SSM String parameter, same name in both regions
    # Secrets Manager secrets holding a `host` field, by the region whose application reads them (the DR-region
    # copy for the DR region). An RDS-managed secret is listed only to be skipped by the function.
    secret_arns: Mapping[str, Sequence[pulumi.Input[str]]] = field(default_factory=dict)
    # Customer-managed keys of both regions' instances: re-creating an encrypted cross-region replica needs them.
    kms_key_arns: Sequence[pulumi.Input[str]] = ()


@dataclass(frozen=True)
class FailoverRecordSet:
    """A PRIMARY/SECONDARY failover pair the Route53HealthCheck step switches."""

    zone_id: str
    fqdn: str
    set_identifiers: Mapping[str, str]  # region -> set identifier of the record that points there


@dataclass(frozen=True)
class EksScaling:
    """Deployments scaled in the activated region's cluster before DNS moves."""

    cluster_names: Mapping[str, str]  # region -> EKS cluster name (both regions)
    deployments: tuple[tuple[str, str], ...]  # (namespace, name), the same in both clusters


@dataclass(frozen=True)
class ReportBucket:
    """Where the plan writes execution reports: a bucket that outlives either region's loss."""

    name: pulumi.Input[str]
    arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    region: str


@dataclass(frozen=True)
class RegionSwitchPlanArgs:
    """What the caller decides. Everything else is a safe default."""

    plan_name: str  # ≤ 32 characters (settings validate)
    account_id: str
    primary_region: str
    dr_region: str
    rto_minutes: int  # the recovery-budget objective, rounded down to whole minutes
    databases: tuple[ReplicatedDatabase, ...]
    record_sets: tuple[FailoverRecordSet, ...]
    report_bucket: ReportBucket
    log_retention_days: int  # the writer-switch functions' log groups (a CloudWatch Logs retention value)
    approver_role_arn: str = ""  # "" = no ManualApproval step
    approval_timeout_minutes: int = 5
    eks: EksScaling | None = None
    # Alarms Region switch reads to judge the application healthy again (actual recovery time); inputs so the DR
    # canaries' alarms can be added without touching this component.
    application_health_alarm_arns: Sequence[pulumi.Input[str]] = ()
    trigger_alarm_arn: pulumi.Input[str] | None = None  # set = the plan activates the DR region on ALARM
    # The re-protection (deactivate) workflows: opt-in (see the module docstring and regionSwitchReprotectWorkflows).
    reprotect_workflows: bool = False
    # region -> customer-managed keys of the secrets that region's function writes (used through Secrets Manager only)
    secret_kms_key_arns: Mapping[str, Sequence[pulumi.Input[str]]] = field(default_factory=dict)

    @classmethod
    def from_settings(
        cls,
        config: StackSettings,
        *,
        database: ReplicatedDatabase,
        secret_kms_key_arns: Mapping[str, Sequence[pulumi.Input[str]]],
        report_bucket: ReportBucket,
        application_health_alarm_arns: Sequence[pulumi.Input[str]],
    ) -> RegionSwitchPlanArgs:
        """`application_health_alarm_arns`: application health as seen from the DR region (its canaries' alarms,
        which survive the primary)."""
        core, switch, edge = config.core, config.region_switch, config.edge
        return cls(
            plan_name=switch.plan_name,
            account_id=core.aws_account_id,
            primary_region=core.primary_region,
            dr_region=core.dr_region,
            rto_minutes=switch.rto_minutes,
            databases=(database,),
            record_sets=tuple(
                FailoverRecordSet(
                    zone_id=core.hosted_zone_id,
                    fqdn=edge.failover_fqdn(host, core.domain),
                    set_identifiers={
                        core.primary_region: set_identifier(host, "primary"),
                        core.dr_region: set_identifier(host, "secondary"),
                    },
                )
                for host in edge.failover_hosts
            ),
            report_bucket=report_bucket,
            log_retention_days=config.data.db_log_retention_days,  # the writer switch belongs to the data tier
            approver_role_arn=switch.approver_role_arn,
            approval_timeout_minutes=switch.approval_timeout_minutes,
            eks=(
                EksScaling(
                    cluster_names={
                        core.primary_region: core.eks_cluster_name,
                        core.dr_region: switch.dr_eks_cluster_name,
                    },
                    deployments=tuple((d.namespace, d.name) for d in switch.eks_deployments),
                )
                if switch.dr_eks_cluster_name
                else None
            ),
            application_health_alarm_arns=application_health_alarm_arns,
            trigger_alarm_arn=switch.trigger_alarm_arn if switch.auto_activate else None,
            reprotect_workflows=switch.reprotect_workflows,
            secret_kms_key_arns=secret_kms_key_arns,
        )


class RegionSwitchPlan(pulumi.ComponentResource):
    """An ARC Region switch plan failing the stack over between its two regions, its execution role, and the
    writer-switch function in each region."""

    plan: rs.Plan
    execution_role: aws.iam.Role
    functions: dict[str, aws.lambda_.Function]  # region -> writer-switch function

    def __init__(
        self,
        name: str,
        args: RegionSwitchPlanArgs,
        *,
        primary: aws.Provider,
        dr: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if not args.databases:
            raise ValueError("RegionSwitchPlan needs at least one replicated database to fail over")
        super().__init__("summit:region_switch:RegionSwitchPlan", name, None, opts)
        self._args = args
        self._primary = primary
        in_primary = pulumi.ResourceOptions(parent=self, provider=primary)
        providers = {args.primary_region: primary, args.dr_region: dr}
        self.regions = (args.primary_region, args.dr_region)

        self.functions = {
            region: self._writer_switch(name, region, args, pulumi.ResourceOptions(parent=self, provider=provider))
            for region, provider in providers.items()
        }
        role_name = f"{args.plan_name}-execution"
        self.execution_role = aws.iam.Role(
            f"{name}-execution",
            name=role_name,
            description=f"ARC Region switch executes and evaluates plan {args.plan_name} with this role",
            # The trust policy of the Region switch user guide ("Plan execution role trust policy").
            assume_role_policy=service_trust("arc-region-switch.amazonaws.com"),
            opts=in_primary,
        )
        execution_policy = aws.iam.RolePolicy(
            f"{name}-execution",
            role=self.execution_role.name,
            policy=self._execution_policy(role_name),
            opts=in_primary,
        )
        if args.eks is not None:
            self._eks_access(name, args.eks, providers)

        alarms = [
            rs.PlanAssociatedAlarmArgs(
                map_block_key=f"application-health-{i}", alarm_type="applicationHealth", resource_identifier=arn
            )
            for i, arn in enumerate(args.application_health_alarm_arns, 1)
        ]
        triggers = None
        if args.trigger_alarm_arn is not None:
            alarms.append(
                rs.PlanAssociatedAlarmArgs(
                    map_block_key="failover-trigger", alarm_type="trigger", resource_identifier=args.trigger_alarm_arn
                )
            )
            triggers = [
                rs.PlanTriggerArgs(
                    action="activate",
                    target_region=args.dr_region,
                    min_delay_minutes_between_executions=TRIGGER_MIN_DELAY_MINUTES,
                    conditions=[rs.PlanTriggerConditionArgs(associated_alarm_name="failover-trigger", condition="red")],
                    description="Fail over to the DR region when the DR-region trigger alarm is in ALARM",
                )
            ]
        self.plan = rs.Plan(
            f"{name}-plan",
            name=args.plan_name,
            description=f"Fail over between {args.primary_region} and {args.dr_region} (summit-resilience)",
            execution_role=self.execution_role.arn,
            recovery_approach="activePassive",  # traffic is served by one region at a time (failover records)
            regions=list(self.regions),
            primary_region=args.primary_region,
            recovery_time_objective_minutes=args.rto_minutes,
            workflows=(
                [
                    self._activate(args.dr_region),
                    self._deactivate(args.primary_region),
                    self._activate(args.primary_region),
                    self._deactivate(args.dr_region),
                ]
                if args.reprotect_workflows
                else [self._activate(args.dr_region), self._activate(args.primary_region)]
            ),
            associated_alarms=alarms or None,
            triggers=triggers,
            report_configurations=[
                rs.PlanReportConfigurationArgs(
                    report_outputs=[
                        rs.PlanReportConfigurationReportOutputArgs(
                            s3_configurations=[
                                rs.PlanReportConfigurationReportOutputS3ConfigurationArgs(
                                    bucket_owner=args.account_id,
                                    bucket_path=pulumi.Output.concat(
                                        "s3://", args.report_bucket.name, "/", REPORT_PREFIX
                                    ),
                                )
                            ]
                        )
                    ]
                )
            ],
            # Plan evaluation assumes the role at once: create the plan after its permissions exist.
            opts=pulumi.ResourceOptions.merge(in_primary, pulumi.ResourceOptions(depends_on=[execution_policy])),
        )
        self.register_outputs(
            {
                "planArn": self.plan.arn,
                "executionRoleArn": self.execution_role.arn,
                "functionArns": {region: fn.arn for region, fn in self.functions.items()},
            }
        )

    # --- workflows ---------------------------------------------------------------------------------------------

    def _activate(self, target: str) -> rs.PlanWorkflowArgs:
        """Make `target` the serving region: approve, promote, re-point the writer, scale, switch DNS."""
        a = self._args
        steps: list[rs.PlanWorkflowStepArgs] = []
        if a.approver_role_arn:
            steps.append(
                rs.PlanWorkflowStepArgs(
                    name="approve",
                    description="A person holding the approver role confirms the region switch",
                    execution_block_type="ManualApproval",
                    execution_approval_configs=[
                        rs.PlanWorkflowStepExecutionApprovalConfigArgs(
                            approval_role=a.approver_role_arn, timeout_minutes=a.approval_timeout_minutes
                        )
                    ],
                )
            )
        promotes = [
            _Spec(
                f"promote-{db.name}",
                "RdsPromoteReadReplica",
                f"Promote {db.replica_identifier if target == a.dr_region else db.primary_identifier} to a writer",
                self._promote_config(db),
            )
            for db in a.databases
        ]
        steps.append(_maybe_parallel("promote-databases", "Promote every database replica at once", promotes))
        steps.append(self._writer_step("repoint-writer", "activatingRegion", target))
        if a.eks is not None:
            steps.append(self._eks_step())
        switches = [_dns_switch(rs, target) for rs in a.record_sets]
        if switches:
            steps.append(_maybe_parallel("switch-dns", "Switch every failover record set", switches))
        role = "failover to the DR region" if target == a.dr_region else "failback to the primary region"
        return rs.PlanWorkflowArgs(
            workflow_target_action="activate",
            workflow_target_region=target,
            workflow_description=f"Activate {target}: {role}",
            steps=steps,
        )

    def _deactivate(self, target: str) -> rs.PlanWorkflowArgs:
        """Re-protect after a switch away from `target`, once it is back: re-create each replica there."""
        a = self._args
        recreates = [
            _Spec(
                f"recreate-replica-{db.name}",
                "RdsCreateCrossRegionReplica",
                f"Re-create the {target} replica of {db.name} from the active writer",
                self._recreate_config(db),
            )
            for db in a.databases
        ]
        steps = [
            _maybe_parallel("recreate-replicas", "Re-create every cross-region replica", recreates),
            # The deactivated region must be reachable here (its replica is being created), so running the function
            # there takes no dependency on a lost region.
            self._writer_step("repoint-writer", "deactivatingRegion", target),
        ]
        return rs.PlanWorkflowArgs(
            workflow_target_action="deactivate",
            workflow_target_region=target,
            workflow_description=f"Re-protect after leaving {target}: replicas there again, its writer endpoint "
            "re-pointed at the active region",
            steps=steps,
        )

    def _promote_config(self, db: ReplicatedDatabase) -> Callable[[bool], dict[str, Any]]:
        return self._rds_config(
            db,
            "rds_promote_read_replica_configs",
            rs.PlanWorkflowStepParallelConfigStepRdsPromoteReadReplicaConfigArgs,
            rs.PlanWorkflowStepRdsPromoteReadReplicaConfigArgs,
            PROMOTE_TIMEOUT_MINUTES,
        )

    def _recreate_config(self, db: ReplicatedDatabase) -> Callable[[bool], dict[str, Any]]:
        return self._rds_config(
            db,
            "rds_create_cross_region_read_replica_configs",
            rs.PlanWorkflowStepParallelConfigStepRdsCreateCrossRegionReadReplicaConfigArgs,
            rs.PlanWorkflowStepRdsCreateCrossRegionReadReplicaConfigArgs,
            RECREATE_TIMEOUT_MINUTES,
        )

    def _rds_config(
        self, db: ReplicatedDatabase, key: str, in_parallel: type, alone: type, timeout: int
    ) -> Callable[[bool], dict[str, Any]]:
        """An RDS step's config block; the provider types it apart inside a parallel step and on its own."""

        def config(parallel: bool) -> dict[str, Any]:
            block_class = in_parallel if parallel else alone
            return {key: [block_class(db_instance_arn_map=self._arn_map(db), timeout_minutes=timeout)]}

        return config

    def _arn_map(self, db: ReplicatedDatabase) -> dict[str, pulumi.Input[str]]:
        # RdsDbInstanceArnMap: region -> the instance of that region (keys match the Region pattern). The map is the
        # same for promotion and re-creation: after re-protection the re-created replica carries the old identifier.
        return {self._args.primary_region: db.primary_arn, self._args.dr_region: db.replica_arn}

    def _writer_step(self, step: str, region_to_run: str, target: str) -> rs.PlanWorkflowStepArgs:
        return rs.PlanWorkflowStepArgs(
            name=step,
            description=f"Point the writer endpoint parameter and secret in the {region_to_run.removesuffix('Region')} "
            "region at the live writer",
            execution_block_type="CustomActionLambda",
            custom_action_lambda_configs=[
                rs.PlanWorkflowStepCustomActionLambdaConfigArgs(
                    # A function in each of the plan's regions (the user guide requires two); no `ungraceful` block:
                    # its only value, "skip", would leave the application on the lost writer in a real failover.
                    lambdas=[
                        rs.PlanWorkflowStepCustomActionLambdaConfigLambdaArgs(arn=fn.arn)
                        for fn in self.functions.values()
                    ],
                    region_to_run=region_to_run,
                    retry_interval_minutes=WRITER_RETRY_MINUTES,
                    timeout_minutes=WRITER_TIMEOUT_MINUTES,
                )
            ],
        )

    def _eks_step(self) -> rs.PlanWorkflowStepArgs:
        eks = self._args.eks
        assert eks is not None
        # scaling_resources: one entry per application; `namespace` is the application's key and each resource's
        # `resource_name` is the region it runs in (the API's map of region -> KubernetesScalingResource).
        return rs.PlanWorkflowStepArgs(
            name="scale-workloads",
            description="Scale the activated region's Deployments to the capacity the other region ran",
            execution_block_type="EKSResourceScaling",
            eks_resource_scaling_configs=[
                rs.PlanWorkflowStepEksResourceScalingConfigArgs(
                    capacity_monitoring_approach=EKS_CAPACITY_APPROACH,
                    target_percent=EKS_TARGET_PERCENT,
                    timeout_minutes=EKS_TIMEOUT_MINUTES,
                    kubernetes_resource_types=[
                        rs.PlanWorkflowStepEksResourceScalingConfigKubernetesResourceTypeArgs(
                            api_version="apps/v1", kind="Deployment"
                        )
                    ],
                    eks_clusters=[
                        rs.PlanWorkflowStepEksResourceScalingConfigEksClusterArgs(
                            cluster_arn=self._cluster_arn(region, cluster)
                        )
                        for region, cluster in sorted(eks.cluster_names.items())
                    ],
                    scaling_resources=[
                        rs.PlanWorkflowStepEksResourceScalingConfigScalingResourceArgs(
                            namespace=f"{namespace}-{deployment}",
                            resources=[
                                rs.PlanWorkflowStepEksResourceScalingConfigScalingResourceResourceArgs(
                                    resource_name=region, name=deployment, namespace=namespace
                                )
                                for region in self.regions
                            ],
                        )
                        for namespace, deployment in eks.deployments
                    ],
                )
            ],
        )

    def _cluster_arn(self, region: str, cluster: str) -> str:
        return f"arn:aws:eks:{region}:{self._args.account_id}:cluster/{cluster}"

    # --- the writer-switch function ----------------------------------------------------------------------------

    def _writer_switch(
        self, name: str, region: str, args: RegionSwitchPlanArgs, opts: pulumi.ResourceOptions
    ) -> aws.lambda_.Function:
        prefix = f"{name}-writer-{region}"
        function_name = f"{args.plan_name}-writer-switch"
        log_group = aws.cloudwatch.LogGroup(
            f"{prefix}-logs",
            # The group Lambda writes to by default, created first so it has a retention (otherwise Lambda creates
            # it with none, outside the stack and the log-group-retention policy).
            name=f"/aws/lambda/{function_name}",
            retention_in_days=args.log_retention_days,
            opts=opts,
        )
        role = aws.iam.Role(
            f"{prefix}-role",
            name=f"{args.plan_name}-writer-{region}"[:64],
            description=f"Writer-switch function of {args.plan_name} in {region}",
            assume_role_policy=service_trust("lambda.amazonaws.com"),
            opts=opts,
        )
        policy = aws.iam.RolePolicy(
            f"{prefix}-role",
            role=role.name,
            policy=self._function_policy(region, log_group.arn),
            opts=opts,
        )
        config = pulumi.Output.all(*[self._function_database(db, region) for db in args.databases]).apply(
            lambda dbs: json.dumps({"databases": list(dbs)}, sort_keys=True)
        )
        return aws.lambda_.Function(
            prefix,
            name=function_name,
            description=f"Re-points the writer endpoint parameter and secret in {region} (Region switch step)",
            role=role.arn,
            runtime=LAMBDA_RUNTIME,
            architectures=["arm64"],  # Graviton: the same work at a lower GB-second price
            handler="handler.handler",
            # Only the handler file: a directory archive would pick up __pycache__ and change on every test run.
            code=pulumi.AssetArchive({"handler.py": pulumi.FileAsset(str(HANDLER))}),
            timeout=LAMBDA_TIMEOUT_SECONDS,
            memory_size=LAMBDA_MEMORY_MB,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={"WRITER_SWITCH_CONFIG": config}),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[log_group, policy])),
        )

    def _function_database(self, db: ReplicatedDatabase, region: str) -> pulumi.Output[dict[str, Any]]:
        """One database in the function's WRITER_SWITCH_CONFIG (lambdas/writer_switch/handler.py)."""
        instances = {self._args.primary_region: db.primary_identifier, self._args.dr_region: db.replica_identifier}
        return pulumi.Output.all(*db.secret_arns.get(region, ())).apply(
            lambda arns: {
                "name": db.name,
                "parameter": db.endpoint_parameter_name,
                "instances": instances,
                "secrets": list(arns),
            }
        )

    def _function_policy(self, region: str, log_group_arn: pulumi.Output[str]) -> pulumi.Output[str]:
        """Least privilege for one region's function: its log group, describing the databases, its region's
        parameter and secrets (and their keys, through Secrets Manager only)."""
        a = self._args
        account = a.account_id
        instances = [
            f"arn:aws:rds:{r}:{account}:db:{ident}"
            for db in a.databases
            for r, ident in ((a.primary_region, db.primary_identifier), (a.dr_region, db.replica_identifier))
        ]
        parameters = [
            f"arn:aws:ssm:{region}:{account}:parameter/{db.endpoint_parameter_name.lstrip('/')}" for db in a.databases
        ]
        secrets = [arn for db in a.databases for arn in db.secret_arns.get(region, ())]
        return pulumi.Output.all(
            log_group_arn, pulumi.Output.all(*secrets), pulumi.Output.all(*a.secret_kms_key_arns.get(region, ()))
        ).apply(
            lambda v: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "OwnLogGroup",
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": f"{v[0]}:*",
                        },
                        # DescribeDBInstances accepts db ARNs as resources (Service Authorization Reference, RDS).
                        {
                            "Sid": "FindWriter",
                            "Effect": "Allow",
                            "Action": "rds:DescribeDBInstances",
                            "Resource": instances,
                        },
                        {
                            "Sid": "WriterEndpointParameter",
                            "Effect": "Allow",
                            "Action": ["ssm:GetParameter", "ssm:PutParameter"],
                            "Resource": parameters,
                        },
                        *(
                            [
                                {
                                    "Sid": "WriterSecrets",
                                    "Effect": "Allow",
                                    "Action": [
                                        "secretsmanager:DescribeSecret",
                                        "secretsmanager:GetSecretValue",
                                        "secretsmanager:PutSecretValue",
                                        "secretsmanager:StopReplicationToReplica",
                                    ],
                                    "Resource": list(v[1]),
                                }
                            ]
                            if v[1]
                            else []
                        ),
                        *(
                            [
                                {
                                    "Sid": "SecretKeysViaSecretsManager",
                                    "Effect": "Allow",
                                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                                    "Resource": list(v[2]),
                                    "Condition": {
                                        "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
                                    },
                                }
                            ]
                            if v[1] and v[2]
                            else []
                        ),
                    ],
                },
                sort_keys=True,
            )
        )

    # --- the execution role ------------------------------------------------------------------------------------

    def _execution_policy(self, role_name: str) -> pulumi.Output[str]:
        """Each permission next to the execution block that needs it (Region switch user guide, "Execution block
        permissions" sample policies), scoped to this stack's resources."""
        a = self._args
        account = a.account_id
        plan = f"arn:aws:arc-region-switch::{account}:plan/{a.plan_name}"
        db_arns = [
            f"arn:aws:rds:{r}:{account}:db:{ident}"
            for db in a.databases
            for r, ident in ((a.primary_region, db.primary_identifier), (a.dr_region, db.replica_identifier))
        ]
        zones = sorted({f"arn:aws:route53:::hostedzone/{r.zone_id}" for r in a.record_sets})
        alarms = [*a.application_health_alarm_arns, *([a.trigger_alarm_arn] if a.trigger_alarm_arn is not None else [])]
        keys = [k for db in a.databases for k in db.kms_key_arns]
        functions = [fn.arn for fn in self.functions.values()]
        return pulumi.Output.all(
            pulumi.Output.all(*functions),
            pulumi.Output.all(*alarms),
            pulumi.Output.all(*keys),
            a.report_bucket.arn,
            a.report_bucket.kms_key_arn,
        ).apply(
            lambda v: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": self._execution_statements(
                        role_name, plan, db_arns, zones, list(v[0]), list(v[1]), list(v[2]), v[3], v[4]
                    ),
                },
                sort_keys=True,
            )
        )

    def _execution_statements(
        self,
        role_name: str,
        plan: str,
        db_arns: list[str],
        zones: list[str],
        functions: list[str],
        alarms: list[str],
        keys: list[str],
        report_bucket_arn: str,
        report_key_arn: str,
    ) -> list[dict[str, Any]]:
        a = self._args
        account = a.account_id
        regions = self.regions
        statements: list[dict[str, Any]] = [
            # Plan evaluation (AmazonApplicationRecoveryControllerRegionSwitchPlanExecutionPolicy, scoped).
            {
                "Sid": "PlanEvaluation",
                "Effect": "Allow",
                "Action": [
                    "arc-region-switch:GetPlan",
                    "arc-region-switch:GetPlanExecution",
                    "arc-region-switch:ListPlanExecutions",
                ],
                "Resource": [f"{plan}:*", f"{plan}/*"],
            },
            {
                "Sid": "PlanEvaluationSimulatesItsOwnRole",
                "Effect": "Allow",
                "Action": "iam:SimulatePrincipalPolicy",
                "Resource": f"arn:aws:iam::{account}:role/{role_name}",
            },
            # RdsPromoteReadReplica (RDS execution block sample policy).
            {
                "Sid": "RdsPromoteReadReplica",
                "Effect": "Allow",
                "Action": ["rds:DescribeDBInstances", "rds:PromoteReadReplica", "rds:ModifyDBInstance"],
                "Resource": db_arns,
            },
            # RdsCreateCrossRegionReplica: renames the old instance (ModifyDBInstance; the new name starts with the
            # old one), tags it renamedByRegionSwitch, creates the replica with its identifier, subnet group,
            # parameter/option groups and KMS key.
            {
                "Sid": "RdsCreateCrossRegionReplica",
                "Effect": "Allow",
                "Action": [
                    "rds:DescribeDBInstances",
                    "rds:CreateDBInstanceReadReplica",
                    "rds:ModifyDBInstance",
                    "rds:AddTagsToResource",
                ],
                "Resource": [
                    *(f"{arn}*" for arn in db_arns),
                    *(f"arn:aws:rds:{r}:{account}:{kind}:*" for r in regions for kind in ("subgrp", "pg", "og")),
                ],
            },
            # CustomActionLambda (custom action Lambda sample policy).
            {
                "Sid": "CustomActionLambda",
                "Effect": "Allow",
                "Action": ["lambda:GetFunction", "lambda:InvokeFunction"],
                "Resource": functions,
            },
            # Route53HealthCheck (Route 53 health check sample policy).
            {
                "Sid": "Route53HealthCheck",
                "Effect": "Allow",
                "Action": "route53:ListResourceRecordSets",
                "Resource": zones,
            },
            # Execution reports into the DR-region bucket, encrypted with its key through S3 only.
            {
                "Sid": "ExecutionReports",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"{report_bucket_arn}/{REPORT_PREFIX}*",
            },
            {
                "Sid": "ExecutionReportsKey",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": report_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{a.report_bucket.region}.amazonaws.com"}},
            },
        ]
        if keys:
            # An encrypted cross-region replica is created with a key of its region: RDS needs a grant on it.
            statements.append(
                {
                    "Sid": "RdsReplicaKeys",
                    "Effect": "Allow",
                    "Action": ["kms:CreateGrant", "kms:DescribeKey"],
                    "Resource": keys,
                    "Condition": {"StringEquals": {"kms:ViaService": [f"rds.{r}.amazonaws.com" for r in regions]}},
                }
            )
        if alarms:
            # Associated alarms (application health, trigger) are read during evaluation and execution.
            statements += [
                {
                    "Sid": "AssociatedAlarms",
                    "Effect": "Allow",
                    "Action": ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"],
                    "Resource": alarms,
                },
                # GetMetricStatistics has no resource-level permissions (Service Authorization Reference).
                {"Sid": "AlarmMetrics", "Effect": "Allow", "Action": "cloudwatch:GetMetricStatistics", "Resource": "*"},
            ]
        if a.eks is not None:
            clusters = sorted(a.eks.cluster_names.items())
            statements += [
                {
                    "Sid": "EksResourceScaling",
                    "Effect": "Allow",
                    "Action": "eks:DescribeCluster",
                    "Resource": [self._cluster_arn(r, c) for r, c in clusters],
                },
                {
                    "Sid": "EksResourceScalingAccessEntries",
                    "Effect": "Allow",
                    "Action": "eks:ListAssociatedAccessPolicies",
                    "Resource": [f"arn:aws:eks:{r}:{account}:access-entry/{c}/*" for r, c in clusters],
                },
            ]
        if not a.reprotect_workflows:  # least privilege: no workflow re-creates replicas
            statements = [st for st in statements if st["Sid"] != "RdsCreateCrossRegionReplica"]
        return statements

    def _eks_access(self, name: str, eks: EksScaling, providers: Mapping[str, aws.Provider]) -> None:
        """The execution role may scale the listed namespaces in both clusters (EKS access entry with the Region switch
        scaling access policy, as the EKS resource scaling block requires)."""
        namespaces = sorted({ns for ns, _ in eks.deployments})
        for region, cluster in sorted(eks.cluster_names.items()):
            opts = pulumi.ResourceOptions(parent=self, provider=providers[region])
            entry = aws.eks.AccessEntry(
                f"{name}-eks-{region}",
                cluster_name=cluster,
                principal_arn=self.execution_role.arn,
                type="STANDARD",
                opts=opts,
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-eks-{region}",
                cluster_name=cluster,
                principal_arn=self.execution_role.arn,
                policy_arn=EKS_SCALING_ACCESS_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="namespace", namespaces=namespaces),
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[entry])),
            )

    # --- DNS gate ----------------------------------------------------------------------------------------------

    def primary_region_checks(self) -> pulumi.Output[dict[str, str]]:
        """{record name: id of the Route53 health check the plan flips for the primary region}.

        Region switch creates one health check per record name and region when the plan is created ("allocation"
        can lag the plan); records whose check is not allocated yet are missing from the map.
        """
        region = self._args.primary_region
        found = rs.get_route53_health_checks_output(
            plan_arn=self.plan.arn, opts=pulumi.InvokeOutputOptions(provider=self._primary, parent=self)
        )
        return found.health_checks.apply(
            lambda checks: {
                str(c.record_name).rstrip(".").lower(): str(c.health_check_id)
                for c in checks or []
                if c.region == region and c.health_check_id
            }
        )


def _label(fqdn: str) -> str:
    return fqdn.split(".", 1)[0]


@dataclass(frozen=True)
class _Spec:
    """A step that may stand alone or sit in a Parallel block; `config(parallel)` gives its typed configuration
    (pulumi_aws has separate *Args classes for the two places)."""

    name: str
    kind: str  # executionBlockType
    description: str
    config: Callable[[bool], dict[str, Any]]


def _dns_switch(record_set: FailoverRecordSet, target: str) -> _Spec:
    # Map each record to its region explicitly: our set identifiers do not name regions, and Region switch otherwise
    # guesses the region from the identifier or the record's value.
    pairs = sorted(record_set.set_identifiers.items())

    def config(parallel: bool) -> dict[str, Any]:
        block: Any
        if parallel:
            block = rs.PlanWorkflowStepParallelConfigStepRoute53HealthCheckConfigArgs(
                hosted_zone_id=record_set.zone_id,
                record_name=record_set.fqdn,
                record_sets=[
                    rs.PlanWorkflowStepParallelConfigStepRoute53HealthCheckConfigRecordSetArgs(
                        record_set_identifier=ident, region=region
                    )
                    for region, ident in pairs
                ],
                timeout_minutes=DNS_TIMEOUT_MINUTES,
            )
        else:
            block = rs.PlanWorkflowStepRoute53HealthCheckConfigArgs(
                hosted_zone_id=record_set.zone_id,
                record_name=record_set.fqdn,
                record_sets=[
                    rs.PlanWorkflowStepRoute53HealthCheckConfigRecordSetArgs(record_set_identifier=ident, region=region)
                    for region, ident in pairs
                ],
                timeout_minutes=DNS_TIMEOUT_MINUTES,
            )
        return {"route53_health_check_configs": [block]}

    return _Spec(
        f"dns-{_label(record_set.fqdn)}", "Route53HealthCheck", f"Switch {record_set.fqdn} to {target}", config
    )


def _maybe_parallel(name: str, description: str, steps: Sequence[_Spec]) -> rs.PlanWorkflowStepArgs:
    """One step as is; several as a Parallel block (Region switch runs its steps at the same time)."""
    if len(steps) == 1:
        only = steps[0]
        return rs.PlanWorkflowStepArgs(
            name=only.name, description=only.description, execution_block_type=only.kind, **only.config(False)
        )
    return rs.PlanWorkflowStepArgs(
        name=name,
        description=description,
        execution_block_type="Parallel",
        parallel_configs=[
            rs.PlanWorkflowStepParallelConfigArgs(
                steps=[
                    rs.PlanWorkflowStepParallelConfigStepArgs(
                        name=step.name,
                        description=step.description,
                        execution_block_type=step.kind,
                        **step.config(True),
                    )
                    for step in steps
                ]
            )
        ],
    )
