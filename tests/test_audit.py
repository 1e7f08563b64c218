"""AuditTrail: a multi-region, validated, KMS-encrypted CloudTrail trail into the locked, replicated audit bucket."""

import json

import pytest

from policy.cost import estimate
from policy.recovery import recovery_budget
from preflight.render import _recovery_lines
from settings import ConfigError
from tests.harness import run_stack, stack_settings

TRAIL = "aws:cloudtrail/trail:Trail"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
STAGE_TRAIL_ARN = "arn:aws:cloudtrail:us-east-1:321098765432:trail/summit-stage-audit"


def statements(resource, key="policy"):
    return {s.get("Sid"): s for s in json.loads(resource.inputs[key])["Statement"]}


def test_trail_records_every_region_with_log_file_validation_and_its_own_key(stage):
    trail = stage.one(TRAIL)
    assert trail.inputs["name"] == "summit-stage-audit"
    assert trail.inputs["isMultiRegionTrail"] is True
    assert trail.inputs["includeGlobalServiceEvents"] is True
    assert trail.inputs["enableLogFileValidation"] is True
    assert trail.inputs["kmsKeyId"] == stage.one("aws:kms/key:Key", "audit-trail-key").outputs["arn"]


def test_trail_delivers_into_the_object_locked_audit_bucket(stage):
    bucket = stage.one("aws:s3/bucket:Bucket", "bucket-audit-logs-primary")
    assert stage.one(TRAIL).inputs["s3BucketName"] == bucket.inputs["bucket"]
    assert bucket.inputs["objectLockEnabled"] is True


def test_audit_bucket_policy_admits_cloudtrail_only_for_this_trail(stage):
    policy = statements(stage.one(POLICY, "bucket-audit-logs-primary-tls-only"))
    acl, write = policy["CloudTrailAclCheck"], policy["CloudTrailWrite"]
    assert acl["Principal"] == write["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert acl["Condition"] == {"StringEquals": {"aws:SourceArn": STAGE_TRAIL_ARN}}
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == STAGE_TRAIL_ARN
    assert write["Resource"].endswith("/AWSLogs/321098765432/*")
    assert write["Action"] == "s3:PutObject"


def test_no_other_bucket_policy_admits_cloudtrail(stage):
    others = [p for p in stage.all(POLICY) if p.name != "bucket-audit-logs-primary-tls-only"]
    assert others and all("cloudtrail" not in p.inputs["policy"] for p in others)


def test_trail_key_admits_cloudtrail_only_for_this_trail_and_this_accounts_trail_context(stage):
    policy = statements(stage.one("aws:kms/key:Key", "audit-trail-key"))
    encrypt = policy["CloudTrailEncryptsThisTrailsLogs"]
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"]["StringEquals"] == {"aws:SourceArn": STAGE_TRAIL_ARN}
    assert encrypt["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:321098765432:trail/*"
    }
    assert policy["CloudTrailDescribesTheKey"]["Condition"] == {"StringEquals": {"aws:SourceArn": STAGE_TRAIL_ARN}}
    assert policy["AccountAdministersTheKey"]["Principal"] == {"AWS": "arn:aws:iam::321098765432:root"}


def test_audit_replication_role_may_decrypt_trail_logs_through_s3(stage):
    grant = stage.one("aws:iam/rolePolicy:RolePolicy", "audit-trail-replication-decrypt")
    assert grant.inputs["role"] == stage.one("aws:iam/role:Role", "bucket-audit-logs-replication").outputs["name"]
    (statement,) = statements(grant).values()
    assert statement["Resource"] == stage.one("aws:kms/key:Key", "audit-trail-key").outputs["arn"]
    assert statement["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}


def test_trail_waits_for_the_bucket_policy_and_the_replication_grant(stage):
    deps = stage.one(TRAIL).dependencies
    assert stage.one(POLICY, "bucket-audit-logs-primary-tls-only").urn in deps
    assert stage.one("aws:iam/rolePolicy:RolePolicy", "audit-trail-replication-decrypt").urn in deps


def test_stage_records_s3_data_events_of_the_data_and_audit_buckets_in_both_regions(stage):
    selectors = stage.one(TRAIL).inputs["advancedEventSelectors"]
    (data,) = [s for s in selectors if {"field": "eventCategory", "equals": ["Data"]} in s["fieldSelectors"]]
    (arns,) = [f["startsWiths"] for f in data["fieldSelectors"] if f["field"] == "resources.ARN"]
    buckets = stage.outputs["buckets"]
    assert sorted(arns) == sorted(
        f"{buckets[p][side]}/" for p in ("data", "audit-logs") for side in ("primaryArn", "replicaArn")
    )


def test_dev_records_management_events_only():
    run = run_stack("dev")
    (selector,) = run.one(TRAIL).inputs["advancedEventSelectors"]
    assert selector["fieldSelectors"] == [{"field": "eventCategory", "equals": ["Management"]}]


def test_stack_exports_the_trail_arn(stage):
    assert stage.outputs["auditTrailArn"] == STAGE_TRAIL_ARN


def test_data_events_for_a_bucket_the_stack_does_not_create_is_one_clear_line():
    with pytest.raises(ConfigError) as e:
        stack_settings("stage", {"bucketPurposes": ["backups", "audit-logs"]})
    assert "auditTrailDataEventBuckets" in str(e.value) and "data" in str(e.value)
    assert "\n" not in str(e.value)


def trail_resource(**props):
    return {"type": TRAIL, "urn": "urn:pulumi:t::p::aws:cloudtrail/trail:Trail::trail", "name": "trail",
            "region": "us-east-1", "props": props, "protect": False}  # fmt: skip


def test_cost_of_a_management_only_trail_is_zero_the_first_copy_is_free():
    (item,) = estimate([trail_resource(advancedEventSelectors=[])], {})["items"]
    assert item["monthly"] == 0 and "first copy free" in item["basis"]


def test_cost_of_data_events_is_a_dollar_per_million():
    data = {"fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}]}
    (item,) = estimate([trail_resource(advancedEventSelectors=[data])], {"cloudtrailDataEventsMillionsPerMonth": 5})[
        "items"
    ]
    assert item["monthly"] == 5.0


def test_data_events_without_a_volume_assumption_are_unpriced_not_guessed():
    data = {"fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}]}
    result = estimate([trail_resource(advancedEventSelectors=[data])], {})
    assert "cloudtrailDataEventsMillionsPerMonth" in result["unpriced"][0]["reason"]


def test_recovery_report_names_the_trail_and_how_its_bucket_keeps_it(stage):
    resources = [
        {"type": r.type, "urn": r.urn, "name": r.name, "region": r.region, "props": r.inputs, "protect": r.protect}
        for r in stage.resources
    ]
    (trail,) = recovery_budget(resources, {})["auditTrails"]
    assert trail["trail"] == "summit-stage-audit"
    assert (trail["multiRegion"], trail["logFileValidation"], trail["kmsEncrypted"]) == (True, True, True)
    assert (trail["objectLockDays"], trail["replicated"]) == (365, True)
    lines = _recovery_lines(recovery_budget(resources, {}))
    assert any(line.startswith("  Audit trail summit-stage-audit → s3://summit-stage-audit-logs-") for line in lines)


def test_recovery_report_says_when_no_trail_keeps_the_audit_log():
    lines = _recovery_lines(recovery_budget([], {}))
    assert "  Audit trail: none in this stack (no CloudTrail trail delivers into an audit bucket)" in lines
