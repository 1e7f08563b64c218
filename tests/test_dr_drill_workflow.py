"""dr-drill.yml's drill job, executed step by step against moto (a documented local harness).

Every `run:` step of the job runs as GitHub would run it (`bash -e`, the job's env, `$GITHUB_ENV` carried from step
to step, `if:` conditions), in a scratch directory holding the repository's `.venv` and `.github`. What a runner
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

from tests import ops_support
from tests.ops_support import DR, PRIMARY, MotoStack

moto_endpoint = ops_support.moto_endpoint

ROOT = Path(__file__).resolve().parent.parent
WORLD = Path(__file__).resolve().parent / "workflow_world"
STAGE_ACCOUNT = "321098765432"  # Pulumi.stage.yaml awsAccountId
SKIP_REASON = "no cluster access from the drill runner (vars.DRILL_EKS_CLUSTER is unset)"


def drill_job() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / ".github" / "workflows" / "dr-drill.yml").read_text())
    return dict(doc["jobs"]["drill"])


def expand(value: str) -> str:
    """The job's `${{ }}` expressions for a scheduled stage run: stack stage, no inputs, no vars or secrets set."""
    known = {"needs.gate.outputs.stack": "stage", "inputs.confirm_production": ""}
    return re.sub(r"\$\{\{\s*([^}]+?)\s*\}\}", lambda m: known.get(m.group(1), ""), value)


def condition(text: str, failed: bool, ran: set[str], env: dict[str, str]) -> bool:
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
        else:
            raise AssertionError(f"the harness does not know the condition {term!r}")
    return result if "always()" in text or "failure()" in text else result and not failed


def stub(directory: Path, name: str, script: str) -> None:
    path = directory / name
    path.write_text("#!/bin/bash\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def run_job(tmp_path: Path, endpoint: str, outputs: dict[str, Any]) -> dict[str, Any]:
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
    job = drill_job()
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "GITHUB_ENV": str(github_env),
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
        **{k: expand(str(v)) for k, v in job["env"].items()},
    }
    failed, ran, results = False, set(), []
    for step in job["steps"]:
        if "run" not in step or step["run"].strip() == "make setup":
            continue  # actions (checkout, caches, CLI installs, credentials, upload) and the venv build
        if not condition(step.get("if", "success()"), failed, ran, env):
            continue
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
    bundles = sorted((work / "evidence").iterdir()) if (work / "evidence").exists() else []
    return {
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


def test_the_monthly_run_drills_fails_back_then_pages_while_the_switch_back_is_pending(stage_account, tmp_path):
    stack, outputs = build(stage_account)

    run = run_job(tmp_path, stage_account, outputs)

    codes = {s["name"]: s["code"] for s in run["steps"]}
    assert codes["ops verify (the recovery wiring the drill relies on)"] == 0
    assert codes["ops drill --execute (canary rows on both sides for RPO)"] == 0
    assert codes["ops failback --execute (whatever state the drill left)"] == 0
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
    # ...but the database switch-back is a printed plan: the stack no longer matches its outputs, so the run fails
    topology = next(s for s in run["steps"] if s["name"].startswith("ops topology"))
    assert topology["code"] == 1 and "diverged from its outputs" in topology["stderr"]
    assert not any(n.startswith("ops verify after failback") for n in codes)
    (page,) = [a for a in run["aws"] if a.startswith("sns publish")]
    assert f"--topic-arn {outputs['drOpsAlertTopicArn']}" in page


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
