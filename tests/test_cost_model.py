"""The cost model (policy/cost.py) against hand-computed figures, and over a real recorded stack."""

import json

import pytest

from policy.cost import PRICERS, PRICES_FILE, estimate, load_prices
from preflight.engine import UNKNOWN
from tests.harness import run_stack

RDS = "aws:rds/instance:Instance"


def res(type_, name="r", region="us-east-1", props=None, **kw):
    return {"type": type_, "urn": f"urn:pulumi:t::p::{type_}::{name}", "name": name, "region": region,
            "props": {**(props or {}), **kw}, "protect": False}  # fmt: skip


def one(cost, name):
    return next(i for i in cost["items"] if i["name"] == name)


def db(name="db", region="us-east-1", **props):
    base = {"instanceClass": "db.r6g.large", "engine": "postgres", "allocatedStorage": 100, "storageType": "gp3"}
    return res(RDS, name, region, **{**base, **props})


def test_multi_az_r6g_large_with_100_gb_gp3_in_us_east_1_matches_the_hand_computed_figure():
    cost = estimate([db(multiAz=True, backupRetentionPeriod=7)], {"rdsDailyChangeGb": 2})
    # 2 instances × 730 h × $0.225 = 328.50; gp3 100 GB × 2 × $0.115 = 23.00;
    # backups beyond the free 100 GB: 7 days × 2 GB/day × $0.095 = 1.33
    assert one(cost, "db")["monthly"] == pytest.approx(328.50 + 23.00 + 1.33)


def test_single_az_bills_one_instance_and_one_copy_of_storage():
    cost = estimate([db(backupRetentionPeriod=0)], {})
    assert one(cost, "db")["monthly"] == pytest.approx(730 * 0.225 + 100 * 0.115)  # 164.25 + 11.50


def test_backups_default_to_five_percent_daily_change_of_allocated_storage():
    with_backups = estimate([db(backupRetentionPeriod=10)], {})["total"]
    without = estimate([db(backupRetentionPeriod=0)], {})["total"]
    assert with_backups - without == pytest.approx(10 * 5 * 0.095, abs=0.01)  # 10 d × 5 GB/d × $0.095


def test_rds_managed_master_secret_counts_as_a_secret():
    cost = estimate([db(backupRetentionPeriod=0, manageMasterUserPassword=True)], {})
    assert one(cost, "db")["monthly"] == pytest.approx(164.25 + 11.50 + 0.40)
    assert "master secret" in one(cost, "db")["basis"]


def test_replica_is_priced_as_an_instance_in_its_own_region_with_its_source_storage():
    primary = db(identifier="summit-db", backupRetentionPeriod=0)
    replica = res(RDS, "replica", "us-west-2", instanceClass="db.r6g.large",
                  replicateSourceDb="arn:aws:rds:us-east-1:123456789012:db:summit-db")  # fmt: skip
    cost = estimate([primary, replica], {})
    item = one(cost, "replica")
    assert item["region"] == "us-west-2"
    assert item["monthly"] == pytest.approx(730 * 0.225 + 100 * 0.115)  # no automated backups on a replica
    assert "replica in us-west-2" in item["basis"]


def test_multi_az_replica_bills_its_standby_instance_and_storage_twice():
    primary = db(identifier="summit-db", backupRetentionPeriod=0)
    replica = res(RDS, "replica", "us-west-2", instanceClass="db.r6g.large", multiAz=True,
                  replicateSourceDb="arn:aws:rds:us-east-1:123456789012:db:summit-db")  # fmt: skip
    item = one(estimate([primary, replica], {}), "replica")
    assert item["monthly"] == pytest.approx(2 * (730 * 0.225 + 100 * 0.115))  # 2 × (164.25 + 11.50)
    assert "Multi-AZ replica in us-west-2" in item["basis"]


def test_region_matters_a_region_missing_from_the_table_is_unpriced_with_the_reason():
    cost = estimate([db(region="eu-central-1")], {})
    assert cost["items"] == []
    assert "eu-central-1" in cost["unpriced"][0]["reason"]


