"""NodeAutoscaling: Karpenter's release, interruption queue and rules, IAM, NodePool and EC2NodeClass."""

import json

import pytest

from components.autoscaling import NodeAutoscaling, NodeAutoscalingArgs
from tests.harness import run_component
from tests.schemas import SchemaMismatch, assert_values_known, chart_metadata, rendered_object, validate_custom_resource

RELEASE = "kubernetes:helm.sh/v3:Release"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
ROLE = "aws:iam/role:Role"
PROD_ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/9F8E7D6C5B4A39281706F5E4D3C2B1A0"
# IAM counts inline policies per role without whitespace and refuses more than this many characters.
INLINE_POLICY_LIMIT = 10_240


def build(s, p):
    return NodeAutoscaling(
        "karpenter", NodeAutoscalingArgs.from_settings(s), aws_provider=p.primary, k8s_provider=p.kubernetes
    )


@pytest.fixture(scope="module")
def prod():
    return run_component(build, "prod")


@pytest.fixture(scope="module")
def dev():
    return run_component(build, "dev")


def spec(run, type_):
    return rendered_object(run.one(type_))["spec"]


def controller_role(run):
    return run.one(ROLE, "karpenter-controller-role")


def controller_statements(run):
    return json.loads(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]


# --- release -------------------------------------------------------------------------------------------------


def test_release_pins_the_karpenter_oci_chart(prod):
    release = prod.one(RELEASE)
    assert release.inputs["chart"] == "oci://public.ecr.aws/karpenter/karpenter"
    assert release.inputs["version"] == chart_metadata("karpenter")["version"] == "1.14.1"
    assert "repositoryOpts" not in release.inputs
    assert release.inputs["namespace"] == "karpenter"


def test_values_name_the_cluster_and_the_interruption_queue(prod):
    values = rendered_object(prod.one(RELEASE))["values"]
    queue = prod.one("aws:sqs/queue:Queue")
    assert values["settings"] == {"clusterName": "summit-prod", "interruptionQueue": queue.outputs["name"]}
    assert values["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": controller_role(prod).outputs["arn"]
    }


def test_every_value_key_exists_in_the_chart(prod):
    assert_values_known("karpenter", rendered_object(prod.one(RELEASE))["values"])


def test_a_misspelt_value_is_caught(prod):
    values = rendered_object(prod.one(RELEASE))["values"]
    values["settings"]["interruptionQueueName"] = values["settings"].pop("interruptionQueue")
    with pytest.raises(SchemaMismatch, match=r"settings\.interruptionQueueName: not in karpenter/values\.yaml"):
        assert_values_known("karpenter", values)


# --- interruption handling -----------------------------------------------------------------------------------


