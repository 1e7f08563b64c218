"""CLI contract: --help explains every option; the committed example prints the dry-run plan."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys

import pytest

from ops.cli import Deps, main, parser
from tests.ops_support import FIXTURE


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", ["verify", "drill", "failback", "failover", "lab"])
def test_every_option_has_help_text(command):
    sub = _subparsers()[command]
    undocumented = [a.option_strings for a in sub._actions if a.option_strings and not a.help]
    assert undocumented == []


def test_drill_dry_run_plan_from_the_example_outputs_via_python_m():
    done = subprocess.run(
        [sys.executable, "-m", "ops", "drill", "--stack", "stage", "--outputs", str(FIXTURE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "drill plan for stage (dry-run" in done.stdout
    for text in (
        "update_health_check",
        "Inverted=True",
        "promote_read_replica",
        "BackupRetentionPeriod=14",  # dbBackupRetentionDays of the outputs, not a tool default
        "put_parameter",
        "/summit/stage/database/writer-endpoint",
        "rds[us-west-2]",
    ):
        assert text in done.stdout


def test_drill_dry_run_json_lists_steps_and_calls():
    out = io.StringIO()
    assert (
        main(
            ["drill", "--stack", "stage", "--outputs", str(FIXTURE), "--format", "json", "--fault-db", "reboot"],
            Deps(stdout=out),
        )
        == 0
    )
    plan = json.loads(out.getvalue())
    assert [s["name"] for s in plan["steps"]][:3] == ["verify", "baseline", "inject-fault"]
    inject = plan["steps"][2]["calls"]
    assert "rds[us-east-1].reboot_db_instance(DBInstanceIdentifier=summit-stage-db)" in inject


def test_failback_dry_run_prints_replica_inversion_and_dns_plan():
    out = io.StringIO()
    assert main(["failback", "--stack", "stage", "--outputs", str(FIXTURE)], Deps(stdout=out)) == 0
    text = out.getvalue()
    assert "create_db_instance_read_replica" in text and "Inverted=False" in text
    assert "summit-stage-db-failback" in text and "--switch-back (plan), then --execute" in text


def test_resume_requires_execute():
    err = io.StringIO()
    code = main(
        ["drill", "--stack", "stage", "--outputs", str(FIXTURE), "--resume", "x"],
        Deps(stdout=io.StringIO(), stderr=err),
    )
    assert code == 2 and "--execute" in err.getvalue()