def test_region_matters_prices_are_taken_for_the_resource_region():
    prices = json.loads(PRICES_FILE.read_text())
    for row in prices["figures"]["kms.keyMonth"]:
        row["value"] = 1.0 if row["region"] == "us-east-1" else 1.2
    keys = [res("aws:kms/key:Key", "east"), res("aws:kms/key:Key", "west", "us-west-2")]
    cost = estimate(keys, {}, prices)
    assert (one(cost, "east")["monthly"], one(cost, "west")["monthly"]) == (1.0, 1.2)


def test_cross_region_automated_backups_bill_the_copy_and_the_transfer():
    primary = db(identifier="summit-db", backupRetentionPeriod=7)
    copy = res("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication", "dr", "us-west-2",
               sourceDbInstanceArn="arn:aws:rds:us-east-1:123456789012:db:summit-db", retentionPeriod=7)  # fmt: skip
    cost = estimate([primary, copy], {"rdsDailyChangeGb": 2})
    # stored (100 GB + 7 d × 2 GB) × $0.095 = 10.83; transfer 2 GB/d × 30 d × $0.02 = 1.20
    assert one(cost, "dr")["monthly"] == pytest.approx(10.83 + 1.20)


def test_bucket_storage_comes_from_its_data_class_tag_then_its_name_then_the_default():
    buckets = [
        res("aws:s3/bucket:Bucket", "b1", tags={"data-class": "audit"}),
        res("aws:s3/bucket:Bucket", "bucket-backups-primary"),
        res("aws:s3/bucket:Bucket", "misc", "us-west-2"),
    ]
    cost = estimate(buckets, {"s3StorageGb": {"audit-logs": 200, "backups": 1000, "default": 10}})
    assert one(cost, "b1")["monthly"] == pytest.approx(200 * 0.023)
    assert one(cost, "bucket-backups-primary")["monthly"] == pytest.approx(1000 * 0.023)
    assert one(cost, "misc")["monthly"] == pytest.approx(10 * 0.023)


def test_bucket_storage_class_comes_from_the_assumptions():
    cost = estimate([res("aws:s3/bucket:Bucket", "archive")],
                    {"s3StorageGb": {"archive": 1000}, "s3StorageClass": {"archive": "GLACIER_IR"}})  # fmt: skip
    assert one(cost, "archive")["monthly"] == pytest.approx(1000 * 0.004)


def test_a_bucket_without_a_storage_assumption_is_unpriced_not_zero():
    cost = estimate([res("aws:s3/bucket:Bucket", "data")], {})
    assert cost["items"] == [] and "s3StorageGb" in cost["unpriced"][0]["reason"]


def test_replication_with_rtc_bills_transfer_rtc_and_its_metrics():
    dest = {"bucket": "arn:aws:s3:::replica", "replicationTime": {"status": "Enabled", "time": {"minutes": 15}},
            "metrics": {"status": "Enabled"}}  # fmt: skip
    cfg = res(
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "data-replication", rules=[{"destination": dest}]
    )
    cost = estimate([cfg], {"s3ReplicationGbPerMonth": 100})
    # 100 GB × $0.02 transfer + 100 GB × $0.015 RTC + 4 metrics × $0.30
    assert one(cost, "data-replication")["monthly"] == pytest.approx(2.00 + 1.50 + 1.20)


def test_health_check_features_add_to_the_base_price():
    https_fast = {"type": "HTTPS", "requestInterval": 10, "measureLatency": True}
    checks = [
        res("aws:route53/healthCheck:HealthCheck", "aws", fqdn="gw-1.us-east-1.elb.amazonaws.com", **https_fast),
        res("aws:route53/healthCheck:HealthCheck", "ext", fqdn="status.example.org", **https_fast),
        res("aws:route53/healthCheck:HealthCheck", "plain", fqdn="gw.elb.amazonaws.com", type="HTTP"),
    ]
    cost = estimate(checks, {})
    assert one(cost, "aws")["monthly"] == pytest.approx(0.50 + 3 * 1.00)  # HTTPS, fast interval, latency
    assert one(cost, "ext")["monthly"] == pytest.approx(0.75 + 3 * 2.00)  # non-AWS endpoint rates
    assert one(cost, "plain")["monthly"] == pytest.approx(0.50)


