"""Stop `make test` before pytest when a real tool the suite drives is missing: one line, exit 2.

The integration tests run promtool and amtool on monitoring/, the real blackbox exporter on its modules, and a
PostgreSQL primary + replica for the drill lab (ops/lab.py: initdb under /usr/lib/postgresql/<major>/bin, or
OPS_PG_BIN). Without them ~20 tests would fail one by one; this names every missing tool and the README's
install command instead. No test is skipped for a missing tool: this check is what fails.

    python -m tools.check_tools        # silent, exit 0, when everything is there
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from ops.lab import PG_ROOT, find_pg_bin

EXIT_MISSING = 2
# The README's install command ("Two commands"), the same packages .ci/run installs.
INSTALL = "apt-get install -y prometheus prometheus-alertmanager prometheus-blackbox-exporter postgresql"
EXECUTABLES = ("promtool", "amtool", "prometheus-blackbox-exporter")


def missing_tools(env: Mapping[str, str], pg_root: Path = PG_ROOT) -> list[str]:
    """The tools the suite needs that `env` (its PATH and OPS_PG_BIN) does not provide, in a fixed order."""
    path = env.get("PATH", "")
    missing = [name for name in EXECUTABLES if shutil.which(name, path=path) is None]
    pg_bin = find_pg_bin(env, pg_root)
    if pg_bin is None:
        missing.append(f"PostgreSQL server (no initdb under {pg_root}/<major>/bin; or set OPS_PG_BIN)")
    elif not (pg_bin / "initdb").is_file():
        missing.append(f"PostgreSQL server (no initdb in OPS_PG_BIN={str(pg_bin)!r})")
    return missing


def message(missing: list[str]) -> str:
    return f"check-tools: missing {', '.join(missing)}; install with: {INSTALL}"


def main(env: Mapping[str, str] | None = None, pg_root: Path = PG_ROOT) -> int:
    missing = missing_tools(os.environ if env is None else env, pg_root)
    if missing:
        print(message(missing), file=sys.stderr)
        return EXIT_MISSING
    return 0


if __name__ == "__main__":
    sys.exit(main())
