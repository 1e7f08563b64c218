"""StackBudget: the monthly COST budget, its notifications and the topic Budgets may publish to."""

import json

import pytest

from components.budgets import StackBudget, StackBudgetArgs
from tests.harness import run_component


def build(s, p):
    return StackBudget("budget", StackBudgetArgs.from_settings(s), provider=p.primary)


@pytest.fixture(scope="module")
def prod():
    return run_component(build, "prod")


def test_budget_is_monthly_cost_with_the_stack_limit_in_usd(prod):
    b = prod.one("aws:budgets/budget:Budget")
    assert (b.inputs["budgetType"], b.inputs["timeUnit"]) == ("COST", "MONTHLY")
    assert (b.inputs["limitAmount"], b.inputs["limitUnit"]) == ("20000.00", "USD")


def test_budget_counts_only_spend_carrying_all_three_cost_allocation_tags(prod):
    ands = prod.one("aws:budgets/budget:Budget").inputs["filterExpression"]["ands"]
    assert {(a["tags"]["key"], a["tags"]["values"][0]) for a in ands} == {
        ("environment", "prod"),
        ("service", "summit"),
        ("cost-center", "cc-platform-prod"),
    }


def test_default_notifications_are_80_percent_forecasted_and_100_percent_actual(prod):
    notes = prod.one("aws:budgets/budget:Budget").inputs["notifications"]
    assert sorted((n["notificationType"], n["threshold"]) for n in notes) == [("ACTUAL", 100), ("FORECASTED", 80)]


def test_every_notification_emails_recipients_and_publishes_to_the_topic(prod):
    topic = prod.one("aws:sns/topic:Topic")
    for n in prod.one("aws:budgets/budget:Budget").inputs["notifications"]:
        assert n["subscriberEmailAddresses"] == ["platform-finops@summit.example.com"]
        assert n["subscriberSnsTopicArns"] == [topic.outputs["arn"]]


def test_notifications_follow_config():
    run = run_component(build, "stage", overrides={"budgetNotifications": ["ACTUAL:50", "ACTUAL:90", "FORECASTED:100"]})
    notes = run.one("aws:budgets/budget:Budget").inputs["notifications"]
    assert sorted((n["notificationType"], n["threshold"]) for n in notes) == [
        ("ACTUAL", 50),
        ("ACTUAL", 90),
        ("FORECASTED", 100),
    ]


def test_topic_policy_lets_only_this_accounts_budgets_publish(prod):
    policy = json.loads(prod.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert statement["Action"] == "SNS:Publish"
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == "432109876543"


def test_budget_waits_for_the_topic_policy(prod):
    policy = prod.one("aws:sns/topicPolicy:TopicPolicy")
    assert policy.urn in prod.one("aws:budgets/budget:Budget").dependencies


def test_children_are_parented_to_the_component_and_use_the_primary_provider(prod):
    component = prod.one("summit:budgets:StackBudget")
    kids = prod.children(component)
    assert {k.type for k in kids} == {
        "aws:budgets/budget:Budget",
        "aws:sns/topic:Topic",
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:kms/key:Key",
    }
    assert all(k.region == "us-east-1" and k.provider.endswith("aws-primary") for k in kids)
    assert all(k.name.startswith("budget-") for k in kids)


def test_alert_topic_is_encrypted_with_its_own_rotating_customer_managed_key(prod):
    key = prod.one("aws:kms/key:Key")
    assert prod.one("aws:sns/topic:Topic").inputs["kmsMasterKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True


def test_key_policy_lets_budgets_use_the_key_for_this_topic_only(prod):
    topic = prod.one("aws:sns/topic:Topic")
    statements = {st["Sid"]: st for st in json.loads(prod.one("aws:kms/key:Key").inputs["policy"])["Statement"]}
    budgets = statements["BudgetsPublishToThisTopic"]
    assert budgets["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert budgets["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
    # The ARN written into the policy before the topic existed is the one the topic got.
    assert budgets["Condition"] == {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic.outputs["arn"]}}


def test_nobody_may_decrypt_budget_alerts_directly_with_the_topic_key(prod):
    statements = json.loads(prod.one("aws:kms/key:Key").inputs["policy"])["Statement"]
    for st in statements:
        if st["Sid"] != "KeyAdministrationByTheAccount":
            assert "Condition" in st, st["Sid"]
        else:
            assert "kms:Decrypt" not in st["Action"] and "kms:*" not in st["Action"]


def test_topic_key_is_protected_in_prod_and_not_in_dev(prod):
    assert prod.one("aws:kms/key:Key").protect is True
    assert run_component(build, "dev").one("aws:kms/key:Key").protect is False