def test_zone_created_by_the_stack_is_billed_and_alias_records_are_free():
    records = [
        res("aws:route53/zone:Zone", "zone"),
        res("aws:route53/record:Record", "alias", props={"name": "gw.example.com", "aliases": [{"name": "x.elb"}]}),
        res("aws:route53/record:Record", "cname", props={"name": "docs.example.com", "ttl": 300, "records": ["x"]}),
    ]
    cost = estimate(records, {"route53QueriesMillionsPerMonth": 10})
    assert one(cost, "zone")["monthly"] == 0.50
    assert one(cost, "alias")["monthly"] == 0 and "free" in one(cost, "alias")["basis"]
    assert one(cost, "cname")["monthly"] == pytest.approx(10 * 0.40)


def test_web_acl_counts_rules_requests_and_bot_control():
    bot = {"name": "bot", "statement": {"managedRuleGroupStatement": {
        "name": "AWSManagedRulesBotControlRuleSet", "vendorName": "AWS"}}}  # fmt: skip
    rules = [{"name": "rate", "statement": {"rateBasedStatement": {"limit": 2000}}}, {"name": "common"}, bot]
    cost = estimate([res("aws:wafv2/webAcl:WebAcl", "acl", rules=rules)], {"wafRequestsMillionsPerMonth": 10})
    # $5 ACL + 3 rules × $1 + 10 M × $0.60 + Bot Control $10 + 10 M × $1 (common)
    assert one(cost, "acl")["monthly"] == pytest.approx(5 + 3 + 6 + 10 + 10)


EDGE_ONLY = {"notStatement": {"statement": {"byteMatchStatement": {
    "searchString": "s", "positionalConstraint": "EXACTLY",
    "fieldToMatch": {"singleHeader": {"name": "x-origin-verify"}},
    "textTransformations": [{"priority": 0, "type": "NONE"}]}}}}  # fmt: skip


def _bot(scope_down=None):
    group = {"name": "AWSManagedRulesBotControlRuleSet", "vendorName": "AWS"}
    if scope_down is not None:
        group["scopeDownStatement"] = scope_down
    return {"name": "bot", "priority": 1, "statement": {"managedRuleGroupStatement": group}}


def test_scoped_down_bot_control_bills_only_the_requests_its_scope_down_lets_in():
    acl = res("aws:wafv2/webAcl:WebAcl", "alb", rules=[_bot(EDGE_ONLY)], scope="REGIONAL")
    cost = estimate(
        [acl], {"wafRequestsMillionsPerMonth": 100, "wafBotControlRequestsMillionsPerMonth": {"REGIONAL": 5}}
    )
    # $5 ACL + 1 rule + 100 M × $0.60 + Bot Control $10 + 5 M × $1
    assert one(cost, "alb")["monthly"] == pytest.approx(5 + 1 + 60 + 10 + 5)
    assert "wafBotControlRequestsMillionsPerMonth[REGIONAL]" in one(cost, "alb")["basis"]


def test_scoped_down_bot_control_without_a_stated_share_is_billed_for_every_request():
    acl = res("aws:wafv2/webAcl:WebAcl", "alb", rules=[_bot(EDGE_ONLY)])
    cost = estimate([acl], {"wafRequestsMillionsPerMonth": 100})
    assert one(cost, "alb")["monthly"] == pytest.approx(5 + 1 + 60 + 10 + 100)


def test_bot_control_without_a_scope_down_ignores_the_scoped_assumption():
    acl = res("aws:wafv2/webAcl:WebAcl", "edge", rules=[_bot()], scope="CLOUDFRONT")
    cost = estimate([acl], {"wafRequestsMillionsPerMonth": 100, "wafBotControlRequestsMillionsPerMonth": 5})
    assert one(cost, "edge")["monthly"] == pytest.approx(5 + 1 + 60 + 10 + 100)


