"""`python -m ops verify|topology|drill|failback|failover|lab` — see `python -m ops COMMAND --help`.

Exit codes (ops/README.md, "Errors"): 0 ok; 1 a check failed, an objective was missed or the drill/failback stopped;
2 usage or input error (arguments, the outputs file, the policy config, the evidence directory, production without
--confirm-production prod, a bad --resume directory); 3 the environment cannot be used (AWS unreachable, no or
rejected credentials, access denied, throttled past the retries, PostgreSQL missing); 4 a bug (traceback printed);
130/143 interrupted by SIGINT/SIGTERM. Every code but 0 and 4 comes with one line on stderr: what failed, what to do.
`main` is the one door that prints it: everything below raises (ops.errors), nothing else catches to print.

Objectives (RTO, RPO) come from the stack's policy config (ops.objectives); --rto-seconds/--rpo-seconds override.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TextIO

from ops import topology
from ops.aws import ClientFactory
from ops.clock import Clock, SystemClock
from ops.drill import FAULT_DB_CHOICES, Drill, DrillOptions, World, plan, require_confirmation
from ops.errors import (
    EXIT_BUG,
    EXIT_ENVIRONMENT,
    EXIT_FAILED,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_SIGNAL_BASE,
    InputError,
    Interrupted,
    OpsError,
    interruptible,
    one_line,
)
from ops.failback import Failback, FailbackOptions, database_return_plan
from ops.failback import plan as failback_plan
from ops.failover import ACTIONS, MODES, Failover, FailoverOptions
from ops.failover import plan as failover_plan
from ops.identity import Accounts, StackIdentity, check_caller, check_outputs, stack_accounts
from ops.identity import resolve as resolve_identity
from ops.objectives import RPO, RTO, Objectives, ObjectivesError, resolve
from ops.observers import HealthObserver, HttpProber, Route53Health, SocketDns
from ops.operation import Guard
from ops.outputs import StackOutputs, load
from ops.switchback import SwitchBack
from ops.switchback import plan as switch_back_plan
from ops.velero import FileVelero, KubectlVelero, VeleroSource
from ops.verify import FAIL, Verifier, VerifyOptions, failed

SECRETS_ARN_REGION = re.compile(r"arn:aws[-a-z]*:secretsmanager:([a-z0-9-]+):")


FAILOVER_HINT = "(exported when the stack deploys FailoverDns)"


class UsageError(InputError):
    """Exit 2 with this one line."""


class ArgumentsError(InputError):
    """argparse refused the command line; `str()` is the whole line, prog included (exit 2)."""


class _Parser(argparse.ArgumentParser):
    """One line and a pointer to --help instead of argparse's usage block (which buries the error under it)."""

    def error(self, message: str) -> NoReturn:
        raise ArgumentsError(f"{self.prog}: error: {message} (see {self.prog} --help)")


@dataclass
class Deps:
    """What main() builds from the environment; tests inject their own."""

    factory: ClientFactory | None = None
    clock: Clock = field(default_factory=SystemClock)
    world: World | None = None
    health: HealthObserver | None = None
    velero: VeleroSource | None = None
    accounts: Accounts | None = None  # stack -> (awsAccountId, tier); default: the Pulumi.<stack>.yaml files
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)


# --- argument parsing ---------------------------------------------------------------------------------------


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):  # an `inf` RTO always passes; `nan` compares false with everything
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _retention_days(text: str) -> int:
    # PromoteReadReplica BackupRetentionPeriod: "Must be a value from 0 to 35"; 0 disables automated backups, which
    # a writer that just became the only copy of the data must keep (the drill waits for backups on).
    value = _positive_int(text)
    if value > 35:
        raise argparse.ArgumentTypeError(f"expected 1 to 35 days (RDS's limit), got {text!r}")
    return value


def _reason(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a reason (why the check is skipped), got an empty string")
    return text.strip()


def _stack_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stack", required=True, help="stack name (dev, stage, prod); must match the outputs' environment")
    p.add_argument(
        "--outputs",
        required=True,
        metavar="FILE",
        help="stack outputs as printed by `pulumi stack output --json --show-secrets` (- for stdin)",
    )
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: tables for a terminal (default); json: one JSON document on stdout",
    )
    p.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="send every AWS call to this endpoint (a moto server); default OPS_AWS_ENDPOINT_URL or AWS",
    )
    p.add_argument(
        "--retry-mode",
        choices=("standard", "adaptive"),
        default="standard",
        help="botocore retry mode for throttling and 5xx (adaptive also rate-limits client-side)",
    )
    p.add_argument(
        "--max-attempts",
        type=_positive_int,
        default=8,
        help="botocore attempts per API call, the first one included (1: no retries; default 8)",
    )


