"""summit-resilience: composition only — settings → providers → components → stack outputs."""

import pulumi

import settings
from components.alerting import OperationsAlerts, OperationsAlertsArgs
from components.budgets import StackBudget, StackBudgetArgs
from providers import make_providers

config = settings.load_runtime()
core = config.core
providers = make_providers(core)

operations = OperationsAlerts(
    "ops-alerts", OperationsAlertsArgs(email_subscribers=core.ops_alert_emails), provider=providers.primary
)
budget = StackBudget(
    "stack-budget",
    StackBudgetArgs(
        monthly_limit_usd=core.monthly_budget_usd,
        tags=core.cost_allocation_tags,
        notifications=core.budget_notifications,
        email_subscribers=core.budget_alert_emails,
        account_id=core.aws_account_id,
    ),
    provider=providers.primary,
)

# --- data tier (issue 3) ---
# --- traffic failover and edge (issue 4) ---
# --- cluster platform (issue 5) ---
# --- synthetics and alert routing (issue 5) ---

# --- stack outputs (ops/ reads these; README "Stack outputs" documents them) ---
pulumi.export("environment", core.environment)
pulumi.export("primaryRegion", core.primary_region)
pulumi.export("drRegion", core.dr_region)
pulumi.export("opsAlertTopicArn", operations.topic.arn)
pulumi.export("budgetName", budget.budget.name)
pulumi.export("budgetAlertTopicArn", budget.topic.arn)
