"""Explicit providers. No resource in this project may use Pulumi's ambient default provider.

Cost-allocation tags go on every AWS resource through `default_tags` (one place, cannot be forgotten);
`allowed_account_ids` makes a stack refuse to touch any account but its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from settings.core import CoreSettings

# CLOUDFRONT-scope WAF ACLs, ACM certificates for CloudFront and Route53 health-check metrics exist only here.
GLOBAL_REGION = "us-east-1"


@dataclass(frozen=True)
class Providers:
    primary: aws.Provider
    dr: aws.Provider
    global_: aws.Provider  # us-east-1, for CLOUDFRONT scope and Route53 health-check metrics
    kubernetes: k8s.Provider
    primary_region: str
    dr_region: str


def _aws(name: str, region: str, core: CoreSettings) -> aws.Provider:
    return aws.Provider(
        name,
        region=region,
        allowed_account_ids=[core.aws_account_id],
        default_tags=aws.ProviderDefaultTagsArgs(tags=core.cost_allocation_tags),
    )


def generated_kubeconfig(
    cluster: str, endpoint: pulumi.Input[str], ca_data: pulumi.Input[str], region: str
) -> pulumi.Output[str]:
    """A kubeconfig that authenticates with `aws eks get-token` (no long-lived credentials stored)."""
    return pulumi.Output.all(endpoint, ca_data).apply(
        lambda args: json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": cluster, "cluster": {"server": args[0], "certificate-authority-data": args[1]}}],
                "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": cluster}}],
                "current-context": cluster,
                "users": [
                    {
                        "name": cluster,
                        "user": {
                            "exec": {
                                "apiVersion": "client.authentication.k8s.io/v1beta1",
                                "command": "aws",
                                "args": ["eks", "get-token", "--cluster-name", cluster, "--region", region],
                            }
                        },
                    }
                ],
            }
        )
    )


def make_providers(core: CoreSettings) -> Providers:
    primary = _aws("aws-primary", core.primary_region, core)
    dr = _aws("aws-dr", core.dr_region, core)
    global_ = primary if core.primary_region == GLOBAL_REGION else _aws("aws-global", GLOBAL_REGION, core)
    if core.kubeconfig is not None:
        kubeconfig: pulumi.Input[str] = core.kubeconfig.output()
    else:
        cluster = aws.eks.get_cluster_output(
            name=core.eks_cluster_name, opts=pulumi.InvokeOutputOptions(provider=primary)
        )
        kubeconfig = pulumi.Output.secret(
            generated_kubeconfig(
                core.eks_cluster_name,
                cluster.endpoint,
                cluster.certificate_authorities.apply(lambda cas: cas[0].data),
                core.primary_region,
            )
        )
    kubernetes = k8s.Provider(
        "k8s-cluster",
        kubeconfig=kubeconfig,
        # Server-side apply: field ownership is tracked, so Helm/operators and Pulumi do not fight.
        enable_server_side_apply=True,
    )
    return Providers(
        primary=primary,
        dr=dr,
        global_=global_,
        kubernetes=kubernetes,
        primary_region=core.primary_region,
        dr_region=core.dr_region,
    )