def _verify_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("verification thresholds")
    g.add_argument(
        "--rpo-seconds",
        type=_positive,
        default=None,
        help="RPO objective: max replica lag and age of the latest restorable time (default: the database RPO of "
        "the recovery-budget policy in --policy-config: rpoSecondsByClass.database, else rpoSeconds)",
    )
    g.add_argument(
        "--policy-config",
        metavar="FILE",
        type=Path,
        help="policy pack config holding the recovery-budget objectives (default policy/config/STACK.json, "
        "the file CI passes to `pulumi preview --policy-pack-config`); not read when every objective is a flag",
    )
    g.add_argument(
        "--lag-window-minutes", type=_positive_int, default=15, help="ReplicaLag window for the max (default 15)"
    )
    g.add_argument(
        "--snapshot-max-age-hours",
        type=_positive,
        default=26,
        help="newest DB snapshot must be younger (default 26: daily backups + 2 h)",
    )
    g.add_argument(
        "--velero-json",
        metavar="FILE",
        help="saved output of `kubectl -n NS get backups.velero.io,schedules.velero.io -o json`; "
        "default: run that kubectl command",
    )
    g.add_argument("--kubectl", default="kubectl", help="kubectl binary for the Velero check (default kubectl)")
    g.add_argument(
        "--skip-velero",
        metavar="REASON",
        type=_reason,
        help="do not check Velero (no cluster access on purpose); the check is SKIP with REASON in the evidence",
    )
    g.add_argument(
        "--velero-grace-minutes",
        type=_positive,
        default=30,
        help="allowed beyond the schedule interval for a backup to complete (default 30)",
    )


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="python -m ops",
        description="DR drills and backup verification for summit-resilience stacks.",
        epilog="Exit codes: 0 ok, 1 check failed / objective missed / stopped, 2 usage or input error, "
        "3 AWS or local environment unusable, 4 bug, 130/143 interrupted (ops/README.md, Errors).",
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser(
        "verify",
        help="check replication and backups are healthy (read-only)",
        description="Read-only checks: DB primary/replica available, replica lag ≤ RPO, latest "
        "restorable time, automated backups replicated to the DR region, newest snapshot "
        "age, S3 replication (RTC, no failed operations), health checks, Velero backup age.",
    )
    _stack_args(v)
    _verify_args(v)

    t = sub.add_parser(
        "topology",
        help="does the live database topology match the stack's outputs? (read-only; deploy.yml runs it before up)",
        description="Compare the live RDS instances and endpoint parameters with the outputs: dbPrimaryIdentifier is "
        "a writer (not a replica), dbReplicaIdentifier a replica of dbPrimaryArn, no <primary>-failback replica, both "
        "endpoint parameters point at dbPrimaryEndpoint. Exit 1 with one line naming what diverged and the runbook "
        "section that reconciles it.",
    )
    _stack_args(t)
    t.add_argument(
        "--allow-pending-switch-back",
        action="store_true",
        help="exit 0 also on exactly the shape `ops failback --execute` leaves after a promotion (the DR instance the "
        "writer, <primary>-failback its replica, both parameters at it), reported as switchBack=pending; any other "
        "divergence still exits 1 (dr-drill.yml after failback; never deploy.yml's gate)",
    )

    d = sub.add_parser(
        "drill",
        help="region-failover drill (dry-run unless --execute)",
        description="Invert the primary Route53 health check, promote the DR replica, re-point the "
        "endpoint parameter, measure RTO/RPO and write an evidence bundle. Dry-run by "
        "default: prints each step and the API calls it would make.",
    )
    _stack_args(d)
    d.add_argument("--execute", action="store_true", help="really run the drill (default: print the plan)")
    d.add_argument(
        "--confirm-production", metavar="STACK", help="required as `--confirm-production prod` to drill the prod stack"
    )
    d.add_argument(
        "--evidence-dir",
        default="evidence",
        metavar="DIR",
        help="bundles go to DIR/<stack>-<UTC time>/ (default ./evidence)",
    )
    d.add_argument("--resume", metavar="DIR", help="continue a crashed or stopped drill from its bundle directory")
    g = d.add_argument_group("objectives")
    g.add_argument(
        "--rto-seconds",
        type=_positive,
        default=None,
        help="RTO objective: fault → first 2xx (default: rtoSeconds of the recovery-budget policy in --policy-config)",
    )
    g = d.add_argument_group("fault and promotion")
    g.add_argument(
        "--fault-db",
        choices=FAULT_DB_CHOICES,
        default="none",
        help="also reboot or stop the primary instance (RDS refuses to stop a primary that has replicas)",
    )
    g.add_argument(
        "--backup-retention-days",
        type=_retention_days,
        default=None,
        help="BackupRetentionPeriod for promote_read_replica, 1-35 (default: the stack's dbBackupRetentionDays "
        "output, else the primary's own retention)",
    )
    g = d.add_argument_group("probes and canary")
    g.add_argument("--probe-url", metavar="URL", help="URL of the synthetic probe (default gatewayUrl)")
    g.add_argument("--probe-interval", type=_positive, default=5.0, help="seconds between probes (default 5)")
    g.add_argument(
        "--canary",
        action="store_true",
        help="write canary rows through the primary endpoint (credentials from dbSecretArn) and read the "
        "newest after promotion for RPO; without it RPO = ReplicaLag at the fault",
    )
    g.add_argument("--canary-database", default="postgres", help="database for the canary table (default postgres)")
    g.add_argument("--canary-interval", type=_positive, default=1.0, help="seconds between canary rows (default 1)")
    g = d.add_argument_group("waits (each shows progress: what, elapsed/timeout)")
    g.add_argument("--poll-interval", type=_positive, default=10.0, help="seconds between polls (default 10)")
    g.add_argument("--health-timeout", type=_positive, default=180.0, help="health check → Unhealthy (default 180)")
    g.add_argument("--dns-timeout", type=_positive, default=300.0, help="DNS → secondary (default 300)")
    g.add_argument("--promote-timeout", type=_positive, default=1200.0, help="promotion → available (default 1200)")
    g.add_argument("--first-good-timeout", type=_positive, default=900.0, help="re-point → first 2xx (default 900)")
    g.add_argument("--skip-verify", action="store_true", help="do not run verify first (not recommended)")
    g.add_argument(
        "--fis-experiment",
        action="append",
        default=[],
        metavar="NAME",
        help="also start this FIS experiment template of the stack with the fault (a name in the "
        "chaosExperimentTemplateIds output: primary-db-reboot, s3-pause-replication, app-network); repeatable",
    )
    g.add_argument(
        "--region-switch",
        action="store_true",
        help="practise the stack's ARC Region switch plan: after the fault a graceful activate execution promotes "
        "and re-points (needs regionSwitchPlanArn); the evidence keeps each plan step's start/end",
    )
    g.add_argument(
        "--no-fence",
        action="store_true",
        help="leave the old primary running after promotion (it can keep taking writes: split brain)",
    )
    _verify_args(d)

    f = sub.add_parser(
        "failback",
        help="rebuild the primary region after a drill (dry-run unless --execute)",
        description="Create a replica of the promoted instance in the original region, point the "
        "primary region's endpoint parameter at the writer, undo the health-check "
        "inversion and wait for DNS to return; prints the database switch-back plan.",
    )
    _stack_args(f)
    f.add_argument("--execute", action="store_true", help="really run it (default: print the plan)")
    f.add_argument("--confirm-production", metavar="STACK", help="required as `--confirm-production prod` for prod")
    f.add_argument("--evidence-dir", default="evidence", metavar="DIR", help="where the failback bundle goes")
    f.add_argument("--poll-interval", type=_positive, default=30.0, help="seconds between polls (default 30)")
    f.add_argument("--replica-timeout", type=_positive, default=7200.0, help="replica → available (default 7200)")
    f.add_argument("--health-timeout", type=_positive, default=300.0, help="health check → Healthy (default 300)")
    f.add_argument(
        "--switch-back",
        action="store_true",
        help="the database switch-back after a failback (maintenance window, writes stopped): promote "
        "<primary>-failback, retire the old instances by renaming them, rename it to the primary, re-create the DR "
        "replica, re-point both parameters — until `ops topology` passes",
    )

    fo = sub.add_parser(
        "failover",
        help="run the stack's ARC Region switch plan for a real outage (dry-run unless --execute)",
        description="Check the caller's account and the stack, print the Region switch plan's workflow and the "
        "current state (executions in flight, the plan's Route53 health checks), all from the target region's data "
        "plane. With --execute, start the execution (ungraceful by default: a lost region cannot take part) and "
        "follow it step by step until it completes, fails or pauses; the evidence bundle is the drill's format.",
    )
    _stack_args(fo)
    fo.add_argument("--execute", action="store_true", help="start (or resume following) the execution")
    fo.add_argument(
        "--confirm-production", metavar="STACK", help="required as `--confirm-production prod` to execute in prod"
    )
    fo.add_argument(
        "--evidence-dir", default="evidence", metavar="DIR", help="bundles go to DIR/<stack>-failover-<UTC time>/"
    )
    fo.add_argument(
        "--resume", metavar="DIR", help="follow the execution of an earlier run again (its bundle directory)"
    )
    fo.add_argument(
        "--action",
        choices=ACTIONS,
        default="activate",
        help="activate: fail over to --region (default); deactivate: re-protect after leaving --region (once back)",
    )
    fo.add_argument(
        "--region", metavar="REGION", help="the region to activate or deactivate (default: dbReplicaRegion)"
    )
    fo.add_argument(
        "--mode",
        choices=MODES,
        default="ungraceful",
        help="ungraceful (default): for a lost region; graceful: both regions healthy (a planned switch)",
    )
    fo.add_argument("--comment", default="started by python -m ops failover", help="recorded with the execution")
    fo.add_argument("--poll-interval", type=_positive, default=15.0, help="seconds between polls (default 15)")
    fo.add_argument(
        "--timeout",
        type=_positive,
        default=1800.0,
        help="stop following after this many seconds (default 1800, twice the RTO); the execution goes on in AWS",
    )
    fo.add_argument(
        "--rto-seconds",
        type=_positive,
        default=None,
        help="RTO objective the execution is judged against (default: rtoSeconds of the recovery-budget policy)",
    )
    fo.add_argument(
        "--policy-config",
        metavar="FILE",
        type=Path,
        help="policy pack config holding the recovery-budget objectives (default policy/config/STACK.json)",
    )

    lab = sub.add_parser(
        "lab",
        help="real PostgreSQL primary + streaming replica failover on loopback",
        description="initdb a PostgreSQL primary, pg_basebackup a streaming replica, write canary "
        "rows, kill the primary, pg_promote the replica; measure promotion time and RPO "
        "and write the same evidence bundle as the drill.",
    )
    lab.add_argument("--evidence-dir", default="evidence", metavar="DIR", help="bundle goes to DIR/lab-<UTC time>/")
    lab.add_argument("--canary-interval", type=_positive, default=0.1, help="seconds between canary rows (0.1)")
    lab.add_argument("--write-seconds", type=_positive, default=3.0, help="seconds of writes before the kill (3)")
    lab.add_argument(
        "--fault",
        choices=("kill", "partition"),
        default="kill",
        help="kill: stop the primary (-m immediate), then promote; partition: cut replication while the primary keeps "
        "taking writes, promote, fence it after --split-seconds (split brain, lost writes counted)",
    )
    lab.add_argument(
        "--split-seconds", type=_positive, default=1.0, help="partition: old primary keeps writing this long (1)"
    )
    lab.add_argument("--format", choices=("text", "json"), default="text", help="text tables or one JSON document")
    return top


