"""Stack-wide settings: identity, regions, accounts, network and cluster facts, budget, alert recipients."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from settings import schema as s
from settings.loader import Secret, Values

ENVIRONMENTS = ("dev", "stage", "prod")
THRESHOLD_TYPES = ("FORECASTED", "ACTUAL")


@dataclass(frozen=True)
class BudgetNotification:
    """Notify when `kind` (FORECASTED or ACTUAL) spend passes `percent` of the monthly limit."""

    kind: str
    percent: int


def stack_tier(stack: str) -> str:
    """The tier a stack's name implies. `dev`, `stage` and `prod` are their own tier, and so is a name whose
    first dash-separated word is one of them (`prod-eu` → prod, `dev-alice` → dev). Any other name (`qa`,
    `sandbox`, `production`) is prod: every safeguard applies until its stack file lowers the tier on purpose
    with environmentOverride — an unknown name never silently runs as dev."""
    head = stack.rsplit("/", 1)[-1].split("-", 1)[0]
    return head if head in ENVIRONMENTS else "prod"


def _notification(text: str) -> BudgetNotification:
    kind, _, pct = text.partition(":")
    if kind not in THRESHOLD_TYPES or not pct.isdigit() or not 1 <= int(pct) <= 1000:
        raise ValueError(text)
    return BudgetNotification(kind, int(pct))


_VPC_ID = s.string(r"vpc-[0-9a-f]{8,17}", "a VPC id such as vpc-0abc12345def67890")
_SUBNET_IDS = s.array(s.string(r"subnet-[0-9a-f]{8,17}", "a subnet id"), min_items=2)


@dataclass(frozen=True)
class CoreSettings:
    stack_tier: str  # the tier the stack's name implies; differs from environment only with environmentOverride
    environment: str = s.setting("environment", s.choice(*ENVIRONMENTS), required=True)
    service: str = s.setting("service", s.dns_label())
    cost_center: str = s.setting(
        "costCenter", s.string(r"[A-Za-z0-9._-]{1,64}", "a cost-center code such as cc-1042"), required=True
    )
    aws_account_id: str = s.setting("awsAccountId", s.string(r"\d{12}", "a 12-digit AWS account id"), required=True)
    primary_region: str = s.setting("primaryRegion", s.aws_region())
    dr_region: str = s.setting("drRegion", s.aws_region())
    domain: str = s.setting("domain", s.dns_name(), required=True)
    hosted_zone_id: str = s.setting(
        "hostedZoneId", s.string(r"Z[A-Z0-9]{6,32}", "a Route53 hosted zone id such as Z0123456789ABC"), required=True
    )
    vpc_id: str = s.setting("vpcId", _VPC_ID, required=True)
    vpc_cidr: str = s.setting("vpcCidr", s.vpc_cidr(), required=True)
    private_subnet_ids: tuple[str, ...] = s.setting("privateSubnetIds", _SUBNET_IDS, required=True)
    dr_vpc_id: str = s.setting("drVpcId", _VPC_ID, required=True)
    dr_vpc_cidr: str = s.setting("drVpcCidr", s.vpc_cidr(), required=True)
    dr_private_subnet_ids: tuple[str, ...] = s.setting("drPrivateSubnetIds", _SUBNET_IDS, required=True)
    eks_cluster_name: str = s.setting(
        "eksClusterName", s.string(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}", "an EKS cluster name"), required=True
    )
    kubeconfig: Secret | None = s.setting("kubeconfig", s.string(what="a kubeconfig document"))
    monthly_budget_usd: int = s.setting("monthlyBudgetUsd", s.integer(1, 10_000_000), required=True)
    budget_notifications: tuple[BudgetNotification, ...] = s.setting(
        "budgetNotifications",
        s.array(s.composite(_notification, 'KIND:PERCENT with KIND FORECASTED or ACTUAL, e.g. "FORECASTED:80"'), 1),
    )
    budget_alert_emails: tuple[str, ...] = s.setting(
        "budgetAlertEmails", s.array(s.email(), min_items=1), required=True
    )
    ops_alert_emails: tuple[str, ...] = s.setting("opsAlertEmails", s.array(s.email()))
    # Secrets: required for a real deploy; preflight plans with placeholders when they are not set.
    pagerduty_routing_key: Secret = s.setting(
        "pagerdutyRoutingKey",
        s.string(r"[A-Za-z0-9]{32}|preflight-placeholder-secret", "a 32-character PagerDuty routing key"),
        required=True,
    )
    slack_webhook_url: Secret = s.setting(
        "slackWebhookUrl",
        s.string(r"https://hooks\.slack\.com/.+|preflight-placeholder-secret", "a Slack webhook URL"),
        required=True,
    )
    kubecost_token: Secret = s.setting("kubecostToken", s.string(what="a Kubecost token"), required=True)
    # PagerDuty's Amazon CloudWatch integration URL (US or EU service region); the integration key is in the path.
    pagerduty_cloudwatch_url: Secret = s.setting(
        "pagerdutyCloudwatchUrl",
        s.string(
            r"https://events(\.eu)?\.pagerduty\.com/integration/[a-z0-9]{32}/enqueue|preflight-placeholder-secret",
            "a PagerDuty CloudWatch integration URL https://events.pagerduty.com/integration/<32-char key>/enqueue",
        ),
        required=True,
    )
    # The Slack workspace authorised for AWS Chatbot and the channel alarms go to (chatbot SlackTeamId [0-9A-Z]+,
    # SlackChannelId [A-Za-z0-9]+; IDs, not names: Slack shows them in the channel's details).
    slack_team_id: str = s.setting(
        "slackTeamId", s.string(r"[0-9A-Z]{1,255}", "a Slack workspace ID such as T07EA123LEP"), required=True
    )
    slack_channel_id: str = s.setting(
        "slackChannelId", s.string(r"[A-Za-z0-9]{1,255}", "a Slack channel ID such as C07EZ1ABC23"), required=True
    )

    @property
    def environment_overridden(self) -> bool:
        """The stack runs as another tier than its name implies (summit-resilience:environmentOverride)."""
        return self.environment != self.stack_tier

    @property
    def is_production_like(self) -> bool:
        """stage and prod hold real data: protect stateful resources, keep deletion protection on."""
        return self.environment in ("stage", "prod")

    @property
    def cost_allocation_tags(self) -> dict[str, str]:
        """Applied through every AWS provider's default_tags; Budgets filters on them."""
        return {"environment": self.environment, "service": self.service, "cost-center": self.cost_center}

    @property
    def name_prefix(self) -> str:
        """ "<service>-<environment>": the start of every physical name the stack chooses."""
        return f"{self.service}-{self.environment}"

    def bucket_name(self, purpose: str, region: str) -> str:
        """Bucket names are global: service, stack, purpose, region and account make them unique."""
        return f"{self.name_prefix}-{purpose}-{region}-{self.aws_account_id}"


