"""Text and JSON renderings of a preflight run. Secrets never appear: they show as `[secret]`."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from contract.values import COMPUTED, SECRET_MASK
from preflight.analysis import Analysis
from preflight.engine import UNKNOWN, Resource, Run, SecretValue

MASK = SECRET_MASK


def masked(value: Any) -> Any:
    """JSON-safe copy of a value with secrets masked and unknowns shown as `<computed>`."""
    if isinstance(value, SecretValue):
        return MASK
    if value is UNKNOWN:
        return COMPUTED
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
        "awsRules": analysis.aws_rules,
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
    if analysis.aws_rules is not None:
        out += ["", *_aws_rules_lines(analysis.aws_rules)]
    if analysis.cost is not None:
        out += ["", *_cost_lines(analysis.cost)]
    if analysis.recovery is not None:
        out += ["", *_recovery_lines(analysis.recovery)]
    return "\n".join(out)


def _aws_rules_lines(summary: dict[str, Any]) -> list[str]:
    """What the aws-api-model policy compared with AWS's API models, and what it could not (docs/aws-rules.md)."""
    out = [
        f"AWS API rules (botocore {summary.get('botocore')} models: {', '.join(summary.get('services') or [])}):",
        f"  {summary.get('valuesChecked', 0)} input values of {summary.get('typesChecked', 0)} resource types checked "
        f"against {summary.get('membersChecked', 0)} constrained API members "
        f"({summary.get('constraintsChecked', 0)} enum/pattern/length/range/required comparisons)",
        f"  {summary.get('unknownSkipped', 0)} values not known until deploy skipped; "
        f"{summary.get('patternsUnchecked', 0)} pattern comparisons not checkable",
    ]
    for key, label in (
        ("typesWithoutMapping", "AWS types without a mapping (not checked)"),
        ("unmappedInputs", "inputs without an API member (not checked)"),
        ("typeMismatches", "inputs whose shape differs from the member's (not checked)"),
    ):
        items = summary.get(key) or {}
        if items:
            out.append(f"  {label}: {', '.join(f'{k} ×{n}' for k, n in items.items())}")
    return out


def _usd(x: Any) -> str:
    return f"${x:,.2f}" if isinstance(x, (int, float)) else "?"


def _short(urn: str) -> str:
    return urn.split("::")[-1] if "::" in urn else urn


def _cost_lines(cost: dict[str, Any]) -> list[str]:
    """The cost table: billed resources by monthly cost (with the arithmetic), zero-cost ones with their
    reason, free ones folded into one line per reason, the total against the budget, and what is unpriced."""
    taken = cost.get("pricesTaken")
    source = f"policy/prices.json, taken {taken}" if taken else "policy/prices.json"
    out = [f"Estimated monthly cost ({cost.get('currency', 'USD')}, on-demand list prices from {source}):"]
    items = sorted(cost.get("items") or [], key=lambda i: (-(i.get("monthly") or 0), i.get("type", ""), i.get("name")))
    billed = [i for i in items if i.get("monthly")]
    zero = [i for i in items if not i.get("monthly") and not str(i.get("basis", "")).startswith("free")]
    free = [i for i in items if not i.get("monthly") and str(i.get("basis", "")).startswith("free")]
    rows = [
        (_usd(i.get("monthly")), i.get("name", ""), i.get("type", ""), i.get("region") or "") for i in billed + zero
    ]
    if rows:
        w = [max(len(r[k]) for r in rows) for k in range(3)]
        out.append(f"  {'Monthly':>{w[0]}}  {'Resource':<{w[1]}}  {'Type':<{w[2]}}  Region")
        for row, item in zip(rows, billed + zero, strict=True):
            out.append(f"  {row[0]:>{w[0]}}  {row[1]:<{w[1]}}  {row[2]:<{w[2]}}  {row[3]}".rstrip())
            out.append(f"  {'':>{w[0]}}    {item.get('basis', '')}")
    if free:
        by_reason: dict[str, int] = Counter(str(i.get("basis", "")).removeprefix("free: ") for i in free)
        out.append(f"  {len(free)} free resources at $0.00:")
        out += [f"    {n:>3} × {reason}" for reason, n in sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))]
    total, budget = cost.get("total"), cost.get("budget")
    if isinstance(budget, (int, float)) and budget > 0 and isinstance(total, (int, float)):
        verdict = "within budget" if total <= budget else f"OVER BUDGET by {_usd(total - budget)}"
        out.append(f"  Total {_usd(total)} of budget {_usd(budget)} ({total / budget:.1%})  {verdict}")
    else:
        out.append(f"  Total {_usd(total)} (no monthly COST budget to compare with)")
    unpriced = cost.get("unpriced") or []
    if unpriced:
        out.append(f"  Unpriced ({len(unpriced)}, not in the total):")
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for u in unpriced:
            groups[str(u.get("reason", ""))].append(u)
        for reason, us in groups.items():
            if len(us) == 1:
                out.append(f"    - {_short(us[0].get('urn', ''))} ({us[0].get('type', '')}): {reason}")
            else:
                names = ", ".join(_short(u.get("urn", "")) for u in us[:6]) + (", …" if len(us) > 6 else "")
                out.append(f"    - {len(us)} resources: {reason} — {names}")
    return out