# --- helpers ------------------------------------------------------------------------------------------------


def _outputs(args: argparse.Namespace) -> StackOutputs:
    outputs = load(args.outputs)
    if outputs.environment is not None and outputs.environment != args.stack:
        raise UsageError(f"{args.outputs}: outputs are for environment {outputs.environment}, not --stack {args.stack}")
    return outputs


def _identity(args: argparse.Namespace, deps: Deps, outputs: StackOutputs) -> StackIdentity:
    """The stack's account from its stack file; every ARN in the outputs must be in it (no AWS call)."""
    identity = resolve_identity(args.stack, deps.accounts if deps.accounts is not None else stack_accounts())
    check_outputs(outputs, identity)
    return identity


def _factory(args: argparse.Namespace, deps: Deps) -> ClientFactory:
    return deps.factory or ClientFactory(
        endpoint_url=args.endpoint_url, retry_mode=args.retry_mode, max_attempts=args.max_attempts
    )


def _objectives(args: argparse.Namespace, *keys: str) -> Objectives:
    flags = {RTO: getattr(args, "rto_seconds", None), RPO: getattr(args, "rpo_seconds", None)}
    try:
        return resolve(args.stack, {key: flags[key] for key in keys}, config_file=args.policy_config)
    except ObjectivesError as err:
        raise UsageError(str(err)) from None


