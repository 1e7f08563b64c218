"""Does the live database topology still match the stack's outputs? (`python -m ops topology`)

After a drill (or a real failover) and `ops failback`, the DR instance is the writer, the primary region holds a
`<dbPrimaryIdentifier>-failback` replica of it and both endpoint parameters point at the DR instance; the stack's
outputs (and its Pulumi state) still say the primary is the writer and the DR instance its replica. A `pulumi up`
on such a stack would "repair" it back towards the state file — re-create or modify the promoted writer as a
replica — so deploy.yml runs this check before every `up`, and dr-drill.yml after every failback.

Read-only: three RDS DescribeDBInstances and one SSM GetParameter per region.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ops.aws import ClientFactory
from ops.errors import EXIT_FAILED, OpsError
from ops.failback import failback_identifier
from ops.outputs import StackOutputs

# The runbook section that reconciles a diverged stack (docs/runbooks/monthly-drill.md, "Database switch-back").
RECONCILE = "docs/runbooks/monthly-drill.md#database-switch-back"


class Diverged(OpsError):
    """The live topology differs from the outputs: the check did its job and the answer is no (exit 1)."""

    exit_code = EXIT_FAILED


def _instance(factory: ClientFactory, region: str, identifier: str) -> dict[str, Any] | None:
    rds = factory.client("rds", region)
    # a Filters lookup answers an empty list for an instance that does not exist (no DBInstanceNotFound to catch)
    found = rds.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": [identifier]}])["DBInstances"]
    return dict(found[0]) if found else None


def findings(o: StackOutputs, factory: ClientFactory) -> list[str]:
    """Every divergence between the live RDS/SSM state and the outputs; empty when they match."""
    p, r = o.primary, o.replica
    out: list[str] = []
    writer = _instance(factory, p.region, p.identifier)
    if writer is None:
        out.append(f"writer {p.identifier} does not exist in {p.region}")
    elif writer.get("ReadReplicaSourceDBInstanceIdentifier"):
        source = writer["ReadReplicaSourceDBInstanceIdentifier"]
        out.append(f"writer {p.identifier} in {p.region} is a replica of {source}")
    replica = _instance(factory, r.region, r.identifier)
    if replica is None:
        out.append(f"replica {r.identifier} does not exist in {r.region}")
    else:
        source = replica.get("ReadReplicaSourceDBInstanceIdentifier")
        if source != p.arn:
            what = f"a replica of {source}" if source else "a writer (promoted)"
            out.append(f"replica {r.identifier} in {r.region} is {what}, not a replica of {p.identifier}")
    leftover = failback_identifier(o)
    if _instance(factory, p.region, leftover) is not None:
        out.append(f"{leftover} exists in {p.region} (switch-back pending)")
    expected = o.primary.endpoint
    elsewhere: dict[str, list[str]] = {}  # value -> regions whose parameter holds it (one finding per value)
    for region in dict.fromkeys((p.region, r.region)):
        try:
            value = factory.client("ssm", region).get_parameter(Name=o.endpoint_parameter_name)["Parameter"]["Value"]
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ParameterNotFound":
                raise
            value = "nothing (no such parameter)"
        if value != expected:
            elsewhere.setdefault(value, []).append(region)
    for value, regions in elsewhere.items():
        what = f"{r.identifier}'s endpoint (dbReplicaEndpoint)" if value == r.endpoint else value
        out.append(f"{o.endpoint_parameter_name} in {', '.join(regions)} points at {what}")
    return out


def check(stack: str, o: StackOutputs, factory: ClientFactory) -> str:
    """One line when the topology matches; raises `Diverged` (one line: what diverged, where to reconcile)."""
    found = findings(o, factory)
    if found:
        raise Diverged(
            f"stack {stack} diverged from its outputs: do not run pulumi up; reconcile per {RECONCILE}: "
            f"{'; '.join(found)}"
        )
    return (
        f"stack {stack} matches its outputs: {o.primary.identifier} ({o.primary.region}) is the writer, "
        f"{o.replica.identifier} ({o.replica.region}) its replica, {o.endpoint_parameter_name} points at the writer"
    )


__all__ = ["RECONCILE", "Diverged", "check", "findings"]
