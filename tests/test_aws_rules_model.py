"""The model-driven check: each kind of constraint botocore's models carry, broken (exact message) and kept (clean)."""

from __future__ import annotations

import pytest

from policy.awsrules.findings import Tally
from policy.awsrules.mapping import TypeMap
from policy.awsrules.modelcheck import check_resource
from policy.resources import UNKNOWN

URN = "urn:pulumi:prod::p::aws:x/y:Z::it"
WAF = "aws:wafv2/webAcl:WebAcl"
DESCRIPTION_PATTERN = r"^[\w+=:#@/\-,\.][\w+=:#@/\-,\.\s]+[\w+=:#@/\-,\.]$"


def messages(type_: str, props: dict, **kwargs) -> list[str]:
    findings, _ = check_resource(type_, props, urn=URN, **kwargs)
    return [f.message() for f in findings]


def visibility(name: str = "acl") -> dict:
    return {"cloudwatchMetricsEnabled": True, "metricName": name, "sampledRequestsEnabled": True}


def web_acl(**overrides) -> dict:
    return {
        "name": "acl",
        "scope": "REGIONAL",
        "defaultAction": {"allow": {}},
        "visibilityConfig": visibility(),
        **overrides,
    }


def rate_rule(limit: int) -> dict:
    return {
        "name": "per-ip",
        "priority": 1,
        "action": {"block": {}},
        "statement": {"rateBasedStatement": {"limit": limit, "aggregateKeyType": "IP"}},
        "visibilityConfig": visibility("per-ip"),
    }


def test_a_value_outside_the_enum_names_the_allowed_values():
    assert messages(WAF, web_acl(scope="GLOBAL")) == [
        f"{URN}: scope = 'GLOBAL': one of CLOUDFRONT, REGIONAL [wafv2 CreateWebACL Scope]"
    ]


def test_a_value_inside_the_enum_is_clean():
    assert messages(WAF, web_acl(scope="CLOUDFRONT")) == []


def test_a_description_with_parentheses_breaks_the_wafv2_pattern():
    text = "summit-prod-primary: AWS managed rules + per-IP rate limit (block mode)"
    assert messages(WAF, web_acl(description=text)) == [
        f"{URN}: description = '{text}': pattern {DESCRIPTION_PATTERN} [wafv2 CreateWebACL Description]"
    ]


def test_a_description_without_parentheses_matches_the_wafv2_pattern():
    assert messages(WAF, web_acl(description="summit-prod-primary: AWS managed rules, per-IP rate limit")) == []


def test_a_string_longer_than_the_member_allows_names_the_bounds_and_its_length():
    assert messages("aws:iam/role:Role", {"name": "r" * 65, "assumeRolePolicy": "{}"}) == [
        f"{URN}: name = '{'r' * 65}': length 1–64 (is 65) [iam CreateRole RoleName]"
    ]


def test_a_string_at_the_maximum_length_is_clean():
    assert messages("aws:iam/role:Role", {"name": "r" * 64, "assumeRolePolicy": "{}"}) == []


def test_a_number_out_of_range_names_the_range():
    assert messages(WAF, web_acl(rules=[rate_rule(5)])) == [
        f"{URN}: rules[0].statement.rateBasedStatement.limit = 5: range 10–2000000000 "
        "[wafv2 CreateWebACL Rules[].Statement.RateBasedStatement.Limit]"
    ]


def test_a_number_at_the_bottom_of_the_range_is_clean():
    assert messages(WAF, web_acl(rules=[rate_rule(10)])) == []


def test_a_nested_block_missing_a_required_member_is_reported():
    rule = rate_rule(100)
    del rule["visibilityConfig"]
    assert messages(WAF, web_acl(rules=[rule])) == [
        f"{URN}: rules[0].visibilityConfig = (not set): AWS: required member VisibilityConfig is missing "
        "[wafv2 CreateWebACL Rules[].VisibilityConfig]"
    ]


