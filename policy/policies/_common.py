"""What every policy module shares: config with schema defaults, typed lookups, unknown-value bookkeeping."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from policy.resources import UNKNOWN, UNKNOWN_NOTE, short, unwrap
from policy.resources import number as number  # the policies import it from here

# pulumi_policy's ReportViolation, with the optional URN actually optional (resource policies never pass it).
Report = Callable[..., None]

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY


def schema(properties: dict[str, dict[str, Any]]) -> PolicyConfigSchema:
    """A config schema; every property carries a `default` (preflight fills defaults like the CLI does)."""
    return PolicyConfigSchema(properties=properties)


def config(args: Any, policy_schema: PolicyConfigSchema | None) -> dict[str, Any]:
    """The policy's config with schema defaults underneath (the SDK does not fill them in itself)."""
    defaults = {
        k: v["default"] for k, v in (policy_schema.properties if policy_schema else {}).items() if "default" in v
    }
    return {**defaults, **unwrap(args.get_config() or {})}


class Unknowns:
    """Collects values a check needs but the engine knows only after deploy.

    `finish()` raises pulumi_policy's UnknownValueError, which the SDK reports as an *advisory*
    "can't run policy during preview" diagnostic — after every real violation has already been reported.
    """

    def __init__(self) -> None:
        self.notes: list[str] = []

    def add(self, urn: str, what: str) -> None:
        self.notes.append(f"{short(urn)}: {what} {UNKNOWN_NOTE}")

    def finish(self) -> None:
        if self.notes:
            err = UnknownValueError(UNKNOWN_STRING_VALUE, [])
            err.message = "; ".join(self.notes)
            raise err


def dig(value: Any, *path: str | int) -> Any:
    """value[p0][p1]… with None for anything missing; UNKNOWN stays UNKNOWN."""
    for p in path:
        if value is UNKNOWN or value is None:
            return value
        if isinstance(p, int):
            value = value[p] if isinstance(value, list) and len(value) > p else None
        elif isinstance(value, Mapping):
            value = value.get(p)
        else:
            return None
    return value


def ci_get(d: Any, key: str) -> Any:
    """Case-insensitive key lookup (Pulumi camelCase or AWS API PascalCase)."""
    if not isinstance(d, Mapping):
        return None
    if key in d:
        return d[key]
    low = key.lower()
    return next((v for k, v in d.items() if k.lower() == low), None)


def ci_dig(value: Any, *path: str) -> Any:
    for p in path:
        if value is UNKNOWN or value is None:
            return value
        value = ci_get(value, p)
    return value


def stack_policy(
    *,
    name: str,
    description: str,
    validate: Callable[[StackValidationArgs, Report, dict[str, Any]], None],
    config_schema: PolicyConfigSchema,
    remediation: str,
    enforcement_level: EnforcementLevel = MANDATORY,
) -> StackValidationPolicy:
    def run(args: StackValidationArgs, report: Report) -> None:
        validate(args, report, config(args, config_schema))

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=run,
        enforcement_level=enforcement_level,
        config_schema=config_schema,
        remediation_steps=remediation,
    )


def of_type(args: StackValidationArgs, *types: str) -> list[Any]:
    return [r for r in args.resources if r.resource_type in types]


def tag(props: Mapping[str, Any], key: str) -> Any:
    tags = props.get("tags")
    return tags.get(key) if isinstance(tags, Mapping) else None