KEYS = [s.Key("environmentOverride", s.choice("", *ENVIRONMENTS)), *s.keys_of(CoreSettings)]


def _check_tier(v: Values) -> str:
    """A stack file may not quietly run a stack as another tier (a Pulumi.prod.yaml saying `environment: dev`
    turns off every prod safeguard); doing it on purpose takes environmentOverride, which preflight prints."""
    tier, environment, override = stack_tier(v.stack), v["environment"], v["environmentOverride"]
    if not override:
        if environment != tier:
            raise v.fail(
                "environment",
                f"stack {s.show(v.stack)} is a {tier} stack, got {s.show(environment)}; to run it as {environment} "
                f"on purpose also set {s.PROJECT}:environmentOverride: {environment}",
            )
    elif override == tier:
        raise v.fail("environmentOverride", f"stack {s.show(v.stack)} is already {tier}; remove the override")
    elif override != environment:
        raise v.fail("environmentOverride", f"must equal environment {s.show(environment)}, got {s.show(override)}")
    return tier


def build(v: Values) -> CoreSettings:
    tier = _check_tier(v)
    if v["primaryRegion"] == v["drRegion"]:
        raise v.fail("drRegion", f"must differ from primaryRegion, both are {s.show(v['drRegion'])}")
    if v["vpcId"] == v["drVpcId"]:
        raise v.fail("drVpcId", "must be a VPC in the DR region, not the primary VPC")
    if ipaddress.ip_network(v["vpcCidr"]).overlaps(ipaddress.ip_network(v["drVpcCidr"])):
        # "The requester VPC and accepter VPC cannot have overlapping CIDR blocks" (EC2 API reference,
        # CreateVpcPeeringConnection; such a peering goes to `failed`), and routes between the regions
        # (replication, failback, operators' access) match by destination CIDR.
        raise v.fail(
            "drVpcCidr",
            f"{s.show(v['drVpcCidr'])} overlaps vpcCidr {s.show(v['vpcCidr'])}; the VPCs need disjoint ranges",
        )
    notifications = v["budgetNotifications"]
    kinds = [(n.kind, n.percent) for n in notifications]
    if len(set(kinds)) != len(kinds):
        raise v.fail("budgetNotifications", "lists the same threshold twice")
    return s.build_from(CoreSettings, v, stack_tier=tier)
