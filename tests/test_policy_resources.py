"""The pack's shared helpers: provider default tags, regions, taggable types, unknowns, Velero durations."""

from __future__ import annotations

import pytest

from policy.resources import UNKNOWN, default_tags, go_duration_hours, is_taggable, plain, region_of, unwrap


def test_provider_default_tags_arrive_as_a_json_string_and_are_parsed():
    props = {"region": "us-east-1", "defaultTags": '{"tags": {"environment": "prod", "cost-center": "cc-1"}}'}
    assert default_tags(props) == {"environment": "prod", "cost-center": "cc-1"}


def test_provider_without_default_tags_contributes_none():
    assert default_tags({"region": "us-east-1"}) == {} and default_tags(None) == {}


def test_resource_region_input_wins_over_the_provider_region():
    assert region_of({"region": "eu-west-1"}, {"region": "us-east-1"}) == "eu-west-1"
    assert region_of({}, {"region": "us-west-2"}) == "us-west-2"
    assert region_of({}, None) is None


def test_pulumi_policy_unknown_sentinels_become_unknown_in_plain_dicts():
    r = plain(
        type_="aws:rds/instance:Instance",
        urn="urn:x",
        name="db",
        props={"backupRetentionPeriod": "3eeb2bf0-c639-47a8-9e75-3b44932eb421", "tags": {"a": "b"}},
        provider_props={"region": "us-west-2"},
    )
    assert r["props"]["backupRetentionPeriod"] is UNKNOWN and r["region"] == "us-west-2"
    assert unwrap([1.0, "04da6b54-80e4-46f7-96ec-b56ff0331ba9"]) == [1, UNKNOWN]


@pytest.mark.parametrize(
    ("type_", "taggable"),
    [
        ("aws:s3/bucket:Bucket", True),
        ("aws:rds/instance:Instance", True),
        ("aws:s3/bucketVersioning:BucketVersioning", False),
        ("aws:route53/record:Record", False),
        ("aws:nosuch/thing:Thing", None),
    ],
)
def test_taggable_types_are_read_from_the_installed_pulumi_aws(type_, taggable):
    assert is_taggable(type_) is taggable


@pytest.mark.parametrize(
    ("text", "hours"), [("720h0m0s", 720), ("36h", 36), ("90m", 1.5), ("2h30m", 2.5), ("7d", None)]
)
def test_velero_ttl_go_durations(text, hours):
    assert go_duration_hours(text) == hours
