"""Model-driven checks: each known input value against the shape of the AWS API member it becomes.

`check_resource(type, props, …)` walks a resource's inputs (nested blocks too) alongside the API members the mapping
(policy/awsrules/mapping.py) says they become, and compares every known value with the member's shape in botocore's
model: enum ("one of …"), pattern (whole value, Java syntax translated), length and list size (min/max), numeric
range (min/max), and required members of nested structures. Values only known after deploy are skipped and counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from policy.awsrules import botomodel
from policy.awsrules.findings import Finding, Tally, shown
from policy.awsrules.javaregex import PATTERNS, full_match
from policy.awsrules.mapping import GLOBAL_SKIP, PREFIX_SUFFIX_LENGTH, NotChecked, TypeMap, mapping_for
from policy.resources import UNKNOWN, is_taggable
from policy.resources import number as to_number

ENUM_SHOWN = 12  # enum values listed in a message before "…"
_SEGMENT = re.compile(r"([A-Za-z0-9_]+)(?:\{([^}]*)\})?(\[\])?")
_SECRET_NAMES = ("password", "secret", "token", "privatekey")


@dataclass(frozen=True)
class Loc:
    """A place in an operation's input: the service, the shape there, and how to name it in a message."""

    service: botomodel.Service
    shape: str
    api: str  # "wafv2 CreateWebACL Rules[].VisibilityConfig.MetricName"
    root: bool = False  # an operation input or a mapping root: the provider fills identifiers, so no required check

    @property
    def spec(self) -> dict[str, Any]:
        return self.service.shape(self.shape)


@cache
def _normalized_members(service: str, shape: str) -> dict[str, str]:
    members = botomodel.service(service).shape(shape).get("members", {})
    return {_norm(m): m for m in members}


