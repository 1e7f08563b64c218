"""AWS's rules on whole programs: `python -m preflight --program` catches what only `pulumi up` used to find, and
every committed stack satisfies them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policy.awsrules import limits
from policy.awsrules.modelcheck import check_all, summarize
from policy.resources import region_of
from preflight.analysis import aws_rule_resources, revealed
from preflight.cli import main
from preflight.engine import Run
from tests.harness import run_stack
from tests.policy_harness import run_with_pack, start_pack

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "aws_rules"
STACK_URN = "urn:pulumi:prod::summit-resilience::pulumi:pulumi:Stack"
SECRETS_DOC = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations"
)


def preflight_json(capsys, program: str) -> tuple[int, dict]:
    code = main(["--stack", "prod", "--program", str(FIXTURES / program), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


AWS_RULES = ("aws-api-model", "aws-service-limits")  # not the pack's other aws-* policies (aws-backup-plan, …)


def aws_violations(doc: dict) -> list[tuple[str, str, str]]:
    return [(v["policy"], v["enforcement"], v["message"]) for v in doc["violations"] if v["policy"] in AWS_RULES]


def test_the_old_edge_and_database_values_fail_preflight_with_the_aws_rules_they_break(capsys):
    code, doc = preflight_json(capsys, "old_edge_and_database")
    acl = f"{STACK_URN}$aws:wafv2/webAcl:WebAcl::old-edge-acl"
    replica = f"{STACK_URN}$aws:rds/instance:Instance::old-db-replica"
    assert code == 1
    assert sorted(aws_violations(doc)) == [
        (
            "aws-api-model",
            "mandatory",
            f"{acl}: description = 'summit-prod-primary: AWS managed rules + per-IP rate limit (block mode)': "
            r"pattern ^[\w+=:#@/\-,\.][\w+=:#@/\-,\.\s]+[\w+=:#@/\-,\.]$ [wafv2 CreateWebACL Description]",
        ),
        (
            "aws-service-limits",
            "mandatory",
            f"{replica}: replicateSourceDb = 'arn:aws:rds:us-east-1:432109876543:db:summit-prod-db': AWS: RDS cannot "
            "create a read replica of a source whose master password Secrets Manager manages (old-db-primary has "
            f"manageMasterUserPassword = true; all engines but SQL Server) [{SECRETS_DOC}]",
        ),
    ]


def test_each_example_of_the_issue_is_caught_with_its_input_path_value_and_rule(capsys):
    code, doc = preflight_json(capsys, "issue_examples")
    found = {(policy, message.split("::", 3)[-1]) for policy, _, message in aws_violations(doc)}
    assert code == 1
    assert found == {
        (
            "aws-api-model",
            "rate-limit-of-five: rules[0].statement.rateBasedStatement.limit = 5: range 10–2000000000 "
            "[wafv2 CreateWebACL Rules[].Statement.RateBasedStatement.Limit]",
        ),
        (
            "aws-api-model",
            "glacier-flexible-transition: rules[0].transitions[0].storageClass = 'GLACIER_FLEXIBLE': one of GLACIER, "
            "STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, DEEP_ARCHIVE, GLACIER_IR "
            "[s3 PutBucketLifecycleConfiguration LifecycleConfiguration.Rules[].Transitions[].StorageClass]",
        ),
        (
            "aws-api-model",
            "failure-threshold-eleven: failureThreshold = 11: range 1–10 "
            "[route53 CreateHealthCheck HealthCheckConfig.FailureThreshold]",
        ),
        (
            "aws-api-model",
            f"role-name-of-seventy: name = '{'r' * 70}': length 1–64 (is 70) [iam CreateRole RoleName]",
        ),
        (
            "aws-service-limits",
            "cloudfront-acl-in-us-west-2: scope = 'CLOUDFRONT': AWS: a CLOUDFRONT-scope web ACL is created in "
            "us-east-1 (this one: us-west-2) [https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html]",
        ),
    }


def test_preflight_reports_what_the_model_check_covered(capsys):
    _, doc = preflight_json(capsys, "issue_examples")
    summary = doc["awsRules"]
    assert summary["botocore"] == "1.44.5"
    assert set(summary["services"]) >= {"iam", "route53", "s3", "wafv2"}
    assert summary["typesChecked"] == 5 and summary["valuesChecked"] > 50
    assert summary["unmappedInputs"] == {} and summary["typeMismatches"] == {}


def test_the_text_report_states_the_coverage_after_the_violations(capsys):
    main(["--stack", "prod", "--program", str(FIXTURES / "issue_examples")])
    out = capsys.readouterr().out
    assert out.index("Policy violations:") < out.index("AWS API rules (botocore 1.44.5 models: ")
    assert "values not known until deploy skipped" in out


def test_a_stack_that_disables_the_model_policy_gets_no_coverage_report(capsys, tmp_path):
    cfg = json.loads((ROOT / "policy/config/prod.json").read_text())
    cfg["aws-api-model"]["enforcementLevel"] = "disabled"
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(cfg))
    main(["--stack", "prod", "--program", str(FIXTURES / "issue_examples"), "--policy-pack-config", str(path)])
    out = capsys.readouterr().out
    assert "AWS API rules" not in out and "[mandatory] aws-api-model" not in out


def limit_resources(run: Run) -> list[limits.Res]:
    by_urn = {r.urn: r for r in run.resources}
    out = []
    for r in run.resources:
        props = revealed(r.inputs)
        provider = by_urn.get(r.provider)
        out.append(
            limits.Res(
                r.type,
                r.urn,
                r.name,
                region_of(props, revealed(provider.inputs) if provider else None),
                props,
                r.property_dependencies,
            )
        )
    return out


@pytest.mark.parametrize("stack", ["dev", "stage", "prod"])
def test_every_committed_stack_satisfies_the_aws_rules(stack):
    run = run_stack(stack)
    model, _ = check_all(aws_rule_resources(run))
    limit = limits.check(limit_resources(run))
    assert [f.message() for f in model + limit] == []


@pytest.mark.parametrize("stack", ["dev", "stage", "prod"])
def test_the_aws_rule_policies_are_mandatory_in_every_stacks_policy_config(stack):
    doc = json.loads((ROOT / "policy" / "config" / f"{stack}.json").read_text())
    assert {doc[p]["enforcementLevel"] for p in ("aws-api-model", "aws-service-limits")} == {"mandatory"}


def _pins(path: Path) -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return {name.lower(): version for name, _, version in (line.partition("==") for line in lines if "==" in line)}


def test_the_packs_own_virtualenv_gets_botocore_and_regex_at_the_projects_pins():
    files = ("policy/requirements.txt", "requirements.txt", "constraints.txt")
    pack, root, constraints = (_pins(ROOT / f) for f in files)
    for package in ("botocore", "regex"):
        assert pack[package] == root[package] == constraints[package]


def test_the_coverage_preflight_prints_is_what_the_pack_checked():
    session = start_pack("prod")
    try:
        run, analysis = run_with_pack(session, "prod", FIXTURES / "issue_examples")
        tally_file = session.tally_file
    finally:
        session.close()
    assert analysis.aws_rules == summarize(aws_rule_resources(run))
    assert tally_file is not None and not tally_file.exists()  # the hand-over file goes with the session


def test_the_types_other_branches_are_adding_are_mapped_and_their_valid_values_pass(capsys):
    _, doc = preflight_json(capsys, "incoming_types")
    rules = doc["awsRules"]
    assert aws_violations(doc) == []
    assert (rules["typesWithoutMapping"], rules["unmappedInputs"], rules["typeMismatches"]) == ({}, {}, {})
    assert rules["typesChecked"] == 4  # canary, topic subscription, experiment template, Slack channel configuration
