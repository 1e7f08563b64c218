"""WAFv2 rule statements as data: which rules a request falls under, and what an ACL's rules cost in capacity.

One model for every layer that reasons about web ACL rules (the edge tests, the gateway-waf policy): it reads
the statements exactly as the provider sends them — pulumi_aws inputs (camelCase) or WAF's own JSON
(PascalCase), keys matched case-insensitively — and never guesses: a statement, field or text transformation
it does not model raises `Unsupported`, so a new kind of rule cannot be silently misjudged.

Semantics follow the AWS WAF Developer Guide: a managed rule group or rate-based rule with a scope-down
statement only evaluates (and, for Bot Control, only bills) the requests that match the scope-down; a request
without the header a single-header match inspects does not match it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# WCU of the AWS managed rule groups this project can run (AWS WAF Developer Guide, "AWS Managed Rules rule
# groups list": each group's VendorName/Name/WCU line).
MANAGED_GROUP_WCU = {
    "AWSManagedRulesAmazonIpReputationList": 25,
    "AWSManagedRulesAnonymousIpList": 50,
    "AWSManagedRulesCommonRuleSet": 700,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
    "AWSManagedRulesBotControlRuleSet": 50,
}
# A web ACL's rules fit in 1,500 WCU at the base price; above that each further 500 WCU adds a per-request fee
# (AWS WAF Developer Guide, "Web ACL capacity units"; What's New 2023-04-11, limit raised to 5,000).
BASE_PRICE_WCU = 1500
RATE_BASED_WCU = 2  # base cost, plus the scope-down statement's ("Rate-based rule statement": WCUs)
# String match ("Rule statement characteristics"): 2 for exact/prefix/suffix, 10 for contains; +10 per text
# transformation applied.
_BYTE_MATCH_WCU = {"EXACTLY": 2, "STARTS_WITH": 2, "ENDS_WITH": 2, "CONTAINS": 10, "CONTAINS_WORD": 10}
_TRANSFORMATION_WCU = 10


class Unsupported(ValueError):
    """A statement this model does not evaluate (extend the model rather than guess)."""


@dataclass(frozen=True)
class Request:
    """What a rule can look at. Header names are case-insensitive, as in HTTP and in WAF's single-header match."""

    headers: Mapping[str, str] = field(default_factory=dict)
    method: str = "GET"
    uri_path: str = "/"
    query_string: str = ""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


def get(d: Any, key: str) -> Any:
    """`d[key]` matching the key case-insensitively (camelCase inputs, PascalCase JSON); None when absent."""
    if not isinstance(d, Mapping):
        return None
    wanted = key.lower()
    for k, v in d.items():
        if isinstance(k, str) and k.lower() == wanted:
            return v
    return None


def _only_key(d: Any, what: str) -> tuple[str, Any]:
    if not isinstance(d, Mapping) or len(d) != 1:
        raise Unsupported(f"{what} must name exactly one kind, got {sorted(d) if isinstance(d, Mapping) else d!r}")
    ((k, v),) = d.items()
    return k, v


def _transform(value: str, transformations: Sequence[Any]) -> str:
    for t in sorted(transformations or [], key=lambda t: get(t, "priority") or 0):
        kind = str(get(t, "type")).upper()
        if kind == "NONE":
            continue
        if kind == "LOWERCASE":
            value = value.lower()
        else:
            raise Unsupported(f"text transformation {kind} is not modelled")
    return value


def _field_value(field_to_match: Any, request: Request) -> str | None:
    kind, spec = _only_key(field_to_match, "fieldToMatch")
    match kind.lower():
        case "singleheader":
            return request.header(str(get(spec, "name")))
        case "method":
            return request.method
        case "uripath":
            return request.uri_path
        case "querystring":
            return request.query_string
    raise Unsupported(f"fieldToMatch {kind} is not modelled")


def _byte_match(spec: Any, request: Request) -> bool:
    raw = _field_value(get(spec, "fieldToMatch"), request)
    if raw is None:  # the inspected header is absent: a string match on it does not match
        return False
    transformations = get(spec, "textTransformations") or []
    value = _transform(raw, transformations)
    needle = _transform(str(get(spec, "searchString")), [])
    constraint = str(get(spec, "positionalConstraint")).upper()
    if constraint == "EXACTLY":
        return value == needle
    if constraint == "STARTS_WITH":
        return value.startswith(needle)
    if constraint == "ENDS_WITH":
        return value.endswith(needle)
    if constraint == "CONTAINS":
        return needle in value
    if constraint == "CONTAINS_WORD":
        return re.search(rf"(?<![A-Za-z0-9_]){re.escape(needle)}(?![A-Za-z0-9_])", value) is not None
    raise Unsupported(f"positionalConstraint {constraint} is not modelled")


