"""The monitoring files under the real tools: promtool, amtool and prometheus-blackbox-exporter.

.ci/run installs the Debian packages (prometheus, prometheus-alertmanager, prometheus-blackbox-exporter).
Everything listens on 127.0.0.1 on ports the OS picks, so the suite can run in parallel (pytest -n 2).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

import monitoring
from monitoring.alertmanager import PAGERDUTY_RECEIVER, SLACK_RECEIVER, alertmanager_yml

TOOL_TIMEOUT = 60


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not installed; .ci/run installs it (apt-get install prometheus prometheus-alertmanager …)"
    return path


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=TOOL_TIMEOUT, cwd=cwd, check=False
    )


# --- promtool -----------------------------------------------------------------------------------------------


def test_promtool_check_rules_accepts_every_rule_file():
    files = monitoring.rule_files()
    result = _run(_tool("promtool"), "check", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files) == 2


def test_promtool_unit_tests_pass_for_every_rule_file():
    tests = sorted(monitoring.RULE_TESTS_DIR.glob("*.yml"))
    result = _run(_tool("promtool"), "test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(tests) == 2


def test_every_rule_file_has_a_unit_test_file_that_loads_it():
    loaded = set()
    for test_file in monitoring.RULE_TESTS_DIR.glob("*.yml"):
        doc = yaml.safe_load(test_file.read_text())
        loaded |= {(test_file.parent / f).resolve() for f in doc["rule_files"]}
    assert loaded == {p.resolve() for p in monitoring.rule_files()}


def _alert_cases() -> dict[str, list[tuple[int, list[tuple[str, bool]]]]]:
    """alertname → [(test group index, [(eval_time, fires?)])] across monitoring/tests/*.yml."""
    cases: dict[str, list[tuple[int, list[tuple[str, bool]]]]] = {}
    for test_file in sorted(monitoring.RULE_TESTS_DIR.glob("*.yml")):
        for i, group in enumerate(yaml.safe_load(test_file.read_text())["tests"]):
            per_alert: dict[str, list[tuple[str, bool]]] = {}
            for case in group.get("alert_rule_test", []):
                per_alert.setdefault(case["alertname"], []).append((case["eval_time"], bool(case["exp_alerts"])))
            for name, evals in per_alert.items():
                cases.setdefault(name, []).append((i, evals))
    return cases


def _seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smhd])", duration))


def test_every_alert_has_a_firing_and_a_not_firing_unit_test():
    cases = _alert_cases()
    for alert in monitoring.alerting_rules():
        outcomes = {fires for _, evals in cases.get(alert, []) for _, fires in evals}
        assert outcomes == {True, False}, f"{alert}: unit tests cover {outcomes or 'nothing'}"


def test_every_alert_with_for_is_tested_pending_then_firing_within_its_duration():
    cases = _alert_cases()
    for alert, rule in monitoring.alerting_rules().items():
        if "for" not in rule:
            continue
        window = _seconds(rule["for"])
        pairs = [
            (_seconds(quiet), _seconds(fire))
            for _, evals in cases[alert]
            for quiet, q_fires in evals
            for fire, f_fires in evals
            if not q_fires and f_fires
        ]
        assert any(0 < fire - quiet <= window for quiet, fire in pairs), (
            f"{alert}: no test sees it quiet less than {rule['for']} before it fires"
        )


def _copy_monitoring(tmp_path: Path) -> Path:
    for sub in ("rules", "tests"):
        shutil.copytree(monitoring.MONITORING_DIR / sub, tmp_path / sub)
    return tmp_path


def test_unit_tests_catch_a_gateway_down_that_fires_before_its_2m(tmp_path):
    root = _copy_monitoring(tmp_path)
    rules = root / "rules" / "synthetics.yml"
    text = rules.read_text()
    assert text.count("for: 2m") == 1
    rules.write_text(text.replace("for: 2m", "for: 1m"))
    result = _run(_tool("promtool"), "test", "rules", root / "tests" / "synthetics_test.yml")
    assert result.returncode != 0
    assert "alertname: GatewayDown, time: 6m" in result.stdout + result.stderr


def test_unit_tests_catch_a_changed_replica_lag_threshold(tmp_path):
    root = _copy_monitoring(tmp_path)
    rules = root / "rules" / "dr.yml"
    rules.write_text(
        rules.read_text().replace("(aws_rds_replica_lag_average) > 60", "(aws_rds_replica_lag_average) > 300")
    )
    result = _run(_tool("promtool"), "test", "rules", root / "tests" / "dr_test.yml")
    assert result.returncode != 0
    assert "alertname: DatabaseReplicaLagHigh" in result.stdout + result.stderr


# --- amtool -------------------------------------------------------------------------------------------------


@pytest.fixture
def alertmanager_file(tmp_path):
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(alertmanager_yml()))
    return path


def test_amtool_accepts_the_rendered_alertmanager_config(alertmanager_file):
    result = _run(_tool("amtool"), "check-config", alertmanager_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "2 receivers" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["severity=critical", "alertname=GatewayDown"], PAGERDUTY_RECEIVER),
        (["severity=warning", "alertname=WalletVerifyDown"], SLACK_RECEIVER),
        (["severity=info", "alertname=Whatever"], SLACK_RECEIVER),
        (["alertname=NoSeverity"], SLACK_RECEIVER),
    ],
)
def test_amtool_routes_critical_to_pagerduty_and_everything_else_to_slack(alertmanager_file, labels, receiver):
    result = _run(_tool("amtool"), "config", "routes", "test", f"--config.file={alertmanager_file}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_every_alert_in_the_rule_files_reaches_the_receiver_its_severity_names(alertmanager_file):
    expected = {"critical": PAGERDUTY_RECEIVER, "warning": SLACK_RECEIVER}
    for name, rule in monitoring.alerting_rules().items():
        severity = rule["labels"]["severity"]
        result = _run(
            _tool("amtool"), "config", "routes", "test", f"--config.file={alertmanager_file}", f"severity={severity}"
        )
        assert result.stdout.strip() == expected[severity], name


def test_amtool_rejects_a_config_without_the_pagerduty_key(tmp_path):
    doc = alertmanager_yml()
    del doc["receivers"][0]["pagerduty_configs"][0]["routing_key"]
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(doc))
    assert _run(_tool("amtool"), "check-config", path).returncode != 0


# --- prometheus-blackbox-exporter ---------------------------------------------------------------------------


class _Target(BaseHTTPRequestHandler):
    """/ok → 200, /fail → 500, /graphql answers a POSTed JSON query, /graphql-error → 200 without data."""

    # The modules accept HTTP/1.1 and HTTP/2 only (seed 000); http.server speaks HTTP/1.0 unless told otherwise.
    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[dict[str, str]]] = []

    def _answer(self, status: int, body: bytes = b"", content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/ok":
            self._answer(200, b"ok")
        elif self.path == "/fail":
            self._answer(500, b"broken")
        else:
            self._answer(405 if self.path.startswith("/graphql") else 404)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        type(self).seen.append({"path": self.path, "content-type": self.headers.get("Content-Type", ""), "body": body})
        if self.path == "/graphql-error":
            self._answer(200, b'{"errors":[{"message":"upstream unavailable"}]}', "application/json")
            return
        try:
            query = json.loads(body)["query"]
        except (ValueError, KeyError):
            self._answer(400, b'{"errors":[{"message":"bad request"}]}', "application/json")
            return
        if self.path == "/graphql" and self.headers.get("Content-Type") == "application/json" and "__typename" in query:
            self._answer(200, b'{"data":{"__typename":"Query"}}', "application/json")
        else:
            self._answer(500, b'{"errors":[{"message":"internal"}]}', "application/json")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def target():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Target)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 15) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture(scope="module")
def exporter(tmp_path_factory):
    """The real exporter with monitoring/blackbox.yml on a free loopback port; stopped when the module ends."""
    binary = _tool("prometheus-blackbox-exporter")
    log = tmp_path_factory.mktemp("blackbox") / "exporter.log"
    for _attempt in range(3):  # another process may grab the port between _free_port() and bind
        port = _free_port()
        with log.open("w") as out:
            proc = subprocess.Popen(
                [binary, f"--config.file={monitoring.BLACKBOX_CONFIG}", f"--web.listen-address=127.0.0.1:{port}"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if _get(f"http://127.0.0.1:{port}/metrics", timeout=1)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        if proc.poll() is None and time.monotonic() < deadline:
            break
        proc.kill()
        proc.wait(timeout=5)
    else:
        pytest.fail(f"blackbox exporter did not start within 15 s: {log.read_text()}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _probe(exporter: str, url: str, module: str) -> dict[str, float]:
    query = urllib.parse.urlencode({"target": url, "module": module})
    status, text = _get(f"{exporter}/probe?{query}")
    assert status == 200, text
    metrics = {}
    for line in text.splitlines():
        m = re.fullmatch(r"(probe_[a-z_]+)(?:\{[^}]*\})? (\S+)", line)
        if m:
            metrics[m.group(1)] = float(m.group(2))
    return metrics


def test_exporter_accepts_the_repos_module_config():
    result = _run(
        _tool("prometheus-blackbox-exporter"), "--config.check", f"--config.file={monitoring.BLACKBOX_CONFIG}"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_exporter_rejects_a_misspelt_module_key(tmp_path):
    bad = tmp_path / "blackbox.yml"
    bad.write_text(monitoring.BLACKBOX_CONFIG.read_text().replace("preferred_ip_protocol", "prefered_ip_protocol"))
    result = _run(_tool("prometheus-blackbox-exporter"), "--config.check", f"--config.file={bad}")
    assert result.returncode != 0


def test_http_2xx_succeeds_against_a_server_answering_200(exporter, target):
    metrics = _probe(exporter, f"{target}/ok", "http_2xx")
    assert metrics["probe_success"] == 1
    assert metrics["probe_http_status_code"] == 200


def test_http_2xx_fails_against_a_server_answering_500(exporter, target):
    metrics = _probe(exporter, f"{target}/fail", "http_2xx")
    assert metrics["probe_success"] == 0
    assert metrics["probe_http_status_code"] == 500


def test_graphql_post_succeeds_and_sends_the_typename_query_as_json(exporter, target):
    _Target.seen.clear()
    assert _probe(exporter, f"{target}/graphql", "graphql_post")["probe_success"] == 1
    (request,) = [r for r in _Target.seen if r["path"] == "/graphql"]
    assert request["content-type"] == "application/json"
    assert json.loads(request["body"]) == {"query": "{ __typename }"}


def test_graphql_post_fails_when_the_gateway_answers_500(exporter, target):
    metrics = _probe(exporter, f"{target}/graphql-broken", "graphql_post")
    assert (metrics["probe_success"], metrics["probe_http_status_code"]) == (0, 500)


def test_graphql_post_fails_on_a_200_without_data(exporter, target):
    metrics = _probe(exporter, f"{target}/graphql-error", "graphql_post")
    assert (metrics["probe_success"], metrics["probe_http_status_code"]) == (0, 200)
    assert metrics["probe_failed_due_to_regex"] == 1


def test_graphql_post_fails_where_only_get_is_served(exporter, target):
    # /ok serves GET only: a gateway that no longer accepts POST is down for GraphQL clients.
    assert _probe(exporter, f"{target}/ok", "graphql_post")["probe_success"] == 0
