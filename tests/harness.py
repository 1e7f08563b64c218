"""Run the program, or one component, under Pulumi's mock engine with a stack's config (plus overrides).

Every run gets a fresh event loop, fresh mocks and a reset Pulumi runtime (preflight.engine does that),
so no queued work leaks from one test into the next.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import settings
from preflight.engine import Run, run_function, run_program
from providers import Providers, make_providers
from settings import PROJECT, RawConfig, StackSettings

PROJECT_DIR = settings.PROJECT_DIR


def stack_raw(stack: str, overrides: Mapping[str, Any] | None = None, remove: Iterable[str] = ()) -> RawConfig:
    """A stack file's values with some keys replaced or removed (values as they would be written in YAML)."""
    raw = settings.load_raw(stack)
    values = {**raw.values, **(overrides or {})}
    for key in remove:
        values.pop(key, None)
    return RawConfig(raw.source, values, raw.secret_keys)


def stack_settings(
    stack: str = "stage", overrides: Mapping[str, Any] | None = None, remove: Iterable[str] = ()
) -> StackSettings:
    return settings.from_raw(stack_raw(stack, overrides, remove), stack)


def _engine_args(raw: RawConfig) -> dict[str, Any]:
    return {"config": raw.as_engine_config(), "secret_keys": {f"{PROJECT}:{k}" for k in raw.secret_keys}}


def run_stack(stack: str = "stage", overrides: Mapping[str, Any] | None = None, remove: Iterable[str] = ()) -> Run:
    """Run the whole program (`__main__.py`) for a stack."""
    raw = stack_raw(stack, overrides, remove)
    settings.from_raw(raw, stack)  # fail here, with the one-line message, before anything runs
    return run_program(PROJECT_DIR, project=PROJECT, stack=stack, **_engine_args(raw))


def run_component(
    build: Callable[[StackSettings, Providers], object],
    stack: str = "stage",
    overrides: Mapping[str, Any] | None = None,
    remove: Iterable[str] = (),
) -> Run:
    """Run `build(settings, providers)` as the whole program: one component and the providers it needs."""
    raw = stack_raw(stack, overrides, remove)
    validated = settings.from_raw(raw, stack)
    return run_function(
        lambda: build(validated, make_providers(validated.core)), project=PROJECT, stack=stack, **_engine_args(raw)
    )


def moved_to_europe(stack: str) -> dict[str, Any]:
    """The stack's whole config moved to eu-west-1 (primary) / eu-central-1 (DR): every value naming a region.

    Region-bound facts (ALB ARNs, OIDC issuer, …) are validated against primaryRegion/drRegion, so a test
    that moves the regions must move them all.
    """

    def move(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("us-east-1", "eu-west-1").replace("us-west-2", "eu-central-1")
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    values = {k: move(v) for k, v in settings.load_raw(stack).values.items()}
    values.update(primaryRegion="eu-west-1", drRegion="eu-central-1")
    values.update(primaryAlbZoneId="Z32O12XQLNTSW2", drAlbZoneId="Z215JYRZR1TBD5")  # the ALB zones of those regions
    return values


def operations_alerts(name: str, provider: Any, region: str) -> Any:
    """A region's alarm topics (components/alerting.py) for a component test, with the preflight placeholder
    PagerDuty URL (the real one is a `secure:` value)."""
    from components.alerting import OperationsAlerts, OperationsAlertsArgs

    return OperationsAlerts(
        name, OperationsAlertsArgs(region=region, pagerduty_url=settings.PREFLIGHT_SECRET), provider=provider
    )


def settings_error(stack: str, overrides: Mapping[str, Any] | None = None, remove: Iterable[str] = ()) -> str:
    """The message the stack's settings are refused with (with these keys replaced or removed); fails the test when
    they are accepted or the message is more than one line (the bad-input contract: one line naming file and key)."""
    import pytest

    with pytest.raises(settings.ConfigError) as refused:
        stack_settings(stack, overrides, remove)
    message = str(refused.value)
    assert "\n" not in message, message
    return message


def run_preflight(capsys: Any, *args: str) -> tuple[int, str, str]:
    """`python -m preflight ARGS` in-process: its exit code, stdout and stderr."""
    from preflight import cli

    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err
