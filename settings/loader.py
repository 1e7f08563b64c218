"""Read Pulumi.yaml declarations and a stack's values, validate all of it, fail with one line.

Two front doors share one validator:

* `load_files(project_dir, stack, config_file)` reads `Pulumi.yaml` + `Pulumi.<stack>.yaml` (preflight, tests);
  it knows the file a value came from and which values are `secure:`.
* `load_runtime()` reads the config the Pulumi engine hands the program (`pulumi preview/up`, and the mock
  engine, which preflight feeds from `load_files`). Values arrive as strings; the declared type decodes them.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from settings.files import load_yaml
from settings.schema import PROJECT, ConfigError, Invalid, Key, clip, show

PREFLIGHT_SECRET = "preflight-placeholder-secret"


@dataclass(frozen=True)
class Declaration:
    """One key of Pulumi.yaml's `config:` block."""

    name: str
    type: str  # string | integer | boolean | array
    description: str
    default: Any = None
    has_default: bool = False
    secret: bool = False
    items: str | None = None


@dataclass(frozen=True)
class RawConfig:
    """Validated-to-be-readable stack config: plain values by key, plus which keys are secrets."""

    source: str
    values: dict[str, Any]
    secret_keys: frozenset[str]

    def as_engine_config(self) -> dict[str, str]:
        """The `project:key -> string` map the Pulumi engine passes a program (arrays JSON-encoded)."""
        out = {}
        for k, v in self.values.items():
            if isinstance(v, (list, dict)):
                out[f"{PROJECT}:{k}"] = json.dumps(v)
            elif isinstance(v, bool):
                out[f"{PROJECT}:{k}"] = "true" if v else "false"
            else:
                out[f"{PROJECT}:{k}"] = str(v)
        return out


