"""`preflight --drill-evidence DIR`: the newest finished drill of the stack, read from its evidence bundle.

DIR is one bundle (it holds evidence.json) or a directory of bundles (ops drill's --evidence-dir): the newest
finished drill of the stack there counts. Its measured promotion, DNS and reconnect times replace the recovery
budget's estimates (policy.recovery.apply_drill); anything unusable is one line (ConfigError, exit 2).
Without the flag, the stack's policy config may name the directory: `recovery-budget.drillEvidenceDir`, relative to
the config file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ops.errors import OpsError
from ops.evidence import Evidence
from policy.recovery import drill_terms
from settings import ConfigError

FLAG = "--drill-evidence"
CONFIG_KEY = (
    "drillEvidenceDir"  # recovery-budget property in policy/config/<stack>.json (policy/policies/dr_posture.py)
)


def _fail(directory: Path, why: str, source: str = FLAG) -> ConfigError:
    return ConfigError(source, None, f"{directory}: {why}")


def configured_directory(config_file: Path) -> tuple[Path, str] | None:
    """The recovery-budget's `drillEvidenceDir` of a policy config file, resolved against the file's directory, and
    the place it was read from (`FILE: recovery-budget.drillEvidenceDir`); None when the file does not set it.
    The value is validated with the policy's other properties (ops.objectives: schema, one line on error)."""
    from ops.objectives import POLICY, _shown, recovery_properties

    props, _ = recovery_properties(config_file)
    value = props.get(CONFIG_KEY)
    if value is None:
        return None
    return config_file.parent / value, f"{_shown(config_file)}: {POLICY}.{CONFIG_KEY}"


def newest_drill(directory: Path, stack: str, source: str = FLAG) -> tuple[dict[str, float], str]:
    """(measured RTO terms, a label naming the bundle) of the newest finished drill of `stack` under `directory`.
    `source` names where the directory came from in an error line (the flag, or the config file and key)."""
    if not directory.is_dir():
        raise _fail(directory, "not a directory — name a drill bundle or the --evidence-dir the drill wrote to", source)
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
        raise _fail(directory, f"no finished drill of stack {stack} there", source)
    started, bundle, data = max(found, key=lambda f: f[0])
    terms = drill_terms(data.get("measured") or {})
    if not terms:
        raise _fail(bundle, "the drill measured no promotion, DNS or reconnect time (it stopped before them)", source)
    return terms, f"{bundle.name} ({started})"
