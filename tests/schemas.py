"""Check rendered custom resources and Helm values against the upstream files vendored in tests/upstream/.

Follows tests/upstream/README.md: a custom resource is validated against the CRD version named by its
apiVersion (OpenAPI v3 ≈ JSON Schema draft 4), and — because CRD schemas do not reject unknown fields —
every key is also checked against the schema's `properties`, so a misspelt key fails the test instead of
being silently dropped by the API server. Helm values are checked key by key against the chart's
values.yaml; charts that ship values.schema.json (Velero) validate the merged values against it.

    from tests.schemas import validate_custom_resource, assert_values_known, validate_chart_values

    validate_custom_resource({"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {...}, "spec": {...}})
    assert_values_known("velero", values, documented=["configuration.backupStorageLocation[].config.kmsKeyId"])
    validate_chart_values("velero", values)      # draft-07 against values.schema.json, defaults merged in

Failures raise `SchemaMismatch` (an AssertionError) that lists every problem with its key path.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

# Byte-for-byte upstream copies (tests/upstream/SOURCES.md): nothing outside the repository is read.
SCHEMAS_DIR = Path(__file__).resolve().parent / "upstream"
CRDS_DIR = SCHEMAS_DIR / "crds"
CHARTS_DIR = SCHEMAS_DIR / "charts"


class SchemaMismatch(AssertionError):
    """A rendered object does not match the upstream schema; the message lists every problem."""


class _Loader(yaml.SafeLoader):
    pass


# PyYAML reads a bare "=" (an enum value in the AlertmanagerConfig CRD) as the YAML 1.1 "value" tag and fails.
_Loader.add_constructor("tag:yaml.org,2002:value", _Loader.construct_yaml_str)


def _python_patterns(node: Any) -> None:
    # CRD patterns are Go (RE2) regexes; Python's re accepts "(?i)" only at the start.
    if isinstance(node, dict):
        pattern = node.get("pattern")
        if isinstance(pattern, str) and "(?i)" in pattern:
            node["pattern"] = "(?i)" + pattern.replace("(?i)", "")
        for value in node.values():
            _python_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _python_patterns(value)


# --------------------------------------------------------------------------------------------- custom resources


@functools.cache
def _crds() -> dict[tuple[str, str], Path]:
    """(group, kind) → CRD file, for every CRD under crds/."""
    found: dict[tuple[str, str], Path] = {}
    for path in sorted(CRDS_DIR.rglob("*.yaml")):
        with path.open() as f:
            crd = yaml.load(f, Loader=_Loader)
        found[(crd["spec"]["group"], crd["spec"]["names"]["kind"])] = path
    return found


@functools.cache
def _crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    group, _, version = api_version.rpartition("/")
    path = _crds().get((group, kind))
    if path is None:
        known = ", ".join(f"{g}/{k}" for g, k in sorted(_crds()))
        raise SchemaMismatch(f"no CRD for {kind} in group {group!r} under {CRDS_DIR} (have: {known})")
    with path.open() as f:
        crd = yaml.load(f, Loader=_Loader)
    for entry in crd["spec"]["versions"]:
        if entry["name"] == version:
            if not entry.get("served", True):
                raise SchemaMismatch(f"{path.name}: version {version} of {kind} is not served")
            schema: dict[str, Any] = entry["schema"]["openAPIV3Schema"]
            _python_patterns(schema)
            return schema
    served = ", ".join(e["name"] for e in crd["spec"]["versions"])
    raise SchemaMismatch(f"{path.name}: {kind} has no version {version!r} (has {served})")


def crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    """The openAPIV3Schema of the CRD version matching `apiVersion` (a copy: callers may modify it)."""
    return copy.deepcopy(_crd_schema(api_version, kind))


def unknown_keys(schema: Mapping[str, Any], value: Any, path: str = "") -> list[str]:
    """Key paths in `value` that `schema` does not declare.

    Walks `properties`, `additionalProperties` (maps), `items` (lists) and the branches of allOf/anyOf/oneOf.
    A schema with neither `properties` nor a schema-valued `additionalProperties` (plain `type: object`,
    `x-kubernetes-preserve-unknown-fields`) accepts any keys below it, as the API server would.
    """
    problems: list[str] = []
    if isinstance(value, Mapping):
        props: Mapping[str, Any] = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        branches = [b for key in ("allOf", "anyOf", "oneOf") for b in schema.get(key, [])]
        branch_props = {k: v for b in branches for k, v in (b.get("properties") or {}).items()}
        open_map = not props and not branch_props and not isinstance(extra, Mapping)
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key in props:
                problems += unknown_keys(props[key], item, where)
            elif key in branch_props:
                problems += unknown_keys(branch_props[key], item, where)
            elif isinstance(extra, Mapping):
                problems += unknown_keys(extra, item, where)
            elif open_map or extra is True or schema.get("x-kubernetes-preserve-unknown-fields"):
                continue
            else:
                allowed = ", ".join(sorted({*props, *branch_props}))
                problems.append(f"{where}: unknown key (allowed here: {allowed})")
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(value):
            problems += unknown_keys(schema["items"], item, f"{path}[{i}]")
    return problems


def validate_custom_resource(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a rendered custom resource against its upstream CRD and reject unknown keys.

    Picks the CRD by apiVersion (group + version) and kind, validates `spec` with jsonschema Draft 4 (the
    whole body for kinds without a spec, such as VolumeSnapshotClass) and walks the whole object for keys
    the schema does not declare. Returns the schema used. Raises SchemaMismatch listing every problem.
    """
    for required in ("apiVersion", "kind", "metadata"):
        if required not in obj:
            raise SchemaMismatch(f"custom resource without {required}: {dict(obj)!r}")
    schema = _crd_schema(obj["apiVersion"], obj["kind"])
    label = f"{obj['kind']} {obj['metadata'].get('name', '?')} ({obj['apiVersion']})"
    if "spec" in schema.get("properties", {}):
        if "spec" not in obj:
            raise SchemaMismatch(f"{label} has no spec")
        target, prefix = schema["properties"]["spec"], ("spec",)
        body: Any = obj["spec"]
    else:
        target, prefix, body = schema, (), {k: v for k, v in obj.items() if k != "metadata"}
    problems = [
        f"{'.'.join(str(p) for p in (*prefix, *error.absolute_path)) or '<root>'}: {error.message}"
        for error in jsonschema.Draft4Validator(target).iter_errors(body)
    ]
    problems += unknown_keys(schema, {k: v for k, v in obj.items() if k != "metadata"})
    if problems:
        raise SchemaMismatch(f"{label} does not match its CRD:\n  " + "\n  ".join(problems))
    return crd_schema(obj["apiVersion"], obj["kind"])


