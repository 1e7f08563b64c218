"""Mock answers follow the provider an invoke or resource went through."""

import pulumi
import pulumi_aws as aws

from preflight.engine import run_function


def test_invokes_through_different_providers_answer_in_each_providers_region():
    def program():
        for region in ("us-east-1", "us-west-2", "eu-west-1"):
            p = aws.Provider(f"p-{region}", region=region)
            cluster = aws.eks.get_cluster_output(name="c", opts=pulumi.InvokeOutputOptions(provider=p))
            pulumi.export(region, cluster.endpoint)

    run = run_function(program, project="summit-resilience", stack="dev", config={})
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        assert run.outputs[region].endswith(f".{region}.eks.amazonaws.com")


def test_resources_get_arns_in_their_providers_region_and_the_stacks_account():
    def program():
        p = aws.Provider("p", region="us-west-2")
        aws.sns.Topic("t", opts=pulumi.ResourceOptions(provider=p))

    run = run_function(
        program, project="summit-resilience", stack="dev", config={"summit-resilience:awsAccountId": "111122223333"}
    )
    topic = run.one("aws:sns/topic:Topic")
    assert topic.region == "us-west-2"
    assert topic.outputs["arn"].startswith("arn:aws:sns:us-west-2:111122223333:")
