"""What preflight learns beyond the plan: policy violations, the cost estimate and the recovery budget.

`PolicySession` runs the project's CrossGuard pack the way the Pulumi CLI does: it serves a minimal Engine
(so the pack's logging has somewhere to go), starts `python -m pulumi.policy <engine> <pack-dir>` with the pack
directory as working directory, reads the gRPC port from the pack's first stdout line, and speaks the Analyzer
protocol: GetAnalyzerInfo, ConfigureStack, Configure (the stack's policy config with every policy's schema
defaults filled in and validated — the CLI does that, the SDK does not), Analyze per resource and AnalyzeStack
once. `start()` is called before the program runs, so the pack's start-up overlaps the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import jsonschema
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

from contract.recovery import RECOVERY_BUDGET_POLICY
from policy import cost, recovery
from policy.awsrules import MODEL_POLICY, TALLY_FILE_ENV, Tally
from preflight.engine import UNKNOWN, ProgramError, Resource, Run, SecretValue
from settings import PROJECT, ConfigError
from settings.files import load_json
from settings.schema import clip, show

STARTUP_TIMEOUT_S = 30.0
ANALYZE_TIMEOUT_S = 300.0  # a policy that hangs fails the run instead of hanging it
# close(): how long to wait for each session thread once the pack is stopped. Its pipes then reach EOF at once,
# unless a process the pack started still holds them; that thread is then left to finish on its own (it owns
# its pipe, so nothing else can close the pipe under it).
SHUTDOWN_TIMEOUT_S = 5.0
ENFORCEMENT = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.REMEDIATE: "remediate",
    analyzer_pb2.DISABLED: "disabled",
}
LEVELS = {v: k for k, v in ENFORCEMENT.items()}
COST_POLICY, RECOVERY_POLICY = "cost-within-budget", RECOVERY_BUDGET_POLICY


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement: str  # advisory | mandatory | remediate | disabled
    urn: str
    message: str

    @property
    def mandatory(self) -> bool:
        return self.enforcement == "mandatory"


@dataclass
class Analysis:
    violations: list[Violation] = field(default_factory=list)
    cost: dict[str, Any] | None = None
    recovery: dict[str, Any] | None = None
    aws_rules: dict[str, Any] | None = None  # what the aws-api-model check covered (counts; the pack reports findings)

    @property
    def mandatory_violations(self) -> list[Violation]:
        return [v for v in self.violations if v.mandatory]


class _Engine(engine_pb2_grpc.EngineServicer):
    """The part of pulumirpc.Engine a policy pack calls: Log (kept for the run's log) and the root resource."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []
        self._root = ""

    def Log(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method name)
        level = {0: "debug", 1: "info", 2: "warning", 3: "error"}.get(request.severity, "info")
        self.log.append((level, request.message))
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        return engine_pb2.GetRootResourceResponse(urn=self._root)

    def SetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802
        self._root = request.urn
        return engine_pb2.SetRootResourceResponse()


# --- policy config: the CLI's reconciliation (defaults + schema validation) ---------------------------


def load_policy_config(path: Path, shown: str) -> dict[str, Any]:
    # Size, encoding, duplicate keys (both lines), NaN/Infinity, depth: one line each (settings/files.py).
    doc = load_json(path, shown)
    if not isinstance(doc, dict):
        raise ConfigError(shown, None, "expected an object {policy-name: {enforcementLevel, ...properties}}")
    return doc


def _level(value: Any, shown: str, where: str) -> str:
    if value not in LEVELS:
        raise ConfigError(
            shown, None, f"{clip(where)}: enforcementLevel must be one of {', '.join(LEVELS)}, got {show(value)}"
        )
    return str(value)


def reconcile_config(info: Any, doc: Mapping[str, Any], shown: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """{policy: (enforcement, properties)} for every policy of the pack: file values over schema defaults,
    validated against each policy's config schema. Raises ConfigError naming file, policy and property."""
    policies = {p.name: p for p in info.policies}
    for name in doc:
        if name != "all" and name not in policies:
            raise ConfigError(
                shown,
                None,
                f"{clip(name)}: no such policy in pack {info.name} (policies: {', '.join(sorted(policies))})",
            )
    all_level: str | None = None
    if "all" in doc:
        entry = doc["all"]
        all_level = _level(entry.get("enforcementLevel") if isinstance(entry, dict) else entry, shown, "all")
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, p in policies.items():
        level = all_level or ENFORCEMENT[p.enforcementLevel]
        entry = policy_entry(doc, name, shown)
        if "enforcementLevel" in entry:
            level = _level(entry["enforcementLevel"], shown, name)
        schema_props = json_format.MessageToDict(p.configSchema.properties)
        out[name] = (level, policy_properties(name, entry, schema_props, list(p.configSchema.required), shown))
    return out


def policy_entry(doc: Mapping[str, Any], name: str, shown: str) -> dict[str, Any]:
    """One policy's entry in a config file as an object (a bare "advisory" means {"enforcementLevel": "advisory"};
    an absent policy is {})."""
    entry = doc.get(name, {})
    if isinstance(entry, str):
        entry = {"enforcementLevel": entry}
    if not isinstance(entry, dict):
        raise ConfigError(shown, None, f"{name}: expected an enforcement level or an object, got {show(entry)}")
    return entry


def policy_properties(
    name: str, entry: Mapping[str, Any], schema_props: Mapping[str, Any], required: list[str], shown: str
) -> dict[str, Any]:
    """A policy's properties as the CLI hands them to the pack: the entry's values over the schema defaults,
    validated against the policy's config schema. Raises ConfigError naming file, policy and property."""
    props = {k: v for k, v in entry.items() if k != "enforcementLevel"}
    for key in props:
        if key not in schema_props:
            known = ", ".join(sorted(schema_props)) or "none"
            raise ConfigError(shown, None, f"{name}: {clip(key)}: unknown property (properties: {known})")
    filled = {k: s["default"] for k, s in schema_props.items() if "default" in s}
    filled.update(props)
    schema = {"type": "object", "properties": dict(schema_props), "required": required}
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(schema).iter_errors(filled))
    if error is not None:
        where = ".".join(str(x) for x in error.absolute_path) or "(properties)"
        raise ConfigError(shown, None, f"{name}: {where}: {error.message}")
    return filled


# --- requests -------------------------------------------------------------------------------------------


def _options(r: Resource) -> Any:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=r.protect,
        ignoreChanges=r.ignore_changes,
        deleteBeforeReplace=r.delete_before_replace,
        deleteBeforeReplaceDefined=r.delete_before_replace,
        additionalSecretOutputs=r.additional_secret_outputs,
        aliases=r.aliases,
        parent=r.parent,
    )


