"""Judge a recorded `aws:arcregionswitch/plan:Plan` by AWS's own API model, not by the mock engine.

`create_plan_request(inputs)` turns the plan's Pulumi inputs (camelCase, the provider's block lists) into the
CreatePlan request the provider sends (its expander: one `*Configs` block → the ExecutionBlockConfiguration union,
`associatedAlarms` list → map keyed by `mapBlockKey`, `scalingResources` → application → region → resource maps), and
`violations(value, shape)` checks it against botocore's arc-region-switch service model: required members, unknown
members, unions with exactly one member, enums, patterns, string lengths, list sizes and integer ranges. botocore's
own parameter validation checks types and minimums only, not enums or patterns.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import botocore.session

CONFIG_KEYS = {
    "executionApprovalConfigs": "executionApprovalConfig",
    "rdsPromoteReadReplicaConfigs": "rdsPromoteReadReplicaConfig",
    "rdsCreateCrossRegionReadReplicaConfigs": "rdsCreateCrossRegionReadReplicaConfig",
    "customActionLambdaConfigs": "customActionLambdaConfig",
    "eksResourceScalingConfigs": "eksResourceScalingConfig",
    "route53HealthCheckConfigs": "route53HealthCheckConfig",
    "parallelConfigs": "parallelConfig",
}


@cache
def service_model() -> Any:
    return botocore.session.get_session().get_service_model("arc-region-switch")


def _config(key: str, block: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in block.items() if k != "ungracefuls"}
    if block.get("ungracefuls"):
        out["ungraceful"] = block["ungracefuls"][0]
    if key == "parallelConfigs":
        out["steps"] = [_step(s) for s in block.get("steps", [])]
    if key == "eksResourceScalingConfigs":
        out.pop("kubernetesResourceTypes", None)
        out["kubernetesResourceType"] = block["kubernetesResourceTypes"][0]
        out["scalingResources"] = [
            {
                app["namespace"]: {
                    r["resourceName"]: {k: r[k] for k in ("name", "namespace", "hpaName") if k in r}
                    for r in app.get("resources", [])
                }
            }
            for app in block.get("scalingResources", [])
        ]
    return out


def _step(step: dict[str, Any]) -> dict[str, Any]:
    out = {k: step[k] for k in ("name", "description", "executionBlockType") if k in step}
    configs = {CONFIG_KEYS[k]: _config(k, v[0]) for k, v in step.items() if k in CONFIG_KEYS and v}
    out["executionBlockConfiguration"] = configs
    return out


def create_plan_request(inputs: dict[str, Any]) -> dict[str, Any]:
    keys = ("name", "description", "executionRole", "recoveryTimeObjectiveMinutes", "regions", "recoveryApproach")
    req: dict[str, Any] = {k: inputs[k] for k in (*keys, "primaryRegion", "tags") if k in inputs}
    req["workflows"] = [
        {
            **{k: w[k] for k in ("workflowTargetAction", "workflowTargetRegion", "workflowDescription") if k in w},
            "steps": [_step(s) for s in w.get("steps", [])],
        }
        for w in inputs.get("workflows", [])
    ]
    if inputs.get("associatedAlarms"):
        req["associatedAlarms"] = {a["mapBlockKey"]: {k: v for k, v in a.items() if k != "mapBlockKey"}
                                   for a in inputs["associatedAlarms"]}  # fmt: skip
    if inputs.get("triggers"):
        req["triggers"] = inputs["triggers"]
    if inputs.get("reportConfigurations"):
        outputs = inputs["reportConfigurations"][0]["reportOutputs"]
        req["reportConfiguration"] = {"reportOutput": [{"s3Configuration": o["s3Configurations"][0]} for o in outputs]}
    return req


def violations(value: Any, shape: Any, path: str = "") -> list[str]:
    """Every way `value` breaks `shape` (botocore Shape), as `path: problem` lines."""
    out: list[str] = []
    meta = shape.metadata
    kind = shape.type_name
    where = path or shape.name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: expected a structure, got {value!r}"]
        members = shape.members
        out += [f"{where}.{k}: not a member of {shape.name}" for k in value if k not in members]
        out += [f"{where}.{k}: required" for k in shape.required_members if k not in value]
        if meta.get("union") and len(value) != 1:
            out.append(f"{where}: a union needs exactly one member, got {sorted(value)}")
        for k, v in value.items():
            if k in members:
                out += violations(v, members[k], f"{where}.{k}")
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {value!r}"]
        if ("min" in meta and len(value) < meta["min"]) or ("max" in meta and len(value) > meta["max"]):
            out.append(f"{where}: {len(value)} items outside {meta.get('min', 0)}–{meta.get('max', '∞')}")
        for i, v in enumerate(value):
            out += violations(v, shape.member, f"{where}[{i}]")
    elif kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected a map, got {value!r}"]
        for k, v in value.items():
            out += violations(k, shape.key, f"{where} key {k!r}")
            out += violations(v, shape.value, f"{where}[{k!r}]")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string, got {value!r}"]
        if shape.enum and value not in shape.enum:
            out.append(f"{where}: {value!r} not one of {shape.enum}")
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
            out.append(f"{where}: {value!r} does not match {meta['pattern']}")
        if ("min" in meta and len(value) < meta["min"]) or ("max" in meta and len(value) > meta["max"]):
            out.append(f"{where}: length {len(value)} outside {meta.get('min', 0)}–{meta.get('max', '∞')}")
    elif kind in ("integer", "long"):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{where}: expected an integer, got {value!r}"]
        if ("min" in meta and value < meta["min"]) or ("max" in meta and value > meta["max"]):
            out.append(f"{where}: {value} outside {meta.get('min', '-∞')}–{meta.get('max', '∞')}")
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(f"{where}: expected a number, got {value!r}")
    elif kind == "boolean" and not isinstance(value, bool):
        out.append(f"{where}: expected true or false, got {value!r}")
    return out


def create_plan_violations(inputs: dict[str, Any]) -> list[str]:
    shape = service_model().operation_model("CreatePlan").input_shape
    return violations(create_plan_request(inputs), shape, "CreatePlan")
