"""The recovery budget from the newest drill's measured terms (`preflight --drill-evidence DIR`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ops.evidence import Evidence, bundle_dir
from policy.recovery import apply_drill, drill_terms
from preflight import cli

MEASURED = {"detectionSeconds": 31.0, "dnsSeconds": 95.0, "promotionSeconds": 412.5, "reconnectSeconds": 22.0}


def bundle(root: Path, stack: str, started: datetime, measured: dict, *, finished: bool = True) -> Path:
    evidence = Evidence.create(
        bundle_dir(root, stack, started), kind="drill", stack=stack, started_at=started, objectives={}, context={}
    )
    if finished:
        evidence.data.update(endedAt=started.isoformat(), measured=measured)
        evidence.save()
    return evidence.directory


BUDGET = {
    "rto": {
        "terms": [
            {"name": "detection", "seconds": 90, "basis": "health check 30 s × 3"},
            {"name": "dbPromotion", "seconds": 300, "basis": "dbPromotionSeconds estimate"},
            {"name": "dns", "seconds": 60, "basis": "alias TTL"},
            {"name": "appReconnect", "seconds": 60, "basis": "appReconnectSeconds"},
        ],
        "totalSeconds": 510,
        "objectiveSeconds": 900,
        "ok": True,
    },
    "rpo": [{"ok": True}],
    "ok": True,
}


def test_the_drill_measures_promotion_dns_after_detection_and_reconnect():
    assert drill_terms(MEASURED) == {"dbPromotion": 412.5, "dns": 64.0, "appReconnect": 22.0}


def test_measured_terms_replace_the_estimates_and_each_term_says_which_it_is():
    budget = apply_drill(BUDGET, drill_terms(MEASURED), "stage-20261101T092300Z")

    terms = {t["name"]: t for t in budget["rto"]["terms"]}
    assert {n for n, t in terms.items() if t["measured"]} == {"dbPromotion", "dns", "appReconnect"}
    assert terms["detection"] == {**BUDGET["rto"]["terms"][0], "measured": False}
    assert terms["dbPromotion"]["seconds"] == 412.5 and "measured by the drill" in terms["dbPromotion"]["basis"]
    assert budget["rto"]["totalSeconds"] == 90 + 412.5 + 64 + 22


def test_a_measured_total_over_the_objective_fails_the_budget():
    slow = drill_terms({**MEASURED, "promotionSeconds": 900.0})
    budget = apply_drill(BUDGET, slow, "stage-x")
    assert budget["rto"]["ok"] is False and budget["ok"] is False


def test_preflight_prints_the_newest_drills_terms_as_measured(tmp_path, capsys):
    now = datetime.now(UTC).replace(microsecond=0)
    bundle(tmp_path, "stage", now - timedelta(days=31), {**MEASURED, "promotionSeconds": 999.0})
    newest = bundle(tmp_path, "stage", now, MEASURED)
    bundle(tmp_path, "prod", now + timedelta(days=1), MEASURED)  # another stack's drill does not count
    bundle(tmp_path, "stage", now + timedelta(hours=1), MEASURED, finished=False)  # nor an unfinished one

    code = cli.main(["--stack", "stage", "--drill-evidence", str(tmp_path)])

    out = capsys.readouterr().out
    assert code == 0
    assert f"terms marked measured come from the drill {newest.name}" in out
    assert any(line.split()[:3] == ["dbPromotion", "412.5", "s"] and "measured" in line for line in out.splitlines())
    assert any(line.split()[:1] == ["detection"] and "estimate" in line for line in out.splitlines())


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_a_drill_evidence_directory_without_a_finished_drill_is_one_line_exit_2(tmp_path, capsys, make):
    directory = tmp_path / "nothing-here"
    if make == "empty":
        directory.mkdir()

    code = cli.main(["--stack", "stage", "--drill-evidence", str(directory)])

    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("preflight: --drill-evidence: ")


def policy_config(tmp_path: Path, **recovery: object) -> Path:
    """stage's policy config with extra recovery-budget properties, in its own directory."""
    doc = json.loads((Path(cli.settings.PROJECT_DIR) / "policy" / "config" / "stage.json").read_text())
    doc["recovery-budget"] = {**doc["recovery-budget"], **recovery}
    directory = tmp_path / "config"
    directory.mkdir()
    path = directory / "stage.json"
    path.write_text(json.dumps(doc))
    return path


def test_the_policy_configs_drill_evidence_dir_is_read_relative_to_the_config_file(tmp_path, capsys):
    newest = bundle(tmp_path / "evidence", "stage", datetime.now(UTC).replace(microsecond=0), MEASURED)
    config = policy_config(tmp_path, drillEvidenceDir="../evidence")

    code = cli.main(["--stack", "stage", "--policy-pack-config", str(config)])

    out = capsys.readouterr().out
    assert code == 0
    assert f"terms marked measured come from the drill {newest.name}" in out


def test_the_flag_wins_over_the_policy_configs_drill_evidence_dir(tmp_path, capsys):
    now = datetime.now(UTC).replace(microsecond=0)
    bundle(tmp_path / "evidence", "stage", now, MEASURED)
    flagged = bundle(tmp_path / "other", "stage", now - timedelta(days=1), MEASURED)
    config = policy_config(tmp_path, drillEvidenceDir="../evidence")

    code = cli.main(["--stack", "stage", "--policy-pack-config", str(config), "--drill-evidence", str(flagged)])

    assert code == 0 and f"from the drill {flagged.name}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "expected"), [("", "drillEvidenceDir: '' should be non-empty"), (7, "is not of type")]
)
def test_a_malformed_drill_evidence_dir_is_one_line_naming_the_file_and_key(tmp_path, capsys, value, expected):
    config = policy_config(tmp_path, drillEvidenceDir=value)

    code = cli.main(["--stack", "stage", "--policy-pack-config", str(config)])

    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "recovery-budget: drillEvidenceDir" in err and expected in err and str(config) in err


def test_a_configured_directory_without_a_drill_names_the_config_key(tmp_path, capsys):
    (tmp_path / "evidence").mkdir()
    config = policy_config(tmp_path, drillEvidenceDir="../evidence")

    code = cli.main(["--stack", "stage", "--policy-pack-config", str(config)])

    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "recovery-budget.drillEvidenceDir" in err and "no finished drill of stack stage there" in err