def _secs(value: Any) -> str:
    """Seconds, with minutes or hours alongside when that reads better."""
    if not isinstance(value, (int, float)):
        return "missing"
    if value >= 7200:
        return f"{value:g} s ({value / 3600:g} h)"
    if value >= 600:
        return f"{value:g} s ({value / 60:g} min)"
    return f"{value:g} s"


def _verdict(ok: Any) -> str:
    return "PASS" if ok else "FAIL"


def _recovery_lines(recovery: dict[str, Any]) -> list[str]:
    """The recovery budget: every RTO term with its seconds and basis, the total against the objective, and
    each data class's RPO against its objective."""
    out = [f"Recovery budget: {_verdict(recovery.get('ok'))}"]
    rto = recovery.get("rto") or {}
    objective = rto.get("objectiveSeconds")
    versus = f"objective {_secs(objective)}" if objective is not None else "no objective set"
    out.append(f"  RTO {_secs(rto.get('totalSeconds'))} vs {versus}  {_verdict(rto.get('ok'))}")
    terms = rto.get("terms") or []
    if terms:
        wn = max(len(str(t.get("name", ""))) for t in terms)
        ws = max(len(_secs(t.get("seconds"))) for t in terms)
        if rto.get("drill"):
            out.append(f"    terms marked measured come from the drill {rto['drill']}; the others are estimates")
        kinds = {True: "measured  ", False: "estimate  "}
        out += [
            f"    {t.get('name', ''):<{wn}}  {_secs(t.get('seconds')):>{ws}}  "
            f"{kinds[t['measured']] if isinstance(t.get('measured'), bool) else ''}{t.get('basis', '')}"
            for t in terms
        ]
    rpo = recovery.get("rpo") or []
    if rpo:
        out.append("  RPO per data class")
        wc = max(len(str(e.get("dataClass", ""))) for e in rpo)
        ws = max(len(_secs(e.get("seconds"))) for e in rpo)
        wo = max(len(_secs(e.get("objectiveSeconds"))) for e in rpo)
        for e in rpo:
            obj = e.get("objectiveSeconds")
            shown = f"≤ {_secs(obj):<{wo}}" if obj is not None else f"{'no objective':<{wo + 2}}"
            out.append(
                f"    {e.get('dataClass', ''):<{wc}}  {_secs(e.get('seconds')):>{ws}}  {shown}  "
                f"{_verdict(e.get('ok'))}  {e.get('basis', '')}"
            )
    out += _audit_lines(recovery.get("auditTrails"))
    return out


def _audit_lines(trails: Any) -> list[str]:
    """Where the audit trail is kept: the evidence a recovery (or an incident review) relies on."""
    if trails is None:
        return []
    if not trails:
        return ["  Audit trail: none in this stack (no CloudTrail trail delivers into an audit bucket)"]
    out = []
    for t in trails:
        scope = [
            "multi-region" if t.get("multiRegion") else "SINGLE-REGION",
            "log file validation" if t.get("logFileValidation") else "NO log file validation",
            "KMS" if t.get("kmsEncrypted") else "no KMS key",
        ]
        days = t.get("objectLockDays")
        kept = [f"Object Lock {days:g} d" if isinstance(days, (int, float)) else "NO Object Lock"]
        kept.append("replicated to the DR region" if t.get("replicated") else "NOT replicated")
        out.append(f"  Audit trail {t.get('trail')} → s3://{t.get('bucket')} ({', '.join(scope)}; {', '.join(kept)})")
    return out
