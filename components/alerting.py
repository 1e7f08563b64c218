"""Where alarms go: per region, a critical and a warning SNS topic; critical pages PagerDuty, warnings reach Slack.

CloudWatch alarms can notify only SNS topics of their own region (PutMetricAlarm AlarmActions), so every region that
holds alarms gets its own pair of topics (`OperationsAlerts`). The severity of every alarm the stack creates is
decided here, in `SEVERITIES`, keyed by the alarm's role; components ask `AlarmTopics.actions(role)` for the topic.

Paths, all independent of the primary region:
* critical → an HTTPS subscription to PagerDuty's Amazon CloudWatch integration (the URL carries the integration
  key, so it is a Pulumi secret); PagerDuty confirms SNS subscriptions itself and resolves the incident on OK.
* warning (and critical, for the record) → AWS Chatbot's Slack channel configuration (`SlackAlerts`), which
  subscribes to every listed topic in every region, and the budget topic.
* e-mail (opsAlertEmails) on both topics, optional.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components.iam import service_trust

if TYPE_CHECKING:
    from settings import StackSettings


class Severity(StrEnum):
    CRITICAL = "critical"  # pages the on-call (PagerDuty)
    WARNING = "warning"  # Slack, looked at in working hours


# Every alarm role the stack creates → its severity. The one place severities are decided: add a role here when
# a component adds an alarm (an unknown role stops the program: nothing is created without a paging path).
SEVERITIES: Mapping[str, Severity] = MappingProxyType(
    {
        # Route53 endpoint health (us-east-1): the primary failing means traffic is failing over right now; the DR
        # endpoint failing means there is nothing to fail over to — fix it, but nobody is down.
        "endpoint-primary-unhealthy": Severity.CRITICAL,
        "endpoint-secondary-unhealthy": Severity.WARNING,
        # CloudWatch Synthetics canaries (both regions) on the public gateway URL, as the in-cluster rules grade
        # them (monitoring/rules/synthetics.yml: GatewayDown critical, WalletVerifyDown warning).
        "canary-gateway-graphql": Severity.CRITICAL,
        "canary-wallet-verify": Severity.WARNING,
        # Data tier. Lag beyond the alarm threshold eats the RPO; storage burn alarms give ~10 h before the disk
        # is full (overnight: page); a stuck replication slot fills the primary's disk.
        "db-replica-lag": Severity.CRITICAL,
        "db-storage-low": Severity.CRITICAL,
        "db-replica-storage-low": Severity.CRITICAL,
        "db-slot-lag": Severity.CRITICAL,
        "db-wal-disk": Severity.WARNING,
        "db-cpu-high": Severity.WARNING,
        # S3 replication: objects missing in the DR copy need a re-replication (batch job), not a 3 a.m. page.
        "s3-replication-failed": Severity.WARNING,
        "s3-replication-latency": Severity.WARNING,
        # AWS Backup: the next scheduled job retries; a human looks the same day.
        "backup-job-failed": Severity.WARNING,
        "backup-copy-job-failed": Severity.WARNING,
        "backup-restore-job-failed": Severity.WARNING,
        "backup-restore-test-failed": Severity.WARNING,
        # DR drill metrics (issue 15, namespace Summit/DR): an objective missed in a drill is a finding, not an outage.
        "drill-rto-violated": Severity.WARNING,
        "drill-rpo-violated": Severity.WARNING,
        "chaos-drill-failed": Severity.WARNING,
        "chaos-drill-not-run": Severity.WARNING,
    }
)


def severity(role: str) -> Severity:
    """The severity of an alarm role; a role missing from SEVERITIES is a programming error, said in one line."""
    try:
        return SEVERITIES[role]
    except KeyError:
        raise ValueError(f"alarm role {role!r} has no severity in components/alerting.py SEVERITIES") from None


def severity_tags(role: str) -> dict[str, str]:
    """Tags every alarm carries: what it is and how loud (the paging test and the on-call read them)."""
    return {"alarm-role": role, "severity": severity(role).value}


@dataclass(frozen=True)
class AlarmTopics:
    """One region's alarm topics by severity; an alarm in `region` may notify only these."""

    region: str
    critical: pulumi.Input[str]
    warning: pulumi.Input[str]

    def topic(self, role: str) -> pulumi.Input[str]:
        return self.critical if severity(role) is Severity.CRITICAL else self.warning

    def actions(self, role: str) -> list[pulumi.Input[str]]:
        """alarm_actions/ok_actions of an alarm with this role (OK resolves the PagerDuty incident)."""
        return [self.topic(role)]


@dataclass(frozen=True)
class OperationsAlertsArgs:
    """Recipients of one region's alarms."""

    region: str  # the provider's region: alarms there notify these topics
    # PagerDuty's Amazon CloudWatch integration URL, https://events.pagerduty.com/integration/<key>/enqueue: secret.
    pagerduty_url: pulumi.Input[str]
    email_subscribers: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, config: StackSettings, region: str) -> OperationsAlertsArgs:
        """The stack's alarm recipients, for topics in `region` (an alarm notifies only its own region's topics)."""
        return cls(
            region=region,
            pagerduty_url=config.core.pagerduty_cloudwatch_url.output(),
            email_subscribers=config.core.ops_alert_emails,
        )


