"""The region-failover drill: inject the Route53 fault, promote the DR replica, re-point the app, measure RTO/RPO.

Dry-run (default) prints every step and the AWS calls it would make. `--execute` runs them against the stack,
journaling each step to the evidence bundle (ops.evidence) so a crashed drill resumes with `--resume DIR`.
Every step looks before it acts (an inverted health check is not inverted again, a promoted instance is not
promoted again, a parameter already pointing at the replica is not rewritten), so re-running a step is safe.
Nothing is ever deleted (ops.aws refuses Delete* operations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from contract.recovery import RPO_SECONDS, RTO_SECONDS
from ops.aws import request_id
from ops.canary import CanaryReader, CanaryRow
from ops.clock import iso, parse_iso
from ops.errors import EnvironmentProblem, Interrupted
from ops.evidence import (
    Evidence,
    bundle_dir,
    judge,
    rpo_from_both_sides,
    rpo_from_lag,
    seconds_between,
    stop_state,
)
from ops.observers import HEALTHY, UNHEALTHY, DnsObserver, HealthObserver, Prober, replica_lag_points
from ops.operation import Operation, PlannedStep, Step, planned_health_check
from ops.operation import ProductionRefused as ProductionRefused  # re-exported: callers import it from here
from ops.operation import require_confirmation as require_confirmation
from ops.outputs import StackOutputs
from ops.runner import Runner, StepFailed, WaitTimeout
from ops.velero import VeleroSource
from ops.verify import Verifier, VerifyOptions, failed

FAULT_DB_CHOICES = ("none", "reboot", "stop")
# Where the drill publishes its results; components/dashboards.py graphs the same namespace, names and dimension.
METRIC_NAMESPACE = "Summit/DR"


class CanaryWriter(Protocol):
    written: list[CanaryRow]
    errors: list[tuple[datetime, str]]

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class World:
    """Everything the drill observes or drives outside AWS APIs (injectable; see ops.observers)."""

    health: HealthObserver
    dns: DnsObserver
    prober: Prober
    canary_writer: CanaryWriter | None = None
    canary_reader: CanaryReader | None = None  # the promoted side (the DR replica's endpoint)
    velero: VeleroSource | None = None
    old_primary_reader: CanaryReader | None = None  # the old primary's side, read just before it is fenced


@dataclass(frozen=True)
class DrillOptions:
    # The CLI passes the stack's recovery-budget objectives (ops.objectives); these defaults equal that policy's
    # schema defaults (the seed: fail over within 15 min, lose ≤ 5 min of data) for programmatic use.
    rto_seconds: float = RTO_SECONDS
    rpo_seconds: float = RPO_SECONDS
    objective_sources: dict[str, str] = field(default_factory=dict)  # {rtoSeconds: "policy/config/… (…)" | flag}
    phase_budget: dict[str, float] = field(default_factory=dict)  # dbPromotionSeconds, appReconnectSeconds
    fault_db: str = "none"  # also reboot (or stop) the primary instance after inverting its health check
    # The promoted writer must keep the primary's PITR window from its first minute: None = the stack's
    # dbBackupRetentionDays output, else the primary's own BackupRetentionPeriod (never a tool default).
    backup_retention_days: int | None = None
    fence: bool = True  # stop the old primary once the replica is promoted, so it cannot take writes (split brain)
    # Practise the stack's ARC Region switch plan: after the fault, a graceful activate execution of the DR region
    # promotes and re-points (ops.failover's client code), and its steps' own start/end times are the phases.
    region_switch: bool = False
    # FIS experiment templates (chaosExperimentTemplateIds by name) started with the fault: a real, bounded fault
    # on top of the health-check lever (components/chaos.py).
    fis_experiments: tuple[str, ...] = ()
    poll_interval: float = 10.0
    probe_interval: float = 5.0
    probe_url: str | None = None  # default: gatewayUrl
    health_timeout: float = 180.0  # 10 s interval × 3 failures ≈ 30 s; checkers spread over regions
    dns_timeout: float = 300.0  # failover record TTL 60 s plus resolver caches
    promote_timeout: float = 1200.0  # RDS promotion typically 3–10 min; past 20 min the RTO is lost anyway
    first_good_timeout: float = 900.0
    skip_verify: bool = False
    canary_warmup: float = 10.0  # canary rows written before the fault, so some can replicate and some be lost
    verify: VerifyOptions = field(default_factory=VerifyOptions)


def plan(o: StackOutputs, opts: DrillOptions) -> list[PlannedStep]:
    host = o.gateway_host
    hc = planned_health_check(o)
    fqdn = host.fqdn if host else "<fqdn>"
    p, r = o.primary, o.replica
    steps = [
        PlannedStep(
            "verify",
            "Verify backups and replication (python -m ops verify)",
            (
                f"rds[{p.region}].describe_db_instances(DBInstanceIdentifier={p.identifier})",
                f"rds[{r.region}].describe_db_instances(DBInstanceIdentifier={r.identifier})",
                f"cloudwatch[{r.region}].get_metric_statistics(AWS/RDS ReplicaLag, Maximum, last "
                f"{opts.verify.lag_window_minutes} min)",
                f"cloudwatch[{r.region}].describe_alarms(AlarmNames=[{o.replica_lag_alarm_name}])",
                f"rds[{r.region}].describe_db_instance_automated_backups()",
                f"rds[{p.region}].describe_db_snapshots(DBInstanceIdentifier={p.identifier})",
                *(
                    f"s3[{b.primary_region}].get_bucket_replication(Bucket={b.primary_bucket}) + cloudwatch "
                    f"OperationsFailedReplication"
                    for b in o.buckets
                ),
                "route53.get_health_check / get_health_check_status for every failover health check",
                (
                    f"Velero: NOT checked (--skip-velero: {opts.verify.velero_skip_reason})"
                    if opts.verify.velero_skip_reason
                    else "Velero: last Completed backup of the schedule vs its interval"
                    if o.velero
                    else "Velero: skipped"
                ),
            ),
        ),
        PlannedStep(
            "baseline",
            "Record the baseline: DNS answer, endpoint parameter, canary writer",
            (
                f"resolve {fqdn} (pre-fault answer)",
                f"ssm[{r.region}].get_parameter(Name={o.endpoint_parameter_name})",
                "canary writer: INSERT INTO ops_canary every interval via the primary endpoint (if --canary)",
            ),
        ),
        PlannedStep(
            "inject-fault",
            "Inject the fault: invert the primary health check",
            (
                *(
                    f"fis[{p.region}].start_experiment(experimentTemplateId={o.fis_templates.get(n, '<' + n + '>')})"
                    f" — {n}"
                    for n in opts.fis_experiments
                ),
                f"route53.get_health_check(HealthCheckId={hc})",
                f"route53.update_health_check(HealthCheckId={hc}, Inverted=True)",
                *(
                    (f"rds[{p.region}].{opts.fault_db}_db_instance(DBInstanceIdentifier={p.identifier})",)
                    if opts.fault_db != "none"
                    else ()
                ),
                f"cloudwatch[{r.region}].get_metric_statistics(AWS/RDS ReplicaLag at the fault)",
            ),
        ),
        PlannedStep(
            "wait-unhealthy",
            f"Wait until health check {hc} reports Unhealthy",
            (
                f"route53.get_health_check_status(HealthCheckId={hc}) every {opts.poll_interval:g} s, "
                f"timeout {opts.health_timeout:g} s",
            ),
        ),
        PlannedStep(
            "wait-dns-secondary",
            f"Wait until DNS for {fqdn} answers the secondary",
            (
                f"resolve {fqdn} every {opts.poll_interval:g} s until the answer differs from the baseline, "
                f"timeout {opts.dns_timeout:g} s",
            ),
        ),
    ]
    if opts.region_switch:
        steps.append(
            PlannedStep(
                "region-switch",
                f"Practise the Region switch plan: activate {r.region} (graceful), follow every step",
                (
                    f"arc-region-switch[{r.region}].list_plan_executions / get_plan_evaluation_status "
                    f"(plan {o.region_switch_plan_arn or '<regionSwitchPlanArn>'})",
                    f"arc-region-switch[{r.region}].start_plan_execution(action=activate, targetRegion={r.region}, "
                    "mode=graceful, comment=practice …)",
                    f"arc-region-switch[{r.region}].get_plan_execution every {opts.poll_interval:g} s, timeout "
                    f"{opts.promote_timeout:g} s",
                ),
            )
        )
    else:
        steps += _own_promotion(o, opts)
    steps += _after_promotion(o, opts)
    if opts.skip_verify:
        steps = steps[1:]
    return steps


def _own_promotion(o: StackOutputs, opts: DrillOptions) -> list[PlannedStep]:
    r = o.replica
    return [
        PlannedStep(
            "promote-replica",
            f"Promote {r.identifier} in {r.region}",
            (
                f"rds[{r.region}].describe_db_instances(DBInstanceIdentifier={r.identifier})",
                f"rds[{r.region}].promote_read_replica(DBInstanceIdentifier={r.identifier}, "
                f"BackupRetentionPeriod={retention_days(o, opts)})",
            ),
        ),
        PlannedStep(
            "wait-promoted",
            "Wait until the promoted instance is available with backups on",
            (
                f"rds[{r.region}].describe_db_instances(DBInstanceIdentifier={r.identifier}) every "
                f"{opts.poll_interval:g} s, timeout {opts.promote_timeout:g} s",
            ),
        ),
    ]


def _after_promotion(o: StackOutputs, opts: DrillOptions) -> list[PlannedStep]:
    p, r = o.primary, o.replica
    url = opts.probe_url or o.gateway_url or "<gatewayUrl>"
    steps = [
        *(
            (
                PlannedStep(
                    "fence-old-primary",
                    f"Fence the old primary {p.identifier}: read its canary rows, then stop it",
                    (
                        "canary: SELECT every row FROM ops_canary on the old primary (if --canary)",
                        f"rds[{p.region}].describe_db_instances(DBInstanceIdentifier={p.identifier})",
                        f"rds[{p.region}].stop_db_instance(DBInstanceIdentifier={p.identifier}) if available",
                    ),
                ),
            )
            if opts.fence
            else ()
        ),
        PlannedStep(
            "repoint-endpoint",
            "Re-point the application's database endpoint in the DR region",
            (
                f"ssm[{r.region}].get_parameter(Name={o.endpoint_parameter_name})",
                f"ssm[{r.region}].put_parameter(Name={o.endpoint_parameter_name}, Value={r.endpoint}, Type=String, "
                "Overwrite=True)",
            ),
        ),
        PlannedStep(
            "wait-first-2xx",
            "Wait for the first 2xx from the secondary",
            (f"GET {url} every {opts.probe_interval:g} s, timeout {opts.first_good_timeout:g} s",),
        ),
        PlannedStep(
            "measure-rpo",
            "Measure RPO",
            (
                f"canary: SELECT every row FROM ops_canary on {r.endpoint} (if --canary); lost = rows acknowledged "
                "by the old primary (its rows and the writer's log) missing there; else ReplicaLag at the fault",
            ),
        ),
    ]
    if opts.region_switch:  # the plan's CustomActionLambda step re-points the writer
        steps = [s for s in steps if s.name != "repoint-endpoint"]
    return steps


def retention_days(o: StackOutputs, opts: DrillOptions) -> int | str:
    """BackupRetentionPeriod for the promotion: the flag, else the stack's output, else (at run time) the primary's."""
    return opts.backup_retention_days or o.backup_retention_days or "<the primary's BackupRetentionPeriod>"


@dataclass(frozen=True)
class DrillResult:
    ok: bool
    directory: Path
    verdict: dict[str, Any]
    stopped_at: str | None = None
    reason: str | None = None


class Drill(Operation[World, DrillOptions]):
    missing_outputs = "the drill needs the failover outputs (gatewayUrl, failover)"
    needs_gateway_url = True
    _last_probe: datetime | None = None

    def default_options(self) -> DrillOptions:
        return DrillOptions()

    @property
    def world(self) -> World:
        return self.observer

    @property
    def url(self) -> str:
        return self.opts.probe_url or self.o.gateway_url or ""

    # --- orchestration ------------------------------------------------------------------------------------------

    def open(self, evidence_root: Path | None = None, resume: Path | None = None) -> Evidence:
        if resume is not None:
            evidence = Evidence.load(resume)
            if evidence.data["stack"] != self.stack or evidence.data["kind"] != "drill":
                raise StepFailed(
                    f"{resume}: journal is a {evidence.data['kind']} of stack {evidence.data['stack']}, "
                    f"not a drill of {self.stack}"
                )
            evidence.data["resumes"].append(iso(self.clock.now()))
            evidence.data.setdefault("attempts", []).append(
                {"endedAt": evidence.data.get("endedAt"), "verdict": evidence.data.get("verdict")}
            )
            evidence.data.update(endedAt=None, verdict=None)
            return evidence
        started = self.clock.now()
        return Evidence.create(
            bundle_dir(evidence_root or Path("evidence"), self.stack, started),
            kind="drill",
            stack=self.stack,
            started_at=started,
            objectives={"rtoSeconds": self.opts.rto_seconds, "rpoSeconds": self.opts.rpo_seconds},
            objective_sources=self.opts.objective_sources,
            phase_budget=self.opts.phase_budget,
            context={
                "outputs": self.o.source,
                "environment": self.o.environment,
                "primary": self.o.primary.arn,
                "replica": self.o.replica.arn,
                "healthCheckId": self.host.primary_health_check_id,
                "fqdn": self.host.fqdn,
                "probeUrl": self.url,
                "faultDb": self.opts.fault_db,
                "canary": self.world.canary_writer is not None,
                "awsAccountId": self.identity.account if self.identity else None,
                "veleroSkipped": self.opts.verify.velero_skip_reason,
                "production": self.identity.production if self.identity else None,
            },
        )

    def run(self, evidence: Evidence) -> DrillResult:
        self.runner = Runner(evidence, self.clock, factory=self.factory, progress=self.progress)
        self.runner.before_save = self._save_canary
        self._prior_canary = [
            CanaryRow(int(r["seq"]), parse_iso(r["writtenAt"]))  # type: ignore[arg-type]
            for r in evidence.data["canary"]["written"]
        ]
        self._prior_errors = list(evidence.data["canary"].get("errors") or [])
        writer = self.world.canary_writer
        if writer is not None and not self._done("measure-rpo"):
            writer.start()
        steps: list[tuple[str, Step]] = [
            ("verify", self.verify),
            ("baseline", self.baseline),
            ("inject-fault", self.inject_fault),
            ("wait-unhealthy", self.wait_unhealthy),
            ("wait-dns-secondary", self.wait_dns_secondary),
            *(
                (("region-switch", self.region_switch),)
                if self.opts.region_switch
                else (("promote-replica", self.promote_replica), ("wait-promoted", self.wait_promoted))
            ),
            *((("fence-old-primary", self.fence_old_primary),) if self.opts.fence else ()),
            *(() if self.opts.region_switch else (("repoint-endpoint", self.repoint_endpoint),)),
            ("wait-first-2xx", self.wait_first_2xx),
            ("measure-rpo", self.measure_rpo),
        ]
        if self.opts.skip_verify:
            steps = steps[1:]
        titles = {s.name: s.title for s in plan(self.o, self.opts)}
        try:
            self.run_steps(steps, titles)
        except (WaitTimeout, StepFailed) as err:
            return self._finish(stopped_at=self._current_failed(), reason=str(err))
        except (Interrupted, KeyboardInterrupt) as err:  # SIGINT/SIGTERM: journal, report, undo; then exit 130/143
            if writer is not None:
                writer.stop()
            self._finish(
                stopped_at=self._current_failed() or "between steps", reason=str(err) or "interrupted (SIGINT)"
            )
            raise
        except Exception as err:  # an unexpected error still leaves a readable bundle
            stopped = self._finish(stopped_at=self._current_failed(), reason=f"{type(err).__name__}: {err}")
            if isinstance(err, EnvironmentProblem):
                raise  # AWS unusable (exit 3): the bundle says where it stopped, the CLI says what to do
            return stopped
        finally:
            if writer is not None:
                writer.stop()
                self._save_canary()
                evidence.save()
        return self._finish()

    def _done(self, name: str) -> bool:
        record = self.runner.evidence.step(name)
        return record is not None and record["status"] in ("done", "skipped")

    def _current_failed(self) -> str | None:
        return next(
            (s["name"] for s in self.runner.evidence.data["steps"] if s["status"] in ("failed", "running")), None
        )

    def _canary_rows(self) -> list[CanaryRow]:
        rows = {row.seq: row for row in self._prior_canary}
        if self.world.canary_writer is not None:
            rows.update({row.seq: row for row in self.world.canary_writer.written})
        return [rows[seq] for seq in sorted(rows)]

    def _save_canary(self) -> None:
        canary = self.runner.evidence.data["canary"]
        canary["written"] = [row.to_json() for row in self._canary_rows()]
        errors = list(self.world.canary_writer.errors) if self.world.canary_writer is not None else []
        # every failed write is kept (an attempt's errors stay when a resumed attempt adds its own)
        canary["errors"] = self._prior_errors + [{"at": iso(at), "error": text} for at, text in errors]

    def _sample_probe(self) -> None:
        """The synthetic probe loop: sampled on every poll once the fault is in, at most every probe_interval."""
        now = self.clock.now()
        if self.runner.evidence.event("faultAt") is None:
            return
        if self._last_probe is not None and (now - self._last_probe).total_seconds() < self.opts.probe_interval:
            return
        self._last_probe = now
        self.runner.evidence.add_probe(now, self.world.prober.probe(self.url))

    # --- steps --------------------------------------------------------------------------------------------------

    def verify(self) -> dict[str, Any]:
        checks = Verifier(
            self.o, self.factory, self.clock, self.world.health, self.world.velero, self.opts.verify
        ).run()
        for check in checks:
            self.runner.observe(check.name, {"status": check.status, "detail": check.detail})
        bad = failed(checks)
        if bad:
            raise StepFailed(f"verify found {len(bad)} problem(s): " + "; ".join(f"{c.name}: {c.detail}" for c in bad))
        return {"checks": len(checks)}

    def baseline(self) -> dict[str, Any]:
        """Every observer the drill relies on must work before the fault goes in: a fault it cannot watch would
        only time out, leaving the stack changed and nothing measured."""
        broken: list[str] = []
        answer = self.world.dns.answer(self.host.fqdn)
        self.runner.observe("dns answer", list(answer))
        if not answer:
            broken.append(f"DNS: {self.host.fqdn} has no answer (the switch to the secondary could not be seen)")
        hc = self.host.primary_health_check_id
        health = self.world.health.status(hc)
        self.runner.observe("primary health check", health)
        if health != HEALTHY:
            broken.append(f"health check {hc} is {health}, not Healthy")
        probe = self.world.prober.probe(self.url)
        self.runner.observe("probe", probe)
        if probe is None or not 200 <= probe < 300:
            broken.append(f"probe {self.url} answered {probe if probe is not None else 'nothing'}, not 2xx")
        ssm = self.factory.client("ssm", self.o.replica.region)
        value = ssm.get_parameter(Name=self.o.endpoint_parameter_name)["Parameter"]["Value"]
        self.runner.observe("endpoint parameter (DR region)", value)
        canary: dict[str, Any] = {}
        if self.world.canary_writer is not None:
            self.runner.progress(f"  canary warm-up {self.opts.canary_warmup:g} s before the fault")
            self.clock.sleep(self.opts.canary_warmup)
            written = len(self._canary_rows())
            replicated = self.world.canary_reader.newest() if self.world.canary_reader is not None else None
            canary = {"rowsWritten": written, "newestOnReplica": replicated.to_json() if replicated else None}
            self.runner.observe("canary at baseline", canary)
            if not written:
                broken.append("canary writer acknowledged no row through the primary")
            if self.world.canary_reader is not None and replicated is None:
                broken.append("canary reader sees no row on the replica")
        if broken:
            raise StepFailed("an observer does not work at baseline, so no fault was injected: " + "; ".join(broken))
        return {"dnsAnswer": list(answer), "endpointParameter": value, "probe": probe, **canary}

    def inject_fault(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if self.opts.fis_experiments:
            result["fisExperiments"] = self._start_experiments()
        response = self.set_inverted(True)
        if response is None:
            self.runner.observe("health check already inverted", self.host.primary_health_check_id)
            result["alreadyInverted"] = True
        else:
            result["requestId"] = request_id(response)
        fault_at = self.runner.evidence.event("faultAt") or self.clock.now()
        self.runner.evidence.set_event("faultAt", fault_at)
        self.runner.save()
        if self.opts.fault_db != "none":
            rds = self.factory.client("rds", self.o.primary.region)
            db = self.instance(self.o.primary.region, self.o.primary.identifier)
            if db["DBInstanceStatus"] == "available":
                action = rds.reboot_db_instance if self.opts.fault_db == "reboot" else rds.stop_db_instance
                action(DBInstanceIdentifier=self.o.primary.identifier)
            else:
                self.runner.observe("primary not available; not touched", db["DBInstanceStatus"])
        result["replicaLagAtFaultSeconds"] = self._replica_lag_at(fault_at)
        result["faultAt"] = iso(fault_at)
        return result

    def _start_experiments(self) -> dict[str, str]:
        """Start each named FIS experiment; the client token makes a resumed step find, not repeat, its experiment."""
        fis = self.factory.client("fis", self.o.primary.region)
        started = {}
        for name in self.opts.fis_experiments:
            template = self.o.fis_templates.get(name)
            if template is None:
                raise StepFailed(f"{self.o.source}: chaosExperimentTemplateIds has no {name!r}")
            experiment = fis.start_experiment(
                experimentTemplateId=template,
                clientToken=f"{self.runner.evidence.directory.name}-{name}"[:64],  # ClientToken max 64
            )["experiment"]
            started[name] = experiment["id"]
            self.runner.observe(f"FIS experiment {name}", {"id": experiment["id"], "state": experiment.get("state")})
        self.runner.evidence.set_event("fisStartedAt", self.clock.now())
        return started

    def _replica_lag_at(self, at: datetime) -> float | None:
        points = replica_lag_points(
            self.factory,
            self.o.replica.region,
            self.o.replica.identifier,
            at - timedelta(minutes=5),
            at + timedelta(minutes=1),
        )
        return max((p["Maximum"] for p in points), default=None)

    def wait_unhealthy(self) -> dict[str, Any]:
        self.runner.tick = self._sample_probe
        _, at = self.wait_health(
            self.world.health, UNHEALTHY, timeout=self.opts.health_timeout, interval=self.opts.poll_interval
        )
        self.runner.evidence.set_event("unhealthyAt", at)
        return {"unhealthyAt": iso(at)}

    def wait_dns_secondary(self) -> dict[str, Any]:
        self.runner.tick = self._sample_probe
        baseline = set(self.runner.result("baseline").get("dnsAnswer", []))
        answer, at = self.runner.wait_until(
            f"DNS for {self.host.fqdn} to answer the secondary",
            lambda: self.world.dns.answer(self.host.fqdn),
            lambda a: bool(a) and not (set(a) & baseline),
            timeout=self.opts.dns_timeout,
            interval=self.opts.poll_interval,
        )
        self.runner.evidence.set_event("dnsSecondaryAt", at)
        return {"answer": list(answer), "dnsSecondaryAt": iso(at)}

    def _replica(self) -> dict[str, Any]:
        return self.instance(self.o.replica.region, self.o.replica.identifier)

    def promote_replica(self) -> dict[str, Any]:
        db = self._replica()
        if not db.get("ReadReplicaSourceDBInstanceIdentifier"):
            self.runner.observe("already promoted", db["DBInstanceStatus"])
            if self.runner.evidence.event("promoteRequestedAt") is None:
                self.runner.evidence.set_event("promoteRequestedAt", self.clock.now())
            return {"alreadyPromoted": True}
        if db["DBInstanceStatus"] != "available":
            raise StepFailed(
                f"{self.o.replica.identifier} is {db['DBInstanceStatus']}, not available: "
                "promote by hand once it is, then --resume"
            )
        days, source = self._retention()
        self.runner.observe("backup retention for the promoted writer", {"days": days, "from": source})
        response = self.factory.client("rds", self.o.replica.region).promote_read_replica(
            DBInstanceIdentifier=self.o.replica.identifier, BackupRetentionPeriod=days
        )
        self.runner.evidence.set_event("promoteRequestedAt", self.clock.now())
        return {
            "requestId": request_id(response),
            "status": response["DBInstance"]["DBInstanceStatus"],
            "backupRetentionDays": days,
            "backupRetentionFrom": source,
        }

    def _retention(self) -> tuple[int, str]:
        if self.opts.backup_retention_days:
            return self.opts.backup_retention_days, "--backup-retention-days"
        if self.o.backup_retention_days:
            return self.o.backup_retention_days, f"{self.o.source} dbBackupRetentionDays"
        days = int(self.instance(self.o.primary.region, self.o.primary.identifier).get("BackupRetentionPeriod") or 0)
        if not 1 <= days <= 35:
            raise StepFailed(
                f"no dbBackupRetentionDays output and the primary keeps {days} days of backups: pass "
                "--backup-retention-days (1-35), then --resume"
            )
        return days, f"{self.o.primary.identifier} BackupRetentionPeriod"

    def wait_promoted(self) -> dict[str, Any]:
        def state() -> dict[str, Any]:
            db = self._replica()
            return {
                "status": db["DBInstanceStatus"],
                "replicaOf": db.get("ReadReplicaSourceDBInstanceIdentifier"),
                "backupRetentionPeriod": db.get("BackupRetentionPeriod", 0),
            }

        value, at = self.runner.wait_until(
            f"{self.o.replica.identifier} to be a standalone writer, available, with backups on",
            state,
            lambda s: s["status"] == "available" and not s["replicaOf"] and s["backupRetentionPeriod"] > 0,
            timeout=self.opts.promote_timeout,
            interval=self.opts.poll_interval,
        )
        self.runner.evidence.set_event("promotedAt", at)
        return value

    def region_switch(self) -> dict[str, Any]:
        """Practise the plan: a graceful activate execution of the DR region, followed with ops.failover's client
        code; the execution's own step times become the drill's promotion and re-point events."""
        from ops.failover import Failover, FailoverOptions

        if self.o.region_switch_plan_arn is None:
            raise StepFailed(f"{self.o.source}: --region-switch needs the regionSwitchPlanArn output")
        failover = Failover(
            self.stack,
            self.o,
            self.identity.account if self.identity else "",
            self.factory,
            self.clock,
            FailoverOptions(
                action="activate",
                target_region=self.o.replica.region,
                mode="graceful",  # a practice: both regions are up, the plan may use them
                poll_interval=self.opts.poll_interval,
                timeout=self.opts.promote_timeout,
                comment=f"practice: python -m ops drill {self.stack} ({self.runner.evidence.directory.name})",
                rto_seconds=self.opts.rto_seconds,
            ),
            progress=self.progress,
        )
        failover.runner, failover.evidence = self.runner, self.runner.evidence
        kinds = {s["name"]: s["type"] for s in failover.read_plan()["steps"]}
        started = failover.start(failover.read_state())
        self.runner.observe("plan execution", started)
        result = failover.follow(started["executionId"])
        times = failover.step_times()
        for kind, begin_event, end_event in (
            ("RdsPromoteReadReplica", "promoteRequestedAt", "promotedAt"),
            ("CustomActionLambda", None, "repointedAt"),
        ):
            step = next((name for name, k in kinds.items() if k == kind), None)
            begin, end = times.get(step or "", (None, None))
            if begin_event and begin is not None:
                self.runner.evidence.set_event(begin_event, begin)
            if end is not None:
                self.runner.evidence.set_event(end_event, end)
        return {**result, "stepKinds": kinds}

    def fence_old_primary(self) -> dict[str, Any]:
        """Read what the old primary holds (the other side of the RPO), then stop it: an old primary that keeps
        accepting writes after the promotion loses every one of them (split brain). RDS stops an instance only
        when it has no read replicas — true once the replica is promoted (RDS StopDBInstance, "Limitations")."""
        result: dict[str, Any] = {}
        reader = self.world.old_primary_reader
        if reader is not None:
            try:
                rows = reader.rows()
            except Exception as err:  # noqa: BLE001 - a dead old primary is an observation, not a failed step
                self.runner.observe("old primary unreadable; its side is the writer's log", str(err).splitlines()[0])
            else:
                self.runner.evidence.data["canary"]["oldPrimary"] = [row.to_json() for row in rows]
                result["rowsOnOldPrimary"] = len(rows)
        db = self.instance(self.o.primary.region, self.o.primary.identifier)
        if db["DBInstanceStatus"] != "available":
            self.runner.observe("old primary not available; not stopped", db["DBInstanceStatus"])
            result["status"] = db["DBInstanceStatus"]
        else:
            response = self.factory.client("rds", self.o.primary.region).stop_db_instance(
                DBInstanceIdentifier=self.o.primary.identifier
            )
            result.update(requestId=request_id(response), status=response["DBInstance"]["DBInstanceStatus"])
        self.runner.evidence.set_event("fencedAt", self.clock.now())
        return result

    def repoint_endpoint(self) -> dict[str, Any]:
        current = self.point_parameter(self.o.replica.region, self.o.replica.endpoint)
        if current == self.o.replica.endpoint:
            self.runner.observe("parameter already points at the promoted instance", current)
        self.runner.evidence.set_event("repointedAt", self.clock.now())
        return {"previous": current, "value": self.o.replica.endpoint}

    def wait_first_2xx(self) -> dict[str, Any]:
        self.runner.tick = None

        def probe() -> int | None:
            status = self.world.prober.probe(self.url)
            self.runner.evidence.add_probe(self.clock.now(), status)
            return status

        status, at = self.runner.wait_until(
            f"a 2xx from {self.url}",
            probe,
            lambda s: s is not None and 200 <= s < 300,
            timeout=self.opts.first_good_timeout,
            interval=self.opts.probe_interval,
        )
        self.runner.evidence.set_event("firstGoodProbeAt", at)
        return {"status": status, "firstGoodProbeAt": iso(at)}

    def measure_rpo(self) -> dict[str, Any]:
        fault_at = self.runner.evidence.event("faultAt")
        assert fault_at is not None
        if self.world.canary_writer is not None:
            self.world.canary_writer.stop()
        if self.world.canary_reader is not None:
            promoted = self.world.canary_reader.rows()
            newest = promoted[-1] if promoted else None
            self.runner.observe("newest canary row on the promoted instance", newest.to_json() if newest else None)
            old = self.runner.evidence.data["canary"].get("oldPrimary")
            old_rows = None if old is None else [CanaryRow(int(r["seq"]), parse_iso(r["writtenAt"])) for r in old]  # type: ignore[arg-type]
            rpo = rpo_from_both_sides(fault_at, promoted, self._canary_rows(), old_rows)
            if rpo.seconds is not None:
                return rpo.to_json()
        return rpo_from_lag(self.runner.result("inject-fault").get("replicaLagAtFaultSeconds")).to_json()

    # --- verdict --------------------------------------------------------------------------------------------------

    def _finish(self, stopped_at: str | None = None, reason: str | None = None) -> DrillResult:
        evidence = self.runner.evidence
        self._save_canary()
        ev = evidence.event
        fault = ev("faultAt")
        rpo = self.runner.result("measure-rpo") if self._done("measure-rpo") else None
        measured: dict[str, Any] = {
            "rtoSeconds": seconds_between(fault, ev("firstGoodProbeAt")),
            "rpoSeconds": rpo.get("seconds") if rpo else None,
            "detectionSeconds": seconds_between(fault, ev("unhealthyAt")),
            "dnsSeconds": seconds_between(fault, ev("dnsSecondaryAt")),
            "promotionSeconds": seconds_between(ev("promoteRequestedAt"), ev("promotedAt")),
            "reconnectSeconds": seconds_between(ev("repointedAt"), ev("firstGoodProbeAt")),
            "replicaLagAtFaultSeconds": self.runner.result("inject-fault").get("replicaLagAtFaultSeconds"),
        }
        if rpo:
            measured["rpo"] = rpo
            measured["lostRows"] = rpo.get("lostRows", 0)
        verdict = judge(evidence.data["objectives"], measured, stopped=stopped_at is not None)
        state = stop_state(evidence.data)
        if stopped_at:
            verdict.update(ok=False, stoppedAt=stopped_at, reason=reason)
        verdict["state"] = state
        verdict["undo"] = self._undo(state)
        measured["published"] = self._publish(measured, bool(verdict["ok"]))
        evidence.finish(self.clock.now(), measured, verdict, self._next_steps(verdict, measured, stopped_at, reason))
        return DrillResult(bool(verdict["ok"]), evidence.directory, verdict, stopped_at, reason)

    def _publish(self, measured: dict[str, Any], ok: bool) -> list[str] | str:
        """CloudWatch metrics in the DR region (it outlives the primary): what was measured, and whether the drill
        passed — DrillSucceeded 1 or 0 on every finished run, so a failed or stopped drill is a datapoint too."""
        dims = [{"Name": "Environment", "Value": self.stack}]
        now = self.clock.now()
        values = {
            "MeasuredRtoSeconds": (measured.get("rtoSeconds"), "Seconds"),
            "MeasuredRpoSeconds": (measured.get("rpoSeconds"), "Seconds"),
            "LostCanaryRows": (measured.get("lostRows"), "Count"),
            "DrillSucceeded": (1.0 if ok else 0.0, "Count"),
        }
        data = [
            {"MetricName": name, "Dimensions": dims, "Timestamp": now, "Value": float(value), "Unit": unit}
            for name, (value, unit) in values.items()
            if value is not None
        ]
        try:
            self.factory.client("cloudwatch", self.o.replica.region).put_metric_data(
                Namespace=METRIC_NAMESPACE, MetricData=data
            )
        except Exception as err:  # noqa: BLE001 - the bundle is the evidence; a lost metric is reported, not fatal
            return f"not published: {str(err).splitlines()[0] if str(err) else type(err).__name__}"
        return [str(d["MetricName"]) for d in data]

    def _undo(self, state: str) -> str | None:
        """The one command that undoes what the drill left behind (None when nothing was changed)."""
        if state == "unchanged":
            return None
        return f"python -m ops failback --stack {self.stack} --outputs {self.o.source} --execute" + (
            " --confirm-production prod" if self.identity and self.identity.production else ""
        )

    def _next_steps(
        self, verdict: dict[str, Any], measured: dict[str, Any], stopped_at: str | None, reason: str | None
    ) -> list[str]:
        resume = (
            f"`python -m ops drill --stack {self.stack} --outputs {self.o.source} --execute --resume "
            f"{self.runner.evidence.directory}`"
        )
        state, undo = verdict["state"], verdict["undo"]
        hc = self.host.primary_health_check_id
        steps: list[str] = []
        if state == "unchanged":
            where = f"Stopped at {stopped_at} before any change: {reason}." if stopped_at else ""
            return [f"{where} Nothing was changed; nothing to undo. Fix that and run the drill again.".strip()]
        if state == "fault-injected":
            steps.append(
                f"State: the primary health check {hc} is still INVERTED (traffic goes to the secondary); the replica "
                f"was NOT promoted and the primary is still the writer. Undo: `{undo}` (restores the health check)."
            )
        else:
            steps.append(
                f"State: the primary health check {hc} is still INVERTED; {self.o.replica.identifier} was promoted "
                f"and is the writer in {self.o.replica.region}"
                + ("; the old primary was fenced (stopped)" if self.runner.evidence.event("fencedAt") else "")
                + f". Undo: `{undo}` (rebuilds the primary region as a replica, restores the health check)."
            )
        if stopped_at:
            steps.insert(0, f"Stopped at {stopped_at}: {reason}.")
            steps.append(f"Or continue the drill once the cause is fixed: {resume}.")
        for key, label in (("rto", "RTO"), ("rpo", "RPO")):
            entry = verdict.get(key)
            if entry and not entry["ok"] and entry["measuredSeconds"] is not None:
                steps.append(f"{label} missed: {entry['measuredSeconds']:.0f} s > {entry['objectiveSeconds']:.0f} s.")
        steps += self._advice(verdict, measured)
        if not stopped_at:
            steps.append("Attach this bundle (report.md, evidence.json, timeline.png) to the drill ticket.")
        return steps

    def _advice(self, verdict: dict[str, Any], measured: dict[str, Any]) -> list[str]:
        """Advice only for a phase that actually threatens its objective: RTO was missed and that phase took a
        quarter of the objective or more, or more than the recovery budget assumes for it."""
        out: list[str] = []
        rto = verdict.get("rto")
        budget = self.runner.evidence.data.get("phaseBudget") or {}
        advice = {
            "detectionSeconds": "shorten the health check (RequestInterval 10 s, FailureThreshold 3)",
            "dnsSeconds": "lower the failover records' TTL (60 s) and check resolvers honour it",
            "promotionSeconds": "promotion is RDS-bound: keep the replica the same class as the primary and "
            "its lag low; consider a warm writer",
            "reconnectSeconds": "the app must re-read the endpoint parameter: check its refresh interval and "
            "connection-pool recycling",
        }
        terms = {"promotionSeconds": "dbPromotionSeconds", "reconnectSeconds": "appReconnectSeconds"}
        if rto and rto["measuredSeconds"] is not None and not rto["ok"]:
            share = 0.25 * float(rto["objectiveSeconds"])
            for phase, text in advice.items():
                value = measured.get(phase)
                if value is None:
                    continue
                assumed = budget.get(terms.get(phase, ""))
                if value >= share or (assumed is not None and value > assumed):
                    out.append(f"{phase} = {value:.0f} s of the {rto['objectiveSeconds']:.0f} s RTO — {text}.")
        for phase, term in terms.items():
            value, assumed = measured.get(phase), budget.get(term)
            if value is not None and assumed is not None and value > assumed:
                out.append(
                    f"{phase} = {value:.0f} s exceeds the {term} {assumed:g} s the recovery-budget policy assumes: "
                    f"its RTO estimate is optimistic — raise {term} in policy/config/{self.stack}.json or make that "
                    "phase faster."
                )
        rpo_entry, rpo = verdict.get("rpo"), measured.get("rpo") or {}
        if rpo_entry and rpo_entry["measuredSeconds"] is not None and not rpo_entry["ok"]:
            if rpo.get("splitBrainRows"):
                out.append(
                    f"{rpo['splitBrainRows']} canary row(s) were acknowledged by the old primary after the fault and "
                    "are missing on the promoted writer (split brain): fence the old primary sooner (a real fault "
                    "from the FIS templates, or stop it before promoting)."
                )
            lag = measured.get("replicaLagAtFaultSeconds")
            if lag is not None and lag >= 0.5 * float(rpo_entry["objectiveSeconds"]):
                out.append(
                    f"Replica lag at the fault was {lag:g} s: check the ReplicaLag alarm history, write bursts and "
                    "the replica's instance class."
                )
        return out
