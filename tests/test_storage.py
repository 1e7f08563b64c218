"""ReplicatedBucket: versioned, encrypted, private bucket pairs replicated with RTC; lifecycle; object lock."""

import json

import pytest

from components.alerting import OperationsAlerts, OperationsAlertsArgs
from components.storage import ReplicatedBucket, ReplicatedBucketArgs
from preflight.engine import ProgramError
from tests.harness import run_component, run_stack

BUCKET = "aws:s3/bucket:Bucket"
PURPOSES = ["backups", "audit-logs", "data", "archive"]


def build(s, p):
    c, d = s.core, s.data
    ops = OperationsAlerts("ops", OperationsAlertsArgs(), provider=p.primary)
    return {
        purpose: ReplicatedBucket(
            purpose,
            ReplicatedBucketArgs(
                purpose=purpose,
                primary_bucket_name=f"summit-{c.environment}-{purpose}-{c.primary_region}",
                replica_bucket_name=f"summit-{c.environment}-{purpose}-{c.dr_region}",
                noncurrent_retention_days=d.bucket_noncurrent_retention_days,
                alarm_topic_arn=ops.topic.arn,
                object_lock_days=d.audit_log_object_lock_days if purpose == "audit-logs" else None,
                production_like=c.is_production_like,
            ),
            primary=p.primary,
            dr=p.dr,
        )
        for purpose in d.bucket_purposes
    }


@pytest.fixture(scope="module")
def prod():
    return run_component(build, "prod")


@pytest.fixture(scope="module")
def dev():
    return run_component(build, "dev")


def of(run, type_, bucket):
    """The one resource of a type that configures this bucket (by the bucket's id)."""
    (found,) = [r for r in run.all(type_) if r.inputs.get("bucket") == bucket.id]
    return found


def pairs(run):
    return [(run.one(BUCKET, f"{p}-primary"), run.one(BUCKET, f"{p}-replica")) for p in PURPOSES]


def buckets(run):
    return [b for pair in pairs(run) for b in pair]


def test_every_pair_has_its_primary_in_us_east_1_and_replica_in_us_west_2(prod):
    assert [(a.region, b.region) for a, b in pairs(prod)] == [("us-east-1", "us-west-2")] * 4


def test_every_bucket_is_versioned(prod):
    for b in buckets(prod):
        assert of(prod, "aws:s3/bucketVersioning:BucketVersioning", b).inputs["versioningConfiguration"] == {
            "status": "Enabled"
        }


