"""Cluster backups: Velero with CSI snapshots moved into the replicated backups bucket, on config schedules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.k8s_common import (
    IRSA_ROLE_ANNOTATION,
    CustomObject,
    HelmChart,
    OidcProvider,
    ServiceAccountRef,
    irsa_role,
    namespace,
    policy_document,
)
from settings.cluster import BackupSchedule

if TYPE_CHECKING:
    from settings import StackSettings

# Chart 12.1.0 ships Velero 1.18.1 and its CRDs (tests/upstream/charts/velero/Chart.yaml, crds/velero).
VELERO_CHART = HelmChart("velero", "12.1.0", "https://vmware-tanzu.github.io/helm-charts")
# velero-plugin-for-aws v1.14.x is the line paired with Velero v1.18.x (the plugin's compatibility table).
AWS_PLUGIN_IMAGE = "velero/velero-plugin-for-aws:v1.14.2"
SERVICE_ACCOUNT = "velero-server"
STORAGE_LOCATION = "default"
SNAPSHOT_CLASS_LABEL = "velero.io/csi-volumesnapshot-class"
EBS_CSI_DRIVER = "ebs.csi.aws.com"
# The VolumeSnapshotClass CRD comes from the cluster (EKS add-on snapshot-controller), not from Velero: the
# class is written for, and tested against, the external-snapshotter release below (tests/upstream/crds).
EXTERNAL_SNAPSHOTTER_CRDS = "v8.6.0"


@dataclass(frozen=True)
class ClusterBackupsArgs:
    """What the caller decides. Bucket and key come from the data tier's ReplicatedBucket ("backups")."""

    cluster_name: str
    region: str
    account_id: str
    namespace: str
    schedules: tuple[BackupSchedule, ...]
    oidc: OidcProvider
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]

    @classmethod
    def from_settings(
        cls,
        config: StackSettings,
        *,
        bucket_name: pulumi.Input[str],
        bucket_arn: pulumi.Input[str],
        kms_key_arn: pulumi.Input[str],
    ) -> ClusterBackupsArgs:
        """The bucket: the data tier's backups bucket (versioned, KMS-encrypted, replicated to the DR region)."""
        core, cluster = config.core, config.cluster
        return cls(
            cluster_name=core.eks_cluster_name,
            region=core.primary_region,
            account_id=core.aws_account_id,
            namespace=cluster.velero_namespace,
            schedules=cluster.velero_schedules,
            oidc=OidcProvider(arn=cluster.oidc_provider_arn, issuer=cluster.oidc_issuer),
            bucket_name=bucket_name,
            bucket_arn=bucket_arn,
            kms_key_arn=kms_key_arn,
        )


class ClusterBackups(pulumi.ComponentResource):
    """Velero in its own namespace, backing up to `<bucket>/<cluster>/` and moving CSI snapshot data there too.

    EBS snapshots are regional; with `defaultSnapshotMoveData` the node agent copies each volume's data into
    the backups bucket, which the data tier replicates to the DR region — so a restore works after a region loss.
    """

    release: k8s.helm.v3.Release
    role: aws.iam.Role
    schedules: list[k8s.apiextensions.CustomResource]
    snapshot_class: CustomObject
    namespace_name: str
    schedule_name: str

    def __init__(
        self,
        name: str,
        args: ClusterBackupsArgs,
        *,
        aws_provider: aws.Provider,
        k8s_provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:backups:ClusterBackups", name, None, opts)
        in_aws = pulumi.ResourceOptions(parent=self, provider=aws_provider)
        in_k8s = pulumi.ResourceOptions(parent=self, provider=k8s_provider)
        self.namespace_name = args.namespace
        self.schedule_name = args.schedules[0].name

        self.role = irsa_role(
            f"{name}-role",
            oidc=args.oidc,
            service_account=ServiceAccountRef(args.namespace, SERVICE_ACCOUNT),
            policy=pulumi.Output.all(args.bucket_arn, args.kms_key_arn).apply(
                lambda a: velero_policy(a[0], a[1], args.cluster_name, args.region, args.account_id)
            ),
            description=f"Velero on {args.cluster_name}: its prefix of the backups bucket, and EBS snapshots",
            opts=in_aws,
        )
        ns = namespace(f"{name}-namespace", args.namespace, labels={"app.kubernetes.io/part-of": "velero"}, opts=in_k8s)

        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name="velero",
            namespace=args.namespace,
            values=pulumi.Output.all(args.bucket_name, args.kms_key_arn, self.role.arn).apply(
                lambda a: velero_values(
                    bucket=a[0], kms_key_arn=a[1], role_arn=a[2], cluster_name=args.cluster_name, region=args.region
                )
            ),
            # Roll back a failed upgrade instead of leaving a half-applied release behind.
            atomic=True,
            cleanup_on_fail=True,
            timeout=600,
            **VELERO_CHART.release_args(),
            opts=pulumi.ResourceOptions.merge(in_k8s, pulumi.ResourceOptions(depends_on=[ns])),
        )

        # The CRD comes from the external snapshotter (EKS snapshot-controller add-on), not from Velero.
        self.snapshot_class = CustomObject(
            f"{name}-ebs-snapshot-class",
            "snapshot.storage.k8s.io/v1",
            "VolumeSnapshotClass",
            metadata={"name": "velero-ebs", "labels": {SNAPSHOT_CLASS_LABEL: "true"}},
            fields=volume_snapshot_class_fields(),
            opts=in_k8s,
        )

        # Schedule CRDs are installed by the chart: create schedules only after the release.
        after_release = pulumi.ResourceOptions.merge(in_k8s, pulumi.ResourceOptions(depends_on=[self.release]))
        self.schedules = [
            k8s.apiextensions.CustomResource(
                f"{name}-schedule-{schedule.name}",
                api_version="velero.io/v1",
                kind="Schedule",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=schedule.name, namespace=args.namespace),
                spec=schedule_spec(schedule),
                opts=after_release,
            )
            for schedule in args.schedules
        ]
        self.register_outputs(
            {
                "namespace": args.namespace,
                "scheduleName": self.schedule_name,
                "roleArn": self.role.arn,
                "releaseStatus": self.release.status,
            }
        )


