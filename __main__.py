"""summit-resilience: composition only — settings → providers → components → stack outputs.

Each component's arguments come from `<Component>Args.from_settings(config, <upstream outputs>)`, defined beside
the component; this file only says which components exist and what flows between them.
"""

import pulumi

import settings
from components.alerting import OperationsAlerts, OperationsAlertsArgs, SlackAlerts, SlackAlertsArgs
from components.audit import AuditTrail, AuditTrailArgs, audit_trail_name, trail_arn
from components.autoscaling import NodeAutoscaling, NodeAutoscalingArgs
from components.aws_backup import BackupReportsRole, DatabaseBackups, DatabaseBackupsArgs
from components.backups import ClusterBackups, ClusterBackupsArgs
from components.budgets import StackBudget, StackBudgetArgs
from components.canaries import GatewayCanaries, GatewayCanariesArgs
from components.chaos import ChaosDrill, ChaosDrillArgs, FaultTargets
from components.costs import CostVisibility, CostVisibilityArgs
from components.dashboards import DrDashboard, DrDashboardArgs, GrafanaDashboard, GrafanaDashboardArgs
from components.database import (
    ReplicatedPostgres,
    ReplicatedPostgresArgs,
    database_identifier,
    endpoint_parameter_name,
    replica_identifier,
)
from components.edge import EdgeProtection, EdgeProtectionArgs
from components.failover import FailoverDns, FailoverDnsArgs
from components.region_switch import RegionSwitchPlan, RegionSwitchPlanArgs, ReplicatedDatabase, ReportBucket
from components.storage import AccessLogBucket, AccessLogBucketArgs, ReplicatedBucket, ReplicatedBucketArgs
from components.synthetics import SyntheticProbes, SyntheticProbesArgs
from contract.outputs import BackupOutputs, BucketPairOutputs, CanaryGroupOutputs, StackOutputs, export
from providers import make_providers

config = settings.load_runtime()
core = config.core
providers = make_providers(core)

# Alarm topics per region (critical → PagerDuty, warning → Slack; severities: components/alerting.py SEVERITIES).
operations = OperationsAlerts(
    "ops-alerts", OperationsAlertsArgs.from_settings(config, core.primary_region), provider=providers.primary
)
budget = StackBudget("stack-budget", StackBudgetArgs.from_settings(config), provider=providers.primary)

