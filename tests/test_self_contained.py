"""The repository is self-contained: a copy of its files with nothing beside it passes the schema tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The tests that read tests/upstream/ (CRDs, chart files) — the ones that once read a folder beside the repository.
SCHEMA_TESTS = ["tests/test_upstream.py", "tests/test_backups.py", "tests/test_autoscaling.py"]
SCHEMA_TESTS += ["tests/test_costs.py", "tests/test_synthetics.py"]
SCHEMA_SELECTION = "upstream or crd or chart or value or schema or misspelt or valid"
OUTSIDE = "../" + "shared"  # spelt in two parts so this file does not match its own search


def _repository_files() -> list[str]:
    """What a clone holds: tracked files plus new files not yet committed (minus ignored ones), still present."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted({f for f in listed.split("\0") if f and (ROOT / f).is_file()})


def test_no_repository_file_names_a_folder_beside_the_repository():
    named = [f for f in _repository_files() if OUTSIDE.encode() in (ROOT / f).read_bytes()]
    assert named == []


def test_schema_tests_pass_in_a_copy_with_nothing_beside_it(tmp_path):
    # tmp_path/alone holds only the copy: a lookup of ../<anything> from the repository finds nothing.
    copy = tmp_path / "alone" / "summit-resilience"
    for name in _repository_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST"))}
    argv = [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q", "-k", SCHEMA_SELECTION]
    result = subprocess.run(
        [*argv, *SCHEMA_TESTS], cwd=copy, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed, \d+ deselected in .*", summary), summary
    assert sorted(p.name for p in (tmp_path / "alone").iterdir()) == ["summit-resilience"]
