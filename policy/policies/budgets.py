"""Budgets: a monthly COST budget with alerts, and an estimated monthly cost that fits inside it."""

from __future__ import annotations

from typing import Any

from pulumi_policy import StackValidationArgs

from policy import cost
from policy.policies._common import ADVISORY, Report, Unknowns, number, schema, stack_policy
from policy.resources import UNKNOWN, stack_dicts, unwrap

BUDGET = "aws:budgets/budget:Budget"

_GB_OR_MAP = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}},
    ]
}
_NUMBER = {"type": "number", "minimum": 0}

# The usage policy/cost.py cannot read from resources (see its docstring for how each key is used).
ASSUMPTIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Usage the cost model cannot read from resources (GB stored, requests, transfer), per month.",
    "properties": {
        "s3StorageGb": {"type": "object", "additionalProperties": _NUMBER},
        "s3StorageClass": {
            "anyOf": [{"type": "string"}, {"type": "object", "additionalProperties": {"type": "string"}}]
        },
        "s3ReplicationGbPerMonth": _GB_OR_MAP,
        "wafRequestsMillionsPerMonth": _GB_OR_MAP,
        "wafBotControlRequestsMillionsPerMonth": _GB_OR_MAP,
        "cloudfrontRequestsMillionsPerMonth": _NUMBER,
        "cloudfrontTransferGbPerMonth": _NUMBER,
        "route53QueriesMillionsPerMonth": _NUMBER,
        "route53HealthCheckEndpoint": {"enum": ["aws", "non-aws"]},
        "rdsDailyChangeGb": _GB_OR_MAP,
        "cloudwatchLogsGbPerMonth": _GB_OR_MAP,
        "sqsRequestsMillionsPerMonth": _GB_OR_MAP,
        "snsPublishesMillionsPerMonth": _GB_OR_MAP,
        "restoreTestHoursPerRun": _GB_OR_MAP,
        "backupAuditEvaluationsPerMonth": _GB_OR_MAP,
        "lambdaInvocationsPerMonth": _GB_OR_MAP,
        "cloudtrailDataEventsMillionsPerMonth": _NUMBER,
        "cloudtrailAdditionalManagementEventsMillionsPerMonth": _NUMBER,
    },
    "additionalProperties": False,
    "default": {},
}


def monthly_cost_budgets(resources: list[Any]) -> list[Any]:
    out = []
    for r in resources:
        if r.resource_type != BUDGET:
            continue
        p = unwrap(r.props)
        if p.get("budgetType") == "COST" and p.get("timeUnit") == "MONTHLY":
            out.append(r)
    return out


def budget_limit(resources: list[Any]) -> float | None:
    """The tightest monthly COST budget limit in USD (None when there is none or it is unknown)."""
    limits = [number(unwrap(b.props).get("limitAmount")) for b in monthly_cost_budgets(resources)]
    known = [x for x in limits if x is not None]
    return min(known) if known else None


def _notification_key(text: str) -> tuple[str, float]:
    kind, _, pct = text.partition(":")
    return kind, float(pct)


