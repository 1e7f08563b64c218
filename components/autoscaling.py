"""Node autoscaling: Karpenter with its interruption queue, IAM, a NodePool and an EC2NodeClass."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.iam import service_trust
from components.k8s_common import (
    IRSA_ROLE_ANNOTATION,
    HelmChart,
    OidcProvider,
    ServiceAccountRef,
    irsa_role,
    namespace,
    policy_document,
)

KARPENTER_CHART = HelmChart("oci://public.ecr.aws/karpenter/karpenter", "1.14.1")
SERVICE_ACCOUNT = "karpenter"
NODE_CLASS = "default"
NODE_POOL = "general"
DISCOVERY_TAG = "karpenter.sh/discovery"
# Nodes are replaced monthly: AMIs, kernels and kubelets never drift more than 30 days behind.
EXPIRE_AFTER = "720h"
ARCHITECTURES = ("amd64", "arm64")
# Karpenter only polls; 5 min is its documented retention — older interruption notices are stale anyway.
QUEUE_RETENTION_SECONDS = 300
NODE_MANAGED_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)

if TYPE_CHECKING:
    from settings import StackSettings

# The events Karpenter acts on before AWS takes a node away (see Karpenter's interruption docs).
INTERRUPTION_EVENTS = {
    "scheduled-change": ("aws.health", "AWS Health Event"),
    "spot-interruption": ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    "rebalance": ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    "instance-state-change": ("aws.ec2", "EC2 Instance State-change Notification"),
}


@dataclass(frozen=True)
class NodePoolArgs:
    capacity_types: tuple[str, ...]
    instance_categories: tuple[str, ...]
    cpu_limit: int
    memory_limit_gi: int
    consolidate_after: str
    disruption_budget_percent: int
    no_disruption_schedule: str  # cron (UTC), "" = none
    no_disruption_duration: str


@dataclass(frozen=True)
class NodeAutoscalingArgs:
    cluster_name: str
    region: str
    account_id: str
    namespace: str
    oidc: OidcProvider
    ami_alias: str
    node_pool: NodePoolArgs
    node_tags: dict[str, str]  # cost-allocation tags: instances Karpenter launches carry no provider default_tags

    @classmethod
    def from_settings(cls, config: StackSettings) -> NodeAutoscalingArgs:
        core, cluster = config.core, config.cluster
        return cls(
            cluster_name=core.eks_cluster_name,
            region=core.primary_region,
            account_id=core.aws_account_id,
            namespace=cluster.karpenter_namespace,
            oidc=OidcProvider(arn=cluster.oidc_provider_arn, issuer=cluster.oidc_issuer),
            ami_alias=cluster.karpenter_ami_alias,
            node_pool=NodePoolArgs(
                capacity_types=cluster.karpenter_capacity_types,
                instance_categories=cluster.karpenter_instance_categories,
                cpu_limit=cluster.karpenter_cpu_limit,
                memory_limit_gi=cluster.karpenter_memory_limit_gi,
                consolidate_after=cluster.karpenter_consolidate_after,
                disruption_budget_percent=cluster.karpenter_disruption_budget_percent,
                no_disruption_schedule=cluster.karpenter_no_disruption_schedule,
                no_disruption_duration=cluster.karpenter_no_disruption_duration,
            ),
            node_tags=core.cost_allocation_tags,
        )


class NodeAutoscaling(pulumi.ComponentResource):
    """Karpenter for an existing EKS cluster.

    AWS side: an interruption queue fed by four EventBridge rules, a node role admitted to the cluster by an
    EKS access entry (type EC2_LINUX), and a controller role (IRSA) that may only launch, tag and terminate
    resources tagged for this cluster. Cluster side: the controller release, one EC2NodeClass and one NodePool.
    """

    release: k8s.helm.v3.Release
    queue: aws.sqs.Queue
    controller_role: aws.iam.Role
    node_role: aws.iam.Role
    node_pool: k8s.apiextensions.CustomResource
    node_class: k8s.apiextensions.CustomResource

    def __init__(
        self,
        name: str,
        args: NodeAutoscalingArgs,
        *,
        aws_provider: aws.Provider,
        k8s_provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:autoscaling:NodeAutoscaling", name, None, opts)
        in_aws = pulumi.ResourceOptions(parent=self, provider=aws_provider)
        in_k8s = pulumi.ResourceOptions(parent=self, provider=k8s_provider)
        cluster = args.cluster_name

        # --- interruption handling: EventBridge → SQS → controller drains the node before AWS reclaims it
        self.queue = aws.sqs.Queue(
            f"{name}-interruption-queue",
            name=f"{cluster}-karpenter-interruptions",
            message_retention_seconds=QUEUE_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            opts=in_aws,
        )
        aws.sqs.QueuePolicy(
            f"{name}-interruption-queue-policy",
            queue_url=self.queue.url,
            policy=self.queue.arn.apply(interruption_queue_policy),
            opts=in_aws,
        )
        for key, (source, detail_type) in INTERRUPTION_EVENTS.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{key}",
                name=f"{cluster}-karpenter-{key}",
                description=f"Karpenter ({cluster}): {detail_type}",
                event_pattern=json.dumps({"source": [source], "detail-type": [detail_type]}),
                opts=in_aws,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{key}-target", rule=rule.name, arn=self.queue.arn, target_id="karpenter-queue", opts=in_aws
            )

        # --- nodes: role + access entry (Karpenter creates the instance profile from EC2NodeClass.spec.role)
        self.node_role = aws.iam.Role(
            f"{name}-node-role",
            description=f"Nodes Karpenter launches into {cluster}",
            assume_role_policy=service_trust("ec2.amazonaws.com"),
            opts=in_aws,
        )
        for policy in NODE_MANAGED_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=self.node_role.name,
                policy_arn=f"arn:aws:iam::aws:policy/{policy}",
                opts=in_aws,
            )
        access_entry = aws.eks.AccessEntry(
            f"{name}-node-access",
            cluster_name=cluster,
            principal_arn=self.node_role.arn,
            type="EC2_LINUX",
            opts=in_aws,
        )

        # --- controller
        self.controller_role = irsa_role(
            f"{name}-controller-role",
            oidc=args.oidc,
            service_account=ServiceAccountRef(args.namespace, SERVICE_ACCOUNT),
            policy=pulumi.Output.all(self.queue.arn, self.node_role.arn).apply(
                lambda a: controller_policy(
                    cluster=cluster, region=args.region, account_id=args.account_id, queue_arn=a[0], node_role_arn=a[1]
                )
            ),
            description=f"Karpenter controller of {cluster}: only resources tagged for this cluster",
            opts=in_aws,
        )
        ns = namespace(
            f"{name}-namespace", args.namespace, labels={"app.kubernetes.io/part-of": "karpenter"}, opts=in_k8s
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name="karpenter",
            namespace=args.namespace,
            values=pulumi.Output.all(self.controller_role.arn, self.queue.name).apply(
                lambda a: karpenter_values(cluster=cluster, role_arn=a[0], queue_name=a[1])
            ),
            atomic=True,
            cleanup_on_fail=True,
            timeout=600,
            **KARPENTER_CHART.release_args(),
            opts=pulumi.ResourceOptions.merge(in_k8s, pulumi.ResourceOptions(depends_on=[ns])),
        )

        # NodePool/EC2NodeClass CRDs come with the chart; nodes may join only once the access entry exists.
        after = pulumi.ResourceOptions.merge(in_k8s, pulumi.ResourceOptions(depends_on=[self.release, access_entry]))
        self.node_class = k8s.apiextensions.CustomResource(
            f"{name}-node-class",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NODE_CLASS),
            spec=self.node_role.name.apply(
                lambda role: node_class_spec(cluster=cluster, role=role, ami_alias=args.ami_alias, tags=args.node_tags)
            ),
            opts=after,
        )
        self.node_pool = k8s.apiextensions.CustomResource(
            f"{name}-node-pool",
            api_version="karpenter.sh/v1",
            kind="NodePool",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NODE_POOL),
            spec=node_pool_spec(args.node_pool),
            opts=pulumi.ResourceOptions.merge(after, pulumi.ResourceOptions(depends_on=[self.node_class])),
        )
        self.register_outputs(
            {
                "interruptionQueueUrl": self.queue.url,
                "controllerRoleArn": self.controller_role.arn,
                "nodeRoleArn": self.node_role.arn,
                "releaseStatus": self.release.status,
            }
        )


def interruption_queue_policy(queue_arn: str) -> str:
    return policy_document(
        [
            {
                "Sid": "EventBridgeAndSqsMaySend",
                "Effect": "Allow",
                "Principal": {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
            },
            {
                "Sid": "DenyUnencryptedTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    )


def controller_policy(*, cluster: str, region: str, account_id: str, queue_arn: str, node_role_arn: str) -> str:
    """Karpenter v1's controller permissions (its reference CloudFormation), scoped to this cluster's tags."""
    ec2 = f"arn:aws:ec2:{region}"
    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned"}
    request_owned = {
        f"aws:RequestTag/kubernetes.io/cluster/{cluster}": "owned",
        "aws:RequestTag/eks:eks-cluster-name": cluster,
    }
    launched = [
        f"{ec2}:*:{kind}/*"
        for kind in ("fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request")
    ]
    profile_arn = f"arn:aws:iam::{account_id}:instance-profile/*"
    profile_region = {"aws:ResourceTag/topology.kubernetes.io/region": region}
    request_profile = {**request_owned, "aws:RequestTag/topology.kubernetes.io/region": region}
    return policy_document(
        [
            {
                "Sid": "AllowScopedEC2InstanceAccessActions",
                "Effect": "Allow",
                "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
                "Resource": [
                    f"{ec2}::image/*",
                    f"{ec2}::snapshot/*",
                    f"{ec2}:*:security-group/*",
                    f"{ec2}:*:subnet/*",
                    f"{ec2}:*:capacity-reservation/*",
                ],
            },
            {
                "Sid": "AllowScopedEC2LaunchTemplateAccessActions",
                "Effect": "Allow",
                "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
                "Resource": f"{ec2}:*:launch-template/*",
                "Condition": {
                    "StringEquals": owned,
                    "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                },
            },
            {
                "Sid": "AllowScopedEC2InstanceActionsWithTags",
                "Effect": "Allow",
                "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                "Resource": launched,
                "Condition": {
                    "StringEquals": request_owned,
                    "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
                },
            },
            {
                "Sid": "AllowScopedResourceCreationTagging",
                "Effect": "Allow",
                "Action": "ec2:CreateTags",
                "Resource": launched,
                "Condition": {
                    "StringEquals": {
                        **request_owned,
                        "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                    },
                    "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
                },
            },
            {
                "Sid": "AllowScopedResourceTagging",
                "Effect": "Allow",
                "Action": "ec2:CreateTags",
                "Resource": f"{ec2}:*:instance/*",
                "Condition": {
                    "StringEquals": owned,
                    "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                    "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster},
                    "ForAllValues:StringEquals": {
                        "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                    },
                },
            },
            {
                "Sid": "AllowScopedDeletion",
                "Effect": "Allow",
                "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                "Resource": [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
                "Condition": {
                    "StringEquals": owned,
                    "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                },
            },
            {
                "Sid": "AllowRegionalReadActions",
                "Effect": "Allow",
                "Action": [
                    "ec2:DescribeCapacityReservations",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstances",
                    # 1.12+: the instance-status controller (replaces nodes EC2 reports impaired); without it
                    # Karpenter logs UnauthorizedOperation every loop and skips those health checks.
                    "ec2:DescribeInstanceStatus",
                    "ec2:DescribeInstanceTypeOfferings",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplates",
                    "ec2:DescribePlacementGroups",  # 1.11+: EC2NodeClass placement groups
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSpotPriceHistory",
                    "ec2:DescribeSubnets",
                ],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
            },
            {
                "Sid": "AllowSSMReadActions",
                "Effect": "Allow",
                "Action": "ssm:GetParameter",
                "Resource": f"arn:aws:ssm:{region}::parameter/aws/service/*",
            },
            {"Sid": "AllowPricingReadActions", "Effect": "Allow", "Action": "pricing:GetProducts", "Resource": "*"},
            {
                "Sid": "AllowInterruptionQueueActions",
                "Effect": "Allow",
                "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
                "Resource": queue_arn,
            },
            {
                "Sid": "AllowPassingInstanceRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": node_role_arn,
                "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            },
            {
                "Sid": "AllowScopedInstanceProfileCreationActions",
                "Effect": "Allow",
                "Action": ["iam:CreateInstanceProfile"],
                "Resource": profile_arn,
                "Condition": {
                    "StringEquals": request_profile,
                    "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
                },
            },
            {
                "Sid": "AllowScopedInstanceProfileTagActions",
                "Effect": "Allow",
                "Action": ["iam:TagInstanceProfile"],
                "Resource": profile_arn,
                "Condition": {
                    "StringEquals": {**owned, **profile_region, **request_profile},
                    "StringLike": {
                        "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                        "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                    },
                },
            },
            {
                "Sid": "AllowScopedInstanceProfileActions",
                "Effect": "Allow",
                "Action": [
                    "iam:AddRoleToInstanceProfile",
                    "iam:RemoveRoleFromInstanceProfile",
                    "iam:DeleteInstanceProfile",
                ],
                "Resource": profile_arn,
                "Condition": {
                    "StringEquals": {**owned, **profile_region},
                    "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
                },
            },
            {
                "Sid": "AllowInstanceProfileReadActions",
                "Effect": "Allow",
                "Action": ["iam:GetInstanceProfile", "iam:ListInstanceProfiles"],
                "Resource": profile_arn,
            },
            {
                "Sid": "AllowAPIServerEndpointDiscovery",
                "Effect": "Allow",
                "Action": "eks:DescribeCluster",
                "Resource": f"arn:aws:eks:{region}:{account_id}:cluster/{cluster}",
            },
        ]
    )


def karpenter_values(*, cluster: str, role_arn: str, queue_name: str) -> dict[str, Any]:
    """Helm values for the karpenter chart 1.14.1 (keys checked against the chart's values.yaml)."""
    return {
        "settings": {"clusterName": cluster, "interruptionQueue": queue_name},
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT, "annotations": {IRSA_ROLE_ANNOTATION: role_arn}},
        # Requests = limits: the controller is never throttled or evicted while the cluster needs capacity.
        "controller": {
            "resources": {
                "requests": {"cpu": "1", "memory": "1Gi"},
                "limits": {"cpu": "1", "memory": "1Gi"},
            }
        },
    }


