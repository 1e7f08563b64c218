"""Values that point at AWS: regions from botocore's partition data, ARNs in the stack's account and the region their
role implies, and primary/DR VPC ranges that do not overlap. Each mistake is one line and exit 2 from preflight."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from preflight import cli
from settings import ConfigError, schema
from tests.harness import stack_raw, stack_settings

KEY = "summit-resilience"
ACCOUNT = "432109876543"
PRIMARY_ALB = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/summit-prod-gw/7f3a9c2e1b4d5a60"
DR_ALB = f"arn:aws:elasticloadbalancing:us-west-2:{ACCOUNT}:loadbalancer/app/summit-prod-gw-dr/2c8e4f6a1d3b5079"
CERT = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/5b1f0c7e-8a42-4d3e-9f61-2c7d8e9a0b13"
BOTOCORE = f"botocore {schema.botocore_version()} endpoints.json"
ALB_WHAT = "expected an ALB ARN such as arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID"
ACM_WHAT = "expected an acm ARN in us-east-1 (CloudFront's region), or empty"


def _cut(value: str) -> str:
    """How an error shows a value: quoted, and cut at 80 characters."""
    return f'"{value}"' if len(value) <= 80 else f'"{value[:80]}"… ({len(value)} characters)'


CASES: dict[str, tuple[dict[str, Any], str]] = {
    "made-up-region": (
        {"drRegion": "zz-moon-1"},
        'drRegion: expected an AWS region such as us-east-1, got "zz-moon-1": not a region of the aws partition '
        f"({BOTOCORE}); did you mean me-south-1?",
    ),
    "region-one-digit-off": (
        {"drRegion": "us-west-3"},
        'drRegion: expected an AWS region such as us-east-1, got "us-west-3": not a region of the aws partition '
        f"({BOTOCORE}); did you mean us-west-2?",
    ),
    "region-in-capitals": (
        {"primaryRegion": "US-EAST-1"},
        'primaryRegion: expected an AWS region such as us-east-1, got "US-EAST-1": not a region of the aws '
        f"partition ({BOTOCORE}); did you mean us-east-1?",
    ),
    "govcloud-region": (
        {"drRegion": "us-gov-west-1"},
        'drRegion: expected an AWS region such as us-east-1, got "us-gov-west-1": a region of partition aws-us-gov; '
        "this project deploys to the aws partition",
    ),
    "china-region": (
        {"drRegion": "cn-north-1"},
        'drRegion: expected an AWS region such as us-east-1, got "cn-north-1": a region of partition aws-cn; '
        "this project deploys to the aws partition",
    ),
    "primary-alb-in-another-account": (
        {"primaryAlbArn": PRIMARY_ALB.replace(ACCOUNT, "111122223333")},
        f"primaryAlbArn: must be in awsAccountId {ACCOUNT}, got account 111122223333",
    ),
    "dr-alb-in-another-account": (
        {"drAlbArn": DR_ALB.replace(ACCOUNT, "111122223333")},
        f"drAlbArn: must be in awsAccountId {ACCOUNT}, got account 111122223333",
    ),
    "certificate-in-another-account": (
        {"acmCertificateArn": CERT.replace(ACCOUNT, "111122223333")},
        f"acmCertificateArn: must be in awsAccountId {ACCOUNT}, got account 111122223333",
    ),
    "primary-alb-in-the-dr-region": (
        {"primaryAlbArn": PRIMARY_ALB.replace("us-east-1", "us-west-2")},
        "primaryAlbArn: must be an ALB in primaryRegion us-east-1, got one in us-west-2",
    ),
    "dr-alb-in-the-primary-region": (
        {"drAlbArn": DR_ALB.replace("us-west-2", "us-east-1")},
        "drAlbArn: must be an ALB in drRegion us-west-2, got one in us-east-1",
    ),
    "certificate-outside-us-east-1": (
        {"acmCertificateArn": CERT.replace("us-east-1", "eu-west-1")},
        f"acmCertificateArn: {ACM_WHAT}, got {_cut(CERT.replace('us-east-1', 'eu-west-1'))}: in eu-west-1; "
        "CloudFront takes certificates from us-east-1 only",
    ),
    "certificate-without-uuid": (
        {"acmCertificateArn": f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/summit"},
        f"acmCertificateArn: {ACM_WHAT}, got {_cut(f'arn:aws:acm:us-east-1:{ACCOUNT}:certificate/summit')}: "
        'resource "certificate/summit" is not certificate/UUID',
    ),
    "alb-in-the-china-partition": (
        {"primaryAlbArn": PRIMARY_ALB.replace("arn:aws:", "arn:aws-cn:")},
        f"primaryAlbArn: {ALB_WHAT}, got {_cut(PRIMARY_ALB.replace('arn:aws:', 'arn:aws-cn:'))}: "
        'partition "aws-cn", expected aws',
    ),
    "alb-of-another-service": (
        {"primaryAlbArn": PRIMARY_ALB.replace("elasticloadbalancing", "elb")},
        f"primaryAlbArn: {ALB_WHAT}, got {_cut(PRIMARY_ALB.replace('elasticloadbalancing', 'elb'))}: "
        'service "elb", expected elasticloadbalancing',
    ),
    "alb-in-a-made-up-region": (
        {"primaryAlbArn": PRIMARY_ALB.replace("us-east-1", "zz-moon-1")},
        f"primaryAlbArn: {ALB_WHAT}, got {_cut(PRIMARY_ALB.replace('us-east-1', 'zz-moon-1'))}: "
        f'region "zz-moon-1" is not a region of the aws partition ({BOTOCORE}); did you mean me-south-1?',
    ),
    "alb-account-not-12-digits": (
        {"primaryAlbArn": PRIMARY_ALB.replace(ACCOUNT, "43210987654")},
        f"primaryAlbArn: {ALB_WHAT}, got {_cut(PRIMARY_ALB.replace(ACCOUNT, '43210987654'))}: "
        'account "43210987654" is not a 12-digit AWS account id',
    ),
    "network-load-balancer": (
        {"primaryAlbArn": PRIMARY_ALB.replace("/app/", "/net/")},
        f"primaryAlbArn: {ALB_WHAT}, got {_cut(PRIMARY_ALB.replace('/app/', '/net/'))}: "
        'resource "loadbalancer/net/summit-prod-gw/7f3a9c2e1b4d5a60" is not loadbalancer/app/NAME/ID (an ALB)',
    ),
    "not-an-arn": (
        {"drAlbArn": "summit-prod-gw-dr"},
        f'drAlbArn: {ALB_WHAT}, got "summit-prod-gw-dr": not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)',
    ),
    "identical-vpc-cidrs": (
        {"drVpcCidr": "10.30.0.0/16"},
        'drVpcCidr: "10.30.0.0/16" overlaps vpcCidr "10.30.0.0/16"; the VPCs need disjoint ranges',
    ),
    "dr-cidr-inside-the-primary": (
        {"drVpcCidr": "10.30.128.0/17"},
        'drVpcCidr: "10.30.128.0/17" overlaps vpcCidr "10.30.0.0/16"; the VPCs need disjoint ranges',
    ),
    "primary-cidr-inside-the-dr": (
        {"vpcCidr": "10.130.64.0/18"},
        'drVpcCidr: "10.130.0.0/16" overlaps vpcCidr "10.130.64.0/18"; the VPCs need disjoint ranges',
    ),
    "ipv6-vpc-cidr": (
        {"vpcCidr": "2600:1f18::/56"},
        'vpcCidr: expected an IPv4 VPC CIDR /16–/28 such as 10.20.0.0/16, got "2600:1f18::/56"',
    ),
    "vpc-cidr-larger-than-16": (
        {"vpcCidr": "10.0.0.0/8"},
        'vpcCidr: expected an IPv4 VPC CIDR /16–/28 such as 10.20.0.0/16, got "10.0.0.0/8"',
    ),
    "vpc-cidr-smaller-than-28": (
        {"drVpcCidr": "10.130.0.0/29"},
        'drVpcCidr: expected an IPv4 VPC CIDR /16–/28 such as 10.20.0.0/16, got "10.130.0.0/29"',
    ),
    "vpc-cidr-with-host-bits": (
        {"vpcCidr": "10.30.0.1/16"},
        'vpcCidr: expected an IPv4 VPC CIDR /16–/28 such as 10.20.0.0/16, got "10.30.0.1/16"',
    ),
}


def _prod_file_with(tmp_path: Path, overrides: dict[str, Any]) -> Path:
    raw = stack_raw("prod", overrides)
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump({"config": {f"{KEY}:{k}": v for k, v in raw.values.items()}}, sort_keys=False))
    return path


@pytest.mark.parametrize("name", list(CASES))
def test_a_wrong_reference_is_one_line_naming_file_key_and_value(name):
    overrides, message = CASES[name]
    with pytest.raises(ConfigError) as e:
        stack_settings("prod", overrides)
    assert str(e.value) == f"Pulumi.prod.yaml: {KEY}:{message}"


@pytest.mark.parametrize("name", list(CASES))
def test_a_wrong_reference_exits_preflight_with_2_before_anything_runs(capsys, tmp_path, monkeypatch, name):
    runs: list[object] = []
    monkeypatch.setattr(cli, "run_program", lambda *a, **k: runs.append(a))
    overrides, message = CASES[name]
    path = _prod_file_with(tmp_path, overrides)
    code = cli.main(["--stack", "prod", "--config", str(path)])
    out, err = capsys.readouterr()
    assert (code, out, runs) == (2, "", [])
    assert err == f"preflight: {path}: {KEY}:{message}\n"


def test_every_region_of_the_aws_partition_in_botocore_is_accepted():
    regions = schema.partition_regions()["aws"]
    check = schema.aws_region()
    assert "us-east-1" in regions and "us-west-2" in regions
    assert [check(r) for r in regions] == list(regions)


def test_adjacent_vpc_ranges_are_accepted():
    core = stack_settings("prod", {"vpcCidr": "10.30.0.0/16", "drVpcCidr": "10.31.0.0/16"}).core
    assert (core.vpc_cidr, core.dr_vpc_cidr) == ("10.30.0.0/16", "10.31.0.0/16")


def test_the_committed_stacks_reference_their_own_account_and_regions():
    for stack in ("dev", "stage", "prod"):
        s = stack_settings(stack)
        assert {s.edge.primary_alb.region, s.edge.dr_alb.region} == {s.core.primary_region, s.core.dr_region}
        arns = [s.edge.primary_alb.arn, s.edge.dr_alb.arn, s.edge.acm_certificate_arn]
        assert {a.split(":")[4] for a in arns if a} == {s.core.aws_account_id}
