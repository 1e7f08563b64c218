"""Register every secret stack output with the Actions log masker, without printing anything else.

Usage: python .github/scripts/mask_secret_outputs.py REDACTED.json REVEALED.json

REDACTED.json is `pulumi stack output --json` (secrets appear as "[secret]"), REVEALED.json the same with
`--show-secrets`. For every value that is "[secret]" in the first file, each non-blank line of its revealed
value is sent as an `::add-mask::` workflow command, so a later step that prints it shows `***`. Only the
mask commands are written (the runner consumes them; they are not shown in the log).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

SECRET = "[secret]"


def secret_values(redacted: Any, revealed: Any) -> Iterator[str]:
    if redacted == SECRET and revealed != SECRET:
        text = revealed if isinstance(revealed, str) else json.dumps(revealed)
        yield from (line for line in text.splitlines() if line.strip())
    elif isinstance(redacted, dict) and isinstance(revealed, dict):
        for key, value in redacted.items():
            yield from secret_values(value, revealed.get(key))
    elif isinstance(redacted, list) and isinstance(revealed, list):
        for a, b in zip(redacted, revealed, strict=False):
            yield from secret_values(a, b)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: mask_secret_outputs.py REDACTED.json REVEALED.json", file=sys.stderr)
        return 2
    with open(argv[0]) as a, open(argv[1]) as b:
        redacted, revealed = json.load(a), json.load(b)
    for value in secret_values(redacted, revealed):
        print(f"::add-mask::{value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
