"""Stack outputs: the committed example parses; every malformed input is one clear line and exit 2."""

from __future__ import annotations

import io
import json

import pytest

from ops.cli import Deps, main
from ops.outputs import OutputsError, load, parse
from tests.ops_support import FIXTURE


def example() -> dict:
    return json.loads(FIXTURE.read_text())


def test_example_outputs_parse_into_the_contract():
    o = load(FIXTURE)

    assert o.environment == "stage"
    assert (o.primary.region, o.replica.region) == ("us-east-1", "us-west-2")
    assert o.replica.identifier == "summit-stage-db-dr"
    assert o.endpoint_parameter_name == "/summit/stage/database/writer-endpoint"
    assert [b.purpose for b in o.buckets] == ["audit-logs", "backups"]
    assert o.gateway_host is not None and o.gateway_host.fqdn == "gateway.stage.summit.example.com"
    assert o.velero is not None and o.velero.schedule_name == "summit-stage-hourly"
    assert o.region_switch_plan_arn == "arn:aws:arc-region-switch::321098765432:plan/summit-stage-failover:a1b2c3"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("dbReplicaArn"), "dbReplicaArn: expected an RDS DB instance ARN"),
        (
            lambda d: d.update(dbPrimaryArn="arn:aws:rds:us-east-1:321098765432:db:other"),
            "dbPrimaryArn: expected the ARN of dbPrimaryIdentifier summit-stage-db",
        ),
        (lambda d: d.update(dbReplicaRegion="us-east-1"), "dbReplicaArn: expected an ARN in dbReplicaRegion"),
        (lambda d: d.update(dbSecretArn="[secret]"), "--show-secrets"),
        (
            lambda d: d["failover"]["gateway"].update(primaryHealthCheckId="hc-1"),
            "failover.gateway.primaryHealthCheckId: expected a Route53 health check id",
        ),
        (lambda d: d["buckets"].update(logs=d["buckets"]["backups"]), "buckets: expected purposes among"),
        (
            lambda d: d["buckets"]["backups"].update(replicaRegion="us-east-1"),
            "buckets.backups.replicaRegion: expected a region other than the primary's",
        ),
        (lambda d: d.update(gatewayUrl="http://gateway"), "gatewayUrl: expected an https:// URL"),
        (
            # a regional ARN is not a Region switch plan: plans are global (no region in the ARN)
            lambda d: d.update(regionSwitchPlanArn="arn:aws:arc-region-switch:us-east-1:321098765432:plan/p:abc123"),
            "regionSwitchPlanArn: expected an ARC Region switch plan ARN",
        ),
    ],
)
def test_malformed_outputs_name_the_key_in_one_line(change, message):
    data = example()
    change(data)
    with pytest.raises(OutputsError) as err:
        parse(data, "outputs.json")
    assert message in str(err.value)
    assert str(err.value).startswith("outputs.json: ") and "\n" not in str(err.value)


def test_optional_components_may_be_absent():
    data = example()
    for key in ("failover", "gatewayUrl", "veleroNamespace", "veleroScheduleName", "veleroBucket", "dbSecretArn"):
        data.pop(key)
    o = parse(data)
    assert o.failover == () and o.velero is None and o.gateway_host is None


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not JSON (line 1"), ("[1, 2]", "expected a JSON object of stack outputs"), (None, "cannot read")],
)
def test_cli_unreadable_outputs_exit_2_with_one_line(tmp_path, content, message):
    path = tmp_path / "outputs.json"
    if content is not None:
        path.write_text(content)
    err = io.StringIO()
    code = main(["drill", "--stack", "stage", "--outputs", str(path)], Deps(stderr=err, stdout=io.StringIO()))
    assert code == 2
    assert message in err.getvalue() and err.getvalue().count("\n") == 1


def test_cli_outputs_of_another_stack_are_refused(tmp_path):
    err = io.StringIO()
    code = main(["verify", "--stack", "dev", "--outputs", str(FIXTURE)], Deps(stderr=err, stdout=io.StringIO()))
    assert code == 2 and "outputs are for environment stage, not --stack dev" in err.getvalue()


def test_drill_needs_the_failover_outputs(tmp_path):
    data = example()
    data.pop("failover")
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data))
    err = io.StringIO()
    assert main(["drill", "--stack", "stage", "--outputs", str(path)], Deps(stderr=err, stdout=io.StringIO())) == 2
    assert "needs the failover outputs" in err.getvalue()
