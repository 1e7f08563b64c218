"""The restore-validation Lambda (lambdas/restore_validation): against a real PostgreSQL server with TLS and SCRAM
passwords (the lab's binaries), RDS and Secrets Manager in moto, and the Backup calls moto lacks (DescribeRestoreJob,
PutRestoreValidationResult) stubbed with botocore's Stubber. Also its deployment package: pinned wheels, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from lambdas.restore_validation import handler, package
from lambdas.restore_validation.handler import Aws, Config, metric_line, validate

DR, PRIMARY = "us-west-2", "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
PLAN_ARN = f"arn:aws:backup:{DR}:{ACCOUNT}:restore-testing-plan:summit_prod_db_restore_test-1a2b"
RESTORED = "awsbackup-restore-test-5f6e7d"
JOB = "4e3b1a9c-0000-4d1e-9b7a-2f1c0d9e8a7b"
USER = "summit_admin"


# --- a real PostgreSQL server: TLS only, SCRAM passwords ---------------------------------------------------------


@dataclass(frozen=True)
class Server:
    port: int
    password: str
    ca_url: str  # file:// URL of the CA that signed the server certificate
    other_ca_url: str  # a CA that did not


def _certificates(directory: Path) -> tuple[bytes, bytes, bytes, bytes]:
    """(CA pem, server cert pem, server key pem, unrelated CA pem): a server certificate for localhost/127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def ca(name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cert, key

    ca_cert, ca_key = ca("restore-validation test CA")
    other_cert, _ = ca("some other CA")
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ca_cert.public_bytes(pem), server_cert.public_bytes(pem), key_pem, other_cert.public_bytes(pem)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    from ops.lab import PG_BIN, Cluster, free_port

    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL server binaries not found under {PG_BIN} (apt-get install postgresql, or OPS_PG_BIN)")
    as_user = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="restore-validation-"))
    password = secrets.token_urlsafe(18)
    ca_pem, cert_pem, key_pem, other_pem = _certificates(root)
    (root / "pw").write_text(password)
    (root / "ca.pem").write_bytes(ca_pem)
    (root / "other-ca.pem").write_bytes(other_pem)
    cluster = Cluster(root, "db", free_port(), as_user)

    def own(path: Path, mode: int) -> None:
        path.chmod(mode)
        if as_user:
            user = pwd.getpwnam(as_user)
            os.chown(path, user.pw_uid, user.pw_gid)

    own(root, 0o755)
    own(root / "pw", 0o600)
    try:
        cluster.cmd("initdb", "-D", str(cluster.data), "-U", USER, "--pwfile", str(root / "pw"),
                    "-A", "scram-sha-256", "-E", "UTF8", "--no-sync")  # fmt: skip
        (cluster.data / "server.crt").write_bytes(cert_pem)
        (cluster.data / "server.key").write_bytes(key_pem)
        own(cluster.data / "server.crt", 0o644)
        own(cluster.data / "server.key", 0o600)
        # TLS only, passwords only: what rds.force_ssl and a restored RDS instance give the validator.
        (cluster.data / "pg_hba.conf").write_text(
            "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
        )
        cluster.configure({"ssl": "on", "ssl_cert_file": "'server.crt'", "ssl_key_file": "'server.key'"})
        cluster.start()
        import psycopg

        admin = dict(host="127.0.0.1", port=cluster.port, user=USER, password=password, sslmode="require")
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute("CREATE DATABASE summit")
        with psycopg.connect(dbname="summit", autocommit=True, **admin) as conn:
            conn.execute("CREATE TABLE wallets (id bigint PRIMARY KEY, balance numeric NOT NULL)")
            conn.execute("CREATE TABLE ledger (id bigint PRIMARY KEY, wallet bigint REFERENCES wallets)")
        yield Server(cluster.port, password, (root / "ca.pem").as_uri(), (root / "other-ca.pem").as_uri())
    finally:
        cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


# --- AWS: moto for RDS and Secrets Manager, a stubbed Backup client ------------------------------------------------