def test_top_level_required_members_are_left_to_the_provider():
    # CreateWebACL requires Name; the provider autonames a WebAcl without one.
    props = web_acl()
    del props["name"]
    assert messages(WAF, props) == []


def test_a_list_longer_than_the_member_allows_is_reported():
    topic = "arn:aws:sns:us-east-1:123456789012:ops"
    alarm = {"name": "a", "alarmActions": [topic] * 6, "comparisonOperator": "LessThanThreshold"}
    assert messages("aws:cloudwatch/metricAlarm:MetricAlarm", alarm) == [
        f"{URN}: alarmActions = 6 entries: size ≤ 5 [cloudwatch PutMetricAlarm AlarmActions]"
    ]


def test_a_map_of_tags_is_checked_as_the_apis_list_of_key_value_pairs():
    assert messages(WAF, web_acl(tags={"cost(center)": "cc-1"})) == [
        f"{URN}: tags[\"cost(center)\"] (key) = 'cost(center)': pattern ^([\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]*)$ "
        "[wafv2 CreateWebACL Tags[].Key]"
    ]


def test_provider_default_tags_count_towards_the_apis_tag_limit():
    check = {"type": "HTTPS", "fqdn": "gw.example.com", "tags": {f"own{i}": "x" for i in range(6)}}
    inherited = {f"default{i}": "y" for i in range(5)}
    assert messages("aws:route53/healthCheck:HealthCheck", check, default_tags=inherited) == [
        f"{URN}: tags = 11 entries: size 1–10 [route53 ChangeTagsForResource AddTags]"
    ]


def test_a_provider_default_tag_the_api_refuses_is_named_as_inherited():
    assert messages(WAF, web_acl(), default_tags={"team": "a|b"}) == [
        f"{URN}: tags[\"team\"] (provider defaultTags) = 'a|b': pattern ^([\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]*)$ "
        "[wafv2 CreateWebACL Tags[].Value]"
    ]


def test_values_unknown_until_deploy_are_skipped_and_counted_never_guessed():
    findings, tally = check_resource(WAF, web_acl(description=UNKNOWN, rules=[rate_rule(UNKNOWN)]), urn=URN)
    assert findings == []
    assert tally.unknown == 2


def test_a_sensitive_members_value_is_never_shown(monkeypatch):
    login = TypeMap("iam", ("CreateLoginProfile",))
    monkeypatch.setattr("policy.awsrules.modelcheck.mapping_for", lambda _: login)
    assert messages("aws:iam/userLoginProfile:UserLoginProfile", {"userName": "u", "password": "Ā"}) == [
        f"{URN}: password = [sensitive]: pattern [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+ "
        "[iam CreateLoginProfile Password]"
    ]


def test_a_name_prefix_is_checked_with_the_26_characters_the_provider_appends():
    assert messages("aws:iam/role:Role", {"namePrefix": "p" * 39, "assumeRolePolicy": "{}"}) == [
        f"{URN}: namePrefix = '{'p' * 39}': length 1–64 (is 65) (the prefix plus the 26 characters the provider "
        "appends) [iam CreateRole RoleName]"
    ]


def test_a_name_prefix_that_leaves_room_for_the_suffix_is_clean():
    assert messages("aws:iam/role:Role", {"namePrefix": "p" * 38, "assumeRolePolicy": "{}"}) == []


def test_a_read_replica_is_checked_against_create_db_instance_read_replica():
    found, _ = check_resource(
        "aws:rds/instance:Instance",
        {"replicateSourceDb": "arn:aws:rds:us-east-1:1:db:x", "replicaMode": "hot"},
        urn=URN,
    )
    assert [f.where for f in found] == ["rds CreateDBInstanceReadReplica ReplicaMode"]


def test_a_renamed_input_is_checked_against_the_member_it_becomes():
    assert messages("aws:budgets/budget:Budget", {"name": "a:b", "budgetType": "COST", "timeUnit": "MONTHLY"}) == [
        f"{URN}: name = 'a:b': pattern ^(?![^:\\\\]*/action/|(?i).*<script>.*</script>.*)[^:\\\\]+$ "
        "[budgets CreateBudget Budget.BudgetName]"
    ]


