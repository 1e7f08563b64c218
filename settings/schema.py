"""Config key constraints and the one error type a user mistake produces.

`Pulumi.yaml` is the single source of each key's type, description, default and secrecy (the Pulumi CLI
type-checks stack values against it too). This module adds what Pulumi.yaml cannot say: ranges, allowed
values, patterns, and which keys are required. Every check returns a clean Python value or raises
`ConfigError` with a one-line message naming file, key, value and what was expected.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi import RunError

PROJECT = "summit-resilience"


class ConfigError(RunError):
    """A stack configuration mistake. `str()` is the one line shown to the user.

    A `pulumi.RunError`, so `pulumi preview/up` print the line without a Python traceback.
    """

    def __init__(self, source: str, key: str | None, message: str) -> None:
        self.source = source
        self.key = key
        self.message = message
        where = f"{source}: {PROJECT}:{key}" if key else source
        super().__init__(f"{where}: {message}")


def show(value: Any) -> str:
    """Render a value the way the user wrote it, quoted when it is a string."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


Check = Callable[[Any], Any]


class Invalid(ValueError):
    """Raised by a check; the loader turns it into a ConfigError with file and key."""


@dataclass(frozen=True)
class Key:
    """Constraints for one declared key. Type/default/description live in Pulumi.yaml."""

    name: str
    check: Check
    required: bool = False


def integer(lo: int, hi: int) -> Check:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, str) and re.fullmatch(r"-?\d+", v.strip()):
                v = int(v)
            else:
                raise Invalid(f"expected an integer {lo}–{hi}, got {show(v)}")
        if not lo <= v <= hi:
            raise Invalid(f"expected an integer {lo}–{hi}, got {show(v)}")
        return int(v)

    return check


def one_of_ints(*allowed: int) -> Check:
    def check(v: Any) -> int:
        if isinstance(v, str) and v.strip().isdigit():
            v = int(v)
        if isinstance(v, bool) or v not in allowed:
            raise Invalid(f"expected one of {', '.join(map(str, allowed))}, got {show(v)}")
        return int(v)

    return check


# The only values CloudWatch Logs accepts for a log group's retention_in_days.
# fmt: off
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)
# fmt: on


def log_retention_days() -> Check:
    """A CloudWatch Logs retention in days (one of LOG_RETENTION_DAYS)."""
    return one_of_ints(*LOG_RETENTION_DAYS)


def boolean() -> Check:
    def check(v: Any) -> bool:
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.lower() in ("true", "false"):
            return v.lower() == "true"
        raise Invalid(f"expected true or false, got {show(v)}")

    return check


def string(pattern: str | None = None, what: str = "a string", allow_empty: bool = False) -> Check:
    rx = re.compile(pattern) if pattern else None

    def check(v: Any) -> str:
        if not isinstance(v, str):
            raise Invalid(f"expected {what}, got {show(v)}")
        if v == "" and allow_empty:
            return v
        if v == "" or (rx is not None and not rx.fullmatch(v)):
            raise Invalid(f"expected {what}, got {show(v)}")
        return v

    return check


def choice(*allowed: str) -> Check:
    def check(v: Any) -> str:
        if v not in allowed:
            raise Invalid(f"expected one of {', '.join(allowed)}, got {show(v)}")
        return str(v)

    return check


def array(item: Check, min_items: int = 0, unique: bool = True) -> Check:
    def check(v: Any) -> tuple[Any, ...]:
        if not isinstance(v, list):
            raise Invalid(f"expected a list, got {show(v)}")
        if len(v) < min_items:
            raise Invalid(f"expected at least {min_items} item(s), got {len(v)}")
        out = []
        for i, x in enumerate(v):
            try:
                out.append(item(x))
            except Invalid as e:
                raise Invalid(f"item {i}: {e}") from None
        if unique and len(set(map(repr, out))) != len(out):
            raise Invalid(f"items must be unique, got {show(v)}")
        return tuple(out)

    return check


def cidr() -> Check:
    def check(v: Any) -> str:
        try:
            return str(ipaddress.ip_network(v, strict=True))
        except (TypeError, ValueError):
            raise Invalid(f"expected an IPv4/IPv6 CIDR such as 10.20.0.0/16, got {show(v)}") from None

    return check


def aws_region() -> Check:
    return string(r"[a-z]{2}(-gov)?-[a-z]+-\d", "an AWS region such as us-east-1")


def email() -> Check:
    return string(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", "an email address")


def dns_name() -> Check:
    return string(
        r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
        "a lower-case DNS name such as stage.summit.example.com",
    )


def dns_label() -> Check:
    return string(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", "a lower-case DNS label such as gateway")


def arn(service: str, region: str | None = None) -> Check:
    region_rx = re.escape(region) if region else r"[a-z0-9-]*"
    return string(
        rf"arn:aws[a-z-]*:{re.escape(service)}:{region_rx}:\d{{12}}:.+",
        f"an {service} ARN" + (f" in {region}" if region else ""),
    )


def composite(parse: Callable[[str], Any], what: str) -> Check:
    """A string with internal structure (e.g. "FORECASTED:80"); `parse` raises ValueError when wrong, or
    `Invalid(reason)` to append the reason to the message."""

    def check(v: Any) -> Any:
        if not isinstance(v, str):
            raise Invalid(f"expected {what}, got {show(v)}")
        try:
            return parse(v)
        except Invalid as e:
            raise Invalid(f"expected {what}, got {show(v)}: {e}") from None
        except (ValueError, KeyError):
            raise Invalid(f"expected {what}, got {show(v)}") from None

    return check


def all_keys(groups: Sequence[Sequence[Key]]) -> dict[str, Key]:
    out: dict[str, Key] = {}
    for group in groups:
        for k in group:
            if k.name in out:
                raise RuntimeError(f"config key {k.name} declared twice")
            out[k.name] = k
    return out
