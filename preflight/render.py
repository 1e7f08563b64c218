"""Text and JSON renderings of a preflight run. Secrets never appear: they show as `[secret]`."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from preflight.analysis import Analysis
from preflight.engine import UNKNOWN, Resource, Run, SecretValue

MASK = "[secret]"


def masked(value: Any) -> Any:
    """JSON-safe copy of a value with secrets masked and unknowns shown as `<computed>`."""
    if isinstance(value, SecretValue):
        return MASK
    if value is UNKNOWN:
        return "<computed>"
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def resource_json(r: Resource) -> dict[str, Any]:
    return {
        "urn": r.urn,
        "type": r.type,
        "name": r.name,
        "parent": r.parent,
        "provider": r.provider,
        "region": r.region,
        "protect": r.protect,
        "dependencies": r.dependencies,
        "propertyDependencies": r.property_dependencies,
        "inputs": masked(r.inputs),
    }


def as_json(run: Run, analysis: Analysis) -> dict[str, Any]:
    return {
        "stack": run.stack,
        "project": run.project,
        "resources": [resource_json(r) for r in run.resources],
        "outputs": {k: (MASK if k in run.secret_outputs else masked(v)) for k, v in run.outputs.items()},
        "violations": [
            {"policy": v.policy, "enforcement": v.enforcement, "urn": v.urn, "message": v.message}
            for v in analysis.violations
        ],
        "cost": analysis.cost,
        "recovery": analysis.recovery,
    }


def _tree_lines(run: Run) -> list[tuple[str, Resource | None]]:
    children: dict[str, list[Resource]] = defaultdict(list)
    for r in run.resources:
        children[r.parent or run.stack_urn].append(r)
    lines: list[tuple[str, Resource | None]] = []

    def walk(urn: str, prefix: str) -> None:
        kids = sorted(children.get(urn, []), key=lambda r: (not r.is_provider, r.type, r.name))
        for i, r in enumerate(kids):
            last = i == len(kids) - 1
            lines.append((prefix + ("└─ " if last else "├─ "), r))
            walk(r.urn, prefix + ("   " if last else "│  "))

    lines.append(("", None))
    walk(run.stack_urn, "")
    return lines


def as_text(run: Run, analysis: Analysis, program_dir: Path) -> str:
    out: list[str] = [f"Previewing {run.project}/{run.stack} offline (Pulumi mock engine, program {program_dir})", ""]
    rows = []
    for prefix, r in _tree_lines(run):
        if r is None:
            rows.append((" +  pulumi:pulumi:Stack", f"{run.project}-{run.stack}", "", ""))
        else:
            flags = "protect" if r.protect else ""
            rows.append((f" +  {prefix}{r.type}", r.name, r.region or "", flags))
    w0 = max(len(r[0]) for r in rows) + 2
    w1 = max(len(r[1]) for r in rows) + 2
    out.append(f"{'     Type':<{w0}}{'Name':<{w1}}Region")
    out.extend(f"{a:<{w0}}{b:<{w1}}{c}{'  [' + d + ']' if d else ''}".rstrip() for a, b, c, d in rows)

    counts = Counter(r.type for r in run.resources)
    out += ["", f"Resources: {len(run.resources)} to create"]
    out += [f"  {n:>4}  {t}" for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    if run.outputs:
        out += ["", "Outputs:"]
        width = max(len(k) for k in run.outputs) + 2
        for k, v in sorted(run.outputs.items()):
            shown = MASK if k in run.secret_outputs else masked(v)
            out.append(f"    {k:<{width}}{shown}")
    if analysis.violations:
        out += ["", "Policy violations:"]
        for v in analysis.violations:
            out.append(f"  [{v.enforcement}] {v.policy}  {v.urn.split('::')[-1]}")
            out.append(f"      {v.message}")
    if analysis.cost is not None:
        out += ["", *_cost_lines(analysis.cost)]
    if analysis.recovery is not None:
        out += ["", *_recovery_lines(analysis.recovery)]
    return "\n".join(out)


def _cost_lines(cost: dict[str, Any]) -> list[str]:
    """Overridden by the policy issue with a full table; a total line keeps the shape visible."""
    return [f"Estimated monthly cost: {cost.get('total', '?')}"]


def _recovery_lines(recovery: dict[str, Any]) -> list[str]:
    return [f"Recovery budget: {recovery}"]
