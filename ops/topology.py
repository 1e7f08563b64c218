"""Does the live database topology still match the stack's outputs? (`python -m ops topology`)

After a drill (or a real failover) and `ops failback`, the DR instance is the writer, the primary region holds a
`<dbPrimaryIdentifier>-failback` replica of it and both endpoint parameters point at the DR instance; the stack's
outputs (and its Pulumi state) still say the primary is the writer and the DR instance its replica. A `pulumi up`
on such a stack would "repair" it back towards the state file — re-create or modify the promoted writer as a
replica — so deploy.yml runs this check before every `up`, and dr-drill.yml after every failback.

That exact shape — and only it — is "switch-back pending" (`Assessment.pending`): the next step is known
(`ops failback --switch-back`), so dr-drill.yml accepts it after failback (`--allow-pending-switch-back`) and hands
the stack to its approval-gated switch-back job; any other divergence still fails. deploy.yml never accepts it.

Read-only: three RDS DescribeDBInstances and one SSM GetParameter per region.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Assessment:
    """The live topology: its divergences from the outputs, and whether they are exactly what failback leaves."""

    findings: list[str]
    pending: bool  # switch-back pending: DR writer, <primary>-failback replicating it, parameters at the DR writer


def assess(o: StackOutputs, factory: ClientFactory) -> Assessment:
    """Every divergence between the live RDS/SSM state and the outputs, and whether they are the failback shape."""
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
    failback = _instance(factory, p.region, leftover)
    if failback is not None:
        out.append(f"{leftover} exists in {p.region} (switch-back pending)")
    expected = o.primary.endpoint
    values: list[str] = []
    elsewhere: dict[str, list[str]] = {}  # value -> regions whose parameter holds it (one finding per value)
    for region in dict.fromkeys((p.region, r.region)):
        try:
            value = factory.client("ssm", region).get_parameter(Name=o.endpoint_parameter_name)["Parameter"]["Value"]
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ParameterNotFound":
                raise
            value = "nothing (no such parameter)"
        values.append(value)
        if value != expected:
            elsewhere.setdefault(value, []).append(region)
    for value, regions in elsewhere.items():
        what = f"{r.identifier}'s endpoint (dbReplicaEndpoint)" if value == r.endpoint else value
        out.append(f"{o.endpoint_parameter_name} in {', '.join(regions)} points at {what}")
    # The shape `ops failback --execute` leaves after a promotion, nothing more and nothing less: the old primary
    # still a standalone instance (fenced: stopped or not), the DR instance a writer, <primary>-failback replicating
    # from it (a cross-region source is named by its ARN), and every endpoint parameter at the DR writer.
    pending = (
        writer is not None
        and not writer.get("ReadReplicaSourceDBInstanceIdentifier")
        and replica is not None
        and not replica.get("ReadReplicaSourceDBInstanceIdentifier")
        and failback is not None
        and failback.get("ReadReplicaSourceDBInstanceIdentifier") == r.arn
        and all(value == r.endpoint for value in values)
    )
    return Assessment(out, pending)


def findings(o: StackOutputs, factory: ClientFactory) -> list[str]:
    """Every divergence between the live RDS/SSM state and the outputs; empty when they match."""
    return assess(o, factory).findings


def _diverged(stack: str, found: list[str]) -> Diverged:
    return Diverged(
        f"stack {stack} diverged from its outputs: do not run pulumi up; reconcile per {RECONCILE}: {'; '.join(found)}"
    )


def check(stack: str, o: StackOutputs, factory: ClientFactory) -> str:
    """One line when the topology matches; raises `Diverged` (one line: what diverged, where to reconcile)."""
    found = findings(o, factory)
    if found:
        raise _diverged(stack, found)
    return _matches(stack, o)


def check_allowing_pending(stack: str, o: StackOutputs, factory: ClientFactory) -> tuple[str, bool]:
    """(line, pending): a match, or exactly the failback shape (switch-back pending); anything else `Diverged`."""
    found = assess(o, factory)
    if not found.findings:
        return _matches(stack, o), False
    if not found.pending:
        raise _diverged(stack, found.findings)
    return (
        f"stack {stack}: switch-back pending (the shape `ops failback --execute` leaves): "
        f"{o.replica.identifier} ({o.replica.region}) is the writer, {failback_identifier(o)} ({o.primary.region}) "
        f"its replica, {o.endpoint_parameter_name} points at the DR writer; next: "
        f"`python -m ops failback --stack {stack} --outputs OUTPUTS --switch-back --execute` ({RECONCILE})",
        True,
    )


def _matches(stack: str, o: StackOutputs) -> str:
    return (
        f"stack {stack} matches its outputs: {o.primary.identifier} ({o.primary.region}) is the writer, "
        f"{o.replica.identifier} ({o.replica.region}) its replica, {o.endpoint_parameter_name} points at the writer"
    )


__all__ = ["RECONCILE", "Assessment", "Diverged", "assess", "check", "check_allowing_pending", "findings"]
