"""ReplicatedBucket: versioned, encrypted, private bucket pairs replicated with RTC; lifecycle; object lock."""

import json

import pytest

from components.alerting import AlarmTopics
from components.storage import (
    AccessLogBucket,
    AccessLogBucketArgs,
    BucketWriter,
    ReplicatedBucket,
    ReplicatedBucketArgs,
)
from preflight.engine import ProgramError
from tests.harness import operations_alerts, run_component, run_stack

BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"
PURPOSES = ["backups", "audit-logs", "data", "archive"]
# Fixed topic ARNs for argument-level tests that never reach an alarm.
TOPICS = AlarmTopics("us-east-1", "arn:aws:sns:us-east-1:1:critical", "arn:aws:sns:us-east-1:1:warning")


def build(s, p):
    c = s.core
    ops = operations_alerts("ops", p.primary, c.primary_region)
    logs = [
        AccessLogBucket(f"logs-{side}", AccessLogBucketArgs.from_settings(s, region), provider=provider)
        for side, region, provider in (("primary", c.primary_region, p.primary), ("dr", c.dr_region, p.dr))
    ]
    return {
        purpose: ReplicatedBucket(
            purpose,
            ReplicatedBucketArgs.from_settings(
                s, purpose, alarm_topics=ops.topics, access_log_buckets=(logs[0].bucket_name, logs[1].bucket_name)
            ),
            primary=p.primary,
            dr=p.dr,
        )
        for purpose in s.data.bucket_purposes
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


def test_every_data_bucket_is_versioned(prod):
    for b in buckets(prod):
        assert of(prod, "aws:s3/bucketVersioning:BucketVersioning", b).inputs["versioningConfiguration"] == {
            "status": "Enabled"
        }


def test_every_data_bucket_is_sse_kms_with_a_key_in_its_own_region_and_bucket_keys(prod):
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
    locked = sorted(b.name for b in prod.all(BUCKET) if b.inputs.get("objectLockEnabled"))
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
        "SourceBucket": "summit-prod-data-us-east-1-432109876543",
        "DestinationBucket": "summit-prod-data-us-west-2-432109876543",
        "RuleId": "all-objects-to-dr",
    }


def test_replication_alarms_live_in_the_source_region_and_notify_the_warning_topic(prod):
    topic = prod.one("aws:sns/topic:Topic", "ops-warning")
    for a in prod.all("aws:cloudwatch/metricAlarm:MetricAlarm"):
        assert a.region == "us-east-1"
        assert a.inputs["alarmActions"] == [topic.outputs["arn"]]


def test_buckets_and_keys_are_protected_in_prod(prod):
    assert all(r.protect for r in prod.all(BUCKET) + prod.all("aws:kms/key:Key"))


def test_nothing_is_protected_in_dev(dev):
    assert not any(r.protect for r in dev.resources)


def test_only_the_configured_purposes_get_buckets():
    # Without AWS Backup (dev only), audit-logs is optional too: no reports, and no trail, go there.
    overrides = {"bucketPurposes": ["backups", "data"], "awsBackupEnabled": False, "auditTrailDataEventBuckets": []}
    run = run_component(build, "dev", overrides=overrides)
    assert sorted(b.name for b in run.all(BUCKET)) == [
        "backups-primary",
        "backups-replica",
        "data-primary",
        "data-replica",
        "logs-dr",
        "logs-primary",
    ]


def test_an_unknown_purpose_is_refused_by_the_component():
    with pytest.raises(ProgramError, match="unknown bucket purpose 'logs'"):
        run_component(
            lambda s, p: ReplicatedBucket(
                "x",
                ReplicatedBucketArgs("logs", "a", "b", 1, TOPICS, "111111111111", ("l", "l")),
                primary=p.primary,
                dr=p.dr,
            ),
            "dev",
        )


# --- explicit key policies on the bucket keys ---


def key_statements(run, key_name):
    return {st["Sid"]: st for st in json.loads(run.one("aws:kms/key:Key", key_name).inputs["policy"])["Statement"]}