def test_web_acl_basis_states_its_capacity_against_the_1500_wcu_base():
    cost = estimate(
        [res("aws:wafv2/webAcl:WebAcl", "alb", rules=[_bot(EDGE_ONLY)])], {"wafRequestsMillionsPerMonth": 1}
    )
    assert "52 WCU of the 1500 the base price covers" in one(cost, "alb")["basis"]  # Bot Control 50 + match 2


def test_web_acl_above_1500_wcu_names_the_unpriced_capacity_fee():
    common = {"name": "crs", "priority": 2, "statement": {"managedRuleGroupStatement": {
        "name": "AWSManagedRulesCommonRuleSet", "vendorName": "AWS"}}}  # fmt: skip
    rules = [common, {**common, "name": "crs2", "priority": 3}, {**common, "name": "crs3", "priority": 4}]
    cost = estimate([res("aws:wafv2/webAcl:WebAcl", "big", rules=rules)], {"wafRequestsMillionsPerMonth": 1})
    assert [u["reason"] for u in cost["unpriced"]] == ["2100 WCU: the fee per 500 WCU above 1500 is not in prices.json"]


def test_vended_log_groups_ingest_at_the_vended_logs_rate():
    prices = load_prices()
    figures = {**prices["figures"], "logs.vendedIngestGb": [{"value": 0.25, "region": "us-east-1"}]}
    group = "aws:cloudwatch/logGroup:LogGroup"
    groups = [
        res(group, "waf", props={"name": "aws-waf-logs-summit-prod-primary", "retentionInDays": 30}),
        res(group, "cdn", props={"name": "/aws/vendedlogs/cloudfront/x", "retentionInDays": 30}),
        res(group, "app", props={"name": "/app/api", "retentionInDays": 30}),
    ]
    cost = estimate(groups, {"cloudwatchLogsGbPerMonth": 10}, {**prices, "figures": figures})
    stored = 10 * 0.03  # 10 GB/month kept 30 days
    assert one(cost, "waf")["monthly"] == pytest.approx(10 * 0.25 + stored)
    assert one(cost, "cdn")["monthly"] == pytest.approx(10 * 0.25 + stored)
    assert one(cost, "app")["monthly"] == pytest.approx(10 * 0.50 + stored)


def test_waf_requests_can_differ_per_acl_so_the_idle_dr_region_is_not_billed_for_traffic():
    acls = [res("aws:wafv2/webAcl:WebAcl", "primary", rules=[]), res("aws:wafv2/webAcl:WebAcl", "dr", "us-west-2")]
    cost = estimate(acls, {"wafRequestsMillionsPerMonth": {"default": 10, "us-west-2": 0}})
    assert (one(cost, "primary")["monthly"], one(cost, "dr")["monthly"]) == (pytest.approx(11.0), 5.0)


def test_cloudfront_bills_requests_and_transfer_from_the_assumptions():
    cost = estimate([res("aws:cloudfront/distribution:Distribution", "cdn")],
                    {"cloudfrontRequestsMillionsPerMonth": 20, "cloudfrontTransferGbPerMonth": 100})  # fmt: skip
    assert one(cost, "cdn")["monthly"] == pytest.approx(20 * 1.00 + 100 * 0.085)


def test_alarms_are_billed_per_metric_and_resolution():
    alarms = [
        res("aws:cloudwatch/metricAlarm:MetricAlarm", "std", metricName="CPUUtilization", period=60),
        res("aws:cloudwatch/metricAlarm:MetricAlarm", "fast", metricName="Latency", period=10),
        res(
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "math",
            metricQueries=[
                {"id": "a", "metric": {"metricName": "A", "period": 60}},
                {"id": "b", "metric": {"metricName": "B", "period": 60}},
                {"id": "e", "expression": "a+b"},
            ],
        ),
    ]
    cost = estimate(alarms, {})
    assert [one(cost, n)["monthly"] for n in ("std", "fast", "math")] == [0.10, 0.30, 0.20]


def test_keys_and_secrets_have_their_monthly_fees():
    cost = estimate([res("aws:kms/key:Key", "k"), res("aws:secretsmanager/secret:Secret", "s", replicas=[{}])], {})
    assert (one(cost, "k")["monthly"], one(cost, "s")["monthly"]) == (1.0, 0.80)


