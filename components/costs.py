"""Cost visibility: Kubecost (cost-analyzer 2.x), per-namespace budget alerts to Slack, an internal ingress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from components.k8s_common import HelmChart, namespace
from settings.cluster import NamespaceBudget

if TYPE_CHECKING:
    from settings import StackSettings

KUBECOST_CHART = HelmChart("cost-analyzer", "2.9.7", "https://kubecost.github.io/cost-analyzer/")
# The release name fixes the service name docs/components.md's port-forward uses: svc/kubecost-cost-analyzer.
RELEASE_NAME = "kubecost"
DAYS_PER_MONTH = 365 / 12


@dataclass(frozen=True)
class CostVisibilityArgs:
    cluster_name: str
    namespace: str
    host: str
    ingress_scheme: str  # internal | internet-facing (ALB scheme)
    ingress_class: str
    budgets: tuple[NamespaceBudget, ...]
    prometheus_retention_days: int
    kubecost_token: pulumi.Input[str]  # secret
    slack_webhook_url: pulumi.Input[str]  # secret

    @classmethod
    def from_settings(cls, config: StackSettings) -> CostVisibilityArgs:
        core, cluster = config.core, config.cluster
        return cls(
            cluster_name=core.eks_cluster_name,
            namespace=cluster.kubecost_namespace,
            host=cluster.kubecost_host,
            ingress_scheme=cluster.kubecost_ingress_scheme,
            ingress_class=cluster.kubecost_ingress_class,
            budgets=cluster.kubecost_namespace_budgets,
            prometheus_retention_days=cluster.kubecost_prometheus_retention_days,
            kubecost_token=core.kubecost_token.output(),
            slack_webhook_url=core.slack_webhook_url.output(),
        )


class CostVisibility(pulumi.ComponentResource):
    """Kubecost in its own namespace: per-namespace spend, and a Slack alert when a namespace's day exceeds
    its share of the monthly budget.

    The chart takes the product token and the Slack webhook only as plain values (no existing-secret option
    for either in cost-analyzer 2.9.7), so the whole values block is a Pulumi secret: encrypted in state and
    masked in previews.
    """

    release: k8s.helm.v3.Release
    namespace_name: str
    host: str

    def __init__(
        self,
        name: str,
        args: CostVisibilityArgs,
        *,
        k8s_provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:costs:CostVisibility", name, None, opts)
        in_k8s = pulumi.ResourceOptions(parent=self, provider=k8s_provider)
        self.namespace_name = args.namespace
        self.host = args.host

        ns = namespace(
            f"{name}-namespace", args.namespace, labels={"app.kubernetes.io/part-of": "kubecost"}, opts=in_k8s
        )
        # Secret even if a caller passed them as plain text: they must never reach state unencrypted.
        token, webhook = pulumi.Output.secret(args.kubecost_token), pulumi.Output.secret(args.slack_webhook_url)
        values = pulumi.Output.all(token, webhook).apply(
            lambda secrets: kubecost_values(args, kubecost_token=secrets[0], slack_webhook_url=secrets[1])
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE_NAME,
            namespace=args.namespace,
            values=values,
            atomic=True,
            cleanup_on_fail=True,
            timeout=900,
            **KUBECOST_CHART.release_args(),
            opts=pulumi.ResourceOptions.merge(in_k8s, pulumi.ResourceOptions(depends_on=[ns])),
        )
        self.register_outputs({"namespace": args.namespace, "host": args.host, "releaseStatus": self.release.status})


def daily_threshold_usd(budget: NamespaceBudget) -> float:
    """Kubecost budget alerts run over a day or a week; alert when a day costs more than a month's daily share."""
    return round(budget.monthly_usd / DAYS_PER_MONTH, 2)


def budget_alerts(budgets: tuple[NamespaceBudget, ...]) -> list[dict[str, Any]]:
    return [
        {
            "type": "budget",
            "threshold": daily_threshold_usd(b),
            "window": "daily",
            "aggregation": "namespace",
            "filter": b.namespace,
        }
        for b in budgets
    ]


def kubecost_values(args: CostVisibilityArgs, *, kubecost_token: str, slack_webhook_url: str) -> dict[str, Any]:
    """Helm values for cost-analyzer 2.9.7 (keys checked against the chart's values.yaml)."""
    alerts: dict[str, Any] = {
        "frontendUrl": f"https://{args.host}",
        "globalSlackWebhookUrl": slack_webhook_url,
        "alerts": budget_alerts(args.budgets),
    }
    return {
        "kubecostToken": kubecost_token,
        "global": {
            "clusterId": args.cluster_name,
            # The bundled Prometheus: Kubecost 2.x keeps history in its own ETL, Prometheus only short-term.
            "prometheus": {"enabled": True},
            "notifications": {"alertConfigs": alerts},
        },
        "prometheus": {"server": {"retention": f"{args.prometheus_retention_days}d"}},
        "kubecostProductConfigs": {"clusterName": args.cluster_name, "currencyCode": "USD"},
        "ingress": {
            "enabled": True,
            "className": args.ingress_class,
            "annotations": {
                # internal: reachable from the VPC (VPN / bastion) only — the free tier has no login.
                "alb.ingress.kubernetes.io/scheme": args.ingress_scheme,
                "alb.ingress.kubernetes.io/target-type": "ip",
            },
            "hosts": [args.host],
            "paths": ["/"],
            "pathType": "Prefix",
        },
    }
