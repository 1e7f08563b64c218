"""The drill against moto (server mode) with a scripted outside world on a fake clock."""

from __future__ import annotations

import io
import json
import os
import signal
from pathlib import Path

import pytest

from ops.cli import Deps, main
from ops.drill import Drill, DrillOptions, DrillResult, ProductionRefused, World
from ops.evidence import Evidence
from ops.identity import StackIdentity
from tests import ops_support
from tests.ops_support import (
    ACCOUNT,
    DR,
    MOTO_ACCOUNTS,
    PRIMARY,
    FakeCanary,
    MotoStack,
    Timeline,
    arm_on_fault,
    drill_world,
)

# moto server, a stage-like stack in it, a fake clock (fixtures shared by the ops tests)
clock, moto_endpoint, stack = ops_support.clock, ops_support.moto_endpoint, ops_support.stack


class Crash(BaseException):
    """Stands in for the process dying mid-drill (not an Exception: nothing catches it)."""


def run_drill(
    stack: MotoStack,
    clock,
    tmp_path: Path,
    timeline: Timeline,
    *,
    canary: bool = True,
    resume: Path | None = None,
    down_after: float | None = None,
    **options,
) -> tuple[DrillResult, Evidence, list[str]]:
    factory = arm_on_fault(stack.factory(), timeline)
    writer = FakeCanary(clock, timeline, down_after=down_after) if canary else None
    world = drill_world(clock, timeline, writer)
    progress: list[str] = []
    drill = Drill(
        "stage",
        stack.outputs(),
        factory,
        clock,
        world,
        DrillOptions(**options),
        progress=progress.append,
        identity=StackIdentity("stage", ACCOUNT, production=False),
    )
    evidence = drill.open(tmp_path, resume)
    return drill.run(evidence), evidence, progress


def api_calls(evidence: Evidence, operation: str) -> list[dict]:
    return [c for s in evidence.data["steps"] for c in s["apiCalls"] if c["operation"] == operation]


def test_passing_drill_promotes_repoints_and_meets_objectives(stack, clock, tmp_path):
    # a real fault: the old primary stops acknowledging writes the moment the fault is in
    result, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock, good_after=400), down_after=0)

    assert result.ok, result.reason
    assert stack.health_check()["Inverted"] is True
    assert not stack.replica().get("ReadReplicaSourceDBInstanceIdentifier")
    assert stack.parameter(DR) == stack.data["dbReplicaEndpoint"]
    assert stack.parameter(PRIMARY) == stack.data["dbPrimaryEndpoint"]  # only the DR region is re-pointed
    measured = evidence.data["measured"]
    assert 400 <= measured["rtoSeconds"] <= 400 + 5  # first 2xx scripted 400 s after the fault, 5 s probes
    assert measured["rpoSeconds"] == pytest.approx(3.0, abs=1.0)  # canary visible up to 2.5 s before the fault
    assert measured["rpo"]["lostRows"] >= 2 and measured["rpo"]["splitBrainRows"] == 0


def test_promoted_writer_keeps_the_stacks_backup_retention_not_a_tool_default(stack, clock, tmp_path):
    result, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock), down_after=0)

    assert result.ok, result.reason
    assert stack.replica()["BackupRetentionPeriod"] == 14  # dbBackupRetentionDays; the old default cut it to 7
    assert evidence.step("promote-replica")["result"]["backupRetentionFrom"] == "outputs.json dbBackupRetentionDays"


def test_writes_the_old_primary_acknowledged_after_the_fault_are_lost_rows_counted_in_rpo(stack, clock, tmp_path):
    # The health-check lever alone: the old primary stays writable and the canary keeps writing to it until fenced.
    result, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock), down_after=None)

    rpo = evidence.data["measured"]["rpo"]
    fenced = evidence.event("fencedAt")
    newest = rpo["newestVisible"]
    assert fenced is not None and api_calls(evidence, "StopDBInstance")[0]["region"] == PRIMARY
    assert rpo["splitBrainRows"] > 0 and rpo["rowsOnOldPrimary"] > rpo["rowsOnPromoted"]
    assert rpo["lostRows"] == rpo["rowsOnOldPrimary"] - rpo["rowsOnPromoted"]
    assert evidence.data["measured"]["rpoSeconds"] > 60  # the split-brain window, not the 2.5 s replica lag
    assert evidence.data["measured"]["rpoSeconds"] == pytest.approx(
        (fenced - __import__("ops.clock").clock.parse_iso(newest["writtenAt"])).total_seconds(), abs=1.0
    )
    assert "split brain" in (result.directory / "report.md").read_text()
    assert evidence.data["canary"]["errors"]  # the writes the fenced primary refused are kept


