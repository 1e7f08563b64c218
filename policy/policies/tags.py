"""Tags: every taggable AWS resource carries the cost-allocation tags, itself or through provider default tags."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, ResourceValidationPolicy

from policy.policies._common import MANDATORY, Report, Unknowns, config, schema
from policy.resources import UNKNOWN, default_tags, is_taggable, provider_props_of, tags_of, unwrap

_SCHEMA = schema(
    {
        "requiredTags": {
            "type": "array",
            "items": {"type": "string"},
            "minItems": 1,
            "default": ["environment", "service", "cost-center"],
        }
    }
)


def _validate(args: ResourceValidationArgs, report: Report) -> None:
    if not args.resource_type.startswith("aws:"):
        return
    props = unwrap(args.props)
    taggable = is_taggable(args.resource_type)
    if taggable is False or (taggable is None and "tags" not in props):
        return
    u = Unknowns()
    own = props.get("tags")
    if own is UNKNOWN:
        u.add(args.urn, "tags")
        u.finish()
    inherited = default_tags(provider_props_of(args))
    if inherited is UNKNOWN:
        u.add(args.urn, "provider defaultTags")
        u.finish()
    effective = {**inherited, **tags_of(props)}
    missing = [t for t in config(args, _SCHEMA)["requiredTags"] if effective.get(t) in (None, "")]
    if missing:
        report(
            f"{args.name} lacks cost-allocation tag(s) {', '.join(missing)} (neither its tags nor its provider's "
            f"default_tags set them); Budgets cannot attribute its spend."
        )


cost_allocation_tags = ResourceValidationPolicy(
    name="cost-allocation-tags",
    description="Every taggable AWS resource carries the cost-allocation tags (directly or via provider default tags).",
    validate=_validate,
    enforcement_level=MANDATORY,
    config_schema=_SCHEMA,
    remediation_steps="Create the resource with an explicit aws.Provider whose default_tags carry the required tags "
    "(providers.py does this), or set the tags on the resource.",
)

POLICIES = [cost_allocation_tags]
