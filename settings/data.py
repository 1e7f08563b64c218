"""Settings for the data tier (issue 3): ReplicatedPostgres and ReplicatedBucket."""

from __future__ import annotations

from dataclasses import dataclass

from settings import schema as s
from settings.loader import Values

KEYS: list[s.Key] = []


@dataclass(frozen=True)
class DataTierSettings:
    pass


def build(v: Values) -> DataTierSettings:
    return DataTierSettings()
