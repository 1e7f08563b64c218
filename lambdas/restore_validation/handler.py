"""Validate an AWS Backup restore test of the database and report the verdict to AWS Backup.

EventBridge invokes this function (DR region) for every "Restore Job State Change" of an RDS restore job. For a job
the stack's restore testing plan started:
- COMPLETED: mark it VALIDATING, wait until the restored instance is available, connect over TLS (the RDS CA bundle
  of the region, hostname checked) with the database credentials from Secrets Manager, run SMOKE_QUERY, and report
  SUCCESSFUL or FAILED with PutRestoreValidationResult (TIMED_OUT when the instance never became available). AWS
  Backup deletes the restored instance as soon as a verdict arrives, or when the validation window ends.
- FAILED / ABORTED: nothing to validate; the failure is counted.
Every verdict is also a CloudWatch metric (Embedded Metric Format line on stdout): RestoreTestFailed = 1 for a
failed restore or validation, 0 for a successful one, per restore testing plan; an alarm watches it.

Credentials: the secret holds JSON with `username` and `password` (RDS-managed master secret, or the stack's own).
The restored instance carries the password of the snapshot's day; when RDS has rotated the secret since, the
previous version (AWSPREVIOUS) still matches, so it is tried after AWSCURRENT. Passwords are never logged.

The driver is pg8000 (pure Python; Lambda has no libpq), shipped in the deployment package (package.py).
"""

from __future__ import annotations

import json
import os
import ssl
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SMOKE_QUERY = """
SELECT current_database(),
       pg_is_in_recovery(),
       current_setting('server_version'),
       (SELECT count(*)
          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
           AND n.nspname NOT LIKE 'pg_toast%')
"""
METRIC = "RestoreTestFailed"
# SQLSTATE class 28: invalid authorization specification (28000) and invalid password (28P01).
AUTH_FAILED = "28"
SECRET_STAGES = ("AWSCURRENT", "AWSPREVIOUS")


@dataclass(frozen=True)
class Config:
    plan_arn: str  # only jobs this restore testing plan started are validated
    plan_name: str  # the metric's dimension
    secret_arn: str
    region: str  # where the function, the plan and the restored instance are
    default_database: str = "postgres"
    metric_namespace: str = "Summit/RestoreTesting"
    ca_bundle_url: str = ""
    connect_timeout_seconds: float = 10.0
    instance_wait_seconds: float = 180.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        region = env["AWS_REGION"]
        return cls(
            plan_arn=env["RESTORE_TESTING_PLAN_ARN"],
            plan_name=env["RESTORE_TESTING_PLAN_NAME"],
            secret_arn=env["SECRET_ARN"],
            region=region,
            default_database=env.get("DB_NAME", "postgres"),
            metric_namespace=env.get("METRIC_NAMESPACE", "Summit/RestoreTesting"),
            # The per-region bundle RDS publishes (Using SSL/TLS to encrypt a connection to a DB instance).
            ca_bundle_url=env.get("RDS_CA_BUNDLE_URL")
            or f"https://truststore.pki.rds.amazonaws.com/{region}/{region}-bundle.pem",
            connect_timeout_seconds=float(env.get("CONNECT_TIMEOUT_SECONDS", "10")),
            instance_wait_seconds=float(env.get("INSTANCE_WAIT_SECONDS", "180")),
        )


@dataclass
class Aws:
    """The clients the validation needs; tests pass moto-backed and stubbed ones."""

    backup: Any
    rds: Any
    secrets: Callable[[str], Any]  # region -> Secrets Manager client (the secret may live in another region)

    @classmethod
    def from_boto3(cls, region: str) -> Aws:
        import boto3

        return cls(
            backup=boto3.client("backup", region_name=region),
            rds=boto3.client("rds", region_name=region),
            secrets=lambda r: boto3.client("secretsmanager", region_name=r),
        )


@dataclass
class Outcome:
    """What happened to one restore job. `status` is the reported ValidationStatus, or SKIPPED/RESTORE_FAILED."""

    restore_job_id: str
    status: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool | None:
        """True/False for a verdict on a restore test; None when the job was not ours to judge."""
        if self.status in ("SUCCESSFUL",):
            return False
        if self.status in ("FAILED", "TIMED_OUT", "RESTORE_FAILED"):
            return True
        return None

    def to_json(self) -> dict[str, Any]:
        return {"restoreJobId": self.restore_job_id, "status": self.status, "message": self.message, **self.details}


class ValidationFailed(Exception):
    """The restored database did not pass; the message is the reason reported to AWS Backup."""


class InstanceNotAvailable(Exception):
    pass


Connect = Callable[..., list[Any]]


def ssl_context(ca_bundle_url: str, timeout: float = 10.0) -> ssl.SSLContext:
    """Verify the server certificate against the RDS CA bundle and check the hostname (libpq's verify-full)."""
    with urllib.request.urlopen(ca_bundle_url, timeout=timeout) as response:  # the RDS trust store (https)
        bundle = response.read().decode("ascii")
    context = ssl.create_default_context(cadata=bundle)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def connect_and_query(
    *, host: str, port: int, user: str, password: str, database: str, context: ssl.SSLContext, timeout: float
) -> list[Any]:
    """Run SMOKE_QUERY on the restored instance over TLS; the one row it returns."""
    import pg8000.native

    conn = pg8000.native.Connection(
        user=user,
        password=password,
        host=host,
        port=port,
        database=database,
        ssl_context=context,
        timeout=timeout,
        application_name="summit-restore-validation",
    )
    try:
        rows = conn.run(SMOKE_QUERY)
    finally:
        conn.close()
    return list(rows[0])


