"""`python -m ops failover`: run the stack's ARC Region switch plan in a real regional outage, and follow it.

Region switch executes a plan in the region it activates, so every call here goes to that region's endpoint —
the data plane: GetPlanInRegion (GetPlan is a control-plane call, served from us-east-1, which may be the lost
region), ListPlanExecutions, ListRoute53HealthChecksInRegion, StartPlanExecution, GetPlanExecution and
ListPlanExecutionEvents. Dry-run by default: it checks who is calling and which stack, prints the plan's workflow
and the current state, and starts nothing. With `--execute` it starts the execution (ungraceful by default: a lost
region cannot take part in a graceful switch) and follows it step by step until it completes, fails, pauses on a
failed step or the bounded wait ends — the execution itself runs on in AWS either way, and `--resume DIR` follows it
again. The journal, report and timeline are the same evidence bundle the drill writes (ops.evidence), with each plan
step's start and end as AWS recorded them.

Identity, not labels: the caller's account (STS, in the target region) and the account in the plan's ARN must both
be the stack's `awsAccountId` from its stack file (Pulumi.<stack>.yaml); prod needs `--confirm-production prod`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from contract.recovery import RTO_SECONDS
from ops.aws import ClientFactory
from ops.clock import Clock, iso
from ops.errors import InputError
from ops.evidence import Evidence, bundle_dir, judge, seconds_between
from ops.operation import PlannedStep, ProductionRefused, require_confirmation
from ops.outputs import PLAN_ARN, StackOutputs
from ops.runner import Progress, Runner, StepFailed, WaitTimeout

# ExecutionState (arc-region-switch model): where following stops, and what it means.
DONE_STATES = frozenset({"completed", "completedWithExceptions", "completedMonitoringApplicationHealth"})
FAILED_STATES = frozenset({"failed", "canceled", "planExecutionTimedOut"})
PAUSED_STATES = frozenset({"pausedByFailedStep", "pausedByOperator"})  # a person must decide: follow stops
IN_FLIGHT_STATES = frozenset({"pending", "inProgress", "pendingManualApproval"}) | PAUSED_STATES
ACTIONS = ("activate", "deactivate")
MODES = ("ungraceful", "graceful")  # ExecutionMode enum
SERVICE = "arc-region-switch"

__all__ = ["Failover", "FailoverOptions", "IdentityRefused", "ProductionRefused", "plan"]


class IdentityRefused(InputError):
    """The caller or the plan belongs to another account than the stack's (exit 2)."""


@dataclass(frozen=True)
class FailoverOptions:
    action: str = "activate"  # activate = fail over to target_region; deactivate = re-protect after leaving it
    target_region: str | None = None  # default: the DR replica's region
    mode: str = "ungraceful"
    poll_interval: float = 15.0
    # Bounded wait for the whole execution, approval included: twice the 15-minute RTO. The execution goes on in
    # AWS after that; follow it again with --resume.
    timeout: float = 1800.0
    comment: str = "started by python -m ops failover"
    rto_seconds: float = float(RTO_SECONDS)
    objective_sources: dict[str, str] = field(default_factory=dict)


def target_of(o: StackOutputs, opts: FailoverOptions) -> str:
    return opts.target_region or o.replica.region


