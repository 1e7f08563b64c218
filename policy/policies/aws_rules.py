"""AWS's rules: inputs AWS would refuse in the middle of `pulumi up`, found at preview (policy/awsrules)."""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from pulumi_policy import ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs

from policy.awsrules import LIMITS_POLICY, MODEL_POLICY, TALLY_FILE_ENV, botomodel, limits
from policy.awsrules.mapping import TypeMap, mapping_for
from policy.awsrules.modelcheck import check_resource
from policy.policies._common import MANDATORY, Report, schema, stack_policy
from policy.resources import UNKNOWN, default_tags, provider_props_of, region_of, unwrap

_REMEDIATION = (
    "Each message reads '<resource URN>: <input path> = <value>: <rule> [<API member or AWS page>]'. Change that "
    "input to a value AWS accepts. docs/aws-rules.md lists what is checked and why; a rule that is wrong is fixed "
    "in policy/awsrules (a rename in mapping.py, a limit in limits.py), not by disabling the policy."
)


_TALLY_LOCK = threading.Lock()  # the pack answers Analyze calls on a thread pool


def _hand_over(type_: str, tally: Any) -> None:
    """Append this resource's tally for preflight's coverage report, when preflight asked for it."""
    path = os.environ.get(TALLY_FILE_ENV)
    if not path:
        return
    tm = mapping_for(type_)
    services = [tm.service] if isinstance(tm, TypeMap) else []
    line = {"botocore": botomodel.botocore_version(), "services": services, **tally.to_json()}
    with _TALLY_LOCK, open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def _model(args: ResourceValidationArgs, report: Report) -> None:
    if not args.resource_type.startswith("aws:"):
        return
    inherited = default_tags(provider_props_of(args))
    findings, tally = check_resource(
        args.resource_type,
        unwrap(args.props),
        urn=args.urn,
        default_tags=None if inherited is UNKNOWN else inherited,
    )
    _hand_over(args.resource_type, tally)
    for f in findings:
        report(f.message())


aws_api_model = ResourceValidationPolicy(
    name=MODEL_POLICY,
    description="Every known AWS input satisfies its API member in botocore's models (enum, pattern, length, range, "
    "required members).",
    validate=_model,
    enforcement_level=MANDATORY,
    config_schema=schema({}),
    remediation_steps=_REMEDIATION,
)


def resources_of(args: StackValidationArgs) -> list[limits.Res]:
    out = []
    for r in args.resources:
        props = unwrap(r.props)
        provider = provider_props_of(r)
        deps = getattr(r, "property_dependencies", {}) or {}
        out.append(
            limits.Res(
                type=r.resource_type,
                urn=r.urn,
                name=r.name,
                region=region_of(props, provider),
                props=props,
                property_dependencies={k: [d.urn for d in v] for k, v in deps.items()},
            )
        )
    return out


def _limits(args: StackValidationArgs, report: Report, _: dict[str, Any]) -> None:
    for f in limits.check(resources_of(args)):
        report(f.message(), f.urn)


aws_service_limits = stack_policy(
    name=LIMITS_POLICY,
    description="AWS service limits the API models cannot express (each message cites its AWS page).",
    validate=_limits,
    config_schema=schema({}),
    remediation=_REMEDIATION,
)

POLICIES = [aws_api_model, aws_service_limits]
