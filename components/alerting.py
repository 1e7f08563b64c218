"""Where operational alarms go: one SNS topic per stack that every component's CloudWatch alarms publish to."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class OperationsAlertsArgs:
    """Recipients of operational alarms. PagerDuty/Slack integrations subscribe to the topic as well."""

    email_subscribers: tuple[str, ...] = ()


class OperationsAlerts(pulumi.ComponentResource):
    """The operations alarm topic (in the primary region) and its email subscriptions.

    The topic is not SSE-encrypted: CloudWatch alarm state changes are not sensitive, and an encrypted
    topic would need a customer-managed key whose policy admits cloudwatch.amazonaws.com.
    """

    topic: aws.sns.Topic

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
        self.topic = aws.sns.Topic(f"{name}-topic", display_name=f"{name} operational alarms", opts=child)
        for i, address in enumerate(args.email_subscribers):
            aws.sns.TopicSubscription(
                f"{name}-email-{i}", topic=self.topic.arn, protocol="email", endpoint=address, opts=child
            )
        self.register_outputs({"topicArn": self.topic.arn})
