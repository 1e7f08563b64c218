"""External synthetics and alert routing inside the EKS cluster: blackbox exporter, Probes, rules, Alertmanager.

Everything the probes and alerts do comes from monitoring/ (blackbox.yml, rules/*.yml, alertmanager.py), the
same files promtool, amtool and the real blackbox exporter test; this component only places them in the
cluster, labelled for the cluster's Prometheus operator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi
import pulumi_kubernetes as k8s

import monitoring
from contract.cron import period_seconds
from monitoring.alertmanager import SecretKeyRef, alertmanager_config_spec

if TYPE_CHECKING:
    from settings import StackSettings

CHART = "prometheus-blackbox-exporter"
CHART_VERSION = "11.17.2"
CHART_REPO = "https://prometheus-community.github.io/helm-charts"
# The chart's appVersion, pinned explicitly so a chart bump cannot move the image silently.
IMAGE_TAG = "v0.28.0"
# The release is named like the chart, so the chart's fullname (and the Service) is exactly this.
RELEASE_NAME = CHART
BLACKBOX_PORT = 9115

MONITORING_API = "monitoring.coreos.com/v1"
ALERTMANAGER_CONFIG_API = "monitoring.coreos.com/v1alpha1"
# The prometheus-operator release whose CRDs the Probes, PrometheusRule and AlertmanagerConfig are written for
# and tested against (tests/upstream/crds); the cluster's kube-prometheus-stack 88.x installs v0.93.1, same schemas.
PROMETHEUS_OPERATOR_CRDS = "v0.93.0"

NIGHTLY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ProbeTargetArgs:
    """One synthetic check: `url` probed with blackbox module `module`; its series carry `job`."""

    name: str  # Probe resource name, e.g. "gateway-graphql"
    job: str  # Prometheus job label the rules select on, e.g. "blackbox-gateway"
    url: str
    module: str


def gateway_targets(gateway_host: str, include_wallet: bool = True) -> tuple[ProbeTargetArgs, ...]:
    """Seed 000's checks on the public gateway host (gateway.<domain>): GraphQL and the wallet verify endpoint."""
    gateway = f"https://{gateway_host}"
    targets = [ProbeTargetArgs("gateway-graphql", "blackbox-gateway", f"{gateway}/graphql", "graphql_post")]
    if include_wallet:
        targets.append(ProbeTargetArgs("wallet-verify", "blackbox-wallet", f"{gateway}/wallet/health", "http_2xx"))
    return tuple(targets)


@dataclass(frozen=True)
class SyntheticProbesArgs:
    """What the caller decides; the probe modules and alert rules come from monitoring/."""

    namespace: str
    targets: tuple[ProbeTargetArgs, ...]
    pagerduty_routing_key: pulumi.Input[str]  # a pulumi secret; stored only in a Kubernetes Secret
    slack_webhook_url: pulumi.Input[str]  # a pulumi secret; stored only in a Kubernetes Secret
    probe_interval: str = "30s"
    # Labels the cluster's Prometheus/Alertmanager select Probes, PrometheusRules and AlertmanagerConfigs on.
    selector_labels: Mapping[str, str] = field(default_factory=dict)
    # The DR rules' fixed thresholds must match these (monitoring.threshold_mismatches; checked below).
    replica_lag_threshold_seconds: int = 60  # the data tier's CloudWatch ReplicaLag alarm threshold
    # Velero schedule name -> seconds between two of its backups (the backup-age alerts' thresholds follow them).
    backup_intervals: Mapping[str, int] = field(default_factory=lambda: {"nightly": NIGHTLY_SECONDS})
    replicas: int = 1

    @classmethod
    def from_settings(cls, config: StackSettings) -> SyntheticProbesArgs:
        core, synthetics = config.core, config.synthetics
        return cls(
            namespace=synthetics.namespace,
            # The same public URL the stack exports as gatewayUrl: what users (and Route53 failover) resolve.
            targets=gateway_targets(config.edge.public_fqdn("gateway", core.domain), synthetics.probe_wallet_enabled),
            pagerduty_routing_key=core.pagerduty_routing_key.output(),
            slack_webhook_url=core.slack_webhook_url.output(),
            probe_interval=synthetics.probe_interval,
            selector_labels=synthetics.selector_labels,
            replica_lag_threshold_seconds=config.data.db_replica_lag_alarm_seconds,
            backup_intervals={sch.name: period_seconds(sch.cron) for sch in config.cluster.velero_schedules},
            replicas=2 if core.is_production_like else 1,
        )