def test_a_list_against_cloudfronts_quantity_items_wrapper_checks_the_items():
    cdn = {
        "defaultCacheBehavior": {
            "allowedMethods": ["GET", "FETCH"],
            "targetOriginId": "o",
            "viewerProtocolPolicy": "https-only",
        }
    }
    assert messages("aws:cloudfront/distribution:Distribution", cdn) == [
        f"{URN}: defaultCacheBehavior.allowedMethods[1] = 'FETCH': one of GET, HEAD, POST, PUT, PATCH, OPTIONS, "
        "DELETE [cloudfront CreateDistribution DistributionConfig.DefaultCacheBehavior.AllowedMethods.Items[]]"
    ]


def test_a_pulumi_grouping_block_is_checked_against_the_parents_member():
    record = {"name": "gw", "type": "A", "setIdentifier": "p", "failoverRoutingPolicies": [{"type": "TERTIARY"}]}
    assert messages("aws:route53/record:Record", record) == [
        f"{URN}: failoverRoutingPolicies[0].type = 'TERTIARY': one of PRIMARY, SECONDARY "
        "[route53 ChangeResourceRecordSets ChangeBatch.Changes[].ResourceRecordSet.Failover]"
    ]


def test_an_input_without_an_api_member_is_counted_not_reported():
    findings, tally = check_resource(WAF, web_acl(notAnInput="x"), urn=URN)
    assert findings == []
    assert tally.unmapped == {f"{WAF}: notAnInput": 1}


@pytest.mark.parametrize(
    ("type_", "bucket"),
    [("aws:dynamodb/table:Table", "unmapped_types"), ("pulumi:providers:aws", "not_checked_types")],
)
def test_types_without_a_mapping_or_explicitly_not_checked_are_counted(type_, bucket):
    findings, tally = check_resource(type_, {"x": 1}, urn=URN)
    assert findings == []
    assert getattr(tally, bucket) == {type_: 1}
    assert isinstance(tally, Tally) and tally.values_checked == 0


# --- Terraform blocks the provider turns into API maps (FIS actions, targets, parameters) --------------------------

FIS = "aws:fis/experimentTemplate:ExperimentTemplate"


def fis_template(action_name: str = "reboot-db", parameter_key: str = "forceFailover") -> dict:
    return {
        "description": "drill",
        "roleArn": "arn:aws:iam::123456789012:role/fis",
        "stopConditions": [{"source": "none"}],
        "targets": [{"name": "db", "resourceType": "aws:rds:db", "selectionMode": "ALL"}],
        "actions": [
            {
                "name": action_name,
                "actionId": "aws:rds:reboot-db-instances",
                "parameters": [{"key": parameter_key, "value": "true"}],
                "target": {"key": "DBInstances", "value": "db"},
            }
        ],
    }


def test_a_block_name_that_becomes_a_map_key_is_checked_against_the_key_shape():
    assert messages(FIS, fis_template(action_name="reboot db")) == [
        rf"{URN}: actions[0].name = 'reboot db': pattern [\S]+ [fis CreateExperimentTemplate actions{{key}}]"
    ]


def test_a_key_value_block_that_becomes_a_map_entry_is_checked_against_the_key_shape():
    assert messages(FIS, fis_template(parameter_key="force failover")) == [
        rf"{URN}: actions[0].parameters[0].key = 'force failover': pattern [\S]+ "
        r"[fis CreateExperimentTemplate actions{value}.parameters{key}]"
    ]


def test_blocks_keyed_by_name_and_key_value_blocks_map_cleanly_onto_the_api_maps():
    findings, tally = check_resource(FIS, fis_template(), urn=URN)
    assert (findings, dict(tally.unmapped), dict(tally.mismatched)) == ([], {}, {})
