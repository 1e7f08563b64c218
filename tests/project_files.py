"""The project's own Python files, for tests that check a rule across every module (no virtualenvs, no caches)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", "venv", ".git", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def project_modules() -> list[Path]:
    """Every Python file of the project (program, pack, preflight, ops, tests…)."""
    return sorted(
        p for p in ROOT.rglob("*.py") if not SKIP_DIRS.intersection(p.relative_to(ROOT).parts) and p.is_file()
    )