def test_without_fencing_the_old_primary_is_not_stopped(stack, clock, tmp_path):
    result, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock), down_after=0, fence=False)

    assert result.ok, result.reason
    assert evidence.step("fence-old-primary") is None and api_calls(evidence, "StopDBInstance") == []


def test_evidence_records_every_step_with_request_ids_and_the_bundle_files(stack, clock, tmp_path):
    result, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock))

    data = json.loads((result.directory / "evidence.json").read_text())
    assert result.directory.name.startswith("stage-")
    assert [s["name"] for s in data["steps"]] == [
        "verify",
        "baseline",
        "inject-fault",
        "wait-unhealthy",
        "wait-dns-secondary",
        "promote-replica",
        "wait-promoted",
        "fence-old-primary",
        "repoint-endpoint",
        "wait-first-2xx",
        "measure-rpo",
    ]
    assert all(s["status"] == "done" and s["startedAt"] and s["endedAt"] for s in data["steps"])
    inverted = api_calls(evidence, "UpdateHealthCheck")
    assert len(inverted) == 1 and inverted[0]["requestId"]
    assert api_calls(evidence, "PromoteReadReplica")[0]["region"] == DR
    assert data["objectives"] == {"rtoSeconds": 900, "rpoSeconds": 300}
    assert data["verdict"]["rto"]["ok"] and data["verdict"]["rpo"]["ok"]
    report = (result.directory / "report.md").read_text()
    assert "**Result: PASS**" in report and "RTO (fault → first good probe" in report
    assert (result.directory / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missed_rto_fails_the_drill_and_names_the_slowest_phase(stack, clock, tmp_path):
    result, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock, good_after=1300), first_good_timeout=1800)

    assert not result.ok
    assert result.verdict["rto"]["ok"] is False and result.verdict["rto"]["measuredSeconds"] >= 1300
    assert result.verdict["rpo"]["ok"] is True
    assert any("RTO missed" in s for s in evidence.data["nextSteps"])
    assert any(s.startswith("reconnectSeconds = ") for s in evidence.data["nextSteps"])
    assert "**Result: FAIL**" in (result.directory / "report.md").read_text()


def test_wait_timeout_stops_the_drill_with_progress_and_a_resume_hint(stack, clock, tmp_path):
    timeline = Timeline(clock, unhealthy_after=None)
    start = clock.now()
    result, evidence, progress = run_drill(stack, clock, tmp_path, timeline, health_timeout=120, poll_interval=10)

    assert not result.ok and result.stopped_at == "wait-unhealthy"
    assert "timed out after 120 s" in (result.reason or "")
    assert 120 <= (clock.now() - start).total_seconds() < 200
    assert any("/120s] waiting for health check" in line for line in progress)
    assert evidence.step("promote-replica") is None  # nothing past the timeout ran
    assert stack.replica().get("ReadReplicaSourceDBInstanceIdentifier")
    undo = "python -m ops failback --stack stage --outputs outputs.json --execute"
    assert any("still INVERTED" in s and "NOT promoted" in s and undo in s for s in evidence.data["nextSteps"])
    assert any("--resume" in s for s in evidence.data["nextSteps"])


def test_throttled_health_poll_is_retried_and_recorded(stack, clock, tmp_path):
    timeline = Timeline(clock, throttle_health_once=True)
    result, evidence, _ = run_drill(stack, clock, tmp_path, timeline)

    assert result.ok
    observations = evidence.step("wait-unhealthy")["observations"]
    assert any("throttled, retrying" in o["what"] for o in observations)


