"""Run a Pulumi Python program under Pulumi's own mock engine and record every resource registration.

This is the offline stand-in for `pulumi preview`: the program runs exactly as the language host would
run it (same SDK, same serialization, same RegisterResource requests), but a recording monitor answers
instead of the engine. Nothing talks to a cloud.
"""

from __future__ import annotations

import asyncio
import logging
import os
import runpy
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format, struct_pb2

# One unknown marker and one secret wrapper for the program, the pack and the models (contract/values.py); preflight's
# other modules and the tests import them from here as well.
from contract.values import UNKNOWN, SecretValue, is_unknown
from policy import sdk
from preflight.mocks import PlatformMocks


def _plain(value: Any) -> Any:
    """Convert a deserialized protobuf value into plain Python: secrets, unknowns and refs made explicit."""
    if isinstance(value, str):
        return UNKNOWN if is_unknown(value) else value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        sig = value.get(sdk.SIG_KEY)
        if sig == sdk.SECRET_SIG:
            return SecretValue(_plain(value.get("value")))
        if sig == sdk.RESOURCE_SIG:
            return value.get("urn")
        if sig == sdk.OUTPUT_VALUE_SIG:
            inner = _plain(value["value"]) if "value" in value else UNKNOWN
            return SecretValue(inner) if value.get("secret") else inner
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def struct_to_plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    return _plain(json_format.MessageToDict(struct))  # type: ignore[no-any-return]


@dataclass
class Resource:
    """One RegisterResource request (plus the mock's answer), as the engine would have seen it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    provider: str  # provider URN ("" = default provider; never acceptable in this project)
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    region: str | None = None
    raw_inputs: struct_pb2.Struct | None = field(default=None, repr=False)
    delete_before_replace: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")


class RecordingMonitor(sdk.MockMonitorBase):
    """Pulumi's MockMonitor, keeping the whole request for every registration."""

    def __init__(self, mocks: PlatformMocks) -> None:
        super().__init__(mocks)
        self.platform_mocks = mocks
        self.records: list[Resource] = []
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        urn = self.urn_of(request)
        # A provider reference is "<provider urn>::<provider id>".
        provider_urn = request.provider.rsplit("::", 1)[0] if request.provider else ""
        record = Resource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=request.custom,
            provider=provider_urn,
            inputs=struct_to_plain(request.object),
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            protect=bool(request.protect),
            raw_inputs=request.object,
            delete_before_replace=bool(request.deleteBeforeReplace),
            retain_on_delete=bool(request.retainOnDelete),
            ignore_changes=list(request.ignoreChanges),
            aliases=[a.urn for a in request.aliases if a.urn] if hasattr(request, "aliases") else [],
            additional_secret_outputs=list(request.additionalSecretOutputs),
        )
        self.platform_mocks.current_urn = urn
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            state = self.state_of(urn)
            record.id = response.id
            record.outputs = _plain(state) if state is not None else {}
            record.region = self.platform_mocks.region_for(record.type, record.inputs, request.provider)
            with self._lock:
                self.records.append(record)
        return response