def test_request_based_services_without_volume_assumptions_are_zero_with_an_explicit_basis():
    cost = estimate([res("aws:sqs/queue:Queue", "q"), res("aws:sns/topic:Topic", "t")], {})
    for name in ("q", "t"):
        assert one(cost, name)["monthly"] == 0 and "per million" in one(cost, name)["basis"]
    priced = estimate([res("aws:sqs/queue:Queue", "q")], {"sqsRequestsMillionsPerMonth": 5})
    assert one(priced, "q")["monthly"] == pytest.approx(5 * 0.40)


def test_log_groups_without_an_ingestion_assumption_are_unpriced():
    cost = estimate([res("aws:cloudwatch/logGroup:LogGroup", "logs", retentionInDays=90)], {})
    assert "cloudwatchLogsGbPerMonth" in cost["unpriced"][0]["reason"]
    priced = estimate([res("aws:cloudwatch/logGroup:LogGroup", "logs", retentionInDays=30)],
                      {"cloudwatchLogsGbPerMonth": 10})  # fmt: skip
    assert one(priced, "logs")["monthly"] == pytest.approx(10 * 0.50 + 10 * 0.03)


def test_unknown_types_go_to_unpriced():
    cost = estimate([res("aws:sfn/stateMachine:StateMachine", "sm")], {})
    assert cost["unpriced"] == [{"urn": res("aws:sfn/stateMachine:StateMachine", "sm")["urn"],
                                 "type": "aws:sfn/stateMachine:StateMachine",
                                 "reason": "no price model for aws:sfn/stateMachine:StateMachine"}]  # fmt: skip


def test_a_region_switch_plan_bills_its_monthly_plan_fee():
    cost = estimate([res("aws:arcregionswitch/plan:Plan", "plan")], {})
    assert one(cost, "plan")["monthly"] == 70.0 and "Region switch plan" in one(cost, "plan")["basis"]


def test_a_function_invoked_only_by_a_failover_is_zero_with_its_rates_shown():
    fn = res("aws:lambda/function:Function", "writer", architectures=["arm64"], memorySize=128, timeout=60)
    item = one(estimate([fn], {}), "writer")
    assert item["monthly"] == 0 and "$0.0000133334 per GB-second (arm64)" in item["basis"]


def test_a_function_with_an_invocation_assumption_bills_requests_and_gb_seconds():
    fn = res("aws:lambda/function:Function", "worker", architectures=["arm64"], memorySize=1024, timeout=60)
    cost = estimate([fn], {"lambdaInvocationsPerMonth": 2_000_000, "lambdaAverageSeconds": 0.5})
    # 2 M × 0.5 s × 1 GB × $0.0000133334 = $13.33; 2 M requests × $0.20 = $0.40
    assert one(cost, "worker")["monthly"] == pytest.approx(13.33 + 0.40, abs=0.01)


def test_kubernetes_objects_are_unpriced_because_they_run_on_existing_nodes():
    cost = estimate([res("kubernetes:velero.io/v1:Schedule", "nightly", None)], {})
    assert cost["unpriced"][0]["reason"] == "runs on existing cluster nodes (see Kubecost)"


def test_providers_and_components_are_left_out_and_free_resources_are_zero_with_their_reason():
    cost = estimate(
        [res("pulumi:providers:aws", "primary"), res("summit:storage:ReplicatedBucket", "data", None),
         res("aws:iam/role:Role", "role"), res("aws:s3/bucketVersioning:BucketVersioning", "v")], {})  # fmt: skip
    assert [i["name"] for i in cost["items"]] == ["role", "v"] and cost["unpriced"] == []
    assert all(i["monthly"] == 0 and i["basis"].startswith("free: ") for i in cost["items"])


@pytest.mark.parametrize("unknown", [UNKNOWN, "<computed>"])
def test_values_unknown_at_preview_are_unpriced_not_a_crash(unknown):
    cost = estimate([db(instanceClass=unknown), res("aws:s3/bucket:Bucket", "b", unknown)], {"s3StorageGb": 10})
    assert cost["items"] == []
    assert {u["reason"] for u in cost["unpriced"]} == {"instanceClass not known until deploy",
                                                      "region not known until deploy"}  # fmt: skip


