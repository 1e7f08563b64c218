import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# One program run per stack and test module that asks for it (module scope: the tests only read the run). The
# harness is imported when a fixture is used, so a test that must not load the Pulumi SDK at collection need not.
@pytest.fixture(scope="module")
def dev():
    from tests.harness import run_stack

    return run_stack("dev")


@pytest.fixture(scope="module")
def stage():
    from tests.harness import run_stack

    return run_stack("stage")


@pytest.fixture(scope="module")
def prod():
    from tests.harness import run_stack

    return run_stack("prod")


@pytest.fixture
def program_runs(monkeypatch) -> list[object]:
    """Every time preflight would run the program (recorded, not run): a config error must leave it empty."""
    from preflight import cli

    runs: list[object] = []
    monkeypatch.setattr(cli, "run_program", lambda *a, **k: runs.append((a, k)))
    return runs