@dataclass
class Run:
    """What a program run registered and exported."""

    project: str
    stack: str
    resources: list[Resource]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    stack_urn: str
    log: list[tuple[str, str]] = field(default_factory=list)  # (level, message) the program logged

    def all(self, type_: str) -> list[Resource]:
        """Every resource of a type token, e.g. "aws:rds/instance:Instance"."""
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Resource:
        """The single resource of a type (and logical name); fails loudly when there are 0 or several."""
        found = [r for r in self.all(type_) if name is None or r.name == name]
        if len(found) != 1:
            names = sorted(r.name for r in self.all(type_))
            raise LookupError(f"expected one {type_}{f' named {name}' if name else ''}, found {len(found)}: {names}")
        return found[0]

    def named(self, name: str) -> Resource:
        found = [r for r in self.resources if r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one resource named {name}, found {len(found)}")
        return found[0]

    def by_urn(self, urn: str) -> Resource:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise LookupError(urn)

    def children(self, parent: Resource) -> list[Resource]:
        return [r for r in self.resources if r.parent == parent.urn]

    def provider_of(self, r: Resource) -> Resource | None:
        return self.by_urn(r.provider) if r.provider else None

    def warnings(self) -> list[str]:
        return [m for level, m in self.log if level == "warning"]


class ProgramError(Exception):
    """The program raised. `.config_error` is set when it was a user configuration mistake."""

    def __init__(self, message: str, *, config_error: bool) -> None:
        super().__init__(message)
        self.config_error = config_error


_RUN_LOCK = threading.Lock()  # Pulumi's runtime state is process-global: one program at a time.


@contextmanager
def _program_context(program_dir: Path, env: Mapping[str, str]) -> Iterator[None]:
    old_cwd, old_path, old_env = os.getcwd(), list(sys.path), dict(os.environ)
    os.chdir(program_dir)
    sys.path.insert(0, str(program_dir))
    os.environ.update(env)
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path
        os.environ.clear()
        os.environ.update(old_env)


class _CollectingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append((record.levelname.lower(), record.getMessage()))


def run_program(
    program_dir: Path,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: set[str] | frozenset[str] = frozenset(),
    mocks: PlatformMocks | None = None,
    env: Mapping[str, str] | None = None,
) -> Run:
    """Run `program_dir/__main__.py` as project/stack with `config` (`project:key -> str`) under mocks."""
    main = program_dir / "__main__.py"
    if not main.is_file():
        raise ProgramError(f"{program_dir}: no __main__.py (not a Pulumi Python program)", config_error=True)
    with _program_context(program_dir, {"SUMMIT_PREFLIGHT": "1", **(env or {})}):
        return run_function(
            lambda: runpy.run_path(str(main), run_name="__main__"),
            project=project,
            stack=stack,
            config=config,
            secret_keys=secret_keys,
            mocks=mocks,
        )


def run_function(
    func: Callable[[], object],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: set[str] | frozenset[str] = frozenset(),
    mocks: PlatformMocks | None = None,
) -> Run:
    """Run `func` as a Pulumi program under mocks: fresh event loop, fresh mocks, runtime reset after."""
    mocks = mocks or PlatformMocks.from_config(config, project)
    with _RUN_LOCK:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        monitor = RecordingMonitor(mocks)
        logger = logging.getLogger(f"preflight.engine.{id(monitor)}")
        logger.propagate = False
        handler = _CollectingHandler()
        logger.addHandler(handler)
        try:
            pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor, logger=logger)
            pulumi.runtime.set_all_config(dict(config), sorted(secret_keys))
            root = pulumi.runtime.get_root_resource()
            assert root is not None

            async def program() -> tuple[dict[str, Any], set[str]]:
                def call() -> None:
                    func()

                await sdk.run_program_func(call)
                outputs, secrets = {}, set()
                for key, value in sdk.stack_exports(root).items():
                    known, raw, secret = await sdk.resolve_output(value)
                    outputs[key] = _plain(raw) if known else UNKNOWN
                    if secret:
                        secrets.add(key)
                return outputs, secrets

            try:
                outputs, secret_outputs = loop.run_until_complete(program())
            except pulumi.RunError as e:
                raise ProgramError(str(e), config_error=True) from None
            except Exception as e:
                raise ProgramError(_describe(e), config_error=False) from e
            stack_urn = f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"
            return Run(project, stack, list(monitor.records), outputs, secret_outputs, stack_urn, handler.messages)
        finally:
            logger.removeHandler(handler)
            _reset_runtime(loop)


def _describe(e: BaseException) -> str:
    tb = e.__traceback__
    where = ""
    library = (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"], str(Path(__file__).parent))
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(library):
            where = f" (at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno})"
        tb = tb.tb_next
    return f"program failed: {type(e).__name__}: {e}{where}"


def _reset_runtime(loop: asyncio.AbstractEventLoop) -> None:
    """Pulumi keeps runtime state in process globals: clear it so the next run starts clean."""
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        pulumi.runtime.reset_options()
        pulumi.runtime.set_all_config({}, [])
