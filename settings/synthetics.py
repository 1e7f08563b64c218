"""Settings for the synthetics and alert routing (issue 5): blackbox probes, PrometheusRule, Alertmanager."""

from __future__ import annotations

from dataclasses import dataclass

from settings import schema as s
from settings.loader import Values

KEYS: list[s.Key] = []


@dataclass(frozen=True)
class SyntheticsSettings:
    pass


def build(v: Values) -> SyntheticsSettings:
    return SyntheticsSettings()
