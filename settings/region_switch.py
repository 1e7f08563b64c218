"""Settings for the region failover plan (ARC Region switch): approval, triggers, DR scaling, DNS gate, RTO.

The plan exists in every stack whose DR replica exists (`dbReplicaEnabled`). Its recovery-time objective is not a
key of its own: it is the `recovery-budget` policy's `rtoSeconds` in `policy/config/<stack>.json`, read through
`ops.objectives` (the one module that reads that file for the program and the tools), so the plan, the policy pack
and the drill judge against the same number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from settings import schema as s
from settings.loader import Values

# ARC Region switch PlanName: [a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?, 1–32 characters (botocore
# arc-region-switch 2022-07-26 service-2.json, shape PlanName).
PLAN_NAME = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?")
# CreatePlanRequest.recoveryTimeObjectiveMinutes: 1–10080 (same model).
RTO_MINUTES_MIN, RTO_MINUTES_MAX = 1, 10080
# ExecutionApprovalConfiguration.timeoutMinutes has min 1 and no max; an approval that waits longer than an hour
# has already spent four RTOs, so the settings stop there.
APPROVAL_TIMEOUT_MAX = 60
# KubernetesScalingResource.namespace pattern (same model); names are DNS-1123 subdomains (Kubernetes).
_K8S_NAMESPACE = r"[a-z0-9][a-z0-9-]{0,61}[a-z0-9]"
_K8S_NAME = r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?"
# EksCluster.clusterArn name part: [a-zA-Z0-9][a-zA-Z0-9-_]{0,99} (same model).
_EKS_CLUSTER = r"[a-zA-Z0-9][a-zA-Z0-9_-]{0,99}"


@dataclass(frozen=True)
class EksDeployment:
    """A Deployment scaled up in the DR cluster when the plan activates it (same namespace/name in both clusters)."""

    namespace: str
    name: str


def _deployment(text: str) -> EksDeployment:
    namespace, sep, name = text.partition("/")
    if not sep or not re.fullmatch(_K8S_NAMESPACE, namespace) or not re.fullmatch(_K8S_NAME, name):
        raise ValueError(text)
    return EksDeployment(namespace, name)


# EC2 tag keys: 1–127 characters, values 0–255, not starting with "aws:" (EC2 "Tag restrictions"); FIS target
# resourceTags is a TagMap of the same (botocore fis TagKey max 128, TagValue max 256).
_TAG = r"(?!aws:)[^=\x00-\x1f]{1,127}=[^\x00-\x1f]{0,255}"
_ROLE_ARN = r"arn:aws[a-zA-Z0-9-]*:iam::(\d{12}):role/.+"  # IamRoleArn pattern of the arc-region-switch model
_ALARM_ARN = r"arn:aws[a-zA-Z0-9-]*:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:.+"


@dataclass(frozen=True)
class RegionSwitchSettings:
    enabled: bool = s.derived()  # a plan exists wherever the DR replica exists
    plan_name: str = s.derived()
    rto_minutes: int = s.derived()  # floor(recovery-budget rtoSeconds / 60): never looser than the pack's objective
    rto_source: str = s.derived()  # where that objective came from (file and policy property)
    # "" = no ManualApproval step
    approver_role_arn: str = s.setting(
        "regionSwitchApproverRoleArn",
        s.string(_ROLE_ARN, "an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME) or empty", allow_empty=True),
    )
    approval_timeout_minutes: int = s.setting("regionSwitchApprovalTimeoutMinutes", s.integer(1, APPROVAL_TIMEOUT_MAX))
    auto_activate: bool = s.setting("regionSwitchAutoActivate", s.boolean())
    # "" unless auto_activate
    trigger_alarm_arn: str = s.setting(
        "regionSwitchTriggerAlarmArn",
        s.string(_ALARM_ARN, "a CloudWatch alarm ARN (arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME) or empty", True),
    )
    # attach the plan's Route53 health checks to the PRIMARY failover records
    dns_gate: bool = s.setting("regionSwitchDnsGate", s.boolean())
    # also put the re-protection (deactivate) workflows in the plan
    reprotect_workflows: bool = s.setting("regionSwitchReprotectWorkflows", s.boolean())
    # "" = no EKSResourceScaling step
    dr_eks_cluster_name: str = s.setting(
        "regionSwitchDrEksClusterName", s.string(_EKS_CLUSTER, "an EKS cluster name or empty", allow_empty=True)
    )
    eks_deployments: tuple[EksDeployment, ...] = s.setting(
        "regionSwitchEksDeployments",
        s.array(s.composite(_deployment, 'a Deployment as "namespace/name", e.g. "gateway/gateway"')),
    )
    # FIS experiment templates and drill alarms (components/chaos.py)
    chaos_experiments: bool = s.setting("chaosExperimentsEnabled", s.boolean())
    # the primary's app-tier subnets, for network disruption ("key=value" in the stack file, split by build())
    chaos_app_subnet_tag: tuple[str, str] | None = s.setting(
        "chaosAppSubnetTag", s.string(_TAG, 'a subnet tag as "key=value" or empty', allow_empty=True)
    )
    # The objectives the drill alarms judge against: the recovery-budget policy's, like the drill's own verdict.
    drill_rto_seconds: float = s.derived()
    drill_rpo_seconds: float = s.derived()

    @property
    def approval_required(self) -> bool:
        return bool(self.approver_role_arn)


KEYS = s.keys_of(RegionSwitchSettings)


def _rto(v: Values) -> tuple[int, str]:
    """The recovery-budget RTO of this stack's policy config, in whole minutes (rounded down)."""
    from ops.objectives import RTO, ObjectivesError, resolve

    try:
        objectives = resolve(v.stack, {RTO: None}, flag_hint=False)
    except ObjectivesError as err:
        raise v.fail(
            "dbReplicaEnabled", f"the Region switch plan takes its RTO from the policy config: {err}"
        ) from None
    seconds = objectives.seconds[RTO]
    minutes = int(seconds // 60)
    if not RTO_MINUTES_MIN <= minutes <= RTO_MINUTES_MAX:
        raise v.fail(
            "dbReplicaEnabled",
            f"the Region switch plan needs an RTO of {RTO_MINUTES_MIN}–{RTO_MINUTES_MAX} whole minutes, "
            f"but {objectives.describe(RTO)}",
        )
    return minutes, objectives.sources[RTO]


def _drill_objectives(v: Values) -> tuple[float, float]:
    from ops.objectives import RPO, RTO, ObjectivesError, resolve

    try:
        objectives = resolve(v.stack, {RTO: None, RPO: None}, flag_hint=False)
    except ObjectivesError as err:
        raise v.fail(
            "chaosExperimentsEnabled", f"the drill alarms take their objectives from the policy config: {err}"
        ) from None
    return float(objectives.seconds[RTO]), float(objectives.seconds[RPO])


def build(v: Values) -> RegionSwitchSettings:
    enabled = bool(v["dbReplicaEnabled"])
    plan_name = f"{v['service']}-{v['environment']}-failover"
    if not PLAN_NAME.fullmatch(plan_name):
        raise v.fail(
            "service",
            f"makes the Region switch plan name {s.show(plan_name)}, longer than the 32 characters ARC allows",
        )
    account, dr_region = v["awsAccountId"], v["drRegion"]
    approver = v["regionSwitchApproverRoleArn"]
    if approver and re.fullmatch(_ROLE_ARN, approver).group(1) != account:  # type: ignore[union-attr]
        raise v.fail("regionSwitchApproverRoleArn", f"must be a role in awsAccountId {account}, got {s.show(approver)}")
    if v["environment"] == "prod" and enabled and not approver:
        raise v.fail(
            "regionSwitchApproverRoleArn",
            "is required in prod: a production failover waits for a person to approve it in the Region switch console",
        )
    trigger = v["regionSwitchTriggerAlarmArn"]
    if v["regionSwitchAutoActivate"] and not trigger:
        raise v.fail("regionSwitchTriggerAlarmArn", "is required when regionSwitchAutoActivate is true")
    if trigger:
        m = re.fullmatch(_ALARM_ARN, trigger)
        assert m is not None
        # Triggered executions run in the region they activate; an alarm in the lost primary region could not be
        # read there, so the alarm must live in the DR region.
        if m.group(1) != dr_region or m.group(2) != account:
            raise v.fail(
                "regionSwitchTriggerAlarmArn",
                f"must be an alarm in drRegion {dr_region} of awsAccountId {account}, got {s.show(trigger)}",
            )
    cluster, deployments = v["regionSwitchDrEksClusterName"], v["regionSwitchEksDeployments"]
    if cluster and not deployments:
        raise v.fail(
            "regionSwitchEksDeployments", "needs at least one namespace/name when regionSwitchDrEksClusterName is set"
        )
    if deployments and not cluster:
        raise v.fail("regionSwitchDrEksClusterName", "is required when regionSwitchEksDeployments lists Deployments")
    minutes, source = _rto(v) if enabled else (0, "no plan: dbReplicaEnabled is false")
    chaos = bool(v["chaosExperimentsEnabled"])
    if chaos and not enabled:
        raise v.fail("chaosExperimentsEnabled", "needs dbReplicaEnabled: the drill fails over to the DR replica")
    if chaos and v["primaryRegion"] != "us-east-1":
        # The FIS stop conditions are the secondary endpoints' HealthCheckStatus alarms, which exist only in
        # us-east-1 (Route53 publishes there), and FIS runs the experiments in the primary region.
        raise v.fail("chaosExperimentsEnabled", "needs primaryRegion us-east-1, where the stop-condition alarms live")
    rto_s, rpo_s = _drill_objectives(v) if chaos else (0.0, 0.0)
    return s.build_from(
        RegionSwitchSettings,
        v,
        enabled=enabled,
        plan_name=plan_name,
        rto_minutes=minutes,
        rto_source=source,
        drill_rto_seconds=rto_s,
        drill_rpo_seconds=rpo_s,
        chaos_app_subnet_tag=(
            tuple(v["chaosAppSubnetTag"].split("=", 1))  # type: ignore[arg-type]
            if v["chaosAppSubnetTag"]
            else None
        ),
    )
