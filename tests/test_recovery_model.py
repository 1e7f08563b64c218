"""The recovery budget (policy/recovery.py): RTO terms, RPO per data class, missing pieces.

Cron periods themselves are tested in tests/test_cron.py.
"""

from policy.recovery import recovery_budget
from preflight.engine import UNKNOWN

OBJECTIVES = {"rtoSeconds": 900, "rpoSeconds": 300, "dbPromotionSeconds": 300, "appReconnectSeconds": 60}


def res(type_, name, props, id_=None):
    r = {"type": type_, "urn": f"urn:pulumi:t::p::{type_}::{name}", "name": name, "region": "us-east-1",
         "props": props, "protect": False}  # fmt: skip
    if id_:
        r["id"] = id_
    return r


def check(name, interval=10, threshold=3, role="primary", host="gateway", id_=None, **extra):
    props = {"type": "HTTPS", "requestInterval": interval, "failureThreshold": threshold,
             "tags": {"failover-role": role, "service-host": host}, **extra}  # fmt: skip
    return res("aws:route53/healthCheck:HealthCheck", name, props, id_)


def record(name, host, role="PRIMARY", alias=True, ttl=None, health_check_id=None):
    props = {"name": host, "type": "A", "failoverRoutingPolicies": [{"type": role}]}
    if alias:
        props["aliases"] = [{"name": "gw-1.us-east-1.elb.amazonaws.com", "zoneId": "Z35SXDOTRQ7X7K"}]
    if ttl is not None:
        props["ttl"] = ttl
    if health_check_id:
        props["healthCheckId"] = health_check_id
    return res("aws:route53/record:Record", name, props)


def rds(name, replica_of=None):
    props = {"instanceClass": "db.r6g.large", "engine": "postgres"}
    if replica_of is not None:
        props["replicateSourceDb"] = replica_of
    return res("aws:rds/instance:Instance", name, props)


def lag_alarm(threshold=60):
    props = {"metricName": "ReplicaLag", "namespace": "AWS/RDS", "threshold": threshold, "period": 60}
    return res("aws:cloudwatch/metricAlarm:MetricAlarm", "db-replica-lag", props)


def bucket(name, data_class, **props):
    return res("aws:s3/bucket:Bucket", name, {"tags": {"data-class": data_class}, **props})


def replication(name, bucket_ref, rtc=True):
    dest = {"bucket": "arn:aws:s3:::replica"}
    if rtc:
        dest["replicationTime"] = {"status": "Enabled", "time": {"minutes": 15}}
    return res("aws:s3/bucketReplicationConfig:BucketReplicationConfig", name,
               {"bucket": bucket_ref, "rules": [{"status": "Enabled", "destination": dest}]})  # fmt: skip


def schedule(cron, name="nightly", namespaces=("gateway", "intelgraph", "postgres")):
    template = {"ttl": "720h", "includedNamespaces": list(namespaces)}
    props = {"metadata": {"name": name}, "spec": {"schedule": cron, "template": template}}
    return res("kubernetes:velero.io/v1:Schedule", name, props)


def stack():
    """Everything a stack needs for a passing budget: failover pair, replica with lag alarm, RTC bucket, Velero."""
    return [
        check("gw-primary-check"),
        check("gw-secondary-check", role="secondary"),
        record("gw-primary", "gateway.example.com"),
        record("gw-secondary", "gateway.example.com", role="SECONDARY"),
        rds("db"),
        rds("db-replica", replica_of="arn:aws:rds:us-east-1:1:db:db"),
        lag_alarm(60),
        bucket("data-primary", "data", bucket="summit-data"),
        replication("data-replication", "summit-data"),
        schedule("0 3 * * *"),
    ]


def term(budget, name):
    return next(t for t in budget["rto"]["terms"] if t["name"] == name)


def rpo(budget, data_class):
    return next(e for e in budget["rpo"] if e["dataClass"] == data_class)


def test_rto_adds_detection_dns_promotion_and_reconnect():
    budget = recovery_budget(stack(), OBJECTIVES)
    # detection 10 s × 3 + alias DNS 60 s + promotion 300 s + reconnect 60 s
    assert [t["seconds"] for t in budget["rto"]["terms"]] == [30, 60, 300, 60]
    assert budget["rto"]["totalSeconds"] == 450 and budget["rto"]["ok"] is True
    assert term(budget, "detection")["basis"] == "health check gw-primary-check: 10 s interval × 3 failures"