def crashed_waiting_for_dns(stack: MotoStack, clock, tmp_path: Path) -> tuple[Timeline, Path]:
    """A drill whose process died while it waited for DNS: its timeline (to resume with) and the bundle it left."""
    timeline = Timeline(clock)
    timeline.crash_on_dns = Crash()
    with pytest.raises(Crash):
        run_drill(stack, clock, tmp_path, timeline)
    return timeline, next(tmp_path.iterdir())


def test_crash_then_resume_continues_without_repeating_changes(stack, clock, tmp_path):
    timeline, bundle = crashed_waiting_for_dns(stack, clock, tmp_path)
    journal = json.loads((bundle / "evidence.json").read_text())
    fault_at = journal["events"]["faultAt"]
    assert {s["name"]: s["status"] for s in journal["steps"]}["wait-dns-secondary"] == "failed"

    result, evidence, progress = run_drill(stack, clock, tmp_path, timeline, resume=bundle)

    assert result.ok, result.reason
    assert evidence.data["events"]["faultAt"] == fault_at
    assert len(api_calls(evidence, "UpdateHealthCheck")) == 1
    assert len(api_calls(evidence, "PromoteReadReplica")) == 1
    assert evidence.step("wait-dns-secondary")["attempts"] == 2
    assert any("already done (resumed)" in line for line in progress)
    assert len(evidence.data["resumes"]) == 1


def test_promote_step_is_idempotent_when_the_replica_was_already_promoted(stack, clock, tmp_path):
    stack.factory().client("rds", DR).promote_read_replica(
        DBInstanceIdentifier=stack.data["dbReplicaIdentifier"], BackupRetentionPeriod=7
    )
    result, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock), skip_verify=True)

    assert result.ok
    assert evidence.step("promote-replica")["result"] == {"alreadyPromoted": True}
    assert api_calls(evidence, "PromoteReadReplica") == []


def test_without_canary_rpo_is_the_replica_lag_at_the_fault(stack, clock, tmp_path):
    result, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock), canary=False)

    assert result.ok
    assert evidence.data["measured"]["rpoSeconds"] == 4.0  # max ReplicaLag put into moto
    assert "ReplicaLag" in evidence.data["measured"]["rpo"]["basis"]


def test_drill_refuses_to_start_when_verify_fails_and_changes_nothing(moto_endpoint, clock, tmp_path):
    stack = MotoStack(moto_endpoint).build(lag=900)
    result, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock))

    assert not result.ok and result.stopped_at == "verify"
    assert "replica-lag" in (result.reason or "")
    assert stack.health_check().get("Inverted") is False
    assert evidence.data["nextSteps"][0].startswith("Stopped at verify before any change")


def test_drill_object_refuses_production_without_confirmation(stack, clock):
    timeline = Timeline(clock)
    with pytest.raises(ProductionRefused):
        Drill(
            "prod",
            stack.outputs(environment="prod"),
            stack.factory(),
            clock,
            World(health=timeline, dns=timeline, prober=timeline),
        )


# --- through the CLI ----------------------------------------------------------------------------------------------


def cli(argv: list[str], **deps) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    deps.setdefault("accounts", MOTO_ACCOUNTS)
    code = main(argv, Deps(stdout=out, stderr=err, **deps))
    return code, out.getvalue(), err.getvalue()


PROD_ACCOUNT = MOTO_ACCOUNTS["prod"][0]


def in_account(path: Path, account: str) -> Path:
    """The same outputs with every ARN in `account` (another stack's outputs)."""
    path.write_text(path.read_text().replace(f":{ACCOUNT}:", f":{account}:"))
    return path


def test_cli_refuses_prod_without_confirm_production_exit_2(stack, tmp_path):
    outputs = in_account(stack.write(tmp_path / "prod.json", environment="prod"), PROD_ACCOUNT)
    code, out, err = cli(["drill", "--stack", "prod", "--outputs", str(outputs), "--execute"])

    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "--confirm-production prod" in err
    assert stack.health_check().get("Inverted") is False


def test_cli_prod_dry_run_with_confirmation_prints_the_plan(stack, tmp_path):
    outputs = in_account(stack.write(tmp_path / "prod.json", environment="prod"), PROD_ACCOUNT)
    code, out, _ = cli(
        ["drill", "--stack", "prod", "--outputs", str(outputs), "--confirm-production", "prod", "--format", "json"]
    )

    assert code == 0 and json.loads(out)["mode"] == "dry-run"