def _objectives_json(objectives: Objectives) -> dict[str, Any]:
    return {key: {"seconds": seconds, "source": objectives.sources[key]} for key, seconds in objectives.seconds.items()}


def _verify_options(args: argparse.Namespace, objectives: Objectives) -> VerifyOptions:
    return VerifyOptions(
        rpo_seconds=objectives.seconds[RPO],
        lag_window_minutes=args.lag_window_minutes,
        snapshot_max_age_hours=args.snapshot_max_age_hours,
        velero_grace_minutes=args.velero_grace_minutes,
        velero_skip_reason=args.skip_velero,
    )


def _velero(args: argparse.Namespace, outputs: StackOutputs, deps: Deps) -> VeleroSource | None:
    if args.skip_velero:
        return None
    if deps.velero is not None:
        return deps.velero
    if args.velero_json:
        return FileVelero(args.velero_json)
    if outputs.velero is not None:
        return KubectlVelero(outputs.velero.namespace, args.kubectl)
    return None


def _console(stream: TextIO) -> Any:
    from rich.console import Console

    return Console(file=stream, soft_wrap=False, width=None if stream.isatty() else 160)


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], stream: TextIO) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(title), title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))  # "rds[us-east-1]" is text, not rich markup
    _console(stream).print(table)


def _progress(deps: Deps) -> Any:
    def say(message: str) -> None:
        print(message, file=deps.stderr, flush=True)

    return say


def _json(document: Any, stream: TextIO) -> None:
    stream.write(json.dumps(document, indent=2, default=str) + "\n")


def canary_conninfo(factory: ClientFactory, outputs: StackOutputs, endpoint: str, database: str) -> str:
    """libpq connection string for `endpoint` with the credentials in dbSecretArn (never printed or logged)."""
    import psycopg.conninfo

    if outputs.secret_arn is None:
        raise UsageError(f"{outputs.source}: --canary needs the dbSecretArn output")
    match = SECRETS_ARN_REGION.match(outputs.secret_arn)
    assert match is not None
    secret = json.loads(
        factory.client("secretsmanager", match.group(1)).get_secret_value(SecretId=outputs.secret_arn)["SecretString"]
    )
    host, _, port = endpoint.partition(":")
    return psycopg.conninfo.make_conninfo(
        host=host,
        port=port or "5432",
        user=secret["username"],
        password=secret["password"],
        dbname=database,
        sslmode="require",
        connect_timeout="5",
    )


# --- commands -----------------------------------------------------------------------------------------------


