"""`python -m preflight diff`: config differences between two stacks; a key set in only one fails promotion."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from preflight.cli import main
from tests.harness import PROJECT_DIR

CIPHERTEXT = "AAABAJ0mX2ZmYWtlLWNpcGhlcnRleHQ="


def write_stack(project: Path, stack: str, values: dict[str, object]) -> None:
    lines = ["config:"]
    for key, value in values.items():
        rendered = json.dumps(value) if not isinstance(value, dict) else f"\n    secure: {value['secure']}"
        lines.append(f"  summit-resilience:{key}: {rendered}")
    (project / f"Pulumi.{stack}.yaml").write_text("\n".join(lines) + "\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    base = {"costCenter": "cc-stage", "monthlyBudgetUsd": 6000, "pagerdutyRoutingKey": {"secure": CIPHERTEXT}}
    write_stack(tmp_path, "stage", {"environment": "stage", **base})
    write_stack(tmp_path, "prod", {"environment": "prod", **base, "costCenter": "cc-prod"})
    return tmp_path


def diff(capsys, project: Path, *args: str) -> tuple[int, str, str]:
    code = main(["diff", "--project-dir", str(project), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_same_keys_exit_0_and_list_the_values_that_differ(capsys, project):
    code, out, _ = diff(capsys, project, "--from", "stage", "--to", "prod")
    assert code == 0
    assert 'costCenter   "cc-stage" → "cc-prod"' in out
    assert 'environment  "stage" → "prod"' in out
    assert "Same shape" in out


def test_a_key_set_only_in_the_target_exits_1_naming_key_and_stack(capsys, project):
    (project / "Pulumi.prod.yaml").write_text(
        (project / "Pulumi.prod.yaml").read_text() + '  summit-resilience:opsAlertEmails: ["oncall@example.com"]\n'
    )
    code, out, _ = diff(capsys, project, "--from", "stage", "--to", "prod")
    assert code == 1
    assert "only in prod: summit-resilience:opsAlertEmails" in out
    assert "Shape differs: 1 key(s)" in out


def test_a_key_missing_from_the_target_also_exits_1(capsys, project):
    write_stack(project, "prod", {"environment": "prod", "costCenter": "cc-prod", "monthlyBudgetUsd": 6000})
    code, out, _ = diff(capsys, project, "--from", "stage", "--to", "prod")
    assert code == 1
    assert "only in stage: summit-resilience:pagerdutyRoutingKey" in out


def test_secrets_show_as_secure_and_their_ciphertext_never_appears(capsys, project):
    for fmt in ("text", "json"):
        _, out, _ = diff(capsys, project, "--from", "stage", "--to", "prod", "--format", fmt)
        assert CIPHERTEXT not in out
    _, out, _ = diff(capsys, project, "--from", "stage", "--to", "prod")
    assert "pagerdutyRoutingKey = secure" in out


def test_json_output_has_the_documented_keys(capsys, project):
    write_stack(project, "prod", {"environment": "prod", "costCenter": "cc-prod", "monthlyBudgetUsd": 6000})
    code, out, _ = diff(capsys, project, "--from", "stage", "--to", "prod", "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert doc["from"] == "stage" and doc["to"] == "prod" and doc["sameShape"] is False
    assert doc["onlyIn"] == {"stage": ["pagerdutyRoutingKey"], "prod": []}
    assert {"key": "costCenter", "from": "cc-stage", "to": "cc-prod"} in doc["changed"]
    assert doc["unchanged"] == ["monthlyBudgetUsd"]


def test_unknown_stack_exits_2_with_one_line_listing_the_stacks(capsys, project):
    code, out, err = diff(capsys, project, "--from", "stage", "--to", "qa")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == ["preflight diff: Pulumi.qa.yaml: no such stack file; stacks found: prod, stage"]


def test_unknown_key_in_a_stack_file_exits_2_naming_it(capsys, project):
    (project / "Pulumi.prod.yaml").write_text("config:\n  summit-resilience:costCentre: x\n")
    code, _, err = diff(capsys, project, "--from", "stage", "--to", "prod")
    assert code == 2
    assert err.startswith("preflight diff: Pulumi.prod.yaml: summit-resilience:costCentre: unknown key")
    assert "did you mean costCenter?" in err


def test_missing_option_is_a_usage_error():
    with pytest.raises(SystemExit) as exc:
        main(["diff", "--from", "stage"])
    assert exc.value.code == 2


def test_python_dash_m_preflight_diff_is_wired_to_the_command(project):
    proc = subprocess.run(
        [sys.executable, "-m", "preflight", "diff", "--project-dir", str(project), "--from", "prod", "--to", "stage"],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Config differences prod → stage")


@pytest.mark.parametrize(("source", "target"), [("dev", "stage"), ("stage", "prod")])
def test_the_committed_stacks_keep_one_shape_along_the_promotion_path(capsys, source, target):
    code, out, _ = diff(capsys, PROJECT_DIR, "--from", source, "--to", target)
    assert code == 0, out