def test_rto_fails_when_the_total_exceeds_the_objective():
    budget = recovery_budget(stack(), {**OBJECTIVES, "rtoSeconds": 400})
    assert (budget["rto"]["totalSeconds"], budget["rto"]["ok"], budget["ok"]) == (450, False, False)


def test_dns_term_is_the_record_ttl_when_the_record_is_not_an_alias():
    resources = [r for r in stack() if r["name"] != "gw-primary"] + [
        record("gw-primary", "gateway.example.com", alias=False, ttl=120)
    ]
    assert term(recovery_budget(resources, OBJECTIVES), "dns")["seconds"] == 120


def test_detection_is_the_slowest_service_and_uses_aws_defaults_when_unset():
    wallet = res("aws:route53/healthCheck:HealthCheck", "wallet-primary-check",
                 {"type": "HTTPS", "tags": {"failover-role": "primary", "service-host": "wallet"}})  # fmt: skip
    resources = [*stack(), wallet, record("wallet-primary", "wallet.example.com")]
    detection = term(recovery_budget(resources, OBJECTIVES), "detection")
    assert detection["seconds"] == 90  # 30 s × 3, AWS defaults
    assert "wallet-primary-check" in detection["basis"] and "AWS default" in detection["basis"]


def test_equally_slow_services_give_the_same_basis_whatever_order_the_engine_delivers_them():
    wallet = [check("wallet-primary-check", host="wallet"), record("wallet-primary", "wallet.example.com")]
    forward = recovery_budget([*stack(), *wallet], OBJECTIVES)
    backward = recovery_budget([*wallet, *stack()], OBJECTIVES)
    assert term(forward, "detection") == term(backward, "detection")
    assert term(forward, "dns") == term(backward, "dns")
    assert "gw-primary-check" in term(forward, "detection")["basis"]  # equal times: first by name


def test_the_health_check_is_found_by_id_when_the_resources_carry_ids():
    resources = [
        check("fast", interval=10, host="other", id_="hc-1"),
        check("slow", interval=30, host="other", id_="hc-2"),
        record("gw-primary", "gateway.example.com", health_check_id="hc-2"),
    ]
    assert term(recovery_budget(resources, OBJECTIVES), "detection")["seconds"] == 90


def test_a_primary_record_without_a_health_check_is_reported_missing():
    resources = [r for r in stack() if r["type"] != "aws:route53/healthCheck:HealthCheck"]
    budget = recovery_budget(resources, OBJECTIVES)
    detection = term(budget, "detection")
    assert detection["seconds"] is None and "no health check" in detection["basis"]
    assert budget["rto"]["totalSeconds"] is None and budget["rto"]["ok"] is False


def test_no_failover_records_is_reported_as_missing_detection_and_dns():
    resources = [r for r in stack() if r["type"] != "aws:route53/record:Record"]
    budget = recovery_budget(resources, OBJECTIVES)
    assert term(budget, "detection") == {
        "name": "detection",
        "seconds": None,
        "basis": "no PRIMARY failover record in this stack",
    }
    assert term(budget, "dns")["seconds"] is None and budget["ok"] is False


def test_promotion_is_missing_without_a_replica_to_promote():
    resources = [r for r in stack() if r["name"] != "db-replica"]
    promotion = term(recovery_budget(resources, OBJECTIVES), "dbPromotion")
    assert promotion == {"name": "dbPromotion", "seconds": None, "basis": "no cross-region replica to promote"}


def test_database_rpo_is_the_replica_lag_alarm_threshold():
    entry = rpo(recovery_budget(stack(), OBJECTIVES), "database")
    assert (entry["seconds"], entry["objectiveSeconds"], entry["ok"]) == (60, 300, True)
    assert "ReplicaLag alarm db-replica-lag threshold 60 s" in entry["basis"]


def test_database_rpo_fails_when_the_lag_threshold_exceeds_the_objective():
    resources = [r for r in stack() if r["name"] != "db-replica-lag"] + [lag_alarm(600)]
    entry = rpo(recovery_budget(resources, OBJECTIVES), "database")
    assert (entry["seconds"], entry["ok"]) == (600, False)


