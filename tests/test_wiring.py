"""Wiring once: settings fields carry their config keys, and the program builds every component's arguments
through `<Args>.from_settings` — the same function the component tests call."""

import ast
import dataclasses
from pathlib import Path

import pytest

from settings import schema as s
from tests.harness import stack_settings

ROOT = Path(__file__).resolve().parent.parent
# The component tests that run a component through its real wiring (not the drill workflow's own world).
WIRED_TESTS = [
    "test_autoscaling.py",
    "test_backups.py",
    "test_budgets.py",
    "test_costs.py",
    "test_database.py",
    "test_edge.py",
    "test_failover.py",
    "test_storage.py",
    "test_synthetics.py",
]


@dataclasses.dataclass(frozen=True)
class Sample:
    limit: int = s.setting("sampleLimit", s.integer(1, 10))
    label: str = s.setting("sampleLabel", s.string(what="a label"))
    shown: str = s.derived()


def test_a_setting_field_reads_its_own_key():
    built = s.build_from(Sample, {"sampleLimit": 3, "sampleLabel": "a"}, shown="3 a")
    assert built == Sample(limit=3, label="a", shown="3 a")


def test_a_derived_value_replaces_the_keys_value():
    assert s.build_from(Sample, {"sampleLimit": 3, "sampleLabel": ""}, label="default", shown="").label == "default"


def test_a_field_neither_set_nor_derived_is_refused():
    with pytest.raises(TypeError, match=r"Sample\.shown is neither"):
        s.build_from(Sample, {"sampleLimit": 3, "sampleLabel": "a"})


def test_a_derived_value_for_no_field_is_refused():
    with pytest.raises(TypeError, match="Sample has no field colour"):
        s.build_from(Sample, {"sampleLimit": 3, "sampleLabel": "a"}, shown="", colour="red")


def test_a_sections_keys_are_its_setting_fields_in_order():
    assert [(k.name, k.required) for k in s.keys_of(Sample)] == [("sampleLimit", False), ("sampleLabel", False)]


def test_a_field_holds_the_validated_value_of_its_key():
    overridden = stack_settings("dev", {"dbLogRetentionDays": 60, "wafRateLimit": 500})
    assert (overridden.data.db_log_retention_days, overridden.edge.waf_rate_limit) == (60, 500)


def _calls_to_args_classes(tree: ast.AST) -> list[str]:
    """Names of `SomethingArgs(...)` constructors called directly (not through `.from_settings`)."""
    return [
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.endswith("Args")
    ]


def test_the_program_builds_no_component_args_inline():
    tree = ast.parse((ROOT / "__main__.py").read_text())
    assert _calls_to_args_classes(tree) == []


def test_every_component_args_class_the_program_imports_is_built_from_settings():
    tree = ast.parse((ROOT / "__main__.py").read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name.endswith("Args")
    }
    wired = {
        node.value.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "from_settings" and isinstance(node.value, ast.Name)
    }
    assert imported and imported <= wired


@pytest.mark.parametrize("name", WIRED_TESTS)
def test_component_tests_build_through_the_real_wiring(name):
    tree = ast.parse((ROOT / "tests" / name).read_text())
    (build,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build"]
    assert _calls_to_args_classes(build) == []
