"""Write a stack's outputs document — what `pulumi stack output --json --show-secrets` prints — from the real program.

The ops tests read tests/fixtures/outputs.stage.json. It is not written by hand: this runs `__main__.py` for the
stack under preflight's mock engine (the same run `make plan` does, no cloud, no credentials) and writes its stack
outputs, secrets shown, as the CLI would. tests/test_contract.py regenerates it and fails when the committed file
is stale.

    python -m tools.outputs_fixture            # make outputs-fixture: writes tests/fixtures/outputs.stage.json
    python -m tools.outputs_fixture --stack dev --output FILE

Exit codes: 0 written; 2 bad stack or config, a program failure, or an output the mock engine leaves unknown (one
line on stderr naming it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import settings
from contract.values import is_unknown, reveal
from preflight.engine import ProgramError, run_program
from settings import ConfigError

EXIT_BAD_INPUT = 2
FIXTURES = settings.PROJECT_DIR / "tests" / "fixtures"


class FixtureError(Exception):
    """A stack whose outputs cannot be written: `str()` is the one line shown (exit 2)."""


def fixture_path(stack: str) -> Path:
    return FIXTURES / f"outputs.{stack}.json"


def _plain(key: str, value: Any) -> Any:
    """The value as `--show-secrets` prints it; an unknown one (no mock gives it a value) is an error."""
    value = reveal(value)
    if is_unknown(value):
        raise FixtureError(
            f"stack output {key}: unknown after the mock run — give that resource attribute a value in "
            "preflight/mocks.py OUTPUTS"
        )
    if isinstance(value, dict):
        return {k: _plain(f"{key}.{k}", v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(f"{key}[{i}]", v) for i, v in enumerate(value)]
    return value


def outputs_document(stack: str) -> dict[str, Any]:
    """Run the program for `stack` under the mock engine; its stack outputs as plain JSON values."""
    try:
        _, raw = settings.load_files(stack)
        run = run_program(
            settings.PROJECT_DIR,
            project=settings.PROJECT,
            stack=stack,
            config=raw.as_engine_config(),
            secret_keys={f"{settings.PROJECT}:{k}" for k in raw.secret_keys},
        )
    except (ConfigError, ProgramError) as e:
        raise FixtureError(str(e)) from None
    return {key: _plain(key, value) for key, value in run.outputs.items()}


def render(document: dict[str, Any]) -> str:
    """The document as the CLI's `--json` prints it: two-space indent, keys in export order, a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.outputs_fixture", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="stage", help="stack whose outputs to write (default stage)")
    parser.add_argument("--output", type=Path, help="file to write (default tests/fixtures/outputs.STACK.json)")
    args = parser.parse_args(argv)
    try:
        text = render(outputs_document(args.stack))
    except FixtureError as e:
        print(f"outputs-fixture: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    target = args.output or fixture_path(args.stack)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as e:
        print(f"outputs-fixture: {target}: cannot write ({e.strerror or e})", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"outputs-fixture: wrote {target} ({args.stack}, {len(text)} bytes)")
    return 0


def entrypoint() -> NoReturn:
    sys.exit(main())


if __name__ == "__main__":
    entrypoint()
