"""The one "unknown until deploy" marker and the one secret wrapper, with their predicates.

Every layer that looks at resource properties meets the same two kinds of special value:
- **unknown**: a value the engine only knows after deploy (an ARN, an id). Preflight's engine records it as
  `UNKNOWN`; the policy pack receives pulumi_policy's sentinel strings and `policy.resources.unwrap` turns them
  into `UNKNOWN`; preflight's JSON shows it as `COMPUTED`. `is_unknown` recognises all three.
- **secret**: an input marked secret. Preflight's engine wraps it in `SecretValue` (rendered `[secret]`); the
  cost and recovery models only need what is inside (`reveal`).

This module lives inside the policy pack because the pack (run by the Pulumi CLI from `policy/`, in its own
virtualenv built from `policy/requirements.txt`) must be able to import it; it needs nothing but the standard
library, so ops tooling can import the models without loading the Pulumi SDK. Preflight, the models and the
policies all import these names from here: identity (`value is UNKNOWN`) and `isinstance(value, SecretValue)`
are the only tests, never a class name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Unknown:
    """The value of a property the engine only knows after deploy. There is exactly one: `UNKNOWN`."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return COMPUTED

    def __bool__(self) -> bool:
        # Falsy, so `value or default` and `if value:` never treat an unknown as a present, truthy setting.
        return False


UNKNOWN: Any = Unknown()

# How preflight renders an unknown in its text and JSON output (the Pulumi CLI's preview shows the same word).
COMPUTED = "<computed>"

# The wire sentinels for unknown values: pulumi_policy.proxy's UNKNOWN_{BOOLEAN,NUMBER,STRING,ARRAY,ASSET,ARCHIVE,
# OBJECT}_VALUE; the string one is also pulumi.runtime.rpc.UNKNOWN. Kept here as data so this module needs no SDK;
# tests/test_sdk_contract.py fails when the installed SDK's sentinels differ.
SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)

# What a policy or model says about a value it needs but cannot see yet.
UNKNOWN_NOTE = "not known until deploy"


def is_unknown(value: Any) -> bool:
    """True for a value only known after deploy: `UNKNOWN`, a pulumi wire sentinel, or preflight's `<computed>`."""
    if isinstance(value, str):
        return value in SENTINELS or value == COMPUTED
    return value is UNKNOWN


# What the Pulumi CLI prints for a secret without --show-secrets; preflight masks with it, ops refuses it.
SECRET_MASK = "[secret]"


@dataclass(frozen=True)
class SecretValue:
    """An input value marked secret. Text and JSON renderings show `[secret]`; `reveal` gives the value."""

    value: Any

    def __repr__(self) -> str:
        return SECRET_MASK


def is_secret(value: Any) -> bool:
    return isinstance(value, SecretValue)


def reveal(value: Any) -> Any:
    """The value inside a secret wrapper; any other value unchanged (one level: secrets are not nested)."""
    return value.value if isinstance(value, SecretValue) else value