def _sqlstate(err: BaseException) -> str:
    detail = err.args[0] if err.args else None
    return str(detail.get("C", "")) if isinstance(detail, dict) else ""


def _credentials(aws: Aws, secret_arn: str) -> list[tuple[str, str, str]]:
    """(stage, username, password) for each version the secret has, AWSCURRENT first."""
    client = aws.secrets(secret_arn.split(":")[3])
    found = []
    for stage in SECRET_STAGES:
        try:
            value = client.get_secret_value(SecretId=secret_arn, VersionStage=stage)
        except client.exceptions.ResourceNotFoundException:
            if stage == "AWSCURRENT":
                raise
            continue  # a secret never rotated has no AWSPREVIOUS
        doc = json.loads(value["SecretString"])
        found.append((stage, doc["username"], doc["password"]))
    return found


def _available_instance(aws: Aws, identifier: str, wait_seconds: float) -> dict[str, Any]:
    from botocore.exceptions import WaiterError

    delay = 15
    try:
        aws.rds.get_waiter("db_instance_available").wait(
            DBInstanceIdentifier=identifier,
            WaiterConfig={"Delay": delay, "MaxAttempts": max(1, int(wait_seconds // delay))},
        )
    except WaiterError as err:
        raise InstanceNotAvailable(f"{identifier} was not available within {wait_seconds:g} s: {err}") from None
    return aws.rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]  # type: ignore[no-any-return]


def _smoke(
    aws: Aws, config: Config, instance: dict[str, Any], connect: Connect, context: ssl.SSLContext
) -> dict[str, Any]:
    import pg8000.exceptions

    host, port = instance["Endpoint"]["Address"], int(instance["Endpoint"]["Port"])
    database = instance.get("DBName") or config.default_database
    refused = []
    for stage, user, password in _credentials(aws, config.secret_arn):
        try:
            row = connect(
                host=host,
                port=port,
                user=user,
                password=password,
                database=database,
                context=context,
                timeout=config.connect_timeout_seconds,
            )
        except pg8000.exceptions.DatabaseError as err:
            if not _sqlstate(err).startswith(AUTH_FAILED):
                raise
            refused.append(stage)
            continue
        name, in_recovery, version, tables = row
        if in_recovery:
            raise ValidationFailed(f"{name} on {instance['DBInstanceIdentifier']} is still in recovery")
        return {"database": name, "serverVersion": version, "userTables": int(tables), "credentials": stage}
    raise ValidationFailed(f"the restored instance refused the secret's credentials ({', '.join(refused)})")


def validate(job_id: str, *, config: Config, aws: Aws, connect: Connect = connect_and_query) -> Outcome:
    """Judge one restore job and report the verdict (see the module docstring)."""
    job = aws.backup.describe_restore_job(RestoreJobId=job_id)
    creator = (job.get("CreatedBy") or {}).get("RestoreTestingPlanArn")
    if creator != config.plan_arn:
        started_by = creator or "none"
        return Outcome(job_id, "SKIPPED", f"not started by {config.plan_arn} (restore testing plan: {started_by})")
    status = job.get("Status")
    if status in ("FAILED", "ABORTED"):
        return Outcome(job_id, "RESTORE_FAILED", f"restore job {status}: {job.get('StatusMessage', 'no message')}")
    if status != "COMPLETED":
        return Outcome(job_id, "SKIPPED", f"restore job is {status}; validated once COMPLETED")
    identifier = str(job.get("CreatedResourceArn", "")).rsplit(":db:", 1)[-1]
    aws.backup.put_restore_validation_result(
        RestoreJobId=job_id, ValidationStatus="VALIDATING", ValidationStatusMessage=f"smoke query on {identifier}"
    )
    try:
        instance = _available_instance(aws, identifier, config.instance_wait_seconds)
        context = ssl_context(config.ca_bundle_url, config.connect_timeout_seconds)
        details = _smoke(aws, config, instance, connect, context)
        outcome = Outcome(
            job_id,
            "SUCCESSFUL",
            f"{details['database']} on {identifier}: PostgreSQL {details['serverVersion']}, "
            f"{details['userTables']} user tables readable (credentials {details['credentials']})",
            details,
        )
    except InstanceNotAvailable as err:
        outcome = Outcome(job_id, "TIMED_OUT", str(err))
    except ValidationFailed as err:
        outcome = Outcome(job_id, "FAILED", str(err))
    except Exception as err:  # noqa: BLE001 (any other error is a failed validation, reported, not a silent retry)
        outcome = Outcome(job_id, "FAILED", f"{type(err).__name__}: {err}")
    aws.backup.put_restore_validation_result(
        RestoreJobId=job_id, ValidationStatus=outcome.status, ValidationStatusMessage=outcome.message[:1000]
    )
    return outcome


def metric_line(config: Config, outcome: Outcome, now_ms: int) -> str | None:
    """The Embedded Metric Format record CloudWatch turns into the RestoreTestFailed metric (None: no verdict)."""
    failed = outcome.failed
    if failed is None:
        return None
    return json.dumps(
        {
            "_aws": {
                "Timestamp": now_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": config.metric_namespace,
                        "Dimensions": [["RestoreTestingPlan"]],
                        "Metrics": [{"Name": METRIC, "Unit": "Count"}],
                    }
                ],
            },
            "RestoreTestingPlan": config.plan_name,
            METRIC: 1 if failed else 0,
            **outcome.to_json(),
        }
    )


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    config = Config.from_env(os.environ)
    outcome = validate(event["detail"]["restoreJobId"], config=config, aws=Aws.from_boto3(config.region))
    line = metric_line(config, outcome, int(time.time() * 1000))
    print(line or json.dumps(outcome.to_json()))
    return outcome.to_json()