def matches(statement: Any, request: Request) -> bool:
    """Whether `request` matches a nestable statement (byte match, NOT, AND, OR)."""
    kind, spec = _only_key(statement, "statement")
    match kind.lower():
        case "bytematchstatement":
            return _byte_match(spec, request)
        case "notstatement":
            return not matches(get(spec, "statement"), request)
        case "andstatement":
            return all(matches(s, request) for s in get(spec, "statements") or [])
        case "orstatement":
            return any(matches(s, request) for s in get(spec, "statements") or [])
    raise Unsupported(f"statement {kind} is not modelled")


def scope_down(rule: Mapping[str, Any]) -> Any:
    """The scope-down statement of a rate-based or managed-rule-group rule (None: it evaluates every request)."""
    kind, spec = _only_key(get(rule, "statement"), f"rule {get(rule, 'name')} statement")
    if kind.lower() not in ("ratebasedstatement", "managedrulegroupstatement"):
        raise Unsupported(f"rule {get(rule, 'name')}: {kind} has no scope-down in this model")
    return get(spec, "scopeDownStatement")


def evaluates(rule: Mapping[str, Any], request: Request) -> bool:
    """Whether the rule looks at `request` at all: a rate-based rule counts it toward the client's limit, a
    managed group inspects it (and Bot Control bills it). Rules earlier in the ACL that terminate are the
    caller's business (`rules_evaluating` takes the ACL in order, with no terminating matches)."""
    scope = scope_down(rule)
    return True if scope is None else matches(scope, request)


def rules_evaluating(rules: Sequence[Mapping[str, Any]], request: Request) -> list[str]:
    """Names of the rules (in priority order) that evaluate a request no earlier rule has terminated."""
    ordered = sorted(rules, key=lambda r: get(r, "priority") or 0)
    return [str(get(r, "name")) for r in ordered if evaluates(r, request)]


def statements(statement: Any) -> Iterator[tuple[str, Any]]:
    """Every (kind, spec) in a statement tree, the statement itself first (scope-downs included)."""
    if not isinstance(statement, Mapping):
        return
    for kind, spec in statement.items():
        yield kind, spec
        for key in ("statement", "scopeDownStatement"):
            yield from statements(get(spec, key))
        for nested in get(spec, "statements") or []:
            yield from statements(nested)


def statement_capacity(statement: Any) -> int:
    """WCU of a nestable statement (logical statements cost what their nested statements cost)."""
    if statement is None:
        return 0
    kind, spec = _only_key(statement, "statement")
    match kind.lower():
        case "bytematchstatement":
            constraint = str(get(spec, "positionalConstraint")).upper()
            applied = [t for t in get(spec, "textTransformations") or [] if str(get(t, "type")).upper() != "NONE"]
            return _BYTE_MATCH_WCU[constraint] + _TRANSFORMATION_WCU * len(applied)
        case "notstatement":
            return statement_capacity(get(spec, "statement"))
        case "andstatement" | "orstatement":
            return sum(statement_capacity(s) for s in get(spec, "statements") or [])
    raise Unsupported(f"statement {kind} has no capacity in this model")


def rule_capacity(rule: Mapping[str, Any]) -> int:
    kind, spec = _only_key(get(rule, "statement"), f"rule {get(rule, 'name')} statement")
    if kind.lower() == "managedrulegroupstatement":
        name = str(get(spec, "name"))
        if name not in MANAGED_GROUP_WCU:
            raise Unsupported(f"managed rule group {name} has no WCU in this model")
        return MANAGED_GROUP_WCU[name] + statement_capacity(get(spec, "scopeDownStatement"))
    if kind.lower() == "ratebasedstatement":
        return RATE_BASED_WCU + statement_capacity(get(spec, "scopeDownStatement"))
    return statement_capacity(get(rule, "statement"))


def capacity(rules: Sequence[Mapping[str, Any]]) -> int:
    """The WCU a web ACL's rules need (an upper bound: WAF may share text transformations between rules)."""
    return sum(rule_capacity(r) for r in rules)
