"""contract/values.py: one unknown marker and one secret wrapper for the program, the pack and the models, recognised
by identity and isinstance, never by class name."""

from __future__ import annotations

import ast
import copy

import pytest

from contract.values import COMPUTED, SENTINELS, UNKNOWN, SecretValue, Unknown, is_secret, is_unknown, reveal
from policy import cost, recovery, resources
from preflight import engine, render
from tests.project_files import ROOT, project_modules


def _is_class_name(node: ast.AST) -> bool:
    """`type(x).__name__`, `x.__class__.__name__` (or __qualname__): a class recognised by its name."""
    if not (isinstance(node, ast.Attribute) and node.attr in ("__name__", "__qualname__")):
        return False
    owner = node.value
    by_type = isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "type"
    by_class = isinstance(owner, ast.Attribute) and owner.attr == "__class__"
    return by_type or by_class


@pytest.mark.parametrize("value", [UNKNOWN, COMPUTED, *sorted(SENTINELS)])
def test_every_form_of_an_unknown_is_unknown(value):
    assert is_unknown(value)


@pytest.mark.parametrize("value", [None, "", 0, False, "04da6b54", "computed", {}, [], SecretValue(UNKNOWN)])
def test_known_values_and_secret_wrappers_are_not_unknown(value):
    assert not is_unknown(value)


def test_there_is_one_unknown_instance_even_when_constructed_or_deep_copied():
    assert Unknown() is UNKNOWN and copy.deepcopy({"a": [UNKNOWN]})["a"][0] is UNKNOWN


def test_unknown_is_falsy_so_a_default_never_takes_it_for_a_present_setting():
    assert (UNKNOWN or "default") == "default"


def test_unknown_shows_as_computed():
    assert repr(UNKNOWN) == "<computed>" == COMPUTED


def test_preflight_the_pack_helpers_and_the_models_share_the_one_marker_and_predicate():
    assert engine.UNKNOWN is resources.UNKNOWN is UNKNOWN
    assert cost.is_unknown is recovery.is_unknown is resources.is_unknown is is_unknown


def test_preflight_records_secrets_in_the_one_wrapper_type():
    assert engine.SecretValue is SecretValue


def test_reveal_gives_what_a_secret_wraps_and_leaves_other_values_alone():
    assert (reveal(SecretValue(14)), reveal(14), reveal(UNKNOWN)) == (14, 14, UNKNOWN)


def test_is_secret_recognises_the_wrapper_only():
    assert (is_secret(SecretValue("x")), is_secret("x"), is_secret(UNKNOWN)) == (True, False, False)


def test_a_secret_never_shows_its_value():
    secret = SecretValue("hunter2")
    assert repr(secret) == "[secret]" and "hunter2" not in repr({"password": secret})
    assert render.masked({"password": secret, "arn": UNKNOWN}) == {"password": "[secret]", "arn": "<computed>"}


def test_the_cost_model_reads_what_a_secret_holds():
    assert cost._get({"name": SecretValue("orders")}, "name") == "orders"


def test_the_cost_model_reports_an_unknown_inside_a_secret_as_not_known_until_deploy():
    with pytest.raises(cost.Unpriced, match="name not known until deploy"):
        cost._get({"name": SecretValue(UNKNOWN)}, "name")


def test_no_module_recognises_a_value_by_its_class_name():
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in project_modules()
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Compare) and any(_is_class_name(n) for n in (node.left, *node.comparators))
    ]
    assert found == []


def test_the_project_defines_one_unknown_marker_class():
    found = [
        f"{path.relative_to(ROOT)}:{node.name}"
        for path in project_modules()
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.ClassDef) and node.name.lstrip("_") == "Unknown"
    ]
    assert found == ["contract/values.py:Unknown"]
