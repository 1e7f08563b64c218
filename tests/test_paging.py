"""Every alarm and the budget reach the on-call: PagerDuty (critical) or Slack (AWS Chatbot), in the alarm's region."""

import pytest

from components.alerting import CHATBOT_API_REGION, SEVERITIES, AlarmTopics, Severity, severity
from preflight.engine import SecretValue
from tests.harness import moved_to_europe, run_stack

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
CHATBOT = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
BUDGET = "aws:budgets/budget:Budget"


def plain(value):
    return value.value if isinstance(value, SecretValue) else value


def paging_paths(run):
    """topic ARN -> {"pagerduty", "slack"}: the paths by which a message on that topic reaches a human."""
    paths: dict[str, set[str]] = {}
    for s in run.all(SUBSCRIPTION):
        if s.inputs["protocol"] == "https" and isinstance(s.inputs["endpoint"], SecretValue):
            paths.setdefault(s.inputs["topic"], set()).add("pagerduty")
    for arn in run.one(CHATBOT).inputs["snsTopicArns"]:
        paths.setdefault(arn, set()).add("slack")
    return paths


@pytest.fixture(scope="module", params=["dev", "stage", "prod"])
def stack(request):
    return run_stack(request.param)


def test_every_alarm_of_every_stack_reaches_a_paging_path_in_its_own_region(stack):
    topics = {t.outputs["arn"]: t for t in stack.all(TOPIC)}
    paths = paging_paths(stack)
    alarms = stack.all(ALARM)
    assert len(alarms) >= 10
    for a in alarms:
        assert a.inputs["alarmActions"] and a.inputs["okActions"] == a.inputs["alarmActions"], a.name
        for action in a.inputs["alarmActions"]:
            assert topics[action].region == a.region, (a.name, action)
            assert paths.get(action), (a.name, action)


def test_critical_alarms_page_pagerduty_and_warnings_reach_slack(stack):
    paths = paging_paths(stack)
    for a in stack.all(ALARM):
        role, level = a.inputs["tags"]["alarm-role"], a.inputs["tags"]["severity"]
        assert level == severity(role).value, a.name
        (action,) = a.inputs["alarmActions"]
        expected = {"pagerduty", "slack"} if level == "critical" else {"slack"}
        assert paths[action] == expected, (a.name, paths[action])


def test_the_budget_notifications_reach_slack(stack):
    slack = set(stack.one(CHATBOT).inputs["snsTopicArns"])
    notifications = stack.one(BUDGET).inputs["notifications"]
    assert notifications
    for n in notifications:
        assert n["subscriberSnsTopicArns"] and set(n["subscriberSnsTopicArns"]) <= slack


def test_both_regions_page_on_their_own_topics(prod):
    critical = [t for t in prod.all(TOPIC) if t.name.endswith("-critical")]
    assert sorted(t.region for t in critical) == ["us-east-1", "us-west-2"]
    pagerduty = {s.inputs["topic"] for s in prod.all(SUBSCRIPTION) if s.inputs["protocol"] == "https"}
    assert pagerduty == {t.outputs["arn"] for t in critical}


def test_the_pagerduty_url_is_a_secret_auto_confirmed_subscription(prod):
    subs = [s for s in prod.all(SUBSCRIPTION) if s.inputs["protocol"] == "https"]
    assert subs and all(isinstance(s.inputs["endpoint"], SecretValue) for s in subs)
    assert all(s.inputs["endpointAutoConfirms"] is True for s in subs)
    assert all(plain(s.inputs["endpoint"]) == "preflight-placeholder-secret" for s in subs)


def test_health_check_alarms_page_from_us_east_1_when_the_primary_is_elsewhere():
    run = run_stack("dev", overrides=moved_to_europe("dev"))
    topics = {t.outputs["arn"]: t for t in run.all(TOPIC)}
    paths = paging_paths(run)
    health = [a for a in run.all(ALARM) if a.inputs.get("metricName") == "HealthCheckStatus"]
    assert health
    for a in health:
        (action,) = a.inputs["alarmActions"]
        assert topics[action].region == "us-east-1" and paths[action]
    assert {t.region for t in run.all(TOPIC) if t.name.endswith("-critical")} == {
        "eu-west-1",
        "eu-central-1",
        "us-east-1",
    }


def test_slack_goes_through_chatbot_in_its_api_region_with_a_read_only_guardrail(prod):
    channel = prod.one(CHATBOT)
    assert channel.region == CHATBOT_API_REGION
    assert channel.inputs["slackTeamId"] == "T0SUMMIT01" and channel.inputs["slackChannelId"] == "C0PRODALERTS"
    assert channel.inputs["guardrailPolicyArns"] == ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"]


def test_an_alarm_role_without_a_severity_stops_the_program_in_one_line():
    with pytest.raises(ValueError, match=r"^alarm role 'made-up' has no severity in components/alerting.py"):
        AlarmTopics("us-east-1", "critical-arn", "warning-arn").actions("made-up")


def test_the_drill_alarms_of_issue_15_already_have_a_severity():
    assert {r for r in SEVERITIES if r.startswith(("drill-", "chaos-"))} == {
        "drill-rto-violated",
        "drill-rpo-violated",
        "chaos-drill-failed",
        "chaos-drill-not-run",
    }
    assert AlarmTopics("us-west-2", "c", "w").topic("drill-rto-violated") == "w"
    assert severity("canary-gateway-graphql") is Severity.CRITICAL