def plan(o: StackOutputs, opts: FailoverOptions, account: str) -> list[PlannedStep]:
    """What `--execute` does, step by step, with the API calls of each (the dry-run prints it)."""
    target = target_of(o, opts)
    arn = o.region_switch_plan_arn or "<regionSwitchPlanArn>"
    arc = f"{SERVICE}[{target}]"
    return [
        PlannedStep(
            "identity",
            f"Check the caller and the plan belong to awsAccountId {account}",
            (f"sts[{target}].get_caller_identity()", f"account of {arn}"),
        ),
        PlannedStep(
            "plan",
            f"Read the plan's {opts.action} workflow for {target} from the {target} data plane",
            (f"{arc}.get_plan_in_region(arn={arn})",),
        ),
        PlannedStep(
            "state",
            "Read the current state: executions in flight, the plan's Route53 health checks, evaluation warnings",
            (
                f"{arc}.list_plan_executions(planArn={arn})",
                f"{arc}.list_route53_health_checks_in_region(arn={arn})",
                f"{arc}.get_plan_evaluation_status(planArn={arn})",
            ),
        ),
        PlannedStep(
            "start",
            f"Start the execution: {opts.action} {target}, {opts.mode} (or follow the one already in flight)",
            (
                f"{arc}.start_plan_execution(planArn={arn}, targetRegion={target}, action={opts.action}, "
                f"mode={opts.mode}, latestVersion=true, clientToken=<journal>)",
            ),
        ),
        PlannedStep(
            "follow",
            "Follow the execution step by step until it completes, fails or pauses",
            (
                f"{arc}.get_plan_execution(planArn={arn}, executionId=…) every {opts.poll_interval:g} s, "
                f"timeout {opts.timeout:g} s",
                f"{arc}.list_plan_execution_events(planArn={arn}, executionId=…) for failed steps",
            ),
        ),
    ]