# --------------------------------------------------------------------------------------------- Helm values


def chart_dir(chart: str) -> Path:
    path = CHARTS_DIR / chart
    if not (path / "values.yaml").exists():
        raise SchemaMismatch(f"no chart {chart!r} under {CHARTS_DIR}")
    return path


@functools.cache
def _chart_defaults(chart: str) -> Any:
    with (chart_dir(chart) / "values.yaml").open() as f:
        return yaml.load(f, Loader=_Loader)


def chart_defaults(chart: str) -> dict[str, Any]:
    """The chart's default values (a copy)."""
    return copy.deepcopy(_chart_defaults(chart))


def chart_metadata(chart: str) -> dict[str, Any]:
    """The chart's Chart.yaml (name, version, appVersion, …)."""
    with (chart_dir(chart) / "Chart.yaml").open() as f:
        loaded: dict[str, Any] = yaml.load(f, Loader=_Loader)
    return loaded


@functools.cache
def _commented_keys(chart: str) -> frozenset[str]:
    """Keys the chart documents only in comments (`# kmsKeyId:`, `#   region: us-east-1`)."""
    text = (chart_dir(chart) / "values.yaml").read_text()
    return frozenset(re.findall(r"^\s*#+\s*-?\s*([A-Za-z_][\w.\-/]*)\s*:", text, flags=re.MULTILINE))


def _pattern_matches(pattern: str, path: str) -> bool:
    return path == pattern or path.startswith(pattern + ".") or path.startswith(pattern + "[]")