@pytest.fixture
def aws_env(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": DR}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def _secret(*passwords: str) -> str:
    """The database secret in the primary region; each later password is a rotation (the first ends AWSPREVIOUS)."""
    client = boto3.client("secretsmanager", region_name=PRIMARY)
    arn = client.create_secret(
        Name=f"rds!db-{secrets.token_hex(4)}", SecretString=json.dumps({"username": USER, "password": passwords[0]})
    )["ARN"]
    for password in passwords[1:]:
        client.put_secret_value(SecretId=arn, SecretString=json.dumps({"username": USER, "password": password}))
    return arn


def _restored_instance() -> str:
    """The instance restore testing created (moto); its address is what the validator must connect to."""
    rds = boto3.client("rds", region_name=DR)
    rds.create_db_instance(DBInstanceIdentifier=RESTORED, Engine="postgres", DBInstanceClass="db.r6g.large",
                           MasterUsername=USER, MasterUserPassword=secrets.token_urlsafe(12),  # moto wants one
                           AllocatedStorage=200, DBName="summit")  # fmt: skip
    return rds.describe_db_instances(DBInstanceIdentifier=RESTORED)["DBInstances"][0]["Endpoint"]["Address"]


def _backup(job: dict, *reports: tuple[str, object]) -> tuple[object, Stubber]:
    """A Backup client answering DescribeRestoreJob with `job` and expecting these PutRestoreValidationResult calls."""
    client = boto3.client("backup", region_name=DR)
    stub = Stubber(client)
    stub.add_response("describe_restore_job", {"RestoreJobId": JOB, **job}, {"RestoreJobId": JOB})
    for status, message in reports:
        stub.add_response(
            "put_restore_validation_result",
            {},
            {"RestoreJobId": JOB, "ValidationStatus": status, "ValidationStatusMessage": message},
        )
    stub.activate()
    return client, stub


def _job(status: str = "COMPLETED", plan: str = PLAN_ARN, **extra: object) -> dict:
    return {"Status": status, "CreatedBy": {"RestoreTestingPlanArn": plan}, "ResourceType": "RDS",
            "CreatedResourceArn": f"arn:aws:rds:{DR}:{ACCOUNT}:db:{RESTORED}", **extra}  # fmt: skip


def _config(secret_arn: str, ca_url: str, **kw: object) -> Config:
    return Config(plan_arn=PLAN_ARN, plan_name="summit_prod_db_restore_test", secret_arn=secret_arn, region=DR,
                  ca_bundle_url=ca_url, connect_timeout_seconds=5, instance_wait_seconds=15, **kw)  # fmt: skip


def _aws(backup: object) -> Aws:
    return Aws(backup=backup, rds=boto3.client("rds", region_name=DR),
               secrets=lambda region: boto3.client("secretsmanager", region_name=region))  # fmt: skip


def _to(server: Server, expected_host: str):
    """The production connect, sent to the local server: the endpoint RDS reported is checked, then swapped for
    localhost (the name the test certificate carries) and the server's port."""
    seen: list[str] = []

    def connect(*, host: str, port: int, **kw: object) -> list:
        assert (host, port) == (expected_host, 5432)
        seen.append(host)
        return handler.connect_and_query(host="localhost", port=server.port, **kw)  # type: ignore[arg-type]

    return connect, seen


# --- the validation ---------------------------------------------------------------------------------------------------


def test_a_restored_database_is_queried_over_verified_tls_and_reported_successful(server, aws_env):
    secret, address = _secret(server.password), _restored_instance()
    backup, stub = _backup(_job(), ("VALIDATING", f"smoke query on {RESTORED}"), ("SUCCESSFUL", ANY))
    connect, seen = _to(server, address)

    outcome = validate(JOB, config=_config(secret, server.ca_url), aws=_aws(backup), connect=connect)

    stub.assert_no_pending_responses()
    assert seen == [address]
    assert outcome.status == "SUCCESSFUL"
    assert outcome.details == {"database": "summit", "serverVersion": outcome.details["serverVersion"],
                               "userTables": 2, "credentials": "AWSCURRENT"}  # fmt: skip
    assert (
        outcome.message.startswith(f"summit on {RESTORED}: PostgreSQL ") and "2 user tables readable" in outcome.message
    )


def test_the_previous_secret_version_opens_a_snapshot_taken_before_rds_rotated_the_password(server, aws_env):
    secret = _secret(server.password, secrets.token_urlsafe(18))  # rotated after the snapshot
    backup, stub = _backup(_job(), ("VALIDATING", ANY), ("SUCCESSFUL", ANY))
    connect, _ = _to(server, _restored_instance())

    outcome = validate(JOB, config=_config(secret, server.ca_url), aws=_aws(backup), connect=connect)

    stub.assert_no_pending_responses()
    assert (outcome.status, outcome.details["credentials"]) == ("SUCCESSFUL", "AWSPREVIOUS")


def test_credentials_the_restored_instance_refuses_fail_the_validation(server, aws_env):
    secret = _secret(secrets.token_urlsafe(18), secrets.token_urlsafe(18))
    message = "the restored instance refused the secret's credentials (AWSCURRENT, AWSPREVIOUS)"
    backup, stub = _backup(_job(), ("VALIDATING", ANY), ("FAILED", message))
    connect, _ = _to(server, _restored_instance())

    outcome = validate(JOB, config=_config(secret, server.ca_url), aws=_aws(backup), connect=connect)

    stub.assert_no_pending_responses()
    assert (outcome.status, outcome.message) == ("FAILED", message)
    assert server.password not in json.dumps(outcome.to_json())


def test_a_server_certificate_not_issued_by_the_rds_bundle_fails_the_validation(server, aws_env):
    secret = _secret(server.password)
    backup, stub = _backup(_job(), ("VALIDATING", ANY), ("FAILED", ANY))
    connect, _ = _to(server, _restored_instance())

    outcome = validate(JOB, config=_config(secret, server.other_ca_url), aws=_aws(backup), connect=connect)

    stub.assert_no_pending_responses()
    assert outcome.status == "FAILED" and "certificate verify failed" in outcome.message


def test_a_restore_job_another_plan_or_a_person_started_is_left_alone(aws_env):
    backup, stub = _backup(_job(plan="arn:aws:backup:us-west-2:123456789012:restore-testing-plan:other-1"))

    outcome = validate(JOB, config=_config("arn:aws:secretsmanager:us-east-1:1:secret:x", "file:///nowhere"),
                       aws=_aws(backup))  # fmt: skip

    stub.assert_no_pending_responses()  # and no PutRestoreValidationResult: none was expected
    assert outcome.status == "SKIPPED" and outcome.failed is None


def test_a_failed_restore_is_counted_as_a_failed_test_without_a_validation_report(aws_env):
    backup, stub = _backup(_job("FAILED", StatusMessage="DB subnet group not found"))
    config = _config("arn:aws:secretsmanager:us-east-1:1:secret:x", "file:///nowhere")

    outcome = validate(JOB, config=config, aws=_aws(backup))

    stub.assert_no_pending_responses()
    assert (outcome.status, outcome.message) == ("RESTORE_FAILED", "restore job FAILED: DB subnet group not found")
    assert json.loads(metric_line(config, outcome, 1_700_000_000_000))["RestoreTestFailed"] == 1


def test_a_restored_instance_that_never_becomes_available_is_reported_timed_out(server, aws_env):
    secret = _secret(server.password)  # no instance created: RDS does not know it
    backup, stub = _backup(_job(), ("VALIDATING", ANY), ("TIMED_OUT", ANY))

    outcome = validate(JOB, config=_config(secret, server.ca_url), aws=_aws(backup))

    stub.assert_no_pending_responses()
    assert outcome.status == "TIMED_OUT" and f"{RESTORED} was not available within 15 s" in outcome.message


def test_every_verdict_is_an_embedded_metric_format_record_for_the_alarm():
    config = _config("arn:aws:secretsmanager:us-east-1:1:secret:x", "file:///nowhere")
    ok = json.loads(metric_line(config, handler.Outcome(JOB, "SUCCESSFUL", "fine"), 1_700_000_000_000))
    assert ok["_aws"] == {
        "Timestamp": 1_700_000_000_000,
        "CloudWatchMetrics": [{"Namespace": "Summit/RestoreTesting", "Dimensions": [["RestoreTestingPlan"]],
                               "Metrics": [{"Name": "RestoreTestFailed", "Unit": "Count"}]}],
    }  # fmt: skip
    assert (ok["RestoreTestingPlan"], ok["RestoreTestFailed"], ok["restoreJobId"]) == (config.plan_name, 0, JOB)
    assert metric_line(config, handler.Outcome(JOB, "SKIPPED", "not ours"), 0) is None


def test_configuration_comes_from_the_environment_with_the_regions_rds_ca_bundle():
    config = Config.from_env(
        {
            "AWS_REGION": DR,
            "RESTORE_TESTING_PLAN_ARN": PLAN_ARN,
            "RESTORE_TESTING_PLAN_NAME": "p",
            "SECRET_ARN": "arn:s",
            "DB_NAME": "summit",
        }
    )
    assert config.ca_bundle_url == f"https://truststore.pki.rds.amazonaws.com/{DR}/{DR}-bundle.pem"
    assert (config.region, config.default_database, config.plan_arn) == (DR, "summit", PLAN_ARN)


# --- the deployment package -------------------------------------------------------------------------------------------


def test_the_package_holds_the_handler_and_exactly_the_pinned_wheels_files():
    files = package.files()
    assert files["restore_validation/handler.py"] == Path(handler.__file__).resolve()
    assert "restore_validation/package.py" not in files  # the build tooling is not shipped
    assert {p.split("/")[0] for p in files if p.endswith(".dist-info/METADATA")} == {
        "pg8000-1.31.6.dist-info", "scramp-1.5.0.dist-info", "asn1crypto-1.5.1.dist-info",
        "python_dateutil-2.9.0.post0.dist-info", "six-1.17.0.dist-info",
    }  # fmt: skip
    assert not [p for p in files if "__pycache__" in p or p.endswith((".pyc", "/RECORD", "/INSTALLER"))]


def test_two_builds_of_the_zip_are_byte_identical(tmp_path):
    assert package.write_zip(tmp_path / "a.zip") == package.write_zip(tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_the_zipped_handler_imports_its_driver_from_the_zip(tmp_path):
    archive = tmp_path / "restore-validation.zip"
    package.write_zip(archive)
    probe = "import pg8000, restore_validation.handler as h; print(pg8000.__file__); print(h.SMOKE_QUERY.split()[0])"
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(archive)!r}); {probe}"],
                         capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    assert out == [f"{archive}/pg8000/__init__.py", "SELECT"]
    with zipfile.ZipFile(archive) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_an_installed_version_other_than_the_pin_is_refused(tmp_path, monkeypatch):
    pins = tmp_path / "requirements.txt"
    pins.write_text("pg8000==1.30.0\n")
    monkeypatch.setattr(package, "REQUIREMENTS", pins)
    with pytest.raises(package.PackagingError, match=r"pg8000 1\.31\.6 is installed but the Lambda pins 1\.30\.0"):
        package.files()


def test_a_file_that_differs_from_its_wheel_record_is_refused(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "tampered").mkdir(parents=True)
    (site / "tampered" / "__init__.py").write_text("print('not what the wheel shipped')\n")
    info = site / "tampered-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tampered\nVersion: 1.0\n")
    (info / "RECORD").write_text(
        "tampered/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n"
        "tampered-1.0.dist-info/METADATA,,\ntampered-1.0.dist-info/RECORD,,\n"
    )
    pins = tmp_path / "requirements.txt"
    pins.write_text("tampered==1.0\n")
    monkeypatch.setattr(package, "REQUIREMENTS", pins)
    monkeypatch.syspath_prepend(str(site))
    import importlib

    importlib.invalidate_caches()
    with pytest.raises(
        package.PackagingError, match=r"tampered: tampered/__init__\.py differs from the tampered==1\.0"
    ):
        package.files()
