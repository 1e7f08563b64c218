"""dr-drill.yml's drill and switch-back jobs, executed step by step against moto (a documented local harness).

Every `run:` step of a job runs as GitHub would run it (`bash -e`, the job's env, `$GITHUB_ENV` carried from step
to step, `$GITHUB_OUTPUT` read into step and job outputs, `if:` conditions), in a scratch directory (one per job: jobs
run on separate runners) holding the repository's `.venv` and `.github`. What a runner
would get from elsewhere is stubbed at the edge: `pulumi stack output` prints a moto stack's outputs, `aws` (EKS
kubeconfig, SNS publish) only records its arguments. `python -m ops` runs unchanged: AWS calls go to moto (in the
stage account of Pulumi.stage.yaml, so the identity check passes for real), and DNS, the HTTP probe and the canary's
PostgreSQL come from tests/workflow_world/sitecustomize.py, which derives them from moto's state.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ops import topology
from tests import ops_support
from tests.ops_support import DR, PRIMARY, MotoStack, set_failback_lag

moto_endpoint = ops_support.moto_endpoint

ROOT = Path(__file__).resolve().parent.parent
WORLD = Path(__file__).resolve().parent / "workflow_world"
STAGE_ACCOUNT = "321098765432"  # Pulumi.stage.yaml awsAccountId
SKIP_REASON = "no cluster access from the drill runner (vars.DRILL_EKS_CLUSTER is unset)"


def workflow_job(job_id: str) -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / ".github" / "workflows" / "dr-drill.yml").read_text())
    return dict(doc["jobs"][job_id])


# A scheduled stage run: stack stage in environment stage, no inputs, no vars or secrets set.
SCHEDULED = {
    "needs.gate.outputs.stack": "stage",
    "needs.gate.outputs.environment": "stage",
    "inputs.confirm_production": "",
}
GATE = {"result": "success", "outputs": {"stack": "stage", "environment": "stage"}}
EXPRESSION = r"\$\{\{\s*([^}]+?)\s*\}\}"


def expand(value: str, known: dict[str, str] = SCHEDULED) -> str:
    """The job's `${{ }}` expressions: what `known` says, anything else (vars, secrets) unset."""
    return re.sub(EXPRESSION, lambda m: known.get(m.group(1), ""), value)


def needs_context(needs: dict[str, dict[str, Any]]) -> dict[str, str]:
    """`needs.JOB.result` and `needs.JOB.outputs.NAME` of finished jobs ({job: {"result", "outputs"}})."""
    known = {f"needs.{j}.result": str(n["result"]) for j, n in needs.items()}
    return known | {f"needs.{j}.outputs.{k}": v for j, n in needs.items() for k, v in n["outputs"].items()}


def job_runs(job: dict[str, Any], needs: dict[str, dict[str, Any]]) -> bool:
    """A job-level `if:` of `&&`-joined `always()` and `needs.JOB.(result|outputs.NAME) ==/!= 'VALUE'` terms."""
    known = needs_context(needs)
    text = str(job.get("if", "success()"))
    result = "always()" in text or all(n["result"] == "success" for n in needs.values())
    for term in (t.strip() for t in text.split("&&")):
        if term in ("always()", "success()"):
            continue
        m = re.fullmatch(r"(needs\.[\w-]+\.(?:result|outputs\.\w+)) (==|!=) '([^']*)'", term)
        assert m, f"the harness does not know the job condition {term!r}"
        equal = known.get(m.group(1), "") == m.group(3)
        result = result and (equal if m.group(2) == "==" else not equal)
    return result


