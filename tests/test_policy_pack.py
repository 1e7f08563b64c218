"""Every policy, run through the real pack over the Analyzer protocol: a compliant case and a violating case."""

from __future__ import annotations

import json

import pytest

from tests.policy_harness import POLICY_FIXTURES, PROJECT_DIR, run_with_pack, start_pack


@pytest.fixture(scope="session")
def prod_pack():
    session = start_pack("prod")
    yield session
    session.close()


@pytest.fixture(scope="session")
def prod(prod_pack):
    return run_with_pack(prod_pack, "prod")


@pytest.fixture(scope="session")
def broken(prod_pack):
    return run_with_pack(prod_pack, "prod", POLICY_FIXTURES / "broken_everything")


def _found(analysis, policy, resource):
    return [
        v
        for v in analysis.violations
        if v.policy == policy and (v.urn.endswith(f"::{resource}") or resource in v.message)
    ]


# (policy, resource it must name) — each resource in fixtures/policy/broken_everything is named for its flaw.
BROKEN = [
    ("rds-backup-retention", "weak-db"),
    ("rds-deletion-safeguards", "weak-db"),
    ("rds-backup-replication-retention", "short-backup-copy"),
    ("aws-backup-plan", "weak-db"),
    ("backup-vault-lock", "unlocked-vault"),
    ("backup-vault-lock", "governance-vault"),
    ("restore-testing-plan", "monthly-restore-test"),
    ("s3-versioning", "unversioned-bucket"),
    ("s3-noncurrent-expiration", "unbounded-bucket"),
    ("s3-audit-object-lock", "audit-unlocked"),
    ("velero-backup-ttl", "short-ttl-schedule"),
    ("velero-backup-ttl", "velero-short"),
    ("log-group-retention", "forever-logs"),
    ("monthly-cost-budget", "oversized-budget"),
    ("cost-within-budget", "5.00 USD"),
    ("cost-allocation-tags", "untagged-topic"),
    ("aws-api-model", "premium-tier-parameter"),
    ("aws-service-limits", "queue-name-with-space"),
    ("rds-cross-region-replica", "weak-db"),
    ("rds-replica-source-credentials", "replica-of-managed-password-db"),
    ("rds-replica-multi-az", "same-region-replica"),
    ("s3-replication-rtc", "audit-unlocked"),
    ("failover-record-pairs", "lonely-primary"),
    ("gateway-waf", "counting-acl"),
    ("gateway-waf", "host-exempt-acl"),
    ("edge-hardening", "bare-cdn"),
    ("edge-hardening", "plain-waf-logs"),
    ("stateful-resources-protected", "unprotected-key"),
    ("stateful-resources-protected", "audit-unlocked"),
    ("stateful-resources-protected", "unlocked-vault"),
    ("recovery-budget", "detection unbounded"),
    ("failover-plan", "loose-plan"),
    ("failover-plan", "same-region-replica"),
    ("failover-plan", "api.example.com"),
]


@pytest.mark.parametrize(("policy", "resource"), BROKEN, ids=[f"{p}-{r}" for p, r in BROKEN])
def test_policy_reports_the_broken_resource_as_mandatory_in_prod(broken, policy, resource):
    _, analysis = broken
    found = _found(analysis, policy, resource)
    assert found, [(v.policy, v.urn, v.message) for v in analysis.violations if v.policy == policy]
    assert all(v.enforcement == "mandatory" for v in found)


def test_gateway_waf_reports_a_rate_rule_that_trusts_the_host_header(broken):
    _, analysis = broken
    messages = [v.message for v in _found(analysis, "gateway-waf", "host-exempt-acl")]
    assert any("decides by the Host header whom it limits" in m for m in messages), messages
    assert not any("Host header" in v.message for v in _found(analysis, "gateway-waf", "counting-acl"))


def test_edge_hardening_reports_missing_security_headers_and_access_logs_separately(broken):
    _, analysis = broken
    messages = [v.message for v in _found(analysis, "edge-hardening", "bare-cdn")]
    assert len(messages) == 2
    assert any("sends no security headers" in m and "default" in m for m in messages)
    assert any("keeps no access logs" in m for m in messages)


