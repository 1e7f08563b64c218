"""The one door to Pulumi SDK internals: every private or unexported name of `pulumi` / `pulumi_policy` this
project relies on is read here, and only here.

Preflight runs programs on Pulumi's mock engine and reads the engine's wire format; the settings read the config
a mock engine sets in-process; the policy pack unwraps pulumi_policy's property proxies. None of that is public
API, so an SDK upgrade may rename or reshape it without notice. Keeping it in one module means an upgrade is
checked in one place: tests/test_sdk_contract.py asserts each name below still exists with the shape used here,
and fails with "pulumi X.Y.Z changed <name>; update policy/sdk.py". A name that is gone fails the import of this
module with the same sentence instead of an AttributeError deep inside a run.

It lives in `policy/` because the pack imports it from its own virtualenv (`policy/requirements.txt` pins
`pulumi` and `pulumi-policy`); preflight and the settings import it from there too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import metadata
from types import ModuleType
from typing import Any

import pulumi
from pulumi.runtime import config as _runtime_config
from pulumi.runtime import mocks as _runtime_mocks
from pulumi.runtime import rpc as _rpc
from pulumi.runtime import stack as _runtime_stack
from pulumi_policy import proxy as _policy_proxy
from pulumi_policy import secret as _policy_secret

DOOR = "policy/sdk.py"


def changed(distribution: str, what: str) -> str:
    """The one sentence every SDK-contract failure says."""
    try:
        version = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        version = "(not installed)"
    return f"{distribution} {version} changed {what}; update {DOOR}"


class SdkChanged(ImportError):
    """A private SDK name this module reads is gone: the SDK was upgraded past what this module knows."""


def _private(module: ModuleType, name: str, distribution: str = "pulumi") -> Any:
    try:
        return getattr(module, name)
    except AttributeError:
        raise SdkChanged(changed(distribution, f"{module.__name__}.{name}")) from None


# --- the engine's wire format (pulumi.runtime.rpc) ----------------------------------------------------------------
# A property struct marks secrets, resource references and output values with a signature under this key.
SIG_KEY: str = _private(_rpc, "_special_sig_key")
SECRET_SIG: str = _private(_rpc, "_special_secret_sig")
RESOURCE_SIG: str = _private(_rpc, "_special_resource_sig")
OUTPUT_VALUE_SIG: str = _private(_rpc, "_special_output_value_sig")


# --- the mock engine (pulumi.runtime.mocks, pulumi.runtime.stack; not exported by pulumi.runtime) -----------------
_MockMonitor: type = _private(_runtime_mocks, "MockMonitor")


class MockMonitorBase(_MockMonitor):  # type: ignore[misc,valid-type]
    """Pulumi's mock resource monitor, which answers the program's RegisterResource calls from a `Mocks`.
    Subclasses read its private state through these two methods only."""

    def urn_of(self, request: Any) -> str:
        """The URN the mock engine gives a RegisterResource request."""
        return str(self.make_urn(request.parent, request.type, request.name))

    def state_of(self, urn: str) -> dict[str, Any] | None:
        """The outputs the mocks answered for a registered resource (None before it registered)."""
        registered = self.resources.get(urn)
        return registered.state if registered is not None else None


run_program_func: Callable[[Callable[[], Any]], Awaitable[None]] = _private(_runtime_stack, "run_pulumi_func")


def stack_exports(root: pulumi.Resource) -> dict[str, Any]:
    """What the program exported (`pulumi.export`): the root Stack resource's `outputs` attribute."""
    return dict(root.outputs)  # type: ignore[attr-defined]


async def resolve_output(value: Any) -> tuple[bool, Any, bool]:
    """(known, value, secret) of an exported value. `Output.future(with_unknowns=True)` and `is_known` sit in the
    SDK's "private implementation details" block; `value` is None when not known."""
    out = pulumi.Output.from_input(value)
    known = await out.is_known()
    raw = await out.future(with_unknowns=True) if known else None
    return known, raw, await out.is_secret()


# --- config the engine handed the program (pulumi.runtime.config) --------------------------------------------------
_CONFIG = _private(_runtime_config, "CONFIG")
_SECRET_KEYS = _private(_runtime_config, "_SECRET_KEYS")


def engine_config() -> tuple[dict[str, Any], set[str]]:
    """The program's config ({"project:key": value}) and which of its full keys are secret. The CLI hands them
    over in PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS; a mock engine (preflight, the tests) sets them in-process
    with `pulumi.runtime.set_all_config`, which only the SDK's context variables CONFIG / _SECRET_KEYS hold."""
    values = {**_runtime_config.get_config_env(), **_CONFIG.get()}
    secret_keys = set(_runtime_config.get_config_secret_keys_env()) | set(_SECRET_KEYS.get())
    return values, secret_keys


# --- pulumi_policy's property proxies (pulumi_policy.proxy, pulumi_policy.secret) ----------------------------------
# A policy gets resource properties wrapped in proxies that raise on unknown values; `proxy["__target"]` is the
# raw container behind one, which can be read without raising.
_LIST_PROXIES: tuple[Any, ...] = (
    _private(_policy_proxy, "_ListProxy", "pulumi_policy"),
    _private(_policy_secret, "_ListSecretsProxy", "pulumi_policy"),
)
_DICT_PROXIES: tuple[Any, ...] = (
    _private(_policy_proxy, "_DictProxy", "pulumi_policy"),
    _private(_policy_secret, "_DictSecretsProxy", "pulumi_policy"),
)
_TARGET_KEY = "__target"


def is_list_proxy(value: Any) -> bool:
    return isinstance(value, _LIST_PROXIES)


def proxy_target(value: Any) -> Any:
    """The raw list/dict behind a pulumi_policy proxy; any other value unchanged."""
    if isinstance(value, _LIST_PROXIES + _DICT_PROXIES):
        return value[_TARGET_KEY]
    return value
