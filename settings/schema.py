"""Config key constraints and the one error type a user mistake produces.

`Pulumi.yaml` is the single source of each key's type, description, default and secrecy (the Pulumi CLI
type-checks stack values against it too). This module adds what Pulumi.yaml cannot say: ranges, allowed
values, patterns, and which keys are required. Every check returns a clean Python value or raises
`ConfigError` with a one-line message naming file, key, value and what was expected.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import importlib.metadata
import importlib.util
import ipaddress
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pulumi import RunError

PROJECT = "summit-resilience"
T = TypeVar("T")


class ConfigError(RunError):
    """A stack configuration mistake. `str()` is the one line shown to the user.

    A `pulumi.RunError`, so `pulumi preview/up` print the line without a Python traceback.
    """

    def __init__(self, source: str, key: str | None, message: str) -> None:
        self.source = source
        self.key = key
        self.message = message
        # Every part may carry user input (a path, a key, a value): escape it to one line and bound it, so a
        # value with a newline or a megabyte-long key still prints as one short line.
        where = f"{one_line(source)}: {PROJECT}:{clip(key)}" if key else one_line(source)
        super().__init__(f"{where}: {one_line(message, MAX_MESSAGE_CHARS)}")


MAX_SHOWN_CHARS = 80  # a value rendered in an error is cut here ("…", with its full length)
MAX_MESSAGE_CHARS = 1000  # a last resort for messages that embed user text without show()


def _escape(text: str, quote: str = "") -> str:
    """`text` on one line: backslash escapes for control, line/paragraph-separator and other non-printable
    characters (what str.splitlines() would split on, and what a terminal would act on)."""
    out = []
    for ch in text:
        if ch == "\\" and quote:
            out.append("\\\\")
        elif ch == quote:
            out.append("\\" + ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif not ch.isprintable() and ch != " ":
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def one_line(text: str, limit: int | None = None) -> str:
    """Escape `text` to one line; cut it at `limit` characters (marked with …) when given."""
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return _escape(text)


def clip(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """A name from user input (a key, a policy) for an error: one line, at most `limit` characters."""
    text = str(text)
    if len(text) > limit:
        return _escape(text[:limit]) + f"… ({len(text)} characters)"
    return _escape(text)


def show(value: Any) -> str:
    """Render a value the way the user wrote it, quoted when it is a string: one line (repr-style escapes),
    at most MAX_SHOWN_CHARS characters of it (a longer one ends in `…` and says how long it is)."""
    if isinstance(value, str):
        if len(value) > MAX_SHOWN_CHARS:
            return f'"{_escape(value[:MAX_SHOWN_CHARS], quote=chr(34))}"… ({len(value)} characters)'
        return f'"{_escape(value, quote=chr(34))}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)  # repr escapes the strings inside containers; only its length needs a bound
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "…"


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


# CreateVpc: "The smallest VPC you can create uses a /28 netmask (16 IPv4 addresses), and the largest uses a
# /16 netmask (65,536 IPv4 addresses)" (EC2 API reference, CreateVpc). The VPC CIDR also feeds a security
# group's cidr_ipv4, which takes IPv4 only.
VPC_PREFIX_MIN, VPC_PREFIX_MAX = 16, 28


def vpc_cidr() -> Check:
    """A VPC's primary IPv4 CIDR block, /16 to /28, written in canonical form (no host bits)."""

    def check(v: Any) -> str:
        what = f"an IPv4 VPC CIDR /{VPC_PREFIX_MIN}–/{VPC_PREFIX_MAX} such as 10.20.0.0/16, got {show(v)}"
        try:
            net = ipaddress.ip_network(v, strict=True) if isinstance(v, str) else None
        except ValueError:
            net = None
        if not isinstance(net, ipaddress.IPv4Network) or not VPC_PREFIX_MIN <= net.prefixlen <= VPC_PREFIX_MAX:
            raise Invalid(f"expected {what}")
        return str(net)

    return check


# --- regions and ARNs: checked against the partition data the AWS SDK itself resolves endpoints with ----------

PARTITION = "aws"  # this project deploys to the commercial partition (not aws-cn, aws-us-gov, …)


