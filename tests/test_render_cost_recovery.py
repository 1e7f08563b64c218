"""How preflight prints the cost table and the recovery budget (preflight/render.py)."""

from policy.cost import estimate
from policy.recovery import recovery_budget
from preflight.render import _cost_lines, _recovery_lines


def res(type_, name, region="us-east-1", props=None, **kw):
    return {"type": type_, "urn": f"urn:pulumi:t::p::{type_}::{name}", "name": name, "region": region,
            "props": {**(props or {}), **kw}, "protect": False}  # fmt: skip


def cost(budget=1000.0):
    resources = [
        res("aws:kms/key:Key", "small-key"),
        res(
            "aws:rds/instance:Instance",
            "db",
            instanceClass="db.t4g.micro",
            engine="postgres",
            allocatedStorage=20,
            storageType="gp3",
            backupRetentionPeriod=0,
        ),
        res("aws:iam/role:Role", "role"),
        res("aws:iam/policy:Policy", "policy"),
        res("aws:sqs/queue:Queue", "queue"),
        res("aws:sfn/stateMachine:StateMachine", "fn"),
        res("kubernetes:core/v1:Namespace", "ns-a", None),
        res("kubernetes:core/v1:Namespace", "ns-b", None),
    ]
    return {**estimate(resources, {}), "budget": budget}


def test_cost_table_lists_billed_resources_most_expensive_first_with_their_arithmetic():
    lines = _cost_lines(cost())
    db = next(i for i, line in enumerate(lines) if " db " in line)
    key = next(i for i, line in enumerate(lines) if "small-key" in line)
    assert db < key
    assert "$13.98" in lines[db] and "aws:rds/instance:Instance" in lines[db]  # 730 × 0.016 + 20 × 0.115
    assert "730 h × $0.016" in lines[db + 1]


def test_cost_table_shows_total_against_budget():
    assert "  Total $14.98 of budget $1,000.00 (1.5%)  within budget" in _cost_lines(cost())
    assert any("OVER BUDGET by $4.98" in line for line in _cost_lines(cost(budget=10.0)))
    assert any("no monthly COST budget" in line for line in _cost_lines(cost(budget=None)))


def test_cost_table_folds_free_resources_and_keeps_explicit_zeroes_with_their_reason():
    lines = _cost_lines(cost())
    assert "  2 free resources at $0.00:" in lines and "      2 × IAM is free" in lines
    queue = next(i for i, line in enumerate(lines) if "queue" in line)
    assert "$0.00" in lines[queue] and "per million" in lines[queue + 1]


def test_cost_table_lists_unpriced_items_with_their_reason():
    lines = _cost_lines(cost())
    assert "  Unpriced (3, not in the total):" in lines
    assert "    - fn (aws:sfn/stateMachine:StateMachine): no price model for aws:sfn/stateMachine:StateMachine" in lines
    assert "    - 2 resources: runs on existing cluster nodes (see Kubecost) — ns-a, ns-b" in lines


def test_cost_table_names_the_price_table_and_its_date():
    assert _cost_lines(cost())[0].startswith(
        "Estimated monthly cost (USD, on-demand list prices from policy/prices.json"
    )


def budget(objectives):
    resources = [
        res(
            "aws:route53/healthCheck:HealthCheck",
            "gw-check",
            requestInterval=10,
            failureThreshold=3,
            tags={"failover-role": "primary", "service-host": "gateway"},
        ),
        res(
            "aws:route53/record:Record",
            "gw",
            props={"name": "gateway.example.com"},
            aliases=[{"name": "x"}],
            failoverRoutingPolicies=[{"type": "PRIMARY"}],
        ),
    ]
    return recovery_budget(resources, objectives)


def test_recovery_budget_prints_each_rto_term_with_seconds_and_basis_and_the_verdict():
    lines = _recovery_lines(budget({"rtoSeconds": 900, "appReconnectSeconds": 60}))
    assert lines[0] == "Recovery budget: FAIL"  # no database, buckets or Velero: their RPO is missing
    assert lines[1] == "  RTO 150 s vs objective 900 s (15 min)  PASS"
    assert "    detection     30 s  health check gw-check: 10 s interval × 3 failures" in lines
    assert any(line.startswith("    dns") and "60 s" in line and "alias" in line for line in lines)


def test_recovery_budget_prints_missing_terms_and_each_rpo_class_against_its_objective():
    lines = _recovery_lines(budget({"rtoSeconds": 900, "rpoSeconds": 300}))
    assert "  RTO missing vs objective 900 s (15 min)  FAIL" in lines
    assert any("appReconnect" in line and "missing" in line and "not set" in line for line in lines)
    assert "  RPO per data class" in lines
    database = next(line for line in lines if line.lstrip().startswith("database"))
    assert "missing" in database and "≤ 300 s" in database and "FAIL" in database


def test_recovery_budget_prints_pass_when_every_term_is_within_its_objective():
    ok = {"rto": {"terms": [], "totalSeconds": 450, "objectiveSeconds": 900, "ok": True}, "ok": True, "rpo": [
        {"dataClass": "database", "seconds": 60, "basis": "alarm", "objectiveSeconds": 300, "ok": True}]}  # fmt: skip
    lines = _recovery_lines(ok)
    assert lines[0] == "Recovery budget: PASS"
    assert lines[-1] == "    database  60 s  ≤ 300 s  PASS  alarm"