# --- data tier ---
# CloudWatch alarms notify only SNS topics in their own region: DR-region alarms (replica lag) publish here.
operations_dr = OperationsAlerts(
    "ops-alerts-dr", OperationsAlertsArgs.from_settings(config, core.dr_region), provider=providers.dr
)
data_tier = config.data
database = ReplicatedPostgres(
    "db",
    ReplicatedPostgresArgs.from_settings(config, operations.topics, operations_dr.topics),
    primary=providers.primary,
    dr=providers.dr,
    random_provider=providers.random,
)
# One server-access-log bucket per region: every bucket of that region logs into it.
access_logs = {
    region: AccessLogBucket(
        f"access-logs{suffix}", AccessLogBucketArgs.from_settings(config, region), provider=provider
    )
    for region, suffix, provider in (
        (core.primary_region, "", providers.primary),
        (core.dr_region, "-dr", providers.dr),
    )
}
backups = config.backup
# Backup Audit Manager delivers its reports into the audit-logs buckets as this role; their policies name it.
backup_reports = BackupReportsRole("backup-reports", provider=providers.primary) if backups.enabled else None
# The audit trail delivers into the audit-logs bucket; its ARN is known up front so the bucket policy can name it.
audit_trail_arn = trail_arn(core.primary_region, core.aws_account_id, audit_trail_name(config))
buckets: dict[str, ReplicatedBucket] = {
    purpose: ReplicatedBucket(
        f"bucket-{purpose}",
        ReplicatedBucketArgs.from_settings(
            config,
            purpose,
            alarm_topics=operations.topics,
            access_log_buckets=(access_logs[core.primary_region].bucket_name, access_logs[core.dr_region].bucket_name),
            audit_writers=(backup_reports.writer(),) if backup_reports else (),
            audit_trail_arn=audit_trail_arn,
        ),
        primary=providers.primary,
        dr=providers.dr,
    )
    for purpose in data_tier.bucket_purposes
}
# AWS Backup beside the automated backups: locked snapshot vaults in both regions, weekly restore tests, audit.
database_backups = (
    DatabaseBackups(
        "db-backup",
        DatabaseBackupsArgs.from_settings(
            config,
            db_instance_arn=database.primary.arn,
            report_buckets=(buckets["audit-logs"].primary.bucket, buckets["audit-logs"].replica.bucket),
            report_after=(buckets["audit-logs"],),
            alarm_topics={"primary": operations.topics, "dr": operations_dr.topics},
            secret_arn=database.dr_secret_arn,
            secret_kms_key_arn=database.replica_key.arn,
        ),
        primary=providers.primary,
        dr=providers.dr,
    )
    if backups.enabled
    else None
)
audit_trail = (
    AuditTrail(
        "audit-trail",
        AuditTrailArgs.from_settings(
            config,
            bucket_name=buckets["audit-logs"].primary.bucket,
            replication_role_name=buckets["audit-logs"].replication_role.name,
            bucket_policy=buckets["audit-logs"].primary_policy,
            bucket_arns={purpose: (b.primary.arn, b.replica.arn) for purpose, b in buckets.items()},
        ),
        provider=providers.primary,
    )
    if "audit-logs" in buckets
    else None
)
# --- traffic failover and edge ---
edge = config.edge
# --- detection from both regions: CloudWatch Synthetics canaries on the public gateway URL, alarms in each region ---
canaries = {
    region: GatewayCanaries(
        f"canaries{suffix}", GatewayCanariesArgs.from_settings(config, region, alerts.topics), provider=provider
    )
    for region, suffix, provider, alerts in (
        (core.primary_region, "", providers.primary, operations),
        (core.dr_region, "-dr", providers.dr, operations_dr),
    )
}
# --- region failover plan (ARC Region switch): wherever the DR replica exists ---
switch = config.region_switch
region_switch: RegionSwitchPlan | None = None
if database.replica is not None:
    # Execution reports are failover evidence: the audit-log bucket's DR copy (COMPLIANCE object lock, in the region
    # that executes a failover) when the stack has one, else the backups bucket's DR copy.
    report_pair = buckets.get("audit-logs") or buckets["backups"]
    region_switch = RegionSwitchPlan(
        "region-switch",
        RegionSwitchPlanArgs.from_settings(
            config,
            database=ReplicatedDatabase(
                name="db",
                primary_identifier=database_identifier(config),
                primary_arn=database.primary.arn,
                replica_identifier=replica_identifier(database_identifier(config)),
                replica_arn=database.replica.arn,
                endpoint_parameter_name=endpoint_parameter_name(config),
                # The credentials secret and its DR-region replica: the function re-points the copy in the
                # region it runs in (promoting the replica secret first when its primary region is gone).
                secret_arns={core.primary_region: [database.secret_arn], core.dr_region: [database.dr_secret_arn]},
                kms_key_arns=(database.primary_key.arn, database.replica_key.arn),
            ),
            secret_kms_key_arns={
                core.primary_region: [database.primary_key.arn],
                core.dr_region: [database.replica_key.arn],
            },
            report_bucket=ReportBucket(
                name=report_pair.replica.bucket,
                arn=report_pair.replica.arn,
                kms_key_arn=report_pair.replica_key.arn,
                region=core.dr_region,
            ),
            application_health_alarm_arns=tuple(a.arn for a in canaries[core.dr_region].alarms.values()),
        ),
        primary=providers.primary,
        dr=providers.dr,
    )
gate_checks = region_switch.primary_region_checks() if region_switch is not None and switch.dns_gate else None


def primary_gates(checks: pulumi.Output[dict[str, str]]) -> dict[str, pulumi.Output[str | None]]:
    """host -> the plan's primary-region health check of that host's failover record (None until allocated)."""
    fqdns = {host: edge.failover_fqdn(host, core.domain) for host in edge.failover_hosts}
    return {host: checks.apply(lambda ids, fqdn=fqdn: ids.get(fqdn)) for host, fqdn in fqdns.items()}


