"""Which rules a request falls under, judged by evaluating the rule statements the edge component emits.

A request reaches a regional (ALB) web ACL either straight from a client or from CloudFront, which adds the
secret x-origin-verify header. `policy.waf` evaluates the scope-down statements as WAF does, so these tests hold
the emitted statements to what they must mean, not to how they are spelled.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from components.edge import BOT_CONTROL, IP_GROUPS, ORIGIN_HEADER, RATE_RULE
from policy import waf
from policy.waf import Request
from tests.harness import run_component
from tests.schemas import reveal  # inputs with secrets opened: the evaluator compares what WAF would
from tests.test_edge import ACL, build

GATEWAY = "gateway.summit.example.com"


@functools.cache
def _run(stack: str, **overrides: Any) -> Any:
    return run_component(build, stack, overrides=overrides or None)


def _rules(run: Any, role: str) -> list[dict[str, Any]]:
    return reveal(run.one(ACL, f"edge-{role}-acl").inputs["rules"])


def _secret(run: Any, slot: int) -> str:
    return str(
        reveal(run.one("random:index/randomPassword:RandomPassword", f"edge-origin-secret-{slot}").outputs)["result"]
    )


def _cloudfront_sends(run: Any) -> str:
    """The x-origin-verify value the distribution adds to origin requests (all origins carry the same one)."""
    origins = reveal(run.one("aws:cloudfront/distribution:Distribution").inputs["origins"])
    values = {h["value"] for o in origins for h in o["customHeaders"] if h["name"] == ORIGIN_HEADER}
    assert len(values) == 1
    return values.pop()


def _direct(host: str = GATEWAY, **headers: str) -> Request:
    return Request(headers={"host": host, **headers}, method="POST", uri_path="/graphql")


def _rate_limited(rules: list[dict[str, Any]], request: Request) -> bool:
    return RATE_RULE in waf.rules_evaluating(rules, request)


@pytest.mark.parametrize("role", ["primary", "dr"])
def test_gateway_host_sent_straight_to_the_alb_without_the_secret_is_rate_limited(role):
    prod = _run("prod")
    assert _rate_limited(_rules(prod, role), _direct(GATEWAY))
    assert _rate_limited(_rules(prod, role), _direct("gateway-origin.summit.example.com"))


@pytest.mark.parametrize("role", ["primary", "dr"])
def test_a_request_carrying_the_secret_cloudfront_sends_is_left_to_the_cloudfront_acl(role):
    prod = _run("prod")
    request = _direct(GATEWAY, **{ORIGIN_HEADER: _cloudfront_sends(prod)})
    assert not _rate_limited(_rules(prod, role), request)


@pytest.mark.parametrize("value", ["guess", "", "PREFLIGHT-", "x" * 64])
def test_a_wrong_secret_value_is_rate_limited_at_the_alb(value):
    prod = _run("prod")
    assert _rate_limited(_rules(prod, "primary"), _direct(GATEWAY, **{ORIGIN_HEADER: value}))


def test_the_secret_in_another_letter_case_is_rate_limited():
    """The match is exact and untransformed: a secret with its case changed is a wrong secret."""
    prod = _run("prod")
    changed = _cloudfront_sends(prod).swapcase()
    assert _rate_limited(_rules(prod, "primary"), _direct(GATEWAY, **{ORIGIN_HEADER: changed}))


def test_the_header_name_matches_in_any_case_as_http_header_names_do():
    prod = _run("prod")
    request = _direct(GATEWAY, **{ORIGIN_HEADER.upper(): _cloudfront_sends(prod)})
    assert not _rate_limited(_rules(prod, "primary"), request)


def test_the_cloudfront_acl_rate_limits_every_viewer_request_per_viewer_ip():
    prod = _run("prod")
    rules = _rules(prod, "cloudfront")
    assert _rate_limited(rules, _direct(GATEWAY))
    assert _rate_limited(rules, _direct(GATEWAY, **{ORIGIN_HEADER: _cloudfront_sends(prod)}))


def test_without_cloudfront_the_alb_rate_limits_every_request():
    dev = _run("dev")
    assert _rate_limited(_rules(dev, "primary"), _direct("gateway.dev.summit.example.com"))
    assert _rate_limited(_rules(dev, "primary"), _direct("gateway.dev.summit.example.com", **{ORIGIN_HEADER: "x"}))


def _inspections(run: Any, group: str, viewer: Request) -> int:
    """How many web ACLs run `group` on one client request that goes through CloudFront to an ALB."""
    at_edge = group in waf.rules_evaluating(_rules(run, "cloudfront"), viewer)
    origin_request = Request(
        headers={**viewer.headers, ORIGIN_HEADER: _cloudfront_sends(run)},
        method=viewer.method,
        uri_path=viewer.uri_path,
    )
    at_alb = group in waf.rules_evaluating(_rules(run, "primary"), origin_request)
    return int(at_edge) + int(at_alb)


@pytest.mark.parametrize("path", ["/graphql", "/static/app.js"])
def test_bot_control_inspects_a_request_through_cloudfront_once(path):
    prod = _run("prod")
    assert _inspections(prod, BOT_CONTROL, Request(headers={"host": GATEWAY}, uri_path=path)) == 1


def test_bot_control_inspects_a_request_straight_to_the_alb_once():
    prod = _run("prod")
    assert BOT_CONTROL in waf.rules_evaluating(_rules(prod, "primary"), _direct(GATEWAY))


@pytest.mark.parametrize("group", IP_GROUPS)
def test_ip_lists_judge_a_cloudfront_request_at_the_edge_where_the_viewer_ip_is_known(group):
    prod = _run("prod")
    viewer = Request(headers={"host": GATEWAY})
    assert group in waf.rules_evaluating(_rules(prod, "cloudfront"), viewer)
    assert _inspections(prod, group, viewer) == 1


def test_content_rule_groups_still_inspect_everything_at_the_alb():
    prod = _run("prod")
    request = _direct(GATEWAY, **{ORIGIN_HEADER: _cloudfront_sends(prod)})
    evaluated = waf.rules_evaluating(_rules(prod, "primary"), request)
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= set(evaluated)


def test_during_a_rotation_the_albs_accept_the_new_and_the_previous_secret_and_nothing_else():
    rotating = _run("prod", cloudfrontOriginSecretGeneration=2, cloudfrontOriginSecretAcceptPrevious=True)
    rules = _rules(rotating, "primary")
    new, previous = _secret(rotating, 0), _secret(rotating, 1)
    assert _cloudfront_sends(rotating) == new
    assert not _rate_limited(rules, _direct(GATEWAY, **{ORIGIN_HEADER: new}))
    assert not _rate_limited(rules, _direct(GATEWAY, **{ORIGIN_HEADER: previous}))
    assert _rate_limited(rules, _direct(GATEWAY, **{ORIGIN_HEADER: "retired-or-guessed"}))


def test_after_a_rotation_the_previous_secret_is_rate_limited_again():
    rotated = _run("prod", cloudfrontOriginSecretGeneration=2)
    rules = _rules(rotated, "primary")
    assert _cloudfront_sends(rotated) == _secret(rotated, 0)
    assert _rate_limited(rules, _direct(GATEWAY, **{ORIGIN_HEADER: _secret(rotated, 1)}))


ACLS = [("dev", "primary"), ("dev", "dr")] + [
    (s, r) for s in ("stage", "prod") for r in ("primary", "dr", "cloudfront")
]


@pytest.mark.parametrize(("stack", "role"), ACLS)
def test_every_acl_fits_the_1500_wcu_a_web_acl_gets_at_its_base_price(stack, role):
    assert waf.capacity(_rules(_run(stack), role)) <= waf.BASE_PRICE_WCU


def test_capacity_counts_the_new_group_and_every_scope_down():
    prod = _run("prod")
    # 25 + 50 + 700 + 200 + 50 managed, rate 2, four scope-downs of one exact match (2 each)
    assert waf.capacity(_rules(prod, "primary")) == 1025 + 2 + 4 * 2
    assert waf.capacity(_rules(prod, "cloudfront")) == 1025 + 2


# --- the evaluator itself --------------------------------------------------------------------------------------

HEADER_IS = {
    "byteMatchStatement": {
        "searchString": "s3cret",
        "positionalConstraint": "EXACTLY",
        "fieldToMatch": {"singleHeader": {"name": "X-Origin-Verify"}},
        "textTransformations": [{"priority": 0, "type": "NONE"}],
    }
}


def test_a_missing_header_does_not_match_a_string_match_on_it():
    assert not waf.matches(HEADER_IS, Request(headers={}))
    assert waf.matches({"notStatement": {"statement": HEADER_IS}}, Request(headers={}))


def test_or_and_and_combine_nested_statements():
    other = {**HEADER_IS, "byteMatchStatement": {**HEADER_IS["byteMatchStatement"], "searchString": "old"}}
    either = {"orStatement": {"statements": [HEADER_IS, other]}}
    both = {"andStatement": {"statements": [HEADER_IS, other]}}
    assert waf.matches(either, Request(headers={"x-origin-verify": "old"}))
    assert not waf.matches(both, Request(headers={"x-origin-verify": "old"}))


def test_waf_json_in_pascal_case_evaluates_like_the_provider_inputs():
    pascal = {
        "ByteMatchStatement": {
            "SearchString": "gateway.example.com",
            "PositionalConstraint": "EXACTLY",
            "FieldToMatch": {"SingleHeader": {"Name": "host"}},
            "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}],
        }
    }
    assert waf.matches(pascal, Request(headers={"Host": "Gateway.Example.com"}))


def test_a_statement_the_model_does_not_know_is_refused_not_guessed():
    with pytest.raises(waf.Unsupported):
        waf.matches({"geoMatchStatement": {"countryCodes": ["US"]}}, Request())
