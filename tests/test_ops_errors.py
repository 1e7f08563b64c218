"""The ops error contract: every expected failure is one line on stderr (what failed — what to do) and a documented
exit code (ops/README.md, "Errors"): 2 usage/input, 3 environment (AWS, credentials, PostgreSQL), 4 a bug,
128+N a signal. Each case runs the real path: argparse, botocore's credential chain and retries against loopback
endpoints, moto's IAM enforcement, the operating system's own refusal to create a directory."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator

import pytest

from ops.aws import AwsThrottled, ClientFactory
from ops.cli import Deps, main
from ops.drill import World
from ops.errors import one_line
from ops.evidence import Evidence
from ops.runner import Runner
from tests import ops_support
from tests.ops_support import (
    FIXTURE,
    ROOT,
    Timeline,
    arm_on_fault,
    closed_port,
    moto_auth,
    throttling_endpoint,
    unanswered_port,
    unwritable_dir,
)

clock, moto_endpoint, stack, bare_aws_env = (
    ops_support.clock,
    ops_support.moto_endpoint,
    ops_support.stack,
    ops_support.bare_aws_env,
)

VERIFY = ["verify", "--stack", "stage", "--outputs", str(FIXTURE)]
DRILL_EXECUTE = ["drill", "--stack", "stage", "--execute", "--outputs"]
CREDENTIALS_HINT = "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role provides them"
ENDPOINT_HINT = "check the network and proxy settings, or --endpoint-url / OPS_AWS_ENDPOINT_URL"
EVIDENCE_HINT = "pass --evidence-dir naming a directory you can write"


def cli(argv: list[str], **deps) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    deps.setdefault("accounts", ops_support.MOTO_ACCOUNTS)  # the moto world is the stage account
    code = main(argv, Deps(stdout=out, stderr=err, **deps))
    return code, out.getvalue(), err.getvalue()


def only_line(stderr: str) -> str:
    """The single line the contract allows on stderr (fails the test if there are more)."""
    assert stderr.endswith("\n") and stderr.count("\n") == 1, stderr
    return stderr[:-1]


def drill(stack, clock, tmp_path, *args: str, timeline: Timeline | None = None, factory=None) -> tuple[int, str, str]:
    """`ops drill --stack stage --execute` on the moto stack's outputs, in a world that follows `timeline`."""
    timeline = Timeline(clock) if timeline is None else timeline
    outputs = stack.write(tmp_path / "outputs.json")
    return cli(
        [*DRILL_EXECUTE, str(outputs), *args],
        factory=stack.factory() if factory is None else factory,
        clock=clock,
        world=World(health=timeline, dns=timeline, prober=timeline),
    )


PROGRESS = ("→ ", "✓ ", "  ")  # a step starts, a resumed step is skipped, a wait reports


def error_line(stderr: str) -> str:
    """The last line on stderr, after nothing but progress lines (an executed drill reports progress first)."""
    *progress, last = stderr.rstrip("\n").split("\n")
    assert all(line.startswith(PROGRESS) for line in progress), stderr
    return last


# --- usage: one line and a pointer to --help, exit 2 ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        ([], "python -m ops: error: the following arguments are required: COMMAND (see python -m ops --help)"),
        (
            ["restore"],
            "python -m ops: error: argument COMMAND: invalid choice: 'restore' (choose from 'verify', 'topology', "
            "'drill', 'failback', 'failover', 'lab') (see python -m ops --help)",
        ),
        (
            ["drill", "--stack", "stage"],
            "python -m ops drill: error: the following arguments are required: --outputs "
            "(see python -m ops drill --help)",
        ),
        (
            ["drill", "--stack", "stage", "--outputs", "o.json", "--probe-interval", "0"],
            "python -m ops drill: error: argument --probe-interval: expected a positive number, got '0' "
            "(see python -m ops drill --help)",
        ),
        (
            ["verify", "--stack", "stage", "--outputs", "o.json", "--format", "yaml"],
            "python -m ops verify: error: argument --format: invalid choice: 'yaml' (choose from 'text', 'json') "
            "(see python -m ops verify --help)",
        ),
        (
            ["verify", "--stack", "stage", "--outputs", "o.json", "--max-attempts", "many"],
            "python -m ops verify: error: argument --max-attempts: expected a whole number, got 'many' "
            "(see python -m ops verify --help)",
        ),
        (
            ["drill", "--stack", "stage", "--outputs", "o.json", "--backup-retention-days", "0"],
            "python -m ops drill: error: argument --backup-retention-days: expected a positive whole number, got '0' "
            "(see python -m ops drill --help)",
        ),
        (
            ["drill", "--stack", "stage", "--outputs", "o.json", "--backup-retention-days", "36"],
            "python -m ops drill: error: argument --backup-retention-days: expected 1 to 35 days (RDS's limit), "
            "got '36' (see python -m ops drill --help)",
        ),
        (
            ["lab", "--evidence-dir", "e", "--surprise\nsecond line"],
            "python -m ops: error: unrecognized arguments: --surprise\\nsecond line (see python -m ops --help)",
        ),
    ],
)
def test_usage_errors_are_one_line_with_a_help_hint_exit_2(argv, line):
    code, out, err = cli(argv)

    assert (code, out) == (2, "")
    assert only_line(err) == line


