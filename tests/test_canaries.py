"""CloudWatch Synthetics canaries from both regions: what they probe, how they are packaged, alarmed, priced, and
the probe script itself against real local HTTP servers."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from canaries.gateway_probe.gateway_probe import Probe, ProbeFailed, run
from components.canaries import RUNTIME_VERSION, probe_environment, schedule_expression
from components.synthetics import gateway_targets
from policy.cost import estimate
from settings import ConfigError
from tests.harness import run_stack, stack_settings

CANARY = "aws:synthetics/canary:Canary"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
BUCKET = "aws:s3/bucket:Bucket"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"


def canary_alarms(run):
    return [a for a in run.all(ALARM) if a.inputs.get("namespace") == "CloudWatchSynthetics"]


def test_each_probe_runs_as_a_canary_in_the_primary_and_the_dr_region(prod):
    placed = sorted((c.region, c.inputs["name"]) for c in prod.all(CANARY))
    assert placed == [
        ("us-east-1", "summit-prod-graphql"),
        ("us-east-1", "summit-prod-wallet"),
        ("us-west-2", "summit-prod-graphql"),
        ("us-west-2", "summit-prod-wallet"),
    ]


def test_canaries_run_the_pinned_python_runtime_on_the_configured_schedule(prod):
    for c in prod.all(CANARY):
        assert (c.inputs["runtimeVersion"], c.inputs["handler"]) == (RUNTIME_VERSION, "gateway_probe.handler")
        assert c.inputs["schedule"]["expression"] == "rate(1 minute)"  # prod canaryIntervalMinutes: 1
        assert c.inputs["runConfig"]["memoryInMb"] == 960 and c.inputs["runConfig"]["timeoutInSeconds"] == 60
        assert c.inputs["startCanary"] is True and c.inputs["deleteLambda"] is True


def test_the_graphql_canary_posts_the_typename_query_to_the_public_gateway(prod):
    graphql = next(c for c in prod.all(CANARY) if c.inputs["name"] == "summit-prod-graphql")
    assert graphql.inputs["runConfig"]["environmentVariables"] == {
        "PROBE_URL": "https://gateway.summit.example.com/graphql",
        "PROBE_METHOD": "POST",
        "PROBE_BODY": '{"query":"{ __typename }"}',
        "PROBE_EXPECT": '"__typename"\\s*:',
    }


def test_the_code_is_the_repo_script_zipped_by_pulumi_into_the_regions_artifact_bucket(prod):
    for c in prod.all(CANARY):
        (code,) = [o for o in prod.all(OBJECT) if o.region == c.region]
        (bucket,) = [b for b in prod.all(BUCKET) if b.region == c.region and "canary-artifacts" in b.inputs["bucket"]]
        assert (c.inputs["s3Bucket"], c.inputs["s3Key"]) == (bucket.inputs["bucket"], code.inputs["key"])
        assert c.inputs["artifactS3Location"] == f"s3://{bucket.inputs['bucket']}/runs/"
        assert c.inputs["artifactConfig"]["s3Encryption"]["encryptionMode"] == "SSE_S3"


def test_artifact_buckets_are_encrypted_private_and_expire_runs_after_the_retention(prod):
    for region in ("us-east-1", "us-west-2"):
        name = "canaries" if region == "us-east-1" else "canaries-dr"
        sse = prod.one(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            f"{name}-artifacts-sse",
        )
        assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
        block = prod.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{name}-artifacts-public-access")
        assert all(
            block.inputs[k] is True
            for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        )
        rules = prod.one(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", f"{name}-artifacts-lifecycle"
        ).inputs["rules"]
        runs = next(r for r in rules if r["id"] == "run-artifacts-expiry")
        assert (runs["filter"]["prefix"], runs["expiration"]["days"]) == ("runs/", 30)
    for c in prod.all(CANARY):
        assert c.inputs["successRetentionPeriod"] == c.inputs["failureRetentionPeriod"] == 30


def test_the_execution_role_writes_only_run_artifacts_and_synthetics_metrics(prod):
    policy = json.loads(prod.one("aws:iam/rolePolicy:RolePolicy", "canaries-dr-role-policy").inputs["policy"])
    sids = {s["Sid"]: s for s in policy["Statement"]}
    assert sids["RunArtifacts"]["Resource"] == (
        "arn:aws:s3:::summit-prod-canary-artifacts-us-west-2-432109876543/runs/*"
    )
    assert sids["SyntheticsMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "CloudWatchSynthetics"}}
    assert sids["CanaryLogs"]["Resource"] == "arn:aws:logs:us-west-2:432109876543:log-group:/aws/lambda/cwsyn-*"
    assert {sid for sid, s in sids.items() if s["Resource"] == "*"} == {"ListBuckets", "SyntheticsMetrics"}


def test_each_canary_alarms_on_success_percent_in_its_own_region(prod):
    alarms = canary_alarms(prod)
    canaries = {(c.region, c.inputs["name"]) for c in prod.all(CANARY)}
    assert {(a.region, a.inputs["dimensions"]["CanaryName"]) for a in alarms} == canaries
    for a in alarms:
        assert (a.inputs["metricName"], a.inputs["comparisonOperator"], a.inputs["threshold"]) == (
            "SuccessPercent", "LessThanThreshold", 90)  # fmt: skip
        assert (a.inputs["period"], a.inputs["evaluationPeriods"], a.inputs["datapointsToAlarm"]) == (60, 2, 2)
        assert a.inputs["treatMissingData"] == "breaching"
    severities = {a.inputs["dimensions"]["CanaryName"]: a.inputs["tags"]["severity"] for a in alarms}
    assert severities == {"summit-prod-graphql": "critical", "summit-prod-wallet": "warning"}


def test_stage_runs_every_five_minutes_and_alarms_on_five_minute_periods():
    stage = run_stack("stage")
    assert {c.inputs["schedule"]["expression"] for c in stage.all(CANARY)} == {"rate(5 minutes)"}
    assert {a.inputs["period"] for a in canary_alarms(stage)} == {300}


def test_without_the_wallet_probe_only_the_graphql_canaries_exist():
    run = run_stack("dev", overrides={"probeWalletEnabled": False})
    assert sorted(c.inputs["name"] for c in run.all(CANARY)) == ["summit-dev-graphql", "summit-dev-graphql"]


def test_each_canary_is_priced_by_its_runs_per_month(prod):
    canaries = [
        {"type": CANARY, "urn": c.urn, "name": c.name, "region": c.region, "props": c.inputs} for c in prod.all(CANARY)
    ]
    cost = estimate(canaries, {})
    assert cost["total"] == pytest.approx(4 * 43200 * 0.0012, abs=0.01)
    assert all("43200 runs/month" in i["basis"] for i in cost["items"])


def test_schedules_are_aws_rate_expressions_within_one_minute_and_one_hour():
    assert (schedule_expression(1), schedule_expression(15), schedule_expression(60)) == (
        "rate(1 minute)", "rate(15 minutes)", "rate(60 minutes)")  # fmt: skip
    with pytest.raises(ValueError, match="1–60 minutes"):
        schedule_expression(0)


def test_a_canary_interval_outside_synthetics_range_is_one_config_line():
    with pytest.raises(ConfigError, match=r"canaryIntervalMinutes: expected an integer 1–60, got 90"):
        stack_settings("stage", overrides={"canaryIntervalMinutes": 90})


def test_a_service_name_making_canary_names_too_long_is_one_config_line():
    expected = (
        r'summit-resilience:service: canary names would be up to 29 characters \("summit-platform-stage-graphql"\)'
    )
    with pytest.raises(ConfigError, match=expected):
        stack_settings("stage", overrides={"service": "summit-platform"})


def test_a_lower_case_slack_team_id_is_refused():
    with pytest.raises(ConfigError, match=r"slackTeamId: expected a Slack workspace ID"):
        stack_settings("stage", overrides={"slackTeamId": "t0summit01"})


def test_the_wallet_canary_environment_is_a_plain_get():
    (_, wallet) = gateway_targets("gateway.example.com")
    assert probe_environment(wallet) == {
        "PROBE_URL": "https://gateway.example.com/wallet/health",
        "PROBE_METHOD": "GET",
    }


# --- the probe script against local HTTP servers --------------------------------------------------------------


class _Gateway(BaseHTTPRequestHandler):
    status = 200
    body = b'{"data":{"__typename":"Query"}}'
    seen: ClassVar[list[tuple[str, str, bytes]]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        type(self).seen.append((self.command, self.headers.get("Content-Type") or "", self.rfile.read(length)))
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).body)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway():
    _Gateway.status, _Gateway.body, _Gateway.seen = 200, b'{"data":{"__typename":"Query"}}', []
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Gateway
    server.shutdown()
    server.server_close()


def graphql_probe(base):
    env = probe_environment(gateway_targets("unused")[0])
    return Probe.from_environment({**env, "PROBE_URL": f"{base}/graphql"})


def test_the_graphql_probe_passes_on_a_2xx_carrying_typename_and_sends_json(gateway):
    base, server = gateway
    assert run(graphql_probe(base)) == 200
    assert server.seen == [("POST", "application/json", b'{"query":"{ __typename }"}')]


def test_a_server_error_fails_the_probe(gateway):
    base, server = gateway
    server.status = 503
    with pytest.raises(ProbeFailed, match="HTTP 503"):
        run(graphql_probe(base))


def test_a_200_without_the_graphql_answer_fails_the_probe(gateway):
    base, server = gateway
    server.body = b"<html>maintenance</html>"
    with pytest.raises(ProbeFailed, match="does not match"):
        run(graphql_probe(base))


def test_an_endpoint_that_refuses_connections_fails_the_probe():
    with pytest.raises(ProbeFailed, match=r"GET http://127\.0\.0\.1:9/wallet/health"):
        run(Probe("http://127.0.0.1:9/wallet/health"), timeout=2)


def test_the_probe_refuses_a_missing_url_or_another_method():
    with pytest.raises(ProbeFailed, match="PROBE_URL is not set"):
        Probe.from_environment({})
    with pytest.raises(ProbeFailed, match="GET or POST"):
        Probe.from_environment({"PROBE_URL": "https://x", "PROBE_METHOD": "DELETE"})