@pytest.mark.parametrize("side", ["primary", "replica"])
def test_bucket_keys_are_administered_by_the_account_and_used_only_through_s3_in_their_region(prod, side):
    region = {"primary": "us-east-1", "replica": "us-west-2"}[side]
    statements = key_statements(prod, f"data-{side}-key")
    admin = statements["KeyAdministrationByTheAccount"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::432109876543:root"}
    assert not {"kms:*", "kms:Decrypt", "kms:GenerateDataKey*"} & set(admin["Action"])
    assert statements["UseThroughS3"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com", "kms:CallerAccount": "432109876543"}
    }


def test_source_key_lets_the_replication_role_only_decrypt_through_s3(prod):
    role = prod.one("aws:iam/role:Role", "data-replication")
    st = key_statements(prod, "data-primary-key")["ReplicationRoleReadsSourceObjects"]
    assert (st["Principal"], st["Action"]) == ({"AWS": role.outputs["arn"]}, ["kms:Decrypt"])
    assert st["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}


def test_replica_key_lets_the_replication_role_only_encrypt_through_s3_in_the_dr_region(prod):
    role = prod.one("aws:iam/role:Role", "data-replication")
    st = key_statements(prod, "data-replica-key")["ReplicationRoleWritesReplicas"]
    assert (st["Principal"], st["Action"]) == ({"AWS": role.outputs["arn"]}, ["kms:Encrypt", "kms:GenerateDataKey"])
    assert st["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}}


# --- server access logging: every bucket into its region's log bucket ---

LOGGING = "aws:s3/bucketLogging:BucketLogging"


@pytest.mark.parametrize(("side", "log_bucket"), [("primary", "logs-primary"), ("replica", "logs-dr")])
def test_every_bucket_logs_into_its_regions_access_log_bucket_partitioned_by_event_day(prod, side, log_bucket):
    target = prod.one(BUCKET, log_bucket)
    for purpose in PURPOSES:
        logging = of(prod, LOGGING, prod.one(BUCKET, f"{purpose}-{side}"))
        assert logging.region == target.region
        assert logging.inputs["targetBucket"] == target.outputs["bucket"]
        assert logging.inputs["targetPrefix"] == "s3-access/"
        assert logging.inputs["targetObjectKeyFormat"] == {"partitionedPrefix": {"partitionDateSource": "EventTime"}}


def test_access_log_buckets_do_not_log_themselves(prod):
    targets = {r.inputs["bucket"] for r in prod.all(LOGGING)}
    assert not targets & {prod.one(BUCKET, b).id for b in ("logs-primary", "logs-dr")}
    assert len(targets) == 2 * len(PURPOSES)


def test_access_log_bucket_uses_sse_s3_because_log_delivery_cannot_write_sse_kms(prod):
    sse = of(prod, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
             prod.one(BUCKET, "logs-primary"))  # fmt: skip
    (rule,) = sse.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


def test_only_log_delivery_for_the_regions_source_buckets_may_write_access_logs(prod):
    log_bucket = prod.one(BUCKET, "logs-dr")
    policy = json.loads(of(prod, "aws:s3/bucketPolicy:BucketPolicy", log_bucket).inputs["policy"])
    delivery = next(st for st in policy["Statement"] if st["Sid"] == "S3ServerAccessLogDelivery")
    assert (delivery["Principal"], delivery["Action"]) == ({"Service": "logging.s3.amazonaws.com"}, "s3:PutObject")
    assert delivery["Resource"] == log_bucket.outputs["arn"] + "/s3-access/*"
    assert delivery["Condition"] == {
        "ArnLike": {"aws:SourceArn": [f"arn:aws:s3:::summit-prod-{p}-us-west-2-432109876543" for p in PURPOSES]},
        "StringEquals": {"aws:SourceAccount": "432109876543"},
    }


def test_access_log_bucket_denies_requests_without_tls_too(prod):
    policy = json.loads(of(prod, "aws:s3/bucketPolicy:BucketPolicy", prod.one(BUCKET, "logs-primary")).inputs["policy"])
    deny = next(st for st in policy["Statement"] if st["Sid"] == "DenyInsecureTransport")
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


@pytest.mark.parametrize(("stack", "days", "noncurrent"), [("dev", 30, 7), ("prod", 365, 90)])
def test_access_logs_expire_after_the_configured_days_and_old_versions_after_the_noncurrent_window(
    stack, days, noncurrent, dev, prod
):
    run = {"dev": dev, "prod": prod}[stack]
    rule = lifecycle(run, "logs-primary")
    assert rule["expiration"] == {"days": days}
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": noncurrent}
    assert "transitions" not in rule


def test_access_log_buckets_are_versioned_private_and_owner_enforced(prod):
    for name in ("logs-primary", "logs-dr"):
        b = prod.one(BUCKET, name)
        assert of(prod, "aws:s3/bucketVersioning:BucketVersioning", b).inputs["versioningConfiguration"] == {
            "status": "Enabled"
        }
        assert of(prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", b).inputs["blockPublicPolicy"]
        rule = of(prod, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", b).inputs["rule"]
        assert rule == {"objectOwnership": "BucketOwnerEnforced"}
        assert b.inputs["tags"]["data-class"] == "access-logs"


def test_bucket_logging_waits_for_the_log_buckets_policy(prod):
    policy = of(prod, "aws:s3/bucketPolicy:BucketPolicy", prod.one(BUCKET, "logs-primary"))
    logging = of(prod, LOGGING, prod.one(BUCKET, "data-primary"))
    assert policy.urn in logging.property_dependencies["targetBucket"]


# --- writers: services delivering into a bucket pair (Backup Audit Manager reports, CloudTrail logs) ---

REPORTS_ROLE = (
    "arn:aws:iam::432109876543:role/aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports"
)
WRITERS = (
    BucketWriter(
        sid="Reports",
        principal={"AWS": REPORTS_ROLE},
        key_prefix="backup-reports/",
        conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
    ),
    BucketWriter(
        sid="Trail",
        principal={"Service": "cloudtrail.amazonaws.com"},
        key_prefix="AWSLogs/",
        bucket_actions=("s3:GetBucketAcl",),
    ),
)


@pytest.fixture(scope="module")
def written():
    def build_with_writers(s, p):
        return ReplicatedBucket(
            "audit",
            ReplicatedBucketArgs(
                "audit-logs",
                "audit-east",
                "audit-west",
                30,
                TOPICS,
                account_id="432109876543",
                access_log_buckets=("logs-east", "logs-west"),
                object_lock_days=365,
                writers=WRITERS,
            ),
            primary=p.primary,
            dr=p.dr,
        )

    return run_component(build_with_writers, "prod")


@pytest.mark.parametrize("side", ["primary", "replica"])
def test_writers_may_put_objects_under_their_prefix_in_both_buckets(written, side):
    bucket = written.one(BUCKET, f"audit-{side}")
    statements = {st["Sid"]: st for st in json.loads(of(written, "aws:s3/bucketPolicy:BucketPolicy", bucket)
                                                     .inputs["policy"])["Statement"]}  # fmt: skip
    assert statements["Reports"] == {
        "Sid": "Reports",
        "Effect": "Allow",
        "Principal": {"AWS": REPORTS_ROLE},
        "Action": "s3:PutObject",
        "Resource": f"{bucket.outputs['arn']}/backup-reports/*",
        "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
    }
    assert statements["TrailBucket"] == {"Sid": "TrailBucket", "Effect": "Allow",
                                         "Principal": {"Service": "cloudtrail.amazonaws.com"},
                                         "Action": ["s3:GetBucketAcl"], "Resource": bucket.outputs["arn"]}  # fmt: skip
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"  # still denies plain HTTP to everyone


@pytest.mark.parametrize(("side", "name"), [("primary", "audit-east"), ("replica", "audit-west")])
def test_writers_may_use_each_buckets_key_through_s3_for_that_bucket_only(written, side, name):
    statements = {
        st["Sid"]: st for st in json.loads(written.one(KEY, f"audit-{side}-key").inputs["policy"])["Statement"]
    }
    assert statements["ReportsThroughS3"]["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert statements["ReportsThroughS3"]["Condition"] == {"StringLike": {
        "kms:ViaService": "s3.*.amazonaws.com",
        "kms:EncryptionContext:aws:s3:arn": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]}}  # fmt: skip


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


def test_program_has_one_access_log_bucket_per_region_named_for_it(program):
    names = sorted(b.inputs["bucket"] for b in program.all(BUCKET) if b.inputs["tags"]["data-class"] == "access-logs")
    assert names == [
        "summit-stage-access-logs-us-east-1-321098765432",
        "summit-stage-access-logs-us-west-2-321098765432",
    ]


def test_program_builds_no_deprecated_s3_resources(program):
    assert [w for w in program.warnings() if "deprecated" in w] == []