def condition(
    text: str, failed: bool, ran: set[str], env: dict[str, str], outputs: dict[str, dict[str, str]] | None = None
) -> bool:
    """The `if:` forms the job uses; anything else fails the test (the harness must learn it first)."""
    result = True
    for term in (t.strip() for t in text.split("&&")):
        if term in ("always()", "success()"):
            continue
        if term == "failure()":
            result = result and failed
        elif m := re.fullmatch(r"steps\.(\w+)\.outcome != 'skipped'", term):
            result = result and m.group(1) in ran
        elif m := re.fullmatch(r"env\.(\w+) != ''", term):
            result = result and bool(env.get(m.group(1)))
        elif m := re.fullmatch(r"steps\.(\w+)\.outputs\.(\w+) == '([^']*)'", term):
            result = result and (outputs or {}).get(m.group(1), {}).get(m.group(2)) == m.group(3)
        else:
            raise AssertionError(f"the harness does not know the condition {term!r}")
    return result if "always()" in text or "failure()" in text else result and not failed


def stub(directory: Path, name: str, script: str) -> None:
    path = directory / name
    path.write_text("#!/bin/bash\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def run_job(
    tmp_path: Path,
    endpoint: str,
    outputs: dict[str, Any],
    job_id: str = "drill",
    needs: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    tmp_path = tmp_path / job_id  # a fresh runner per job: nothing on disk is shared between jobs
    tmp_path.mkdir()
    work, bin_dir = tmp_path / "work", tmp_path / "bin"
    work.mkdir()
    bin_dir.mkdir()
    (work / ".venv").symlink_to(ROOT / ".venv")
    (work / ".github").symlink_to(ROOT / ".github")
    full, redacted = tmp_path / "outputs.full.json", tmp_path / "outputs.redacted.json"
    full.write_text(json.dumps(outputs))
    redacted.write_text(json.dumps({**outputs, "dbSecretArn": "[secret]"}))
    log = tmp_path / "aws.log"
    stub(bin_dir, "pulumi", f'case " $* " in *" --show-secrets "*) cat {full} ;; *) cat {redacted} ;; esac\n')
    stub(bin_dir, "aws", f'echo "$*" >> {log}\n')
    github_env = tmp_path / "github_env"
    github_env.touch()
    github_output = tmp_path / "github_output"
    job = workflow_job(job_id)
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "GITHUB_ENV": str(github_env),
        "GITHUB_OUTPUT": str(github_output),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary"),
        "GITHUB_RUN_ID": "4242",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "summit/resilience",
        "RUNNER_TEMP": str(tmp_path),
        "PYTHONPATH": f"{WORLD}:{ROOT}",
        "OPS_WORLD_OUTPUTS": str(full),
        "OPS_AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": PRIMARY,
        **{k: expand(str(v), SCHEDULED | needs_context(needs or {})) for k, v in job["env"].items()},
    }
    failed, ran, results = False, set(), []
    step_outputs: dict[str, dict[str, str]] = {}
    for step in job["steps"]:
        if "run" not in step or step["run"].strip() == "make setup":
            continue  # actions (checkout, caches, CLI installs, credentials, upload) and the venv build
        if not condition(step.get("if", "success()"), failed, ran, env, step_outputs):
            continue
        github_output.write_text("")  # each step gets its own $GITHUB_OUTPUT file
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        ran.add(step.get("id", step.get("name", "")))
        results.append({"name": step.get("name"), "code": proc.returncode, "stderr": proc.stderr})
        failed = failed or proc.returncode != 0
        for line in github_env.read_text().splitlines():
            key, _, value = line.partition("=")
            env[key] = value
        if "id" in step:
            step_outputs[step["id"]] = dict(line.partition("=")[::2] for line in github_output.read_text().splitlines())
    evidence = work / "evidence"
    bundles = sorted(b for b in evidence.iterdir() if b.is_dir()) if evidence.exists() else []

    def job_output(value: str) -> str:  # `${{ steps.ID.outputs.NAME }}`, as GitHub resolves a job's outputs
        m = re.fullmatch(EXPRESSION, value.strip())
        step, _, name = (m.group(1) if m else "").removeprefix("steps.").partition(".outputs.")
        return step_outputs.get(step, {}).get(name, "")

    return {
        "result": "failure" if failed else "success",
        "failed": failed,
        "outputs": {k: job_output(str(v)) for k, v in (job.get("outputs") or {}).items()},
        "steps": results,
        "aws": log.read_text().splitlines() if log.exists() else [],
        "bundles": {b.name.split("-2")[0]: json.loads((b / "evidence.json").read_text()) for b in bundles},
        "work": work,
    }


