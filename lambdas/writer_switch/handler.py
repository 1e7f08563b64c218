"""Re-point what the application reads to find its database writer, in the region this function runs in.

The Region switch plan invokes one copy of this function per region (a CustomActionLambda step needs a function in
each of the plan's regions). After the plan has promoted the DR replica (activate) or re-created the replica in the
recovered region (deactivate), the function:

1. finds the writer: the database instance of its own region if that is a standalone, writable instance, else the
   standalone instance in the other region (it asks its own region first, so a lost primary region costs nothing
   while the DR region is being activated);
2. writes the writer's host into the SSM String parameter `parameter` of its own region (the application's
   writer-endpoint parameter);
3. writes the host into the `host` field of each listed Secrets Manager secret of its region (the credentials
   secret the application reads); a listed secret of another region is skipped. A secret owned by a service
   (RDS's managed master secret holds only username and password) is left alone. A replica secret cannot be
   written while it replicates (PutSecretValue: "Operation not permitted on a replica secret"); its primary lives
   in the other, possibly lost, region, so the function promotes it to a standalone secret first
   (StopReplicationToReplica) — re-replicate it after failback.

Everything is read before it is written and written only when it differs, so a rerun (Region switch retries a failed
step after its retry interval; an operator may rerun the plan) changes nothing the second time. Configuration comes
from the WRITER_SWITCH_CONFIG environment variable, written by components/region_switch.py:

    {"databases": [{"name": "...", "parameter": "/svc/env/database/writer-endpoint",
                    "instances": {"us-east-1": "svc-env-db", "us-west-2": "svc-env-db-dr"},
                    "secrets": ["arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME"]}]}

Only the boto3 that the Lambda Python runtime ships is used, and only long-standing API operations.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CONFIG_ENV = "WRITER_SWITCH_CONFIG"
# A writer in these states accepts connections and writes (RDS DB instance status reference); "available" is the
# normal one, the others are maintenance that does not stop the instance.
WRITABLE_STATUSES = frozenset(
    {
        "available",
        "backing-up",
        "modifying",
        "storage-optimization",
        "configuring-enhanced-monitoring",
        "configuring-log-exports",
        "configuring-iam-database-auth",
    }
)

ClientFor = Callable[[str, str], Any]  # (service, region) -> boto3 client


class WriterNotFound(RuntimeError):
    """No region holds a standalone, writable instance: the step fails and Region switch retries it."""


@dataclass(frozen=True)
class Database:
    name: str
    parameter: str
    instances: Mapping[str, str]  # region -> DB instance identifier
    secrets: Sequence[str]  # secret ARNs the application in this function's region reads


@dataclass(frozen=True)
class Writer:
    region: str
    identifier: str
    host: str


def parse_config(text: str) -> list[Database]:
    doc = json.loads(text)
    return [
        Database(
            name=str(d["name"]),
            parameter=str(d["parameter"]),
            instances={str(k): str(v) for k, v in d["instances"].items()},
            secrets=[str(a) for a in d.get("secrets", [])],
        )
        for d in doc["databases"]
    ]


def _error_code(err: Exception) -> str:
    response = getattr(err, "response", None)
    return str((response or {}).get("Error", {}).get("Code", type(err).__name__))


def find_writer(db: Database, region: str, client_for: ClientFor) -> tuple[Writer, list[str]]:
    """The writer of `db`, asking `region` first; also what was seen in each region (for the log)."""
    seen: list[str] = []
    for candidate in [region, *sorted(r for r in db.instances if r != region)]:
        identifier = db.instances.get(candidate)
        if identifier is None:
            continue
        try:
            found = client_for("rds", candidate).describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
        except Exception as err:  # noqa: BLE001 - a lost region answers with anything from timeouts to 5xx
            seen.append(f"{candidate}/{identifier}: {_error_code(err)}")
            continue
        instance = found[0] if found else {}
        status = instance.get("DBInstanceStatus")
        source = instance.get("ReadReplicaSourceDBInstanceIdentifier")
        host = (instance.get("Endpoint") or {}).get("Address")
        if source:
            seen.append(f"{candidate}/{identifier}: replica of {source}")
        elif status not in WRITABLE_STATUSES or not host:
            seen.append(f"{candidate}/{identifier}: standalone but {status}")
        else:
            seen.append(f"{candidate}/{identifier}: writer ({status})")
            return Writer(candidate, identifier, str(host)), seen
    raise WriterNotFound(f"{db.name}: no standalone writable instance ({'; '.join(seen)})")


def point_parameter(name: str, host: str, region: str, client_for: ClientFor) -> str:
    ssm = client_for("ssm", region)
    current = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    if current == host:
        return "unchanged"
    ssm.put_parameter(Name=name, Value=host, Type="String", Overwrite=True)
    return f"{current} -> {host}"


def _secret_region(arn: str) -> str:
    return arn.split(":")[3]


def point_secret(arn: str, host: str, region: str, client_for: ClientFor) -> str:
    if _secret_region(arn) != region:
        # Only this region's copy: the application here reads it, and the other region may be the lost one.
        return f"skipped: lives in {_secret_region(arn)}, not {region}"
    sm = client_for("secretsmanager", region)
    described = sm.describe_secret(SecretId=arn)
    owner = described.get("OwningService")
    if owner:
        return f"skipped: managed by {owner}"
    note = ""
    primary = described.get("PrimaryRegion")
    if primary and primary != region:
        sm.stop_replication_to_replica(SecretId=arn)
        note = f"promoted from a replica of {primary}; "
    value = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    if value.get("host") == host:
        return note + "unchanged"
    old = value.get("host")
    value["host"] = host
    sm.put_secret_value(SecretId=arn, SecretString=json.dumps(value))
    return f"{note}host {old} -> {host}"


def switch(databases: Sequence[Database], region: str, client_for: ClientFor) -> dict[str, Any]:
    """Re-point every database's parameter and secrets in `region`; the result is what the step logs."""
    results = []
    for db in databases:
        writer, seen = find_writer(db, region, client_for)
        results.append(
            {
                "database": db.name,
                "writer": {"region": writer.region, "identifier": writer.identifier, "host": writer.host},
                "seen": seen,
                "parameter": {db.parameter: point_parameter(db.parameter, writer.host, region, client_for)},
                "secrets": {arn: point_secret(arn, writer.host, region, client_for) for arn in db.secrets},
            }
        )
    return {"region": region, "databases": results}


def boto3_clients() -> ClientFor:
    """Clients with short timeouts and few retries: a dead region must fail fast, not stall the step."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=3, read_timeout=10, retries={"mode": "standard", "max_attempts": 2})
    cache: dict[tuple[str, str], Any] = {}

    def client_for(service: str, region: str) -> Any:
        if (service, region) not in cache:
            cache[(service, region)] = boto3.client(service, region_name=region, config=config)
        return cache[(service, region)]

    return client_for


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point. `event` carries Region switch's execution metadata (PlanArn, ExecutionId, StepName)."""
    region = os.environ["AWS_REGION"]
    result = switch(parse_config(os.environ[CONFIG_ENV]), region, boto3_clients())
    result["invokedBy"] = {k: event.get(k) for k in ("PlanArn", "ExecutionId", "StepName") if k in event}
    print(json.dumps(result))  # one structured line in the function's log group
    return result