def cmd_verify(args: argparse.Namespace, deps: Deps) -> int:
    outputs = _outputs(args)
    objectives = _objectives(args, RPO)
    factory = _factory(args, deps)
    health = deps.health or Route53Health(factory)
    checks = Verifier(
        outputs, factory, deps.clock, health, _velero(args, outputs, deps), _verify_options(args, objectives)
    ).run()
    bad = failed(checks)
    if args.format == "json":
        document = {"stack": args.stack, "ok": not bad, "objectives": _objectives_json(objectives)}
        _json({**document, "checks": [c.to_json() for c in checks]}, deps.stdout)
    else:
        _table(
            f"verify {args.stack}: {'OK' if not bad else f'{len(bad)} FAILED'}",
            ("check", "status", "detail"),
            [(c.name, c.status.upper() if c.status == FAIL else c.status, c.detail) for c in checks],
            deps.stdout,
        )
        print(f"RPO objective: {objectives.describe(RPO)}", file=deps.stdout)
    return EXIT_FAILED if bad else EXIT_OK


def cmd_topology(args: argparse.Namespace, deps: Deps) -> int:
    outputs = _outputs(args)
    factory = _factory(args, deps)
    # both raise Diverged (exit 1) with one line; only the flag lets the exact failback shape through
    if args.allow_pending_switch_back:
        line, pending = topology.check_allowing_pending(args.stack, outputs, factory)
    else:
        line, pending = topology.check(args.stack, outputs, factory), False
    if args.format == "json":
        switch_back = "pending" if pending else "none"
        _json({"stack": args.stack, "ok": True, "switchBack": switch_back, "detail": line}, deps.stdout)
    else:
        print(line, file=deps.stdout)
    return EXIT_OK


def _drill_options(args: argparse.Namespace, objectives: Objectives) -> DrillOptions:
    return DrillOptions(
        rto_seconds=objectives.seconds[RTO],
        rpo_seconds=objectives.seconds[RPO],
        objective_sources=dict(objectives.sources),
        phase_budget=dict(objectives.phase_budget),
        fault_db=args.fault_db,
        backup_retention_days=args.backup_retention_days,
        poll_interval=args.poll_interval,
        probe_interval=args.probe_interval,
        probe_url=args.probe_url,
        health_timeout=args.health_timeout,
        dns_timeout=args.dns_timeout,
        promote_timeout=args.promote_timeout,
        first_good_timeout=args.first_good_timeout,
        skip_verify=args.skip_verify,
        fence=not args.no_fence,
        region_switch=args.region_switch,
        fis_experiments=tuple(args.fis_experiment),
        verify=_verify_options(args, objectives),
    )


def _print_plan(kind: str, args: argparse.Namespace, steps: list[Any], extra: list[str], deps: Deps) -> None:
    if args.format == "json":
        _json(
            {
                "stack": args.stack,
                "mode": "dry-run",
                "kind": kind,
                "steps": [s.to_json() for s in steps],
                "notes": extra,
            },
            deps.stdout,
        )
        return
    if not deps.stdout.isatty():  # piped or saved: whole lines, so every call can be copied or grepped
        print(f"{kind} plan for {args.stack} (dry-run: nothing is changed; add --execute to run)", file=deps.stdout)
        for i, step in enumerate(steps, 1):
            print(f"{i:2}. {step.name}: {step.title}", file=deps.stdout)
            for call in step.calls:
                print(f"      {call}", file=deps.stdout)
        for line in extra:
            print(line, file=deps.stdout)
        return
    rows = [(str(i), s.name, s.title, "\n".join(s.calls)) for i, s in enumerate(steps, 1)]
    _table(
        f"{kind} plan for {args.stack} (dry-run: nothing is changed; add --execute to run)",
        ("#", "step", "what", "API calls"),
        rows,
        deps.stdout,
    )
    for line in extra:
        print(line, file=deps.stdout)