def test_cli_execute_missed_rto_exits_1_with_json_evidence(stack, clock, tmp_path):
    timeline = Timeline(clock, good_after=1000)
    factory = arm_on_fault(stack.factory(), timeline)
    world = World(health=timeline, dns=timeline, prober=timeline)
    outputs = stack.write(tmp_path / "outputs.json")
    code, out, err = cli(
        [
            "drill",
            "--stack",
            "stage",
            "--outputs",
            str(outputs),
            "--execute",
            "--skip-verify",
            "--evidence-dir",
            str(tmp_path / "ev"),
            "--format",
            "json",
        ],
        factory=factory,
        clock=clock,
        world=world,
    )

    document = json.loads(out)
    assert code == 1
    assert document["verdict"]["rto"]["ok"] is False
    assert Path(document["evidence"], "report.md").is_file()
    assert "waiting for a 2xx" in err  # progress goes to stderr, the document to stdout


# --- identity, not labels ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", [None, "stage"], ids=["unlabelled", "labelled-stage"])
def test_prod_outputs_without_or_with_a_wrong_environment_label_are_refused_for_stage(stack, tmp_path, label):
    outputs = in_account(stack.write(tmp_path / "outputs.json", environment=label), PROD_ACCOUNT)
    code, out, err = cli(["drill", "--stack", "stage", "--outputs", str(outputs), "--execute"], factory=stack.factory())

    assert (code, out) == (2, "")
    assert err == (
        f"ops drill: {outputs}: dbPrimaryArn is in account {PROD_ACCOUNT}, but stack stage is awsAccountId {ACCOUNT} "
        "(Pulumi.stage.yaml) — these are another stack's outputs\n"
    )
    assert stack.health_check().get("Inverted") is False


def test_a_stack_name_without_a_stack_file_is_refused(stack, tmp_path):
    outputs = stack.write(tmp_path / "outputs.json", environment=None)
    code, _, err = cli(["drill", "--stack", "production", "--outputs", str(outputs), "--execute"])

    assert code == 2
    assert err == (
        "ops drill: --stack production: no Pulumi.production.yaml with summit-resilience:awsAccountId "
        "(stacks: dev, prod, stage)\n"
    )


def test_credentials_of_another_account_are_refused_before_any_change(stack, clock, tmp_path):
    other = "555555555555"  # the stack file says stage is this account; moto's caller is ACCOUNT
    outputs = in_account(stack.write(tmp_path / "outputs.json"), other)
    timeline = Timeline(clock)
    code, _, err = cli(
        ["drill", "--stack", "stage", "--outputs", str(outputs), "--execute", "--evidence-dir", str(tmp_path / "ev")],
        factory=stack.factory(),
        clock=clock,
        world=World(health=timeline, dns=timeline, prober=timeline),
        accounts={**MOTO_ACCOUNTS, "stage": (other, "stage")},
    )

    assert code == 2
    assert err.startswith(f"ops drill: credentials are for account {ACCOUNT} (")
    assert err.endswith(f"but stack stage is awsAccountId {other} (Pulumi.stage.yaml)\n")
    assert not (tmp_path / "ev").exists() and stack.health_check().get("Inverted") is False


def test_an_account_shared_with_a_prod_stack_is_prod_whatever_the_labels_say(stack, tmp_path):
    outputs = stack.write(tmp_path / "outputs.json")  # labelled stage, --stack stage
    code, _, err = cli(
        ["drill", "--stack", "stage", "--outputs", str(outputs), "--execute"],
        factory=stack.factory(),
        accounts={**MOTO_ACCOUNTS, "prod": (ACCOUNT, "prod")},
    )

    assert code == 2
    assert "its account is a prod stack's account): add --confirm-production prod" in err
    assert stack.health_check().get("Inverted") is False


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_non_finite_objectives_are_refused(value):
    code, _, err = cli(["drill", "--stack", "stage", "--outputs", "o.json", f"--rto-seconds={value}"])

    assert code == 2
    assert f"argument --rto-seconds: expected a finite number, got '{value}'" in err


# --- always undoable ----------------------------------------------------------------------------------------------


class SilentDns(Timeline):
    def answer(self, fqdn):
        return ()