def test_usage_error_through_python_m_is_one_line_not_the_usage_block():
    done = subprocess.run(
        [sys.executable, "-m", "ops", "failback", "--stack", "stage"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert (done.returncode, done.stdout) == (2, "")
    assert only_line(done.stderr) == (
        "python -m ops failback: error: the following arguments are required: --outputs "
        "(see python -m ops failback --help)"
    )


# --- AWS: credentials, reachability, throttling, permissions → exit 3 ----------------------------------------------


def test_no_credentials_names_the_call_and_how_to_provide_them(bare_aws_env):
    code, out, err = cli([*VERIFY, "--endpoint-url", f"http://127.0.0.1:{closed_port()}"])

    assert (code, out) == (3, "")
    assert only_line(err) == (
        f"ops verify: no AWS credentials for rds DescribeDBInstances in us-east-1 — {CREDENTIALS_HINT}"
    )


def test_partial_credentials_say_which_variable_is_missing(bare_aws_env, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAOPSTESTPARTIAL00")

    code, out, err = cli([*VERIFY, "--endpoint-url", f"http://127.0.0.1:{closed_port()}"])

    assert (code, out) == (3, "")
    assert only_line(err) == (
        "ops verify: incomplete AWS credentials for route53 in us-east-1 (Partial credentials found in env, "
        "missing: AWS_SECRET_ACCESS_KEY) — set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither"
    )


def test_a_profile_that_does_not_exist_is_one_line_exit_3_not_a_bug(bare_aws_env, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "summit-no-such-profile")

    code, out, err = cli([*VERIFY, "--endpoint-url", f"http://127.0.0.1:{closed_port()}"])

    assert (code, out) == (3, "")
    assert only_line(err) == (
        "ops verify: The config profile (summit-no-such-profile) could not be found — set AWS_PROFILE to a profile "
        "in ~/.aws/config (or AWS_CONFIG_FILE)"
    )


def test_unreachable_endpoint_names_the_call_and_the_endpoint(moto_endpoint):
    port = closed_port()
    code, out, err = cli([*VERIFY, "--endpoint-url", f"http://127.0.0.1:{port}", "--max-attempts", "1"])

    assert (code, out) == (3, "")
    assert only_line(err) == (
        f"ops verify: cannot reach AWS for rds DescribeDBInstances in us-east-1: no connection to "
        f"http://127.0.0.1:{port}/ — {ENDPOINT_HINT}"
    )


def test_connect_timeout_is_reported_as_a_timeout(moto_endpoint):
    with unanswered_port() as port:
        factory = ClientFactory(endpoint_url=f"http://127.0.0.1:{port}", connect_timeout=0.5, max_attempts=1)
        code, out, err = cli(VERIFY, factory=factory)

    assert (code, out) == (3, "")
    assert only_line(err) == (
        f"ops verify: cannot reach AWS for rds DescribeDBInstances in us-east-1: connecting to "
        f"http://127.0.0.1:{port}/ timed out — {ENDPOINT_HINT}"
    )


@contextlib.contextmanager
def silent_endpoint() -> Iterator[int]:
    """A loopback port that accepts connections and reads requests but never answers them."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):  # the server socket is closed when the block ends
            while True:
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        server.close()
        for conn in accepted:
            conn.close()
        thread.join(timeout=5)


def test_an_endpoint_that_never_answers_is_a_read_timeout_naming_the_call(moto_endpoint):
    with silent_endpoint() as port:
        factory = ClientFactory(endpoint_url=f"http://127.0.0.1:{port}", read_timeout=0.5, max_attempts=1)
        code, out, err = cli(VERIFY, factory=factory)

    assert (code, out) == (3, "")
    assert only_line(err) == (
        f"ops verify: AWS did not answer rds DescribeDBInstances in us-east-1 in time (http://127.0.0.1:{port}/) — "
        f"retry later; {ENDPOINT_HINT}"
    )


def test_throttling_that_outlasts_the_retries_says_how_many_attempts_and_what_to_change(moto_endpoint):
    with throttling_endpoint() as (url, received):
        code, out, err = cli([*VERIFY, "--endpoint-url", url, "--max-attempts", "2"])

    assert (code, out) == (3, "")
    assert only_line(err) == (
        "ops verify: AWS kept throttling rds DescribeDBInstances in us-east-1 (Throttling) after 2 attempt(s) — "
        "retry later, or raise --max-attempts, or use --retry-mode adaptive"
    )
    assert len(received) == 2 and all("Action=DescribeDBInstances" in body for body in received)


@pytest.fixture
def iam_user(moto_endpoint):
    """An IAM user with an access key and no policy, created in moto before it enforces IAM."""
    iam = ClientFactory(endpoint_url=moto_endpoint).client("iam", "us-east-1")
    name = f"ops-no-permissions-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, key["AccessKeyId"], key["SecretAccessKey"]


def test_access_denied_names_the_call_and_the_missing_permission(moto_endpoint, iam_user, bare_aws_env, monkeypatch):
    name, key_id, secret = iam_user
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)

    with moto_auth(moto_endpoint):
        code, out, err = cli([*VERIFY, "--endpoint-url", moto_endpoint])

    assert (code, out) == (3, "")
    assert only_line(err) == (
        "ops verify: AWS denied rds DescribeDBInstances in us-east-1 (AccessDenied: User: "
        f"arn:aws:iam::123456789012:user/{name} is not authorized to perform: rds:DescribeDBInstances) — "
        "grant that permission to the identity running ops"
    )


def test_credentials_aws_does_not_know_are_reported_as_rejected(moto_endpoint, bare_aws_env, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAOPSTESTUNKNOWN00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret-key-for-moto-0000000000")

    with moto_auth(moto_endpoint):
        code, out, err = cli([*VERIFY, "--endpoint-url", moto_endpoint])

    assert (code, out) == (3, "")
    assert only_line(err) == (
        "ops verify: AWS rejected the credentials for rds DescribeDBInstances in us-east-1 (InvalidClientTokenId: "
        "The security token included in the request is invalid.) — refresh them (an expired session: log in "
        f"again) or {CREDENTIALS_HINT}"
    )


def test_a_drill_that_loses_aws_after_the_fault_exits_3_keeps_its_journal_and_names_the_resume(stack, clock, tmp_path):
    timeline = Timeline(clock)
    factory = arm_on_fault(stack.factory(max_attempts=1), timeline)
    dead = f"http://127.0.0.1:{closed_port()}"

    def network_drops(**_):  # right after the fault is in, AWS is unreachable for every client made from now on
        factory.endpoint_url = dead

    factory.client("route53", "us-east-1").meta.events.register("after-call.route53.UpdateHealthCheck", network_drops)
    code, out, err = drill(
        stack,
        clock,
        tmp_path,
        "--skip-verify",
        "--evidence-dir",
        str(tmp_path / "ev"),
        timeline=timeline,
        factory=factory,
    )

    bundle = next((tmp_path / "ev").iterdir())
    journal = json.loads((bundle / "evidence.json").read_text())
    assert (code, out) == (3, "")
    assert error_line(err) == (
        f"ops drill: cannot reach AWS for cloudwatch GetMetricStatistics in us-west-2: no connection to {dead}/ — "
        f"{ENDPOINT_HINT}; then continue with --execute --resume {bundle}"
    )
    assert {s["name"]: s["status"] for s in journal["steps"]}["inject-fault"] == "failed"
    assert journal["verdict"]["stoppedAt"] == "inject-fault" and (bundle / "report.md").is_file()
    assert stack.health_check()["Inverted"] is True  # the fault is in: the bundle says so and how to go on
    assert any("still INVERTED" in step and "ops failback" in step for step in journal["nextSteps"])
    assert any("--resume" in step for step in journal["nextSteps"])


# --- evidence directory: a file in the way, or not writable → exit 2, nothing run -----------------------------------


def test_drill_evidence_dir_that_is_a_file_is_one_line_and_changes_nothing(stack, clock, tmp_path):
    in_the_way = tmp_path / "evidence"
    in_the_way.write_text("not a directory")

    code, out, err = drill(stack, clock, tmp_path, "--evidence-dir", str(in_the_way))

    assert (code, out) == (2, "")
    assert only_line(err) == f"ops drill: evidence directory {in_the_way} is a file, not a directory — {EVIDENCE_HINT}"
    assert stack.health_check().get("Inverted") is False


def test_evidence_dir_below_a_file_names_the_file(stack, clock, tmp_path):
    (tmp_path / "runs").write_text("a file")
    below = tmp_path / "runs" / "evidence"

    code, _, err = drill(stack, clock, tmp_path, "--evidence-dir", str(below))

    assert code == 2
    assert only_line(err) == (
        f"ops drill: evidence directory {below}: {tmp_path / 'runs'} is a file, not a directory — {EVIDENCE_HINT}"
    )


def test_failback_evidence_dir_not_writable_is_one_line_and_changes_nothing(stack, clock, tmp_path):
    outputs = stack.write(tmp_path / "outputs.json")
    locked = tmp_path / "locked"
    with unwritable_dir(locked) as strerror:
        code, out, err = cli(
            ["failback", "--stack", "stage", "--outputs", str(outputs), "--execute", "--evidence-dir", str(locked)],
            factory=stack.factory(),
            clock=clock,
            health=Timeline(clock),
        )

    assert (code, out) == (2, "")
    assert (
        only_line(err)
        == f"ops failback: evidence directory {locked}: cannot write there ({strerror}) — {EVIDENCE_HINT}"
    )
    assert stack.parameter("us-east-1") == stack.data["dbPrimaryEndpoint"]  # nothing re-pointed


@pytest.mark.parametrize(
    ("content", "found"),
    [(b"\xff\xfe{}", "UnicodeDecodeError"), (b'{"schema": "other@1"}', "schema 'other@1'"), (b"[1]", "a JSON list")],
)
def test_resume_from_something_that_is_not_a_journal_is_one_line(stack, clock, tmp_path, content, found):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "evidence.json").write_bytes(content)

    code, _, err = drill(stack, clock, tmp_path, "--resume", str(bundle))

    assert code == 2
    assert only_line(err) == (
        f"ops drill: --resume {bundle}: evidence.json is not an evidence journal ({found}) — name the bundle "
        "directory a drill wrote"
    )


def test_a_wait_throttled_until_its_timeout_raises_the_throttling_line_instead_of_polling_forever(clock, tmp_path):
    evidence = Evidence.create(
        tmp_path / "bundle", kind="drill", stack="stage", started_at=clock.now(), objectives={}, context={}
    )
    start, polls = clock.now(), []

    def always_throttled():
        polls.append(clock.now())
        raise AwsThrottled(
            "AWS kept throttling route53 GetHealthCheckStatus in us-east-1 (Throttling) after 8 attempt(s)"
        )

    with pytest.raises(AwsThrottled):
        Runner(evidence, clock).wait_until("health", always_throttled, bool, timeout=60, interval=5)

    assert [(at - start).total_seconds() for at in polls] == [0, 10, 30, 60]  # backoff 10, 20, 30 s; stop at 60 s


# --- signals and bugs ------------------------------------------------------------------------------------------------


class SignalOnDns(Timeline):
    """The outside world, plus this process receiving SIGTERM while the drill waits for DNS."""

    def answer(self, fqdn):
        if self.fault_at is not None:
            os.kill(os.getpid(), signal.SIGTERM)
        return super().answer(fqdn)


def test_sigterm_during_a_drill_exits_143_and_names_the_journal_to_resume(stack, clock, tmp_path):
    handler_before = signal.getsignal(signal.SIGTERM)
    timeline = SignalOnDns(clock)
    code, out, err = drill(
        stack,
        clock,
        tmp_path,
        "--skip-verify",
        "--evidence-dir",
        str(tmp_path / "ev"),
        timeline=timeline,
        factory=arm_on_fault(stack.factory(), timeline),
    )

    bundle = next((tmp_path / "ev").iterdir())
    steps = {s["name"]: s for s in json.loads((bundle / "evidence.json").read_text())["steps"]}
    assert (code, out) == (143, "")
    assert error_line(err) == (
        "ops drill: interrupted by SIGTERM — health check inverted, replica not promoted; "
        f"journal and report.md in {bundle}: resume with --execute --resume {bundle} or undo: ops failback "
        "--execute (command in report.md)"
    )
    journal = json.loads((bundle / "evidence.json").read_text())
    assert journal["verdict"]["state"] == "fault-injected" and journal["endedAt"]  # the journal is complete
    assert "Undo with `python -m ops failback --stack stage" in (bundle / "report.md").read_text()
    assert steps["wait-dns-secondary"]["status"] == "failed"
    assert steps["wait-dns-secondary"]["error"] == "Interrupted: interrupted by SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is handler_before  # the door put the previous handler back


class BrokenHealth:
    def status(self, health_check_id):
        raise ZeroDivisionError("a bug")


def test_an_unexpected_exception_is_a_bug_exit_4_with_its_traceback(stack, clock, tmp_path):
    outputs = stack.write(tmp_path / "outputs.json")

    code, out, err = cli(
        ["verify", "--stack", "stage", "--outputs", str(outputs)], factory=stack.factory(), health=BrokenHealth()
    )

    assert (code, out) == (4, "")
    assert "Traceback (most recent call last)" in err and "ZeroDivisionError: a bug" in err
    assert err.splitlines()[-1] == (
        "ops verify: internal error (ZeroDivisionError): a bug in ops/ — report it with the traceback above"
    )


# --- one_line ------------------------------------------------------------------------------------------------------


def test_one_line_escapes_control_characters_and_keeps_other_text():
    assert one_line("a\nb\tc\rd\x1b[31m — é") == "a\\nb\\tc\\rd\\x1b[31m — é"


def test_one_line_keeps_text_up_to_the_limit_and_cuts_longer_text_with_an_ellipsis():
    assert one_line("z" * 400) == "z" * 400
    assert one_line("y" * 401) == "y" * 399 + "…"


def test_a_value_with_a_newline_is_echoed_escaped_on_one_line(tmp_path):
    data = json.loads(FIXTURE.read_text())
    data["failover"] = {"gate\nway": {"fqdn": "not a domain"}}
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(data))

    code, _, err = cli(["drill", "--stack", "stage", "--outputs", str(path)])

    assert code == 2
    assert only_line(err) == (
        f'ops drill: {path}: failover.gate\\nway.fqdn: expected a fully qualified domain name, got "not a domain"'
    )


def test_the_errors_table_in_ops_readme_lists_every_exit_code_the_door_returns():
    import ops.errors

    readme = (ROOT / "ops" / "README.md").read_text()
    section = readme.split("## Errors", 1)[1]
    rows = {cell.strip() for line in section.splitlines() if line.startswith("| ") for cell in [line.split("|")[1]]}
    codes = {
        value for name, value in vars(ops.errors).items() if name.startswith("EXIT_") and name != "EXIT_SIGNAL_BASE"
    }

    assert {str(code) for code in codes} <= rows
    assert "130, 143" in rows  # EXIT_SIGNAL_BASE + SIGINT, + SIGTERM


class SigintOnDns(Timeline):
    """Ctrl-C while the drill waits for DNS (after the fault)."""

    def answer(self, fqdn):
        if self.fault_at is not None:
            os.kill(os.getpid(), signal.SIGINT)
        return super().answer(fqdn)


def test_sigint_names_the_directory_warns_of_the_inverted_check_and_writes_the_report(stack, clock, tmp_path):
    timeline = SigintOnDns(clock)
    code, out, err = drill(
        stack,
        clock,
        tmp_path,
        "--skip-verify",
        "--evidence-dir",
        str(tmp_path / "ev"),
        timeline=timeline,
        factory=arm_on_fault(stack.factory(), timeline),
    )

    bundle = next((tmp_path / "ev").iterdir())
    assert (code, out) == (130, "")
    line = error_line(err)
    assert line.startswith("ops drill: interrupted by SIGINT — health check inverted, replica not promoted; ")
    assert f"journal and report.md in {bundle}" in line and "undo: ops failback --execute" in line
    report = (bundle / "report.md").read_text()
    assert "stopped at wait-dns-secondary: interrupted by SIGINT" in report
    assert "Undo with `python -m ops failback --stack stage" in report
