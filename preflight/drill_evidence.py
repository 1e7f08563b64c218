"""`preflight --drill-evidence DIR`: the newest finished drill of the stack, read from its evidence bundle.

DIR is one bundle (it holds evidence.json) or a directory of bundles (ops drill's --evidence-dir): the newest
finished drill of the stack there counts. Its measured promotion, DNS and reconnect times replace the recovery
budget's estimates (policy.recovery.apply_drill); anything unusable is one line (ConfigError, exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ops.errors import OpsError
from ops.evidence import Evidence
from policy.recovery import drill_terms
from settings import ConfigError


def _fail(directory: Path, why: str) -> ConfigError:
    return ConfigError("--drill-evidence", None, f"{directory}: {why}")


def newest_drill(directory: Path, stack: str) -> tuple[dict[str, float], str]:
    """(measured RTO terms, a label naming the bundle) of the newest finished drill of `stack` under `directory`."""
    if not directory.is_dir():
        raise _fail(directory, "not a directory — name a drill bundle or the --evidence-dir the drill wrote to")
    candidates = [directory] if (directory / "evidence.json").is_file() else sorted(directory.iterdir())
    found: list[tuple[str, Path, dict[str, Any]]] = []
    for bundle in candidates:
        if not (bundle / "evidence.json").is_file():
            continue
        try:
            data = Evidence.load(bundle).data
        except OpsError:
            continue  # not a journal: other files may share the directory
        if data.get("kind") == "drill" and data.get("stack") == stack and data.get("endedAt"):
            found.append((str(data["startedAt"]), bundle, data))
    if not found:
        raise _fail(directory, f"no finished drill of stack {stack} there")
    started, bundle, data = max(found, key=lambda f: f[0])
    terms = drill_terms(data.get("measured") or {})
    if not terms:
        raise _fail(bundle, "the drill measured no promotion, DNS or reconnect time (it stopped before them)")
    return terms, f"{bundle.name} ({started})"
