"""Stack settings: read once, validated completely, frozen. Components receive these, never pulumi.Config.

Each concern owns a section module (`settings/core.py`, …) with a frozen dataclass whose fields declare their
config keys and constraints (`schema.setting(...)`), the section's `KEYS` derived from it, and a `build()` that
applies cross-key rules and returns `schema.build_from(...)`. Add a setting: CONTRIBUTING.md. Add a section by
writing its module, adding it to `SECTIONS` and a field to `StackSettings`, and declaring its keys in Pulumi.yaml.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from settings import backup, cluster, core, data, edge, region_switch, synthetics
from settings.files import load_yaml
from settings.loader import (
    PREFLIGHT_SECRET,
    RawConfig,
    Secret,
    Values,
    _did_you_mean,
    available_stacks,
    decode_engine_value,
    read_declarations,
    read_stack_file,
    stack_file,
    validate,
)
from settings.schema import PROJECT, ConfigError, all_keys, clip, one_line, show

SECTIONS = [core, data, backup, region_switch, edge, cluster, synthetics]
KEYS = all_keys([section.KEYS for section in SECTIONS])
PROJECT_DIR = Path(__file__).resolve().parent.parent

__all__ = [
    "PREFLIGHT_SECRET",
    "PROJECT",
    "ConfigError",
    "RawConfig",
    "Secret",
    "StackSettings",
    "available_stacks",
    "load_files",
    "load_runtime",
    "override_warning",
]


@dataclass(frozen=True)
class StackSettings:
    stack: str
    source: str
    core: core.CoreSettings
    data: data.DataTierSettings
    region_switch: region_switch.RegionSwitchSettings
    backup: backup.BackupSettings
    edge: edge.EdgeSettings
    cluster: cluster.ClusterSettings
    synthetics: synthetics.SyntheticsSettings


def _build(values: Values) -> StackSettings:
    return StackSettings(
        stack=values.stack,
        source=values.source,
        core=core.build(values),
        data=data.build(values),
        region_switch=region_switch.build(values),
        backup=backup.build(values),
        edge=edge.build(values),
        cluster=cluster.build(values),
        synthetics=synthetics.build(values),
    )


def override_warning(stack_settings: StackSettings) -> str | None:
    """The line to show while a stack runs as another tier than its name implies (None when it does not)."""
    core_settings = stack_settings.core
    if not core_settings.environment_overridden:
        return None
    return (
        f"{one_line(stack_settings.source)}: stack {show(stack_settings.stack)} runs as {core_settings.environment}, "
        f"not {core_settings.stack_tier} ({PROJECT}:environmentOverride is set): "
        f"the safeguards of a {core_settings.stack_tier} stack do not apply"
    )


def load_raw(
    stack: str, project_dir: Path = PROJECT_DIR, config_file: Path | None = None, placeholder_secrets: bool = True
) -> RawConfig:
    """Read (not yet validate) a stack's file. Unknown stack → ConfigError listing the stacks found."""
    decls = read_declarations(project_dir)
    if config_file is not None:
        named = re.fullmatch(r"Pulumi\.(.+)\.yaml", config_file.name)
        if named and named.group(1) != stack:
            # `--stack prod --config Pulumi.dev.yaml` would plan prod with dev's values (and dev's tier).
            raise ConfigError(
                str(config_file),
                None,
                f"is the stack file of stack {show(named.group(1))}, not of {show(stack)}; "
                f"use --stack {clip(named.group(1))}, or a file not named for another stack",
            )
        return read_stack_file(config_file, str(config_file), decls, placeholder_secrets)
    path = stack_file(project_dir, stack)
    if not path.exists():
        found = ", ".join(available_stacks(project_dir)) or "none"
        raise ConfigError(f"Pulumi.{stack}.yaml", None, f"no such stack file; stacks found: {found}")
    return read_stack_file(path, path.name, decls, placeholder_secrets)


def from_raw(
    raw: RawConfig, stack: str, project_dir: Path = PROJECT_DIR, require_secrets: bool = False
) -> StackSettings:
    """Validate already-read values (tests use this to try overrides of a real stack file)."""
    return _build(validate(read_declarations(project_dir), KEYS, raw, stack, require_secrets=require_secrets))


def load_files(
    stack: str, project_dir: Path = PROJECT_DIR, config_file: Path | None = None
) -> tuple[StackSettings, RawConfig]:
    """Validate a stack from its files (preflight and tests). Secrets become placeholders."""
    decls = read_declarations(project_dir)
    raw = load_raw(stack, project_dir, config_file)
    values = validate(decls, KEYS, raw, stack, require_secrets=False)
    return _build(values), raw


def load_runtime() -> StackSettings:
    """Validate the config the Pulumi engine gives this program (real CLI runs and the mock engine).

    Secrets are required here unless the engine is preflight's mock engine, which marks itself with
    SUMMIT_PREFLIGHT=1 (it plans the full shape without the operator's secrets).
    """
    import pulumi

    from policy import sdk

    stack = pulumi.get_stack()
    decls = read_declarations(PROJECT_DIR)
    path = stack_file(PROJECT_DIR, stack)
    if path.is_file():
        # The CLI parsed this file already and hands over only its values; read it once more so what a parser
        # may let through (a duplicate key whose last value wins, aliases, …) fails here, with the same line.
        load_yaml(path, path.name)
    config, secret_keys = sdk.engine_config()
    values = {}
    secrets = set()
    for full_key, raw_value in config.items():
        namespace, _, name = full_key.partition(":")
        if namespace != PROJECT:
            continue
        if name not in decls:
            raise ConfigError(f"Pulumi.{stack}.yaml", name, f"unknown key{_did_you_mean(name, decls)}")
        values[name] = decode_engine_value(decls[name], raw_value) if isinstance(raw_value, str) else raw_value
        if full_key in secret_keys:
            secrets.add(name)
    raw = RawConfig(source=f"Pulumi.{stack}.yaml", values=values, secret_keys=frozenset(secrets))
    in_preflight = os.environ.get("SUMMIT_PREFLIGHT") == "1"
    built = _build(validate(decls, KEYS, raw, stack, require_secrets=not in_preflight))
    warning = override_warning(built)
    if warning:
        pulumi.log.warn(warning)  # `pulumi preview/up` show it among the diagnostics
    return built
