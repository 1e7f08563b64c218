"""AWS API models as botocore ships them: loaded lazily, once per process, only for the services a program uses.

botocore keeps one directory per service under `botocore/data/<service>/<api-version>/service-2.json[.gz]`; the
newest API version is the one the AWS SDKs call (botocore's own loader picks the same one). Only the data files are
read — botocore is not imported — so the policy pack's virtualenv needs the package installed, nothing more.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import importlib.util
import json
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any


class ModelError(LookupError):
    """A service, operation or member the mapping names does not exist in the installed botocore."""


@cache
def data_dir() -> Path:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("botocore is not installed (policy/requirements.txt pins it)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@cache
def botocore_version() -> str:
    return importlib.metadata.version("botocore")


@dataclass(frozen=True)
class Service:
    name: str
    api_version: str
    shapes: dict[str, dict[str, Any]] = field(repr=False)
    operations: dict[str, dict[str, Any]] = field(repr=False)

    def shape(self, name: str) -> dict[str, Any]:
        return self.shapes[name]

    def input_shape(self, operation: str) -> str:
        try:
            return str(self.operations[operation]["input"]["shape"])
        except KeyError:
            version = botocore_version()
            raise ModelError(f"{self.name}: no operation {operation} with an input in botocore {version}") from None


_LOCK = threading.Lock()
_SERVICES: dict[str, Service] = {}


def _latest_model(service: str) -> tuple[str, Path]:
    root = data_dir() / service
    if not root.is_dir():
        raise ModelError(f"no botocore model for service {service!r}")
    for version in sorted((p.name for p in root.iterdir() if p.is_dir()), reverse=True):
        for name in ("service-2.json.gz", "service-2.json"):
            path = root / version / name
            if path.is_file():
                return version, path
    raise ModelError(f"no service-2.json for {service!r}")


def service(name: str) -> Service:
    """The service's model, read on first use (thread-safe: the pack answers Analyze calls on a thread pool)."""
    found = _SERVICES.get(name)
    if found is not None:
        return found
    with _LOCK:
        if name not in _SERVICES:
            version, path = _latest_model(name)
            raw = path.read_bytes()
            doc = json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)
            _SERVICES[name] = Service(name, version, doc["shapes"], doc["operations"])
        return _SERVICES[name]


@cache
def partition_regions() -> dict[str, frozenset[str]]:
    """Region names per partition from botocore's endpoints.json (`aws`, `aws-cn`, `aws-us-gov`, …)."""
    doc = json.loads((data_dir() / "endpoints.json").read_text(encoding="utf-8"))
    return {p["partition"]: frozenset(p.get("regions", {})) for p in doc.get("partitions", [])}