@functools.lru_cache(maxsize=1)
def partition_regions() -> dict[str, tuple[str, ...]]:
    """Every partition's regions from botocore's `data/endpoints.json` (botocore is pinned through boto3 in
    requirements.txt/constraints.txt, so the list moves only when that pin moves)."""
    spec = importlib.util.find_spec("botocore")
    assert spec is not None and spec.origin is not None, "botocore is a pinned dependency (requirements.txt)"
    doc = json.loads((Path(spec.origin).parent / "data" / "endpoints.json").read_text(encoding="utf-8"))
    return {p["partition"]: tuple(sorted(p["regions"])) for p in doc["partitions"]}


def botocore_version() -> str:
    try:
        return importlib.metadata.version("botocore")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - botocore is pinned
        return "?"


def region_problem(value: str) -> str | None:
    """Why `value` is not a region of the aws partition (None when it is one): names the partition it belongs
    to, or the closest region of the aws partition."""
    regions = partition_regions()
    if value in regions.get(PARTITION, ()):
        return None
    for partition, names in regions.items():
        if value in names:
            return f"a region of partition {partition}; this project deploys to the {PARTITION} partition"
    known = regions.get(PARTITION, ())
    lower = value.lower()
    close = [r for r in known if r == lower] or difflib.get_close_matches(lower[:64], known, n=1, cutoff=0)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"not a region of the {PARTITION} partition (botocore {botocore_version()} endpoints.json){hint}"


def aws_region() -> Check:
    def check(v: Any) -> str:
        if not isinstance(v, str) or v == "":
            raise Invalid(f"expected an AWS region such as us-east-1, got {show(v)}")
        problem = region_problem(v)
        if problem:
            raise Invalid(f"expected an AWS region such as us-east-1, got {show(v)}: {problem}")
        return v

    return check


@dataclass(frozen=True)
class Arn:
    """arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE"""

    partition: str
    service: str
    region: str
    account: str
    resource: str


# ACM's Arn shape (botocore acm/2015-12-08 service-2.json): min 20, max 2048 characters.
ARN_MAX_CHARS = 2048


def parse_arn(text: str, service: str) -> Arn:
    """Split an ARN of `service` in the aws partition; raises Invalid(reason) naming the part that is wrong.
    The region must be a region of the partition (or empty, for global services such as IAM)."""
    if len(text) > ARN_MAX_CHARS:
        raise Invalid(f"longer than {ARN_MAX_CHARS} characters")
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise Invalid("not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)")
    arn = Arn(*parts[1:])
    if arn.partition != PARTITION:
        raise Invalid(f"partition {show(arn.partition)}, expected {PARTITION}")
    if arn.service != service:
        raise Invalid(f"service {show(arn.service)}, expected {service}")
    if arn.region:
        problem = region_problem(arn.region)
        if problem:
            raise Invalid(f"region {show(arn.region)} is {problem}")
    if not re.fullmatch(r"\d{12}", arn.account):
        raise Invalid(f"account {show(arn.account)} is not a 12-digit AWS account id")
    return arn


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


# A settings dataclass field that is one config key read as validated carries its Key in its metadata: the
# section's KEYS and its build() both come from the dataclass, so a new setting is one field (CONTRIBUTING.md).
_SETTING = "summit.setting"


def setting(name: str, check: Check, required: bool = False) -> Any:
    """A settings field holding config key `name` as `check` returns it (declared in Pulumi.yaml)."""
    return dataclasses.field(metadata={_SETTING: Key(name, check, required)})


def derived() -> Any:
    """A settings field build() computes from several keys (or from another file) and passes to build_from."""
    return dataclasses.field()


def keys_of(cls: type) -> list[Key]:
    """The Keys of a settings dataclass's `setting(...)` fields, in field order."""
    return [f.metadata[_SETTING] for f in dataclasses.fields(cls) if _SETTING in f.metadata]


def build_from(cls: type[T], values: Any, **derived: Any) -> T:
    """An instance of settings dataclass `cls`: each `setting(...)` field from `values[key]`, every other field
    (and any field a section computes from several keys) from `derived`."""
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in derived:
            kwargs[f.name] = derived[f.name]
        elif _SETTING in f.metadata:
            kwargs[f.name] = values[f.metadata[_SETTING].name]
        else:
            raise TypeError(f"{cls.__name__}.{f.name} is neither a setting(...) field nor derived by build()")
    unknown = sorted(set(derived) - set(kwargs))
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {unknown[0]}")
    return cls(**kwargs)
