"""Alert routing: severity → receiver, rendered two ways from one model.

* `alertmanager_config_spec()` — the `spec` of the AlertmanagerConfig (monitoring.coreos.com/v1alpha1) that
  components/synthetics.py deploys; secrets are references to Kubernetes Secrets.
* `alertmanager_yml()` — the equivalent plain alertmanager.yml, which `amtool check-config` and
  `amtool config routes test` accept (tests/test_monitoring_tools.py). The prometheus-operator turns the
  AlertmanagerConfig into this same tree (plus a namespace matcher) inside the cluster's Alertmanager.

`python -m monitoring.alertmanager > alertmanager.yml` prints the rendered file with placeholder secrets.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

import yaml

PAGERDUTY_RECEIVER = "pagerduty-critical"
SLACK_RECEIVER = "slack-warnings"


@dataclass(frozen=True)
class SeverityRoute:
    """Alerts whose `severity` label equals `severity` go to `receiver`, repeated every `repeat_interval`."""

    severity: str
    receiver: str
    repeat_interval: str


# critical pages the on-call (and re-pages hourly while it fires); warnings wait for working hours in Slack.
ROUTES = (
    SeverityRoute("critical", PAGERDUTY_RECEIVER, "1h"),
    SeverityRoute("warning", SLACK_RECEIVER, "4h"),
)
# An alert with any other severity (or none) still reaches a human: Slack, never silently dropped.
DEFAULT_RECEIVER = SLACK_RECEIVER
GROUP_BY = ("alertname", "job")
GROUP_WAIT = "30s"
GROUP_INTERVAL = "5m"
REPEAT_INTERVAL = "4h"

SLACK_TITLE = "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}"
SLACK_TEXT = "{{ range .Alerts }}{{ .Annotations.summary }}: {{ .Annotations.description }}\n{{ end }}"
PAGERDUTY_DESCRIPTION = "{{ .CommonLabels.alertname }}: {{ .CommonAnnotations.summary }}"

PLACEHOLDER_ROUTING_KEY = "0123456789abcdef0123456789abcdef"
PLACEHOLDER_SLACK_URL = "https://hooks.slack.com/services/T00000000/B00000000/amtool0placeholder000000000"


@dataclass(frozen=True)
class SecretKeyRef:
    """A key of a Kubernetes Secret in the AlertmanagerConfig's namespace."""

    name: str
    key: str

    def spec(self) -> dict[str, str]:
        return {"name": self.name, "key": self.key}


def alertmanager_config_spec(pagerduty_routing_key: SecretKeyRef, slack_webhook_url: SecretKeyRef) -> dict[str, Any]:
    """`spec` of the AlertmanagerConfig (v1alpha1: camelCase fields, matchers as objects)."""
    return {
        "route": {
            "receiver": DEFAULT_RECEIVER,
            "groupBy": list(GROUP_BY),
            "groupWait": GROUP_WAIT,
            "groupInterval": GROUP_INTERVAL,
            "repeatInterval": REPEAT_INTERVAL,
            "routes": [
                {
                    "matchers": [{"name": "severity", "matchType": "=", "value": r.severity}],
                    "receiver": r.receiver,
                    "repeatInterval": r.repeat_interval,
                }
                for r in ROUTES
            ],
        },
        "receivers": [
            {
                "name": PAGERDUTY_RECEIVER,
                "pagerdutyConfigs": [
                    {
                        "routingKey": pagerduty_routing_key.spec(),
                        "severity": "critical",
                        "description": PAGERDUTY_DESCRIPTION,
                        "sendResolved": True,
                    }
                ],
            },
            {
                "name": SLACK_RECEIVER,
                "slackConfigs": [
                    {
                        "apiURL": slack_webhook_url.spec(),
                        "title": SLACK_TITLE,
                        "text": SLACK_TEXT,
                        "sendResolved": True,
                    }
                ],
            },
        ],
    }


def alertmanager_yml(
    pagerduty_routing_key: str = PLACEHOLDER_ROUTING_KEY, slack_webhook_url: str = PLACEHOLDER_SLACK_URL
) -> dict[str, Any]:
    """The equivalent alertmanager.yml (snake_case, matchers as strings), with the secret values inlined."""
    return {
        "route": {
            "receiver": DEFAULT_RECEIVER,
            "group_by": list(GROUP_BY),
            "group_wait": GROUP_WAIT,
            "group_interval": GROUP_INTERVAL,
            "repeat_interval": REPEAT_INTERVAL,
            "routes": [
                {
                    "matchers": [f'severity="{r.severity}"'],
                    "receiver": r.receiver,
                    "repeat_interval": r.repeat_interval,
                }
                for r in ROUTES
            ],
        },
        "receivers": [
            {
                "name": PAGERDUTY_RECEIVER,
                "pagerduty_configs": [
                    {
                        "routing_key": pagerduty_routing_key,
                        "severity": "critical",
                        "description": PAGERDUTY_DESCRIPTION,
                        "send_resolved": True,
                    }
                ],
            },
            {
                "name": SLACK_RECEIVER,
                "slack_configs": [
                    {
                        "api_url": slack_webhook_url,
                        "title": SLACK_TITLE,
                        "text": SLACK_TEXT,
                        "send_resolved": True,
                    }
                ],
            },
        ],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m monitoring.alertmanager",
        description="Print the alertmanager.yml equivalent of the deployed AlertmanagerConfig, with placeholder "
        "secrets (for `amtool check-config` and `amtool config routes test`).",
    )
    p.parse_args(argv)
    sys.stdout.write(yaml.safe_dump(alertmanager_yml(), sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
