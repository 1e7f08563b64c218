"""policy/sdk.py is the one door to Pulumi SDK internals: each private name it reads still has the shape it uses
(else: "pulumi X.Y.Z changed <name>; update policy/sdk.py"), what it offers behaves, and nothing else goes around it.

The shape checks read the SDK directly, not through policy/sdk.py, so they report the changed name even when the
door itself no longer imports."""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
from collections.abc import Callable
from contextvars import ContextVar
from importlib import import_module, metadata
from typing import TYPE_CHECKING

import pulumi
import pytest

from contract.values import SENTINELS, UNKNOWN
from tests.project_files import ROOT, project_modules

if TYPE_CHECKING:
    from preflight.engine import Run

DOOR = "policy/sdk.py"
HEX32 = re.compile(r"[0-9a-f]{32}")


def _get(dotted: str) -> object:
    """`module.attr[.attr…]`, resolved at check time so a missing name is a failed check, not an import error."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            value: object = import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            value = getattr(value, attr)
        return value
    raise ImportError(dotted)


def _params(dotted: str) -> list[str]:
    return list(inspect.signature(_get(dotted)).parameters)  # type: ignore[arg-type]


def _is_coroutine(dotted: str) -> bool:
    return inspect.iscoroutinefunction(_get(dotted))


def _raw_container_behind_proxies() -> bool:
    proxy, secret = import_module("pulumi_policy.proxy"), import_module("pulumi_policy.secret")
    target = {"rules": [{"days": 7}]}
    checked, preserved = proxy.unknown_checking_proxy(target), secret.secrets_preserving_proxy(target)
    return (
        type(checked) is proxy._DictProxy
        and type(checked["rules"]) is proxy._ListProxy
        and type(checked["__target"]) is dict
        and type(checked["rules"]["__target"]) is list
        and type(preserved) is secret._DictSecretsProxy
        and type(preserved["rules"]) is secret._ListSecretsProxy
        and preserved["__target"] is target
    )


def _mock_monitor_keeps_registrations() -> bool:
    mocks = import_module("pulumi.runtime.mocks")

    class NoMocks(mocks.Mocks):  # type: ignore[misc,name-defined]
        def new_resource(self, args: object) -> tuple[None, dict[str, object]]:
            return None, {}

        def call(self, args: object) -> dict[str, object]:
            return {}

    monitor = mocks.MockMonitor(NoMocks())
    return (
        monitor.resources == {}
        and "state" in mocks.MockMonitor.ResourceRegistration._fields
        and callable(monitor.RegisterResource)
    )


def _sigs() -> bool:
    sigs = [_get(f"pulumi.runtime.rpc.{n}") for n in SIGS]
    return all(isinstance(v, str) and HEX32.fullmatch(v) for v in sigs) and len(set(sigs)) == len(sigs)


def _policy_sentinels() -> bool:
    proxy = vars(import_module("pulumi_policy.proxy"))
    return {v for k, v in proxy.items() if re.fullmatch(r"UNKNOWN_\w+_VALUE", k)} == SENTINELS


def _context_var_of(dotted: str, kind: type) -> bool:
    var = _get(dotted)
    return isinstance(var, ContextVar) and isinstance(var.get(), kind)


SIGS = ("_special_sig_key", "_special_secret_sig", "_special_resource_sig", "_special_output_value_sig")
MONITOR = "pulumi.runtime.mocks.MockMonitor"
RUN_FUNC = "pulumi.runtime.stack.run_pulumi_func"
CONFIG = "pulumi.runtime.config"

# (distribution, the name as policy/sdk.py uses it, the shape it relies on)
CONTRACT: list[tuple[str, str, Callable[[], bool]]] = [
    ("pulumi", "pulumi.runtime.rpc._special_*_sig / _special_sig_key", _sigs),
    ("pulumi", "pulumi.runtime.rpc.UNKNOWN", lambda: _get("pulumi.runtime.rpc.UNKNOWN") in SENTINELS),
    ("pulumi_policy", "pulumi_policy.proxy.UNKNOWN_*_VALUE", _policy_sentinels),
    ("pulumi", f"{MONITOR}.__init__", lambda: _params(f"{MONITOR}.__init__") == ["self", "mocks"]),
    ("pulumi", f"{MONITOR}.make_urn", lambda: _params(f"{MONITOR}.make_urn") == ["self", "parent", "type_", "name"]),
    ("pulumi", f"{MONITOR}.resources", _mock_monitor_keeps_registrations),
    ("pulumi", RUN_FUNC, lambda: _is_coroutine(RUN_FUNC) and _params(RUN_FUNC) == ["func"]),
    (
        "pulumi",
        "pulumi.runtime.stack.Stack.outputs",
        lambda: "self.outputs = {}" in inspect.getsource(_get("pulumi.runtime.stack.Stack.__init__")),  # type: ignore[arg-type]
    ),
    (
        "pulumi",
        "pulumi.Output.future(with_unknowns)",
        lambda: _is_coroutine("pulumi.Output.future") and "with_unknowns" in _params("pulumi.Output.future"),
    ),
    ("pulumi", "pulumi.Output.is_known", lambda: _is_coroutine("pulumi.Output.is_known")),
    ("pulumi", "pulumi.Output.is_secret", lambda: _is_coroutine("pulumi.Output.is_secret")),
    ("pulumi", "pulumi.runtime.config.CONFIG", lambda: _context_var_of(f"{CONFIG}.CONFIG", dict)),
    (
        "pulumi",
        "pulumi.runtime.config._SECRET_KEYS",
        lambda: _context_var_of("pulumi.runtime.config._SECRET_KEYS", set),
    ),
    ("pulumi_policy", "pulumi_policy proxies (_DictProxy, _ListProxy, _*SecretsProxy)", _raw_container_behind_proxies),
]


def changed(distribution: str, name: str) -> str:
    return f"{distribution} {metadata.version(distribution)} changed {name}; update {DOOR}"


@pytest.mark.parametrize(("distribution", "name", "holds"), CONTRACT, ids=[c[1] for c in CONTRACT])
def test_each_sdk_internal_the_door_reads_still_has_the_shape_it_relies_on(distribution, name, holds):
    try:
        ok, detail = holds(), ""
    except Exception as e:  # noqa: BLE001 (any failure of the check is the SDK having changed)
        ok, detail = False, f" ({type(e).__name__}: {e})"
    assert ok, changed(distribution, name) + detail


def test_the_door_names_the_installed_version_and_itself_when_a_name_is_gone():
    from policy import sdk

    with pytest.raises(sdk.SdkChanged) as raised:
        sdk._private(import_module("pulumi.runtime.rpc"), "_special_gone_sig")
    version = metadata.version("pulumi")
    assert str(raised.value) == f"pulumi {version} changed pulumi.runtime.rpc._special_gone_sig; update policy/sdk.py"


def test_engine_config_returns_the_config_and_secret_keys_a_mock_engine_set():
    from policy import sdk

    pulumi.runtime.set_all_config({"proj:plain": "1", "proj:token": "s3cr3t"}, ["proj:token"])
    try:
        values, secret_keys = sdk.engine_config()
    finally:
        pulumi.runtime.set_all_config({}, [])
    assert (values["proj:plain"], values["proj:token"], "proj:token" in secret_keys) == ("1", "s3cr3t", True)
    assert "proj:plain" not in secret_keys


def test_proxy_target_gives_the_raw_containers_behind_pulumi_policys_proxies():
    from pulumi_policy.proxy import unknown_checking_proxy

    from policy import sdk

    proxied = unknown_checking_proxy({"rules": [1, 2]})
    raw = sdk.proxy_target(proxied)
    assert type(raw) is dict and sdk.is_list_proxy(raw["rules"]) and sdk.proxy_target(raw["rules"]) == [1, 2]


def test_proxy_target_leaves_plain_values_alone():
    from policy import sdk

    plain = {"rules": [1, 2]}
    assert sdk.proxy_target(plain) is plain and not sdk.is_list_proxy(plain["rules"])


def _export(**outputs: Callable[[], object]) -> Run:
    """Run a program exporting each key's value (made inside the program, where the SDK has its event loop)."""
    from preflight.engine import run_function

    def program() -> None:
        for key, make in outputs.items():
            pulumi.export(key, make())

    return run_function(program, project="contract", stack="dev", config={})


