"""The Pulumi → AWS API mapping: every type the stacks and fixture programs register is mapped, every input finds its
member, every rename still resolves in botocore — and every constrained member the mapping reaches is enforced."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import settings
from policy.awsrules import botomodel
from policy.awsrules.javaregex import PATTERNS, full_match
from policy.awsrules.mapping import GLOBAL_SKIP, TYPES, NotChecked, TypeMap, mapping_for
from policy.awsrules.modelcheck import Comparison, check_all, check_resource, operation_root, resolve_input
from preflight.analysis import aws_rule_resources
from preflight.engine import Run, run_program
from tests.harness import _engine_args, run_stack, stack_raw

FIXTURES = Path(__file__).parent / "fixtures"
MAPPED = sorted(t for t, tm in TYPES.items() if isinstance(tm, TypeMap))
LONGEST = 100_000  # longer maxima (2^31 - 1) are not broken by building such a string
RULE_PREFIX = {"enum": "one of ", "pattern": "pattern ", "length": "length ", "range": "range ", "size": "size "}


@pytest.fixture(scope="module")
def runs() -> list[Run]:
    """The three committed stacks and every fixture program (run with prod's config, as the policy tests do)."""
    out = [run_stack(stack) for stack in ("prod", "stage", "dev")]
    raw = stack_raw("prod")
    for main in sorted(FIXTURES.rglob("__main__.py")):
        out.append(run_program(main.parent.resolve(), project=settings.PROJECT, stack="prod", **_engine_args(raw)))
    return out


@pytest.fixture(scope="module")
def resources(runs) -> list[dict[str, Any]]:
    return [r for run in runs for r in aws_rule_resources(run)]


def test_every_aws_type_a_stack_or_fixture_program_registers_has_a_mapping_or_a_reason(runs):
    types = {r.type for run in runs for r in run.resources if r.type.startswith(("aws:", "pulumi:providers:aws"))}
    assert len(types) > 30
    assert sorted(t for t in types if mapping_for(t) is None) == []


def test_every_input_the_stacks_and_fixtures_set_maps_to_an_api_member_of_its_shape(resources):
    _, tally = check_all(resources)
    assert dict(tally.unmapped) == {}
    assert dict(tally.mismatched) == {}
    assert dict(tally.unmapped_types) == {}


def test_every_root_of_every_mapping_is_an_operation_input_in_botocore():
    for tm in TYPES.values():
        if isinstance(tm, TypeMap):
            for root in (*tm.roots, *(r for _, roots in tm.variants for r in roots)):
                assert operation_root(tm.service, root).shape  # raises ModelError when botocore lost it


def _resolves(type_: str, tm: TypeMap, key: str) -> bool:
    return any(resolve_input(type_, key, roots) is not None for roots in (tm.roots, *(v for _, v in tm.variants)))


def test_every_rename_and_prefix_resolves_to_a_member_in_botocore():
    unresolved = []
    for type_, tm in TYPES.items():
        if not isinstance(tm, TypeMap):
            continue
        for key, target in tm.renames.items():
            if target != "." and not key.startswith("**.") and not _resolves(type_, tm, key):
                unresolved.append(f"{type_}: {key} → {target}")
        for prefix, name in tm.prefixes.items():
            if not _resolves(type_, tm, name):
                unresolved.append(f"{type_}: {prefix} → {name}")
    assert unresolved == []


def test_wildcard_renames_resolve_at_the_depths_terraform_nests_them():
    for path in ("filterExpression.ands", "filterExpression.ors", "filterExpression.ands[].ors"):
        loc = resolve_input("aws:budgets/budget:Budget", path)
        assert loc is not None and loc.api.endswith(("And", "Or"))


def test_attribute_keys_are_names_the_apis_attribute_maps_accept():
    wrong = []
    for type_, tm in TYPES.items():
        if not isinstance(tm, TypeMap):
            continue
        for key, target in tm.renames.items():
            m = re.fullmatch(r"(\w+)\{(\w+)\}", target)
            if not m:
                continue
            root = operation_root(tm.service, tm.roots[0])
            member = root.spec["members"][m.group(1)]
            key_shape = botomodel.service(tm.service).shape(
                botomodel.service(tm.service).shape(member["shape"])["key"]["shape"]
            )
            if "enum" in key_shape and m.group(2) not in key_shape["enum"]:
                wrong.append(f"{type_}: {key} → {target}")
    assert wrong == []


def test_every_skipped_input_and_unchecked_type_says_why():
    for tm in TYPES.values():
        reasons = [tm.reason] if isinstance(tm, NotChecked) else list(tm.skip.values())
        assert all(len(reason) > 15 for reason in reasons)


# --- the table: every constrained member the stacks reach, broken one at a time --------------------------------------

_TOKEN = re.compile(r'\.?([A-Za-z0-9_]+)|\[(\d+)\]|\["([^"]*)"\]')
_CANDIDATES = ("", " ", "a b", "!", "(x)", "é", "a\nb", "\x00", "-", "x" * 3, "A", "1", "arn:aws:x")


def _keys(path: str) -> list[str | int]:
    return [int(i) if i else (name or key) for name, i, key in _TOKEN.findall(path)]


def _set(props: dict, keys: list[str | int], value: Any) -> None:
    node: Any = props
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value


def _get(props: dict, keys: list[str | int]) -> Any:
    node: Any = props
    for k in keys:
        if (isinstance(node, dict) and k in node) or (isinstance(node, list) and isinstance(k, int) and k < len(node)):
            node = node[k]
        else:
            raise KeyError(k)
    return node


def _broken(c: Comparison, current: Any) -> tuple[Any, bool]:
    """A value breaking the compared constraint, and whether the check must report it (False: the pattern accepts
    every candidate string, so the check must report none of them)."""
    spec = c.spec
    low, high = spec.get("min"), spec.get("max")
    if c.kind == "enum":
        return "NOT_IN_THE_ENUM", True
    if c.kind == "range":
        return (high + 1 if high is not None else low - 1), True
    if c.kind == "length":
        if high is not None and high <= LONGEST:
            return "a" * (high + 1), True
        return ("", True) if low else (current, False)  # no length short or long enough to break it
    if c.kind == "size":
        count = high + 1 if high is not None else (low - 1 if low and low > 1 else None)
        if count is None:
            return current, False  # an empty collection is not sent, so "at least 1" cannot be broken
        if isinstance(current, dict):
            return {f"k{i}": "v" for i in range(count)}, True
        return (current[:1] or ["x"]) * count, True
    compiled = PATTERNS.get(spec["pattern"])
    assert compiled is not None
    fitting = [s for s in _CANDIDATES if (low is None or len(s) >= low) and (high is None or len(s) <= high)]
    failing = [s for s in fitting if full_match(compiled, s) is False]
    return (failing[0], True) if failing else (fitting[0] if fitting else "", False)


def _cases(resources: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], Comparison]]:
    seen: set[tuple[str, str, str]] = set()
    for r in resources:
        tm = mapping_for(r["type"])
        trace: list[Comparison] = []
        check_resource(r["type"], r["props"], urn=r["urn"], default_tags=r.get("defaultTags"), trace=trace)
        for c in trace:
            key = (r["type"], c.member, c.kind)
            if c.kind == "required" or " (" in c.path or key in seen:
                continue
            if isinstance(tm, TypeMap) and c.path in tm.prefixes:
                continue
            try:
                _get(r["props"], _keys(c.path))
            except KeyError:
                continue  # tags inherited from the provider: broken in test_aws_rules_model instead
            seen.add(key)
            yield r, c


