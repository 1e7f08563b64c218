"""Every string WAFv2 receives from any stack satisfies the WAFv2 API model that ships with botocore.

The mock engine accepts anything; WAF rejects a description with parentheses, a metric name with a space, a
header name over 64 characters. This walks every input of every aws:wafv2 resource (and the provider default
tags a web ACL is created with) alongside the request shape of the API call the provider makes, and checks
each value against that shape's pattern, length, enum and range — read from botocore's model at test time, so a
string added later is checked too, and a key the walk cannot place in the model fails instead of going unchecked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.loaders
import pytest
import regex  # AWS patterns use Java classes such as \p{L}, which `re` lacks

from preflight.engine import UNKNOWN, SecretValue
from tests.harness import run_stack

STACKS = ["dev", "stage", "prod"]
# pulumi_aws type → the API request whose members its inputs become (CreateWebACL/UpdateWebACL share members).
REQUEST_SHAPE = {
    "aws:wafv2/webAcl:WebAcl": "CreateWebACLRequest",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "AssociateWebACLRequest",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "LoggingConfiguration",
}
# Inputs that configure the provider call rather than go into the request body.
PROVIDER_ONLY = {"region"}
# A blob's length limit lives only in the member's documentation ("The maximum length of the value is 200 bytes.").
_DOC_MAX_BYTES = re.compile(r"maximum length of the value is (\d+) bytes")


@cache
def model() -> dict[str, Any]:
    return botocore.loaders.Loader().load_service_model("wafv2", "service-2")  # type: ignore[no-any-return]


def _member(shape: Mapping[str, Any], key: str) -> tuple[str, Mapping[str, Any]] | None:
    """The member a camelCase input key stands for (WebACLArn ↔ webAclArn, AWSManaged… ↔ awsManaged…)."""
    for name, member in shape.get("members", {}).items():
        if name.lower() == key.lower():
            return name, member
    return None


def _check_scalar(value: Any, shape_name: str, path: str, doc: str = "") -> Iterator[str]:
    shape = model()["shapes"][shape_name]
    kind = shape["type"]
    if value is UNKNOWN:
        yield f"{path}: not known at preview, cannot be checked against {shape_name}"
        return
    if kind == "string":
        if not isinstance(value, str):
            yield f"{path}: {value!r} is not a string ({shape_name})"
            return
        if "min" in shape and len(value) < shape["min"]:
            yield f"{path}: {value!r} is shorter than {shape['min']} ({shape_name})"
        if "max" in shape and len(value) > shape["max"]:
            yield f"{path}: {value!r} is longer than {shape['max']} ({shape_name})"
        if "pattern" in shape and not regex.fullmatch(shape["pattern"], value, flags=regex.ASCII):
            yield f"{path}: {value!r} does not match {shape['pattern']} ({shape_name})"
        if "enum" in shape and value not in shape["enum"]:
            yield f"{path}: {value!r} is not one of {shape['enum']} ({shape_name})"
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            yield f"{path}: {value!r} is not an integer ({shape_name})"
            return
        if "min" in shape and value < shape["min"]:
            yield f"{path}: {value} is below {shape['min']} ({shape_name})"
        if "max" in shape and value > shape["max"]:
            yield f"{path}: {value} is above {shape['max']} ({shape_name})"
    elif kind == "boolean":
        if not isinstance(value, bool):
            yield f"{path}: {value!r} is not a boolean ({shape_name})"
    elif kind == "blob":
        data = value.encode() if isinstance(value, str) else value
        limit = _DOC_MAX_BYTES.search(doc)
        if limit and len(data) > int(limit.group(1)):
            yield f"{path}: {len(data)} bytes, more than the {limit.group(1)} documented for {shape_name}"
    else:
        yield f"{path}: no check for {kind} shape {shape_name}"


@dataclass(frozen=True)
class Leaf:
    """A scalar input and the model shape it must satisfy; `problem` is set for structural mismatches."""

    path: str
    shape: str
    value: Any = None
    doc: str = ""
    problem: str = ""


def walk(value: Any, shape_name: str, path: str, doc: str = "") -> Iterator[Leaf]:
    """Every scalar of `value` (pulumi inputs, camelCase) with its botocore shape, plus structural mismatches."""
    if isinstance(value, SecretValue):
        value = value.value
    shape = model()["shapes"][shape_name]
    kind = shape["type"]
    if kind == "structure":
        if not isinstance(value, Mapping):
            yield Leaf(path, shape_name, problem=f"{path}: expected an object for {shape_name}, got {value!r}")
            return
        for key, item in value.items():
            found = _member(shape, key)
            if found is None:
                problem = f"{path}.{key}: {shape_name} has no such member — extend the walk, the value is unchecked"
                yield Leaf(f"{path}.{key}", shape_name, problem=problem)
                continue
            _, member = found
            yield from walk(item, member["shape"], f"{path}.{key}", member.get("documentation", ""))
        for m in shape.get("required", []):
            if not any(k.lower() == m.lower() for k in value):
                yield Leaf(path, shape_name, problem=f"{path}: required member {m} of {shape_name} is missing")
    elif kind == "list":
        if not isinstance(value, list):
            yield Leaf(path, shape_name, problem=f"{path}: expected a list for {shape_name}, got {value!r}")
            return
        if "min" in shape and len(value) < shape["min"]:
            yield Leaf(
                path, shape_name, problem=f"{path}: {len(value)} items, fewer than {shape['min']} ({shape_name})"
            )
        if "max" in shape and len(value) > shape["max"]:
            yield Leaf(path, shape_name, problem=f"{path}: {len(value)} items, more than {shape['max']} ({shape_name})")
        for i, item in enumerate(value):
            yield from walk(item, shape["member"]["shape"], f"{path}[{i}]")
    else:
        yield Leaf(path, shape_name, value, doc)


def violations(value: Any, shape_name: str, path: str) -> list[str]:
    """Every way `value` breaks botocore shape `shape_name`."""
    out: list[str] = []
    for leaf in walk(value, shape_name, path):
        out += [leaf.problem] if leaf.problem else list(_check_scalar(leaf.value, leaf.shape, leaf.path, leaf.doc))
    return out


def _tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _request(run: Any, r: Any) -> tuple[dict[str, Any], str]:
    """The request body a resource's inputs become, with the provider's default tags merged as AWS receives them."""
    shape = REQUEST_SHAPE[r.type]
    body = {k: v for k, v in r.inputs.items() if k not in PROVIDER_ONLY and k != "tags"}
    if "Tags" in model()["shapes"][shape].get("members", {}):
        provider = run.provider_of(r)
        default_tags = json.loads(provider.inputs["defaultTags"])["tags"] if provider else {}
        body["tags"] = _tag_list({**default_tags, **(r.inputs.get("tags") or {})})
    return body, shape


def resource_violations(run: Any, r: Any) -> list[str]:
    body, shape = _request(run, r)
    return violations(body, shape, r.name)


@cache
def _run(stack: str) -> Any:
    return run_stack(stack)


def _waf_resources(run: Any) -> list[Any]:
    return [r for r in run.resources if r.type.startswith("aws:wafv2/")]


@pytest.mark.parametrize("stack", STACKS)
def test_every_wafv2_input_of_the_stack_is_valid_for_the_wafv2_api(stack):
    run = _run(stack)
    resources = _waf_resources(run)
    assert {r.type for r in resources} == set(REQUEST_SHAPE), "the walk knows every WAFv2 type the stack creates"
    problems = [p for r in resources for p in resource_violations(run, r)]
    assert problems == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_walk_reaches_descriptions_rule_and_metric_names_header_names_and_tags(stack):
    """Guards the guard: the strings WAF rejected before are among the values checked."""
    run = _run(stack)
    acl = run.all("aws:wafv2/webAcl:WebAcl")[0]
    body, shape = _request(run, acl)
    reached = {leaf.shape for leaf in walk(body, shape, acl.name)}
    assert {"EntityDescription", "EntityName", "MetricName", "TagKey", "TagValue"} <= reached
    logging = run.all("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")[0]
    body, shape = _request(run, logging)
    assert "FieldToMatchData" in {leaf.shape for leaf in walk(body, shape, logging.name)}


def test_a_description_with_parentheses_is_reported_against_the_model_pattern():
    """The description every web ACL used to carry: WAF's EntityDescription pattern has no parentheses."""
    found = violations("summit-prod-primary: AWS managed rules (block mode)", "EntityDescription", "d")
    assert len(found) == 1 and "does not match" in found[0]


def test_a_metric_name_with_a_space_is_reported():
    assert violations("rate limit", "MetricName", "m")


def test_an_input_the_model_does_not_know_is_reported_instead_of_skipped():
    found = violations({"name": "acl", "colour": "blue"}, "CreateWebACLRequest", "acl")
    assert any("acl.colour: CreateWebACLRequest has no such member" in f for f in found)


def test_a_search_string_over_the_documented_200_bytes_is_reported():
    statement = {
        "byteMatchStatement": {
            "searchString": "x" * 201,
            "positionalConstraint": "EXACTLY",
            "fieldToMatch": {"singleHeader": {"name": "x-origin-verify"}},
            "textTransformations": [{"priority": 0, "type": "NONE"}],
        }
    }
    found = violations(statement, "Statement", "s")
    assert found == ["s.byteMatchStatement.searchString: 201 bytes, more than the 200 documented for SearchString"]
