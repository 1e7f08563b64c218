"""The whole program per stack: structure every later component relies on."""

import json

import pytest

from tests.harness import moved_to_europe, run_stack

STACKS = ["dev", "stage", "prod"]


@pytest.fixture(scope="module", params=STACKS)
def run(request):
    return run_stack(request.param)


def test_every_resource_sits_under_the_stack_in_the_parent_tree(run):
    urns = {r.urn for r in run.resources} | {run.stack_urn}
    for r in run.resources:
        assert r.parent in urns, f"{r.name} has parent {r.parent!r} outside the tree"
        seen, cur = set(), r
        while cur.parent != run.stack_urn:
            assert cur.urn not in seen
            seen.add(cur.urn)
            cur = run.by_urn(cur.parent)


def test_no_custom_resource_uses_a_default_provider(run):
    offenders = [r.name for r in run.resources if r.custom and not r.is_provider and not r.provider]
    assert offenders == []


def test_aws_providers_pin_the_account_and_apply_cost_allocation_tags(run):
    stack = run.stack
    for p in run.all("pulumi:providers:aws"):
        assert json.loads(p.inputs["allowedAccountIds"]) == [_account(stack)]
        tags = json.loads(p.inputs["defaultTags"])["tags"]
        assert set(tags) == {"environment", "service", "cost-center"}
        assert tags["environment"] == stack


def _account(stack):
    from tests.harness import stack_settings

    return stack_settings(stack).core.aws_account_id


def test_primary_and_dr_providers_are_in_their_regions(run):
    assert run.one("pulumi:providers:aws", "aws-primary").inputs["region"] == "us-east-1"
    assert run.one("pulumi:providers:aws", "aws-dr").inputs["region"] == "us-west-2"


def test_a_us_east_1_provider_exists_for_global_resources_when_primary_is_elsewhere():
    run = run_stack("dev", overrides=moved_to_europe("dev"))
    assert run.one("pulumi:providers:aws", "aws-global").inputs["region"] == "us-east-1"


def test_kubeconfig_is_generated_from_the_cluster_and_kept_secret(run):
    from preflight.engine import SecretValue

    k8s = run.one("pulumi:providers:kubernetes")
    assert isinstance(k8s.inputs["kubeconfig"], SecretValue)
    kubeconfig = json.loads(k8s.inputs["kubeconfig"].value)
    assert kubeconfig["users"][0]["user"]["exec"]["args"][:4] == [
        "eks",
        "get-token",
        "--cluster-name",
        f"summit-{run.stack}",
    ]


def test_no_deprecated_pulumi_aws_resource_is_constructed(run):
    assert [w for w in run.warnings() if "is deprecated" in w] == []


def test_the_deprecation_check_does_see_a_deprecated_resource():
    """Guards the guard: a V2 bucket must show up in the captured warnings."""
    import warnings

    import pulumi
    import pulumi_aws as aws

    from preflight.engine import run_function

    def program():
        p = aws.Provider("p", region="us-east-1")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            aws.s3.BucketV2("old", opts=pulumi.ResourceOptions(provider=p))

    run = run_function(program, project="summit-resilience", stack="dev", config={})
    assert any("BucketV2 is deprecated" in w for w in run.warnings())


def test_operations_topic_is_exported_for_alarms_and_the_drill(run):
    assert run.outputs["opsAlertTopicArn"].startswith("arn:aws:sns:us-east-1:")