def _unknown() -> pulumi.Output:
    loop = asyncio.get_event_loop()
    value, known = loop.create_future(), loop.create_future()
    value.set_result(None)
    known.set_result(False)
    return pulumi.Output(set(), value, known)


def test_preflight_reads_a_programs_exports_through_the_door():
    run = _export(answer=lambda: 42, names=lambda: ["a", "b"])
    assert (run.outputs, run.secret_outputs) == ({"answer": 42, "names": ["a", "b"]}, set())


def test_a_secret_export_is_reported_secret():
    run = _export(token=lambda: pulumi.Output.secret("s3cr3t"), plain=lambda: "x")
    assert run.secret_outputs == {"token"}


def test_an_export_unknown_at_preview_is_the_unknown_marker():
    assert _export(arn=_unknown).outputs["arn"] is UNKNOWN


# --- nothing goes around the door --------------------------------------------------------------------------------

SDK_PACKAGES = ("pulumi", "pulumi_policy")
# pulumi.runtime submodules whose contents are internals (what the SDK exports is reachable as pulumi.runtime.X).
INTERNAL_SUBMODULES = {"config", "mocks", "rpc", "settings", "stack"}
# Unexported names without a leading underscore that only the door may touch.
INTERNAL_NAMES = {"MockMonitor", "run_pulumi_func", "is_known", "make_urn", "CONFIG"}
EXEMPT = {DOOR, "tests/test_sdk_contract.py"}
PACK_SKIP_DIRS = {"venv", "__pycache__"}