def test_database_rpo_is_unbounded_without_a_replica_or_without_a_lag_alarm():
    no_replica = rpo(recovery_budget([r for r in stack() if r["name"] != "db-replica"], OBJECTIVES), "database")
    assert no_replica["seconds"] is None and "no cross-region read replica" in no_replica["basis"]
    no_alarm = rpo(recovery_budget([r for r in stack() if r["name"] != "db-replica-lag"], OBJECTIVES), "database")
    assert no_alarm["seconds"] is None and "no ReplicaLag alarm" in no_alarm["basis"] and not no_alarm["ok"]


def test_s3_rpo_is_fifteen_minutes_with_rtc_against_the_s3_objective():
    entry = rpo(recovery_budget(stack(), OBJECTIVES), "s3:data")
    assert (entry["seconds"], entry["objectiveSeconds"], entry["ok"]) == (900, 900, True)


def test_s3_rpo_is_unbounded_without_rtc_or_without_replication():
    resources = [*[r for r in stack() if r["name"] != "data-replication"], replication("data-replication",
                 "summit-data", rtc=False), bucket("archive-primary", "archive")]  # fmt: skip
    budget = recovery_budget(resources, OBJECTIVES)
    assert rpo(budget, "s3:data")["seconds"] is None and "without RTC" in rpo(budget, "s3:data")["basis"]
    assert rpo(budget, "s3:archive")["basis"] == "not replicated: unbounded"


NIGHTLY_CLASS = "cluster-state:gateway,intelgraph,postgres"


def test_cluster_state_rpo_is_the_velero_schedule_period_against_its_own_objective():
    entry = rpo(recovery_budget(stack(), OBJECTIVES), NIGHTLY_CLASS)
    assert (entry["seconds"], entry["objectiveSeconds"], entry["ok"]) == (86400, 86400, True)
    assert "'0 3 * * *'" in entry["basis"]
    assert entry["namespaces"] == ["gateway", "intelgraph", "postgres"]


def test_an_hourly_schedule_gives_its_namespaces_a_one_hour_rpo_and_the_rest_keep_the_nightly_one():
    hourly = schedule("30 * * * *", name="hourly", namespaces=("intelgraph", "postgres"))
    budget = recovery_budget([*stack(), hourly], OBJECTIVES)
    stateful = rpo(budget, "cluster-state:intelgraph,postgres")
    assert (stateful["seconds"], stateful["namespaces"]) == (3600, ["intelgraph", "postgres"])
    assert "hourly '30 * * * *'" in stateful["basis"]
    assert rpo(budget, "cluster-state:gateway")["seconds"] == 86400


def test_a_wildcard_schedule_covers_every_namespace_no_faster_schedule_names():
    hourly = schedule("30 * * * *", name="hourly", namespaces=("postgres",))
    everything = schedule("0 3 * * *", name="nightly", namespaces=("*",))
    resources = [r for r in stack() if r["name"] != "nightly"] + [hourly, everything]
    budget = recovery_budget(resources, OBJECTIVES)
    assert rpo(budget, "cluster-state:postgres")["seconds"] == 3600
    assert rpo(budget, "cluster-state:*")["seconds"] == 86400
    assert "every namespace" in rpo(budget, "cluster-state:*")["basis"]


def test_per_class_objectives_override_the_defaults():
    objectives = {**OBJECTIVES, "rpoSecondsByClass": {"cluster-state": 3600, "s3": None}}
    budget = recovery_budget(stack(), objectives)
    assert rpo(budget, NIGHTLY_CLASS)["ok"] is False
    assert rpo(budget, "s3:data")["ok"] is True and "no objective" in rpo(budget, "s3:data")["basis"]


def test_an_objective_for_one_namespace_group_beats_the_cluster_state_one():
    objectives = {**OBJECTIVES, "rpoSecondsByClass": {NIGHTLY_CLASS: 3600}}
    assert rpo(recovery_budget(stack(), objectives), NIGHTLY_CLASS)["objectiveSeconds"] == 3600


def test_velero_schedules_in_the_helm_release_values_count_too():
    release = res("kubernetes:helm.sh/v3:Release", "velero", {
        "chart": "velero", "values": {"schedules": {"hourly": {"schedule": "0 * * * *"}}}})  # fmt: skip
    resources = [r for r in stack() if r["type"] != "kubernetes:velero.io/v1:Schedule"] + [release]
    assert rpo(recovery_budget(resources, OBJECTIVES), "cluster-state:*")["seconds"] == 3600