# (policy, resource types in the prod stack it judges) — the real stack is the compliant case.
COMPLIANT = [
    ("rds-backup-retention", "aws:rds/instance:Instance"),
    ("rds-deletion-safeguards", "aws:rds/instance:Instance"),
    (
        "rds-backup-replication-retention",
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
    ),
    ("aws-backup-plan", "aws:backup/selection:Selection"),
    ("backup-vault-lock", "aws:backup/vaultLockConfiguration:VaultLockConfiguration"),
    ("restore-testing-plan", "aws:backup/restoreTestingSelection:RestoreTestingSelection"),
    ("s3-versioning", "aws:s3/bucketVersioning:BucketVersioning"),
    ("s3-noncurrent-expiration", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"),
    ("s3-audit-object-lock", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"),
    ("velero-backup-ttl", "kubernetes:velero.io/v1:Schedule"),
    ("log-group-retention", "aws:cloudwatch/logGroup:LogGroup"),
    ("monthly-cost-budget", "aws:budgets/budget:Budget"),
    ("cost-within-budget", "aws:budgets/budget:Budget"),
    ("cost-budget-headroom", "aws:budgets/budget:Budget"),
    ("cost-allocation-tags", "aws:s3/bucket:Bucket"),
    ("aws-api-model", "aws:wafv2/webAcl:WebAcl"),
    ("aws-service-limits", "aws:rds/instance:Instance"),
    ("rds-cross-region-replica", "aws:rds/instance:Instance"),
    ("rds-replica-source-credentials", "aws:rds/instance:Instance"),
    ("rds-replica-multi-az", "aws:rds/instance:Instance"),
    ("s3-replication-rtc", "aws:s3/bucketReplicationConfig:BucketReplicationConfig"),
    ("failover-record-pairs", "aws:route53/record:Record"),
    ("gateway-waf", "aws:wafv2/webAclAssociation:WebAclAssociation"),
    ("edge-hardening", "aws:cloudfront/distribution:Distribution"),
    ("stateful-resources-protected", "aws:kms/key:Key"),
    ("recovery-budget", "aws:route53/healthCheck:HealthCheck"),
    ("failover-plan", "aws:arcregionswitch/plan:Plan"),
]


@pytest.mark.parametrize(("policy", "type_"), COMPLIANT, ids=[p for p, _ in COMPLIANT])
def test_policy_passes_the_prod_stack_that_has_what_it_judges(prod, policy, type_):
    run, analysis = prod
    assert run.all(type_), f"prod has no {type_}: the compliant case would be vacuous"
    assert [v.message for v in analysis.violations if v.policy == policy] == []


def test_every_policy_of_the_pack_has_a_compliant_and_a_violating_case(prod_pack):
    names = set(prod_pack.config)
    assert {p for p, _ in COMPLIANT} == names
    assert {p for p, _ in BROKEN} | {"cost-budget-headroom"} == names  # headroom: see the near-budget test


def test_the_loose_plan_is_reported_for_its_rto_and_for_what_it_leaves_uncovered(broken):
    _, analysis = broken
    messages = [v.message for v in analysis.violations if v.policy == "failover-plan"]
    assert "plan loose-plan promises an RTO of 60 min, looser than the stack's objective of 900 s (15 min)." in messages
    assert any(
        m.startswith("cross-region replica same-region-replica is promoted by no RdsPromoteReadReplica")
        for m in messages
    )
    assert any(
        m.startswith("failover record set api.example.com is switched by no Route53HealthCheck") for m in messages
    )


@pytest.mark.parametrize("stack", ["dev", "stage", "prod"])
def test_the_failover_plan_policy_judges_against_the_same_rto_as_the_recovery_budget(stack):
    from policy.policies.dr_posture import OBJECTIVES_SCHEMA

    doc = json.loads((PROJECT_DIR / f"policy/config/{stack}.json").read_text())
    default = OBJECTIVES_SCHEMA["rtoSeconds"]["default"]
    assert doc["failover-plan"].get("rtoSeconds", default) == doc["recovery-budget"].get("rtoSeconds", default)


def test_estimate_just_under_the_budget_is_an_advisory_headroom_warning(prod_pack):
    _, analysis = run_with_pack(prod_pack, "prod", POLICY_FIXTURES / "near_budget")
    headroom = [v for v in analysis.violations if v.policy == "cost-budget-headroom"]
    assert [v.enforcement for v in headroom] == ["advisory"]
    assert "91% of the 1.10 USD budget" in headroom[0].message
    assert not [v for v in analysis.violations if v.policy == "cost-within-budget"]


def test_values_unknown_at_preview_are_advisory_not_known_until_deploy(prod_pack):
    _, analysis = run_with_pack(prod_pack, "prod", POLICY_FIXTURES / "unknown_values")
    by_policy = {v.policy: v for v in analysis.violations if "not known until deploy" in v.message}
    assert set(by_policy) == {"rds-backup-retention", "s3-versioning", "log-group-retention"}
    assert {v.enforcement for v in by_policy.values()} == {"advisory"}
    assert by_policy["rds-backup-retention"].urn.endswith("::db-retention-unknown")
    assert "bucket-versioning-unknown: versioning status" in by_policy["s3-versioning"].message


def test_a_rollout_exemption_lets_prod_rate_rules_count(tmp_path):
    doc = json.loads((PROJECT_DIR / "policy/config/prod.json").read_text())
    doc["gateway-waf"]["rolloutExemption"] = "CHG-2041 until the WAF tuning rollout ends"
    cfg = tmp_path / "prod.json"
    cfg.write_text(json.dumps(doc))
    session = start_pack("prod", cfg)
    try:
        _, analysis = run_with_pack(session, "prod", POLICY_FIXTURES / "broken_everything")
    finally:
        session.close()
    waf = [v.message for v in analysis.violations if v.policy == "gateway-waf"]
    assert waf and not any("does not block" in m for m in waf)
    assert any("not associated" in m for m in waf)


@pytest.mark.parametrize("stack", ["dev", "stage"])
def test_stack_passes_with_zero_mandatory_violations(stack):
    session = start_pack(stack)
    try:
        _, analysis = run_with_pack(session, stack)
    finally:
        session.close()
    assert [(v.policy, v.urn, v.message) for v in analysis.mandatory_violations] == []


def test_prod_passes_with_zero_mandatory_violations(prod):
    _, analysis = prod
    assert [(v.policy, v.urn, v.message) for v in analysis.mandatory_violations] == []


def test_analysis_carries_the_cost_estimate_against_the_budget_and_the_recovery_budget(prod):
    run, analysis = prod
    budget = run.one("aws:budgets/budget:Budget")
    assert analysis.cost is not None and analysis.recovery is not None
    assert analysis.cost["budget"] == float(budget.inputs["limitAmount"])
    assert analysis.cost["ok"] is (analysis.cost["total"] <= analysis.cost["budget"])
    assert analysis.cost["total"] == pytest.approx(sum(i["monthly"] for i in analysis.cost["items"]))
    assert analysis.recovery["rto"]["objectiveSeconds"] == 900
    assert {t["name"] for t in analysis.recovery["rto"]["terms"]} >= {"detection", "dns", "dbPromotion"}