class Failover:
    """One run of `ops failover --execute` (or a resumed one), journaled to an evidence bundle."""

    def __init__(
        self,
        stack: str,
        outputs: StackOutputs,
        account: str,
        factory: ClientFactory,
        clock: Clock,
        options: FailoverOptions | None = None,
        *,
        confirm_production: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.stack = stack
        self.o = outputs
        self.account = account
        self.factory = factory
        self.clock = clock
        self.opts = options or FailoverOptions()
        self.confirm_production = confirm_production
        self.say: Progress = progress or (lambda _msg: None)
        if outputs.region_switch_plan_arn is None:
            raise StepFailed(
                f"{outputs.source}: regionSwitchPlanArn is missing (the stack deploys no Region switch plan)"
            )
        self.plan_arn = outputs.region_switch_plan_arn
        self.target = target_of(outputs, self.opts)
        self._steps: dict[str, str] = {}  # plan step name -> last status seen
        self._execution: dict[str, Any] = {}
        self._identity: dict[str, Any] | None = None

    # --- read-only part (the dry-run runs it too) -------------------------------------------------------------

    @property
    def arc(self) -> Any:
        return self.factory.client(SERVICE, self.target)

    def check_identity(self) -> dict[str, Any]:
        """STS in the target region: the caller's account, and the plan's, must be the stack's (once per run)."""
        if self._identity is not None:
            return self._identity
        caller = self.factory.client("sts", self.target).get_caller_identity()
        match = PLAN_ARN.fullmatch(self.plan_arn)
        assert match is not None  # ops.outputs validated it
        if caller["Account"] != self.account:
            raise IdentityRefused(
                f"credentials are for account {caller['Account']} ({caller.get('Arn')}), but stack {self.stack} "
                f"is awsAccountId {self.account} (Pulumi.{self.stack}.yaml)"
            )
        if match.group(1) != self.account:
            raise IdentityRefused(
                f"{self.o.source}: regionSwitchPlanArn is in account {match.group(1)}, but stack {self.stack} is "
                f"awsAccountId {self.account} (Pulumi.{self.stack}.yaml)"
            )
        self._identity = {"account": caller["Account"], "caller": caller.get("Arn"), "plan": self.plan_arn}
        return self._identity

    def read_plan(self) -> dict[str, Any]:
        found = self.arc.get_plan_in_region(arn=self.plan_arn)["plan"]
        flows = [
            w
            for w in found.get("workflows", [])
            if w.get("workflowTargetAction") == self.opts.action
            and w.get("workflowTargetRegion") in (self.target, None)
        ]
        if not flows:
            raise StepFailed(f"plan {found.get('name')} has no {self.opts.action} workflow for {self.target}")
        return {
            "name": found.get("name"),
            "version": found.get("version"),
            "rtoMinutes": found.get("recoveryTimeObjectiveMinutes"),
            "regions": found.get("regions"),
            "steps": workflow_steps(flows[0]),
        }

    def read_state(self) -> dict[str, Any]:
        executions = self.arc.list_plan_executions(planArn=self.plan_arn, maxResults=20).get("items", [])
        checks = self.arc.list_route53_health_checks_in_region(arn=self.plan_arn).get("healthChecks", [])
        # Region switch re-evaluates the plan regularly (permissions, resources, capacity): show what it warns about.
        evaluation = self.arc.get_plan_evaluation_status(planArn=self.plan_arn)
        return {
            "evaluation": {
                "state": evaluation.get("evaluationState", "unknown"),
                "at": iso(evaluation.get("lastEvaluationTime")),
                "warnings": [
                    f"{w.get('stepName') or (w.get('workflow') or {}).get('action') or 'plan'}: {w['warningMessage']}"
                    for w in evaluation.get("warnings", [])
                    if w.get("warningStatus") == "active"
                ],
            },
            "inFlight": [
                {
                    "executionId": e["executionId"],
                    "action": e["executionAction"],
                    "region": e["executionRegion"],
                    "state": e["executionState"],
                    "mode": e["mode"],
                    "startTime": iso(e["startTime"]),
                }
                for e in executions
                if e["executionState"] in IN_FLIGHT_STATES
            ],
            "last": next(
                (
                    {
                        "executionId": e["executionId"],
                        "action": e["executionAction"],
                        "region": e["executionRegion"],
                        "state": e["executionState"],
                        "endTime": iso(e.get("endTime")),
                    }
                    for e in executions
                    if e["executionState"] not in IN_FLIGHT_STATES
                ),
                None,
            ),
            "healthChecks": [
                {"record": c["recordName"], "region": c["region"], "status": c.get("status", "unknown")} for c in checks
            ],
        }

    def inspect(self) -> dict[str, Any]:
        """The dry-run: identity, plan, state — read-only."""
        return {"identity": self.check_identity(), "plan": self.read_plan(), "state": self.read_state()}

    # --- the execution ----------------------------------------------------------------------------------------

    def open(self, evidence_root: Path, resume: Path | None = None) -> Evidence:
        if resume is not None:
            evidence = Evidence.load(resume)
            if evidence.data["stack"] != self.stack or evidence.data["kind"] != "failover":
                raise StepFailed(
                    f"{resume}: journal is a {evidence.data['kind']} of stack {evidence.data['stack']}, "
                    f"not a failover of {self.stack}"
                )
            evidence.data["resumes"].append(iso(self.clock.now()))
            evidence.data.update(endedAt=None, verdict=None)
            return evidence
        started = self.clock.now()
        return Evidence.create(
            bundle_dir(evidence_root, f"{self.stack}-failover", started),
            kind="failover",
            stack=self.stack,
            started_at=started,
            objectives={"rtoSeconds": self.opts.rto_seconds},
            objective_sources=self.opts.objective_sources,
            context={
                "outputs": self.o.source,
                "environment": self.o.environment,
                "plan": self.plan_arn,
                "action": self.opts.action,
                "targetRegion": self.target,
                "mode": self.opts.mode,
            },
        )

    def run(self, evidence: Evidence) -> tuple[bool, Evidence]:
        require_confirmation(self.stack, self.o, self.confirm_production)
        self.runner = Runner(evidence, self.clock, factory=self.factory, progress=self.say)
        self.evidence = evidence
        titles = {s.name: s.title for s in plan(self.o, self.opts, self.account)}
        reason: str | None = None
        try:
            self.runner.run("identity", titles["identity"], self.check_identity)
            self.runner.run("plan", titles["plan"], self.read_plan)
            self.runner.run("state", titles["state"], self.read_state)
            self.runner.run("start", titles["start"], self.start)
            self.runner.run("follow", titles["follow"], self.follow)
        except (WaitTimeout, StepFailed) as err:
            reason = str(err)
        return self._finish(reason)

    def start(self, state: dict[str, Any] | None = None) -> dict[str, Any]:
        """Start the execution — unless one for the same action and region is already in flight: follow that.

        `state` is read_state()'s answer (default: this run's `state` step; the drill passes its own)."""
        state = state if state is not None else self.runner.result("state")
        for e in state.get("inFlight", []):
            if e["action"] == self.opts.action and e["region"] == self.target:
                self.say(f"  execution {e['executionId']} is already {e['state']}: following it, not starting another")
                return {"executionId": e["executionId"], "attached": True}
        others = [e for e in state.get("inFlight", []) if (e["action"], e["region"]) != (self.opts.action, self.target)]
        if others:
            e = others[0]
            raise StepFailed(
                f"execution {e['executionId']} ({e['action']} {e['region']}) is {e['state']}: finish or cancel it "
                f"before starting {self.opts.action} {self.target}"
            )
        response = self.arc.start_plan_execution(
            planArn=self.plan_arn,
            targetRegion=self.target,
            action=self.opts.action,
            mode=self.opts.mode,
            comment=self.opts.comment[:1024],
            latestVersion="true",
            # One journal, one execution: a retried start (crash between call and journal) is not a second failover.
            clientToken=f"ops-{self.evidence.directory.name}"[:128],
        )
        self.evidence.set_event("startRequestedAt", self.clock.now())
        return {"executionId": response["executionId"], "planVersion": response.get("planVersion"), "attached": False}

    def _poll(self, execution_id: str) -> str:
        response = self.arc.get_plan_execution(planArn=self.plan_arn, executionId=execution_id)
        self._execution = response
        # The execution's own clock (AWS's timestamps) measures it, also when this run attached to it late.
        self.evidence.set_event("executionStartedAt", response["startTime"])
        if response.get("endTime"):
            self.evidence.set_event("executionEndedAt", response["endTime"])
        for step in response.get("stepStates", []):
            name, status = step.get("name", "?"), step.get("status", "?")
            if self._steps.get(name) != status:
                self.say(f"  step {name}: {self._steps.get(name, 'notStarted')} → {status}")
                self.runner.observe(f"step {name}", status)
                self._steps[name] = status
        state = response["executionState"]
        if state == "pendingManualApproval":
            return f"{state} (approve it in the Region switch console of {self.target})"
        return str(state)

    def follow(self, execution_id: str | None = None) -> dict[str, Any]:
        execution_id = execution_id or self.runner.result("start")["executionId"]
        try:
            state, _ = self.runner.wait_until(
                f"execution {execution_id} to finish",
                lambda: self._poll(execution_id),
                lambda s: s in DONE_STATES or s in FAILED_STATES or s in PAUSED_STATES,
                timeout=self.opts.timeout,
                interval=self.opts.poll_interval,
            )
        finally:
            self._record_plan_steps()
        response = self._execution
        result = {
            "executionId": execution_id,
            "state": state,
            "mode": response.get("mode"),
            "actualRecoveryTime": response.get("actualRecoveryTime"),
            "reports": [
                (r.get("reportOutput") or {}).get("s3ReportOutput", {}).get("s3ObjectKey")
                or (r.get("reportOutput") or {}).get("failedReportOutput")
                for r in response.get("generatedReportDetails", [])
            ],
        }
        if state not in DONE_STATES:
            failed = self._failed_steps(execution_id)
            result["failedSteps"] = failed
            detail = "; ".join(f"{f['step']}: {f['error']}" for f in failed) or "no step error recorded"
            raise StepFailed(f"execution {execution_id} is {state} ({detail})")
        return result

    def _failed_steps(self, execution_id: str) -> list[dict[str, Any]]:
        events = self.arc.list_plan_execution_events(
            planArn=self.plan_arn, executionId=execution_id, maxResults=100
        ).get("items", [])
        return [
            {"step": e.get("stepName", "?"), "type": e["type"], "error": e.get("error") or e.get("description") or ""}
            for e in events
            if e.get("type") in ("stepFailed", "stepPausedByError", "executionFailed")
        ]

    def step_times(self) -> dict[str, tuple[Any, Any]]:
        """Plan step name -> (startTime, endTime) as the execution recorded them (the drill reads its phases here)."""
        return {s["name"]: (s.get("startTime"), s.get("endTime")) for s in self._execution.get("stepStates", [])}

    def _record_plan_steps(self) -> None:
        """Each plan step as a journal step with the start and end AWS recorded (report table and timeline)."""
        for step in self._execution.get("stepStates", []):
            start = step.get("startTime")
            if start is None:
                continue
            name = f"plan:{step.get('name')}"
            self.evidence.begin_step(name, f"Region switch step {step.get('name')}", start)
            status = {"completed": "done", "skipped": "skipped"}.get(step.get("status", ""), step.get("status", ""))
            self.evidence.end_step(
                name, status, step.get("endTime") or self.clock.now(), {"status": step.get("status")}
            )
        self.evidence.save()

    def _finish(self, reason: str | None) -> tuple[bool, Evidence]:
        evidence = self.evidence
        started, ended = evidence.event("executionStartedAt"), evidence.event("executionEndedAt")
        follow = self.runner.result("follow")
        # The plan's share of the RTO: execution start → end as AWS recorded them (detection comes before).
        rto = seconds_between(started, ended) if follow.get("state") in DONE_STATES else None
        measured: dict[str, Any] = {
            "rtoSeconds": rto,
            "rtoBasis": "Region switch execution startTime → endTime (detection before the start is not included)",
            "executionId": follow.get("executionId") or self.runner.result("start").get("executionId"),
            "executionState": follow.get("state") or self._execution.get("executionState"),
            "actualRecoveryTime": follow.get("actualRecoveryTime"),
            "stepSeconds": {
                s["name"].removeprefix("plan:"): seconds_between(
                    _as_datetime(s.get("startedAt")), _as_datetime(s.get("endedAt"))
                )
                for s in evidence.data["steps"]
                if s["name"].startswith("plan:")
            },
        }
        verdict = judge({"rtoSeconds": self.opts.rto_seconds}, {"rtoSeconds": rto})
        verdict["ok"] = bool(verdict["ok"] and reason is None)
        if reason:
            verdict["reason"] = reason
        evidence.finish(self.clock.now(), measured, verdict, self._next_steps(reason, measured))
        return verdict["ok"], evidence

    def _next_steps(self, reason: str | None, measured: dict[str, Any]) -> list[str]:
        d = self.evidence.directory
        if reason is None:
            return [
                f"Failed over: {self.target} is active. Keep `pulumi up` away from this stack until a reviewed "
                "failback change is merged (docs/runbooks/region-failover.md).",
                "When the other region recovers, re-protect: python -m ops failback "
                f"--stack {self.stack} --outputs {self.o.source} --execute (re-creates the replica there; with "
                "regionSwitchReprotectWorkflows on, the plan's deactivate workflow does it instead).",
            ]
        state = measured.get("executionState")
        if state in PAUSED_STATES:
            return [
                f"Stopped: {reason}.",
                "Fix the cause of the failed step, then resume the execution in the Region switch console of "
                f"{self.target} (or `aws arc-region-switch update-plan-execution --action resume`) and follow it "
                f"again: python -m ops failover --stack {self.stack} --outputs {self.o.source} --execute --resume {d}",
            ]
        if state in IN_FLIGHT_STATES:
            return [
                f"Stopped following: {reason}. The execution goes on in AWS.",
                f"Follow it again: python -m ops failover --stack {self.stack} --outputs {self.o.source} --execute "
                f"--resume {d}",
            ]
        return [
            f"Stopped: {reason}.",
            "Read the failed step's error above and the execution's events in the Region switch console; fix the "
            f"cause and start again (python -m ops failover --stack {self.stack} --outputs {self.o.source} "
            "--execute), or fail over by hand with docs/runbooks/region-failover.md.",
        ]


def _as_datetime(value: Any) -> datetime | None:
    from ops.clock import parse_iso

    if value is None or isinstance(value, datetime):
        return value
    return parse_iso(str(value))


def workflow_steps(flow: dict[str, Any]) -> list[dict[str, Any]]:
    """The workflow's steps in order, a Parallel block's members marked with the block's name."""
    out: list[dict[str, Any]] = []
    for step in flow.get("steps", []):
        if step.get("executionBlockType") == "Parallel":
            members: Sequence[dict[str, Any]] = (
                step.get("executionBlockConfiguration", {}).get("parallelConfig", {}).get("steps", [])
            )
            out += [{"name": m["name"], "type": m["executionBlockType"], "parallel": step["name"]} for m in members]
        else:
            out.append({"name": step["name"], "type": step["executionBlockType"]})
    return out