def _norm(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _member(loc: Loc, name: str, *, exact: bool = False) -> Loc | None:
    spec = loc.spec
    if spec.get("type") != "structure":
        return None
    members = spec["members"]
    found = name if name in members else None
    if found is None and not exact:
        found = _normalized_members(loc.service.name, loc.shape).get(_norm(name))
    if found is None:
        return None
    return Loc(loc.service, members[found]["shape"], _join(loc, found))


def _join(loc: Loc, member: str) -> str:
    """ "wafv2 CreateWebACL" + Rules → "wafv2 CreateWebACL Rules"; deeper members are joined with dots."""
    return f"{loc.api} {member}" if loc.api.count(" ") == 1 else f"{loc.api}.{member}"


def _items(loc: Loc) -> Loc | None:
    spec = loc.spec
    if spec.get("type") != "list":
        return None
    return Loc(loc.service, spec["member"]["shape"], f"{loc.api}[]")


def _map_value(loc: Loc, key: str) -> Loc | None:
    spec = loc.spec
    if spec.get("type") != "map":
        return None
    return Loc(loc.service, spec["value"]["shape"], f"{loc.api}{{{key}}}")


@cache
def operation_root(service: str, target: str) -> Loc:
    """A root spec "Operation" or "Operation:Member.Path" as a Loc. Raises ModelError."""
    svc = botomodel.service(service)
    op, _, path = target.partition(":")
    loc = Loc(svc, svc.input_shape(op), f"{service} {op}", root=True)
    if not path:
        return loc
    found = navigate(loc, path)
    if found is None:
        version = botomodel.botocore_version()
        raise botomodel.ModelError(f"{service} {op}: no member path {path!r} in botocore {version}")
    return Loc(found.service, found.shape, found.api, root=True)


def navigate(loc: Loc, path: str) -> Loc | None:
    """Follow an API path ("A.B[].C", "Attributes{Key}") from a location; "Op:Path" starts at that operation."""
    if ":" in path.split(".")[0]:
        return operation_root(loc.service.name, path)
    current: Loc | None = loc
    for segment in path.split("."):
        m = _SEGMENT.fullmatch(segment)
        if m is None or current is None:
            return None
        current = _member(current, m.group(1))
        if current is not None and m.group(2) is not None:
            current = _map_value(current, m.group(2))
        if current is not None and m.group(3):
            current = _items(current)
    return current


def _key_value_members(loc: Loc) -> tuple[str, str] | None:
    """(key member, value member) when a list's items are key/value pairs (Tag, Dimension, …)."""
    spec = loc.spec
    if spec.get("type") != "structure":
        return None
    members = list(spec.get("members", {}))
    keys = [m for m in members if m in ("Key", "Name", "TagKey")]
    values = [m for m in members if m in ("Value", "TagValue")]
    if len(members) == 2 and len(keys) == 1 and len(values) == 1:
        return keys[0], values[0]
    return None


def _block_key(block: Mapping[str, Any]) -> str | None:
    """The input a Terraform block keys an API map entry by: `name`, else `key`."""
    return "name" if "name" in block else "key" if "key" in block else None


def _wrapped_items(loc: Loc) -> Loc | None:
    """CloudFront's {Quantity, Items} wrapper: the Items list, else None."""
    spec = loc.spec
    members = spec.get("members", {}) if spec.get("type") == "structure" else {}
    if "Quantity" in members and "Items" in members:
        return _member(loc, "Items", exact=True)
    return None


def _by_path(entries: Mapping[str, str], key_path: str) -> str | None:
    """The entry for a Pulumi input path: exact, else a `**.` key matching it at any depth."""
    if key_path in entries:
        return entries[key_path]
    for pattern, target in entries.items():
        if pattern.startswith("**."):
            suffix = pattern[3:]
            if key_path == suffix or key_path.endswith("." + suffix):
                return target
    return None


def _rename_for(tm: TypeMap, key_path: str) -> str | None:
    return _by_path(tm.renames, key_path)


def _locate(candidates: list[Loc], rename: str | None, key: str) -> Loc | None:
    """Where an input lands in the first candidate that has it: its rename's API path, else the member it names."""
    for c in candidates:
        loc = navigate(c, rename) if rename is not None else _member(c, key)
        if loc is not None:
            return loc
    return None


def _first_member(path: str) -> str:
    m = _SEGMENT.match(path)
    return _norm(m.group(1)) if m else ""


def _camel(member: str) -> str:
    return member[:1].lower() + member[1:]


@dataclass(frozen=True)
class Comparison:
    """One constraint compared (kept when a caller asks for a trace: the property tests mutate each one)."""

    path: str  # Pulumi input path, as in a finding
    kind: str  # enum | pattern | length | range | size | required
    member: str  # API member
    spec: Mapping[str, Any]  # the member's shape


class _Walk:
    def __init__(
        self,
        type_: str,
        tm: TypeMap,
        urn: str,
        tally: Tally,
        inherited_tags: frozenset[str],
        trace: list[Comparison] | None,
    ) -> None:
        self.type = type_
        self.tm = tm
        self.urn = urn
        self.tally = tally
        self.findings: list[Finding] = []
        self.inherited_tags = inherited_tags
        self.trace = trace

    # --- findings -----------------------------------------------------------------------------------------------

    def _found(self, path: str, value: Any, rule: str, loc: Loc, *, sensitive: bool, as_text: bool = False) -> None:
        text = str(value) if as_text else shown(value, sensitive=sensitive)
        self.findings.append(Finding(self.urn, path, text, rule, loc.api))

    def _constraint(self, loc: Loc, path: str, kind: str) -> None:
        self.tally.constraints_checked += 1
        self.tally.members.add(loc.api)
        if self.trace is not None:
            self.trace.append(Comparison(path, kind, loc.api, loc.spec))

    # --- structures ---------------------------------------------------------------------------------------------

    def struct(self, value: Mapping[str, Any], key_path: str, path: str, candidates: list[Loc], required: bool) -> None:
        covered: set[str] = set()
        for key, v in value.items():
            kp = f"{key_path}.{key}" if key_path else key
            sp = f"{path}.{key}" if path else key
            if _by_path(self.tm.skip, kp) is not None or (not key_path and key in GLOBAL_SKIP):
                continue
            if not key_path and key in self.tm.prefixes:
                self.prefix(key, v, candidates)
                continue
            rename = _rename_for(self.tm, kp)
            if rename == ".":
                self.same(v, kp, sp, candidates)
                continue
            loc = _locate(candidates, rename, key)
            if loc is not None and len(candidates) == 1:
                covered.add(_first_member(rename or key))
            if loc is None:
                self.tally.unmapped[f"{self.type}: {kp}"] += 1
                continue
            self.value(v, kp, sp, loc)
        if required and len(candidates) == 1:
            loc = candidates[0]
            spec = loc.spec
            wrapper = "Items" in spec.get("members", {})
            for member in spec.get("required", []):
                if member == "Quantity" and wrapper:  # CloudFront's item counts: the provider computes them
                    continue
                where = Loc(loc.service, spec["members"][member]["shape"], _join(loc, member))
                member_path = f"{path}.{_camel(member)}" if path else _camel(member)
                self._constraint(where, member_path, "required")
                if _norm(member) not in covered:
                    self._found(
                        member_path,
                        "(not set)",
                        f"AWS: required member {member} is missing",
                        where,
                        sensitive=False,
                        as_text=True,
                    )

    def same(self, value: Any, key_path: str, path: str, candidates: list[Loc]) -> None:
        """A Pulumi grouping block whose inputs belong to the parent's own structure."""
        if value is UNKNOWN:
            self.tally.unknown += 1
        elif isinstance(value, Mapping):
            self.struct(value, key_path, path, candidates, required=False)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.same(item, key_path + "[]", f"{path}[{i}]", candidates)

    def prefix(self, key: str, value: Any, candidates: list[Loc]) -> None:
        target_input = self.tm.prefixes[key]
        rename = _rename_for(self.tm, target_input)
        loc = _locate(candidates, rename, target_input)
        if loc is None:
            self.tally.unmapped[f"{self.type}: {key}"] += 1
            return
        if value is UNKNOWN:
            self.tally.unknown += 1
            return
        if not isinstance(value, str):
            return
        before = len(self.findings)
        self.scalar(value + "0" * PREFIX_SUFFIX_LENGTH, key, loc, shown_value=value)
        for i in range(before, len(self.findings)):
            f = self.findings[i]
            self.findings[i] = Finding(
                f.urn,
                f.path,
                f.value,
                f"{f.rule} (the prefix plus the {PREFIX_SUFFIX_LENGTH} characters the provider appends)",
                f.where,
            )

    # --- any value ----------------------------------------------------------------------------------------------

    def value(self, v: Any, key_path: str, path: str, loc: Loc) -> None:
        if v is UNKNOWN:
            self.tally.unknown += 1
            return
        spec = loc.spec
        kind = spec.get("type")
        if kind == "structure":
            if isinstance(v, Mapping):
                self.struct(v, key_path, path, [loc], required=not loc.root)
            elif isinstance(v, list):
                wrapped = _wrapped_items(loc)
                if wrapped is not None:
                    self.value(v, key_path, path, wrapped)
                    return
                for i, item in enumerate(v):
                    self.value(item, key_path + "[]", f"{path}[{i}]", loc)
            else:
                self.mismatch(key_path, "structure", v)
        elif kind == "list":
            items = _items(loc)
            assert items is not None
            pair = _key_value_members(items)
            if isinstance(v, Mapping) and pair is not None:
                self.size(len(v), path, loc)
                self.pairs(v, key_path, path, items, pair)
            elif isinstance(v, list):
                self.size(len(v), path, loc)
                for i, item in enumerate(v):
                    self.value(item, key_path + "[]", f"{path}[{i}]", items)
            else:
                self.value(v, key_path, path, items)
        elif kind == "map":
            key_loc = Loc(loc.service, spec["key"]["shape"], f"{loc.api}{{key}}")
            value_loc = Loc(loc.service, spec["value"]["shape"], f"{loc.api}{{value}}")
            if isinstance(v, list) and all(isinstance(item, Mapping) and _block_key(item) for item in v):
                self.size(len(v), path, loc)
                self.keyed_blocks(v, key_path, path, key_loc, value_loc)
                return
            if isinstance(v, Mapping) and set(v) == {"key", "value"}:  # one {key, value} block: a one-entry map
                self.size(1, path, loc)
                self.keyed_blocks([v], key_path, path, key_loc, value_loc, single=True)
                return
            if not isinstance(v, Mapping):
                self.mismatch(key_path, "map", v)
                return
            self.size(len(v), path, loc)
            for k, x in v.items():
                entry = self.entry_path(key_path, path, k)
                self.scalar(k, f"{entry} (key)", key_loc)
                self.value(x, key_path + "{}", entry, value_loc)
        elif isinstance(v, list):  # a rename stepped through an API list ("Subscribers[].Address"): one per item
            for i, item in enumerate(v):
                self.scalar(item, f"{path}[{i}]", loc, key_path=key_path + "[]")
        else:
            self.scalar(v, path, loc, key_path=key_path)

    def keyed_blocks(
        self,
        blocks: list[Mapping[str, Any]],
        key_path: str,
        path: str,
        key_loc: Loc,
        value_loc: Loc,
        *,
        single: bool = False,
    ) -> None:
        """Terraform blocks the provider turns into an API map: `[{name: a, …}]` → {a: {…}} (FIS actions and
        targets), `[{key: k, value: v}]` → {k: v} (FIS parameters), or one `{key, value}` block."""
        for i, block in enumerate(blocks):
            field = _block_key(block) or "key"  # the callers checked that each block has one
            where = path if single else f"{path}[{i}]"
            name = block[field]
            if name is UNKNOWN:
                self.tally.unknown += 1
            else:
                self.scalar(name, f"{where}.{field}", key_loc)
            if field == "key" and set(block) <= {"key", "value"}:
                if "value" in block:
                    self.value(
                        block["value"],
                        f"{key_path}.value" if single else f"{key_path}[].value",
                        f"{where}.value",
                        value_loc,
                    )
            else:
                rest = {k: x for k, x in block.items() if k != field}
                self.value(rest, key_path if single else key_path + "[]", where, value_loc)

    def entry_path(self, key_path: str, path: str, key: Any) -> str:
        where = f'{path}["{key}"]'
        if key_path == "tags" and key in self.inherited_tags:
            where += " (provider defaultTags)"
        return where

    def pairs(self, v: Mapping[str, Any], key_path: str, path: str, items: Loc, pair: tuple[str, str]) -> None:
        """A Pulumi map against a list of key/value structures (tags, CloudWatch dimensions)."""
        key_member, value_member = pair
        key_loc = _member(items, key_member, exact=True)
        value_loc = _member(items, value_member, exact=True)
        assert key_loc is not None and value_loc is not None
        for k, x in v.items():
            entry = self.entry_path(key_path, path, k)
            self.scalar(k, f"{entry} (key)", key_loc)
            if x is UNKNOWN:
                self.tally.unknown += 1
            else:
                self.scalar(x, entry, value_loc)

    def size(self, n: int, path: str, loc: Loc) -> None:
        spec = loc.spec
        low, high = spec.get("min"), spec.get("max")
        if low is None and high is None:
            return
        self._constraint(loc, path, "size")
        # An empty list or map is not sent (the provider omits it), so only a non-empty one can be too short.
        if (low is not None and 0 < n < low) or (high is not None and n > high):
            self._found(path, f"{n} entries", f"size {_bounds(low, high)}", loc, sensitive=False, as_text=True)

    def mismatch(self, key_path: str, expected: str, v: Any) -> None:
        self.tally.mismatched[f"{self.type}: {key_path} (expected {expected}, got {type(v).__name__})"] += 1

    # --- scalars ------------------------------------------------------------------------------------------------

    def scalar(self, v: Any, path: str, loc: Loc, *, key_path: str = "", shown_value: Any = None) -> None:
        spec = loc.spec
        kind = spec.get("type")
        sensitive = bool(spec.get("sensitive")) or any(s in path.lower() for s in _SECRET_NAMES)
        display = v if shown_value is None else shown_value
        if v is UNKNOWN:
            self.tally.unknown += 1
            return
        self.tally.values_checked += 1
        if kind == "string":
            if isinstance(v, bool):
                text = "true" if v else "false"
            elif isinstance(v, (int, float)):
                text = str(v)
            elif isinstance(v, str):
                text = v
            else:
                self.mismatch(key_path or path, "string", v)
                return
            self.string(text, display, path, loc, spec, sensitive)
        elif kind in ("integer", "long", "float", "double"):
            number = to_number(v)
            if number is None:
                self.mismatch(key_path or path, kind, v)
                return
            low, high = spec.get("min"), spec.get("max")
            if low is None and high is None:
                return
            self._constraint(loc, path, "range")
            if (low is not None and number < low) or (high is not None and number > high):
                self._found(path, display, f"range {_bounds(low, high)}", loc, sensitive=sensitive)
        elif kind == "boolean" and not isinstance(v, bool) and v not in ("true", "false"):
            self.mismatch(key_path or path, "boolean", v)
        # timestamp and blob members carry no constraint a preview can compare

    def string(self, text: str, display: Any, path: str, loc: Loc, spec: dict[str, Any], sensitive: bool) -> None:
        enum = spec.get("enum")
        if enum:
            self._constraint(loc, path, "enum")
            if text not in enum:
                listed = ", ".join(enum[:ENUM_SHOWN]) + (f", … ({len(enum)} values)" if len(enum) > ENUM_SHOWN else "")
                self._found(path, display, f"one of {listed}", loc, sensitive=sensitive)
                return
        low, high = spec.get("min"), spec.get("max")
        if low is not None or high is not None:
            self._constraint(loc, path, "length")
            if (low is not None and len(text) < low) or (high is not None and len(text) > high):
                self._found(path, display, f"length {_bounds(low, high)} (is {len(text)})", loc, sensitive=sensitive)
                return
        pattern = spec.get("pattern")
        if pattern:
            compiled = PATTERNS.get(pattern)
            matched = full_match(compiled, text) if compiled is not None else None
            if matched is None:
                self.tally.patterns_unchecked += 1
                return
            self._constraint(loc, path, "pattern")
            if not matched:
                self._found(path, display, f"pattern {pattern}", loc, sensitive=sensitive)


def _bounds(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{low:g}–{high:g}" if isinstance(low, float) or isinstance(high, float) else f"{low}–{high}"
    return f"≥ {low}" if low is not None else f"≤ {high}"


def roots_for(tm: TypeMap, props: Mapping[str, Any]) -> list[Loc]:
    roots = tm.roots
    for input_name, variant in tm.variants:
        value = props.get(input_name)
        if value is UNKNOWN or (value is not None and value != ""):
            roots = variant
    return [operation_root(tm.service, r) for r in roots]


def check_resource(
    type_: str,
    props: Mapping[str, Any],
    *,
    urn: str,
    default_tags: Mapping[str, Any] | None = None,
    tally: Tally | None = None,
    trace: list[Comparison] | None = None,
) -> tuple[list[Finding], Tally]:
    """Findings for one resource's inputs, and the tally (added to `tally` when one is given)."""
    tally = tally if tally is not None else Tally()
    tm = mapping_for(type_)
    if isinstance(tm, NotChecked):
        tally.not_checked_types[type_] += 1
        return [], tally
    if tm is None:
        if type_.startswith("aws:"):
            tally.unmapped_types[type_] += 1
        return [], tally
    tally.types.add(type_)
    inherited: frozenset[str] = frozenset()
    if default_tags and is_taggable(type_):
        own = props.get("tags")
        if own is not UNKNOWN and (own is None or isinstance(own, Mapping)):
            inherited = frozenset(k for k in default_tags if k not in (own or {}))
            props = {**props, "tags": {**default_tags, **(own or {})}}
    walk = _Walk(type_, tm, urn, tally, inherited, trace)
    walk.struct(props, "", "", roots_for(tm, props), required=False)
    return walk.findings, tally


def check_all(resources: Iterable[Mapping[str, Any]]) -> tuple[list[Finding], Tally]:
    """Every resource of a run: plain dicts {type, urn, props, defaultTags?} (policy.resources contract)."""
    tally = Tally()
    findings: list[Finding] = []
    for r in resources:
        found, _ = check_resource(r["type"], r["props"], urn=r["urn"], default_tags=r.get("defaultTags"), tally=tally)
        findings += found
    return findings, tally


def summarize(resources: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """What the model check covers over a run: check_all's tally plus where the rules come from (the report preflight
    prints, which it builds from the pack's own tallies)."""
    _, tally = check_all(resources)
    services = {tm.service for tm in map(mapping_for, tally.types) if isinstance(tm, TypeMap)}
    return {"botocore": botomodel.botocore_version(), "services": sorted(services), **tally.as_dict()}


def _descend(loc: Loc) -> Loc:
    """Where a nested input's members are looked up under a resolved input (list items, {Quantity, Items}, the
    values of a map that Terraform blocks keyed by name become)."""
    for _ in range(4):
        spec = loc.spec
        values = Loc(loc.service, spec["value"]["shape"], f"{loc.api}{{value}}") if spec.get("type") == "map" else None
        items = _items(loc) or _wrapped_items(loc) or values
        if items is None:
            break
        loc = items
    return loc


def resolve_input(type_: str, key_path: str, roots: tuple[str, ...] | None = None) -> Loc | None:
    """The API member a Pulumi input path ("rules[].visibilityConfig.metricName") becomes, resolved the way the
    check resolves it; None when it has none. For the mapping's own tests."""
    tm = mapping_for(type_)
    if not isinstance(tm, TypeMap):
        return None
    candidates = [operation_root(tm.service, r) for r in (roots or tm.roots)]
    kp = ""
    loc: Loc | None = None
    for segment in key_path.split("."):
        key = segment.removesuffix("[]")
        kp = f"{kp}.{key}" if kp else key
        rename = _rename_for(tm, kp)
        if rename != ".":
            loc = _locate(candidates, rename, key)
            if loc is None:
                return None
            candidates = [_descend(loc) if segment.endswith("[]") else loc]
        if segment.endswith("[]"):
            kp += "[]"
    return loc
