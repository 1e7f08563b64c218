"""`python -m preflight` with the pack: exit 1 naming policy and resource, exit 2 for policy-config mistakes."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from preflight.cli import main
from tests.policy_harness import POLICY_FIXTURES, PROJECT_DIR

SMALL = str(PROJECT_DIR / "tests" / "fixtures" / "two_raw_resources")
STACKS = ("dev", "stage", "prod")


def run_cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_broken_program_exits_1_naming_policy_and_resource(capsys):
    code, out, _ = run_cli(capsys, "--stack", "prod", "--program", str(POLICY_FIXTURES / "broken_everything"))
    assert code == 1
    lines = out.splitlines()
    assert any("[mandatory] rds-backup-retention" in line and "weak-db" in line for line in lines)
    assert any("[mandatory] log-group-retention" in line and "forever-logs" in line for line in lines)
    assert "keeps automated backups 1 days; the stack requires ≥ 7" in out


def test_json_violations_carry_policy_enforcement_urn_and_message(capsys):
    code, out, _ = run_cli(
        capsys, "--stack", "prod", "--program", str(POLICY_FIXTURES / "broken_everything"), "--format", "json"
    )
    doc = json.loads(out)
    assert code == 1
    tags = [v for v in doc["violations"] if v["policy"] == "cost-allocation-tags"]
    assert tags == [
        {
            "policy": "cost-allocation-tags",
            "enforcement": "mandatory",
            "urn": "urn:pulumi:prod::summit-resilience::pulumi:pulumi:Stack$aws:sns/topic:Topic::untagged-topic",
            "message": tags[0]["message"],
        }
    ]
    assert "environment, service, cost-center" in tags[0]["message"]
    assert doc["cost"]["budget"] == 5.0 and doc["cost"]["ok"] is False


@pytest.fixture(scope="module")
def unknown_values_json():
    """`python -m preflight --format json` on a program whose inputs are unknown at preview: the pack runs as its own
    process (`python -m pulumi.policy` from policy/, as the Pulumi CLI starts it) and gets them as wire sentinels."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--stack", "prod", "--program", str(POLICY_FIXTURES / "unknown_values"), "--format", "json"])
    return code, json.loads(out.getvalue())


def test_unknown_inputs_come_back_from_the_pack_process_as_not_known_until_deploy_advisories(unknown_values_json):
    _, doc = unknown_values_json
    unknown = {v["policy"]: v for v in doc["violations"] if "not known until deploy" in v["message"]}
    assert {p: v["enforcement"] for p, v in unknown.items()} == {
        "rds-backup-retention": "advisory",
        "s3-versioning": "advisory",
        "log-group-retention": "advisory",
    }
    assert "db-retention-unknown: backupRetentionPeriod" in unknown["rds-backup-retention"]["message"]
    assert "bucket-versioning-unknown: versioning status" in unknown["s3-versioning"]["message"]
    assert "logs-retention-unknown: retentionInDays" in unknown["log-group-retention"]["message"]


def test_unknown_inputs_show_as_computed_in_the_json(unknown_values_json):
    _, doc = unknown_values_json
    inputs = {r["name"]: r["inputs"] for r in doc["resources"] if r["type"] != "aws:s3/bucket:Bucket"}
    assert inputs["db-retention-unknown"]["backupRetentionPeriod"] == "<computed>"
    assert inputs["logs-retention-unknown"]["retentionInDays"] == "<computed>"


def test_the_cost_model_reports_an_unknown_input_as_not_known_until_deploy(unknown_values_json):
    _, doc = unknown_values_json
    reasons = {u["urn"].rsplit("::", 1)[1]: u["reason"] for u in doc["cost"]["unpriced"]}
    assert reasons["db-retention-unknown"] == "backupRetentionPeriod not known until deploy"


def _config_with(tmp_path, edit):
    doc = json.loads((PROJECT_DIR / "policy/config/dev.json").read_text())
    edit(doc)
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.update({"s3-encryption": {"enforcementLevel": "mandatory"}}), "s3-encryption: no such policy"),
        (
            lambda d: d["rds-backup-retention"].update({"minRetentionDays": "seven"}),
            "rds-backup-retention: minRetentionDays: 'seven' is not of type 'integer'",
        ),
        (
            lambda d: d["cost-within-budget"]["assumptions"].update({"cloudfrontTransferGbPerMonth": "lots"}),
            "cost-within-budget: assumptions.cloudfrontTransferGbPerMonth: 'lots' is not of type 'number'",
        ),
        (lambda d: d["gateway-waf"].update({"blockMode": True}), "gateway-waf: blockMode: unknown property"),
        (
            lambda d: d["s3-versioning"].update({"enforcementLevel": "strict"}),
            "s3-versioning: enforcementLevel must be one of advisory, mandatory, remediate, disabled",
        ),
    ],
    ids=["unknown-policy", "wrong-type", "wrong-nested-type", "unknown-property", "bad-enforcement"],
)
def test_policy_config_mistakes_exit_2_with_one_line_naming_file_policy_and_property(capsys, tmp_path, edit, expected):
    cfg = _config_with(tmp_path, edit)
    code, out, err = run_cli(capsys, "--stack", "dev", "--program", SMALL, "--policy-pack-config", str(cfg))
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"preflight: {cfg}: ") and expected in err


def test_malformed_policy_config_exits_2(capsys, tmp_path):
    cfg = tmp_path / "dev.json"
    cfg.write_text("{not json")
    code, out, err = run_cli(capsys, "--stack", "dev", "--program", SMALL, "--policy-pack-config", str(cfg))
    assert (code, out) == (2, "")
    assert err.startswith(f"preflight: {cfg}: malformed JSON")


def test_missing_stack_policy_config_exits_2_naming_the_default_path(capsys, tmp_path):
    code, _, err = run_cli(capsys, "--stack", "dev", "--program", SMALL, "--policy-pack-config", str(tmp_path / "x"))
    assert code == 2 and err.strip() == f"preflight: {tmp_path / 'x'}: file not found"


@pytest.mark.parametrize("stack", STACKS)
def test_cost_policies_of_a_stack_share_one_set_of_assumptions(stack):
    doc = json.loads((PROJECT_DIR / f"policy/config/{stack}.json").read_text())
    assert doc["cost-within-budget"]["assumptions"] == doc["cost-budget-headroom"]["assumptions"]


@pytest.mark.parametrize("stack", STACKS)
def test_budget_cap_in_policy_config_matches_the_stack_budget(stack):
    doc = json.loads((PROJECT_DIR / f"policy/config/{stack}.json").read_text())
    stack_file = (PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()
    assert f"monthlyBudgetUsd: {doc['monthly-cost-budget']['maxLimitUsd']}\n" in stack_file