def test_no_fault_is_injected_when_dns_cannot_be_observed_at_baseline(stack, clock, tmp_path):
    result, evidence, _ = run_drill(stack, clock, tmp_path, SilentDns(clock), skip_verify=True)

    assert not result.ok and result.stopped_at == "baseline"
    assert "no fault was injected" in (result.reason or "") and "has no answer" in (result.reason or "")
    assert stack.health_check().get("Inverted") is False
    assert result.verdict["state"] == "unchanged" and result.verdict["undo"] is None
    assert evidence.data["nextSteps"][0].endswith(
        "Nothing was changed; nothing to undo. Fix that and run the drill again."
    )


class SigtermAt(Timeline):
    """SIGTERM to this process while the drill waits for the first good probe (after the promotion)."""

    def probe(self, url):
        if self.fenced_at is not None:
            os.kill(os.getpid(), signal.SIGTERM)
        return super().probe(url)


STOP_POINTS = {
    # before the fault: verify fails (replica lag above the RPO)
    "before-fault": dict(build={"lag": 900}, timeline={}, options={}),
    # after the fault, before promotion: the health check never turns Unhealthy
    "after-fault": dict(build={}, timeline={"unhealthy_after": None}, options={"health_timeout": 60}),
    # after promotion: the app never answers 2xx
    "after-promotion": dict(build={}, timeline={"good_after": None}, options={"first_good_timeout": 60}),
}


@pytest.mark.parametrize("point", [*STOP_POINTS, "sigterm"])
def test_failback_undoes_the_drill_from_every_stop_point(moto_endpoint, clock, tmp_path, point):
    spec = STOP_POINTS.get(point, dict(build={}, timeline={}, options={}))
    stack = MotoStack(moto_endpoint).build(**spec["build"])
    timeline = (SigtermAt if point == "sigterm" else Timeline)(clock, **spec["timeline"])
    outputs = stack.write(tmp_path / "outputs.json")
    code, _, err = cli(
        ["drill", "--stack", "stage", "--outputs", str(outputs), "--execute", "--evidence-dir", str(tmp_path / "ev")]
        + [f"--{k.replace('_', '-')}={v}" for k, v in spec["options"].items()],
        factory=arm_on_fault(stack.factory(), timeline),
        clock=clock,
        world=drill_world(clock, timeline),
    )
    bundle = next((tmp_path / "ev").iterdir())
    journal = json.loads((bundle / "evidence.json").read_text())
    report = (bundle / "report.md").read_text()
    assert code == (143 if point == "sigterm" else 1), err
    assert journal["endedAt"] and "## State left behind" in report  # every stop point leaves journal and report

    undo = journal["verdict"]["undo"]
    if point == "before-fault":
        assert undo is None and "Nothing to undo." in report
        return
    assert undo == f"python -m ops failback --stack stage --outputs {outputs} --execute" and f"`{undo}`" in report
    code, _, err = cli(
        [*undo.split()[3:], "--evidence-dir", str(tmp_path / "fb"), "--poll-interval", "1"],
        factory=stack.factory(),
        clock=clock,
        health=Timeline(clock),
    )

    assert code == 0, err
    assert stack.health_check()["Inverted"] is False
    promoted = point in ("after-promotion", "sigterm")
    assert bool(stack.replica().get("ReadReplicaSourceDBInstanceIdentifier")) is not promoted
    if promoted:
        assert stack.parameter(PRIMARY) == stack.data["dbReplicaEndpoint"]  # both regions write to the writer


# --- evidence a person can read -------------------------------------------------------------------------------


def test_a_resumed_step_keeps_the_first_attempts_timing_and_error_beside_the_second(stack, clock, tmp_path):
    timeline, bundle = crashed_waiting_for_dns(stack, clock, tmp_path)
    first = {s["name"]: s for s in json.loads((bundle / "evidence.json").read_text())["steps"]}["wait-dns-secondary"]
    clock.sleep(60)  # the operator resumes a minute later

    result, evidence, _ = run_drill(stack, clock, tmp_path, timeline, resume=bundle)

    step = evidence.step("wait-dns-secondary")
    assert step["previousAttempts"] == [
        {"startedAt": first["startedAt"], "endedAt": first["endedAt"], "status": "failed", "error": first["error"]}
    ]
    assert step["startedAt"] != first["startedAt"] and step["status"] == "done"
    assert "| ↳ attempt 1 | failed |" in (result.directory / "report.md").read_text()