def _sdk_module(name: str | None) -> bool:
    return bool(name) and name.split(".")[0] in SDK_PACKAGES  # type: ignore[union-attr]


def _runtime_submodule(module: str) -> str | None:
    """The submodule of pulumi.runtime a dotted name is in ("rpc" for "pulumi.runtime.rpc.X"), else None."""
    parts = module.split(".")
    return parts[2] if parts[:2] == ["pulumi", "runtime"] and len(parts) > 2 else None


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _bypasses(tree: ast.AST) -> list[tuple[int, str]]:
    """Where a module reads SDK internals itself: private or internal names imported from or read off an SDK
    module, pulumi.runtime's internal submodules, pulumi_policy's proxy target key, Output.future(with_unknowns)."""
    found: list[tuple[int, str]] = []
    sdk_aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _sdk_module(alias.name):
                    sdk_aliases.add((alias.asname or alias.name).split(".")[0])
                    if _runtime_submodule(alias.name) in INTERNAL_SUBMODULES:
                        found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and _sdk_module(node.module):
            module = node.module or ""
            for alias in node.names:
                sdk_aliases.add(alias.asname or alias.name)
                submodule = alias.name if module == "pulumi.runtime" else _runtime_submodule(module)
                if _private(alias.name) or alias.name in INTERNAL_NAMES or submodule in INTERNAL_SUBMODULES:
                    found.append((node.lineno, f"from {module} import {alias.name}"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            base = node
            chain = []
            while isinstance(base, ast.Attribute):
                chain.append(base.attr)
                base = base.value  # type: ignore[assignment]
            if isinstance(base, ast.Name) and base.id in sdk_aliases:
                dotted = ".".join([base.id, *reversed(chain)])
                internal = any(_private(a) or a in INTERNAL_NAMES for a in chain)
                if internal or _runtime_submodule(dotted) in INTERNAL_SUBMODULES:
                    found.append((node.lineno, dotted))
            elif node.attr in INTERNAL_NAMES - {"CONFIG"}:
                found.append((node.lineno, f"….{node.attr}"))
        elif isinstance(node, ast.Constant) and node.value == "__target":
            found.append((node.lineno, '"__target" (pulumi_policy proxy internals)'))
        elif isinstance(node, ast.keyword) and node.arg == "with_unknowns":
            found.append((getattr(node, "lineno", 0), "Output.future(with_unknowns=…)"))
    return sorted(set(found))


def test_no_module_but_the_door_reads_pulumi_sdk_internals():
    found = [
        f"{rel}:{line}: {what}"
        for path in project_modules()
        if (rel := str(path.relative_to(ROOT))) not in EXEMPT
        for line, what in _bypasses(ast.parse(path.read_text(), rel))
    ]
    assert found == [], f"read these through {DOOR}: {found}"


@pytest.mark.parametrize(
    "source",
    [
        "from pulumi.runtime import rpc\nrpc._special_sig_key",
        "import pulumi.runtime.config as c\nc._SECRET_KEYS.get()",
        "from pulumi.runtime.mocks import MockMonitor",
        "from pulumi.runtime import settings",
        "from pulumi_policy.proxy import _DictProxy",
        "proxy['__target']",
        "await out.future(with_unknowns=True)",
        "import pulumi\npulumi.runtime.stack.run_pulumi_func",
    ],
)
def test_the_bypass_check_catches_each_way_around_the_door(source):
    assert _bypasses(ast.parse(source)) != []


def test_the_bypass_check_allows_the_sdks_public_api():
    public = (
        "import pulumi\nfrom pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError\n"
        "from pulumi.runtime.proto import analyzer_pb2\n"
        "pulumi.runtime.set_mocks(m)\npulumi.runtime.get_root_resource()\npulumi.Output.secret('x')"
    )
    assert _bypasses(ast.parse(public)) == []


def test_the_pack_imports_nothing_its_own_virtualenv_lacks():
    """The Pulumi CLI runs the pack from policy/ in a virtualenv built from policy/requirements.txt only: every
    import under policy/ and contract/ (the door and the value types included) is the standard library, the pack
    itself, contract/, or a package that file pins (pulumi brings grpc and protobuf)."""
    import sys

    pins = (ROOT / "policy" / "requirements.txt").read_text().splitlines()
    pinned = {line.split("==")[0].strip().lower().replace("-", "_") for line in pins if "==" in line}
    provided = pinned | {"policy", "contract", "google", "grpc"}
    found = set()
    for path in [*(ROOT / "policy").rglob("*.py"), *(ROOT / "contract").rglob("*.py")]:
        if PACK_SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in provided:
                    found.add(f"{path.relative_to(ROOT)}: {name}")
    assert sorted(found) == []
