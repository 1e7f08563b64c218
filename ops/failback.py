"""Failback after a drill (or a real failover): rebuild the primary region as a replica, undo the fault, plan DNS.

Dry-run by default. With `--execute`:
1. check the DR instance is a standalone writer (the drill promoted it);
2. create `<dbPrimaryIdentifier>-failback`, a read replica of the promoted instance in the original region,
   in the original instance's subnet group and security groups, encrypted with dbKmsKeyArn — the old primary is
   left untouched (never deleted: it is evidence, and its removal is a dual-control change);
3. wait until that replica is available;
4. re-point the primary region's endpoint parameter at the current writer (the DR instance), so application pods
   in the primary region write to the live database once traffic returns;
5. undo the health-check inversion and wait until the primary health check is Healthy — Route53 then answers the
   primary records again (the DNS return).
A drill stopped after the fault but before the promotion leaves the replica a replica and the primary the writer:
then steps 2–4 are skipped (recorded as such) and failback only undoes the inversion and waits for Healthy.
The database switch-back (promote the `-failback` replica, rename the instances back, re-create the DR replica,
re-point both parameters) is a planned maintenance change: `--switch-back` (ops/switchback.py), run separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.aws import request_id
from ops.clock import iso
from ops.evidence import Evidence
from ops.observers import HEALTHY, HealthObserver
from ops.operation import Operation, PlannedStep, planned_health_check, replica_request
from ops.outputs import StackOutputs


@dataclass(frozen=True)
class FailbackOptions:
    poll_interval: float = 30.0
    replica_timeout: float = 7200.0  # a cross-region replica of a large database takes a while to seed
    health_timeout: float = 300.0


def failback_identifier(o: StackOutputs) -> str:
    return f"{o.primary.identifier}-failback"[:63]


def plan(o: StackOutputs, opts: FailbackOptions) -> list[PlannedStep]:
    hc = planned_health_check(o)
    new = failback_identifier(o)
    p, r = o.primary, o.replica
    return [
        PlannedStep(
            "stop-experiments",
            "Stop the stack's FIS experiments still running (they end by themselves within their duration)",
            (
                f"fis[{p.region}].list_experiments() for templates {', '.join(o.fis_templates.values()) or 'none'}",
                f"fis[{p.region}].stop_experiment(id) for each pending/initiating/running one",
            ),
        ),
        PlannedStep(
            "check-promoted",
            f"Find what the drill left: is {r.identifier} in {r.region} the writer, or still a replica",
            (f"rds[{r.region}].describe_db_instances(DBInstanceIdentifier={r.identifier})",),
        ),
        PlannedStep(
            "create-replica",
            f"Create {new} in {p.region}, a replica of the promoted instance",
            (
                f"rds[{p.region}].describe_db_instances(DBInstanceIdentifier={p.identifier}) (subnet group, SGs)",
                f"rds[{p.region}].create_db_instance_read_replica(DBInstanceIdentifier={new}, "
                f"SourceDBInstanceIdentifier={r.arn}, SourceRegion={r.region}, KmsKeyId={o.kms_key_arn or 'default'})",
            ),
        ),
        PlannedStep(
            "wait-replica",
            f"Wait until {new} is available",
            (
                f"rds[{p.region}].describe_db_instances(DBInstanceIdentifier={new}) every {opts.poll_interval:g} s, "
                f"timeout {opts.replica_timeout:g} s",
            ),
        ),
        PlannedStep(
            "repoint-primary-region",
            "Point the primary region's endpoint parameter at the current writer",
            (f"ssm[{p.region}].put_parameter(Name={o.endpoint_parameter_name}, Value={r.endpoint}, Overwrite=True)",),
        ),
        PlannedStep(
            "undo-inversion",
            f"Undo the inversion of health check {hc}",
            (
                f"route53.get_health_check(HealthCheckId={hc})",
                f"route53.update_health_check(HealthCheckId={hc}, Inverted=False)",
            ),
        ),
        PlannedStep(
            "wait-healthy",
            "Wait until the primary health check is Healthy (DNS returns to primary)",
            (
                f"route53.get_health_check_status(HealthCheckId={hc}) every {opts.poll_interval:g} s, "
                f"timeout {opts.health_timeout:g} s",
            ),
        ),
    ]


def database_return_plan(o: StackOutputs) -> list[str]:
    new = failback_identifier(o)
    return [
        f"In a maintenance window, with writes stopped: python -m ops failback --stack STACK --outputs FILE "
        f"--switch-back (plan), then --execute — promotes {new} (backups kept "
        f"{o.backup_retention_days or 'as the primary'} d), renames the old instances ({o.primary.identifier}, the "
        f"promoted {o.replica.identifier}) -retired-<UTC minute>, renames {new} to {o.primary.identifier}, re-creates "
        f"{o.replica.identifier} in {o.replica.region} and re-points both parameters, until `ops topology` passes.",
        "Then `pulumi refresh --preview-only`: re-bind any instance the provider reports gone "
        "(docs/runbooks/monthly-drill.md#database-switch-back); `pulumi preview` must show no replacement.",
        "The retired instances are removed only through docs/runbooks/dual-control-delete.md.",
    ]


class Failback(Operation[HealthObserver, FailbackOptions]):
    missing_outputs = "failback needs the failover outputs"

    def default_options(self) -> FailbackOptions:
        return FailbackOptions()

    @property
    def health(self) -> HealthObserver:
        return self.observer

    def run(self, evidence_root: Path) -> tuple[bool, Evidence]:
        steps = [
            ("stop-experiments", self.stop_experiments),
            ("check-promoted", self.check_promoted),
            ("create-replica", self.create_replica),
            ("wait-replica", self.wait_replica),
            ("repoint-primary-region", self.repoint),
            ("undo-inversion", self.undo_inversion),
            ("wait-healthy", self.wait_healthy),
        ]
        titles = {s.name: s.title for s in plan(self.o, self.opts)}
        context = {"replica": failback_identifier(self.o)}
        evidence, reason = self.run_journaled(evidence_root, "failback", context, steps, titles)
        promoted = self.runner.result("check-promoted").get("promoted", True)
        next_steps = (
            [f"Stopped: {reason}. Steps are idempotent: fix the cause and run failback again."] if reason else []
        ) + (
            database_return_plan(self.o)
            if promoted
            else ["The replica was never promoted: the primary is still the writer; nothing else to undo."]
        )
        return self.close_journal(evidence, reason, next_steps)

    def stop_experiments(self) -> dict[str, Any]:
        templates = set(self.o.fis_templates.values())
        if not templates:
            return {"skipped": True, "why": "the stack has no FIS experiment templates"}
        fis = self.factory.client("fis", self.o.primary.region)
        stopped = []
        for experiment in fis.list_experiments().get("experiments", []):
            status = (experiment.get("state") or {}).get("status")
            if experiment.get("experimentTemplateId") in templates and status in ("pending", "initiating", "running"):
                fis.stop_experiment(id=experiment["id"])
                stopped.append(experiment["id"])
        return {"stopped": stopped}

    def check_promoted(self) -> dict[str, Any]:
        db = self.instance(self.o.replica.region, self.o.replica.identifier)
        source = db.get("ReadReplicaSourceDBInstanceIdentifier")
        if source:
            # "fault injected, not promoted": only the health check inversion needs undoing
            self.runner.observe("still a replica: the primary is the writer; only the fault is undone", source)
        return {"status": db["DBInstanceStatus"], "class": db.get("DBInstanceClass"), "promoted": not source}

    def _promoted(self) -> bool:
        return bool(self.runner.result("check-promoted").get("promoted", True))

    def create_replica(self) -> dict[str, Any]:
        if not self._promoted():
            return {"skipped": True, "why": "the replica was never promoted"}
        rds = self.factory.client("rds", self.o.primary.region)
        new = failback_identifier(self.o)
        existing = rds.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": [new]}])["DBInstances"]
        if existing:
            self.runner.observe("failback replica exists", existing[0]["DBInstanceStatus"])
            return {"identifier": new, "existing": True}
        old = self.instance(self.o.primary.region, self.o.primary.identifier)
        promoted_class = self.runner.result("check-promoted").get("class")
        like = {**old, "DBInstanceClass": old.get("DBInstanceClass") or promoted_class}
        args = replica_request(new, self.o.replica.arn, self.o.replica.region, like, self.o.kms_key_arn)
        response = rds.create_db_instance_read_replica(**args)
        return {"identifier": new, "requestId": request_id(response)}

    def wait_replica(self) -> dict[str, Any]:
        if not self._promoted():
            return {"skipped": True, "why": "the replica was never promoted"}
        new = failback_identifier(self.o)
        status, at = self.runner.wait_until(
            f"{new} to be available",
            lambda: self.instance(self.o.primary.region, new)["DBInstanceStatus"],
            lambda s: s == "available",
            timeout=self.opts.replica_timeout,
            interval=self.opts.poll_interval,
        )
        return {"status": status, "at": iso(at)}

    def repoint(self) -> dict[str, Any]:
        if not self._promoted():
            return {"skipped": True, "why": "the primary is still the writer"}
        current = self.point_parameter(self.o.primary.region, self.o.replica.endpoint)
        return {"previous": current, "value": self.o.replica.endpoint}

    def undo_inversion(self) -> dict[str, Any]:
        response = self.set_inverted(False)
        if response is None:
            return {"alreadyUninverted": True}
        return {"requestId": request_id(response)}

    def wait_healthy(self) -> dict[str, Any]:
        status, at = self.wait_health(
            self.health, HEALTHY, timeout=self.opts.health_timeout, interval=self.opts.poll_interval
        )
        return {"status": status, "at": iso(at)}