@pytest.mark.parametrize("type_", MAPPED)
def test_each_constrained_member_a_type_reaches_in_the_stacks_is_enforced(resources, type_):
    cases = [(r, c) for r, c in _cases(resources) if r["type"] == type_]
    missed = []
    for r, c in cases:
        keys = _keys(c.path)
        props = copy.deepcopy(r["props"])
        value, reported = _broken(c, _get(props, keys))
        _set(props, keys, value)
        found, _ = check_resource(type_, props, urn=r["urn"], default_tags=r.get("defaultTags"))
        hits = [f for f in found if f.path.split(" (")[0].startswith(c.path) and f.rule.startswith(RULE_PREFIX[c.kind])]
        if bool(hits) is not reported:
            missed.append(f"{c.path} ({c.kind} {c.member}) with {value!r}: {[f.message() for f in found]}")
    assert missed == []


def test_the_table_covers_every_kind_of_constraint(resources):
    kinds = {c.kind for _, c in _cases(resources)}
    assert kinds == {"enum", "pattern", "length", "range", "size"}


def _top_level_members(tm: TypeMap) -> Iterator[tuple[str, str, dict[str, Any], str]]:
    """(root, member, shape, Pulumi input) for each constrained scalar member at the top of each root."""
    reverse = {target: key for key, target in tm.renames.items() if "." not in key and "[" not in key}
    for root in {*tm.roots, *(r for _, roots in tm.variants for r in roots)}:
        loc = operation_root(tm.service, root)
        for member, ref in loc.spec.get("members", {}).items():
            shape = loc.service.shape(ref["shape"])
            if shape["type"] in ("structure", "list", "map", "blob") or not {"enum", "min", "max", "pattern"} & set(
                shape
            ):
                continue
            yield root, member, shape, reverse.get(member, member[:1].lower() + member[1:])


@pytest.mark.parametrize("type_", MAPPED)
def test_each_constrained_top_level_member_of_a_mapped_operation_is_enforced(type_):
    tm = TYPES[type_]
    assert isinstance(tm, TypeMap)
    missed = []
    for root, member, shape, key in _top_level_members(tm):
        loc = resolve_input(type_, key, (root,))
        root_api = operation_root(tm.service, root).api
        if key in tm.skip or key in GLOBAL_SKIP:
            continue  # not a member input (explained in the mapping)
        if loc is None or loc.api not in (f"{root_api} {member}", f"{root_api}.{member}"):
            continue  # the input resolves elsewhere (an earlier root has a member of that name)
        kind = next(k for k in ("enum", "range", "length", "pattern") if _has(shape, k))
        value, reported = _broken(Comparison(key, kind, member, shape), None)
        found, _ = check_resource(type_, {key: value}, urn="urn:x")
        hit = any(f.path == key and f.rule.startswith(RULE_PREFIX[kind]) for f in found)
        if hit is not reported:
            missed.append(f"{root} {member} ({key}, {kind}) with {value!r}")
    assert missed == []


def _has(shape: dict[str, Any], kind: str) -> bool:
    if kind == "enum":
        return "enum" in shape
    if kind == "range":
        return shape["type"] in ("integer", "long", "float", "double") and ("min" in shape or "max" in shape)
    if kind == "length":
        return shape["type"] == "string" and (shape.get("min", 0) > 0 or shape.get("max", LONGEST + 1) <= LONGEST)
    return "pattern" in shape
