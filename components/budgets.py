"""The stack's monthly cost budget, its alerts, and the topic those alerts publish to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components import kms_policy
from settings.core import BudgetNotification

if TYPE_CHECKING:
    from settings import StackSettings


@dataclass(frozen=True)
class StackBudgetArgs:
    """What the caller decides about spend. Everything else is a safe default."""

    monthly_limit_usd: int
    # Cost-allocation tags of this stack; the budget counts only spend carrying all of them.
    tags: dict[str, str]
    notifications: tuple[BudgetNotification, ...]
    email_subscribers: tuple[str, ...]
    account_id: str
    region: str  # region of `provider`: the topic's ARN is written into its key's policy before the topic exists
    production_like: bool = False  # stage/prod: protect=True on the topic's key

    @classmethod
    def from_settings(cls, config: StackSettings) -> StackBudgetArgs:
        core = config.core
        return cls(
            monthly_limit_usd=core.monthly_budget_usd,
            tags=core.cost_allocation_tags,
            notifications=core.budget_notifications,
            email_subscribers=core.budget_alert_emails,
            account_id=core.aws_account_id,
            region=core.primary_region,
            production_like=core.is_production_like,
        )


class StackBudget(pulumi.ComponentResource):
    """A monthly COST budget filtered to this stack's tags, alerting by email and through an SNS topic.

    The topic is where Slack or PagerDuty integrations attach; its policy lets only AWS Budgets, acting
    for this account, publish to it. It is SSE-KMS encrypted (spend figures are business data) with a key of its
    own: an AWS service can publish to an encrypted topic only if the key policy lets its service principal
    GenerateDataKey*/Decrypt (SNS Developer Guide, "Enable compatibility between event sources from AWS services
    and encrypted topics"); the AWS-managed aws/sns key cannot be given that, so a customer-managed key it is.
    """

    budget: aws.budgets.Budget
    topic: aws.sns.Topic
    key: aws.kms.Key

    def __init__(
        self, name: str, args: StackBudgetArgs, *, provider: aws.Provider, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("summit:budgets:StackBudget", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)

        # Named, so that the key policy can name the topic (SNS passes its ARN as encryption context) before
        # the topic exists: the topic needs the key first.
        topic_name = f"{name}-alerts"
        topic_arn = f"arn:aws:sns:{args.region}:{args.account_id}:{topic_name}"
        self.key = aws.kms.Key(
            f"{name}-alerts-key",
            description=f"SNS topic {topic_name}: budget alerts",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=kms_policy.document(
                [
                    kms_policy.administration(args.account_id),
                    kms_policy.service_publishes_to_topic(
                        "BudgetsPublishToThisTopic", "budgets.amazonaws.com", topic_arn
                    ),
                    # Operators publish a test alert or inspect the topic through SNS.
                    kms_policy.use_through_service(
                        args.account_id, "sns", args.region, kms_policy.PUBLISH_TO_TOPIC_ACTIONS
                    ),
                ]
            ),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=args.production_like)),
        )
        self.topic = aws.sns.Topic(
            f"{name}-alerts",
            name=topic_name,
            display_name=f"{name} budget alerts",
            kms_master_key_id=self.key.arn,
            opts=child,
        )
        topic_policy = aws.sns.TopicPolicy(
            f"{name}-alerts-policy",
            arn=self.topic.arn,
            policy=self.topic.arn.apply(lambda arn: _budgets_publish_policy(arn, args.account_id)),
            opts=child,
        )

        self.budget = aws.budgets.Budget(
            f"{name}-monthly",
            name=f"{name}-monthly",
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=f"{args.monthly_limit_usd:.2f}",
            limit_unit="USD",
            # Every tag must match (AND): spend of another stack or service never counts here.
            metrics="UnblendedCost",
            filter_expression=aws.budgets.BudgetFilterExpressionArgs(
                ands=[
                    aws.budgets.BudgetFilterExpressionAndArgs(
                        tags=aws.budgets.BudgetFilterExpressionAndTagsArgs(
                            key=key, values=[value], match_options=["EQUALS"]
                        )
                    )
                    for key, value in sorted(args.tags.items())
                ]
            ),
            notifications=[
                aws.budgets.BudgetNotificationArgs(
                    notification_type=n.kind,
                    comparison_operator="GREATER_THAN",
                    threshold=float(n.percent),
                    threshold_type="PERCENTAGE",
                    subscriber_email_addresses=list(args.email_subscribers),
                    subscriber_sns_topic_arns=[self.topic.arn],
                )
                for n in args.notifications
            ],
            # Budgets validates the topic policy when the budget is saved: create the policy first.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[topic_policy])),
        )
        self.register_outputs({"budgetName": self.budget.name, "alertTopicArn": self.topic.arn})


def _budgets_publish_policy(topic_arn: str, account_id: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowBudgetsToPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "budgets.amazonaws.com"},
                    "Action": "SNS:Publish",
                    "Resource": topic_arn,
                    # Confused-deputy guard: only budgets of this account may publish.
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {"aws:SourceArn": f"arn:aws:budgets::{account_id}:*"},
                    },
                }
            ],
        }
    )
