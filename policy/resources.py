"""Shared helpers for the policies: plain resource dicts, regions, default tags, split-S3 relations, unknowns.

Policies judge raw pulumi_aws / kubernetes resources. The pure model functions (`cost.estimate`,
`recovery.recovery_budget`) take resources as plain dicts
`{"type", "urn", "name", "region", "props", "protect"}`; `plain()` builds those from what the
pulumi_policy SDK hands a policy. Values the engine only knows after deploy become `UNKNOWN`, and a policy
that needs one reports "not known until deploy" (advisory) instead of crashing.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from contract.values import UNKNOWN, is_unknown
from contract.values import UNKNOWN_NOTE as UNKNOWN_NOTE  # the policies import the marker and its note from here
from policy.sdk import is_list_proxy, proxy_target


def unwrap(value: Any) -> Any:
    """Plain Python from a pulumi_policy props proxy: nested proxies unwrapped, unknown sentinels → UNKNOWN."""
    if isinstance(value, Mapping):
        target = proxy_target(value)
        return {k: unwrap(v) for k, v in target.items()}
    if isinstance(value, str):
        return UNKNOWN if is_unknown(value) else value
    if isinstance(value, (list, tuple)) or is_list_proxy(value):
        target = proxy_target(value)
        return [unwrap(v) for v in target]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def number(value: Any) -> float | None:
    """A number from an int, float or numeric string (`limitAmount` is "6000.00")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def region_of(props: Mapping[str, Any], provider_props: Mapping[str, Any] | None) -> str | None:
    """pulumi_aws 7: a resource's own `region` input wins, else its provider's region."""
    own = props.get("region")
    if isinstance(own, str) and own:
        return own
    if provider_props:
        region = provider_props.get("region")
        if isinstance(region, str) and region:
            return region
    return None


def default_tags(provider_props: Mapping[str, Any] | None) -> dict[str, str] | Any:
    """The provider's default tags. Provider inputs arrive JSON-encoded: defaultTags = '{"tags": {...}}'."""
    if not provider_props:
        return {}
    raw = provider_props.get("defaultTags")
    if raw is UNKNOWN:
        return UNKNOWN
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if isinstance(raw, Mapping):
        tags = raw.get("tags")
        if tags is UNKNOWN:
            return UNKNOWN
        if isinstance(tags, str):
            tags = json.loads(tags)
        if isinstance(tags, Mapping):
            return {str(k): v for k, v in tags.items()}
    return {}


def tags_of(props: Mapping[str, Any]) -> dict[str, Any]:
    tags = props.get("tags")
    return dict(tags) if isinstance(tags, Mapping) else {}


def plain(
    *,
    type_: str,
    urn: str,
    name: str,
    props: Any,
    protect: bool = False,
    provider_props: Any = None,
) -> dict[str, Any]:
    """The contract dict the pure functions take."""
    p = unwrap(props) if props is not None else {}
    prov = unwrap(provider_props) if provider_props is not None else None
    return {"type": type_, "urn": urn, "name": name, "region": region_of(p, prov), "props": p, "protect": protect}


def from_policy_resource(r: Any) -> dict[str, Any]:
    """A pulumi_policy PolicyResource (stack policies) as a contract dict."""
    return plain(
        type_=r.resource_type,
        urn=r.urn,
        name=r.name,
        props=r.props,
        protect=bool(r.opts.protect),
        provider_props=r.provider.props if r.provider is not None else None,
    )


def stack_dicts(resources: Iterable[Any]) -> list[dict[str, Any]]:
    """A stack policy's resources (providers excluded) as contract dicts, each with the `id` other resources
    know it by: a property `…Id` whose only dependency is resource X holds X's id (the engine passes no ids)."""
    resources = [r for r in resources if not r.resource_type.startswith("pulumi:providers:")]
    ids: dict[str, str] = {}
    for r in resources:
        props = unwrap(r.props)
        for prop, deps in (getattr(r, "property_dependencies", {}) or {}).items():
            value = props.get(prop)
            if prop.endswith("Id") and len(deps) == 1 and isinstance(value, str):
                ids.setdefault(deps[0].urn, value)
    out = []
    for r in resources:
        d = from_policy_resource(r)
        if r.urn in ids:
            d["id"] = ids[r.urn]
        out.append(d)
    return out


def provider_props_of(r: Any) -> dict[str, Any] | None:
    prov = getattr(r, "provider", None)
    return unwrap(prov.props) if prov is not None else None


def short(urn: str) -> str:
    """`type::name` tail of a URN, for messages."""
    return urn.split("::")[-1] if "::" in urn else urn


# --- which resources are related ------------------------------------------------------------------


def related(r: Any, prop: str, candidates: Iterable[Any]) -> list[Any]:
    """Resources among `candidates` that `r.props[prop]` refers to, by property dependency (pulumi_policy
    PolicyResource.property_dependencies), else by matching the bucket/ARN/name value."""
    cands = list(candidates)
    deps = getattr(r, "property_dependencies", {}) or {}
    by_dep = [c for c in cands if any(d is c or getattr(d, "urn", None) == c.urn for d in deps.get(prop, []))]
    if by_dep:
        return by_dep
    value = unwrap(r.props).get(prop) if prop in r.props else None
    if not isinstance(value, str) or value is UNKNOWN:
        return []
    out = []
    for c in cands:
        cp = unwrap(c.props)
        if value in (cp.get("bucket"), cp.get("arn"), cp.get("name"), c.name) and value is not None:
            out.append(c)
    return out


# --- taggable AWS resources -----------------------------------------------------------------------

_TAGS_MARKER = '__props__.__dict__["tags"] = tags'


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


@cache
def _aws_root() -> Path | None:
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def is_taggable(type_: str) -> bool | None:
    """Whether a pulumi_aws resource type accepts `tags` — read from the installed SDK source (no import:
    importing every pulumi_aws module would cost seconds). None when the type is not found."""
    m = re.fullmatch(r"aws:([A-Za-z0-9]+)/[A-Za-z0-9]+:([A-Za-z0-9]+)", type_)
    root = _aws_root()
    if not m or root is None:
        return None
    path = root / m.group(1).lower() / f"{_snake(m.group(2))}.py"
    if not path.is_file():
        return None
    return _TAGS_MARKER in path.read_text(encoding="utf-8")


# --- Go durations (Velero TTL) and cron periods -------------------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms)")


def go_duration_hours(text: str) -> float | None:
    """'720h0m0s' → 720.0 hours. None when it is not a Go duration."""
    text = text.strip()
    if not text or _DURATION.sub("", text) != "":
        return None
    seconds = 0.0
    for num, unit in _DURATION.findall(text):
        seconds += float(num) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
    return seconds / 3600
