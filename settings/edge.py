"""Settings for the traffic failover and edge (issue 4): FailoverDns and EdgeProtection."""

from __future__ import annotations

from dataclasses import dataclass

from settings import schema as s
from settings.loader import Values

KEYS: list[s.Key] = []


@dataclass(frozen=True)
class EdgeSettings:
    pass


def build(v: Values) -> EdgeSettings:
    return EdgeSettings()