def test_an_unsupported_cron_is_an_unknown_period_not_a_crash():
    resources = [r for r in stack() if r["name"] != "nightly"] + [schedule("0 3 L * *")]
    entry = rpo(recovery_budget(resources, OBJECTIVES), "cluster-state")
    assert entry["seconds"] is None and "unknown period" in entry["basis"] and entry["ok"] is False


def test_values_unknown_at_preview_do_not_crash():
    resources = [
        check("gw-primary-check", interval=UNKNOWN),
        record("gw-primary", "gateway.example.com", health_check_id=UNKNOWN),
        rds("db"),
        rds("db-replica", replica_of=UNKNOWN),
        lag_alarm(threshold="<computed>"),
        schedule(UNKNOWN),
    ]
    budget = recovery_budget(resources, OBJECTIVES)
    assert "not known until deploy" in term(budget, "detection")["basis"]
    assert "not known until deploy" in rpo(budget, "database")["basis"]
    assert budget["ok"] is False


def test_an_empty_stack_reports_every_piece_missing():
    budget = recovery_budget([], OBJECTIVES)
    assert [e["dataClass"] for e in budget["rpo"]] == ["database", "s3", "cluster-state"]
    assert all(e["seconds"] is None and not e["ok"] for e in budget["rpo"])


# --- RTO from a Region switch plan's steps -------------------------------------------------------------------


def plan_step(name, kind, timeout=None, **config):
    key = {"ManualApproval": "executionApprovalConfigs", "RdsPromoteReadReplica": "rdsPromoteReadReplicaConfigs",
           "CustomActionLambda": "customActionLambdaConfigs", "EKSResourceScaling": "eksResourceScalingConfigs",
           "Route53HealthCheck": "route53HealthCheckConfigs"}[kind]  # fmt: skip
    block = {**config, **({"timeoutMinutes": timeout} if timeout is not None else {})}
    return {"name": name, "executionBlockType": kind, key: [block]}


def parallel(name, *steps):
    return {"name": name, "executionBlockType": "Parallel", "parallelConfigs": [{"steps": list(steps)}]}


def region_switch_plan(*steps, target="us-west-2"):
    flows = [
        {"workflowTargetAction": "activate", "workflowTargetRegion": target, "steps": list(steps)},
        {
            "workflowTargetAction": "activate",
            "workflowTargetRegion": "us-east-1",
            "steps": [plan_step("approve", "ManualApproval", 60)],
        },
    ]
    props = {"primaryRegion": "us-east-1", "regions": ["us-east-1", "us-west-2"], "workflows": flows}
    return res("aws:arcregionswitch/plan:Plan", "failover-plan", props)


FAILOVER = (
    plan_step("approve", "ManualApproval", 5),
    plan_step("promote-db", "RdsPromoteReadReplica", 20),
    plan_step("repoint-writer", "CustomActionLambda", 2),
    plan_step("dns-gateway", "Route53HealthCheck", 5),
)


def test_with_a_plan_the_rto_terms_are_its_steps_in_order():
    budget = recovery_budget([*stack(), region_switch_plan(*FAILOVER)], OBJECTIVES)
    assert [(t["name"], t["seconds"]) for t in budget["rto"]["terms"]] == [
        ("detection", 30),
        ("approval", 300),
        ("dbPromotion", 300),
        ("endpointSwitch", 120),
        ("dns", 60),
        ("appReconnect", 60),
    ]
    assert budget["rto"]["totalSeconds"] == 870 and budget["rto"]["ok"] is True


def test_each_plan_term_names_its_step_and_bound():
    budget = recovery_budget([*stack(), region_switch_plan(*FAILOVER)], OBJECTIVES)
    assert term(budget, "approval")["basis"] == (
        "plan failover-plan activate us-west-2: ManualApproval step approve: timeout 5 min"
    )
    assert (
        "RdsPromoteReadReplica step promote-db (timeout 20 min): dbPromotionSeconds estimate"
        in term(budget, "dbPromotion")["basis"]
    )
    assert term(budget, "dns")["basis"].startswith("after the plan's Route53HealthCheck step")


def test_the_failover_workflow_is_the_dr_regions_activation_not_the_failback():
    budget = recovery_budget([*stack(), region_switch_plan(*FAILOVER)], OBJECTIVES)
    assert term(budget, "approval")["seconds"] == 300  # the failback's 60-minute approval is not on this clock


