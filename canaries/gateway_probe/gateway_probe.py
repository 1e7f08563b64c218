"""CloudWatch Synthetics canary: one HTTP check of the public gateway (seed 000 §1.5), configured by environment.

PROBE_URL, PROBE_METHOD (GET/POST), PROBE_BODY (sent as application/json when set) and PROBE_EXPECT (a regular
expression the body must match; empty = any 2xx) are set per canary by components/canaries.py, mirroring the
blackbox modules of monitoring/blackbox.yml (graphql_post: POST {"query":"{ __typename }"} and require
`"__typename":`; http_2xx: GET, any 2xx). A failed check raises: the Synthetics runtime then records the run as
failed, SuccessPercent drops and the canary's alarm pages. Only the standard library and the runtime's logger are
used, so the file runs unchanged under the tests (no aws_synthetics there).
"""

from __future__ import annotations

import logging
import os
import re
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass

try:  # the Synthetics runtime's logger writes into the run's log artifact
    from aws_synthetics.common import synthetics_logger as logger  # type: ignore[import-not-found]
except ImportError:  # outside the runtime (tests): the standard logger
    logger = logging.getLogger("gateway_probe")

TIMEOUT_SECONDS = 10.0  # the blackbox modules' timeout: a slower answer is a failure there too
USER_AGENT = "summit-synthetics-canary/1 (CloudWatch Synthetics)"


class ProbeFailed(Exception):
    """The check did not pass; the message says why (it ends up in the canary run's failure reason)."""


@dataclass(frozen=True)
class Probe:
    url: str
    method: str = "GET"
    body: str = ""
    expect: str = ""  # regular expression the response body must match; "" = status only

    @classmethod
    def from_environment(cls, env: dict[str, str] | None = None) -> Probe:
        e = dict(os.environ if env is None else env)
        if not e.get("PROBE_URL"):
            raise ProbeFailed("PROBE_URL is not set")
        method = e.get("PROBE_METHOD", "GET").upper()
        if method not in ("GET", "POST"):
            raise ProbeFailed(f"PROBE_METHOD must be GET or POST, got {method!r}")
        return cls(e["PROBE_URL"], method, e.get("PROBE_BODY", ""), e.get("PROBE_EXPECT", ""))


def run(probe: Probe, timeout: float = TIMEOUT_SECONDS, context: ssl.SSLContext | None = None) -> int:
    """Make the request; return the status on success, raise ProbeFailed otherwise."""
    data = probe.body.encode() if probe.body else None
    headers = {"User-Agent": USER_AGENT}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(probe.url, data=data, headers=headers, method=probe.method)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            status = int(response.status)
            text = response.read(1 << 20).decode("utf-8", errors="replace")
    except urllib.error.HTTPError as e:  # urllib raises on 4xx/5xx
        raise ProbeFailed(f"{probe.method} {probe.url}: HTTP {e.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise ProbeFailed(f"{probe.method} {probe.url}: {reason}") from None
    if not 200 <= status <= 299:
        raise ProbeFailed(f"{probe.method} {probe.url}: HTTP {status}")
    if probe.expect and re.search(probe.expect, text) is None:
        raise ProbeFailed(f"{probe.method} {probe.url}: HTTP {status} but the body does not match {probe.expect!r}")
    logger.info(f"{probe.method} {probe.url}: HTTP {status}")
    return status


def handler(event: object, context: object) -> str:
    """Synthetics entry point (Handler "gateway_probe.handler"): one check per run."""
    run(Probe.from_environment())
    return "ok"
