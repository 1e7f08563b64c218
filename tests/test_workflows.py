"""The CI/CD workflows: valid, hardened, and wired to commands that exist.

GitHub only tells you a workflow is broken after it has been merged and triggered; these tests catch the same
mistakes on the pull request: schema errors, zizmor findings, unpinned actions, untrusted `${{ }}` in scripts,
a stack missing from the promotion path, a `make` target or `python -m` module that does not exist.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW_FILES = ("pull-request.yml", "deploy.yml", "drift.yml", "dr-drill.yml")
BIN = Path(sys.executable).parent
STACKS = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
PROMOTION = ["dev", "stage", "prod"]
SEVERITIES = ["Unknown", "Informational", "Low", "Medium", "High"]
PULUMI_ACTION = "pulumi/actions"
AWS_ACTION = "aws-actions/configure-aws-credentials"
MASK_SCRIPT = ROOT / ".github" / "scripts" / "mask_secret_outputs.py"


# --- helpers -------------------------------------------------------------------------------------------------


@cache
def workflow(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the bare key `on` as True.
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def jobs(name: str) -> dict[str, dict[str, Any]]:
    return workflow(name)["jobs"]


def all_steps() -> list[tuple[str, str, dict[str, Any]]]:
    return [(wf, job_id, step) for wf in WORKFLOW_FILES for job_id, job in jobs(wf).items() for step in job["steps"]]


def action(step: dict[str, Any]) -> str:
    return str(step.get("uses", "")).split("@", 1)[0]


def steps_using(job: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if action(s) == name]


def run_scripts() -> list[tuple[str, str, str]]:
    return [(wf, job_id, step["run"]) for wf, job_id, step in all_steps() if "run" in step]


def zizmor_findings(path: Path) -> list[tuple[str, str, str]]:
    """(audit, severity, file:line) for every finding of medium severity or higher; ignore comments not honoured."""
    proc = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-ignores", "--persona", "auditor", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        findings = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"zizmor did not produce JSON (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    out = []
    for f in findings:
        severity = f["determinations"]["severity"]
        if SEVERITIES.index(severity) >= SEVERITIES.index("Medium"):
            loc = f["locations"][0]
            where = f"{Path(loc['symbolic']['key']['Local']['verbatim_path']).name}:"
            where += str(loc["concrete"]["location"]["start_point"]["row"] + 1)
            out.append((f["ident"], severity, where))
    return out


def check_schema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- validity ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WORKFLOW_FILES)
def test_workflow_validates_against_the_github_workflow_schema(name):
    proc = check_schema(WORKFLOWS / name)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_schema_check_rejects_a_workflow_github_would_refuse(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  build:\n    steps:\n      - run: echo hi\n")  # no runs-on
    assert check_schema(bad).returncode != 0


def test_the_workflow_directory_holds_exactly_the_four_workflows():
    assert sorted(p.name for p in WORKFLOWS.glob("*.y*ml")) == sorted(WORKFLOW_FILES)


# --- hardening -----------------------------------------------------------------------------------------------


def test_zizmor_reports_nothing_of_medium_severity_or_higher():
    assert zizmor_findings(WORKFLOWS) == []


def test_zizmor_gate_fails_on_a_deliberately_insecure_workflow(tmp_path):
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "name: bad\n"
        "on: pull_request_target\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "        with:\n"
        "          ref: ${{ github.event.pull_request.head.sha }}\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    audits = {ident for ident, _, _ in zizmor_findings(bad.parent)}
    assert {"dangerous-triggers", "template-injection", "unpinned-uses"} <= audits


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version_in_a_comment():
    pinned = re.compile(r"^\s*-?\s*uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s*v\d+(\.\d+)*\s*$")
    for name in WORKFLOW_FILES:
        for line in (WORKFLOWS / name).read_text().splitlines():
            if re.match(r"^\s*-?\s*uses:", line) and "uses: ./" not in line:
                assert pinned.match(line), f"{name}: {line.strip()}"


def test_each_action_is_pinned_to_one_sha_across_workflows():
    refs: dict[str, set[str]] = {}
    for _, _, step in all_steps():
        if "uses" in step:
            refs.setdefault(action(step), set()).add(step["uses"].split("@", 1)[1])
    assert {a: shas for a, shas in refs.items() if len(shas) > 1} == {}


def test_no_expression_is_expanded_inside_a_run_script():
    # Untrusted values (PR titles, branch names, dispatch inputs) reach scripts through env: only; the stricter
    # rule — no `${{` at all in run: — leaves nothing to judge case by case.
    offenders = [(wf, job) for wf, job, script in run_scripts() if "${{" in script]
    assert offenders == []


def test_no_workflow_uses_pull_request_target_or_workflow_run():
    for name in WORKFLOW_FILES:
        triggers = workflow(name)["on"]
        assert not {"pull_request_target", "workflow_run"} & set(triggers), name


def test_top_level_permissions_are_empty_or_read_only():
    for name in WORKFLOW_FILES:
        assert workflow(name)["permissions"] in ({}, {"contents": "read"}), name


def test_every_job_declares_least_privilege_permissions():
    for name in WORKFLOW_FILES:
        for job_id, job in jobs(name).items():
            perms = job.get("permissions")
            assert perms is not None, f"{name}:{job_id} inherits permissions"
            uses_oidc = bool(steps_using(job, AWS_ACTION))
            comments = any(str(s.get("with", {}).get("comment-on-pr")).lower() == "true" for s in job["steps"])
            allowed = {"contents": "read"}
            if uses_oidc:
                allowed["id-token"] = "write"
            if comments:
                allowed["pull-requests"] = "write"
            assert set(perms.items()) <= set(allowed.items()), f"{name}:{job_id}: {perms}"
            assert (perms.get("id-token") == "write") == uses_oidc, f"{name}:{job_id}"
            assert (perms.get("pull-requests") == "write") == comments, f"{name}:{job_id}"


def test_aws_credentials_come_from_oidc_roles_never_keys():
    for wf, job_id, step in all_steps():
        if action(step) == AWS_ACTION:
            inputs = step["with"]
            assert "role-to-assume" in inputs, f"{wf}:{job_id}"
            assert not {"aws-access-key-id", "aws-secret-access-key"} & set(inputs), f"{wf}:{job_id}"
            assert inputs["role-to-assume"].startswith("${{"), f"{wf}:{job_id}: role ARN must come from a variable"


def test_checkouts_do_not_persist_the_token():
    for wf, job_id, step in all_steps():
        if action(step) == "actions/checkout":
            assert step["with"]["persist-credentials"] is False, f"{wf}:{job_id}"


def test_venv_and_pulumi_plugins_are_cached_on_the_requirement_hashes():
    key_hash = "hashFiles('requirements.txt', 'constraints.txt')"
    for name in WORKFLOW_FILES:
        for job_id, job in jobs(name).items():
            caches = {s["with"]["path"]: s["with"]["key"] for s in steps_using(job, "actions/cache")}
            if any("make " in s.get("run", "") for s in job["steps"]):
                assert key_hash in caches.get(".venv", ""), f"{name}:{job_id} does not cache .venv"
            if any(s.get("with", {}).get("command") for s in steps_using(job, PULUMI_ACTION)):
                assert key_hash in caches.get("~/.pulumi/plugins", ""), f"{name}:{job_id} does not cache plugins"


def test_pulumi_cli_is_pinned_to_the_sdk_version_of_requirements():
    sdk = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert sdk is not None
    for name in WORKFLOW_FILES:
        pulumi_steps = [s for job in jobs(name).values() for s in steps_using(job, PULUMI_ACTION)]
        for step in pulumi_steps:
            assert step["with"]["pulumi-version"] == "${{ env.PULUMI_VERSION }}", name
        if pulumi_steps:
            assert workflow(name)["env"]["PULUMI_VERSION"] == sdk.group(1), name


# --- what the workflows call exists ----------------------------------------------------------------------------


def _commands(script: str) -> list[list[str]]:
    out = []
    for line in script.replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            out.append(shlex.split(line, comments=True))
        except ValueError:
            continue
    return out


def test_every_make_target_a_workflow_calls_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([A-Za-z][\w-]*):", makefile, re.M))
    called = {
        (wf, words[i + 1])
        for wf, _, script in run_scripts()
        for words in _commands(script)
        for i, w in enumerate(words[:-1])
        if w == "make"
    }
    assert called, "no workflow runs make"
    assert {(wf, t) for wf, t in called if t not in targets} == set()


def test_every_python_module_and_script_a_workflow_calls_exists():
    modules, scripts = set(), set()
    for wf, _, script in run_scripts():
        for words in _commands(script):
            for i, w in enumerate(words):
                if re.search(r"(^|/)python3?$", w) and i + 1 < len(words):
                    if words[i + 1] == "-m":
                        modules.add((wf, words[i + 2]))
                    elif words[i + 1].endswith(".py"):
                        scripts.add((wf, words[i + 1]))
    assert {m for _, m in modules} >= {"preflight", "ops"}
    assert {(wf, m) for wf, m in modules if find_spec(m) is None} == set()
    assert {(wf, s) for wf, s in scripts if not (ROOT / s).is_file()} == set()


def test_every_policy_pack_and_config_a_workflow_passes_exists():
    for wf, job_id, step in all_steps():
        inputs = step.get("with", {})
        if action(step) == PULUMI_ACTION and "policyPacks" in inputs:
            assert (ROOT / inputs["policyPacks"] / "PulumiPolicy.yaml").is_file(), f"{wf}:{job_id}"
            config = inputs["policyPackConfigs"]
            stacks = PROMOTION if "${{ matrix.stack }}" in config else [inputs["stack-name"]]
            for stack in stacks:
                path = ROOT / config.replace("${{ matrix.stack }}", stack)
                assert path.is_file(), f"{wf}:{job_id}: {path.relative_to(ROOT)} missing"


# --- pull requests ---------------------------------------------------------------------------------------------


def test_pull_requests_run_make_test_and_the_offline_preflight_of_every_stack():
    pr = jobs("pull-request.yml")
    assert any(s.get("run") == "make test" for s in pr["test"]["steps"])
    assert pr["preflight"]["strategy"]["matrix"]["stack"] == PROMOTION
    script = next(s["run"] for s in pr["preflight"]["steps"] if "python -m preflight" in s.get("run", ""))
    assert '--stack "$STACK" --format json' in script and "GITHUB_STEP_SUMMARY" in script
    upload = steps_using(pr["preflight"], "actions/upload-artifact")[0]
    assert upload["if"] == "always()" and "preflight-${{ matrix.stack }}.json" in upload["with"]["path"]


def test_pull_requests_check_the_promotion_shape_of_each_pair():
    script = next(s["run"] for s in jobs("pull-request.yml")["promotion-diff"]["steps"] if "diff" in s.get("run", ""))
    assert '"dev stage" "stage prod"' in script
    assert '-m preflight diff --from "$from" --to "$to"' in script


def test_pull_requests_preview_every_stack_with_the_policy_pack_and_comment():
    preview = jobs("pull-request.yml")["preview"]
    assert [row["stack"] for row in preview["strategy"]["matrix"]["include"]] == PROMOTION
    step = steps_using(preview, PULUMI_ACTION)[0]["with"]
    assert step["command"] == "preview" and step["comment-on-pr"] is True
    assert step["policyPacks"] == "policy"
    assert step["policyPackConfigs"] == "policy/config/${{ matrix.stack }}.json"
    aws = steps_using(preview, AWS_ACTION)[0]["with"]
    assert aws["role-to-assume"] == "${{ matrix.role }}"
    roles = [row["role"] for row in preview["strategy"]["matrix"]["include"]]
    assert roles == [f"${{{{ vars.AWS_PREVIEW_ROLE_ARN_{s.upper()} }}}}" for s in PROMOTION]


def test_fork_pull_requests_skip_the_cloud_preview_but_keep_the_offline_checks():
    pr = jobs("pull-request.yml")
    assert pr["preview"]["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    for offline in ("test", "preflight", "promotion-diff"):
        assert "if" not in pr[offline], offline
        assert "secrets." not in json.dumps(pr[offline]), offline


# --- promotion -------------------------------------------------------------------------------------------------


def _deployed_stack(job: dict[str, Any]) -> str:
    ups = [s for s in steps_using(job, PULUMI_ACTION) if s["with"].get("command") == "up"]
    assert len(ups) == 1
    return ups[0]["with"]["stack-name"]


def test_every_stack_file_is_on_the_promotion_path():
    deployed = {_deployed_stack(job) for job in jobs("deploy.yml").values()}
    assert sorted(deployed) == STACKS


def test_deploys_chain_dev_stage_prod_in_their_environments():
    deploy = jobs("deploy.yml")
    by_stack = {_deployed_stack(job): (job_id, job) for job_id, job in deploy.items()}
    order, needs = [], None
    while True:
        nxt = [(jid, j) for jid, j in by_stack.values() if j.get("needs") == needs]
        if not nxt:
            break
        assert len(nxt) == 1, "the promotion path must be a single chain"
        needs = nxt[0][0]
        order.append(_deployed_stack(nxt[0][1]))
    assert order == PROMOTION
    assert {s: j["environment"] for s, (_, j) in by_stack.items()} == {
        "dev": "dev",
        "stage": "stage",
        "prod": "production",
    }
    assert workflow("deploy.yml")["on"] == {"push": {"branches": ["main"]}}


def test_every_deploy_promotes_the_pushed_commit_and_is_never_cancelled():
    for job_id, job in jobs("deploy.yml").items():
        checkout = steps_using(job, "actions/checkout")[0]["with"]
        assert checkout["ref"] == "${{ github.sha }}", job_id
        stack = _deployed_stack(job)
        assert job["concurrency"] == {"group": f"pulumi-{stack}", "cancel-in-progress": False}, job_id


def test_a_drill_and_a_deploy_of_the_same_stack_never_run_at_once():
    deploy_groups = {job["concurrency"]["group"] for job in jobs("deploy.yml").values()}
    drill = workflow("dr-drill.yml")["concurrency"]
    assert drill == {"group": "pulumi-${{ inputs.stack || 'stage' }}", "cancel-in-progress": False}
    # what the expression gives for the scheduled run (stage) and a dispatched prod drill is deploy's group
    assert {"pulumi-stage", "pulumi-prod"} <= deploy_groups


def test_every_deploy_previews_with_the_pack_before_up_and_summarises_outputs():
    for job_id, job in jobs("deploy.yml").items():
        stack = _deployed_stack(job)
        pulumi = steps_using(job, PULUMI_ACTION)
        assert [s["with"]["command"] for s in pulumi] == ["preview", "up"], job_id
        for step in pulumi:
            assert step["with"]["stack-name"] == stack
            assert (step["with"]["policyPacks"], step["with"]["policyPackConfigs"]) == (
                "policy",
                f"policy/config/{stack}.json",
            )
        summary = job["steps"][-1]["run"]
        assert "pulumi stack output" in summary and "--show-secrets" not in summary
        assert "GITHUB_STEP_SUMMARY" in summary


def test_deploy_jobs_differ_only_in_stack_environment_and_needs():
    def normalised(job: dict[str, Any]) -> str:
        stack = _deployed_stack(job)
        body = {k: v for k, v in job.items() if k not in ("needs", "environment")}
        text = json.dumps(body, sort_keys=True).replace(stack, "STACK")
        return text.replace(job["environment"], "ENV")

    assert len({normalised(job) for job in jobs("deploy.yml").values()}) == 1


# --- drift -----------------------------------------------------------------------------------------------------


def test_drift_runs_nightly_and_on_demand_for_every_stack():
    drift = workflow("drift.yml")
    assert set(drift["on"]) == {"schedule", "workflow_dispatch"}
    job = drift["jobs"]["drift"]
    assert [row["stack"] for row in job["strategy"]["matrix"]["include"]] == PROMOTION
    assert job["strategy"]["fail-fast"] is False
    step = steps_using(job, PULUMI_ACTION)[0]["with"]
    assert (step["command"], step["refresh"], step["expect-no-changes"]) == ("preview", True, True)


# --- DR drill --------------------------------------------------------------------------------------------------


def test_drill_inputs_and_monthly_schedule():
    on = workflow("dr-drill.yml")["on"]
    inputs = on["workflow_dispatch"]["inputs"]
    assert inputs["stack"]["type"] == "choice" and inputs["stack"]["options"] == PROMOTION
    assert inputs["stack"]["default"] == "stage"
    assert inputs["confirm_production"]["type"] == "string"
    (cron,) = [entry["cron"] for entry in on["schedule"]]
    day, month, weekday = cron.split()[2:]
    assert (day, month, weekday) == ("1", "*", "*"), "monthly, on the 1st"


def _run_gate(tmp_path: Path, stack: str, confirm: str) -> tuple[int, dict[str, str]]:
    step = jobs("dr-drill.yml")["gate"]["steps"][0]
    output = tmp_path / "output"
    env = {
        "PATH": os.environ["PATH"],
        "STACK_INPUT": stack,
        "CONFIRM_PRODUCTION": confirm,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=30)
    values = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
    return proc.returncode, values


def test_drill_gate_refuses_prod_without_the_confirmation(tmp_path):
    assert _run_gate(tmp_path, "prod", "") == (1, {})
    assert _run_gate(tmp_path, "prod", "yes") == (1, {})


def test_drill_gate_runs_prod_in_the_production_environment_when_confirmed(tmp_path):
    assert _run_gate(tmp_path, "prod", "prod") == (0, {"stack": "prod", "environment": "production"})


def test_scheduled_drill_without_inputs_drills_stage(tmp_path):
    assert _run_gate(tmp_path, "", "") == (0, {"stack": "stage", "environment": "stage"})


def test_drill_reads_outputs_masked_then_verifies_then_executes_and_uploads_evidence():
    drill = jobs("dr-drill.yml")["drill"]
    assert drill["environment"] == "${{ needs.gate.outputs.environment }}"
    runs = [s.get("run", "") for s in drill["steps"]]
    outputs = next(i for i, r in enumerate(runs) if "--show-secrets > outputs.json" in r)
    assert "mask_secret_outputs.py" in runs[outputs] and "umask 077" in runs[outputs]
    verify = next(i for i, r in enumerate(runs) if "-m ops verify" in r)
    execute = next(i for i, r in enumerate(runs) if "-m ops drill" in r)
    assert outputs < verify < execute
    assert '--stack "$STACK" --outputs outputs.json' in runs[verify]
    assert "--execute --canary --evidence-dir evidence" in runs[execute] and "--confirm-production" in runs[execute]
    upload = steps_using(drill, "actions/upload-artifact")[0]
    assert upload["if"] == "always()" and upload["with"]["path"] == "evidence/"


def test_secret_outputs_are_registered_with_the_log_masker_and_nothing_else_is_printed(tmp_path):
    redacted = {"dbSecretArn": "[secret]", "gatewayUrl": "https://gateway.x", "nested": {"token": "[secret]"}}
    revealed = {"dbSecretArn": "arn:aws:sm:s", "gatewayUrl": "https://gateway.x", "nested": {"token": "a\nb"}}
    (tmp_path / "r.json").write_text(json.dumps(redacted))
    (tmp_path / "s.json").write_text(json.dumps(revealed))
    proc = subprocess.run(
        [sys.executable, str(MASK_SCRIPT), tmp_path / "r.json", tmp_path / "s.json"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == ["::add-mask::arn:aws:sm:s", "::add-mask::a", "::add-mask::b"]


def test_the_switch_back_job_runs_after_a_pending_drill_in_its_own_approval_environment():
    job = jobs("dr-drill.yml")["switch-back"]
    assert job["needs"] == ["gate", "drill"]
    assert job["if"] == "needs.drill.outputs.switch_back == 'pending'"
    assert jobs("dr-drill.yml")["drill"]["outputs"]["switch_back"] == "${{ steps.topology.outputs.switch_back }}"
    assert job["environment"] == "${{ needs.gate.outputs.environment }}-switch-back"
    (credentials,) = steps_using(job, AWS_ACTION)
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_SWITCHBACK_ROLE_ARN }}"


def test_the_switch_back_job_masks_outputs_switches_back_then_checks_topology_and_verifies():
    job = jobs("dr-drill.yml")["switch-back"]
    runs = [s.get("run", "") for s in job["steps"]]
    outputs = next(i for i, r in enumerate(runs) if "--show-secrets > outputs.json" in r)
    assert "mask_secret_outputs.py" in runs[outputs] and "umask 077" in runs[outputs]
    switch_back = next(i for i, r in enumerate(runs) if "-m ops failback" in r)
    topology = next(i for i, r in enumerate(runs) if "-m ops topology" in r)
    verify = next(i for i, r in enumerate(runs) if "-m ops verify" in r)
    assert outputs < switch_back < topology < verify
    assert "--switch-back --execute --evidence-dir evidence" in runs[switch_back]
    assert "--allow-pending-switch-back" not in runs[topology]  # after the switch-back only a full match passes
    assert "> evidence/verify-after-switch-back.json" in runs[verify]
    page = next(s for s in job["steps"] if "sns publish" in s.get("run", ""))
    assert page["if"] == "failure() && env.DR_TOPIC_ARN != ''"
    upload = steps_using(job, "actions/upload-artifact")[0]
    assert upload["if"] == "always()" and upload["with"]["path"] == "evidence/"


def test_the_deploy_gate_never_accepts_a_pending_switch_back():
    deploy_runs = [step.get("run", "") for job in jobs("deploy.yml").values() for step in job["steps"]]
    topology_gates = [r for r in deploy_runs if "-m ops topology" in r]
    assert topology_gates and not any("--allow-pending-switch-back" in r for r in topology_gates)