def cmd_drill(args: argparse.Namespace, deps: Deps) -> int:
    outputs = _outputs(args)
    identity = _identity(args, deps, outputs)
    require_confirmation(args.stack, outputs, args.confirm_production, identity.production)
    if outputs.gateway_host is None or outputs.gateway_url is None:
        raise UsageError(
            f"{args.outputs}: the drill needs the failover outputs gatewayUrl and failover {FAILOVER_HINT}"
        )
    unknown = [n for n in args.fis_experiment if n not in outputs.fis_templates]
    if unknown:
        known = ", ".join(sorted(outputs.fis_templates)) or "none (chaosExperimentsEnabled is off)"
        raise UsageError(f"--fis-experiment {unknown[0]}: not in {args.outputs} chaosExperimentTemplateIds ({known})")
    objectives = _objectives(args, RTO, RPO)
    options = _drill_options(args, objectives)
    if not args.execute:
        if args.resume:
            raise UsageError("--resume continues an executed drill: add --execute")
        notes = [
            "Every step checks state first, so a re-run or --resume never repeats a change; nothing is deleted.",
            f"Objectives: RTO {objectives.describe(RTO)}; RPO {objectives.describe(RPO)}.",
        ]
        _print_plan("drill", args, plan(outputs, options), notes, deps)
        return EXIT_OK
    factory = _factory(args, deps)
    # the caller's account, from the DR region (the region a drill must be able to work from)
    caller = check_caller(factory, outputs.replica.region, identity)
    world = deps.world
    if world is None:
        world = World(
            health=Route53Health(factory), dns=SocketDns(), prober=HttpProber(), velero=_velero(args, outputs, deps)
        )
        if args.canary:
            from ops.canary import PgCanaryReader, PgCanaryWriter

            writer_dsn = canary_conninfo(factory, outputs, outputs.primary.endpoint, args.canary_database)
            reader_dsn = canary_conninfo(factory, outputs, outputs.replica.endpoint, args.canary_database)
            world.canary_writer = PgCanaryWriter(writer_dsn, interval=args.canary_interval, clock=deps.clock)
            world.canary_reader = PgCanaryReader(reader_dsn)
            world.old_primary_reader = PgCanaryReader(writer_dsn)
    drill = Drill(
        args.stack,
        outputs,
        factory,
        deps.clock,
        world,
        options,
        confirm_production=args.confirm_production,
        progress=_progress(deps),
        identity=identity,
    )
    if args.resume and not (Path(args.resume) / "evidence.json").is_file():
        raise UsageError(f"--resume {args.resume}: no evidence.json there — name the bundle directory a drill wrote")
    evidence = drill.open(Path(args.evidence_dir), Path(args.resume) if args.resume else None)
    evidence.data["context"]["caller"] = caller["caller"]
    args.bundle = evidence.directory  # named in the one line if the drill is interrupted or loses AWS
    args.journal = evidence
    result = drill.run(evidence)
    document = {"stack": args.stack, "ok": result.ok, "evidence": str(result.directory), **evidence.data}
    if args.format == "json":
        _json(document, deps.stdout)
    else:
        measured = evidence.data["measured"]
        rows = []
        for key in ("rto", "rpo"):
            entry = result.verdict.get(key)
            if entry:
                rows.append(
                    (
                        key.upper(),
                        f"{entry['objectiveSeconds']:.0f} s",
                        ("not run" if entry.get("notRun") else "—")
                        if entry["measuredSeconds"] is None
                        else f"{entry['measuredSeconds']:.1f} s",
                        "not run" if entry.get("notRun") else ("pass" if entry["ok"] else "FAIL"),
                    )
                )
        for key in ("detectionSeconds", "dnsSeconds", "promotionSeconds", "reconnectSeconds"):
            if measured.get(key) is not None:
                rows.append((key, "", f"{measured[key]:.1f} s", ""))
        _table(
            f"drill {args.stack}: {'PASS' if result.ok else 'FAIL'} — evidence in {result.directory}",
            ("objective", "target", "measured", "result"),
            rows,
            deps.stdout,
        )
        for key, source in evidence.data.get("objectiveSources", {}).items():
            print(f"{key} objective from {source}", file=deps.stdout)
        for line in evidence.data["nextSteps"]:
            print(f"- {line}", file=deps.stdout)
    return EXIT_OK if result.ok else EXIT_FAILED


def cmd_failback(args: argparse.Namespace, deps: Deps) -> int:
    outputs = _outputs(args)
    identity = _identity(args, deps, outputs)
    require_confirmation(args.stack, outputs, args.confirm_production, identity.production)
    if outputs.gateway_host is None:
        raise UsageError(f"{args.outputs}: failback needs the failover outputs gatewayUrl and failover {FAILOVER_HINT}")
    options = FailbackOptions(
        poll_interval=args.poll_interval, replica_timeout=args.replica_timeout, health_timeout=args.health_timeout
    )
    if not args.execute:
        if args.switch_back:
            _print_plan("failback --switch-back", args, switch_back_plan(outputs, options), [], deps)
            return EXIT_OK
        _print_plan(
            "failback",
            args,
            failback_plan(outputs, options),
            [
                "Then the database switch-back (a separate run: --switch-back):",
                *(f"  {s}" for s in database_return_plan(outputs)),
            ],
            deps,
        )
        return EXIT_OK
    factory = _factory(args, deps)
    check_caller(factory, outputs.replica.region, identity)
    guard = Guard(confirm_production=args.confirm_production, progress=_progress(deps), identity=identity)
    operation: Failback | SwitchBack
    if args.switch_back:
        operation = SwitchBack(args.stack, outputs, factory, deps.clock, None, options, **guard)
    else:
        health = deps.health or Route53Health(factory)
        operation = Failback(args.stack, outputs, factory, deps.clock, health, options, **guard)
    ok, evidence = operation.run(Path(args.evidence_dir))
    kind = "failback --switch-back" if args.switch_back else "failback"
    if args.format == "json":
        _json({"stack": args.stack, "ok": ok, "evidence": str(evidence.directory), **evidence.data}, deps.stdout)
    else:
        _table(
            f"{kind} {args.stack}: {'OK' if ok else 'STOPPED'} — evidence in {evidence.directory}",
            ("step", "status", "error"),
            [(s["name"], s["status"], s.get("error") or "") for s in evidence.data["steps"]],
            deps.stdout,
        )
        for line in evidence.data["nextSteps"]:
            print(f"- {line}", file=deps.stdout)
    return EXIT_OK if ok else EXIT_FAILED


def _stack_account(stack: str) -> str:
    """awsAccountId from the stack's own file: identity is checked against it, never against labels."""
    from settings import ConfigError, load_raw

    try:
        account = load_raw(stack).values.get("awsAccountId")
    except ConfigError as err:
        raise UsageError(str(err)) from None
    if not isinstance(account, str):
        raise UsageError(f"Pulumi.{stack}.yaml: summit-resilience:awsAccountId is not set")
    return account


