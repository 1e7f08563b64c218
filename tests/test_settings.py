"""Stack settings: every stack file validates; every kind of user mistake is one clear line."""

import pytest

import settings
from settings import ConfigError
from tests.harness import settings_error, stack_settings

STACKS = ["dev", "stage", "prod"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_committed_stack_file_validates(stack):
    s = stack_settings(stack)
    assert s.core.environment == stack
    assert s.core.primary_region == "us-east-1" and s.core.dr_region == "us-west-2"


def test_defaults_come_from_pulumi_yaml_when_the_stack_file_omits_a_key():
    s = stack_settings("stage", remove=["budgetNotifications", "primaryRegion"])
    assert [(n.kind, n.percent) for n in s.core.budget_notifications] == [("FORECASTED", 80), ("ACTUAL", 100)]
    assert s.core.primary_region == "us-east-1"


def test_cost_allocation_tags_name_environment_service_and_cost_center():
    assert stack_settings("prod").core.cost_allocation_tags == {
        "environment": "prod",
        "service": "summit",
        "cost-center": "cc-platform-prod",
    }


def _error(overrides=None, remove=(), stack="prod"):
    return settings_error(stack, overrides, remove)


def test_wrong_type_names_file_key_expected_range_and_value():
    msg = _error({"monthlyBudgetUsd": "lots"})
    assert msg == 'Pulumi.prod.yaml: summit-resilience:monthlyBudgetUsd: expected an integer 1–10000000, got "lots"'


def test_out_of_range_integer_is_rejected():
    assert "expected an integer 1–10000000, got 0" in _error({"monthlyBudgetUsd": 0})


def test_boolean_where_integer_expected_is_rejected():
    assert "got true" in _error({"monthlyBudgetUsd": True})


def test_unknown_key_suggests_the_closest_valid_key(tmp_path):
    f = tmp_path / "Pulumi.prod.yaml"
    f.write_text((settings.PROJECT_DIR / "Pulumi.prod.yaml").read_text() + "  summit-resilience:monthlyBudgetUSD: 10\n")
    with pytest.raises(ConfigError) as e:
        settings.load_files("prod", config_file=f)
    assert str(e.value) == f"{f}: summit-resilience:monthlyBudgetUSD: unknown key (did you mean monthlyBudgetUsd?)"


def test_missing_required_key_says_how_to_set_it():
    msg = _error(remove=["costCenter"])
    assert msg.startswith("Pulumi.prod.yaml: summit-resilience:costCenter: is required but missing")
    assert "pulumi config set costCenter" in msg


def test_allowed_values_are_listed_for_a_bad_choice():
    assert 'expected one of dev, stage, prod, got "production"' in _error({"environment": "production"})


def test_dr_region_must_differ_from_primary_region():
    msg = _error({"drRegion": "us-east-1"})
    assert msg == 'Pulumi.prod.yaml: summit-resilience:drRegion: must differ from primaryRegion, both are "us-east-1"'


def test_region_must_look_like_an_aws_region():
    assert "expected an AWS region such as us-east-1" in _error({"drRegion": "westus"})


def test_list_items_are_checked_one_by_one():
    assert "item 1: expected an email address" in _error({"budgetAlertEmails": ["a@example.com", "finops"]})


def test_at_least_two_private_subnets_are_required():
    assert "expected at least 2 item(s), got 1" in _error({"privateSubnetIds": ["subnet-0123456789abcdef0"]})


def test_budget_notification_syntax_is_checked():
    assert "expected KIND:PERCENT" in _error({"budgetNotifications": ["FORECAST:80"]})


def test_account_id_must_be_twelve_digits():
    assert "expected a 12-digit AWS account id" in _error({"awsAccountId": "1234"})


def test_invalid_cidr_is_rejected():
    assert "expected an IPv4 VPC CIDR /16–/28" in _error({"vpcCidr": "10.0.0.0/33"})


def test_secret_key_in_plaintext_is_refused(tmp_path):
    f = tmp_path / "Pulumi.prod.yaml"
    f.write_text(
        (settings.PROJECT_DIR / "Pulumi.prod.yaml").read_text() + "  summit-resilience:kubecostToken: abc123\n"
    )
    with pytest.raises(ConfigError) as e:
        settings.load_files("prod", config_file=f)
    assert "is a secret and must not be plaintext" in str(e.value)


def test_secure_values_become_placeholders_and_stay_masked(tmp_path):
    f = tmp_path / "Pulumi.prod.yaml"
    f.write_text(
        (settings.PROJECT_DIR / "Pulumi.prod.yaml").read_text()
        + "  summit-resilience:kubecostToken:\n    secure: v1:abc:def\n"
    )
    s, raw = settings.load_files("prod", config_file=f)
    assert "kubecostToken" in raw.secret_keys
    assert s.core.kubecost_token.reveal() == settings.PREFLIGHT_SECRET
    assert "****" in repr(s.core.kubecost_token) and settings.PREFLIGHT_SECRET not in repr(s.core)


def test_missing_secret_is_an_error_for_a_real_deploy():
    from tests.harness import stack_raw

    with pytest.raises(ConfigError) as e:
        settings.from_raw(stack_raw("prod"), "prod", require_secrets=True)
    assert "pagerdutyRoutingKey: is required but missing; set it with `pulumi config set --secret" in str(e.value)


def test_other_namespaces_are_refused_because_providers_are_explicit(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("config:\n  aws:region: eu-west-1\n")
    with pytest.raises(ConfigError) as e:
        settings.load_files("prod", config_file=f)
    assert "aws:region: only summit-resilience:* keys are read" in str(e.value)


def test_malformed_yaml_names_the_line(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text("config:\n  summit-resilience:environment: [prod\n")
    with pytest.raises(ConfigError) as e:
        settings.load_files("prod", config_file=f)
    assert str(e.value).startswith(f"{f}: malformed YAML: line 3")


def test_unknown_stack_lists_the_stacks_found():
    with pytest.raises(ConfigError) as e:
        settings.load_files("qa")
    assert str(e.value) == "Pulumi.qa.yaml: no such stack file; stacks found: dev, prod, stage"


def test_every_constrained_key_is_declared_in_pulumi_yaml_and_vice_versa():
    declared = settings.loader.read_declarations(settings.PROJECT_DIR)
    assert set(settings.KEYS) == set(declared)


def test_every_declared_key_has_a_description():
    declared = settings.loader.read_declarations(settings.PROJECT_DIR)
    assert [k for k, d in declared.items() if len(d.description) < 10] == []


def test_engine_config_round_trips_through_the_runtime_decoder():
    from settings.loader import decode_engine_value, read_declarations
    from tests.harness import stack_raw

    raw = stack_raw("prod")
    decls = read_declarations(settings.PROJECT_DIR)
    engine = raw.as_engine_config()
    for key, value in raw.values.items():
        assert decode_engine_value(decls[key], engine[f"summit-resilience:{key}"]) == value