class Secret:
    """A secret config value. Never shows itself in repr/str; `.output()` gives a Pulumi secret Output."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def output(self) -> Any:
        import pulumi

        return pulumi.Output.secret(self._value)

    def __repr__(self) -> str:
        return "Secret(****)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


def _read_yaml(path: Path, source: str) -> Any:
    return load_yaml(path, source)  # size, encoding, aliases, duplicates, depth: settings/files.py


def read_declarations(project_dir: Path) -> dict[str, Declaration]:
    path = project_dir / "Pulumi.yaml"
    doc = _read_yaml(path, "Pulumi.yaml")
    if not isinstance(doc, dict) or doc.get("name") != PROJECT:
        raise ConfigError("Pulumi.yaml", None, f"expected a Pulumi project named {PROJECT}")
    decls: dict[str, Declaration] = {}
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError("Pulumi.yaml", None, "`config:` must be a mapping of key: declaration")
    for raw_name, spec in config.items():
        raw_name = str(raw_name)
        name = raw_name.split(":", 1)[1] if raw_name.startswith(f"{PROJECT}:") else raw_name
        if not isinstance(spec, dict) or "type" not in spec:
            raise ConfigError("Pulumi.yaml", name, "every project key needs a typed declaration")
        decls[name] = Declaration(
            name=name,
            type=spec["type"],
            description=spec.get("description", ""),
            default=spec.get("default"),
            has_default="default" in spec,
            secret=bool(spec.get("secret", False)),
            items=(spec.get("items") or {}).get("type"),
        )
    return decls


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def available_stacks(project_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def read_stack_file(path: Path, source: str, decls: Mapping[str, Declaration], placeholder_secrets: bool) -> RawConfig:
    """Parse a stack file into plain values. `secure:` values become placeholders when asked (preflight)."""
    doc = _read_yaml(path, source)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError(source, None, "expected a mapping with a `config:` key")
    unknown_top = sorted(set(doc) - {"config", "secretsprovider", "encryptionsalt", "encryptedkey", "environment"})
    if unknown_top:
        raise ConfigError(source, None, f"unknown top-level key {show(unknown_top[0])}; expected config")
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(source, None, "`config:` must be a mapping of key: value")
    values: dict[str, Any] = {}
    secret_keys: set[str] = set()
    for full_key, value in config.items():
        full_key = str(full_key)
        if ":" not in full_key:
            raise ConfigError(source, None, f"key {show(full_key)} has no namespace; write {PROJECT}:{clip(full_key)}")
        namespace, name = full_key.split(":", 1)
        if namespace != PROJECT:
            raise ConfigError(
                source,
                None,
                f"{clip(full_key)}: only {PROJECT}:* keys are read (providers are explicit and configured "
                "from project keys, e.g. primaryRegion)",
            )
        if name not in decls:
            raise ConfigError(source, name, f"unknown key{_did_you_mean(name, decls)}")
        if isinstance(value, dict) and set(value) == {"secure"}:
            secret_keys.add(name)
            if not decls[name].secret:
                raise ConfigError(source, name, "is not a secret key; set it in plain text")
            value = PREFLIGHT_SECRET if placeholder_secrets else value
        elif decls[name].secret:
            raise ConfigError(
                source,
                name,
                "is a secret and must not be plaintext; set it with `pulumi config set --secret " + name + "`",
            )
        values[name] = value
    return RawConfig(source=source, values=values, secret_keys=frozenset(secret_keys))


def _did_you_mean(name: str, decls: Mapping[str, Declaration]) -> str:
    close = difflib.get_close_matches(name, list(decls), n=1, cutoff=0.6)
    if not close:
        close = [d for d in decls if d.lower() == name.lower()]
    return f" (did you mean {close[0]}?)" if close else ""


def decode_engine_value(decl: Declaration, raw: str) -> Any:
    """Engine config values are strings; arrays are JSON. Decode by the declared type."""
    if decl.type == "array":
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw  # the key check reports "expected a list"
    if decl.type == "boolean":
        return {"true": True, "false": False}.get(raw.lower(), raw)
    if decl.type == "integer":
        return int(raw) if re.fullmatch(r"-?\d+", raw.strip()) else raw
    return raw


@dataclass(frozen=True)
class Values:
    """Validated values for every declared key (defaults applied), handed to section builders."""

    source: str
    stack: str
    data: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.source, key, message)


def validate(
    decls: Mapping[str, Declaration],
    keys: Mapping[str, Key],
    raw: RawConfig,
    stack: str,
    require_secrets: bool,
) -> Values:
    """Check every value against its declaration and constraint; apply defaults; report the first problem."""
    undeclared = sorted(set(keys) - set(decls))
    if undeclared:
        raise ConfigError("Pulumi.yaml", undeclared[0], "has constraints in settings/ but no declaration")
    out: dict[str, Any] = {}
    for name, decl in decls.items():
        key = keys.get(name)
        if name in raw.values:
            value = raw.values[name]
        elif decl.has_default:
            value = decl.default
        elif decl.secret and not require_secrets and key is not None and key.required:
            value = PREFLIGHT_SECRET  # preflight plans the full shape without the operator's secrets
        elif key is not None and key.required:
            hint = f"; set it with `pulumi config set {'--secret ' if decl.secret else ''}{name} …`"
            raise ConfigError(raw.source, name, "is required but missing" + hint)
        else:
            out[name] = None
            continue
        if decl.type == "array" and not isinstance(value, list):
            raise ConfigError(raw.source, name, f"expected a list, got {show(value)}")
        if decl.type == "boolean" and not isinstance(value, bool):
            raise ConfigError(raw.source, name, f"expected true or false, got {show(value)}")
        if decl.type == "integer" and (isinstance(value, bool) or not isinstance(value, int)) and key is None:
            raise ConfigError(raw.source, name, f"expected an integer, got {show(value)}")
        if decl.type == "string" and not isinstance(value, str):
            raise ConfigError(raw.source, name, f"expected a string, got {show(value)}")
        if key is not None:
            try:
                value = key.check(value)
            except Invalid as e:
                raise ConfigError(raw.source, name, str(e)) from None
        if decl.secret and value is not None:
            value = Secret(str(value))
        out[name] = value
    return Values(source=raw.source, stack=stack, data=out)