class OperationsAlerts(pulumi.ComponentResource):
    """A region's critical and warning alarm topics, PagerDuty on critical, e-mail on both.

    The topics are not SSE-encrypted: CloudWatch alarm state changes are not sensitive, and an encrypted topic
    would need a customer-managed key whose policy admits cloudwatch.amazonaws.com.
    """

    critical: aws.sns.Topic
    warning: aws.sns.Topic
    topics: AlarmTopics

    def __init__(
        self,
        name: str,
        args: OperationsAlertsArgs,
        *,
        provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:alerting:OperationsAlerts", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.critical = aws.sns.Topic(f"{name}-critical", display_name=f"{name} critical alarms (pages)", opts=child)
        self.warning = aws.sns.Topic(f"{name}-warning", display_name=f"{name} warning alarms", opts=child)
        self.topics = AlarmTopics(args.region, self.critical.arn, self.warning.arn)
        # PagerDuty's CloudWatch integration confirms the SNS subscription itself (PagerDuty "Amazon CloudWatch
        # Integration Guide"): without endpoint_auto_confirms the provider would wait for a confirmation it never
        # sees. Raw delivery stays off: PagerDuty parses the SNS envelope (AlarmName is its dedup key).
        aws.sns.TopicSubscription(
            f"{name}-pagerduty",
            topic=self.critical.arn,
            protocol="https",
            endpoint=pulumi.Output.secret(args.pagerduty_url),
            endpoint_auto_confirms=True,
            raw_message_delivery=False,
            opts=child,
        )
        for topic in (self.critical, self.warning):
            for i, address in enumerate(args.email_subscribers):
                kind = "critical" if topic is self.critical else "warning"
                aws.sns.TopicSubscription(
                    f"{name}-{kind}-email-{i}", topic=topic.arn, protocol="email", endpoint=address, opts=child
                )
        self.register_outputs({"criticalTopicArn": self.critical.arn, "warningTopicArn": self.warning.arn})


# AWS Chatbot's API is not served from every region (it answers from us-east-2 among others, never us-east-1:
# aws/aws-cli#8658, aws/aws-cdk#24675; AWS Chatbot admin guide "Troubleshooting": a global service operated from
# us-east-2). The configuration itself is global and subscribes to topics in any region.
CHATBOT_API_REGION = "us-east-2"
# Chatbot's "Notification permissions" template (AWS Chatbot admin guide, IAM policies for AWS Chatbot): enough to
# render CloudWatch alarm notifications with graphs. Channel members get nothing more: the guardrail below.
CHATBOT_NOTIFICATION_ACTIONS = ["cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"]
CHATBOT_GUARDRAIL = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"


@dataclass(frozen=True)
class SlackAlertsArgs:
    """The Slack channel the workspace admin authorised for AWS Chatbot (a one-time console step, docs/alerting.md)."""

    configuration_name: str  # ConfigurationName: 1–128 of A-Za-z0-9-_ (chatbot CreateSlackChannelConfiguration)
    slack_team_id: str  # SlackTeamId [0-9A-Z]+ (the authorised workspace)
    slack_channel_id: str  # SlackChannelId [A-Za-z0-9]+
    topic_arns: Sequence[pulumi.Input[str]]  # every topic whose messages reach the channel, any region

    @classmethod
    def from_settings(cls, config: StackSettings, topic_arns: Sequence[pulumi.Input[str]]) -> SlackAlertsArgs:
        core = config.core
        return cls(
            configuration_name=f"{core.name_prefix}-alerts",
            slack_team_id=core.slack_team_id,
            slack_channel_id=core.slack_channel_id,
            topic_arns=topic_arns,
        )


class SlackAlerts(pulumi.ComponentResource):
    """AWS Chatbot posting every alarm topic's (and the budget topic's) notifications to one Slack channel."""

    channel: aws.chatbot.SlackChannelConfiguration
    role: aws.iam.Role

    def __init__(
        self,
        name: str,
        args: SlackAlertsArgs,
        *,
        provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:alerting:SlackAlerts", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.role = aws.iam.Role(
            f"{name}-role",
            description=f"AWS Chatbot renders alarm notifications for {args.configuration_name}",
            assume_role_policy=service_trust("chatbot.amazonaws.com"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-notifications",
            role=self.role.name,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        # Describe/Get/List on CloudWatch have no resource-level scoping for these calls (Service
                        # Authorization Reference, Amazon CloudWatch).
                        {"Effect": "Allow", "Action": CHATBOT_NOTIFICATION_ACTIONS, "Resource": "*"}
                    ],
                }
            ),
            opts=child,
        )
        self.channel = aws.chatbot.SlackChannelConfiguration(
            f"{name}-channel",
            configuration_name=args.configuration_name,
            iam_role_arn=self.role.arn,
            slack_team_id=args.slack_team_id,
            slack_channel_id=args.slack_channel_id,
            sns_topic_arns=list(args.topic_arns),
            guardrail_policy_arns=[CHATBOT_GUARDRAIL],
            logging_level="ERROR",  # CustomerCwLogLevel ERROR|INFO|NONE: delivery failures are logged
            region=CHATBOT_API_REGION,
            opts=child,
        )
        self.register_outputs({"channelConfigurationArn": self.channel.chat_configuration_arn})
