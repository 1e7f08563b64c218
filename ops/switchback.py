"""The database switch-back after failback: `python -m ops failback --switch-back` (dry-run unless --execute).

After a drill and `ops failback`, the DR instance is the writer, `<dbPrimaryIdentifier>-failback` replicates from it
in the primary region, and both endpoint parameters point at it: the stack diverged from its outputs (ops.topology).
The switch-back makes the live instances carry the outputs' identifiers, ARNs and endpoints again:

1. check-state — nothing to do when the topology already matches; else the `-failback` replica must replicate from
   the DR writer (the state failback leaves); the retired names are fixed here, so a resumed run reuses them;
2. caught-up — the `-failback` replica's ReplicaLag is 0 (writes are stopped: a maintenance window);
3. promote — `promote_read_replica` with the outputs' `dbBackupRetentionDays` (never a tool default), then wait;
4. retire-old-primary — the fenced old primary is started if stopped (RDS modifies no stopped instance) and renamed
   `<id>-retired-<UTC minute>` (ModifyDBInstance NewDBInstanceIdentifier); never deleted: removal is a dual-control
   change (docs/runbooks/dual-control-delete.md);
5. retire-dr-writer — the promoted DR instance renamed the same way;
6. rename-writer — `<primary>-failback` renamed `<primary>`: same account, region and identifier give the outputs'
   ARN and endpoint again;
7. recreate-replica — `<replica>` created in the DR region as a replica of `dbPrimaryArn` (the retired DR writer's
   class, subnet group and security groups; `dbReplicaKmsKeyArn`), then wait;
8. repoint — the endpoint parameter in both regions back to `dbPrimaryEndpoint`;
9. check-topology — ops.topology finds nothing, and the writer's endpoint is `dbPrimaryEndpoint`.
Every step looks before it acts, so a re-run or `--resume`-like second run continues where the first stopped.
The Pulumi state still names the old instances' resource ids: the runbook's last step re-binds them
(docs/runbooks/monthly-drill.md#database-switch-back).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from ops import topology
from ops.aws import request_id
from ops.clock import iso
from ops.evidence import Evidence
from ops.failback import FailbackOptions, failback_identifier
from ops.observers import replica_lag_points
from ops.operation import Operation, PlannedStep, replica_request
from ops.outputs import StackOutputs
from ops.runner import StepFailed

# DBInstanceIdentifier (RDS CreateDBInstance/ModifyDBInstance NewDBInstanceIdentifier): 1–63 letters, digits or
# hyphens, first a letter, no two consecutive hyphens, no trailing hyphen.
MAX_IDENTIFIER = 63
LAG_WINDOW = timedelta(minutes=5)  # ReplicaLag is a 1-minute metric: the newest datapoint of the last 5 minutes
STEPS = (
    "check-state",
    "caught-up",
    "promote",
    "retire-old-primary",
    "retire-dr-writer",
    "rename-writer",
    "recreate-replica",
    "repoint",
    "check-topology",
)


def retired_identifier(identifier: str, stamp: str) -> str:
    """`<identifier>-retired-<stamp>` within RDS's identifier rules (the identifier part cut to fit)."""
    suffix = f"-retired-{stamp}"
    head = re.sub(r"-+$", "", identifier[: MAX_IDENTIFIER - len(suffix)])
    return head + suffix


def plan(o: StackOutputs, opts: FailbackOptions) -> list[PlannedStep]:
    p, r, new = o.primary, o.replica, failback_identifier(o)
    retention = o.backup_retention_days or "<the primary's BackupRetentionPeriod>"
    rename = "modify_db_instance(DBInstanceIdentifier={}, NewDBInstanceIdentifier={}, ApplyImmediately=True)"
    return [
        PlannedStep(
            "check-state",
            f"Find what failback left: {new} replicating from {r.identifier}, or the topology already matching",
            (f"rds[{p.region}].describe_db_instances({new}, {p.identifier})", f"rds[{r.region}].describe_db_instances"),
        ),
        PlannedStep(
            "caught-up",
            f"{new} has caught up (ReplicaLag 0: writes are stopped)",
            (f"cloudwatch[{p.region}].get_metric_statistics(AWS/RDS ReplicaLag, DBInstanceIdentifier={new})",),
        ),
        PlannedStep(
            "promote",
            f"Promote {new} (backups kept {retention} d) and wait until it is a writer",
            (f"rds[{p.region}].promote_read_replica(DBInstanceIdentifier={new}, BackupRetentionPeriod={retention})",),
        ),
        PlannedStep(
            "retire-old-primary",
            f"Rename the fenced old primary {p.identifier} to {p.identifier}-retired-<UTC minute> (started first if "
            "stopped)",
            (
                f"rds[{p.region}].start_db_instance({p.identifier}) if stopped",
                f"rds[{p.region}]." + rename.format(p.identifier, f"{p.identifier}-retired-<stamp>"),
            ),
        ),
        PlannedStep(
            "retire-dr-writer",
            f"Rename the promoted DR writer {r.identifier} to {r.identifier}-retired-<UTC minute>",
            (f"rds[{r.region}]." + rename.format(r.identifier, f"{r.identifier}-retired-<stamp>"),),
        ),
        PlannedStep(
            "rename-writer",
            f"Rename {new} to {p.identifier} (its ARN and endpoint are the outputs' again)",
            (f"rds[{p.region}]." + rename.format(new, p.identifier),),
        ),
        PlannedStep(
            "recreate-replica",
            f"Create {r.identifier} in {r.region}, a replica of {p.identifier}, and wait until it is available",
            (
                f"rds[{r.region}].create_db_instance_read_replica(DBInstanceIdentifier={r.identifier}, "
                f"SourceDBInstanceIdentifier={p.arn}, SourceRegion={p.region}, "
                f"KmsKeyId={o.replica_kms_key_arn or 'default'})",
            ),
        ),
        PlannedStep(
            "repoint",
            f"Point {o.endpoint_parameter_name} in both regions at {p.endpoint}",
            tuple(
                f"ssm[{region}].put_parameter(Name={o.endpoint_parameter_name}, Value={p.endpoint}, Overwrite=True)"
                for region in (p.region, r.region)
            ),
        ),
        PlannedStep(
            "check-topology",
            "The live databases match the stack's outputs again (ops topology)",
            ("ops.topology.findings(outputs)",),
        ),
    ]