@pytest.fixture
def stage_account(monkeypatch, moto_endpoint):
    # The in-process moto server reads MOTO_ACCOUNT_ID per request: the stack and every call of the job's
    # processes live in stage's account, so `ops drill` checks identity against Pulumi.stage.yaml for real.
    monkeypatch.setenv("MOTO_ACCOUNT_ID", STAGE_ACCOUNT)
    return moto_endpoint


def build(endpoint: str, **kw: Any) -> tuple[MotoStack, dict[str, Any]]:
    stack = MotoStack(endpoint, account=STAGE_ACCOUNT).build(**kw)
    topic = stack.factory().client("sns", DR).create_topic(Name=f"ops-dr-{stack.suffix}")["TopicArn"]
    return stack, {**stack.data, "drOpsAlertTopicArn": topic}


def monthly_run(tmp_path: Path, endpoint: str, stack: MotoStack, outputs: dict[str, Any], *, lag: float = 0.0):
    """The drill job, then — when its outputs satisfy the switch-back job's `if:` — the approved switch-back job."""
    drill = run_job(tmp_path, endpoint, outputs)
    switch_back = None
    if job_runs(workflow_job("switch-back"), {"gate": GATE, "drill": drill}):
        set_failback_lag(stack, lag)  # the approval wait: writes stopped, the replica caught up (or not)
        switch_back = run_job(tmp_path, endpoint, outputs, "switch-back", {"gate": GATE, "drill": drill})
    return drill, switch_back


def not_done_job_runs(drill: dict[str, Any], switch_back: dict[str, Any]) -> bool:
    """Whether the switch-back-not-done job's `if:` holds after these two jobs."""
    return job_runs(workflow_job("switch-back-not-done"), {"gate": GATE, "drill": drill, "switch-back": switch_back})


def code(run: dict[str, Any], prefix: str) -> int:
    (step,) = [s for s in run["steps"] if (s["name"] or "").startswith(prefix)]
    return int(step["code"])


def test_a_drill_that_promoted_passes_with_a_pending_switch_back_and_does_not_page(stage_account, tmp_path):
    stack, outputs = build(stage_account)

    run = run_job(tmp_path, stage_account, outputs)

    assert not run["failed"] and run["outputs"]["switch_back"] == "pending"
    assert code(run, "ops verify (the recovery wiring") == 0
    assert code(run, "ops drill --execute") == 0
    assert code(run, "ops failback --execute") == 0
    assert code(run, "ops topology") == 0
    drill, failback = run["bundles"]["stage"], run["bundles"]["stage-failback"]
    assert drill["verdict"]["ok"] and drill["verdict"]["state"] == "promoted"
    assert drill["context"]["veleroSkipped"] == SKIP_REASON  # the skip and its reason are on the record
    assert drill["context"]["awsAccountId"] == STAGE_ACCOUNT
    assert drill["measured"]["rpo"]["basis"].startswith("canary rows on both sides")
    assert failback["verdict"]["ok"]
    # failed back: the health check restored, the primary region rebuilt as a replica of the writer
    assert stack.health_check()["Inverted"] is False
    rds = stack.factory().client("rds", PRIMARY)
    rebuilt = rds.describe_db_instances(DBInstanceIdentifier=f"{stack.data['dbPrimaryIdentifier']}-failback")
    assert rebuilt["DBInstances"][0]["ReadReplicaSourceDBInstanceIdentifier"] == stack.data["dbReplicaArn"]
    topology = json.loads((run["work"] / "evidence" / "topology-after-failback.json").read_text())
    assert topology["switchBack"] == "pending"  # on the record in the drill's evidence
    assert not any(a.startswith("sns publish") for a in run["aws"])


