"""`python -m preflight diff --from stage --to prod`: what changes when config is promoted between two stacks.

Promotion hygiene: dev, stage and prod run the same program, so their stack files should set the same keys and
differ only in values (accounts, CIDRs, budgets). A key set in one stack file and not the other means the
promoted stack runs with a default (or fails on a required key) that was never exercised upstream — that is
a shape difference and exits 1. Values that differ are listed, never a failure. Secrets are encrypted per
stack, so their ciphertexts are neither shown nor compared: they appear as "secure".

Exit codes: 0 same shape, 1 a key is set in only one of the two stacks, 2 usage or configuration error
(one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import settings
from settings import ConfigError

EXIT_SAME_SHAPE, EXIT_SHAPE_DIFFERS, EXIT_USAGE = 0, 1, 2
SECURE = "secure"


class UsageParser(argparse.ArgumentParser):
    """A usage error is one line naming --help and exit 2 (preflight's and preflight diff's parsers)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = UsageParser(
        prog="python -m preflight diff",
        description=(
            "Print the config differences between two stacks (keys set in only one stack, values that differ; "
            'secrets show as "secure") and fail when one stack sets keys the other lacks, so what is promoted '
            "keeps its shape."
        ),
        epilog="Exit codes: 0 same keys in both stacks, 1 a key is set in only one stack, 2 usage or config error.",
    )
    p.add_argument("--from", dest="source", required=True, metavar="STACK", help="stack promoted from (e.g. stage)")
    p.add_argument("--to", dest="target", required=True, metavar="STACK", help="stack promoted to (e.g. prod)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="text (for people) or json")
    p.add_argument(
        "--project-dir",
        type=Path,
        default=None,
        help="directory holding Pulumi.yaml and the Pulumi.<stack>.yaml files (default: this project)",
    )
    return p


@dataclass(frozen=True)
class Change:
    key: str
    source: Any  # the value in the --from stack; "secure" when it is an encrypted secret there
    target: Any
    source_secret: bool = False
    target_secret: bool = False

    def rendered(self) -> tuple[str, str]:
        return _render(self.source, self.source_secret), _render(self.target, self.target_secret)


@dataclass
class StackDiff:
    """The comparison of two stack files' `config:` blocks, by project key (without the namespace)."""

    source: str
    target: str
    only_in_source: list[str] = field(default_factory=list)
    only_in_target: list[str] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # set (encrypted) in both: not comparable across stacks
    unchanged: list[str] = field(default_factory=list)

    @property
    def same_shape(self) -> bool:
        return not self.only_in_source and not self.only_in_target

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "sameShape": self.same_shape,
            "onlyIn": {self.source: self.only_in_source, self.target: self.only_in_target},
            "changed": [{"key": c.key, "from": c.source, "to": c.target} for c in self.changed],
            "secrets": self.secrets,
            "unchanged": self.unchanged,
        }


def _render(value: Any, secret: bool) -> str:
    return SECURE if secret else json.dumps(value)


def compare(source: settings.RawConfig, target: settings.RawConfig, source_name: str, target_name: str) -> StackDiff:
    """Compare two stack files read with their `secure:` values left encrypted (never revealed)."""
    diff = StackDiff(source=source_name, target=target_name)
    a, b = source.values, target.values
    diff.only_in_source = sorted(set(a) - set(b))
    diff.only_in_target = sorted(set(b) - set(a))
    for key in sorted(set(a) & set(b)):
        a_secret, b_secret = key in source.secret_keys, key in target.secret_keys
        if a_secret and b_secret:
            diff.secrets.append(key)
        elif a_secret or b_secret or a[key] != b[key]:
            diff.changed.append(
                Change(key, SECURE if a_secret else a[key], SECURE if b_secret else b[key], a_secret, b_secret)
            )
        else:
            diff.unchanged.append(key)
    return diff


def as_text(diff: StackDiff) -> str:
    ns = settings.PROJECT
    lines = [f"Config differences {diff.source} → {diff.target}"]
    for stack, keys in ((diff.source, diff.only_in_source), (diff.target, diff.only_in_target)):
        for key in keys:
            lines.append(f"  only in {stack}: {ns}:{key}")
    if diff.changed:
        lines.append("  values that differ:")
        width = max(len(c.key) for c in diff.changed)
        for c in diff.changed:
            before, after = c.rendered()
            lines.append(f"    {c.key:<{width}}  {before} → {after}")
    if diff.secrets:
        lines.append(f"  secrets in both (encrypted per stack, not compared): {', '.join(diff.secrets)} = {SECURE}")
    lines.append(f"  unchanged: {len(diff.unchanged)} key(s)")
    if diff.same_shape:
        lines.append(f"Same shape: {diff.source} and {diff.target} set the same keys.")
    else:
        missing = len(diff.only_in_source) + len(diff.only_in_target)
        lines.append(
            f"Shape differs: {missing} key(s) set in only one stack; set them in both stack files "
            "(or remove them) so what is promoted is what was tested."
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[2:] if argv is None else argv))
    project_dir = (args.project_dir or settings.PROJECT_DIR).resolve()
    try:
        source = settings.load_raw(args.source, project_dir, placeholder_secrets=False)
        target = settings.load_raw(args.target, project_dir, placeholder_secrets=False)
    except ConfigError as e:
        print(f"preflight diff: {e}", file=sys.stderr)
        return EXIT_USAGE
    diff = compare(source, target, args.source, args.target)
    if args.format == "json":
        print(json.dumps(diff.as_json(), indent=2))
    else:
        print(as_text(diff))
    return EXIT_SAME_SHAPE if diff.same_shape else EXIT_SHAPE_DIFFERS