def test_objectives_of_a_drill_stopped_before_measuring_are_not_run_not_failed(moto_endpoint, clock, tmp_path):
    stack = MotoStack(moto_endpoint).build(lag=900)
    result, _, _ = run_drill(stack, clock, tmp_path, Timeline(clock))

    assert result.verdict["rto"]["notRun"] and result.verdict["rpo"]["notRun"]
    report = (result.directory / "report.md").read_text()
    assert "| RTO (fault → first good probe / write) | ≤ 900.0 s | not run | not run |" in report
    assert "— FAIL" not in report


def test_no_phase_advice_when_the_rto_is_met_nor_lag_advice_far_below_the_rpo(stack, clock, tmp_path):
    result, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock), down_after=0)

    assert result.ok
    text = " ".join(evidence.data["nextSteps"])
    assert "Slowest phase" not in text and "detectionSeconds =" not in text and "Replica lag" not in text


def test_only_the_phases_that_threaten_a_missed_rto_get_advice(stack, clock, tmp_path):
    # reconnect takes ~1300 s of a 900 s RTO; detection 30 s and DNS 90 s are not the problem
    _, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock, good_after=1300), first_good_timeout=1800)

    advice = [s for s in evidence.data["nextSteps"] if "Seconds = " in s]
    assert [s.split(" ")[0] for s in advice] == ["reconnectSeconds"]


def test_a_finished_drill_publishes_its_measurements_to_cloudwatch_in_the_dr_region(stack, clock, tmp_path):
    _, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock), down_after=0)

    from components.dashboards import DRILL_METRICS, DRILL_NAMESPACE
    from ops.drill import METRIC_NAMESPACE

    assert METRIC_NAMESPACE == DRILL_NAMESPACE  # the DR dashboard graphs what the drill publishes
    listed = stack.factory().client("cloudwatch", DR).list_metrics(Namespace=METRIC_NAMESPACE)["Metrics"]
    names = {m["MetricName"] for m in listed if {"Name": "Environment", "Value": "stage"} in m["Dimensions"]}
    assert set(DRILL_METRICS) | {"LostCanaryRows", "DrillSucceeded"} <= names
    assert evidence.data["measured"]["published"] == [
        "MeasuredRtoSeconds",
        "MeasuredRpoSeconds",
        "LostCanaryRows",
        "DrillSucceeded",
    ]


# --- the timeline ---------------------------------------------------------------------------------------------


def _figure(data):
    from ops.evidence import timeline_figure

    fig = timeline_figure(data)
    fig.canvas.draw()
    return fig


def _labels(ax):
    return [t.get_text() for t in ax.get_yticklabels()]


def test_timeline_labels_every_row_including_the_probes(stack, clock, tmp_path):
    _, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock), down_after=0)

    labels = _labels(_figure(evidence.data).axes[0])
    assert labels == [s["name"] for s in evidence.data["steps"]] + ["probes (HTTP)"]


def test_timeline_legend_sits_outside_the_plot_and_names_every_marker(stack, clock, tmp_path):
    _, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock), down_after=0)

    fig = _figure(evidence.data)
    ax = fig.axes[0]
    legend = ax.get_legend()
    renderer = fig.canvas.get_renderer()
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1  # covers no bar
    names = {t.get_text() for t in legend.get_texts()}
    assert {"fault injected", "replica promoted", "old primary fenced", "first good probe", "probe 2xx"} <= names


def test_timeline_marks_an_interruption_and_the_earlier_attempt(stack, clock, tmp_path):
    timeline, bundle = crashed_waiting_for_dns(stack, clock, tmp_path)
    clock.sleep(120)  # nobody watching for two minutes
    _, evidence, _ = run_drill(stack, clock, tmp_path, timeline, resume=bundle)

    names = {t.get_text() for t in _figure(evidence.data).axes[0].get_legend().get_texts()}
    assert {"interrupted (resumed)", "earlier attempt"} <= names
    from ops.evidence import interruptions

    ((start, end),) = interruptions(evidence.data)
    assert end == evidence.data["resumes"][0] and start < end


