"""`python -m ops failover` against botocore's Stubber on the real arc-region-switch and STS models.

moto has no Region switch backend; the Stubber validates every request and every scripted response against the
service model botocore ships, so a call or an answer AWS would not accept fails the test.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from ops.aws import ClientFactory
from ops.cli import Deps, main
from ops.clock import FakeClock
from ops.outputs import load
from tests.ops_support import FIXTURE

STAGE_ACCOUNT = "321098765432"  # Pulumi.stage.yaml awsAccountId
# The plan ARN the program exports (its suffix is the mock engine's): the stubs answer for the plan the outputs name.
PLAN_ARN = str(load(FIXTURE).region_switch_plan_arn)
DR, PRIMARY = "us-west-2", "us-east-1"
T0 = datetime(2025, 10, 20, 14, 0, tzinfo=UTC)
REPLICA_ARN = f"arn:aws:rds:{DR}:{STAGE_ACCOUNT}:db:summit-stage-db-dr"
FUNCTION_ARN = f"arn:aws:lambda:{DR}:{STAGE_ACCOUNT}:function:summit-stage-failover-writer-switch"
ZONE, ZONE_NAME = "Z0STAGE4EXAMPLE2B", "stage.summit.example.com"


class StubFactory(ClientFactory):
    """A ClientFactory whose clients are stubbed: requests and responses are checked against the service models."""

    def __init__(self) -> None:
        super().__init__()
        self.stubs: dict[tuple[str, str], Stubber] = {}
        self._session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y")

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            client = self._session.client(service, region_name=region)
            client.meta.events.register("after-call.*.*", self._record(service, region))
            self.stubs[key] = Stubber(client)
            self.stubs[key].activate()
            self._clients[key] = client
        return self._clients[key]

    def stub(self, service: str, region: str = DR) -> Stubber:
        self.client(service, region)
        return self.stubs[(service, region)]

    def assert_all_used(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


def step(name: str, kind: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "executionBlockType": kind, "executionBlockConfiguration": config}


def dns_step(host: str) -> dict[str, Any]:
    config = {"route53HealthCheckConfig": {"hostedZoneId": ZONE, "recordName": f"{host}.{ZONE_NAME}"}}
    return step(f"dns-{host}", "Route53HealthCheck", config)


PLAN = {
    "arn": PLAN_ARN,
    "name": "summit-stage-failover",
    "version": "3",
    "owner": STAGE_ACCOUNT,
    "executionRole": f"arn:aws:iam::{STAGE_ACCOUNT}:role/summit-stage-failover-execution",
    "recoveryApproach": "activePassive",
    "regions": [PRIMARY, DR],
    "primaryRegion": PRIMARY,
    "recoveryTimeObjectiveMinutes": 15,
    "workflows": [
        {
            "workflowTargetAction": "activate",
            "workflowTargetRegion": DR,
            "steps": [
                step(
                    "promote-db",
                    "RdsPromoteReadReplica",
                    {"rdsPromoteReadReplicaConfig": {"dbInstanceArnMap": {DR: REPLICA_ARN}}},
                ),
                step(
                    "repoint-writer",
                    "CustomActionLambda",
                    {
                        "customActionLambdaConfig": {
                            "lambdas": [{"arn": FUNCTION_ARN}],
                            "retryIntervalMinutes": 0.5,
                            "regionToRun": "activatingRegion",
                        }
                    },
                ),
                step(
                    "switch-dns",
                    "Parallel",
                    {
                        "parallelConfig": {
                            "steps": [dns_step(host) for host in ("gateway-origin", "wallet")]
                        }
                    },
                ),
            ],
        },
        {"workflowTargetAction": "deactivate", "workflowTargetRegion": PRIMARY, "steps": []},
    ],
}  # fmt: skip
STEPS = ("promote-db", "repoint-writer", "dns-gateway-origin", "dns-wallet")


def execution(
    state: str, statuses: dict[str, str], *, ended: bool = False, execution_id: str = "exec-1"
) -> dict[str, Any]:
    states = []
    for i, name in enumerate(STEPS):
        status = statuses.get(name, "notStarted")
        entry: dict[str, Any] = {"name": name, "status": status}
        if status != "notStarted":
            entry["startTime"] = T0 + timedelta(seconds=60 * i)
        if status in ("completed", "failed", "skipped"):
            entry["endTime"] = T0 + timedelta(seconds=60 * i + 45)
        states.append(entry)
    out = {
        "planArn": PLAN_ARN,
        "executionId": execution_id,
        "startTime": T0,
        "mode": "ungraceful",
        "executionState": state,
        "executionAction": "activate",
        "executionRegion": DR,
        "stepStates": states,
    }
    if ended:
        out["endTime"] = T0 + timedelta(seconds=420)
        out["actualRecoveryTime"] = "PT7M"
    return out


def identity(factory: StubFactory, account: str = STAGE_ACCOUNT) -> None:
    factory.stub("sts").add_response(
        "get_caller_identity",
        {"UserId": "AROA:oncall", "Account": account, "Arn": f"arn:aws:sts::{account}:assumed-role/oncall/me"},
        {},
    )


def plan_and_state(
    factory: StubFactory, in_flight: list[dict[str, Any]] | None = None, warnings: list[dict[str, Any]] | None = None
) -> None:
    arc = factory.stub("arc-region-switch")
    arc.add_response("get_plan_in_region", {"plan": PLAN}, {"arn": PLAN_ARN})
    arc.add_response("list_plan_executions", {"items": in_flight or []}, {"planArn": PLAN_ARN, "maxResults": 20})
    arc.add_response(
        "list_route53_health_checks_in_region",
        {
            "healthChecks": [
                {
                    "hostedZoneId": "Z0STAGE4EXAMPLE2B",
                    "recordName": "gateway-origin.stage.summit.example.com",
                    "region": region,
                    "healthCheckId": f"hc-{region}",
                    "status": status,
                }
                for region, status in ((PRIMARY, "healthy"), (DR, "unhealthy"))
            ]
        },
        {"arn": PLAN_ARN},
    )
    arc.add_response(
        "get_plan_evaluation_status",
        {
            "planArn": PLAN_ARN,
            "evaluationState": "actionRequired" if warnings else "passed",
            "lastEvaluationTime": T0 - timedelta(minutes=20),
            "warnings": warnings or [],
        },
        {"planArn": PLAN_ARN},
    )


def started(factory: StubFactory) -> None:
    factory.stub("arc-region-switch").add_response(
        "start_plan_execution",
        {"executionId": "exec-1", "plan": PLAN_ARN, "planVersion": "3", "activateRegion": DR},
        {
            "planArn": PLAN_ARN,
            "targetRegion": DR,
            "action": "activate",
            "mode": "ungraceful",
            "comment": ANY,
            "latestVersion": "true",
            "clientToken": ANY,
        },
    )


def execution_started() -> StubFactory:
    """AWS as `ops failover --execute` finds it: the caller, the plan and its state, then the started execution."""
    factory = StubFactory()
    identity(factory)
    plan_and_state(factory)
    started(factory)
    return factory


def polls(factory: StubFactory, *responses: dict[str, Any]) -> None:
    for response in responses:
        factory.stub("arc-region-switch").add_response(
            "get_plan_execution", response, {"planArn": PLAN_ARN, "executionId": response["executionId"]}
        )


def run(factory: StubFactory, *args: str, clock: FakeClock | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    deps = Deps(factory=factory, clock=clock or FakeClock(T0), stdout=out, stderr=err)
    code = main(["failover", "--stack", "stage", "--outputs", str(FIXTURE), *args], deps)
    return code, out.getvalue(), err.getvalue()


def bundle(tmp_path: Path) -> Path:
    (directory,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    return directory


def test_dry_run_prints_the_workflow_and_the_state_and_starts_nothing():
    factory = StubFactory()
    identity(factory)
    plan_and_state(factory)
    code, out, _ = run(factory)
    assert code == 0
    for text in ("promote-db", "RdsPromoteReadReplica", "dns-wallet", "switch-dns", "executions in flight: none",
                 f"gateway-origin.stage.summit.example.com [{PRIMARY}]: healthy", "dry-run"):  # fmt: skip
        assert text in out, text
    factory.assert_all_used()  # and no start_plan_execution was scripted: a call would have failed the Stubber


def test_dry_run_shows_the_plan_evaluations_active_warnings():
    factory = StubFactory()
    identity(factory)
    warning = {"version": "3", "stepName": "repoint-writer", "warningStatus": "active",
               "warningUpdatedTime": T0, "warningMessage": "Lambda function not found in us-west-2"}  # fmt: skip
    resolved = {**warning, "warningStatus": "resolved", "warningMessage": "old"}
    plan_and_state(factory, warnings=[warning, resolved])
    code, out, _ = run(factory)
    assert code == 0
    assert "plan evaluation: actionRequired" in out
    assert "warning: repoint-writer: Lambda function not found in us-west-2" in out and "old" not in out


def test_credentials_of_another_account_are_refused_before_anything_else(tmp_path):
    factory = StubFactory()
    identity(factory, account="999999999999")
    code, _, err = run(factory, "--execute", "--evidence-dir", str(tmp_path))
    assert code == 2 and list(tmp_path.iterdir()) == []  # no bundle for a refused caller
    assert err.strip() == (
        "ops failover: credentials are for account 999999999999 (arn:aws:sts::999999999999:assumed-role/oncall/me), "
        f"but stack stage is awsAccountId {STAGE_ACCOUNT} (Pulumi.stage.yaml)"
    )


def test_a_plan_arn_of_another_account_is_refused(tmp_path):
    outputs = json.loads(FIXTURE.read_text())
    outputs["regionSwitchPlanArn"] = PLAN_ARN.replace(STAGE_ACCOUNT, "999999999999")
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    factory = StubFactory()
    identity(factory)
    out, err = io.StringIO(), io.StringIO()
    code = main(["failover", "--stack", "stage", "--outputs", str(path)], Deps(factory=factory, stdout=out, stderr=err))
    assert code == 2 and "regionSwitchPlanArn is in account 999999999999" in err.getvalue()


def test_prod_needs_the_confirmation_flag_to_execute(tmp_path):
    outputs = json.loads(FIXTURE.read_text())
    outputs["environment"] = "prod"
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    out, err = io.StringIO(), io.StringIO()
    code = main(["failover", "--stack", "prod", "--outputs", str(path), "--execute"], Deps(stdout=out, stderr=err))
    assert code == 2 and "--confirm-production prod" in err.getvalue()


def test_execute_starts_an_ungraceful_activation_and_follows_each_step_to_completion(tmp_path):
    factory = execution_started()
    polls(
        factory,
        execution("inProgress", {"promote-db": "running"}),
        execution("inProgress", {"promote-db": "completed", "repoint-writer": "running"}),
        execution("completed", dict.fromkeys(STEPS, "completed"), ended=True),
    )
    code, _, err = run(factory, "--execute", "--evidence-dir", str(tmp_path), "--poll-interval", "5")
    assert code == 0, err
    factory.assert_all_used()
    assert "step promote-db: notStarted → running" in err and "step dns-wallet: notStarted → completed" in err
    data = json.loads((bundle(tmp_path) / "evidence.json").read_text())
    assert data["kind"] == "failover" and data["verdict"]["ok"] is True
    assert data["measured"]["rtoSeconds"] == 420 and data["measured"]["actualRecoveryTime"] == "PT7M"
    assert data["measured"]["stepSeconds"] == dict.fromkeys(STEPS, 45)
    assert [s["name"] for s in data["steps"]][:5] == ["identity", "plan", "state", "start", "follow"]
    assert {s["name"] for s in data["steps"]} >= {f"plan:{name}" for name in STEPS}
    assert (bundle(tmp_path) / "report.md").is_file() and (bundle(tmp_path) / "timeline.png").is_file()


def test_the_objective_is_the_stacks_recovery_budget_rto(tmp_path):
    factory = execution_started()
    polls(factory, execution("completed", dict.fromkeys(STEPS, "completed"), ended=True))
    run(factory, "--execute", "--evidence-dir", str(tmp_path))
    data = json.loads((bundle(tmp_path) / "evidence.json").read_text())
    assert data["objectives"] == {"rtoSeconds": 900}
    assert data["objectiveSources"]["rtoSeconds"] == "policy/config/stage.json (recovery-budget.rtoSeconds)"


def test_a_failed_step_stops_following_with_its_error_and_says_how_to_resume(tmp_path):
    factory = execution_started()
    polls(
        factory,
        execution("pausedByFailedStep", {"promote-db": "completed", "repoint-writer": "failed"}),
    )
    factory.stub("arc-region-switch").add_response(
        "list_plan_execution_events",
        {
            "items": [
                {"eventId": "e1", "type": "stepStarted", "stepName": "repoint-writer"},
                {
                    "eventId": "e2",
                    "type": "stepFailed",
                    "stepName": "repoint-writer",
                    "error": "Lambda returned WriterNotFound",
                },
            ]
        },
        {"planArn": PLAN_ARN, "executionId": "exec-1", "maxResults": 100},
    )
    code, out, _ = run(factory, "--execute", "--evidence-dir", str(tmp_path))
    assert code == 1
    factory.assert_all_used()
    data = json.loads((bundle(tmp_path) / "evidence.json").read_text())
    assert "repoint-writer: Lambda returned WriterNotFound" in data["verdict"]["reason"]
    assert data["measured"]["executionState"] == "pausedByFailedStep"
    assert any("update-plan-execution --action resume" in line and "--resume" in line for line in data["nextSteps"])
    assert "repoint-writer" in out and "failed" in out


def test_a_timeout_stops_following_but_leaves_the_execution_running_and_resumable(tmp_path):
    factory = execution_started()
    polls(factory, *[execution("pendingManualApproval", {}) for _ in range(3)])
    code, _, err = run(
        factory, "--execute", "--evidence-dir", str(tmp_path), "--poll-interval", "30", "--timeout", "60"
    )
    assert code == 1
    assert "approve it in the Region switch console of us-west-2" in err
    data = json.loads((bundle(tmp_path) / "evidence.json").read_text())
    assert "timed out after 60 s" in data["verdict"]["reason"]
    assert any("The execution goes on in AWS" in line for line in data["nextSteps"])


def test_resume_follows_the_same_execution_again_without_starting_another(tmp_path):
    factory = execution_started()
    polls(factory, *[execution("inProgress", {"promote-db": "running"}) for _ in range(3)])
    assert (
        run(factory, "--execute", "--evidence-dir", str(tmp_path), "--poll-interval", "30", "--timeout", "60")[0] == 1
    )
    directory = bundle(tmp_path)

    again = StubFactory()  # only the follow step runs again: no identity, plan, state or start calls are scripted
    polls(again, execution("completed", dict.fromkeys(STEPS, "completed"), ended=True))
    code, _, err = run(again, "--execute", "--resume", str(directory))
    assert code == 0, err
    again.assert_all_used()
    data = json.loads((directory / "evidence.json").read_text())
    assert data["verdict"]["ok"] is True and len(data["resumes"]) == 1
    assert next(s for s in data["steps"] if s["name"] == "follow")["attempts"] == 2


def test_an_activation_already_in_flight_is_followed_not_started_twice(tmp_path):
    factory = StubFactory()
    identity(factory)
    in_flight = {k: v for k, v in execution("inProgress", {}, execution_id="exec-0").items() if k != "stepStates"}
    plan_and_state(factory, in_flight=[in_flight])
    polls(factory, execution("completed", dict.fromkeys(STEPS, "completed"), ended=True, execution_id="exec-0"))
    code, _, err = run(factory, "--execute", "--evidence-dir", str(tmp_path))
    assert code == 0, err
    factory.assert_all_used()  # no start_plan_execution was scripted
    assert "execution exec-0 is already inProgress: following it" in err


def test_another_execution_in_flight_blocks_a_new_one(tmp_path):
    factory = StubFactory()
    identity(factory)
    other = {k: v for k, v in execution("inProgress", {}, execution_id="exec-9").items() if k != "stepStates"}
    other.update(executionAction="deactivate", executionRegion=PRIMARY)
    plan_and_state(factory, in_flight=[other])
    code, _, _ = run(factory, "--execute", "--evidence-dir", str(tmp_path))
    assert code == 1
    data = json.loads((bundle(tmp_path) / "evidence.json").read_text())
    assert "execution exec-9 (deactivate us-east-1) is inProgress" in data["verdict"]["reason"]


def test_outputs_without_a_plan_are_a_usage_error(tmp_path):
    outputs = json.loads(FIXTURE.read_text())
    del outputs["regionSwitchPlanArn"]
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    out, err = io.StringIO(), io.StringIO()
    assert main(["failover", "--stack", "stage", "--outputs", str(path)], Deps(stdout=out, stderr=err)) == 2
    assert "regionSwitchPlanArn is missing" in err.getvalue()


@pytest.mark.parametrize("mode", ["graceful", "ungraceful"])
def test_the_mode_is_passed_to_start_plan_execution(tmp_path, mode):
    factory = StubFactory()
    identity(factory)
    plan_and_state(factory)
    factory.stub("arc-region-switch").add_response(
        "start_plan_execution",
        {"executionId": "exec-1", "plan": PLAN_ARN},
        {
            "planArn": PLAN_ARN,
            "targetRegion": DR,
            "action": "activate",
            "mode": mode,
            "comment": ANY,
            "latestVersion": "true",
            "clientToken": ANY,
        },
    )
    polls(factory, execution("completed", dict.fromkeys(STEPS, "completed"), ended=True))
    assert run(factory, "--execute", "--mode", mode, "--evidence-dir", str(tmp_path))[0] == 0
    factory.assert_all_used()
