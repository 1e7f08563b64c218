"""The writer-switch Lambda (lambdas/writer_switch) against moto's RDS, SSM and Secrets Manager, in-process.

moto has no StopReplicationToReplica and no service-owned secrets, so those two branches run against botocore's
Stubber on the real Secrets Manager model instead.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber
from moto import mock_aws

from lambdas.writer_switch import handler as ws
from tests.ops_support import create_replicated_pair, fix_moto_promotion

PRIMARY, DR = "us-east-1", "us-west-2"
PARAMETER = "/summit/stage/database/writer-endpoint"


@pytest.fixture
def aws(monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    fix_moto_promotion()  # AWS clears ReadReplicaSourceDBInstanceIdentifier on promotion; moto 5.2.5 does not
    with mock_aws():
        yield


def client_for(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)


class World:
    """A stage-like pair: primary in us-east-1, its replica in us-west-2, the parameter and a DR secret."""

    def __init__(self) -> None:
        self.primary, self.replica = create_replicated_pair(
            client_for("rds", PRIMARY), client_for("rds", DR), "summit-stage-db"
        )
        for region in (PRIMARY, DR):
            client_for("ssm", region).put_parameter(
                Name=PARAMETER, Type="String", Value=self.primary["Endpoint"]["Address"]
            )
        self.dr_secret = client_for("secretsmanager", DR).create_secret(
            Name="summit-stage-app-db",
            SecretString=json.dumps({"username": "app", "password": secrets.token_urlsafe(12), "host": self.old_host}),
        )["ARN"]
        self.primary_secret = client_for("secretsmanager", PRIMARY).create_secret(
            Name="summit-stage-app-db", SecretString=json.dumps({"host": self.old_host})
        )["ARN"]

    @property
    def old_host(self) -> str:
        return str(self.primary["Endpoint"]["Address"])

    def database(self, secret_arns: list[str] | None = None) -> ws.Database:
        return ws.Database(
            name="db",
            parameter=PARAMETER,
            instances={PRIMARY: "summit-stage-db", DR: "summit-stage-db-dr"},
            secrets=[self.dr_secret] if secret_arns is None else secret_arns,
        )

    def promote(self) -> str:
        rds = client_for("rds", DR)
        rds.promote_read_replica(DBInstanceIdentifier="summit-stage-db-dr")
        return str(
            rds.describe_db_instances(DBInstanceIdentifier="summit-stage-db-dr")["DBInstances"][0]["Endpoint"][
                "Address"
            ]
        )

    @staticmethod
    def parameter(region: str) -> dict[str, Any]:
        return client_for("ssm", region).get_parameter(Name=PARAMETER)["Parameter"]

    def secret_host(self, arn: str) -> str:
        region = arn.split(":")[3]
        return json.loads(client_for("secretsmanager", region).get_secret_value(SecretId=arn)["SecretString"])["host"]

    @staticmethod
    def versions(arn: str) -> int:
        region = arn.split(":")[3]
        return len(client_for("secretsmanager", region).list_secret_version_ids(SecretId=arn)["Versions"])


@pytest.fixture
def world(aws):
    return World()


def test_after_promotion_the_dr_function_points_the_dr_parameter_and_secret_at_the_promoted_writer(world):
    new_host = world.promote()
    result = ws.switch([world.database()], DR, client_for)
    assert result["databases"][0]["writer"] == {"region": DR, "identifier": "summit-stage-db-dr", "host": new_host}
    assert world.parameter(DR)["Value"] == new_host
    assert world.secret_host(world.dr_secret) == new_host
    assert world.secret_host(world.dr_secret) != world.old_host


def test_the_secret_keeps_its_other_fields_when_its_host_moves(world):
    before = json.loads(client_for("secretsmanager", DR).get_secret_value(SecretId=world.dr_secret)["SecretString"])
    world.promote()
    ws.switch([world.database()], DR, client_for)
    after = json.loads(client_for("secretsmanager", DR).get_secret_value(SecretId=world.dr_secret)["SecretString"])
    assert {k: v for k, v in after.items() if k != "host"} == {k: v for k, v in before.items() if k != "host"}


def test_a_rerun_changes_nothing(world):
    world.promote()
    ws.switch([world.database()], DR, client_for)
    version, secret_versions = world.parameter(DR)["Version"], world.versions(world.dr_secret)
    again = ws.switch([world.database()], DR, client_for)
    assert again["databases"][0]["parameter"] == {PARAMETER: "unchanged"}
    assert again["databases"][0]["secrets"] == {world.dr_secret: "unchanged"}
    assert (world.parameter(DR)["Version"], world.versions(world.dr_secret)) == (version, secret_versions)


def test_the_activating_region_wins_even_while_the_old_primary_still_takes_writes(world):
    # Split brain in the making: the old primary is standalone too. The DR function must not point back at it.
    new_host = world.promote()
    ws.switch([world.database()], DR, client_for)
    assert world.parameter(DR)["Value"] == new_host


def test_a_lost_primary_region_does_not_stop_the_dr_function(world):
    new_host = world.promote()

    def lost_primary(service: str, region: str) -> Any:
        if region == PRIMARY:
            raise EndpointConnectionError(endpoint_url=f"https://{service}.{region}.amazonaws.com")
        return client_for(service, region)

    ws.switch([world.database()], DR, lost_primary)
    assert world.parameter(DR)["Value"] == new_host


def test_a_function_whose_region_holds_only_a_replica_finds_the_writer_in_the_other_region(world):
    # Re-protection: the recovered region's instance is (again) a replica; its parameter must name the active writer.
    new_host = world.promote()
    primary = client_for("rds", PRIMARY)
    primary.modify_db_instance(DBInstanceIdentifier="summit-stage-db", NewDBInstanceIdentifier="summit-stage-db-old")
    promoted_arn = client_for("rds", DR).describe_db_instances(DBInstanceIdentifier="summit-stage-db-dr")[
        "DBInstances"
    ][0]["DBInstanceArn"]
    primary.create_db_instance_read_replica(
        DBInstanceIdentifier="summit-stage-db", SourceDBInstanceIdentifier=promoted_arn, DBInstanceClass="db.t3.micro"
    )
    result = ws.switch([world.database(secret_arns=[world.primary_secret])], PRIMARY, client_for)
    assert result["databases"][0]["writer"]["region"] == DR
    assert world.parameter(PRIMARY)["Value"] == new_host
    assert world.secret_host(world.primary_secret) == new_host


def test_no_standalone_writer_anywhere_fails_the_step_so_region_switch_retries_it(world):
    # Before promotion the DR instance is a replica and the primary region is gone: nothing to point at.
    def lost_primary(service: str, region: str) -> Any:
        if region == PRIMARY:
            raise EndpointConnectionError(endpoint_url=f"https://{service}.{region}.amazonaws.com")
        return client_for(service, region)

    with pytest.raises(ws.WriterNotFound, match=r"summit-stage-db-dr: replica of .*summit-stage-db"):
        ws.switch([world.database()], DR, lost_primary)
    assert world.parameter(DR)["Value"] == world.old_host  # nothing was written


def test_a_secret_of_the_other_region_is_left_to_that_regions_function(world):
    world.promote()
    result = ws.switch([world.database(secret_arns=[world.primary_secret])], DR, client_for)
    assert result["databases"][0]["secrets"] == {world.primary_secret: "skipped: lives in us-east-1, not us-west-2"}
    assert world.secret_host(world.primary_secret) == world.old_host


def test_the_lambda_entry_point_reads_its_config_and_region_from_the_environment(world, monkeypatch):
    new_host = world.promote()
    config = {"databases": [{"name": "db", "parameter": PARAMETER, "secrets": [world.dr_secret],
                             "instances": {PRIMARY: "summit-stage-db", DR: "summit-stage-db-dr"}}]}  # fmt: skip
    monkeypatch.setenv("AWS_REGION", DR)
    monkeypatch.setenv(ws.CONFIG_ENV, json.dumps(config))
    result = ws.handler({"PlanArn": "arn:aws:arc-region-switch::123456789012:plan/p:abc123", "StepName": "s"}, None)
    assert result["invokedBy"]["StepName"] == "s"
    assert world.parameter(DR)["Value"] == new_host


# --- Secrets Manager branches moto does not implement: botocore's Stubber on the real model ----------------------

SECRET = "arn:aws:secretsmanager:us-west-2:123456789012:secret:summit-stage-app-db-AbCdEf"


def stubbed_secrets() -> tuple[Any, Stubber]:
    client = boto3.client("secretsmanager", region_name=DR, aws_access_key_id="x", aws_secret_access_key="y")
    return client, Stubber(client)


def test_a_replica_secret_is_promoted_before_its_host_is_written():
    client, stub = stubbed_secrets()
    stub.add_response("describe_secret", {"ARN": SECRET, "PrimaryRegion": PRIMARY}, {"SecretId": SECRET})
    stub.add_response("stop_replication_to_replica", {"ARN": SECRET}, {"SecretId": SECRET})
    stub.add_response(
        "get_secret_value", {"ARN": SECRET, "SecretString": json.dumps({"host": "old"})}, {"SecretId": SECRET}
    )
    stub.add_response(
        "put_secret_value", {"ARN": SECRET}, {"SecretId": SECRET, "SecretString": json.dumps({"host": "new"})}
    )
    with stub:
        outcome = ws.point_secret(SECRET, "new", DR, lambda service, region: client)
    stub.assert_no_pending_responses()
    assert outcome == f"promoted from a replica of {PRIMARY}; host old -> new"


def test_a_secret_managed_by_rds_is_never_written():
    client, stub = stubbed_secrets()
    stub.add_response("describe_secret", {"ARN": SECRET, "OwningService": "rds"}, {"SecretId": SECRET})
    with stub:
        outcome = ws.point_secret(SECRET, "new", DR, lambda service, region: client)
    stub.assert_no_pending_responses()
    assert outcome == "skipped: managed by rds"
