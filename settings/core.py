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


KEYS = [
    s.Key("environment", s.choice(*ENVIRONMENTS), required=True),
    s.Key("environmentOverride", s.choice("", *ENVIRONMENTS)),
    s.Key("service", s.dns_label()),
    s.Key("costCenter", s.string(r"[A-Za-z0-9._-]{1,64}", "a cost-center code such as cc-1042"), required=True),
    s.Key("awsAccountId", s.string(r"\d{12}", "a 12-digit AWS account id"), required=True),
    s.Key("primaryRegion", s.aws_region()),
    s.Key("drRegion", s.aws_region()),
    s.Key("domain", s.dns_name(), required=True),
    s.Key(
        "hostedZoneId", s.string(r"Z[A-Z0-9]{6,32}", "a Route53 hosted zone id such as Z0123456789ABC"), required=True
    ),
    s.Key("vpcId", s.string(r"vpc-[0-9a-f]{8,17}", "a VPC id such as vpc-0abc12345def67890"), required=True),
    s.Key("vpcCidr", s.vpc_cidr(), required=True),
    s.Key("privateSubnetIds", s.array(s.string(r"subnet-[0-9a-f]{8,17}", "a subnet id"), min_items=2), required=True),
    s.Key("drVpcId", s.string(r"vpc-[0-9a-f]{8,17}", "a VPC id such as vpc-0abc12345def67890"), required=True),
    s.Key("drVpcCidr", s.vpc_cidr(), required=True),
    s.Key("drPrivateSubnetIds", s.array(s.string(r"subnet-[0-9a-f]{8,17}", "a subnet id"), min_items=2), required=True),
    s.Key("eksClusterName", s.string(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}", "an EKS cluster name"), required=True),
    s.Key("kubeconfig", s.string(what="a kubeconfig document")),
    s.Key("monthlyBudgetUsd", s.integer(1, 10_000_000), required=True),
    s.Key(
        "budgetNotifications",
        s.array(s.composite(_notification, 'KIND:PERCENT with KIND FORECASTED or ACTUAL, e.g. "FORECASTED:80"'), 1),
    ),
    s.Key("budgetAlertEmails", s.array(s.email(), min_items=1), required=True),
    s.Key("opsAlertEmails", s.array(s.email())),
    # Secrets: required for a real deploy; preflight plans with placeholders when they are not set.
    s.Key(
        "pagerdutyRoutingKey",
        s.string(r"[A-Za-z0-9]{32}|preflight-placeholder-secret", "a 32-character PagerDuty routing key"),
        required=True,
    ),
    s.Key(
        "slackWebhookUrl",
        s.string(r"https://hooks\.slack\.com/.+|preflight-placeholder-secret", "a Slack webhook URL"),
        required=True,
    ),
    s.Key("kubecostToken", s.string(what="a Kubecost token"), required=True),
    # PagerDuty's Amazon CloudWatch integration URL (US or EU service region); the integration key is in the path.
    s.Key(
        "pagerdutyCloudwatchUrl",
        s.string(
            r"https://events(\.eu)?\.pagerduty\.com/integration/[a-z0-9]{32}/enqueue|preflight-placeholder-secret",
            "a PagerDuty CloudWatch integration URL https://events.pagerduty.com/integration/<32-char key>/enqueue",
        ),
        required=True,
    ),
    # The Slack workspace authorised for AWS Chatbot and the channel alarms go to (chatbot SlackTeamId [0-9A-Z]+,
    # SlackChannelId [A-Za-z0-9]+; IDs, not names: Slack shows them in the channel's details).
    s.Key("slackTeamId", s.string(r"[0-9A-Z]{1,255}", "a Slack workspace ID such as T07EA123LEP"), required=True),
    s.Key("slackChannelId", s.string(r"[A-Za-z0-9]{1,255}", "a Slack channel ID such as C07EZ1ABC23"), required=True),
]


@dataclass(frozen=True)
class CoreSettings:
    environment: str
    stack_tier: str  # the tier the stack's name implies; differs from environment only with environmentOverride
    service: str
    cost_center: str
    aws_account_id: str
    primary_region: str
    dr_region: str
    domain: str
    hosted_zone_id: str
    vpc_id: str
    vpc_cidr: str
    private_subnet_ids: tuple[str, ...]
    dr_vpc_id: str
    dr_vpc_cidr: str
    dr_private_subnet_ids: tuple[str, ...]
    eks_cluster_name: str
    kubeconfig: Secret | None
    monthly_budget_usd: int
    budget_notifications: tuple[BudgetNotification, ...]
    budget_alert_emails: tuple[str, ...]
    ops_alert_emails: tuple[str, ...]
    pagerduty_routing_key: Secret
    slack_webhook_url: Secret
    kubecost_token: Secret
    pagerduty_cloudwatch_url: Secret
    slack_team_id: str
    slack_channel_id: str

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
    return CoreSettings(
        environment=v["environment"],
        stack_tier=tier,
        service=v["service"],
        cost_center=v["costCenter"],
        aws_account_id=v["awsAccountId"],
        primary_region=v["primaryRegion"],
        dr_region=v["drRegion"],
        domain=v["domain"],
        hosted_zone_id=v["hostedZoneId"],
        vpc_id=v["vpcId"],
        vpc_cidr=v["vpcCidr"],
        private_subnet_ids=v["privateSubnetIds"],
        dr_vpc_id=v["drVpcId"],
        dr_vpc_cidr=v["drVpcCidr"],
        dr_private_subnet_ids=v["drPrivateSubnetIds"],
        eks_cluster_name=v["eksClusterName"],
        kubeconfig=v["kubeconfig"],
        monthly_budget_usd=v["monthlyBudgetUsd"],
        budget_notifications=notifications,
        budget_alert_emails=v["budgetAlertEmails"],
        ops_alert_emails=v["opsAlertEmails"],
        pagerduty_routing_key=v["pagerdutyRoutingKey"],
        slack_webhook_url=v["slackWebhookUrl"],
        kubecost_token=v["kubecostToken"],
        pagerduty_cloudwatch_url=v["pagerdutyCloudwatchUrl"],
        slack_team_id=v["slackTeamId"],
        slack_channel_id=v["slackChannelId"],
    )