# HealthCheckStatus alarms live in us-east-1 and can only notify topics there: the primary region's topics when it
# is us-east-1, otherwise a us-east-1 pair with the same recipients.
health_alerts = (
    operations
    if providers.global_ is providers.primary
    else OperationsAlerts(
        "ops-alerts-global", OperationsAlertsArgs.from_settings(config, "us-east-1"), provider=providers.global_
    )
)
failover = FailoverDns(
    "failover",
    FailoverDnsArgs.from_settings(
        config, health_alerts.topics, primary_gates(gate_checks) if gate_checks is not None else None
    ),
    provider=providers.global_,
)
# --- the drill's real faults (FIS templates) and the alarms on its results ---
chaos_drill = (
    ChaosDrill(
        "chaos-drill",
        ChaosDrillArgs.from_settings(
            config,
            # DR region: the drill publishes there, and the alarms must outlive the primary region
            operations_dr.topics,
            FaultTargets.from_settings(
                config,
                db_arn=database.primary.arn,
                bucket_arns=tuple(b.primary.arn for b in buckets.values()),
                # The templates run in the primary region. The FIS user guide ("Stop conditions") documents a stop
                # condition as one CloudWatch alarm ARN and no cross-region source; whether FIS accepts a DR-region
                # alarm could not be confirmed offline (verify before relying on it), so only alarms in the
                # experiment's own region are used — the DR-region canary and replica-lag alarms' primary-region
                # counterparts (≤ 5 stop conditions, FIS quotas):
                # a secondary endpoint unhealthy (Route53 metrics: us-east-1, checked by settings), the public name
                # failing from the primary region's canaries longer than the drill's outage should last, and the
                # DR replica's replication slot stuck (the replica's lag as the primary sees it).
                stop_alarm_arns=(
                    *(f.alarms["secondary"].arn for f in failover.hosts.values()),
                    *(a.arn for a in canaries[core.primary_region].alarms.values()),
                    database.replication_slot_alarm.arn,
                ),
            ),
        ),
        primary=providers.primary,
        dr=providers.dr,
    )
    if switch.chaos_experiments
    else None
)
edge_protection = EdgeProtection(
    "edge",
    EdgeProtectionArgs.from_settings(config, failover.hosts["gateway"].fqdn),
    primary=providers.primary,
    dr=providers.dr,
    global_=providers.global_,
    random_provider=providers.random,
)
# --- cluster platform ---
cluster_backups = ClusterBackups(
    "velero",
    ClusterBackupsArgs.from_settings(
        config,
        # The data tier's backups bucket: versioned, KMS-encrypted, replicated to the DR region.
        bucket_name=buckets["backups"].primary.bucket,
        bucket_arn=buckets["backups"].primary.arn,
        kms_key_arn=buckets["backups"].primary_key.arn,
    ),
    aws_provider=providers.primary,
    k8s_provider=providers.kubernetes,
)
cost_visibility = CostVisibility(
    "kubecost", CostVisibilityArgs.from_settings(config), k8s_provider=providers.kubernetes
)
node_autoscaling = NodeAutoscaling(
    "karpenter",
    NodeAutoscalingArgs.from_settings(config),
    aws_provider=providers.primary,
    k8s_provider=providers.kubernetes,
)
# --- synthetics and alert routing ---
synthetics = SyntheticProbes("synthetics", SyntheticProbesArgs.from_settings(config), provider=providers.kubernetes)
# Slack (AWS Chatbot): every region's warning and critical topics and the budget topic, one channel.
alert_regions = {id(a): a for a in (operations, operations_dr, health_alerts)}.values()
slack = SlackAlerts(
    "slack-alerts",
    SlackAlertsArgs.from_settings(
        config, (*(arn for a in alert_regions for arn in (a.critical.arn, a.warning.arn)), budget.topic.arn)
    ),
    provider=providers.dr,  # the configuration is global; its API answers in CHATBOT_API_REGION (alerting.py)
)

# --- dashboards ---
# In the DR region: the dashboard must outlive the primary region it watches.
dr_dashboard = DrDashboard(
    "dr-dashboard",
    DrDashboardArgs.from_settings(
        config,
        replica_identifier=database.replica.identifier if database.replica else None,
        health_check_ids={
            host: {role: check.id for role, check in f.health_checks.items()} for host, f in failover.hosts.items()
        },
        buckets={
            purpose: (b.primary.bucket, b.replica.bucket, b.replication_rule_id) for purpose, b in buckets.items()
        },
        canaries={region: tuple(c.name for c in group.canaries.values()) for region, group in canaries.items()},
        backup_vaults=(
            {
                core.primary_region: database_backups.vaults["primary"].name,
                core.dr_region: database_backups.vaults["dr"].name,
            }
            if database_backups
            else {}
        ),
    ),
    provider=providers.dr,
)
grafana_dashboard = GrafanaDashboard(
    "grafana-dashboard", GrafanaDashboardArgs.from_settings(config), provider=providers.kubernetes
)

