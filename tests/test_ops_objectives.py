"""Recovery objectives: read from the stack's policy config (recovery-budget), flags override, sources recorded."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from ops.cli import Deps, main
from ops.drill import Drill, DrillOptions, World
from ops.objectives import RPO, RTO, resolve
from tests import ops_support
from tests.ops_support import FIXTURE, StaticVelero, Timeline, arm_on_fault, velero_objects

clock, moto_endpoint, stack = ops_support.clock, ops_support.moto_endpoint, ops_support.stack

POLICY_CONFIG = Path(__file__).resolve().parent.parent / "policy" / "config"


def cli(argv: list[str], **deps) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Deps(stdout=out, stderr=err, **deps))
    return code, out.getvalue(), err.getvalue()


def write_config(tmp_path: Path, budget: object) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"recovery-budget": budget}))
    return path


def dry_run(*extra: str) -> tuple[int, str, str]:
    return cli(["drill", "--stack", "stage", "--outputs", str(FIXTURE), "--format", "json", *extra])


@pytest.mark.parametrize("stack_name", ["dev", "stage", "prod"])
def test_objectives_come_from_the_stacks_policy_config(stack_name):
    budget = json.loads((POLICY_CONFIG / f"{stack_name}.json").read_text())["recovery-budget"]

    objectives = resolve(stack_name, {RTO: None, RPO: None})

    assert objectives.seconds == {RTO: budget["rtoSeconds"], RPO: budget["rpoSeconds"]}
    assert objectives.sources[RTO] == f"policy/config/{stack_name}.json (recovery-budget.rtoSeconds)"
    assert objectives.phase_budget == {"dbPromotionSeconds": 300, "appReconnectSeconds": 60}


def test_schema_defaults_fill_what_the_file_leaves_out_and_say_so(tmp_path):
    path = write_config(tmp_path, {"enforcementLevel": "mandatory", "rtoSeconds": 600})

    objectives = resolve("stage", {RTO: None, RPO: None}, config_file=path)

    assert objectives.seconds == {RTO: 600, RPO: 300}
    assert objectives.sources[RTO] == f"{path} (recovery-budget.rtoSeconds)"
    assert objectives.sources[RPO] == f"{path} (recovery-budget.rpoSeconds, schema default)"


def test_database_class_objective_is_the_drills_rpo(tmp_path):
    path = write_config(tmp_path, {"rpoSeconds": 300, "rpoSecondsByClass": {"database": 120, "s3": 900}})

    objectives = resolve("stage", {RPO: None}, config_file=path)

    assert objectives.seconds == {RPO: 120}
    assert "recovery-budget.rpoSecondsByClass.database" in objectives.sources[RPO]


def test_dry_run_plan_names_the_policy_config_as_the_source():
    code, out, _ = dry_run()

    assert code == 0
    assert (
        "Objectives: RTO 900 s from policy/config/stage.json (recovery-budget.rtoSeconds); "
        "RPO 300 s from policy/config/stage.json (recovery-budget.rpoSeconds)." in json.loads(out)["notes"]
    )


def test_a_flag_overrides_the_policy_config_for_its_objective_only(tmp_path):
    path = write_config(tmp_path, {"rtoSeconds": 600, "rpoSeconds": 120})

    code, out, _ = dry_run("--policy-config", str(path), "--rto-seconds", "450")

    assert code == 0
    assert (
        f"Objectives: RTO 450 s from --rto-seconds; RPO 120 s from {path} (recovery-budget.rpoSeconds)."
        in (json.loads(out)["notes"])
    )


def test_both_flags_need_no_policy_config(tmp_path):
    code, out, err = dry_run(
        "--policy-config", str(tmp_path / "absent.json"), "--rto-seconds", "1", "--rpo-seconds", "2"
    )

    assert code == 0, err
    assert "Objectives: RTO 1 s from --rto-seconds; RPO 2 s from --rpo-seconds." in json.loads(out)["notes"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "absent.json: file not found"),
        ("{not json", "malformed JSON"),
        ('{"recovery-budget": [1]}', "recovery-budget: expected an enforcement level or an object"),
        ('{"recovery-budget": {"rtoSeconds": "fast"}}', "recovery-budget: rtoSeconds: 'fast' is not of type 'integer'"),
        ('{"recovery-budget": {"rtoSeconds": 0}}', "recovery-budget: rtoSeconds: 0 is less than the minimum of 1"),
        ('{"recovery-budget": {"rto": 600}}', "recovery-budget: rto: unknown property"),
        ('{"recovery-budget": {"rpoSecondsByClass": {"database": null}}}', "rpoSecondsByClass.database is null"),
        (
            '{\n  "recovery-budget": {\n    "rpoSeconds": 60,\n    "rpoSeconds": 86400\n  }\n}\n',
            'recovery-budget: key "rpoSeconds" set twice (lines 3 and 4); the last would silently win, keep one',
        ),
        ('{"recovery-budget": {"rpoSeconds": NaN}}', "recovery-budget.rpoSeconds: NaN is not a JSON number"),
    ],
)
def test_missing_or_malformed_policy_config_is_one_line_and_exit_2(tmp_path, content, message):
    path = tmp_path / "absent.json"
    if content is not None:
        path.write_text(content)

    code, out, err = dry_run("--policy-config", str(path), "--rto-seconds", "600")

    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1
    assert err.startswith(f"ops drill: {path}")


def test_verify_judges_lag_against_the_policy_configs_rpo(stack, clock, tmp_path):
    path = write_config(tmp_path, {"rpoSeconds": 2})  # the stack's max ReplicaLag is 4 s
    argv = ["verify", "--stack", "stage", "--outputs", str(stack.write(tmp_path / "outputs.json"))]
    argv += ["--format", "json", "--policy-config", str(path)]
    velero = StaticVelero(velero_objects(clock.now(), backup_age=timedelta(minutes=5)))

    code, out, _ = cli(argv, factory=stack.factory(), clock=clock, velero=velero)

    document = json.loads(out)
    assert code == 1
    assert document["objectives"] == {RPO: {"seconds": 2, "source": f"{path} (recovery-budget.rpoSeconds)"}}
    assert [c["name"] for c in document["checks"] if c["status"] == "fail"] == ["replica-lag"]


def test_drill_evidence_and_report_record_where_each_objective_came_from(stack, clock, tmp_path):
    timeline = Timeline(clock)
    argv = ["drill", "--stack", "stage", "--outputs", str(stack.write(tmp_path / "outputs.json")), "--execute"]
    argv += ["--skip-verify", "--evidence-dir", str(tmp_path / "ev"), "--rpo-seconds", "60"]

    code, out, err = cli(
        argv,
        factory=arm_on_fault(stack.factory(), timeline),
        clock=clock,
        world=World(health=timeline, dns=timeline, prober=timeline),
        accounts=ops_support.MOTO_ACCOUNTS,  # the moto world is the stage account
    )

    assert code == 0, err
    bundle = next((tmp_path / "ev").iterdir())
    evidence = json.loads((bundle / "evidence.json").read_text())
    assert evidence["objectives"] == {RTO: 900, RPO: 60}
    assert evidence["objectiveSources"] == {
        RTO: "policy/config/stage.json (recovery-budget.rtoSeconds)",
        RPO: "--rpo-seconds",
    }
    report = (bundle / "report.md").read_text()
    assert "rtoSeconds — policy/config/stage.json (recovery-budget.rtoSeconds)" in report
    assert "rpoSeconds — --rpo-seconds" in report
    assert "rtoSeconds objective from policy/config/stage.json" in out


def test_drill_flags_a_phase_slower_than_the_recovery_budget_assumes(stack, clock, tmp_path):
    timeline = Timeline(clock, good_after=400)
    options = DrillOptions(skip_verify=True, phase_budget={"dbPromotionSeconds": 300, "appReconnectSeconds": 60})
    world = World(health=timeline, dns=timeline, prober=timeline)
    drill = Drill("stage", stack.outputs(), arm_on_fault(stack.factory(), timeline), clock, world, options)

    result = drill.run(drill.open(tmp_path))

    assert result.ok  # a phase over its assumed term is advice, not a missed objective
    advice = [s for s in drill.runner.evidence.data["nextSteps"] if "exceeds" in s]
    assert len(advice) == 1
    assert advice[0].startswith("reconnectSeconds = ") and "appReconnectSeconds 60 s" in advice[0]