def test_a_promotion_step_with_a_shorter_timeout_bounds_the_estimate():
    steps = (plan_step("promote-db", "RdsPromoteReadReplica", 2),)
    assert term(recovery_budget([*stack(), region_switch_plan(*steps)], OBJECTIVES), "dbPromotion")["seconds"] == 120


def test_a_plan_without_an_approval_step_waits_for_nobody():
    steps = FAILOVER[1:]
    approval = term(recovery_budget([*stack(), region_switch_plan(*steps)], OBJECTIVES), "approval")
    assert approval["seconds"] == 0 and "no ManualApproval step" in approval["basis"]


def test_parallel_steps_count_with_their_slowest_member_not_their_sum():
    steps = (
        parallel(
            "promote",
            plan_step("promote-a", "RdsPromoteReadReplica", 20),
            plan_step("promote-b", "RdsPromoteReadReplica", 20),
        ),
        parallel(
            "writers", plan_step("repoint-a", "CustomActionLambda", 2), plan_step("repoint-b", "CustomActionLambda", 3)
        ),
    )
    budget = recovery_budget([*stack(), region_switch_plan(*steps)], OBJECTIVES)
    assert (term(budget, "dbPromotion")["seconds"], term(budget, "endpointSwitch")["seconds"]) == (300, 180)


def test_sequential_steps_of_one_kind_add_up():
    steps = (plan_step("repoint-a", "CustomActionLambda", 2), plan_step("repoint-b", "CustomActionLambda", 3))
    assert term(recovery_budget([*stack(), region_switch_plan(*steps)], OBJECTIVES), "endpointSwitch")["seconds"] == 300


def test_a_step_without_a_timeout_is_unbounded_and_fails_the_budget():
    steps = (plan_step("approve", "ManualApproval"), *FAILOVER[1:])
    budget = recovery_budget([*stack(), region_switch_plan(*steps)], OBJECTIVES)
    assert term(budget, "approval")["seconds"] is None and "unbounded" in term(budget, "approval")["basis"]
    assert budget["rto"]["ok"] is False


def test_dr_scaling_adds_its_own_term():
    steps = (*FAILOVER[:3], plan_step("scale", "EKSResourceScaling", 10), FAILOVER[3])
    assert term(recovery_budget([*stack(), region_switch_plan(*steps)], OBJECTIVES), "drCapacity")["seconds"] == 600


def test_a_plan_that_promotes_nothing_leaves_promotion_missing_when_there_is_a_replica():
    steps = (FAILOVER[0], FAILOVER[2])
    promotion = term(recovery_budget([*stack(), region_switch_plan(*steps)], OBJECTIVES), "dbPromotion")
    assert promotion["seconds"] is None and "promotes no replica" in promotion["basis"]


def calculated(name, children, threshold, id_="hc-gate"):
    return res("aws:route53/healthCheck:HealthCheck", name,
               {"type": "CALCULATED", "childHealthchecks": children, "childHealthThreshold": threshold,
                "tags": {"failover-role": "primary", "service-host": "gateway"}}, id_)  # fmt: skip


def test_a_gated_record_detects_as_fast_as_its_endpoint_check():
    # AND of the endpoint check and the plan's check (not in the stack: the plan flips it, it detects nothing)
    resources = [
        check("endpoint", interval=10, host="other", id_="hc-endpoint"),
        calculated("gate", ["hc-endpoint", "plan-check"], 2),
        record("gw-primary", "gateway.example.com", health_check_id="hc-gate"),
    ]
    detection = term(recovery_budget(resources, OBJECTIVES), "detection")
    assert detection["seconds"] == 30
    assert detection["basis"].startswith("health check gate (CALCULATED, 2 of 2 healthy) ← health check endpoint")


def test_a_calculated_check_whose_deciding_children_are_outside_the_stack_is_missing():
    resources = [
        calculated("gate", ["plan-check-a", "plan-check-b"], 2),
        record("gw-primary", "gateway.example.com", health_check_id="hc-gate"),
    ]
    detection = term(recovery_budget(resources, OBJECTIVES), "detection")
    assert detection["seconds"] is None and "1 of its 2 children must fail, 0 of them detect" in detection["basis"]