def cmd_failover(args: argparse.Namespace, deps: Deps) -> int:
    outputs = _outputs(args)
    if outputs.region_switch_plan_arn is None:
        raise UsageError(f"{args.outputs}: regionSwitchPlanArn is missing (exported when the stack deploys its plan)")
    account = _stack_account(args.stack)
    objectives = _objectives(args, RTO)
    options = FailoverOptions(
        action=args.action,
        target_region=args.region,
        mode=args.mode,
        poll_interval=args.poll_interval,
        timeout=args.timeout,
        comment=args.comment,
        rto_seconds=objectives.seconds[RTO],
        objective_sources=dict(objectives.sources),
    )
    if args.execute:
        require_confirmation(args.stack, outputs, args.confirm_production)
    elif args.resume:
        raise UsageError("--resume follows an executed failover: add --execute")
    failover = Failover(
        args.stack,
        outputs,
        account,
        _factory(args, deps),
        deps.clock,
        options,
        confirm_production=args.confirm_production,
        progress=_progress(deps),
    )
    if not args.execute:
        return _print_failover_dry_run(args, failover, options, account, deps)
    if args.resume and not (Path(args.resume) / "evidence.json").is_file():
        raise UsageError(f"--resume {args.resume}: no evidence.json there")
    if not args.resume:
        failover.check_identity()  # a refused caller leaves no bundle behind
    try:
        evidence = failover.open(Path(args.evidence_dir), Path(args.resume) if args.resume else None)
    except (ValueError, FileExistsError) as err:
        raise UsageError(f"evidence: {err}") from err
    ok, evidence = failover.run(evidence)
    if args.format == "json":
        _json({"stack": args.stack, "ok": ok, "evidence": str(evidence.directory), **evidence.data}, deps.stdout)
    else:
        measured = evidence.data["measured"]
        rows = [
            (s["name"].removeprefix("plan:"), s["status"], _duration(s), s.get("error") or "")
            for s in evidence.data["steps"]
            if s["name"].startswith("plan:")
        ]
        _table(
            f"failover {args.stack}: {measured.get('executionState') or 'not started'} "
            f"({'OK' if ok else 'NOT DONE'}) — evidence in {evidence.directory}",
            ("plan step", "status", "duration", "error"),
            rows,
            deps.stdout,
        )
        if measured.get("rtoSeconds") is not None:
            print(
                f"execution took {measured['rtoSeconds']:.0f} s; objective {objectives.describe(RTO)}", file=deps.stdout
            )
        for line in evidence.data["nextSteps"]:
            print(f"- {line}", file=deps.stdout)
    return 0 if ok else 1


def _duration(step: dict[str, Any]) -> str:
    from ops.clock import parse_iso
    from ops.evidence import seconds_between

    seconds = seconds_between(parse_iso(step.get("startedAt")), parse_iso(step.get("endedAt")))
    return "" if seconds is None else f"{seconds:.0f} s"


def _print_failover_dry_run(
    args: argparse.Namespace, failover: Failover, options: FailoverOptions, account: str, deps: Deps
) -> int:
    info = failover.inspect()
    steps = failover_plan(failover.o, options, account)
    notes = [
        f"Caller {info['identity']['caller']} in account {account} (Pulumi.{args.stack}.yaml awsAccountId).",
        f"Objective: RTO {options.rto_seconds:g} s from {options.objective_sources.get(RTO, '--rto-seconds')}.",
    ]
    if args.format == "json":
        _json(
            {"stack": args.stack, "mode": "dry-run", "kind": "failover", **info, "steps": [s.to_json() for s in steps]},
            deps.stdout,
        )
        return 0
    plan_info, state = info["plan"], info["state"]
    _table(
        f"plan {plan_info['name']} (version {plan_info['version']}, RTO {plan_info['rtoMinutes']} min): "
        f"{options.action} {failover.target}",
        ("#", "step", "execution block", "runs with"),
        [(str(i), s["name"], s["type"], s.get("parallel", "")) for i, s in enumerate(plan_info["steps"], 1)],
        deps.stdout,
    )
    in_flight = state["inFlight"]
    print(
        "executions in flight: "
        + ("; ".join(f"{e['executionId']} {e['action']} {e['region']} {e['state']}" for e in in_flight) or "none"),
        file=deps.stdout,
    )
    last = state["last"]
    if last:
        print(
            f"last execution: {last['executionId']} {last['action']} {last['region']} {last['state']}", file=deps.stdout
        )
    for check in state["healthChecks"]:
        print(f"plan health check {check['record']} [{check['region']}]: {check['status']}", file=deps.stdout)
    evaluation = state["evaluation"]
    print(f"plan evaluation: {evaluation['state']} (at {evaluation['at'] or 'never'})", file=deps.stdout)
    for warning in evaluation["warnings"]:
        print(f"  warning: {warning}", file=deps.stdout)
    _print_plan("failover", args, steps, notes, deps)
    return 0