# --- AWS Backup -------------------------------------------------------------------------------------------------

DR_VAULT_ARN = "arn:aws:backup:us-west-2:123456789012:backup-vault:v-west"


def backup_stack(copy_days=14):
    """A 100 GB database, its snapshot plan (35 days) copying to a DR vault (`copy_days`), both vaults."""
    plan = {**res("aws:backup/plan:Plan", "plan", props={"name": "plan"}, rules=[{
        "ruleName": "daily", "targetVaultName": "v-east", "schedule": "cron(0 5 * * ? *)",
        "lifecycle": {"deleteAfter": 35},
        "copyActions": [{"destinationVaultArn": DR_VAULT_ARN, "lifecycle": {"deleteAfter": copy_days}}]}]),
        "id": "plan-id"}  # fmt: skip
    return [
        db(identifier="summit-db", backupRetentionPeriod=7),
        res("aws:backup/vault:Vault", "vault-east", props={"name": "v-east"}),
        res("aws:backup/vault:Vault", "vault-west", "us-west-2", props={"name": "v-west"}),
        plan,
        res(
            "aws:backup/selection:Selection",
            "sel",
            planId="plan-id",
            resources=["arn:aws:rds:us-east-1:123456789012:db:summit-db"],
        ),
    ]


def test_a_vault_bills_the_full_snapshot_plus_the_daily_changes_it_keeps():
    cost = estimate(backup_stack(), {"rdsDailyChangeGb": 5})
    # (100 GB + 35 days × 5 GB) × $0.095 in the vault's region
    assert one(cost, "vault-east")["monthly"] == pytest.approx(275 * 0.095, abs=0.005)
    assert "275 GB in us-east-1" in one(cost, "vault-east")["basis"]


def test_the_dr_vault_bills_the_copies_it_receives_for_the_copys_own_retention():
    cost = estimate(backup_stack(copy_days=14), {"rdsDailyChangeGb": 5})
    assert one(cost, "vault-west")["monthly"] == pytest.approx((100 + 14 * 5) * 0.095, abs=0.005)
    assert one(cost, "vault-west")["basis"].startswith("copies from us-east-1 of db: ")


def test_the_plan_bills_each_days_changes_sent_to_the_other_region():
    cost = estimate(backup_stack(), {"rdsDailyChangeGb": 5})
    assert one(cost, "plan")["monthly"] == pytest.approx(5 * 30 * 0.02)  # incremental copies, $0.02/GB


def test_a_vault_nothing_stores_into_is_free_with_its_rate_in_the_basis():
    cost = estimate([res("aws:backup/vault:Vault", "idle", props={"name": "idle"})], {})
    assert one(cost, "idle")["monthly"] == 0 and "$0.095 per GB-month" in one(cost, "idle")["basis"]


def test_a_restore_test_bills_the_job_and_the_restored_instance_for_restore_plus_validation_window():
    plan = res("aws:backup/restoreTestingPlan:RestoreTestingPlan", "rt", "us-west-2",
               scheduleExpression="cron(0 6 ? * SUN *)")  # fmt: skip
    selection = res("aws:backup/restoreTestingSelection:RestoreTestingSelection", "rts", "us-west-2",
                    validationWindowHours=2)  # fmt: skip
    cost = estimate([db(backupRetentionPeriod=7), plan, selection], {})
    hours = 1 + 2  # restore, then the validation window at most
    per_run = 1.5 + hours * 0.225 + 100 * 0.115 * hours / 730
    assert one(cost, "rt")["monthly"] == pytest.approx(30 / 7 * per_run, abs=0.005)
    assert one(cost, "rts")["monthly"] == 0
    measured = estimate([db(backupRetentionPeriod=7), plan, selection], {"restoreTestHoursPerRun": 1.5})
    assert one(measured, "rt")["monthly"] < one(cost, "rt")["monthly"]


