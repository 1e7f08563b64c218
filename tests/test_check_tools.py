"""`make test` stops before pytest, in one line with the install command, when a tool the suite drives is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tools.check_tools import main

ROOT = Path(__file__).resolve().parent.parent
INSTALL = "apt-get install -y prometheus prometheus-alertmanager prometheus-blackbox-exporter postgresql"
TOOLS = ("promtool", "amtool", "prometheus-blackbox-exporter")


def _bin(tmp_path: Path, *names: str) -> Path:
    """A directory holding executable stand-ins for `names` (only their presence on PATH is checked)."""
    path = tmp_path / "bin"
    path.mkdir(exist_ok=True)
    for name in names:
        tool = path / name
        tool.write_text("#!/bin/sh\nexit 0\n")
        tool.chmod(0o755)
    return path


def _pg(tmp_path: Path, *, initdb: bool) -> Path:
    path = tmp_path / "pg" / "bin"
    path.mkdir(parents=True)
    if initdb:
        (path / "initdb").write_text("")
    return path


def _check(path: Path, pg_bin: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(path), "OPS_PG_BIN": str(pg_bin)}
    return subprocess.run(
        [sys.executable, "-m", "tools.check_tools"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_nothing_installed_is_one_line_naming_every_tool_and_the_install_command_exit_2(tmp_path):
    pg_bin = _pg(tmp_path, initdb=False)
    result = _check(_bin(tmp_path), pg_bin)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "check-tools: missing promtool, amtool, prometheus-blackbox-exporter, "
        f"PostgreSQL server (no initdb in OPS_PG_BIN='{pg_bin}'); install with: {INSTALL}\n"
    )


def test_everything_installed_is_silent_exit_0(tmp_path):
    result = _check(_bin(tmp_path, *TOOLS), _pg(tmp_path, initdb=True))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_only_the_missing_tool_is_named(tmp_path):
    result = _check(_bin(tmp_path, "promtool", "amtool"), _pg(tmp_path, initdb=True))
    assert result.returncode == 2
    assert result.stderr == f"check-tools: missing prometheus-blackbox-exporter; install with: {INSTALL}\n"


def test_a_tool_file_that_is_not_executable_counts_as_missing(tmp_path):
    path = _bin(tmp_path, "promtool", "prometheus-blackbox-exporter")
    (path / "amtool").write_text("")  # e.g. a half-extracted download: present, not runnable
    result = _check(path, _pg(tmp_path, initdb=True))
    assert result.stderr == f"check-tools: missing amtool; install with: {INSTALL}\n"


def test_no_debian_postgresql_server_names_where_initdb_was_looked_for(tmp_path, capsys):
    root = tmp_path / "postgresql"
    (root / "16" / "lib").mkdir(parents=True)  # a client-only install: no server, no initdb
    assert main(env={"PATH": str(_bin(tmp_path, *TOOLS))}, pg_root=root) == 2
    assert capsys.readouterr().err == (
        f"check-tools: missing PostgreSQL server (no initdb under {root}/<major>/bin; or set OPS_PG_BIN); "
        f"install with: {INSTALL}\n"
    )


def test_a_debian_postgresql_server_is_found_without_ops_pg_bin(tmp_path, capsys):
    root = tmp_path / "postgresql"
    (root / "17" / "bin").mkdir(parents=True)
    (root / "17" / "bin" / "initdb").write_text("")
    assert main(env={"PATH": str(_bin(tmp_path, *TOOLS))}, pg_root=root) == 0
    assert capsys.readouterr() == ("", "")


def test_the_install_command_is_the_one_the_readme_gives():
    assert f"`{INSTALL}`" in (ROOT / "README.md").read_text()


def _make_dry_run(target: str) -> list[str]:
    make = shutil.which("make")
    assert make, "make is not installed (apt-get install -y make)"
    result = subprocess.run([make, "-n", target], cwd=ROOT, capture_output=True, text=True, check=True)
    return result.stdout.splitlines()


def test_make_test_checks_the_tools_before_lint_typecheck_and_pytest():
    commands = _make_dry_run("test")
    order = [
        next(i for i, line in enumerate(commands) if needle in line)
        for needle in ("-m tools.check_tools", "ruff check", "mypy ", "-m pytest")
    ]
    assert order == sorted(order)


def test_make_pytest_alone_also_checks_the_tools_first():
    commands = [line for line in _make_dry_run("pytest") if "tools.check_tools" in line or "-m pytest" in line]
    assert ["tools.check_tools" in c for c in commands] == [True, False]