def velero_policy(bucket_arn: str, kms_key_arn: str, cluster_name: str, region: str, account_id: str) -> str:
    """The backups bucket under this cluster's prefix, its KMS key, and EBS snapshot actions in one region."""
    return policy_document(
        [
            {
                "Sid": "ObjectsUnderThisClustersPrefix",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                ],
                "Resource": f"{bucket_arn}/{cluster_name}/*",
            },
            {
                "Sid": "ListThisClustersPrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                "Condition": {"StringLike": {"s3:prefix": [f"{cluster_name}/*", f"{cluster_name}/"]}},
            },
            {
                # Velero lists the bucket root to check the location is reachable.
                "Sid": "LocateBucket",
                "Effect": "Allow",
                "Action": "s3:GetBucketLocation",
                "Resource": bucket_arn,
            },
            {
                "Sid": "BucketKeyThroughS3Only",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": kms_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            },
            {
                "Sid": "DescribeVolumesAndSnapshots",
                "Effect": "Allow",
                "Action": ["ec2:DescribeVolumes", "ec2:DescribeSnapshots"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
            },
            {
                "Sid": "SnapshotAndRestoreVolumes",
                "Effect": "Allow",
                "Action": ["ec2:CreateSnapshot", "ec2:CreateVolume", "ec2:CreateTags", "ec2:DeleteSnapshot"],
                "Resource": [f"arn:aws:ec2:{region}::snapshot/*", f"arn:aws:ec2:{region}:{account_id}:volume/*"],
            },
        ]
    )


def velero_values(*, bucket: str, kms_key_arn: str, role_arn: str, cluster_name: str, region: str) -> dict[str, Any]:
    """Helm values for the velero chart (keys checked against the chart's values.yaml and values.schema.json)."""
    return {
        "initContainers": [
            {
                "name": "velero-plugin-for-aws",
                "image": AWS_PLUGIN_IMAGE,
                "imagePullPolicy": "IfNotPresent",
                "volumeMounts": [{"mountPath": "/target", "name": "plugins"}],
            }
        ],
        "configuration": {
            "backupStorageLocation": [
                {
                    "name": STORAGE_LOCATION,
                    "provider": "aws",
                    "bucket": bucket,
                    # One bucket can hold several clusters; the prefix keeps them apart (and scopes the IAM policy).
                    "prefix": cluster_name,
                    "default": True,
                    "config": {"region": region, "kmsKeyId": kms_key_arn},
                }
            ],
            "volumeSnapshotLocation": [{"name": STORAGE_LOCATION, "provider": "aws", "config": {"region": region}}],
            # Without EnableCSI, Velero 1.18 never takes CSI snapshots: the AWS plugin would snapshot EBS volumes
            # natively, data movement would not apply, and the regional snapshots would die with the region.
            "features": "EnableCSI",
            # Copy CSI snapshot data into the bucket (kopia): EBS snapshots alone die with the region.
            "defaultSnapshotMoveData": True,
            "uploaderType": "kopia",
        },
        "deployNodeAgent": True,
        "snapshotsEnabled": True,
        "backupsEnabled": True,
        # IRSA, not a static key: no AWS secret exists in the cluster.
        "credentials": {"useSecret": False},
        "serviceAccount": {
            "server": {"create": True, "name": SERVICE_ACCOUNT, "annotations": {IRSA_ROLE_ANNOTATION: role_arn}}
        },
        "metrics": {"enabled": True},
    }


def volume_snapshot_class_fields() -> dict[str, Any]:
    # Delete: the snapshot is only a staging copy; with data movement the backup lives in S3.
    return {"driver": EBS_CSI_DRIVER, "deletionPolicy": "Delete"}


def schedule_spec(schedule: BackupSchedule) -> dict[str, Any]:
    return {
        "schedule": schedule.cron,
        # Backups outlive a deleted Schedule (no owner references), so removing a schedule never drops history.
        "useOwnerReferencesInBackup": False,
        "template": {
            "ttl": schedule.ttl,
            "includedNamespaces": list(schedule.namespaces),
            "storageLocation": STORAGE_LOCATION,
            "snapshotMoveData": True,
        },
    }
