"""What the drill and failback share: the production guard, the planned-step record, and the levers both pull.

The drill inverts the primary Route53 health check and points the DR region's endpoint parameter at the promoted
replica; failback undoes the inversion and points the primary region's parameter at the same writer. Each lever
looks before it acts, so a re-run or `--resume` never repeats a change.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypedDict, TypeVar

from ops.aws import ClientFactory
from ops.clock import Clock
from ops.errors import InputError
from ops.evidence import Evidence, bundle_dir
from ops.observers import HealthObserver
from ops.outputs import FailoverHost, StackOutputs
from ops.runner import Progress, Runner, StepFailed, WaitTimeout

if TYPE_CHECKING:
    from ops.identity import StackIdentity

ObserverT = TypeVar("ObserverT")
OptionsT = TypeVar("OptionsT")
ROUTE53_REGION = "us-east-1"  # Route53 is global; its API lives in us-east-1
Step = Callable[[], dict[str, Any] | None]


class ProductionRefused(InputError):
    """prod without `--confirm-production prod` (exit 2)."""


def require_confirmation(stack: str, outputs: StackOutputs, confirm: str | None, production: bool = False) -> None:
    """prod needs `--confirm-production prod`; `production` is the account's verdict (ops.identity), so a prod
    account is prod whatever `--stack` and the outputs' `environment` label say."""
    if (production or "prod" in (stack, outputs.environment)) and confirm != "prod":
        why = "its account is a prod stack's account" if production else f"environment {outputs.environment or stack}"
        raise ProductionRefused(
            f"refusing to touch production ({outputs.source}: {why}): add --confirm-production prod"
        )


@dataclass(frozen=True)
class PlannedStep:
    name: str
    title: str
    calls: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "calls": list(self.calls)}


def planned_health_check(o: StackOutputs) -> str:
    """The primary health check id a plan names (a placeholder when the failover outputs are absent)."""
    host = o.gateway_host
    return host.primary_health_check_id if host else "<primaryHealthCheckId>"


def replica_request(
    identifier: str, source_arn: str, source_region: str, like: dict[str, Any], kms_key_arn: str | None
) -> dict[str, Any]:
    """CreateDBInstanceReadReplica arguments for a cross-region replica placed like the instance `like` (its class,
    subnet group and security groups), encrypted with `kms_key_arn`, deletion-protected (failback and switch-back)."""
    args: dict[str, Any] = {
        "DBInstanceIdentifier": identifier,
        "SourceDBInstanceIdentifier": source_arn,
        "SourceRegion": source_region,
        "CopyTagsToSnapshot": True,
        "DeletionProtection": True,
    }
    if like.get("DBInstanceClass"):
        args["DBInstanceClass"] = like["DBInstanceClass"]
    if like.get("DBSubnetGroup", {}).get("DBSubnetGroupName"):
        args["DBSubnetGroupName"] = like["DBSubnetGroup"]["DBSubnetGroupName"]
    groups = [g["VpcSecurityGroupId"] for g in like.get("VpcSecurityGroups", [])]
    if groups:
        args["VpcSecurityGroupIds"] = groups
    if kms_key_arn:
        args["KmsKeyId"] = kms_key_arn
    return args


class Guard(TypedDict):
    """The keyword arguments every Operation takes: the prod confirmation, progress lines, the stack's identity."""

    confirm_production: str | None
    progress: Progress | None
    identity: StackIdentity | None