class SwitchBack(Operation[None, FailbackOptions]):
    missing_outputs = "the switch-back needs the failover outputs"

    def default_options(self) -> FailbackOptions:
        return FailbackOptions()

    def run(self, evidence_root: Path) -> tuple[bool, Evidence]:
        steps = [(name, getattr(self, name.replace("-", "_"))) for name in STEPS]
        titles = {s.name: s.title for s in plan(self.o, self.opts)}
        context = {"writer": failback_identifier(self.o)}
        evidence, reason = self.run_journaled(evidence_root, "switch-back", context, steps, titles)
        next_steps = (
            [f"Stopped: {reason}. Steps look before they act: fix the cause and run the switch-back again."]
            if reason
            else [
                "The live databases match the outputs. Before any refresh or deploy: re-bind the new instances in "
                "the Pulumi state (their DbiResourceIds are new) and start cross-region automated-backups "
                "replication for the renamed writer (docs/runbooks/monthly-drill.md#database-switch-back).",
                "The retired instances are removed only through docs/runbooks/dual-control-delete.md.",
            ]
        )
        return self.close_journal(evidence, reason, next_steps)

    # --- helpers ------------------------------------------------------------------------------------------------

    def _find(self, region: str, identifier: str) -> dict[str, Any] | None:
        found = self.factory.client("rds", region).describe_db_instances(
            Filters=[{"Name": "db-instance-id", "Values": [identifier]}]
        )["DBInstances"]
        return dict(found[0]) if found else None

    def _done(self) -> bool:
        return bool(self.runner.result("check-state").get("alreadyMatches"))

    def _skip(self) -> dict[str, Any]:
        return {"skipped": True, "why": "the topology already matches the outputs"}

    def _wait_available(self, region: str, identifier: str, *, writer: bool = False) -> str:
        """Wait until `identifier` exists and is available (and, for a writer, no longer a replica)."""

        def state() -> str:
            db = self._find(region, identifier)
            if db is None:
                return "absent"
            if writer and db.get("ReadReplicaSourceDBInstanceIdentifier"):
                return f"{db['DBInstanceStatus']} (still a replica)"
            return str(db["DBInstanceStatus"])

        _, at = self.runner.wait_until(
            f"{identifier} in {region} to be available",
            state,
            lambda s: s == "available",
            timeout=self.opts.replica_timeout,
            interval=self.opts.poll_interval,
        )
        return str(iso(at))

    def _rename(self, region: str, identifier: str, new: str) -> dict[str, Any]:
        response = self.factory.client("rds", region).modify_db_instance(
            DBInstanceIdentifier=identifier, NewDBInstanceIdentifier=new, ApplyImmediately=True
        )
        return {
            "from": identifier,
            "to": new,
            "requestId": request_id(response),
            "at": self._wait_available(region, new),
        }

    # --- steps --------------------------------------------------------------------------------------------------

    def check_state(self) -> dict[str, Any]:
        p, r, new = self.o.primary, self.o.replica, failback_identifier(self.o)
        if not topology.findings(self.o, self.factory):
            return {"alreadyMatches": True}
        failback = self._find(p.region, new)
        if failback is None:
            raise StepFailed(
                f"{new} does not exist in {p.region}: run `ops failback --execute` first (it creates that replica)"
            )
        source = failback.get("ReadReplicaSourceDBInstanceIdentifier")
        writer = self._find(r.region, r.identifier)
        if source is not None and source != r.arn:
            raise StepFailed(f"{new} replicates from {source}, not from the DR writer {r.arn}: reconcile by hand")
        if source is not None and (writer is None or writer.get("ReadReplicaSourceDBInstanceIdentifier")):
            raise StepFailed(f"{r.identifier} in {r.region} is not a standalone writer: nothing to switch back from")
        stamp = self.clock.now().strftime("%Y%m%d%H%M")
        return {
            "stamp": stamp,
            "retiredPrimary": retired_identifier(p.identifier, stamp),
            "retiredDrWriter": retired_identifier(r.identifier, stamp),
        }

    def caught_up(self) -> dict[str, Any]:
        if self._done():
            return self._skip()
        new = failback_identifier(self.o)
        db = self._find(self.o.primary.region, new)
        if db is not None and not db.get("ReadReplicaSourceDBInstanceIdentifier"):
            return {"skipped": True, "why": f"{new} is already promoted"}
        now = self.clock.now()
        points = replica_lag_points(self.factory, self.o.primary.region, new, now - LAG_WINDOW, now)
        if not points:
            raise StepFailed(f"no ReplicaLag datapoint of {new} in the last 5 minutes: is it replicating?")
        newest = points[-1]
        if newest["Maximum"] > 0:
            raise StepFailed(
                f"{new} is {newest['Maximum']:g} s behind: stop writes to {self.o.replica.identifier} and run again"
            )
        return {"replicaLagSeconds": newest["Maximum"], "at": iso(newest["Timestamp"])}

    def promote(self) -> dict[str, Any]:
        if self._done():
            return self._skip()
        p, new = self.o.primary, failback_identifier(self.o)
        db = self._find(p.region, new)
        result: dict[str, Any] = {}
        if db is not None and db.get("ReadReplicaSourceDBInstanceIdentifier"):
            retention = self.o.backup_retention_days or int(db.get("BackupRetentionPeriod") or 0)
            if not 1 <= retention <= 35:  # PromoteReadReplica BackupRetentionPeriod 0–35; 0 would disable backups
                raise StepFailed(f"{self.o.source}: dbBackupRetentionDays is missing: the promoted writer needs one")
            response = self.factory.client("rds", p.region).promote_read_replica(
                DBInstanceIdentifier=new, BackupRetentionPeriod=retention
            )
            result = {"backupRetentionDays": retention, "requestId": request_id(response)}
        elif db is None:
            return {"skipped": True, "why": f"{new} was already renamed"}
        return {**result, "available": self._wait_available(p.region, new, writer=True)}

    def retire_old_primary(self) -> dict[str, Any]:
        if self._done():
            return self._skip()
        p = self.o.primary
        ours = self.runner.result("check-state")
        db = self._find(p.region, p.identifier)
        # While <primary>-failback exists the writer is not renamed yet, so an instance named <primary> is the old one
        if db is None or self._find(p.region, failback_identifier(self.o)) is None:
            return {"skipped": True, "why": f"{p.identifier} is already retired"}
        if db["DBInstanceStatus"] == "stopped":
            self.factory.client("rds", p.region).start_db_instance(DBInstanceIdentifier=p.identifier)
            self.runner.observe("old primary started (RDS renames no stopped instance)", p.identifier)
        self._wait_available(p.region, p.identifier)
        return self._rename(p.region, p.identifier, ours["retiredPrimary"])

    def retire_dr_writer(self) -> dict[str, Any]:
        if self._done():
            return self._skip()
        r = self.o.replica
        db = self._find(r.region, r.identifier)
        if db is None or db.get("ReadReplicaSourceDBInstanceIdentifier"):
            return {"skipped": True, "why": f"{r.identifier} is already retired (or already the new replica)"}
        return self._rename(r.region, r.identifier, self.runner.result("check-state")["retiredDrWriter"])

    def rename_writer(self) -> dict[str, Any]:
        if self._done():
            return self._skip()
        p, new = self.o.primary, failback_identifier(self.o)
        if self._find(p.region, new) is None:
            return {"skipped": True, "why": f"{new} is already {p.identifier}"}
        return self._rename(p.region, new, p.identifier)

    def recreate_replica(self) -> dict[str, Any]:
        if self._done():
            return self._skip()
        p, r = self.o.primary, self.o.replica
        result: dict[str, Any] = {}
        if self._find(r.region, r.identifier) is None:
            retired = self._find(r.region, self.runner.result("check-state")["retiredDrWriter"]) or {}
            args = replica_request(r.identifier, p.arn, p.region, retired, self.o.replica_kms_key_arn)
            response = self.factory.client("rds", r.region).create_db_instance_read_replica(**args)
            result = {"requestId": request_id(response)}
        return {**result, "available": self._wait_available(r.region, r.identifier)}

    def repoint(self) -> dict[str, Any]:
        if self._done():
            return self._skip()
        p, r = self.o.primary, self.o.replica
        return {region: self.point_parameter(region, p.endpoint) for region in dict.fromkeys((p.region, r.region))}

    def check_topology(self) -> dict[str, Any]:
        found = topology.findings(self.o, self.factory)
        writer = self._find(self.o.primary.region, self.o.primary.identifier) or {}
        address = (writer.get("Endpoint") or {}).get("Address")
        if address != self.o.primary.endpoint.split(":")[0]:
            found.append(f"writer endpoint is {address}, not dbPrimaryEndpoint {self.o.primary.endpoint}")
        if found:
            raise StepFailed("still diverged: " + "; ".join(found))
        return {"matches": True}
