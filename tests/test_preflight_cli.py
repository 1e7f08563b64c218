"""The preflight command-line contract: exit codes, JSON shape, --program, --config, one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from preflight.cli import main
from tests.harness import PROJECT_DIR

FIXTURES = Path(__file__).parent / "fixtures"


def run_cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_has_the_documented_keys(capsys):
    code, out, _ = run_cli(capsys, "--stack", "prod", "--format", "json", "--no-policy")
    doc = json.loads(out)
    assert code == 0
    assert list(doc) == ["stack", "project", "resources", "outputs", "violations", "cost", "recovery", "awsRules"]
    assert (doc["stack"], doc["project"]) == ("prod", "summit-resilience")
    for r in doc["resources"]:
        assert {"urn", "type", "name", "parent", "provider", "inputs"} <= set(r)


def test_json_masks_secret_inputs(capsys):
    _, out, _ = run_cli(capsys, "--stack", "stage", "--format", "json", "--no-policy")
    k8s = next(r for r in json.loads(out)["resources"] if r["type"] == "pulumi:providers:kubernetes")
    assert k8s["inputs"]["kubeconfig"] == "[secret]"
    assert "get-token" not in out


def test_text_output_is_a_tree_under_the_stack_with_regions_and_counts(capsys):
    code, out, _ = run_cli(capsys, "--stack", "stage", "--no-policy")
    assert code == 0
    lines = out.splitlines()
    assert any(line.startswith(" +  pulumi:pulumi:Stack") and "summit-resilience-stage" in line for line in lines)
    assert any("─ aws:budgets/budget:Budget" in line and "us-east-1" in line for line in lines)
    assert any("aws-dr" in line and "us-west-2" in line for line in lines)
    assert "Resources:" in out and "to create" in out


def test_program_flag_runs_any_program_with_the_stacks_config_and_environment(capsys, monkeypatch):
    monkeypatch.setenv("RAW_REGION", "ap-southeast-2")
    code, out, _ = run_cli(
        capsys, "--stack", "dev", "--program", str(FIXTURES / "two_raw_resources"), "--format", "json", "--no-policy"
    )
    doc = json.loads(out)
    assert code == 0
    raw = [r for r in doc["resources"] if not r["type"].startswith("pulumi:providers")]
    assert sorted((r["type"], r["name"]) for r in raw) == [
        ("aws:sns/topic:Topic", "raw-topic"),
        ("aws:sqs/queue:Queue", "raw-queue"),
    ]
    assert {r["region"] for r in raw} == {"ap-southeast-2"}
    assert doc["outputs"] == {"stackName": "dev"}


def test_program_without_main_is_a_usage_error(capsys, tmp_path):
    code, out, err = run_cli(capsys, "--stack", "dev", "--program", str(tmp_path))
    assert (code, out) == (2, "")
    assert err.strip() == f"preflight: --program {tmp_path}: no __main__.py in that directory"


def test_config_flag_replaces_the_stack_file(capsys, tmp_path):
    cfg = tmp_path / "alt.yaml"
    cfg.write_text(
        (PROJECT_DIR / "Pulumi.stage.yaml").read_text().replace("monthlyBudgetUsd: 6000", "monthlyBudgetUsd: 1234")
    )
    code, out, _ = run_cli(capsys, "--stack", "stage", "--config", str(cfg), "--format", "json", "--no-policy")
    budget = next(r for r in json.loads(out)["resources"] if r["type"] == "aws:budgets/budget:Budget")
    assert code == 0 and budget["inputs"]["limitAmount"] == "1234.00"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("monthlyBudgetUsd: 6000", "monthlyBudgetUsd: 6000\n  summit-resilience:budgetLimit: 5"),
            "summit-resilience:budgetLimit: unknown key",
        ),
        (
            ("monthlyBudgetUsd: 6000", "monthlyBudgetUsd: six"),
            'monthlyBudgetUsd: expected an integer 1–10000000, got "six"',
        ),
        (("monthlyBudgetUsd: 6000", "monthlyBudgetUsd: 0"), "monthlyBudgetUsd: expected an integer 1–10000000, got 0"),
        (("  summit-resilience:costCenter: cc-platform-stage\n", ""), "costCenter: is required but missing"),
        (("config:", "config: ["), "malformed YAML"),
    ],
    ids=["unknown-key", "wrong-type", "out-of-range", "missing-required", "malformed-yaml"],
)
def test_config_mistakes_exit_2_with_one_line_and_no_plan(capsys, tmp_path, edit, expected):
    cfg = tmp_path / "Pulumi.stage.yaml"
    cfg.write_text((PROJECT_DIR / "Pulumi.stage.yaml").read_text().replace(*edit))
    code, out, err = run_cli(capsys, "--stack", "stage", "--config", str(cfg))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"preflight: {cfg}") and expected in err


def test_missing_config_file_exits_2(capsys, tmp_path):
    code, _, err = run_cli(capsys, "--stack", "stage", "--config", str(tmp_path / "nope.yaml"))
    assert code == 2 and err.strip() == f"preflight: {tmp_path / 'nope.yaml'}: file not found"


def test_unknown_stack_exits_2_and_lists_the_stacks(capsys):
    code, _, err = run_cli(capsys, "--stack", "qa")
    assert code == 2
    assert err.strip() == "preflight: Pulumi.qa.yaml: no such stack file; stacks found: dev, prod, stage"


def test_a_program_that_raises_is_reported_in_one_line(capsys, tmp_path):
    (tmp_path / "__main__.py").write_text("raise ValueError('boom')\n")
    code, out, err = run_cli(capsys, "--stack", "dev", "--program", str(tmp_path), "--no-policy")
    assert code == 2 and out == ""
    assert err.strip() == "preflight: program failed: ValueError: boom (at __main__.py:1)"


def test_real_process_bad_usage_prints_one_line_and_no_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "preflight", "--stack", "stage", "--format", "yaml"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "--format: invalid choice: 'yaml'" in proc.stderr
