"""A stack's tier follows its name: a prod stack file cannot quietly run as dev, and an on-purpose override shows."""

from __future__ import annotations

from pathlib import Path

import pytest

import settings
from settings import ConfigError, RawConfig
from settings.core import stack_tier
from tests.harness import PROJECT_DIR, run_preflight, run_stack, stack_raw, stack_settings

KEY = "summit-resilience"
PROD_YAML = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()
AS_DEV = PROD_YAML.replace(f"{KEY}:environment: prod", f"{KEY}:environment: dev")
WARNING = (
    'stack "prod" runs as dev, not prod (summit-resilience:environmentOverride is set): '
    "the safeguards of a prod stack do not apply"
)


def _stack_file(tmp_path: Path, text: str, name: str = "Pulumi.prod.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_prod_stack_file_saying_dev_is_refused_by_preflight(capsys, tmp_path, program_runs):
    path = _stack_file(tmp_path, AS_DEV)
    code, out, err = run_preflight(capsys, "--stack", "prod", "--config", str(path))
    assert (code, out, program_runs) == (2, "", [])
    assert err == (
        f'preflight: {path}: {KEY}:environment: stack "prod" is a prod stack, got "dev"; to run it as dev on purpose '
        f"also set {KEY}:environmentOverride: dev\n"
    )


def test_a_stage_stack_saying_prod_is_refused_too():
    with pytest.raises(ConfigError) as e:
        stack_settings("stage", {"environment": "prod"})
    assert str(e.value) == (
        f'Pulumi.stage.yaml: {KEY}:environment: stack "stage" is a stage stack, got "prod"; to run it as prod on '
        f"purpose also set {KEY}:environmentOverride: prod"
    )


def test_the_dev_stack_file_is_refused_for_the_prod_stack(capsys, program_runs):
    dev_file = PROJECT_DIR / "Pulumi.dev.yaml"
    code, out, err = run_preflight(capsys, "--stack", "prod", "--config", str(dev_file))
    assert (code, out, program_runs) == (2, "", [])
    assert err == (
        f'preflight: {dev_file}: is the stack file of stack "dev", not of "prod"; use --stack dev, or a file not '
        "named for another stack\n"
    )


def test_a_renamed_dev_file_for_the_prod_stack_is_refused_by_its_environment(capsys, tmp_path, program_runs):
    path = _stack_file(tmp_path, (PROJECT_DIR / "Pulumi.dev.yaml").read_text(), name="candidate.yaml")
    code, out, err = run_preflight(capsys, "--stack", "prod", "--config", str(path))
    assert (code, out, program_runs) == (2, "", [])
    assert err.startswith(f'preflight: {path}: {KEY}:environment: stack "prod" is a prod stack, got "dev";')


def test_an_explicit_override_runs_and_preflight_prints_a_warning_line(capsys, tmp_path):
    path = _stack_file(tmp_path, AS_DEV + f"  {KEY}:environmentOverride: dev\n")
    code, out, err = run_preflight(capsys, "--stack", "prod", "--config", str(path), "--no-policy", "--format", "json")
    assert code == 0 and '"stack": "prod"' in out
    assert err == f"preflight: warning: {path}: {WARNING}\n"


def test_an_override_is_visible_in_the_settings():
    core = stack_settings("prod", {"environment": "dev", "environmentOverride": "dev"}).core
    assert (core.environment, core.stack_tier, core.environment_overridden) == ("dev", "prod", True)
    assert core.cost_allocation_tags["environment"] == "dev"


def test_without_an_override_there_is_no_warning():
    assert settings.override_warning(stack_settings("prod")) is None


def test_the_program_logs_the_override_warning_for_a_real_pulumi_run():
    run = run_stack("prod", overrides={"environment": "dev", "environmentOverride": "dev"})
    assert run.warnings() == [f"Pulumi.prod.yaml: {WARNING}"]


def test_an_override_naming_the_stacks_own_tier_is_refused():
    with pytest.raises(ConfigError) as e:
        stack_settings("prod", {"environmentOverride": "prod"})
    assert (
        str(e.value)
        == f'Pulumi.prod.yaml: {KEY}:environmentOverride: stack "prod" is already prod; remove the override'
    )


def test_an_override_that_disagrees_with_environment_is_refused():
    with pytest.raises(ConfigError) as e:
        stack_settings("prod", {"environment": "dev", "environmentOverride": "stage"})
    assert str(e.value) == f'Pulumi.prod.yaml: {KEY}:environmentOverride: must equal environment "dev", got "stage"'


def test_an_override_outside_the_tiers_is_refused():
    with pytest.raises(ConfigError) as e:
        stack_settings("prod", {"environment": "dev", "environmentOverride": "qa"})
    assert str(e.value) == f'Pulumi.prod.yaml: {KEY}:environmentOverride: expected one of , dev, stage, prod, got "qa"'


@pytest.mark.parametrize(
    ("stack", "tier"),
    [
        ("dev", "dev"),
        ("stage", "stage"),
        ("prod", "prod"),
        ("prod-eu", "prod"),
        ("dev-alice", "dev"),
        ("stage-2", "stage"),
        ("qa", "prod"),
        ("production", "prod"),
        ("development", "prod"),
        ("acme/summit-resilience/dev", "dev"),
    ],
)
def test_the_tier_of_a_stack_name(stack, tier):
    assert stack_tier(stack) == tier


def _as_stack(stack: str, overrides: dict[str, str]) -> RawConfig:
    raw = stack_raw("dev", overrides)
    return RawConfig(f"Pulumi.{stack}.yaml", raw.values, raw.secret_keys)


@pytest.fixture
def dev_policy_config(monkeypatch):
    """Every stack needs policy/config/<stack>.json (objectives, backup requirements): lend the new names dev's."""
    import ops.objectives

    monkeypatch.setattr(ops.objectives, "policy_config_path", lambda stack: Path("policy/config/dev.json"))


def test_a_stack_with_another_name_is_prod_until_its_file_overrides_it(dev_policy_config):
    with pytest.raises(ConfigError) as e:
        settings.from_raw(_as_stack("qa", {}), "qa")
    assert str(e.value).startswith(f'Pulumi.qa.yaml: {KEY}:environment: stack "qa" is a prod stack, got "dev";')
    assert settings.from_raw(_as_stack("qa", {"environmentOverride": "dev"}), "qa").core.environment == "dev"


def test_a_dev_prefixed_stack_is_dev_without_an_override(dev_policy_config):
    assert settings.from_raw(_as_stack("dev-alice", {}), "dev-alice").core.environment_overridden is False
