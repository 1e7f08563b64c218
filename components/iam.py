"""IAM documents every component writes the same way."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def service_trust(service: str, conditions: Mapping[str, Any] | None = None) -> str:
    """A role trust policy letting one AWS service principal assume the role, with optional conditions
    (e.g. aws:SourceAccount / aws:SourceArn against the confused deputy)."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if conditions:
        statement["Condition"] = dict(conditions)
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})