def _budget(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    u = Unknowns()
    budgets = monthly_cost_budgets(list(args.resources))
    if not budgets:
        report("the stack has no monthly COST aws.budgets.Budget.")
        return
    for b in budgets:
        p = unwrap(b.props)
        limit = p.get("limitAmount")
        if limit is UNKNOWN:
            u.add(b.urn, "limitAmount")
        elif (number(limit) or 0) <= 0:
            report(f"budget {b.name} has no usable limitAmount ({limit!r}).", b.urn)
        elif (number(limit) or 0) > cfg["maxLimitUsd"]:
            report(
                f"budget {b.name} limit {number(limit):.2f} USD is above the stack cap {cfg['maxLimitUsd']} USD.", b.urn
            )
        if p.get("limitUnit", "USD") != "USD":
            report(f"budget {b.name} limitUnit is {p.get('limitUnit')}, not USD.", b.urn)
        notes = p.get("notifications")
        if notes is UNKNOWN:
            u.add(b.urn, "notifications")
            continue
        have: dict[tuple[str, float], bool] = {}
        for n in notes or []:
            if n.get("thresholdType", "PERCENTAGE") != "PERCENTAGE":
                continue
            subscribed = bool(n.get("subscriberEmailAddresses")) or bool(n.get("subscriberSnsTopicArns"))
            key = (str(n.get("notificationType")), number(n.get("threshold")) or -1.0)
            have[key] = have.get(key, False) or subscribed
        for wanted in cfg["requiredNotifications"]:
            key = _notification_key(wanted)
            if key not in have:
                report(f"budget {b.name} has no {wanted}% notification.", b.urn)
            elif not have[key]:
                report(f"budget {b.name} notification {wanted}% has no subscriber (email or SNS topic).", b.urn)
    u.finish()


monthly_cost_budget = stack_policy(
    name="monthly-cost-budget",
    description="The stack has a monthly COST budget within its cap, alerting subscribers at the required thresholds.",
    validate=_budget,
    config_schema=schema(
        {
            "maxLimitUsd": {"type": "number", "exclusiveMinimum": 0, "default": 1000},
            "requiredNotifications": {
                "type": "array",
                "items": {"type": "string", "pattern": "^(FORECASTED|ACTUAL):[0-9]+$"},
                "default": ["FORECASTED:80", "ACTUAL:100"],
            },
        }
    ),
    remediation="Add an aws.budgets.Budget (budget_type COST, time_unit MONTHLY, limit ≤ maxLimitUsd) with a "
    "notification per requiredNotifications entry, each with an email or SNS subscriber.",
)


def estimate_for(resources: list[Any], assumptions: dict[str, Any]) -> dict[str, Any]:
    """policy/cost.estimate over a stack's resources (stack-policy PolicyResources)."""
    return cost.estimate(stack_dicts(resources), assumptions)


def _top(estimate: dict[str, Any], n: int = 5) -> str:
    items = sorted(estimate.get("items", []), key=lambda i: -float(i.get("monthly") or 0))[:n]
    return ", ".join(f"{i['name']} {float(i['monthly']):.2f}" for i in items)


def _within_budget(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    limit = budget_limit(list(args.resources))
    if limit is None:
        return  # monthly-cost-budget reports the missing budget
    est = estimate_for(list(args.resources), cfg["assumptions"])
    total = float(est["total"])
    unpriced = len(est.get("unpriced", []))
    if total > limit:
        report(
            f"estimated monthly cost {total:.2f} USD exceeds the budget limit {limit:.2f} USD "
            f"(largest: {_top(est)}; {unpriced} resource(s) unpriced)."
        )


cost_within_budget = stack_policy(
    name="cost-within-budget",
    description="The stack's estimated monthly cost (policy/cost.py, dated price table) is within its budget limit.",
    validate=_within_budget,
    config_schema=schema({"assumptions": ASSUMPTIONS_SCHEMA}),
    remediation="Shrink what the estimate lists as largest, or raise monthlyBudgetUsd (and the budget cap) in a "
    "reviewed change. Run `python -m preflight --stack <stack>` for the per-resource table.",
)


def _headroom(args: StackValidationArgs, report: Report, cfg: dict) -> None:
    limit = budget_limit(list(args.resources))
    if limit is None:
        return
    est = estimate_for(list(args.resources), cfg["assumptions"])
    total, share = float(est["total"]), float(cfg["warnShare"])
    if limit * share < total <= limit:
        report(
            f"estimated monthly cost {total:.2f} USD is {total / limit:.0%} of the {limit:.2f} USD budget "
            f"(warning above {share:.0%}); largest: {_top(est)}."
        )


cost_budget_headroom = stack_policy(
    name="cost-budget-headroom",
    description="The stack's estimated monthly cost leaves headroom under its budget (warning share).",
    validate=_headroom,
    config_schema=schema(
        {
            "warnShare": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.8},
            "assumptions": ASSUMPTIONS_SCHEMA,
        }
    ),
    remediation="Plan for growth: trim the largest items or raise the budget before the estimate crosses it.",
    enforcement_level=ADVISORY,
)

POLICIES = [monthly_cost_budget, cost_within_budget, cost_budget_headroom]
