"""The stack outputs the tools read, parsed and validated into a frozen dataclass.

Input is the JSON object `pulumi stack output --json --show-secrets` prints; its key names come from
contract/outputs.py (the same members `__main__.py` exports with). Any missing or malformed key is an
`OutputsError` whose `str()` is one line naming the file, the key, what was expected and what was found; so is a
file that cannot be read, is not UTF-8 (UTF-16 from PowerShell's `>` is named as such), is larger than
`MAX_BYTES`, is not JSON (NaN/Infinity included), nests too deeply, or repeats a key in one object.
"""

from __future__ import annotations

import codecs
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contract.data import BUCKET_PURPOSES
from contract.outputs import GATEWAY_HOST, BucketKey, FailoverKey, Key
from contract.values import SECRET_MASK
from ops.errors import InputError

REGION = r"[a-z]{2}(?:-gov)?-[a-z]+-\d"
_RDS_ARN = re.compile(rf"arn:aws(?:-[a-z]+)*:rds:({REGION}):(\d{{12}}):db:([A-Za-z][A-Za-z0-9-]{{0,62}})")
_SECRET_ARN = re.compile(rf"arn:aws(?:-[a-z]+)*:secretsmanager:{REGION}:\d{{12}}:secret:[A-Za-z0-9/_+=.@!-]+")
_KMS_ARN = re.compile(rf"arn:aws(?:-[a-z]+)*:kms:{REGION}:\d{{12}}:key/[A-Za-z0-9-]+")
_S3_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])")
_ALARM_ARN = re.compile(rf"arn:aws(?:-[a-z]+)*:cloudwatch:{REGION}:\d{{12}}:alarm:.+")
_FIS_TEMPLATE_ID = re.compile(r"[\S]{1,64}")  # ExperimentTemplateId: max 64, pattern [\S]+ (botocore fis model)
_DB_ID = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,62}")
_ENDPOINT = re.compile(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d{1,5})?")
_HEALTH_CHECK_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SSM_NAME = re.compile(r"/?[A-Za-z0-9_.\-/]{1,1011}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_FQDN = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_URL = re.compile(r"https://[a-z0-9.-]+(?::\d+)?(?:/\S*)?")
# PlanArn pattern of the arc-region-switch model: global (no region), plan/NAME:SUFFIX.
PLAN_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:arc-region-switch::([0-9]{12}):plan/([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?):([a-z0-9]{6})"
)
PURPOSES = BUCKET_PURPOSES
# The keys of one database in the outputs: (identifier, ARN, endpoint, region).
_DB_ROLES = {
    "Primary": (Key.DB_PRIMARY_IDENTIFIER, Key.DB_PRIMARY_ARN, Key.DB_PRIMARY_ENDPOINT, Key.DB_PRIMARY_REGION),
    "Replica": (Key.DB_REPLICA_IDENTIFIER, Key.DB_REPLICA_ARN, Key.DB_REPLICA_ENDPOINT, Key.DB_REPLICA_REGION),
}
# The keys of one side of a `buckets` entry: (bucket, ARN, region).
_BUCKET_SIDES = {
    "primary": (BucketKey.PRIMARY_BUCKET, BucketKey.PRIMARY_ARN, BucketKey.PRIMARY_REGION),
    "replica": (BucketKey.REPLICA_BUCKET, BucketKey.REPLICA_ARN, BucketKey.REPLICA_REGION),
}
# Each key of one `failover` host, in the order they are checked: (pattern, what is expected, required).
_FAILOVER_FIELDS = {
    FailoverKey.FQDN: (_FQDN, "a fully qualified domain name", True),
    FailoverKey.PRIMARY_HEALTH_CHECK_ID: (_HEALTH_CHECK_ID, "a Route53 health check id (UUID)", True),
    FailoverKey.SECONDARY_HEALTH_CHECK_ID: (_HEALTH_CHECK_ID, "a Route53 health check id (UUID)", True),
    FailoverKey.PRIMARY_ALARM_ARN: (_ALARM_ARN, "a CloudWatch alarm ARN", False),
    FailoverKey.SECONDARY_ALARM_ARN: (_ALARM_ARN, "a CloudWatch alarm ARN", False),
}


# A stack's outputs are a few kilobytes (tests/fixtures/outputs.stage.json: ~7 KB); 5 MiB is far above any real
# document and keeps a wrong file (a log, a dump) from being read into memory whole.
MAX_BYTES = 5 * 1024 * 1024
EXPORT = "pulumi stack output --json --show-secrets"


class OutputsError(InputError, ValueError):
    """A missing or malformed stack output. `str()` is the one line shown to the user (exit 2)."""


@dataclass(frozen=True)
class Database:
    identifier: str
    arn: str
    endpoint: str
    region: str


@dataclass(frozen=True)
class BucketPair:
    purpose: str
    primary_bucket: str
    primary_arn: str
    primary_region: str
    replica_bucket: str
    replica_arn: str
    replica_region: str


@dataclass(frozen=True)
class FailoverHost:
    host: str
    fqdn: str
    primary_health_check_id: str
    secondary_health_check_id: str
    primary_alarm_arn: str | None
    secondary_alarm_arn: str | None


@dataclass(frozen=True)
class Velero:
    namespace: str
    schedule_name: str
    bucket: str | None


@dataclass(frozen=True)
class StackOutputs:
    """What ops/ needs from one stack. Optional parts are None when that component is not deployed."""

    source: str
    environment: str | None
    primary: Database
    replica: Database
    endpoint_parameter_name: str
    replica_lag_alarm_name: str
    secret_arn: str | None
    kms_key_arn: str | None
    replica_kms_key_arn: str | None
    buckets: tuple[BucketPair, ...]
    gateway_url: str | None
    failover: tuple[FailoverHost, ...]
    velero: Velero | None
    region_switch_plan_arn: str | None = None  # the ARC Region switch plan (python -m ops failover)
    # The primary's PITR window (dbBackupRetentionDays): the promoted writer keeps the same, never a tool default.
    backup_retention_days: int | None = None
    # chaosExperimentTemplateIds: the stack's FIS experiment templates by fault name (components/chaos.py)
    fis_templates: dict[str, str] = field(default_factory=dict)

    @property
    def gateway_host(self) -> FailoverHost | None:
        """The failover host serving gatewayUrl (the drill's probe target and the check it inverts).

        Without CloudFront gatewayUrl is that host's own name. With CloudFront gatewayUrl is the distribution's name
        and its origin is the `gateway` host's failover record (gateway-origin.<domain>, settings/edge.py), so the
        `gateway` host serves it. Anything else is None: inverting some other service's check would fail over the
        wrong thing, and the commands say so instead."""
        if self.gateway_url:
            for host in self.failover:
                if self.gateway_url.startswith(f"https://{host.fqdn}"):
                    return host
        return next((host for host in self.failover if host.host == GATEWAY_HOST), None)


class _Reader:
    def __init__(self, source: str, data: dict[str, Any]) -> None:
        self.source = source
        self.data = data

    def fail(self, key: str, expected: str, got: Any) -> OutputsError:
        if got is _MISSING:
            return OutputsError(f"{self.source}: {key}: expected {expected}, missing")
        text = json.dumps(got, default=str)
        shown = f"got {text if len(text) <= 100 else text[:99] + '…'}"
        return OutputsError(f"{self.source}: {key}: expected {expected}, {shown}")

    def get(
        self,
        key: str,
        pattern: re.Pattern[str],
        expected: str,
        *,
        within: dict[str, Any] | None = None,
        path: str | None = None,
        optional: bool = False,
    ) -> str | None:
        data = self.data if within is None else within
        value = data.get(key, _MISSING)
        where = path or key
        if value is _MISSING or value is None:
            if optional:
                return None
            raise self.fail(where, expected, value)
        if value == SECRET_MASK:
            raise OutputsError(
                f'{self.source}: {where}: is "{SECRET_MASK}" — export with `pulumi stack output --json --show-secrets`'
            )
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise self.fail(where, expected, value)
        return value

    def req(self, key: str, pattern: re.Pattern[str], expected: str, **kw: Any) -> str:
        value = self.get(key, pattern, expected, **kw)
        assert value is not None
        return value


_MISSING: Any = object()


def _database(r: _Reader, role: str) -> Database:
    id_key, arn_key, endpoint_key, region_key = _DB_ROLES[role]
    arn = r.req(arn_key, _RDS_ARN, "an RDS DB instance ARN (arn:aws:rds:REGION:ACCOUNT:db:ID)")
    match = _RDS_ARN.fullmatch(arn)
    assert match is not None
    identifier = r.req(id_key, _DB_ID, "an RDS DB instance identifier")
    region = r.req(region_key, re.compile(REGION), "an AWS region such as us-east-1")
    if match.group(3) != identifier:
        raise r.fail(arn_key, f"the ARN of {id_key} {identifier}", arn)
    if match.group(1) != region:
        raise r.fail(arn_key, f"an ARN in {region_key} {region}", arn)
    endpoint = r.req(endpoint_key, _ENDPOINT, "a database endpoint host[:port]")
    return Database(identifier=identifier, arn=arn, endpoint=endpoint, region=region)


def _buckets(r: _Reader) -> tuple[BucketPair, ...]:
    raw = r.data.get(Key.BUCKETS, _MISSING)
    if not isinstance(raw, dict) or not raw:
        raise r.fail(Key.BUCKETS, "an object {purpose: {primaryBucket, primaryArn, ...}}", raw)
    pairs = []
    for purpose, entry in sorted(raw.items()):
        if purpose not in PURPOSES:
            raise r.fail(Key.BUCKETS, f"purposes among {', '.join(PURPOSES)}", purpose)
        if not isinstance(entry, dict):
            raise r.fail(f"buckets.{purpose}", "an object", entry)
        values = {}
        p = f"{Key.BUCKETS}.{purpose}"
        for side, (bucket_key, arn_key, region_key) in _BUCKET_SIDES.items():
            bucket = r.req(bucket_key, _BUCKET, "an S3 bucket name", within=entry, path=f"{p}.{bucket_key}")
            arn = r.req(arn_key, _S3_ARN, "an S3 bucket ARN", within=entry, path=f"{p}.{arn_key}")
            if arn != f"arn:aws:s3:::{bucket}" and not arn.endswith(f":::{bucket}"):
                raise r.fail(f"{p}.{arn_key}", f"the ARN of {bucket}", arn)
            region = r.req(region_key, re.compile(REGION), "an AWS region", within=entry, path=f"{p}.{region_key}")
            values[side] = (bucket, arn, region)
        if values["primary"][2] == values["replica"][2]:
            raise r.fail(f"{p}.{BucketKey.REPLICA_REGION}", "a region other than the primary's", values["replica"][2])
        pairs.append(BucketPair(purpose, *values["primary"], *values["replica"]))
    return tuple(pairs)


def _failover(r: _Reader) -> tuple[FailoverHost, ...]:
    raw = r.data.get(Key.FAILOVER)
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise r.fail(Key.FAILOVER, "an object {host: {fqdn, primaryHealthCheckId, ...}}", raw)
    hosts = []
    for host, entry in sorted(raw.items()):
        p = f"{Key.FAILOVER}.{host}"
        if not isinstance(entry, dict):
            raise r.fail(p, "an object", entry)
        # FailoverHost's fields are the contract's names in snake case: fqdn, primary_health_check_id, ...
        values: dict[str, Any] = {
            key.name.lower(): r.get(key, pattern, expected, within=entry, path=f"{p}.{key}", optional=not required)
            for key, (pattern, expected, required) in _FAILOVER_FIELDS.items()
        }
        hosts.append(FailoverHost(host=host, **values))
    return tuple(hosts)


def parse(data: Any, source: str = "outputs") -> StackOutputs:
    """Validate one `pulumi stack output --json --show-secrets` document."""
    if not isinstance(data, dict):
        raise OutputsError(f"{source}: expected a JSON object of stack outputs, got {type(data).__name__}")
    r = _Reader(source, data)
    primary = _database(r, "Primary")
    replica = _database(r, "Replica")
    if primary.region == replica.region:
        raise r.fail(
            Key.DB_REPLICA_REGION, f"a region other than {Key.DB_PRIMARY_REGION} {primary.region}", replica.region
        )
    velero = None
    namespace = r.get(
        Key.VELERO_NAMESPACE, re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"), "a namespace", optional=True
    )
    if namespace is not None:
        velero = Velero(
            namespace=namespace,
            schedule_name=r.req(
                Key.VELERO_SCHEDULE_NAME, re.compile(r"[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?"), "a Velero Schedule name"
            ),
            bucket=r.get(Key.VELERO_BUCKET, _BUCKET, "an S3 bucket name", optional=True),
        )
    failover = _failover(r)
    gateway_url = r.get(Key.GATEWAY_URL, _URL, "an https:// URL", optional=True)
    environment = data.get(Key.ENVIRONMENT)
    if environment is not None and environment not in ("dev", "stage", "prod"):
        raise r.fail(Key.ENVIRONMENT, "dev, stage or prod", environment)
    templates = data.get(Key.CHAOS_EXPERIMENT_TEMPLATE_IDS) or {}
    if not isinstance(templates, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and _FIS_TEMPLATE_ID.fullmatch(v) for k, v in templates.items()
    ):
        raise r.fail(Key.CHAOS_EXPERIMENT_TEMPLATE_IDS, "an object {fault name: FIS experiment template id}", templates)
    retention = data.get(Key.DB_BACKUP_RETENTION_DAYS)
    # PromoteReadReplica BackupRetentionPeriod: 0-35 (botocore rds model); 0 turns backups off on the new writer.
    if retention is not None and (
        isinstance(retention, bool) or not isinstance(retention, int) or not 1 <= retention <= 35
    ):
        raise r.fail(Key.DB_BACKUP_RETENTION_DAYS, "a whole number of days from 1 to 35", retention)
    return StackOutputs(
        source=source,
        environment=environment,
        primary=primary,
        replica=replica,
        endpoint_parameter_name=r.req(Key.DB_ENDPOINT_PARAMETER_NAME, _SSM_NAME, "an SSM parameter name"),
        replica_lag_alarm_name=r.req(
            Key.DB_REPLICA_LAG_ALARM_NAME, re.compile(r"[^\x00-\x1f]{1,255}"), "a CloudWatch alarm name"
        ),
        secret_arn=r.get(Key.DB_SECRET_ARN, _SECRET_ARN, "a Secrets Manager secret ARN", optional=True),
        kms_key_arn=r.get(Key.DB_KMS_KEY_ARN, _KMS_ARN, "a KMS key ARN", optional=True),
        replica_kms_key_arn=r.get(Key.DB_REPLICA_KMS_KEY_ARN, _KMS_ARN, "a KMS key ARN", optional=True),
        buckets=_buckets(r),
        gateway_url=gateway_url,
        failover=failover,
        velero=velero,
        region_switch_plan_arn=r.get(
            Key.REGION_SWITCH_PLAN_ARN,
            PLAN_ARN,
            "an ARC Region switch plan ARN (arn:aws:arc-region-switch::ACCOUNT:plan/NAME:ID)",
            optional=True,
        ),
        backup_retention_days=retention,
        fis_templates=dict(templates),
    )


def load(path: str | Path) -> StackOutputs:
    """Read and validate an outputs file; `-` reads standard input."""
    source = str(path)
    return parse(_decode(source, _read(source)), source)


def _read(source: str) -> bytes:
    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_BYTES + 1)
        else:
            with Path(source).open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
    except OSError as err:
        raise OutputsError(
            f"{source}: cannot read stack outputs ({err.strerror or err}) — write them with `{EXPORT} > FILE` "
            "and pass that FILE"
        ) from err
    if len(data) > MAX_BYTES:
        raise OutputsError(
            f"{source}: larger than {MAX_BYTES // 1024 // 1024} MiB, not a stack outputs document — "
            f"write it with `{EXPORT}`"
        )
    return data


