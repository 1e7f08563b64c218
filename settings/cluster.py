"""Settings for the cluster platform (issue 5): Velero, Kubecost, Karpenter."""

from __future__ import annotations

from dataclasses import dataclass

from settings import schema as s
from settings.loader import Values

KEYS: list[s.Key] = []


@dataclass(frozen=True)
class ClusterSettings:
    pass


def build(v: Values) -> ClusterSettings:
    return ClusterSettings()