def test_interruption_queue_is_encrypted_and_only_eventbridge_and_sqs_may_send(prod):
    queue = prod.one("aws:sqs/queue:Queue")
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["messageRetentionSeconds"] == 300
    policy = json.loads(prod.one("aws:sqs/queuePolicy:QueuePolicy").inputs["policy"])["Statement"]
    allow = next(s for s in policy if s["Effect"] == "Allow")
    assert allow["Principal"] == {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]}
    assert (allow["Action"], allow["Resource"]) == ("sqs:SendMessage", queue.outputs["arn"])
    deny = next(s for s in policy if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_four_eventbridge_rules_feed_the_queue(prod):
    patterns = {
        (p["source"][0], p["detail-type"][0])
        for p in (json.loads(r.inputs["eventPattern"]) for r in prod.all("aws:cloudwatch/eventRule:EventRule"))
    }
    assert patterns == {
        ("aws.health", "AWS Health Event"),
        ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
        ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
        ("aws.ec2", "EC2 Instance State-change Notification"),
    }
    queue_arn = prod.one("aws:sqs/queue:Queue").outputs["arn"]
    rules = {r.outputs["name"] for r in prod.all("aws:cloudwatch/eventRule:EventRule")}
    targets = prod.all("aws:cloudwatch/eventTarget:EventTarget")
    assert {t.inputs["rule"] for t in targets} == rules
    assert {t.inputs["arn"] for t in targets} == {queue_arn}


# --- IAM -----------------------------------------------------------------------------------------------------


def test_controller_role_trusts_only_the_karpenter_service_account(prod):
    (statement,) = json.loads(controller_role(prod).inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::432109876543:oidc-provider/{PROD_ISSUER}"}
    assert statement["Condition"] == {
        "StringEquals": {
            f"{PROD_ISSUER}:sub": "system:serviceaccount:karpenter:karpenter",
            f"{PROD_ISSUER}:aud": "sts.amazonaws.com",
        }
    }


# Everything the controller can create, change or destroy (RunInstances/CreateFleet also need untagged images,
# subnets and security groups: the next test covers that one unconditioned statement).
MUTATING_ACTIONS = {
    "ec2:CreateLaunchTemplate",
    "ec2:CreateTags",
    "ec2:TerminateInstances",
    "ec2:DeleteLaunchTemplate",
    "iam:CreateInstanceProfile",
    "iam:TagInstanceProfile",
    "iam:AddRoleToInstanceProfile",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:DeleteInstanceProfile",
}


def test_controller_may_launch_tag_and_terminate_only_resources_tagged_for_this_cluster(prod):
    owned_tag = "kubernetes.io/cluster/summit-prod"
    seen = set()
    for statement in controller_statements(prod):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        writes = MUTATING_ACTIONS.intersection(actions)
        if not writes:
            continue
        seen.update(writes)
        conditions = json.dumps(statement["Condition"])
        assert f"aws:ResourceTag/{owned_tag}" in conditions or f"aws:RequestTag/{owned_tag}" in conditions, statement[
            "Sid"
        ]
    assert seen == MUTATING_ACTIONS


def test_launches_outside_the_images_subnets_and_security_groups_need_cluster_tags(prod):
    unconditioned = [
        s for s in controller_statements(prod) if "ec2:RunInstances" in s["Action"] and "Condition" not in s
    ]
    (access,) = unconditioned
    assert all(
        r.split(":")[5].split("/")[0] in {"image", "snapshot", "security-group", "subnet", "capacity-reservation"}
        for r in access["Resource"]
    )


def test_controller_may_pass_only_the_node_role_and_only_to_ec2(prod):
    (pass_role,) = [s for s in controller_statements(prod) if s["Action"] == "iam:PassRole"]
    assert pass_role["Resource"] == prod.one(ROLE, "karpenter-node-role").outputs["arn"]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}


def test_controller_reads_only_its_queue_and_describes_only_its_cluster(prod):
    statements = {s["Sid"]: s for s in controller_statements(prod)}
    assert statements["AllowInterruptionQueueActions"]["Resource"] == prod.one("aws:sqs/queue:Queue").outputs["arn"]
    assert statements["AllowAPIServerEndpointDiscovery"]["Resource"] == (
        "arn:aws:eks:us-east-1:432109876543:cluster/summit-prod"
    )
    assert statements["AllowRegionalReadActions"]["Condition"] == {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}


def test_controller_may_read_instance_status_and_placement_groups_that_karpenter_1_14_queries(prod):
    statements = {s["Sid"]: s for s in controller_statements(prod)}
    reads = set(statements["AllowRegionalReadActions"]["Action"])
    assert {"ec2:DescribeInstanceStatus", "ec2:DescribePlacementGroups", "ec2:DescribeCapacityReservations"} <= reads


def test_controller_policy_fits_the_inline_policy_size_limit(prod):
    policy = prod.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"]
    assert len("".join(policy.split())) < INLINE_POLICY_LIMIT


def test_node_role_is_for_ec2_with_the_eks_worker_policies_and_joins_by_access_entry(prod):
    node_role = prod.one(ROLE, "karpenter-node-role")
    (trust,) = json.loads(node_role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "ec2.amazonaws.com"}
    attached = {a.inputs["policyArn"] for a in prod.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert attached == {
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    }
    entry = prod.one("aws:eks/accessEntry:AccessEntry")
    assert (entry.inputs["clusterName"], entry.inputs["type"]) == ("summit-prod", "EC2_LINUX")
    assert entry.inputs["principalArn"] == node_role.outputs["arn"]


# --- NodePool / EC2NodeClass ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "stage", "prod"])
def test_node_pool_and_node_class_match_their_crds_in_every_stack(stack, request):
    run = request.getfixturevalue(stack) if stack != "stage" else run_component(build, "stage")
    validate_custom_resource(rendered_object(run.one(NODE_POOL)))
    validate_custom_resource(rendered_object(run.one(NODE_CLASS)))


def test_a_misspelt_node_pool_key_is_caught(prod):
    obj = rendered_object(prod.one(NODE_POOL))
    obj["spec"]["disruption"]["consolidateAfterr"] = obj["spec"]["disruption"].pop("consolidateAfter")
    with pytest.raises(SchemaMismatch, match=r"spec\.disruption\.consolidateAfterr: unknown key"):
        validate_custom_resource(obj)


def _requirement(pool_spec, key):
    (req,) = [r for r in pool_spec["template"]["spec"]["requirements"] if r["key"] == key]
    return req["values"]


def test_node_pool_offers_both_architectures_and_the_stacks_capacity_types(prod, dev):
    assert _requirement(spec(prod, NODE_POOL), "kubernetes.io/arch") == ["amd64", "arm64"]
    assert _requirement(spec(prod, NODE_POOL), "karpenter.sh/capacity-type") == ["on-demand"]
    assert _requirement(spec(dev, NODE_POOL), "karpenter.sh/capacity-type") == ["spot"]
    assert _requirement(spec(prod, NODE_POOL), "karpenter.k8s.aws/instance-category") == ["c", "m", "r"]


def test_node_pool_consolidates_and_replaces_nodes_after_30_days(prod, dev):
    assert spec(prod, NODE_POOL)["template"]["spec"]["expireAfter"] == "720h"
    assert spec(prod, NODE_POOL)["disruption"]["consolidationPolicy"] == "WhenEmptyOrUnderutilized"
    assert spec(prod, NODE_POOL)["disruption"]["consolidateAfter"] == "5m"
    assert spec(dev, NODE_POOL)["disruption"]["consolidateAfter"] == "30s"


def test_prod_disrupts_no_node_during_business_hours_and_at_most_10_percent_otherwise(prod, dev):
    assert spec(prod, NODE_POOL)["disruption"]["budgets"] == [
        {"nodes": "10%"},
        {"nodes": "0", "schedule": "0 8 * * mon-fri", "duration": "10h"},
    ]
    assert spec(dev, NODE_POOL)["disruption"]["budgets"] == [{"nodes": "10%"}]


def test_node_pool_limits_follow_config(prod, dev):
    assert spec(prod, NODE_POOL)["limits"] == {"cpu": "400", "memory": "1600Gi"}
    assert spec(dev, NODE_POOL)["limits"] == {"cpu": "32", "memory": "128Gi"}


def test_node_class_uses_the_node_role_and_discovery_tags(prod):
    node_class = spec(prod, NODE_CLASS)
    assert node_class["role"] == prod.one(ROLE, "karpenter-node-role").outputs["name"]
    discovery = [{"tags": {"karpenter.sh/discovery": "summit-prod"}}]
    assert node_class["subnetSelectorTerms"] == discovery
    assert node_class["securityGroupSelectorTerms"] == discovery


def test_node_class_ami_is_pinned_in_prod_and_latest_in_dev(prod, dev):
    assert spec(prod, NODE_CLASS)["amiSelectorTerms"] == [{"alias": "al2023@v20251110"}]
    assert spec(dev, NODE_CLASS)["amiSelectorTerms"] == [{"alias": "al2023@latest"}]


def test_nodes_have_an_encrypted_gp3_root_volume_and_imdsv2_only(prod):
    node_class = spec(prod, NODE_CLASS)
    (root,) = node_class["blockDeviceMappings"]
    assert root["ebs"]["volumeType"] == "gp3" and root["ebs"]["encrypted"] is True
    assert node_class["metadataOptions"]["httpTokens"] == "required"
    assert node_class["metadataOptions"]["httpPutResponseHopLimit"] == 1


def test_nodes_carry_the_cost_allocation_tags_the_budget_filters_on(prod):
    assert spec(prod, NODE_CLASS)["tags"] == {
        "environment": "prod",
        "service": "summit",
        "cost-center": "cc-platform-prod",
    }


def test_custom_resources_wait_for_the_release_and_the_access_entry(prod):
    release, entry = prod.one(RELEASE), prod.one("aws:eks/accessEntry:AccessEntry")
    for type_ in (NODE_POOL, NODE_CLASS):
        deps = prod.one(type_).dependencies
        assert release.urn in deps and entry.urn in deps
    assert prod.one(NODE_CLASS).urn in prod.one(NODE_POOL).dependencies


def test_aws_side_uses_the_primary_provider_and_cluster_side_the_kubernetes_provider(prod):
    component = prod.one("summit:autoscaling:NodeAutoscaling")
    for kid in prod.children(component):
        expected = "k8s-cluster" if kid.type.startswith("kubernetes:") else "aws-primary"
        assert prod.provider_of(kid).name == expected, kid.name
