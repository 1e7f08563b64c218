"""The pack process preflight drives: pipes drained, so a chatty pack cannot deadlock; unreadable config is one line."""

from __future__ import annotations

import json
import textwrap

import pytest

from preflight.analysis import PolicySession, load_policy_config
from preflight.engine import Run
from settings import ConfigError
from tests.policy_harness import PROJECT_DIR

CHATTY_PACK = textwrap.dedent(
    """
    import sys
    from pulumi_policy import EnforcementLevel, PolicyPack, StackValidationPolicy

    sys.stderr.write("x" * 200_000 + "\\n")  # more than a pipe buffer, before the port line
    sys.stderr.flush()

    def validate(args, report):
        print("y" * 200_000, flush=True)  # a policy that prints: more than a pipe buffer on stdout
        report("stack checked")

    PolicyPack(
        name="chatty",
        enforcement_level=EnforcementLevel.ADVISORY,
        policies=[StackValidationPolicy(name="chatty-stack", description="prints a lot", validate=validate)],
    )
    """
)


def test_pack_writing_more_than_a_pipe_buffer_to_stderr_and_stdout_still_analyzes(tmp_path, monkeypatch):
    monkeypatch.setattr("preflight.analysis.STARTUP_TIMEOUT_S", 20.0)
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text(CHATTY_PACK)
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({}))
    stack_urn = "urn:pulumi:dev::summit-resilience::pulumi:pulumi:Stack::summit-resilience-dev"
    session = PolicySession.start(project_dir=PROJECT_DIR, stack="dev", pack_dir=pack, config_file=cfg)
    try:
        analysis = session.analyze(Run("summit-resilience", "dev", [], {}, set(), stack_urn))
    finally:
        session.close()
    assert [(v.policy, v.enforcement, v.message) for v in analysis.violations] == [
        ("chatty-stack", "advisory", "stack checked")
    ]


def test_policy_config_path_that_is_a_directory_is_a_one_line_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"cfg\.json: cannot read: Is a directory"):
        load_policy_config(tmp_path, "cfg.json")
