"""`ops drill --region-switch`: the drill practises the stack's ARC Region switch plan.

AWS around it is moto (server mode); the Region switch API is botocore's Stubber on the real arc-region-switch model
(moto has none), scripted with the execution a graceful activate goes through. When the stubbed execution reports
a step completed, the test applies that step's effect to moto (promote, re-point), as AWS would.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from ops.aws import ClientFactory
from ops.drill import Drill, DrillOptions
from ops.identity import StackIdentity
from tests import ops_support
from tests.ops_support import ACCOUNT, DR, FakeCanary, Timeline, arm_on_fault, drill_world
from tests.test_ops_failover import PLAN as STAGE_PLAN
from tests.test_ops_failover import STAGE_ACCOUNT, STEPS

clock, moto_endpoint, stack = ops_support.clock, ops_support.moto_endpoint, ops_support.stack

PLAN_ARN = f"arn:aws:arc-region-switch::{ACCOUNT}:plan/summit-stage-failover:a1b2c3"
PLAN = {
    **STAGE_PLAN,
    "arn": PLAN_ARN,
    "owner": ACCOUNT,
    "executionRole": STAGE_PLAN["executionRole"].replace(STAGE_ACCOUNT, ACCOUNT),
}


class MixedFactory(ClientFactory):
    """moto for every service, except a Stubber-checked arc-region-switch client."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(endpoint_url=endpoint)
        self.arc = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y").client(
            "arc-region-switch", region_name=DR
        )
        self.arc.meta.events.register("after-call.*.*", self._record("arc-region-switch", DR))
        self.stub = Stubber(self.arc)
        self.stub.activate()

    def client(self, service: str, region: str) -> Any:
        return self.arc if service == "arc-region-switch" else super().client(service, region)


def script(factory: MixedFactory, stack, at) -> None:
    s = factory.stub
    s.add_response("get_plan_in_region", {"plan": PLAN}, {"arn": PLAN_ARN})
    s.add_response("list_plan_executions", {"items": []}, {"planArn": PLAN_ARN, "maxResults": 20})
    s.add_response("list_route53_health_checks_in_region", {"healthChecks": []}, {"arn": PLAN_ARN})
    s.add_response(
        "get_plan_evaluation_status",
        {"planArn": PLAN_ARN, "evaluationState": "passed", "warnings": []},
        {"planArn": PLAN_ARN},
    )
    s.add_response(
        "start_plan_execution",
        {"executionId": "practice-1", "plan": PLAN_ARN, "planVersion": "3", "activateRegion": DR},
        {
            "planArn": PLAN_ARN,
            "targetRegion": DR,
            "action": "activate",
            "mode": "graceful",
            "comment": ANY,
            "latestVersion": "true",
            "clientToken": ANY,
        },
    )

    def execution(state: str, done: int) -> dict[str, Any]:
        states = []
        for i, name in enumerate(STEPS):
            entry: dict[str, Any] = {"name": name, "status": "completed" if i < done else "notStarted"}
            if i < done:
                entry.update(startTime=at + timedelta(seconds=60 * i), endTime=at + timedelta(seconds=60 * i + 50))
            states.append(entry)
        out = {
            "planArn": PLAN_ARN,
            "executionId": "practice-1",
            "startTime": at,
            "mode": "graceful",
            "executionState": state,
            "executionAction": "activate",
            "executionRegion": DR,
            "stepStates": states,
        }
        if state == "completed":
            out["endTime"] = at + timedelta(seconds=240)
        return out

    for response in (execution("inProgress", 1), execution("completed", len(STEPS))):
        s.add_response("get_plan_execution", response, {"planArn": PLAN_ARN, "executionId": "practice-1"})

    def apply(parsed: dict[str, Any], **_: Any) -> None:
        # What the plan's steps do in AWS: promote the replica (step 1), re-point the DR parameter (step 2).
        done = {st["name"] for st in parsed.get("stepStates", []) if st["status"] == "completed"}
        f = stack.factory()
        if "promote-db" in done and stack.replica().get("ReadReplicaSourceDBInstanceIdentifier"):
            f.client("rds", DR).promote_read_replica(DBInstanceIdentifier=stack.data["dbReplicaIdentifier"])
        if "repoint-writer" in done:
            f.client("ssm", DR).put_parameter(
                Name=stack.data["dbEndpointParameterName"], Value=stack.data["dbReplicaEndpoint"], Overwrite=True
            )

    factory.arc.meta.events.register("after-call.arc-region-switch.GetPlanExecution", apply)


def practise(stack, clock, tmp_path):
    factory = MixedFactory(stack.endpoint)
    timeline = Timeline(clock, good_after=0)
    arm_on_fault(factory, timeline)
    world = drill_world(clock, timeline, FakeCanary(clock, timeline, down_after=0))
    outputs = stack.outputs(regionSwitchPlanArn=PLAN_ARN)
    drill = Drill(
        "stage",
        outputs,
        factory,
        clock,
        world,
        DrillOptions(region_switch=True, poll_interval=5),
        identity=StackIdentity("stage", ACCOUNT, production=False),
    )
    evidence = drill.open(tmp_path)
    fault_time = clock.now()
    script(factory, stack, fault_time + timedelta(seconds=130))  # the plan starts after detection and DNS
    return drill.run(evidence), evidence, factory


def test_the_practice_starts_a_graceful_activation_and_the_plan_does_the_promotion(stack, clock, tmp_path):
    result, evidence, factory = practise(stack, clock, tmp_path)

    assert result.ok, result.reason
    factory.stub.assert_no_pending_responses()  # every scripted Region switch call was made, with valid requests
    names = [s["name"] for s in evidence.data["steps"]]
    assert "region-switch" in names and "promote-replica" not in names and "repoint-endpoint" not in names
    assert not [c for s in evidence.data["steps"] for c in s["apiCalls"] if c["operation"] == "PromoteReadReplica"]
    assert not stack.replica().get("ReadReplicaSourceDBInstanceIdentifier")  # the plan promoted it


def test_each_plan_step_is_journaled_with_the_executions_own_times(stack, clock, tmp_path):
    _, evidence, _ = practise(stack, clock, tmp_path)

    plan_steps = {s["name"]: s for s in evidence.data["steps"] if s["name"].startswith("plan:")}
    assert set(plan_steps) == {f"plan:{name}" for name in STEPS}
    promote = plan_steps["plan:promote-db"]
    assert evidence.data["events"]["promoteRequestedAt"] == promote["startedAt"]
    assert evidence.data["events"]["promotedAt"] == promote["endedAt"]
    assert evidence.data["measured"]["promotionSeconds"] == 50.0  # the step's own 50 s, from AWS's timestamps
    assert evidence.data["events"]["repointedAt"] == plan_steps["plan:repoint-writer"]["endedAt"]