def unknown_values(
    chart: str, values: Mapping[str, Any], documented: Iterable[str] = (), free_form: Iterable[str] = ()
) -> list[str]:
    """Key paths set in `values` that the chart's values.yaml does not have.

    Rules, from most to least common:
    - a key present in values.yaml is known; recurse when both sides are maps;
    - below a key whose default is an empty map/list or null, anything goes (the chart passes it through:
      annotations, nodeSelector, resources, …);
    - a default list of maps (Velero's `backupStorageLocation: [{name, provider, …}]`) checks every item
      against the keys of the default items;
    - `documented` paths (dotted, `[]` for list items) are allowed where values.yaml only shows the key in a
      comment — the key's last segment must really appear in a comment, so this is no blanket pass;
    - `free_form` paths accept anything below them (maps the chart documents as arbitrary).
    """
    comments = _commented_keys(chart)
    documented = list(documented)
    free_form = list(free_form)
    problems: list[str] = []
    for path in documented:
        last = re.split(r"[.\[\]]+", path.rstrip("[]"))[-1]
        if last not in comments:
            problems.append(f"{path}: declared documented, but values.yaml of {chart} has no comment for {last!r}")

    def walk(value: Any, default: Any, path: str) -> None:
        if any(_pattern_matches(p, path) for p in free_form) and path:
            return
        if isinstance(value, Mapping):
            if default is None or default == {} or default == []:
                return
            if not isinstance(default, Mapping):
                problems.append(f"{path}: chart default is {type(default).__name__}, not a map")
                return
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                if key in default:
                    walk(item, default[key], where)
                elif where in documented or any(_pattern_matches(p, where) for p in free_form):
                    continue
                else:
                    near = ", ".join(sorted(str(k) for k in default)[:40])
                    problems.append(f"{where}: not in {chart}/values.yaml (keys here: {near})")
        elif isinstance(value, list) and isinstance(default, list) and default:
            item_keys: dict[str, Any] = {}
            for d in default:
                if isinstance(d, Mapping):
                    item_keys.update(d)
            if item_keys:
                for item in value:
                    walk(item, item_keys, f"{path}[]")

    walk(values, _chart_defaults(chart), "")
    return problems


def assert_values_known(
    chart: str, values: Mapping[str, Any], documented: Iterable[str] = (), free_form: Iterable[str] = ()
) -> None:
    """Fail listing every key path in `values` that charts/<chart>/values.yaml does not know (see unknown_values)."""
    problems = unknown_values(chart, values, documented, free_form)
    if problems:
        raise SchemaMismatch(f"Helm values for {chart} use unknown keys:\n  " + "\n  ".join(problems))


def merge_values(defaults: Any, overrides: Any) -> Any:
    """Helm's merge: maps merge key by key, everything else (lists included) is replaced."""
    if isinstance(defaults, Mapping) and isinstance(overrides, Mapping):
        merged = dict(defaults)
        for key, value in overrides.items():
            merged[key] = merge_values(defaults.get(key), value)
        return merged
    return copy.deepcopy(overrides)


def validate_chart_values(chart: str, values: Mapping[str, Any]) -> None:
    """Validate defaults + `values` against the chart's values.schema.json (draft-07), as `helm install` does."""
    schema_path = chart_dir(chart) / "values.schema.json"
    if not schema_path.exists():
        raise SchemaMismatch(f"chart {chart} ships no values.schema.json")
    schema = json.loads(schema_path.read_text())
    merged = merge_values(_chart_defaults(chart), values)
    errors = [
        f"{'.'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in jsonschema.Draft7Validator(schema).iter_errors(merged)
    ]
    if errors:
        raise SchemaMismatch(f"merged values for {chart} fail values.schema.json:\n  " + "\n  ".join(errors))


# --------------------------------------------------------------------------------------------- recorded resources


def reveal(value: Any) -> Any:
    """A recorded input with Pulumi secrets unwrapped (preflight.engine.SecretValue → its value), recursively."""
    from preflight.analysis import revealed  # imported when used: tests/schemas.py loads without preflight

    return revealed(value)


def rendered_object(resource: Any) -> dict[str, Any]:
    """The Kubernetes object a recorded `kubernetes:<group>/<version>:<Kind>` resource would apply.

    `resource` is a tests.harness / preflight.engine Resource; its inputs are the object's top-level fields.
    """
    return {k: v for k, v in reveal(resource.inputs).items() if not k.startswith("__")}
