"""Days since the newest successful drill, published daily so an alarm can say "no successful drill in 35 days".

A CloudWatch alarm looks back at most seven days (Period × EvaluationPeriods ≤ 604,800 s, PutMetricAlarm), so it
cannot see a 35-day gap in the drill's own `DrillSucceeded` metric. This function, run once a day by an EventBridge
schedule in the DR region, reads that metric's daily maxima over `LOOKBACK_DAYS` and publishes
`DaysSinceSuccessfulDrill` (Summit/DR, Environment). No successful drill in the whole look-back publishes
`LOOKBACK_DAYS`; the alarm also treats a missing datapoint as breaching, so a broken function pages too.

Configuration (environment): DRILL_ENVIRONMENT (the stack), DRILL_NAMESPACE (Summit/DR).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

SUCCESS_METRIC = "DrillSucceeded"
AGE_METRIC = "DaysSinceSuccessfulDrill"
# One-day datapoints stay retrievable for 455 days (CloudWatch metric retention); 90 days is well past the 35-day
# objective, so "never within the look-back" still reads as far too long.
LOOKBACK_DAYS = 90
DAY = 86400


def days_since_success(cloudwatch: Any, namespace: str, environment: str, now: datetime) -> float:
    points = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName=SUCCESS_METRIC,
        Dimensions=[{"Name": "Environment", "Value": environment}],
        StartTime=now - timedelta(days=LOOKBACK_DAYS),
        EndTime=now,
        Period=DAY,
        Statistics=["Maximum"],
    )["Datapoints"]
    successes = [p["Timestamp"] for p in points if p["Maximum"] >= 1]
    if not successes:
        return float(LOOKBACK_DAYS)
    return round((now - max(successes)).total_seconds() / DAY, 2)


def handler(event: Any = None, context: Any = None) -> dict[str, Any]:
    namespace, environment = os.environ["DRILL_NAMESPACE"], os.environ["DRILL_ENVIRONMENT"]
    cloudwatch = boto3.client("cloudwatch")
    now = datetime.now(UTC)
    days = days_since_success(cloudwatch, namespace, environment, now)
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": AGE_METRIC,
                "Dimensions": [{"Name": "Environment", "Value": environment}],
                "Timestamp": now,
                "Value": days,
                "Unit": "None",
            }
        ],
    )
    return {"environment": environment, "daysSinceSuccessfulDrill": days}