class SyntheticProbes(pulumi.ComponentResource):
    """Blackbox exporter (Helm), one Probe per target, the PrometheusRule and the AlertmanagerConfig routing.

    critical → PagerDuty, warning (and anything else) → Slack; both secrets live in Kubernetes Secrets made
    from pulumi secrets, referenced by the AlertmanagerConfig.
    """

    targets: tuple[ProbeTargetArgs, ...]
    namespace: k8s.core.v1.Namespace
    release: k8s.helm.v3.Release
    probes: dict[str, k8s.apiextensions.CustomResource]
    rule: k8s.apiextensions.CustomResource
    routing: k8s.apiextensions.CustomResource

    def __init__(
        self,
        name: str,
        args: SyntheticProbesArgs,
        *,
        provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:synthetics:SyntheticProbes", name, None, opts)
        modules = monitoring.blackbox_modules()
        for target in args.targets:
            if target.module not in modules:
                raise ValueError(
                    f"probe {target.name}: module {target.module!r} is not in {monitoring.BLACKBOX_CONFIG}"
                )
        # The rule file is deployed as written (it is what promtool tests), so it cannot follow settings;
        # refuse to deploy alerts that would disagree with the alarms and schedules they watch.
        mismatches = monitoring.threshold_mismatches(args.replica_lag_threshold_seconds, args.backup_intervals)
        if mismatches:
            raise ValueError("; ".join(mismatches))
        self.targets = args.targets
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        labels = dict(args.selector_labels)

        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace, labels={"app.kubernetes.io/part-of": "summit"}),
            opts=child,
        )
        ns = self.namespace.metadata.name
        in_ns = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[self.namespace])

        values: dict[str, object] = {
            "image": {"tag": IMAGE_TAG},
            "replicas": args.replicas,
            "config": {"modules": modules},
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
            # The exporter's own metrics (probe counts, config reloads), scraped by the same Prometheus.
            "serviceMonitor": {"selfMonitor": {"enabled": True, "labels": labels}},
        }
        if args.replicas > 1:
            values["podDisruptionBudget"] = {"maxUnavailable": 1}
        self.release = k8s.helm.v3.Release(
            f"{name}-blackbox-exporter",
            name=RELEASE_NAME,
            chart=CHART,
            version=CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPO),
            namespace=ns,
            create_namespace=False,
            values=values,
            atomic=True,
            cleanup_on_fail=True,
            opts=in_ns,
        )
        prober_url = f"{RELEASE_NAME}.{args.namespace}.svc:{BLACKBOX_PORT}"

        self.probes = {}
        for target in args.targets:
            self.probes[target.name] = k8s.apiextensions.CustomResource(
                f"{name}-probe-{target.name}",
                api_version=MONITORING_API,
                kind="Probe",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=target.name, namespace=ns, labels=labels),
                spec={
                    "jobName": target.job,
                    "module": target.module,
                    "interval": args.probe_interval,
                    "prober": {"url": prober_url, "path": "/probe"},
                    "targets": {"staticConfig": {"static": [target.url]}},
                },
                opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[self.release]),
            )

        self.rule = k8s.apiextensions.CustomResource(
            f"{name}-rules",
            api_version=MONITORING_API,
            kind="PrometheusRule",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="summit-alerts", namespace=ns, labels=labels),
            spec={"groups": monitoring.rule_groups()},
            opts=in_ns,
        )

        # The receivers' credentials, one Secret a channel; the AlertmanagerConfig names each by the same reference.
        pagerduty_key = SecretKeyRef("alert-routing-pagerduty", "routing-key")
        slack_key = SecretKeyRef("alert-routing-slack", "webhook-url")
        secrets = [
            k8s.core.v1.Secret(
                f"{name}-{channel}-secret",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=ref.name, namespace=ns),
                type="Opaque",
                string_data={ref.key: value},
                opts=in_ns,
            )
            for channel, ref, value in (
                ("pagerduty", pagerduty_key, args.pagerduty_routing_key),
                ("slack", slack_key, args.slack_webhook_url),
            )
        ]
        spec = alertmanager_config_spec(pagerduty_routing_key=pagerduty_key, slack_webhook_url=slack_key)
        self.routing = k8s.apiextensions.CustomResource(
            f"{name}-routing",
            api_version=ALERTMANAGER_CONFIG_API,
            kind="AlertmanagerConfig",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="summit-alert-routing", namespace=ns, labels=labels),
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=secrets),
        )

        self.register_outputs(
            {
                "namespace": ns,
                "proberUrl": prober_url,
                "probeTargets": {t.job: t.url for t in args.targets},
            }
        )
