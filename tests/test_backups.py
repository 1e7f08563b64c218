"""ClusterBackups: Velero's release and values, its IRSA role, the snapshot class and the Schedules."""

import json
import re

import pytest

from components.backups import AWS_PLUGIN_IMAGE, ClusterBackups, ClusterBackupsArgs
from tests.harness import run_component, run_stack
from tests.schemas import (
    SchemaMismatch,
    assert_values_known,
    chart_metadata,
    rendered_object,
    reveal,
    validate_chart_values,
    validate_custom_resource,
)

BUCKET = "summit-stage-backups-us-east-1-321098765432"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
KEY_ARN = "arn:aws:kms:us-east-1:321098765432:key/0f0e0d0c-0b0a-0908-0706-050403020100"
RELEASE = "kubernetes:helm.sh/v3:Release"
SCHEDULE = "kubernetes:velero.io/v1:Schedule"


def build(s, p):
    return ClusterBackups(
        "velero",
        ClusterBackupsArgs.from_settings(s, bucket_name=BUCKET, bucket_arn=BUCKET_ARN, kms_key_arn=KEY_ARN),
        aws_provider=p.primary,
        k8s_provider=p.kubernetes,
    )


@pytest.fixture(scope="module")
def stage():
    return run_component(build, "stage")


def values(run):
    return reveal(run.one(RELEASE).inputs["values"])


def test_release_pins_the_velero_chart_whose_files_the_tests_check(stage):
    release = stage.one(RELEASE)
    chart = chart_metadata("velero")
    assert (
        (release.inputs["chart"], release.inputs["version"])
        == (chart["name"], chart["version"])
        == ("velero", "12.1.0")
    )
    assert release.inputs["repositoryOpts"]["repo"] == "https://vmware-tanzu.github.io/helm-charts"
    assert release.inputs["namespace"] == "velero"


def test_every_value_key_exists_in_the_chart(stage):
    assert_values_known(
        "velero",
        values(stage),
        documented=["configuration.backupStorageLocation[].config.kmsKeyId"],
    )


def test_merged_values_pass_the_charts_values_schema(stage):
    validate_chart_values("velero", values(stage))


def test_aws_plugin_is_the_line_paired_with_the_charts_velero_version(stage):
    app = chart_metadata("velero")["appVersion"]  # "1.18.1"
    minor = int(app.split(".")[1])
    (plugin,) = values(stage)["initContainers"]
    assert plugin["image"] == AWS_PLUGIN_IMAGE
    # velero-plugin-for-aws v1.(N-4).x pairs with Velero v1.N.x (v1.14 ↔ v1.18); an exact tag, never latest.
    assert re.fullmatch(rf"velero/velero-plugin-for-aws:v1\.{minor - 4}\.\d+", plugin["image"])
    assert plugin["volumeMounts"] == [{"mountPath": "/target", "name": "plugins"}]


def test_backups_go_to_the_bucket_under_the_cluster_prefix_encrypted_with_its_key(stage):
    (location,) = values(stage)["configuration"]["backupStorageLocation"]
    assert (location["provider"], location["bucket"], location["prefix"]) == ("aws", BUCKET, "summit-stage")
    assert location["config"] == {"region": "us-east-1", "kmsKeyId": KEY_ARN}
    assert location["default"] is True
    (snapshots,) = values(stage)["configuration"]["volumeSnapshotLocation"]
    assert snapshots["config"] == {"region": "us-east-1"}


def test_node_agent_moves_snapshot_data_into_the_replicated_bucket(stage):
    v = values(stage)
    assert v["deployNodeAgent"] is True
    assert v["configuration"]["defaultSnapshotMoveData"] is True
    assert all(s.inputs["spec"]["template"]["snapshotMoveData"] is True for s in stage.all(SCHEDULE))


def test_velero_server_runs_with_the_csi_feature_so_volumes_take_the_data_mover_path(stage):
    """Without EnableCSI Velero snapshots EBS natively (regional, never moved) and snapshotMoveData does nothing."""
    assert "EnableCSI" in values(stage)["configuration"]["features"].split(",")


def test_service_account_uses_the_irsa_role_and_no_static_credentials(stage):
    v = values(stage)
    role = stage.one("aws:iam/role:Role")
    assert v["credentials"] == {"useSecret": False}
    assert v["serviceAccount"]["server"]["name"] == "velero-server"
    assert v["serviceAccount"]["server"]["annotations"] == {"eks.amazonaws.com/role-arn": role.outputs["arn"]}


def test_role_trusts_only_the_velero_service_account_token_for_sts(stage):
    trust = json.loads(stage.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    issuer = "oidc.eks.us-east-1.amazonaws.com/id/5A1B2C3D4E5F60718293A4B5C6D7E8F9"
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::321098765432:oidc-provider/{issuer}"}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            f"{issuer}:sub": "system:serviceaccount:velero:velero-server",
            f"{issuer}:aud": "sts.amazonaws.com",
        }
    }


def _policy(run):
    return json.loads(run.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]


