"""Render the stack config reference (docs/config-reference.md) from Pulumi.yaml and the committed stack files.

`python -m settings.reference` prints the table; `python -m settings.reference --write docs/config-reference.md`
(`make config-reference`) replaces the block between the markers. tests/test_docs.py keeps the page in step with
Pulumi.yaml and the stack files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from settings import KEYS, PROJECT_DIR
from settings.loader import read_declarations, read_stack_file, stack_file

START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"
STACKS = ("dev", "stage", "prod")


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict) and set(value) == {"secure"}:
        return "`secure:`"
    text = json.dumps(value) if isinstance(value, (list, bool, int)) else str(value)
    return f"`{text}`".replace("|", "\\|")


def table(project_dir: Path = PROJECT_DIR) -> str:
    decls = read_declarations(project_dir)
    stacks = {}
    for st in STACKS:
        path = stack_file(project_dir, st)
        stacks[st] = read_stack_file(path, path.name, decls, placeholder_secrets=False).values
    rows = [
        "| key | type | meaning | default | " + " | ".join(STACKS) + " |",
        "|---|---|---|---|" + "---|" * len(STACKS),
    ]
    for name, d in decls.items():
        kind = f"{d.items}[]" if d.type == "array" else d.type
        if d.secret:
            kind += " (secret)"
        default = _cell(d.default) if d.has_default else ("**required**" if KEYS[name].required else "—")
        per_stack = [_cell(stacks[st].get(name)) if name in stacks[st] else "·" for st in STACKS]
        rows.append(
            f"| `{name}` | {kind} | {d.description.replace('|', '/')} | {default} | " + " | ".join(per_stack) + " |"
        )
    return "\n".join(rows)


def block(project_dir: Path = PROJECT_DIR) -> str:
    return f"{START}\n{table(project_dir)}\n{END}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m settings.reference", description=__doc__)
    p.add_argument("--write", type=Path, help="replace the reference block in this Markdown file")
    args = p.parse_args(argv)
    if not args.write:
        print(table())
        return 0
    text = args.write.read_text()
    if START not in text or END not in text:
        print(f"{args.write}: no {START} … {END} block to replace", file=sys.stderr)
        return 2
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    args.write.write_text(head + block() + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