def test_every_bucket_is_sse_kms_with_a_key_in_its_own_region_and_bucket_keys(prod):
    keys = {k.outputs["arn"]: k for k in prod.all("aws:kms/key:Key")}
    for b in buckets(prod):
        sse = of(prod, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", b)
        (rule,) = sse.inputs["rules"]
        default = rule["applyServerSideEncryptionByDefault"]
        assert default["sseAlgorithm"] == "aws:kms"
        assert keys[default["kmsMasterKeyId"]].region == b.region
        assert rule["bucketKeyEnabled"] is True


def test_every_bucket_blocks_all_public_access(prod):
    for b in buckets(prod):
        block = of(prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", b).inputs
        assert [
            block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        ] == [True] * 4


def test_every_bucket_enforces_bucket_owner_and_disables_acls(prod):
    for b in buckets(prod):
        rule = of(prod, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", b).inputs["rule"]
        assert rule == {"objectOwnership": "BucketOwnerEnforced"}


def test_every_bucket_denies_requests_without_tls(prod):
    for b in buckets(prod):
        (statement,) = json.loads(of(prod, "aws:s3/bucketPolicy:BucketPolicy", b).inputs["policy"])["Statement"]
        assert (statement["Effect"], statement["Principal"], statement["Action"]) == ("Deny", "*", "s3:*")
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert statement["Resource"] == [b.outputs["arn"], b.outputs["arn"] + "/*"]


def replication_rule(run, purpose):
    config = of(run, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", run.one(BUCKET, f"{purpose}-primary"))
    (rule,) = config.inputs["rules"]
    return config, rule


@pytest.mark.parametrize("purpose", PURPOSES)
def test_replication_goes_to_the_replica_with_rtc_15_minutes_and_metrics(prod, purpose):
    _, rule = replication_rule(prod, purpose)
    destination = rule["destination"]
    assert destination["bucket"] == prod.one(BUCKET, f"{purpose}-replica").outputs["arn"]
    assert destination["replicationTime"] == {"status": "Enabled", "time": {"minutes": 15}}
    assert destination["metrics"] == {"status": "Enabled", "eventThreshold": {"minutes": 15}}


def test_replication_covers_every_object_and_delete_markers(prod):
    _, rule = replication_rule(prod, "data")
    assert rule["status"] == "Enabled"
    assert rule["filter"] == {"prefix": ""}
    assert rule["deleteMarkerReplication"] == {"status": "Enabled"}


def test_replication_reencrypts_sse_kms_objects_with_the_dr_key(prod):
    _, rule = replication_rule(prod, "backups")
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    dr_key = prod.one("aws:kms/key:Key", "backups-replica-key")
    assert dr_key.region == "us-west-2"
    assert rule["destination"]["encryptionConfiguration"] == {"replicaKmsKeyId": dr_key.outputs["arn"]}


def test_replication_waits_for_versioning_on_both_buckets(prod):
    config, _ = replication_rule(prod, "archive")
    versionings = [
        of(prod, "aws:s3/bucketVersioning:BucketVersioning", prod.one(BUCKET, f"archive-{side}"))
        for side in ("primary", "replica")
    ]
    assert {v.urn for v in versionings} <= set(config.dependencies)


def test_replication_starts_only_after_the_role_policy_exists(prod):
    # S3 does not retry a failed replication: objects written before the role may act would stay FAILED.
    config, _ = replication_rule(prod, "data")
    assert prod.one("aws:iam/rolePolicy:RolePolicy", "data-replication").urn in config.dependencies


def test_replication_role_may_only_touch_its_two_buckets_and_two_keys(prod):
    config, _ = replication_rule(prod, "data")
    role = prod.one("aws:iam/role:Role", "data-replication")
    assert config.inputs["role"] == role.outputs["arn"]
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    policy = json.loads(prod.one("aws:iam/rolePolicy:RolePolicy", "data-replication").inputs["policy"])
    src, dst = (prod.one(BUCKET, f"data-{side}").outputs["arn"] for side in ("primary", "replica"))
    keys = {prod.one("aws:kms/key:Key", f"data-{side}-key").outputs["arn"] for side in ("primary", "replica")}
    resources = set()
    for st in policy["Statement"]:
        assert st["Effect"] == "Allow"
        assert "*" not in json.dumps(st["Action"]).replace("s3:*", "")
        resources |= set(st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])
    assert resources == {src, src + "/*", dst + "/*"} | keys


def test_replication_role_reads_object_lock_retention_only_for_the_audit_bucket(prod):
    def reads(purpose):
        policy = json.loads(prod.one("aws:iam/rolePolicy:RolePolicy", f"{purpose}-replication").inputs["policy"])
        return {a for st in policy["Statement"] for a in st["Action"] if isinstance(st["Action"], list)}

    assert {"s3:GetObjectRetention", "s3:GetObjectLegalHold"} <= reads("audit-logs")
    assert "s3:GetObjectRetention" not in reads("data")


def lifecycle(run, bucket_name):
    config = of(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", run.one(BUCKET, bucket_name))
    (rule,) = config.inputs["rules"]
    return rule


@pytest.mark.parametrize("side", ["primary", "replica"])
def test_audit_logs_tier_to_ia_glacier_and_deep_archive_per_seed_002(prod, side):
    transitions = [(t["days"], t["storageClass"]) for t in lifecycle(prod, f"audit-logs-{side}")["transitions"]]
    assert transitions == [(90, "STANDARD_IA"), (365, "GLACIER"), (730, "DEEP_ARCHIVE")]


@pytest.mark.parametrize(
    ("purpose", "expected"),
    [
        ("backups", [(30, "STANDARD_IA")]),
        ("data", [(90, "STANDARD_IA")]),
        ("archive", [(90, "STANDARD_IA"), (365, "GLACIER")]),
    ],
)
def test_other_purposes_tier_by_their_own_rules(prod, purpose, expected):
    assert [(t["days"], t["storageClass"]) for t in lifecycle(prod, f"{purpose}-primary")["transitions"]] == expected


def test_noncurrent_versions_expire_after_the_configured_retention_on_both_sides(prod):
    for b in buckets(prod):
        assert lifecycle(prod, b.name)["noncurrentVersionExpiration"] == {"noncurrentDays": 90}


def test_noncurrent_retention_follows_the_stack(dev):
    assert lifecycle(dev, "data-replica")["noncurrentVersionExpiration"] == {"noncurrentDays": 7}


def test_incomplete_multipart_uploads_are_aborted_after_7_days(prod):
    for b in buckets(prod):
        assert lifecycle(prod, b.name)["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


def test_object_lock_is_enabled_at_creation_only_for_the_audit_log_buckets(prod):
    locked = sorted(b.name for b in prod.all(BUCKET) if b.inputs["objectLockEnabled"])
    assert locked == ["audit-logs-primary", "audit-logs-replica"]


def test_audit_log_buckets_lock_objects_in_compliance_mode_for_the_configured_days(prod):
    locks = prod.all("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    audit = {prod.one(BUCKET, f"audit-logs-{side}").id for side in ("primary", "replica")}
    assert {lock.inputs["bucket"] for lock in locks} == audit
    for lock in locks:
        assert lock.inputs["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 365}}


def test_object_lock_days_follow_the_stack(dev):
    (lock, _) = dev.all("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock.inputs["rule"]["defaultRetention"]["days"] == 1


@pytest.mark.parametrize(
    ("purpose", "data_class"),
    [("backups", "backups"), ("audit-logs", "audit"), ("data", "data"), ("archive", "archive")],
)
def test_buckets_carry_the_data_class_tag_the_policies_key_on(prod, purpose, data_class):
    for side in ("primary", "replica"):
        assert prod.one(BUCKET, f"{purpose}-{side}").inputs["tags"]["data-class"] == data_class


def test_replication_alarms_fire_on_failures_and_latency_past_15_minutes(prod):
    alarms = {
        a.inputs["metricName"]: a
        for a in prod.all("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.name.startswith("data-")
    }
    assert alarms["OperationsFailedReplication"].inputs["threshold"] == 0
    assert alarms["ReplicationLatency"].inputs["threshold"] == 900
    assert alarms["ReplicationLatency"].inputs["comparisonOperator"] == "GreaterThanThreshold"
    assert alarms["ReplicationLatency"].inputs["dimensions"] == {
        "SourceBucket": "summit-prod-data-us-east-1",
        "DestinationBucket": "summit-prod-data-us-west-2",
        "RuleId": "all-objects-to-dr",
    }


def test_replication_alarms_live_in_the_source_region_and_notify_the_ops_topic(prod):
    topic = prod.one("aws:sns/topic:Topic", "ops-topic")
    for a in prod.all("aws:cloudwatch/metricAlarm:MetricAlarm"):
        assert a.region == "us-east-1"
        assert a.inputs["alarmActions"] == [topic.outputs["arn"]]


def test_buckets_and_keys_are_protected_in_prod(prod):
    assert all(r.protect for r in prod.all(BUCKET) + prod.all("aws:kms/key:Key"))


def test_nothing_is_protected_in_dev(dev):
    assert not any(r.protect for r in dev.resources)


def test_only_the_configured_purposes_get_buckets():
    overrides = {"bucketPurposes": ["backups", "data"], "auditTrailDataEventBuckets": []}  # no audit-logs: no trail
    run = run_component(build, "stage", overrides=overrides)
    assert sorted(b.name for b in run.all(BUCKET)) == [
        "backups-primary",
        "backups-replica",
        "data-primary",
        "data-replica",
    ]


def test_an_unknown_purpose_is_refused_by_the_component():
    with pytest.raises(ProgramError, match="unknown bucket purpose 'logs'"):
        run_component(
            lambda s, p: ReplicatedBucket(
                "x",
                ReplicatedBucketArgs("logs", "a", "b", 1, "arn:aws:sns:us-east-1:1:t"),
                primary=p.primary,
                dr=p.dr,
            ),
            "dev",
        )


# --- the whole program: the `buckets` contract ---


@pytest.fixture(scope="module")
def program():
    return run_stack("stage")


def test_program_exports_every_bucket_pair_by_purpose(program):
    out = program.outputs["buckets"]
    assert sorted(out) == sorted(PURPOSES)
    backups = out["backups"]
    assert backups == {
        "primaryBucket": "summit-stage-backups-us-east-1-321098765432",
        "primaryArn": "arn:aws:s3:::summit-stage-backups-us-east-1-321098765432",
        "primaryRegion": "us-east-1",
        "replicaBucket": "summit-stage-backups-us-west-2-321098765432",
        "replicaArn": "arn:aws:s3:::summit-stage-backups-us-west-2-321098765432",
        "replicaRegion": "us-west-2",
    }


def test_program_bucket_names_fit_s3s_63_character_limit(program):
    for pair in program.outputs["buckets"].values():
        assert len(pair["primaryBucket"]) <= 63 and len(pair["replicaBucket"]) <= 63


def test_program_builds_no_deprecated_s3_resources(program):
    assert [w for w in program.warnings() if "deprecated" in w] == []