def cmd_lab(args: argparse.Namespace, deps: Deps) -> int:
    from ops.lab import LabOptions, run_lab

    ok, evidence = run_lab(
        Path(args.evidence_dir),
        LabOptions(
            canary_interval=args.canary_interval,
            write_seconds=args.write_seconds,
            fault=args.fault,
            split_seconds=args.split_seconds,
        ),
        progress=_progress(deps),
    )
    measured = evidence.data["measured"]
    if args.format == "json":
        _json({"ok": ok, "evidence": str(evidence.directory), "measured": measured}, deps.stdout)
    else:
        rpo = measured["rpo"]
        _table(
            f"lab: {'PASS' if ok else 'FAIL'} — evidence in {evidence.directory}",
            ("measurement", "value"),
            [
                ("promotion time", f"{measured['promotionSeconds']:.3f} s"),
                ("RTO (fault → first write on promoted)", f"{measured['rtoSeconds']:.3f} s"),
                ("RPO (newest lost write or fault − newest row kept)", f"{measured['rpoSeconds']:.3f} s"),
                ("canary rows lost", f"{rpo['lostRows']} ({rpo['lostWindowSeconds']} s of writes)"),
                ("of them split brain (acknowledged after the fault)", str(rpo["splitBrainRows"])),
                (
                    "canary rows written / on promoted",
                    f"{measured['canaryRowsWritten']} / {measured['canaryRowsOnPromoted']}",
                ),
                ("sequence contiguous", str(measured["canaryContiguous"])),
            ],
            deps.stdout,
        )
    return EXIT_OK if ok else EXIT_FAILED


COMMANDS = {
    "verify": cmd_verify,
    "topology": cmd_topology,
    "drill": cmd_drill,
    "failback": cmd_failback,
    "failover": cmd_failover,
    "lab": cmd_lab,
}


def main(argv: Sequence[str] | None = None, deps: Deps | None = None) -> int:
    """The one door: run a command and turn every way it can end into an exit code and at most one line."""
    deps = deps or Deps()
    _quiet_library_warnings()
    with interruptible():
        try:
            args = parser().parse_args(argv)
        except ArgumentsError as err:
            print(one_line(str(err)), file=deps.stderr)
            return EXIT_INPUT
        try:
            return COMMANDS[args.command](args, deps)
        except Interrupted as err:
            return _fail(args, deps, err.exit_code, f"{err} — {_after_interruption(args)}")
        except KeyboardInterrupt:  # SIGINT when main() runs outside the main thread (no handler installed)
            return _fail(args, deps, EXIT_SIGNAL_BASE + 2, f"interrupted — {_after_interruption(args)}")
        except OpsError as err:
            return _fail(args, deps, err.exit_code, f"{err}{_resume_hint(args, err)}")
        except Exception as err:  # noqa: BLE001 - the door: a bug gets its traceback and exit 4, never exit 1
            known = _library_failure(err)
            if known is not None:
                return _fail(args, deps, *known)
            traceback.print_exc(file=deps.stderr)
            return _fail(
                args,
                deps,
                EXIT_BUG,
                f"internal error ({type(err).__name__}): a bug in ops/ — report it with the traceback above",
            )


def _quiet_library_warnings() -> None:
    """psycopg logs "error ignored in rollback/close" warnings when a connection is abandoned mid-query (an
    interruption, a killed server); Python's last-resort handler would print them on stderr around the one line."""
    logger = logging.getLogger("psycopg")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


def _fail(args: argparse.Namespace, deps: Deps, code: int, line: str) -> int:
    print(one_line(f"ops {args.command}: {line}"), file=deps.stderr, flush=True)
    return code


def _after_interruption(args: argparse.Namespace) -> str:
    """What an interruption left behind, per command."""
    if args.command == "lab":
        return "its PostgreSQL servers were stopped and its temp dir removed"
    if args.command == "verify" or not getattr(args, "execute", False):
        return "nothing was changed"
    if args.command == "failback":
        return "run failback again: each step checks state before acting"
    bundle = getattr(args, "bundle", None)
    if bundle is None:
        return "nothing was changed"
    journal = getattr(args, "journal", None)
    verdict = (journal.data.get("verdict") or {}) if journal is not None else {}
    state = {"fault-injected": "health check inverted, replica not promoted", "promoted": "replica promoted"}.get(
        verdict.get("state", ""), "nothing changed"
    )
    undo = " or undo: ops failback --execute (command in report.md)" if verdict.get("undo") else ""
    return f"{state}; journal and report.md in {bundle}: resume with --execute --resume {bundle}{undo}"


def _resume_hint(args: argparse.Namespace, err: OpsError) -> str:
    """A drill that lost AWS midway can continue where it stopped; say where its journal is."""
    bundle = getattr(args, "bundle", None)
    if args.command != "drill" or bundle is None or err.exit_code != EXIT_ENVIRONMENT:
        return ""
    return f"; then continue with --execute --resume {bundle}"


def _library_failure(err: Exception) -> tuple[int, str] | None:
    """Expected failures that reach the door untranslated: PostgreSQL (the lab, the drill's canary)."""
    if type(err).__module__.split(".")[0] == "psycopg":
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        return EXIT_ENVIRONMENT, f"PostgreSQL: {first} — check the server is up and reachable from here"
    return None