def node_class_spec(*, cluster: str, role: str, ami_alias: str, tags: dict[str, str]) -> dict[str, Any]:
    discovery = [{"tags": {DISCOVERY_TAG: cluster}}]
    return {
        "role": role,
        "amiSelectorTerms": [{"alias": ami_alias}],
        "subnetSelectorTerms": discovery,
        "securityGroupSelectorTerms": discovery,
        "blockDeviceMappings": [
            {
                "deviceName": "/dev/xvda",
                "ebs": {"volumeSize": "50Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True},
            }
        ],
        # IMDSv2 only, one hop: pods (which use IRSA) cannot reach the node role's credentials.
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": 1,
            "httpTokens": "required",
        },
        "tags": dict(tags),
    }


def node_pool_spec(pool: NodePoolArgs) -> dict[str, Any]:
    budgets: list[dict[str, Any]] = [{"nodes": f"{pool.disruption_budget_percent}%"}]
    if pool.no_disruption_schedule:
        # Nodes "0" for the window: no voluntary disruption (consolidation, drift, expiry) in business hours.
        budgets.append({"nodes": "0", "schedule": pool.no_disruption_schedule, "duration": pool.no_disruption_duration})
    return {
        "template": {
            "metadata": {"labels": {"summit.example.com/node-pool": NODE_POOL}},
            "spec": {
                "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": NODE_CLASS},
                "requirements": [
                    {"key": "kubernetes.io/arch", "operator": "In", "values": list(ARCHITECTURES)},
                    {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                    {"key": "karpenter.sh/capacity-type", "operator": "In", "values": list(pool.capacity_types)},
                    {
                        "key": "karpenter.k8s.aws/instance-category",
                        "operator": "In",
                        "values": list(pool.instance_categories),
                    },
                    # Generation 5+: Nitro, ENA and current pricing; older families cost more per vCPU.
                    {"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": ["4"]},
                ],
                "expireAfter": EXPIRE_AFTER,
            },
        },
        "disruption": {
            "consolidationPolicy": "WhenEmptyOrUnderutilized",
            "consolidateAfter": pool.consolidate_after,
            "budgets": budgets,
        },
        "limits": {"cpu": str(pool.cpu_limit), "memory": f"{pool.memory_limit_gi}Gi"},
    }