def test_the_audit_framework_bills_daily_control_evaluations_and_names_aws_config_as_unmodelled():
    controls = [{"name": f"C{i}"} for i in range(8)]
    cost = estimate([res("aws:backup/framework:Framework", "fw", controls=controls)], {})
    assert one(cost, "fw")["monthly"] == pytest.approx(8 * 31 * 0.00125, abs=0.005)
    assert [u["reason"] for u in cost["unpriced"]] == [
        "AWS Config recording of the AWS Backup resource types (account prerequisite) not modelled"
    ]


def test_a_lambda_is_free_without_an_invocation_assumption_and_priced_by_duration_with_one():
    fn = res("aws:lambda/function:Function", "fn", props={"name": "validator"}, timeout=300, memorySize=256,
             architectures=["arm64"])  # fmt: skip
    assert one(estimate([fn], {}), "fn")["monthly"] == 0
    priced = estimate([fn], {"lambdaInvocationsPerMonth": {"validator": 1000}})
    # 1000 × 300 s × 0.25 GB × $0.0000133334 + 1000 requests × $0.20 per million
    assert one(priced, "fn")["monthly"] == pytest.approx(1000 * 300 * 0.25 * 0.0000133334 + 0.0002, abs=0.005)


def test_total_is_the_sum_of_the_items():
    cost = estimate([db(), res("aws:kms/key:Key", "k"), res("aws:route53/zone:Zone", "z")], {})
    assert cost["total"] == pytest.approx(sum(i["monthly"] for i in cost["items"]), abs=0.005)
    assert cost["currency"] == "USD"


def test_every_price_figure_says_its_unit_region_source_and_date():
    prices = load_prices()
    for key, rows in prices["figures"].items():
        for row in rows:
            assert row["value"] >= 0 and row["unit"] and row["taken"], key
            assert row["region"] in ("us-east-1", "us-west-2", "global"), key
            assert "https://" in row["source"], key
    r6g = prices["figures"]["rds.instanceHour.postgres.db.r6g.large"]
    assert {r["region"] for r in r6g} == {"us-east-1", "us-west-2"}


# --- the real program ---------------------------------------------------------------------------------

ASSUMPTIONS = {
    "s3StorageGb": {"default": 100, "data": 500},
    "s3ReplicationGbPerMonth": 50,
    "wafRequestsMillionsPerMonth": 10,
    "cloudfrontRequestsMillionsPerMonth": 10,
    "cloudfrontTransferGbPerMonth": 100,
    "route53QueriesMillionsPerMonth": 5,
}
# Types the model prices from their properties alone: in a real stack they must never come out at $0.
ALWAYS_BILLED = {
    RDS, "aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:route53/healthCheck:HealthCheck", "aws:wafv2/webAcl:WebAcl",
    "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:secretsmanager/secret:Secret",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "aws:backup/vault:Vault", "aws:backup/plan:Plan",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan", "aws:backup/framework:Framework",
}  # fmt: skip


@pytest.fixture(scope="module")
def prod():
    run = run_stack("prod")
    resources = [{"type": r.type, "urn": r.urn, "name": r.name, "region": r.region, "props": r.inputs,
                  "protect": r.protect} for r in run.resources]  # fmt: skip
    return resources, estimate(resources, ASSUMPTIONS)


def test_prod_stack_has_a_positive_total_and_nothing_known_priced_is_silently_zero(prod):
    _, cost = prod
    assert cost["total"] > 0
    billed = [i for i in cost["items"] if i["type"] in ALWAYS_BILLED]
    assert billed, "the prod stack has resources the model always bills"
    assert [i["name"] for i in billed if i["monthly"] <= 0] == []
    assert all(i["monthly"] > 0 or i["basis"] for i in cost["items"])


def test_prod_stack_accounts_for_every_cloud_resource_and_prices_every_modelled_type(prod):
    resources, cost = prod
    listed = {i["urn"] for i in cost["items"]} | {u["urn"] for u in cost["unpriced"]}
    cloud = {r["urn"] for r in resources if r["type"].split(":")[0] in ("aws", "kubernetes")}
    assert cloud <= listed
    assert [u for u in cost["unpriced"] if u["type"] in PRICERS and "no price model" in u["reason"]] == []