def test_timeline_marks_where_a_stopped_drill_stopped(stack, clock, tmp_path):
    _, evidence, _ = run_drill(stack, clock, tmp_path, Timeline(clock, unhealthy_after=None), health_timeout=60)

    fig = _figure(evidence.data)
    assert "stopped at wait-unhealthy" in {t.get_text() for t in fig.axes[0].get_legend().get_texts()}
    assert fig.axes[0].get_title().endswith("STOPPED")


def test_a_short_recovery_gets_a_zoomed_panel_and_a_long_one_does_not(stack, clock, tmp_path):
    _, long_run, _ = run_drill(stack, clock, tmp_path / "long", Timeline(clock), down_after=0)
    short = json.loads(json.dumps(long_run.data))
    fault = __import__("ops.clock").clock.parse_iso(short["events"]["faultAt"])
    from datetime import timedelta as td

    from ops.clock import iso

    short["events"]["firstGoodProbeAt"] = iso(fault + td(seconds=0.3))  # the lab's 0.3 s failover

    assert len(_figure(long_run.data).axes) == 1
    zoomed = _figure(short).axes
    assert len(zoomed) == 2 and zoomed[1].get_title().startswith("recovery, zoomed: 0.300 s")
    lo, hi = zoomed[1].get_xlim()
    assert hi - lo < 1.0


def test_zero_attempts_per_call_is_refused():
    code, _, err = cli(["drill", "--stack", "stage", "--outputs", "o.json", "--max-attempts", "0"])

    assert code == 2
    assert "argument --max-attempts: expected a positive whole number, got '0'" in err


# --- real faults from the stack's FIS templates -------------------------------------------------------------


def fis_drill(stack, clock, tmp_path, **options):
    template = stack.fis_template()
    stack.data["chaosExperimentTemplateIds"] = {"primary-db-reboot": template}
    return template, *run_drill(
        stack, clock, tmp_path, Timeline(clock), fis_experiments=("primary-db-reboot",), **options
    )


def test_a_named_fis_experiment_starts_with_the_fault(stack, clock, tmp_path):
    template, result, evidence, _ = fis_drill(stack, clock, tmp_path, down_after=0)

    assert result.ok, result.reason
    experiments = stack.factory().client("fis", PRIMARY).list_experiments()["experiments"]
    (started,) = [e for e in experiments if e["experimentTemplateId"] == template]
    assert evidence.step("inject-fault")["result"]["fisExperiments"] == {"primary-db-reboot": started["id"]}
    assert evidence.data["events"]["fisStartedAt"] <= evidence.data["events"]["faultAt"]
    assert api_calls(evidence, "StartExperiment")[0]["region"] == PRIMARY


def test_failback_stops_the_stacks_experiments_still_running(stack, clock, tmp_path):
    from ops.failback import Failback, FailbackOptions

    template, *_ = fis_drill(stack, clock, tmp_path / "drill", down_after=0)
    fis = stack.factory().client("fis", PRIMARY)
    running = [e["id"] for e in fis.list_experiments()["experiments"] if e["experimentTemplateId"] == template]

    ok, evidence = Failback(
        "stage", stack.outputs(), stack.factory(), clock, Timeline(clock), FailbackOptions(poll_interval=1)
    ).run(tmp_path / "fb")

    assert ok, evidence.data["verdict"]
    assert evidence.step("stop-experiments")["result"]["stopped"] == running
    states = {e["id"]: e["state"]["status"] for e in fis.list_experiments()["experiments"]}
    assert all(states[i] in ("stopping", "stopped") for i in running)


def test_an_unknown_fis_experiment_name_is_one_line_before_anything_runs(stack, tmp_path):
    outputs = stack.write(tmp_path / "outputs.json")
    code, _, err = cli(
        ["drill", "--stack", "stage", "--outputs", str(outputs), "--execute", "--fis-experiment", "meteor"],
        factory=stack.factory(),
    )

    assert code == 2
    assert err == (
        f"ops drill: --fis-experiment meteor: not in {outputs} chaosExperimentTemplateIds "
        "(none (chaosExperimentsEnabled is off))\n"
    )
