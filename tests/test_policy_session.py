"""The pack process preflight drives: pipes drained (a chatty pack cannot deadlock), shutdown race-free at any
point of start-up, unreadable config one line."""

from __future__ import annotations

import json
import textwrap
import threading
import time

import grpc
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


STACK_URN = "urn:pulumi:dev::summit-resilience::pulumi:pulumi:Stack::summit-resilience-dev"


def _start_chatty(tmp_path) -> PolicySession:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text(CHATTY_PACK)
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({}))
    return PolicySession.start(project_dir=PROJECT_DIR, stack="dev", pack_dir=pack, config_file=cfg)


def _session_threads(before: set[threading.Thread]) -> list[str]:
    """Threads started since `before` that are still running."""
    return [t.name for t in threading.enumerate() if t not in before]


def test_pack_writing_more_than_a_pipe_buffer_to_stderr_and_stdout_still_analyzes(tmp_path, monkeypatch):
    monkeypatch.setattr("preflight.analysis.STARTUP_TIMEOUT_S", 20.0)
    session = _start_chatty(tmp_path)
    try:
        analysis = session.analyze(Run("summit-resilience", "dev", [], {}, set(), STACK_URN))
    finally:
        session.close()
    assert [(v.policy, v.enforcement, v.message) for v in analysis.violations] == [
        ("chatty-stack", "advisory", "stack checked")
    ]


def test_close_while_the_handshake_opens_its_channel_leaves_no_channel_open_and_no_thread_running(
    tmp_path, monkeypatch
):
    """close() used to close the pipes and return while the handshake thread still ran: it then opened a channel
    (never closed) and started a drain on a closed pipe. Here close() lands exactly between the pack's port line
    and the channel (a delay injected in grpc.insecure_channel); afterwards nothing of the session may be left."""
    real_channel = grpc.insecure_channel
    reached, opened = threading.Event(), []

    def slow_channel(target, *args, **kwargs):
        reached.set()
        time.sleep(0.5)  # the racy window, widened
        channel = real_channel(target, *args, **kwargs)
        opened.append(channel)
        return channel

    monkeypatch.setattr(grpc, "insecure_channel", slow_channel)
    before = set(threading.enumerate())
    session = _start_chatty(tmp_path)
    assert reached.wait(20), "the pack printed no port"
    session.close()
    assert _session_threads(before) == []
    time.sleep(0.6)  # let a handshake that outlived close() (the old race) finish opening its channel
    assert len(opened) == 1
    with pytest.raises(ValueError, match="closed channel"):
        opened[0].unary_unary("/pulumirpc.Analyzer/GetAnalyzerInfo")(b"", timeout=1)


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2, 0.5])
def test_close_at_any_point_of_start_up_returns_with_every_pipe_closed_and_no_thread_running(tmp_path, delay):
    before = set(threading.enumerate())
    session = _start_chatty(tmp_path)
    time.sleep(delay)
    session.close()
    assert session.process is not None and session.process.stdout is not None and session.process.stderr is not None
    assert (session.process.stdout.closed, session.process.stderr.closed) == (True, True)
    assert _session_threads(before) == []


def test_closing_twice_is_harmless(tmp_path):
    session = _start_chatty(tmp_path)
    session.close()
    session.close()
    assert session.process is not None and session.process.returncode is not None


def test_policy_config_path_that_is_a_directory_is_a_one_line_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"cfg\.json: cannot read: Is a directory"):
        load_policy_config(tmp_path, "cfg.json")