def _struct(r: Resource) -> struct_pb2.Struct:
    return r.raw_inputs if r.raw_inputs is not None else struct_pb2.Struct()


def _provider(r: Resource, by_urn: Mapping[str, Resource]) -> Any:
    prov = by_urn.get(r.provider)
    if prov is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(type=prov.type, properties=_struct(prov), urn=prov.urn, name=prov.name)


def analyze_request(r: Resource, by_urn: Mapping[str, Resource]) -> Any:
    return analyzer_pb2.AnalyzeRequest(
        type=r.type, properties=_struct(r), urn=r.urn, name=r.name, options=_options(r), provider=_provider(r, by_urn)
    )


def stack_resource(r: Resource, by_urn: Mapping[str, Resource]) -> Any:
    return analyzer_pb2.AnalyzerResource(
        type=r.type,
        properties=_struct(r),
        urn=r.urn,
        name=r.name,
        options=_options(r),
        provider=_provider(r, by_urn),
        parent=r.parent,
        dependencies=r.dependencies,
        propertyDependencies={
            k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v) for k, v in r.property_dependencies.items()
        },
    )


# --- plain resources for the cost and recovery models ---------------------------------------------------


def revealed(value: Any) -> Any:
    """A recorded value with every secret opened (SecretValue → its value), recursively: what the cost and recovery
    models, the AWS rules and the tests compare."""
    if isinstance(value, SecretValue):
        return revealed(value.value)
    if isinstance(value, dict):
        return {k: revealed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [revealed(v) for v in value]
    return value


def model_resources(run: Run) -> list[dict[str, Any]]:
    """The run's resources as the contract dicts policy/cost.py and policy/recovery.py take."""
    return [
        {
            "type": r.type,
            "urn": r.urn,
            "name": r.name,
            "region": r.region,
            "props": revealed(r.inputs),
            "protect": r.protect,
            "id": r.id,
        }
        for r in run.resources
        if r.custom and not r.is_provider
    ]


def aws_rule_resources(run: Run) -> list[dict[str, Any]]:
    """The run's AWS resources with their provider's default tags, as policy/awsrules takes them."""
    from policy.resources import default_tags

    by_urn = {r.urn: r for r in run.resources}
    out = []
    for r in run.resources:
        if not r.custom or r.is_provider or not r.type.startswith("aws:"):
            continue
        provider = by_urn.get(r.provider)
        inherited = default_tags(revealed(provider.inputs)) if provider is not None else {}
        out.append(
            {
                "type": r.type,
                "urn": r.urn,
                "props": revealed(r.inputs),
                "defaultTags": None if inherited is UNKNOWN else inherited,
            }
        )
    return out


def _budget_limit(resources: list[dict[str, Any]]) -> float | None:
    limits = []
    for r in resources:
        p = r["props"]
        if (
            r["type"] == "aws:budgets/budget:Budget"
            and p.get("budgetType") == "COST"
            and p.get("timeUnit") == "MONTHLY"
        ):
            try:
                limits.append(float(p.get("limitAmount")))
            except (TypeError, ValueError):
                continue
    return min(limits) if limits else None


# --- the session ----------------------------------------------------------------------------------------


class PolicySession:
    """A running policy pack (or none, when the project has no pack and none was asked for)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.engine = _Engine()
        self._engine_server: Any = None
        self._engine_pool: futures.ThreadPoolExecutor | None = None
        self._channel: Any = None
        self._stub: Any = None
        self._ready = threading.Event()
        self._port_read = threading.Event()
        self._port_line = ""
        self._threads: list[threading.Thread] = []
        self._stderr_drain: threading.Thread | None = None
        # Orders close() against the handshake: either the handshake opens its channel before close() looks
        # (and close() closes it), or it sees the session closed and opens none.
        self._lock = threading.Lock()
        self._closed = False
        self._error: BaseException | None = None
        self.config: dict[str, tuple[str, dict[str, Any]]] = {}
        self.stderr: list[str] = []
        self.pack_name = ""
        self.tally_file: Path | None = None

    @classmethod
    def start(
        cls, *, project_dir: Path, stack: str, pack_dir: Path | None = None, config_file: Path | None = None
    ) -> PolicySession:
        session = cls()
        pack = (pack_dir or project_dir / "policy").resolve()
        if not (pack / "PulumiPolicy.yaml").is_file():
            if pack_dir is not None:
                raise ConfigError(str(pack_dir), None, "not a policy pack (no PulumiPolicy.yaml)")
            session._ready.set()
            return session
        cfg_path = config_file or pack / "config" / f"{stack}.json"
        shown = str(config_file) if config_file else os.path.relpath(cfg_path, project_dir)
        doc = load_policy_config(cfg_path, shown)

        session._engine_pool = futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="policy-pack-engine")
        session._engine_server = grpc.server(session._engine_pool)
        engine_pb2_grpc.add_EngineServicer_to_server(session.engine, session._engine_server)
        engine_port = session._engine_server.add_insecure_port("127.0.0.1:0")
        session._engine_server.start()
        env = {
            **os.environ,
            "PULUMI_PROJECT": PROJECT,
            "PULUMI_STACK": stack,
            "PULUMI_DRY_RUN": "true",
        }
        env.pop("PULUMI_CONFIG", None)
        # The pack's aws-api-model policy hands its per-resource tallies over through this file (policy/awsrules).
        fd, tally_path = tempfile.mkstemp(prefix="preflight-aws-rules-", suffix=".jsonl")
        os.close(fd)
        session.tally_file = Path(tally_path)
        env[TALLY_FILE_ENV] = tally_path
        session.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.policy", f"127.0.0.1:{engine_port}", str(pack)],
            cwd=pack,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        # Each pipe belongs to one thread that reads it to EOF and then closes it; nothing else touches a pipe.
        # Both are drained from the start: a pack that writes more than a pipe buffer (before its port line, or
        # from a policy's print) would otherwise block forever on the write.
        session._stderr_drain = session._spawn("stderr", session._drain_stderr)
        session._spawn("stdout", session._drain_stdout)
        session._spawn("handshake", session._handshake, doc, shown, stack, env["PULUMI_PROJECT"])
        return session

    @property
    def active(self) -> bool:
        return self.process is not None

    def _spawn(self, role: str, target: Any, *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, name=f"policy-pack-{role}", daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def _handshake(self, doc: dict[str, Any], shown: str, stack: str, project: str) -> None:
        assert self.process is not None
        try:
            if not self._port_read.wait(STARTUP_TIMEOUT_S):
                raise RuntimeError(f"printed no port within {STARTUP_TIMEOUT_S:.0f}s")
            if not self._port_line.isdigit():
                self.process.wait(timeout=STARTUP_TIMEOUT_S)
                if self._stderr_drain is not None:
                    self._stderr_drain.join(timeout=SHUTDOWN_TIMEOUT_S)  # so the error can quote stderr's last line
                raise RuntimeError("exited before printing its port")
            with self._lock:
                if self._closed:
                    raise RuntimeError("closed during start-up")
                self._channel = grpc.insecure_channel(f"127.0.0.1:{self._port_line}")
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
            info = self._stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=STARTUP_TIMEOUT_S)
            self.pack_name = info.name
            self.config = reconcile_config(info, doc, shown)
            self._stub.ConfigureStack(
                analyzer_pb2.AnalyzerStackConfigureRequest(stack=stack, project=project, dry_run=True),
                timeout=STARTUP_TIMEOUT_S,
            )
            request = analyzer_pb2.ConfigureAnalyzerRequest()
            for name, (level, props) in self.config.items():
                pc = analyzer_pb2.PolicyConfig(enforcementLevel=LEVELS[level])
                pc.properties.update(props)
                request.policyConfig[name].CopyFrom(pc)
            self._stub.Configure(request, timeout=STARTUP_TIMEOUT_S)
        except BaseException as e:  # noqa: BLE001 (re-raised in the caller's thread by analyze)
            self._error = e
        finally:
            self._ready.set()

    def _drain_stderr(self) -> None:
        """Owns the pack's stderr: keeps its lines (the last one explains a failed start), closes it at EOF."""
        assert self.process is not None and self.process.stderr is not None
        try:
            with self.process.stderr as stream:
                for line in stream:
                    self.stderr.append(line.decode(errors="replace").rstrip())
        except OSError:
            pass

    def _drain_stdout(self) -> None:
        """Owns the pack's stdout: hands its first line (the port) to the handshake, then reads and drops the
        rest (a policy's print, which the CLI only logs) and closes it at EOF."""
        assert self.process is not None and self.process.stdout is not None
        try:
            with self.process.stdout as stream:
                self._port_line = stream.readline().decode(errors="replace").strip()
                self._port_read.set()
                for _ in stream:
                    pass
        except OSError:
            pass
        finally:
            self._port_read.set()

    def _wait(self) -> None:
        if not self._ready.wait(STARTUP_TIMEOUT_S):
            raise ConfigError("policy pack", None, f"did not start within {STARTUP_TIMEOUT_S:.0f}s")
        if isinstance(self._error, ConfigError):
            raise self._error
        if self._error is not None:
            tail = next((line for line in reversed(self.stderr) if line.strip()), "")
            raise ConfigError("policy pack", None, f"failed to start: {self._error} {tail}".strip())

    def policy_config(self, name: str) -> dict[str, Any]:
        self._wait()
        return dict(self.config.get(name, ("advisory", {}))[1])

    def analyze(self, run: Run, stack_settings: Any = None) -> Analysis:
        self._wait()
        analysis = Analysis()
        if not self.active:
            return analysis
        by_urn = {r.urn: r for r in run.resources}
        if self.tally_file is not None:
            self.tally_file.write_text("", encoding="utf-8")  # a session may analyze several runs
        try:
            pending = [
                (r, self._stub.Analyze.future(analyze_request(r, by_urn), timeout=ANALYZE_TIMEOUT_S))
                for r in run.resources
            ]
            stack_response = self._stub.AnalyzeStack(
                analyzer_pb2.AnalyzeStackRequest(resources=[stack_resource(r, by_urn) for r in run.resources]),
                timeout=ANALYZE_TIMEOUT_S,
            )
            for r, fut in pending:
                analysis.violations += [self._violation(d, r.urn) for d in fut.result().diagnostics]
        except grpc.RpcError as e:
            # A policy raised: the pack reports the exception text as the RPC's details.
            details = e.details() if hasattr(e, "details") else str(e)
            raise ProgramError(f"policy pack {self.pack_name} failed: {details}", config_error=False) from None
        analysis.violations += [self._violation(d, run.stack_urn) for d in stack_response.diagnostics]
        run.log.extend(self.engine.log)

        if self.config.get(MODEL_POLICY, ("disabled", {}))[0] != "disabled":
            analysis.aws_rules = self._aws_rules_summary()
        resources = model_resources(run)
        estimate = cost.estimate(resources, self.policy_config(COST_POLICY).get("assumptions", {}))
        limit = _budget_limit(resources)
        analysis.cost = {**estimate, "budget": limit, "ok": None if limit is None else estimate["total"] <= limit}
        analysis.recovery = recovery.recovery_budget(resources, self.policy_config(RECOVERY_POLICY))
        return analysis

    def _aws_rules_summary(self) -> dict[str, Any] | None:
        """What the pack's aws-api-model policy compared, summed over its per-resource tallies."""
        if self.tally_file is None:
            return None
        tally, botocore, services = Tally(), "", set()
        for line in self.tally_file.read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            tally.add(Tally.from_json(doc))
            botocore = doc["botocore"]
            services.update(doc["services"])
        return {"botocore": botocore or None, "services": sorted(services), **tally.as_dict()}

    @staticmethod
    def _violation(d: Any, default_urn: str) -> Violation:
        message = d.message
        if d.description and message.startswith(d.description + "\n"):
            message = message[len(d.description) + 1 :]
        return Violation(d.policyName, ENFORCEMENT.get(d.enforcementLevel, "advisory"), d.urn or default_urn, message)

    def close(self) -> None:
        """Stop the pack and everything talking to it; safe at any point of start-up, and more than once.

        The pipes are never closed here: once the pack is stopped each reaches EOF and the thread that owns it
        closes it. close() joins those threads, so when it returns no session thread touches a pipe or a channel.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            channel = self._channel
        if channel is not None:
            channel.close()  # also cancels an RPC the handshake is waiting on
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for thread in self._threads:
            thread.join(timeout=SHUTDOWN_TIMEOUT_S)
        if self._engine_server is not None:
            self._engine_server.stop(None).wait(SHUTDOWN_TIMEOUT_S)
        if self._engine_pool is not None:
            self._engine_pool.shutdown(wait=True)  # grpc.server leaves its executor running
        if self.tally_file is not None:
            self.tally_file.unlink(missing_ok=True)
