"""Run a program and the real policy pack together, the way `python -m preflight` does (one pack per config)."""

from __future__ import annotations

import os
from pathlib import Path

import settings
from preflight.analysis import Analysis, PolicySession
from preflight.engine import Run, run_program

PROJECT_DIR = settings.PROJECT_DIR
POLICY_FIXTURES = Path(__file__).parent / "fixtures" / "policy"


def start_pack(stack: str, config_file: Path | None = None) -> PolicySession:
    return PolicySession.start(project_dir=PROJECT_DIR, stack=stack, config_file=config_file)


def run_with_pack(session: PolicySession, stack: str, program_dir: Path = PROJECT_DIR) -> tuple[Run, Analysis]:
    _, raw = settings.load_files(stack, PROJECT_DIR, None)
    run = run_program(
        program_dir,
        project=settings.PROJECT,
        stack=stack,
        config=raw.as_engine_config(),
        secret_keys={f"{settings.PROJECT}:{k}" for k in raw.secret_keys},
        env=dict(os.environ),
    )
    return run, session.analyze(run)