def test_role_may_touch_only_the_bucket_prefix_its_key_and_ebs_snapshots(stage):
    statements = _policy(stage)
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {a.split(":")[0] for a in actions} == {"s3", "kms", "ec2"}
    assert not any(a.endswith(":*") for a in actions)
    s3_objects = next(s for s in statements if "s3:PutObject" in s["Action"])
    assert s3_objects["Resource"] == f"{BUCKET_ARN}/summit-stage/*"
    listing = next(s for s in statements if s["Action"] == "s3:ListBucket")
    assert listing["Condition"]["StringLike"]["s3:prefix"] == ["summit-stage/*", "summit-stage/"]
    kms = next(s for s in statements if "kms:Decrypt" in s["Action"])
    assert kms["Resource"] == KEY_ARN
    assert kms["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    ec2 = sorted(a for a in actions if a.startswith("ec2:"))
    assert ec2 == [
        "ec2:CreateSnapshot",
        "ec2:CreateTags",
        "ec2:CreateVolume",
        "ec2:DeleteSnapshot",
        "ec2:DescribeSnapshots",
        "ec2:DescribeVolumes",
    ]


def test_schedules_are_seed_001_and_valid_velero_v1_schedules(stage):
    schedule = next(s for s in stage.all(SCHEDULE) if s.inputs["metadata"]["name"] == "nightly")
    obj = rendered_object(schedule)
    validate_custom_resource(obj)
    assert obj["metadata"] == {"name": "nightly", "namespace": "velero"}
    assert obj["spec"]["schedule"] == "0 3 * * *"
    assert obj["spec"]["template"]["ttl"] == "720h"
    assert obj["spec"]["template"]["includedNamespaces"] == ["gateway", "intelgraph", "postgres"]
    assert obj["spec"]["template"]["storageLocation"] == "default"


def test_an_hourly_schedule_snapshots_the_stateful_namespaces_beside_the_nightly_one(stage):
    hourly = next(s for s in stage.all(SCHEDULE) if s.inputs["metadata"]["name"] == "hourly")
    obj = rendered_object(hourly)
    validate_custom_resource(obj)
    assert obj["spec"]["schedule"] == "30 * * * *"
    assert obj["spec"]["template"]["includedNamespaces"] == ["intelgraph", "postgres"]
    assert obj["spec"]["template"]["snapshotMoveData"] is True


def test_schedules_wait_for_the_release_that_installs_their_crd(stage):
    release = stage.one(RELEASE)
    assert all(release.urn in s.dependencies for s in stage.all(SCHEDULE))


def test_each_configured_schedule_becomes_a_schedule_resource():
    run = run_component(
        build,
        "dev",
        {"veleroSchedules": ["nightly: 0 3 * * * | 720h | gateway", "cluster-wide: 30 15 * * * | 168h | *"]},
    )
    by_name = {s.inputs["metadata"]["name"]: s.inputs["spec"] for s in run.all(SCHEDULE)}
    assert set(by_name) == {"nightly", "cluster-wide"}
    assert by_name["cluster-wide"]["schedule"] == "30 15 * * *"
    assert by_name["cluster-wide"]["template"]["includedNamespaces"] == ["*"]
    assert by_name["cluster-wide"]["template"]["ttl"] == "168h"
    for schedule in run.all(SCHEDULE):
        validate_custom_resource(rendered_object(schedule))


def test_ebs_snapshot_class_is_labelled_for_velero_and_valid(stage):
    snapshot_class = stage.one("kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshotClass")
    obj = rendered_object(snapshot_class)
    validate_custom_resource(obj)
    assert obj["driver"] == "ebs.csi.aws.com"
    assert obj["metadata"]["labels"] == {"velero.io/csi-volumesnapshot-class": "true"}


def test_a_misspelt_schedule_key_is_caught_by_the_strict_check(stage):
    obj = rendered_object(stage.all(SCHEDULE)[0])
    obj["spec"]["template"]["tll"] = obj["spec"]["template"].pop("ttl")
    with pytest.raises(SchemaMismatch, match=r"spec\.template\.tll: unknown key"):
        validate_custom_resource(obj)


def test_a_misspelt_helm_value_is_caught(stage):
    v = values(stage)
    v["configuration"]["defaultSnapshotMovedata"] = v["configuration"].pop("defaultSnapshotMoveData")
    with pytest.raises(SchemaMismatch, match=r"configuration\.defaultSnapshotMovedata: not in velero/values\.yaml"):
        assert_values_known("velero", v, documented=["configuration.backupStorageLocation[].config.kmsKeyId"])


def test_velero_runs_in_its_own_namespace_under_the_component(stage):
    component = stage.one("summit:backups:ClusterBackups")
    namespace = stage.one("kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["name"] == "velero"
    assert namespace.urn in stage.one(RELEASE).dependencies
    kids = stage.children(component)
    assert all(k.name.startswith("velero-") for k in kids)
    assert {stage.provider_of(k).name for k in kids} == {"aws-primary", "k8s-cluster"}


def test_stack_exports_the_cluster_contract_outputs_with_the_data_tier_bucket():
    run = run_stack("stage")
    out = run.outputs
    assert out["veleroNamespace"] == "velero"
    assert out["veleroScheduleName"] == "nightly"
    assert out["veleroBucket"] == out["buckets"]["backups"]["primaryBucket"]
    assert out["kubecostHost"] == "kubecost.stage.summit.example.com"
    assert out["karpenterInterruptionQueueUrl"].startswith("https://sqs.us-east-1.amazonaws.com/321098765432/")
    (location,) = reveal(run.one(RELEASE, "velero-release").inputs["values"])["configuration"]["backupStorageLocation"]
    assert location["bucket"] == out["veleroBucket"]
    backups_key = run.one("aws:kms/key:Key", _primary_key_name(run))
    assert location["config"]["kmsKeyId"] == backups_key.outputs["arn"]


def _primary_key_name(run):
    """The KMS key of the backups bucket's primary side (named by the data tier's ReplicatedBucket)."""
    bucket = run.one("summit:storage:ReplicatedBucket", "bucket-backups")
    keys = [r for r in run.all("aws:kms/key:Key") if r.region == "us-east-1" and _under(run, r, bucket)]
    (key,) = keys
    return key.name


def _under(run, resource, ancestor):
    while resource.parent and resource.parent != run.stack_urn:
        if resource.parent == ancestor.urn:
            return True
        resource = run.by_urn(resource.parent)
    return False