# --- stack outputs (ops/ reads these; the names and shapes live in contract/outputs.py, docs/contract.md) ---
export(
    pulumi.export,
    StackOutputs(
        environment=core.environment,
        primary_region=core.primary_region,
        dr_region=core.dr_region,
        ops_alert_topic_arn=operations.critical.arn,
        ops_warning_topic_arn=operations.warning.arn,
        budget_name=budget.budget.name,
        budget_alert_topic_arn=budget.topic.arn,
        gateway_url=f"https://{edge.public_fqdn('gateway', core.domain)}",
        failover=failover.outputs(),
        region_switch_plan_arn=region_switch.plan.arn if region_switch else None,
        chaos_experiment_template_ids={k: t.id for k, t in chaos_drill.templates.items()} if chaos_drill else None,
        waf_regional_acl_arn=edge_protection.regional_acls["primary"].arn,
        waf_dr_regional_acl_arn=edge_protection.regional_acls["dr"].arn,
        waf_cloudfront_acl_arn=edge_protection.cloudfront_acl.arn if edge_protection.cloudfront_acl else None,
        cloudfront_domain_name=edge_protection.distribution.domain_name if edge_protection.distribution else None,
        dr_ops_alert_topic_arn=operations_dr.critical.arn,
        dr_ops_warning_topic_arn=operations_dr.warning.arn,
        db_primary_identifier=database.primary.identifier,
        db_primary_arn=database.primary.arn,
        db_primary_endpoint=database.primary.address,
        db_primary_region=core.primary_region,
        db_replica_identifier=database.replica.identifier if database.replica else None,
        db_replica_arn=database.replica.arn if database.replica else None,
        db_replica_endpoint=database.replica.address if database.replica else None,
        db_replica_region=core.dr_region if database.replica else None,
        db_backup_retention_days=data_tier.db_backup_retention_days,
        db_secret_arn=database.secret_arn,
        db_dr_secret_arn=database.dr_secret_arn,
        db_kms_key_arn=database.primary_key.arn,
        db_replica_kms_key_arn=database.replica_key.arn,
        db_endpoint_parameter_name=database.endpoint_parameters[0].name,
        db_replica_lag_alarm_name=database.replica_lag_alarm.name if database.replica_lag_alarm else None,
        aws_backup=BackupOutputs(
            primary_vault_name=database_backups.vaults["primary"].name,
            dr_vault_name=database_backups.vaults["dr"].name,
            plan_id=database_backups.plan.id,
            restore_testing_plan_name=(
                database_backups.restore_testing_plan.name if database_backups.restore_testing_plan else None
            ),
            validation_function_name=(
                database_backups.validation_function.name if database_backups.validation_function else None
            ),
            framework_arns={side: f.arn for side, f in database_backups.frameworks.items()},
        )
        if database_backups
        else None,
        buckets={
            purpose: BucketPairOutputs(
                primary_bucket=b.primary.bucket,
                primary_arn=b.primary.arn,
                primary_region=core.primary_region,
                replica_bucket=b.replica.bucket,
                replica_arn=b.replica.arn,
                replica_region=core.dr_region,
            )
            for purpose, b in buckets.items()
        },
        dr_dashboard_name=dr_dashboard.dashboard.dashboard_name,
        audit_trail_arn=audit_trail.trail.arn if audit_trail else None,
        synthetics_namespace=synthetics.namespace.metadata.name,
        probe_targets={t.job: t.url for t in synthetics.targets},
        canaries={
            region: CanaryGroupOutputs(
                names=[c.name for c in group.canaries.values()], artifact_bucket=group.bucket.bucket
            )
            for region, group in canaries.items()
        },
        slack_channel_configuration_arn=slack.channel.chat_configuration_arn,
        velero_namespace=cluster_backups.namespace_name,
        velero_schedule_name=cluster_backups.schedule_name,
        velero_bucket=buckets["backups"].primary.bucket,
        karpenter_interruption_queue_url=node_autoscaling.queue.url,
        kubecost_host=cost_visibility.host,
    ),
)
