"""Stack outputs: the committed example parses; every malformed input is one clear line and exit 2."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from ops.aws import ClientFactory
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
    assert [b.purpose for b in o.buckets] == ["archive", "audit-logs", "backups", "data"]
    # gatewayUrl is the CloudFront name; its origin is the gateway host's failover record
    assert o.gateway_host is not None and o.gateway_host.host == "gateway"
    assert o.velero is not None and o.velero.schedule_name == "nightly"
    assert o.region_switch_plan_arn is not None
    assert o.region_switch_plan_arn.startswith("arn:aws:arc-region-switch::321098765432:plan/summit-stage-failover:")


def test_behind_cloudfront_the_gateway_host_serves_gateway_url_even_when_another_host_sorts_first():
    data = example()
    data["failover"] = {
        "api": {**data["failover"]["wallet"], "fqdn": "api.stage.summit.example.com"},
        **data["failover"],
    }
    o = parse(data)
    assert o.failover[0].host == "api"
    assert o.gateway_host is not None and o.gateway_host.host == "gateway"


def test_a_gateway_url_no_failover_host_serves_names_no_host_to_invert():
    data = example()
    data["failover"] = {"wallet": data["failover"]["wallet"]}
    assert parse(data).gateway_host is None


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


EXPORT = "pulumi stack output --json --show-secrets"


class RecordingFactory(ClientFactory):
    """A client factory that notes every (service, region) a command asks for: input errors must ask for none."""

    def __init__(self) -> None:
        super().__init__()
        self.made: list[tuple[str, str]] = []

    def client(self, service: str, region: str) -> Any:
        self.made.append((service, region))
        return super().client(service, region)


def test_the_recording_factory_notes_the_clients_a_command_asks_for():
    factory = RecordingFactory()
    factory.client("rds", "us-west-2")
    assert factory.made == [("rds", "us-west-2")]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"environment": "st\xe4ge"}', "not UTF-8 (byte 0xe4 at offset 19) — write it with `{export}`"),
        (
            "{}".encode("utf-16"),
            "UTF-16 text, not UTF-8 (PowerShell's `>` writes UTF-16) — write it with `{export} | Out-File -Encoding "
            "utf8 FILE`",
        ),
        (
            b"{" + b" " * (5 * 1024 * 1024) + b"}",
            "larger than 5 MiB, not a stack outputs document — write it with `{export}`",
        ),
        (
            b'{"environment": "stage", "environment": "prod"}',
            'key "environment" appears twice in one object — which one is meant is unclear: write the file again '
            "with `{export}`",
        ),
        (b'{"replicaLag": NaN}', "NaN is not a JSON value — write it with `{export}`"),
        (b'{"replicaLag": -Infinity}', "-Infinity is not a JSON value — write it with `{export}`"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply to be stack outputs — write it with `{export}`"),
        (
            b'{"environment": "stage",}',
            "not JSON (line 1: Expecting property name enclosed in double quotes) — write it with `{export}`",
        ),
    ],
    ids=["latin-1", "utf-16", "too-large", "duplicate-key", "nan", "infinity", "deep-nesting", "trailing-comma"],
)
def test_outputs_files_that_cannot_be_decoded_are_one_line_exit_2_and_no_aws_client_is_made(tmp_path, content, problem):
    path = tmp_path / "outputs.json"
    path.write_bytes(content)
    err = io.StringIO()
    factory = RecordingFactory()

    code = main(
        ["verify", "--stack", "stage", "--outputs", str(path)], Deps(factory=factory, stderr=err, stdout=io.StringIO())
    )

    assert code == 2
    assert err.getvalue() == f"ops verify: {path}: {problem.format(export=EXPORT)}\n"
    assert factory.made == []


def test_outputs_path_that_is_a_directory_or_missing_is_one_line_exit_2(tmp_path):
    for path, reason in ((tmp_path, "Is a directory"), (tmp_path / "missing.json", "No such file or directory")):
        err = io.StringIO()
        code = main(["drill", "--stack", "stage", "--outputs", str(path)], Deps(stderr=err, stdout=io.StringIO()))
        assert code == 2
        assert err.getvalue() == (
            f"ops drill: {path}: cannot read stack outputs ({reason}) — write them with `{EXPORT} > FILE` and pass "
            "that FILE\n"
        )


def test_outputs_on_stdin_that_are_not_utf8_are_one_line_exit_2(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b'{"a": "\xff"}')))
    err = io.StringIO()

    code = main(["drill", "--stack", "stage", "--outputs", "-"], Deps(stderr=err, stdout=io.StringIO()))

    assert code == 2
    assert err.getvalue() == f"ops drill: -: not UTF-8 (byte 0xff at offset 7) — write it with `{EXPORT}`\n"


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_bytes(b"\xef\xbb\xbf" + FIXTURE.read_bytes())  # PowerShell's Out-File -Encoding utf8 writes one

    assert load(path).environment == "stage"