def _decode(source: str, data: bytes) -> Any:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise OutputsError(
            f"{source}: UTF-16 text, not UTF-8 (PowerShell's `>` writes UTF-16) — write it with "
            f"`{EXPORT} | Out-File -Encoding utf8 FILE`"
        )
    try:
        text = data.decode("utf-8-sig")  # RFC 8259 §8.1: a parser may ignore a UTF-8 byte order mark
    except UnicodeDecodeError as err:
        raise OutputsError(
            f"{source}: not UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start}) — write it with `{EXPORT}`"
        ) from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except json.JSONDecodeError as err:
        raise OutputsError(f"{source}: not JSON (line {err.lineno}: {err.msg}) — write it with `{EXPORT}`") from None
    except _DuplicateKey as err:
        raise OutputsError(
            f"{source}: key {json.dumps(err.key)} appears twice in one object — which one is meant is unclear: "
            f"write the file again with `{EXPORT}`"
        ) from None
    except _Constant as err:
        raise OutputsError(f"{source}: {err.token} is not a JSON value — write it with `{EXPORT}`") from None
    except RecursionError:
        raise OutputsError(f"{source}: JSON nested too deeply to be stack outputs — write it with `{EXPORT}`") from None


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


class _Constant(Exception):
    def __init__(self, token: str) -> None:
        self.token = token


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def _no_constants(token: str) -> Any:
    raise _Constant(token)  # NaN, Infinity, -Infinity: Python's json accepts them, JSON (RFC 8259) does not
