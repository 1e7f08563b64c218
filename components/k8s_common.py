"""Shared pieces of the in-cluster add-ons: pinned Helm charts, IRSA roles, namespaces, spec-less custom objects.

IRSA (IAM Roles for Service Accounts) is how the add-ons reach AWS: the chart's ServiceAccount carries the
annotation `eks.amazonaws.com/role-arn`, EKS's pod identity webhook injects a projected token, and STS trades
it for the role only when the token's `sub` is exactly `system:serviceaccount:<namespace>:<name>` and its
`aud` is `sts.amazonaws.com`. Nothing else in the cluster can assume the role.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pulumi_kubernetes import _utilities as k8s_utilities

IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"


@dataclass(frozen=True)
class HelmChart:
    """A chart pinned to one version. `repository` is empty for OCI charts (the chart reference is the URL)."""

    chart: str
    version: str
    repository: str = ""

    def release_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"chart": self.chart, "version": self.version}
        if self.repository:
            args["repository_opts"] = k8s.helm.v3.RepositoryOptsArgs(repo=self.repository)
        return args


@dataclass(frozen=True)
class OidcProvider:
    """The cluster's IAM OIDC identity provider: its ARN and issuer (host/path, no scheme)."""

    arn: str
    issuer: str


@dataclass(frozen=True)
class ServiceAccountRef:
    namespace: str
    name: str

    @property
    def subject(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.name}"


def irsa_trust_policy(oidc: OidcProvider, service_account: ServiceAccountRef) -> str:
    """Trust only the one ServiceAccount's projected token, and only when it was minted for STS."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AssumeFromOneServiceAccount",
                    "Effect": "Allow",
                    "Principal": {"Federated": oidc.arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    # StringEquals, not StringLike: a wildcard would hand the role to every SA in the namespace.
                    "Condition": {
                        "StringEquals": {
                            f"{oidc.issuer}:sub": service_account.subject,
                            f"{oidc.issuer}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        }
    )


def irsa_role(
    name: str,
    *,
    oidc: OidcProvider,
    service_account: ServiceAccountRef,
    policy: pulumi.Input[str],
    description: str,
    opts: pulumi.ResourceOptions,
) -> aws.iam.Role:
    """An IAM role assumable only by `service_account` via IRSA, with `policy` as its one inline policy.

    Creates `<name>` (aws.iam.Role) and `<name>-policy` (aws.iam.RolePolicy) with the given options
    (pass parent=<component>, provider=<aws provider>).
    """
    role = aws.iam.Role(
        name,
        description=description,
        assume_role_policy=irsa_trust_policy(oidc, service_account),
        # Sessions are refreshed by the SDKs; one hour bounds how long a leaked token stays useful.
        max_session_duration=3600,
        opts=opts,
    )
    aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=policy, opts=opts)
    return role


def namespace(
    name: str, namespace_name: str, *, labels: dict[str, str], opts: pulumi.ResourceOptions
) -> k8s.core.v1.Namespace:
    """A namespace an add-on owns; `app.kubernetes.io/managed-by` tells operators who to ask before editing."""
    return k8s.core.v1.Namespace(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=namespace_name, labels={"app.kubernetes.io/managed-by": "pulumi", **labels}
        ),
        opts=opts,
    )


def policy_document(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class CustomObject(k8s.apiextensions.CustomResource):
    """A custom resource whose body has top-level fields instead of `spec` (e.g. VolumeSnapshotClass).

    pulumi_kubernetes' Python CustomResource only carries `spec`; the provider itself accepts any body for
    a `kubernetes:<group>/<version>:<Kind>` type, so this registers the fields directly.
    """

    def __init__(
        self,
        resource_name: str,
        api_version: str,
        kind: str,
        metadata: dict[str, Any],
        fields: dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"apiVersion": api_version, "kind": kind, "metadata": metadata, **fields}
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(version=k8s_utilities.get_version()))
        pulumi.CustomResource.__init__(self, f"kubernetes:{api_version}:{kind}", resource_name, props, opts)