class Operation(ABC, Generic[ObserverT, OptionsT]):
    """A confirmed change to one stack's failover host: the drill or a failback.

    One constructor for both: what differs is the observer (the drill's World, failback's health observer) and the
    options dataclass, whose defaults `default_options` gives."""

    missing_outputs: ClassVar[str]  # the one line when the failover outputs are absent
    needs_gateway_url: ClassVar[bool] = False
    runner: Runner

    def __init__(
        self,
        stack: str,
        outputs: StackOutputs,
        factory: ClientFactory,
        clock: Clock,
        observer: ObserverT,
        options: OptionsT | None = None,
        *,
        confirm_production: str | None = None,
        progress: Progress | None = None,
        identity: StackIdentity | None = None,
    ) -> None:
        # the account's verdict (ops.identity): a prod account is prod whatever the labels say
        require_confirmation(stack, outputs, confirm_production, identity.production if identity else False)
        host = outputs.gateway_host
        if host is None or (self.needs_gateway_url and outputs.gateway_url is None):
            raise StepFailed(f"{outputs.source}: {self.missing_outputs}")
        self.stack = stack
        self.o = outputs
        self.host: FailoverHost = host
        self.factory = factory
        self.clock = clock
        self.observer = observer
        self.opts: OptionsT = options if options is not None else self.default_options()
        self.progress = progress
        self.identity = identity

    @abstractmethod
    def default_options(self) -> OptionsT:
        """The options an operation runs with when the caller passes none."""

    def run_journaled(
        self,
        evidence_root: Path,
        kind: str,
        context: dict[str, Any],
        steps: Sequence[tuple[str, Step]],
        titles: dict[str, str],
    ) -> tuple[Evidence, str | None]:
        """Open the `<stack>-<kind>` bundle and run the steps through a runner; returns the evidence and why it
        stopped (None: every step finished). A stop is journaled; `close_journal` writes the verdict."""
        started = self.clock.now()
        evidence = Evidence.create(
            bundle_dir(evidence_root, f"{self.stack}-{kind}", started),
            kind=kind,
            stack=self.stack,
            started_at=started,
            objectives={},
            context={"outputs": self.o.source, **context},
        )
        self.runner = Runner(evidence, self.clock, factory=self.factory, progress=self.progress)
        try:
            self.run_steps(steps, titles)
        except (WaitTimeout, StepFailed) as err:
            return evidence, str(err)
        return evidence, None

    def close_journal(self, evidence: Evidence, reason: str | None, next_steps: list[str]) -> tuple[bool, Evidence]:
        """Finish the bundle (verdict ok unless `reason`, the next steps, report.md); returns (ok, evidence)."""
        evidence.finish(
            self.clock.now(), {}, {"ok": reason is None, **({"reason": reason} if reason else {})}, next_steps
        )
        return reason is None, evidence

    def run_steps(self, steps: Sequence[tuple[str, Step]], titles: dict[str, str]) -> None:
        """Run the steps in order through the runner (finished ones are skipped on resume); the first failure raises."""
        for name, fn in steps:
            self.runner.run(name, titles[name], fn)

    def instance(self, region: str, identifier: str) -> dict[str, Any]:
        """describe_db_instances for one instance."""
        rds = self.factory.client("rds", region)
        return dict(rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0])

    def set_inverted(self, inverted: bool) -> Any | None:
        """Set the primary health check's Inverted flag; None if it already was, else UpdateHealthCheck's response."""
        route53 = self.factory.client("route53", ROUTE53_REGION)
        hc = self.host.primary_health_check_id
        config = route53.get_health_check(HealthCheckId=hc)["HealthCheck"]["HealthCheckConfig"]
        if bool(config.get("Inverted")) == inverted:
            return None
        return route53.update_health_check(HealthCheckId=hc, Inverted=inverted)

    def point_parameter(self, region: str, value: str) -> str:
        """Point the endpoint parameter in `region` at `value` (written only when it differs); returns the old value."""
        ssm = self.factory.client("ssm", region)
        name = self.o.endpoint_parameter_name
        current = str(ssm.get_parameter(Name=name)["Parameter"]["Value"])
        if current != value:
            ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
        return current

    def wait_health(
        self, health: HealthObserver, status: str, *, timeout: float, interval: float
    ) -> tuple[str, datetime]:
        """Wait until the primary health check reports `status` (Healthy / Unhealthy); returns (status, when)."""
        hc = self.host.primary_health_check_id
        value, at = self.runner.wait_until(
            f"health check {hc} to report {status}",
            lambda: health.status(hc),
            lambda s: s == status,
            timeout=timeout,
            interval=interval,
        )
        return str(value), at
