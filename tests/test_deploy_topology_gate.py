"""deploy.yml's topology gate, executed as GitHub would run it against moto: `up` never runs on a diverged stack.

Each deploy job's gate step runs under `bash -e -o pipefail` with the job's env, a stubbed `pulumi stack output`
(secret outputs printed as "[secret]", as the CLI prints them without --show-secrets) and `python -m ops topology`
unchanged against a moto stack — as deployed, and in the state a drill + failback leave.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import ops_support
from tests import test_dr_drill_workflow as drill_workflow
from tests.ops_support import PRIMARY, leave_failed_back

moto_endpoint, stage_account = ops_support.moto_endpoint, drill_workflow.stage_account

ROOT = Path(__file__).resolve().parent.parent
GATE = "Live database topology matches the outputs"
UP = "pulumi up with the policy pack"


def deploy_jobs() -> dict[str, dict[str, Any]]:
    return dict(yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())["jobs"])


def gate_step(job: dict[str, Any]) -> dict[str, Any]:
    (step,) = [s for s in job["steps"] if str(s.get("name", "")).startswith(GATE)]
    return step


def run_gate(
    tmp_path: Path, endpoint: str, outputs: dict[str, Any], job: str = "stage"
) -> subprocess.CompletedProcess[str]:
    work, bin_dir = tmp_path / "work", tmp_path / "bin"
    work.mkdir()
    bin_dir.mkdir()
    (work / ".venv").symlink_to(ROOT / ".venv")
    redacted = tmp_path / "outputs.redacted.json"
    redacted.write_text(json.dumps({k: "[secret]" if k == "dbSecretArn" else v for k, v in outputs.items()}))
    drill_workflow.stub(
        bin_dir, "pulumi", f'case " $* " in *" --show-secrets "*) exit 9 ;; *) cat {redacted} ;; esac\n'
    )
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "OPS_AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": PRIMARY,
        "STACK": str(deploy_jobs()[job]["env"]["STACK"]),
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", gate_step(deploy_jobs()[job])["run"]],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("job_id", ["dev", "stage", "prod"])
def test_every_deploy_job_runs_the_topology_gate_after_credentials_and_right_before_up(job_id):
    steps = deploy_jobs()[job_id]["steps"]
    names = [str(s.get("name", "")) for s in steps]
    gate = next(i for i, n in enumerate(names) if n.startswith(GATE))
    credentials = next(i for i, n in enumerate(names) if n.startswith("AWS credentials (deploy role"))
    assert credentials < gate and names[gate + 1] == UP
    assert "if" not in steps[gate]  # never skipped: a failed gate fails the job before `up`


def test_the_gate_passes_a_stack_as_deployed_from_redacted_outputs(stage_account, tmp_path):
    # the stubbed CLI exits 9 when asked for --show-secrets: the gate works from the redacted outputs alone
    _, outputs = drill_workflow.build(stage_account)

    proc = run_gate(tmp_path, stage_account, outputs)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("stack stage matches its outputs:")


def test_the_gate_stops_the_job_on_a_stack_a_drill_left_failed_over(stage_account, tmp_path):
    stack, outputs = drill_workflow.build(stage_account)
    leave_failed_back(stack)

    proc = run_gate(tmp_path, stage_account, outputs)

    assert proc.returncode == 1
    (line,) = proc.stderr.splitlines()
    assert line.startswith("ops topology: stack stage diverged from its outputs: do not run pulumi up; reconcile per ")
    assert f"replica {stack.data['dbReplicaIdentifier']}" in line


def test_a_stack_without_a_database_yet_is_noted_and_not_blocked(stage_account, tmp_path):
    proc = run_gate(tmp_path, stage_account, {"environment": "stage"})

    assert proc.returncode == 0
    assert "::notice title=Topology not checked::stack stage exports no database yet" in proc.stdout


def test_the_gate_runs_with_its_own_job_stack(stage_account, tmp_path):
    # a prod job's gate reads prod's outputs: STACK comes from the job, so stage outputs are refused for prod
    _, outputs = drill_workflow.build(stage_account)

    proc = run_gate(tmp_path, stage_account, outputs, job="prod")

    assert proc.returncode == 2
    assert "outputs are for environment stage, not --stack prod" in proc.stderr
