"""`python -m ops topology` against moto: the live RDS/SSM topology compared with the stack's outputs."""

from __future__ import annotations

import io
import json

from ops.cli import Deps, main
from ops.errors import EXIT_FAILED, EXIT_OK
from tests import ops_support
from tests.ops_support import DR, PRIMARY, MotoStack, leave_failed_back

moto_endpoint, stack = ops_support.moto_endpoint, ops_support.stack


def topology(stack: MotoStack, tmp_path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    outputs = stack.write(tmp_path / "outputs.json")
    argv = ["topology", "--stack", "stage", "--outputs", str(outputs), "--endpoint-url", stack.endpoint, *extra]
    code = main(argv, Deps(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_a_stack_as_deployed_matches_its_outputs(stack, tmp_path):
    code, out, err = topology(stack, tmp_path)

    assert (code, err) == (EXIT_OK, "")
    assert out.startswith("stack stage matches its outputs:")


def test_a_failed_back_stack_is_diverged_in_one_line_naming_the_runbook_section(stack, tmp_path):
    leave_failed_back(stack)

    code, out, err = topology(stack, tmp_path)

    assert (code, out) == (EXIT_FAILED, "")
    (line,) = err.splitlines()
    d = stack.data
    assert line.startswith(
        "ops topology: stack stage diverged from its outputs: do not run pulumi up; "
        "reconcile per docs/runbooks/monthly-drill.md#database-switch-back: "
    )
    assert f"replica {d['dbReplicaIdentifier']} in {DR} is a writer (promoted)" in line
    assert f"{d['dbPrimaryIdentifier']}-failback exists in {PRIMARY} (switch-back pending)" in line
    assert f"{d['dbEndpointParameterName']} in {PRIMARY}, {DR} points at {d['dbReplicaIdentifier']}'s endpoint" in line


def test_a_parameter_repointed_by_hand_alone_is_a_divergence(stack, tmp_path):
    d = stack.data
    stack.factory().client("ssm", DR).put_parameter(
        Name=d["dbEndpointParameterName"], Value="elsewhere.example.com:5432", Type="String", Overwrite=True
    )

    code, _, err = topology(stack, tmp_path)

    assert code == EXIT_FAILED
    assert f"{d['dbEndpointParameterName']} in {DR} points at elsewhere.example.com:5432" in err
    assert PRIMARY not in err  # the primary region's parameter still matches


def test_a_missing_writer_is_named(moto_endpoint, tmp_path):
    stack = MotoStack(moto_endpoint).build()
    # outputs naming an instance that does not exist (identifier and ARN alike)
    stack.data["dbPrimaryIdentifier"] = "db-gone"
    stack.data["dbPrimaryArn"] = stack.data["dbPrimaryArn"].rsplit(":", 1)[0] + ":db-gone"

    code, _, err = topology(stack, tmp_path)

    assert code == EXIT_FAILED and f"writer db-gone does not exist in {PRIMARY}" in err


def test_json_format_reports_the_match_on_stdout(stack, tmp_path):
    code, out, _ = topology(stack, tmp_path, "--format", "json")

    assert code == EXIT_OK
    assert json.loads(out)["ok"] is True


def test_the_failback_shape_is_accepted_as_a_pending_switch_back_only_when_allowed(stack, tmp_path):
    leave_failed_back(stack)

    code, out, err = topology(stack, tmp_path, "--allow-pending-switch-back", "--format", "json")

    assert (code, err) == (EXIT_OK, "")
    report = json.loads(out)
    assert report["switchBack"] == "pending"
    assert "failback --stack stage --outputs OUTPUTS --switch-back --execute" in report["detail"]


def test_a_matching_stack_reports_no_pending_switch_back(stack, tmp_path):
    code, out, _ = topology(stack, tmp_path, "--allow-pending-switch-back", "--format", "json")

    assert code == EXIT_OK and json.loads(out)["switchBack"] == "none"


def test_the_failback_shape_with_a_parameter_elsewhere_still_fails_when_pending_is_allowed(stack, tmp_path):
    leave_failed_back(stack)
    d = stack.data
    stack.factory().client("ssm", PRIMARY).put_parameter(
        Name=d["dbEndpointParameterName"], Value=d["dbPrimaryEndpoint"], Type="String", Overwrite=True
    )

    code, out, err = topology(stack, tmp_path, "--allow-pending-switch-back")

    assert (code, out) == (EXIT_FAILED, "")
    assert "diverged from its outputs" in err and f"in {DR} points at {d['dbReplicaIdentifier']}'s endpoint" in err


def test_a_promoted_replica_without_a_failback_replica_still_fails_when_pending_is_allowed(stack, tmp_path):
    d = stack.data
    stack.factory().client("rds", DR).promote_read_replica(DBInstanceIdentifier=d["dbReplicaIdentifier"])

    code, _, err = topology(stack, tmp_path, "--allow-pending-switch-back")

    assert code == EXIT_FAILED and f"replica {d['dbReplicaIdentifier']} in {DR} is a writer (promoted)" in err