def test_the_approved_switch_back_job_ends_with_the_topology_matching_and_no_page(stage_account, tmp_path):
    stack, outputs = build(stage_account)

    drill, run = monthly_run(tmp_path, stage_account, stack, outputs)

    assert run is not None and not run["failed"], run["steps"]
    assert code(run, "ops failback --switch-back --execute") == 0
    assert code(run, "ops topology") == 0
    assert code(run, "ops verify after the switch-back") == 0
    assert run["bundles"]["stage-switch-back"]["verdict"]["ok"]
    assert topology.findings(stack.outputs(), stack.factory()) == []
    verified = json.loads((run["work"] / "evidence" / "verify-after-switch-back.json").read_text())
    assert verified["ok"] is True
    assert not any(a.startswith("sns publish") for a in run["aws"])
    assert not not_done_job_runs(drill, run)


def test_a_switch_back_whose_replica_still_lags_stops_and_pages_the_dr_topic(stage_account, tmp_path):
    stack, outputs = build(stage_account)

    drill, run = monthly_run(tmp_path, stage_account, stack, outputs, lag=42)

    assert run is not None and run["failed"]
    assert code(run, "ops failback --switch-back --execute") == 1
    assert not any((s["name"] or "").startswith("ops topology") for s in run["steps"])
    assert "is 42 s behind" in run["bundles"]["stage-switch-back"]["verdict"]["reason"]
    (page,) = [a for a in run["aws"] if a.startswith("sns publish")]
    assert f"--region {DR} --topic-arn {outputs['drOpsAlertTopicArn']}" in page and "switch-back stage failed" in page
    assert not not_done_job_runs(drill, run)  # paged once, by the job itself


def test_a_rejected_switch_back_approval_pages_that_the_stack_stays_on_the_dr_writer(stage_account, tmp_path):
    stack, outputs = build(stage_account)
    drill = run_job(tmp_path, stage_account, outputs)
    rejected = {"result": "failure", "outputs": {}}  # a rejected or expired approval: the job never started
    assert not_done_job_runs(drill, rejected)

    run = run_job(
        tmp_path,
        stage_account,
        outputs,
        "switch-back-not-done",
        {"gate": GATE, "drill": drill, "switch-back": rejected},
    )

    (page,) = [a for a in run["aws"] if a.startswith("sns publish")]
    assert f"--region {DR} --topic-arn {outputs['drOpsAlertTopicArn']}" in page
    assert "switch-back stage not done: failure" in page
    assert topology.assess(stack.outputs(), stack.factory()).pending  # nothing was switched back


def test_the_drill_starts_every_fis_experiment_template_the_stack_exports(stage_account, tmp_path):
    stack, outputs = build(stage_account)
    template = stack.fis_template("primary-db-reboot")

    run = run_job(tmp_path, stage_account, {**outputs, "chaosExperimentTemplateIds": {"primary-db-reboot": template}})

    inject = next(s for s in run["bundles"]["stage"]["steps"] if s["name"] == "inject-fault")
    assert list(inject["result"]["fisExperiments"]) == ["primary-db-reboot"]
    experiments = stack.factory().client("fis", PRIMARY).list_experiments()["experiments"]
    assert len([e for e in experiments if e["experimentTemplateId"] == template]) == 1  # started once


def test_a_run_whose_verify_fails_changes_nothing_and_pages_the_dr_topic(stage_account, tmp_path):
    stack, outputs = build(stage_account, lag=900)  # replica lag far above the RPO: verify fails

    run = run_job(tmp_path, stage_account, outputs)

    codes = {s["name"]: s["code"] for s in run["steps"]}
    assert codes["ops verify (the recovery wiring the drill relies on)"] == 1
    assert not any(n.startswith("ops drill") or n.startswith("ops failback") for n in codes)
    (page,) = [a for a in run["aws"] if a.startswith("sns publish")]
    assert f"--region {DR} --topic-arn {outputs['drOpsAlertTopicArn']}" in page
    assert stack.health_check().get("Inverted") is False
