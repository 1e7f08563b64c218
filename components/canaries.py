"""GatewayCanaries: seed 000's synthetic checks run by CloudWatch Synthetics from one AWS region, with alarms there.

Instantiated once per region (primary and DR) with that region's provider: the in-cluster blackbox exporter dies
with the primary region's cluster, these do not. Each probe target (components/synthetics.py `gateway_targets`) is
one canary running canaries/gateway_probe (packaged by Pulumi into the region's artifacts bucket), configured from
the blackbox module of the same name in monitoring/blackbox.yml, so both probe paths check exactly the same thing.
Each canary has a SuccessPercent alarm in its own region whose severity is its role's (components/alerting.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

import monitoring
from components.alerting import AlarmTopics, severity_tags
from components.iam import service_trust
from components.storage import private_bucket_baseline
from components.synthetics import ProbeTargetArgs, gateway_targets
from settings.synthetics import CANARY_CHECK_NAMES, MAX_CANARY_NAME

if TYPE_CHECKING:
    from settings import StackSettings

SCRIPT = Path(__file__).resolve().parent.parent / "canaries" / "gateway_probe" / "gateway_probe.py"
# Python canaries are zipped under python/ and named <file>.<function> (Synthetics CreateCanary Code.Handler;
# CloudWatch user guide, "Packaging your Python canary files").
HANDLER = "gateway_probe.handler"
CODE_KEY = "code/gateway_probe.zip"
ARTIFACT_PREFIX = "runs/"
# The newest Python runtime in the CloudWatch user guide ("Runtime versions using Python and Selenium Webdriver",
# docs.aws.amazon.com, 2026: syn-python-selenium-14.0, Python 3.12; older majors down to 6.0 still supported,
# 5.1 and older deprecated 2026-02-03 per "Runtime versions support policy"). RuntimeVersion is a free string in the
# synthetics model (no enum): check `aws synthetics describe-runtime-versions` when bumping it.
RUNTIME_VERSION = "syn-python-selenium-14.0"
# MemoryInMB: 960–3008, a multiple of 64 (botocore synthetics MaxSize3008); the probe makes one HTTP request.
MEMORY_MB = 960
# TimeoutInSeconds: 3–840 and not longer than the run interval (CanaryRunConfigInput). The probe itself gives up
# after 10 s (the blackbox modules' timeout); the rest is the runtime's start-up.
TIMEOUT_SECONDS = 60
# Two failed runs in a row alarm: a single lost run (a deploy, a cold start) does not page.
ALARM_DATAPOINTS = 2
SUCCESS_PERCENT_THRESHOLD = 90
ABORT_MULTIPART_DAYS = 7


def canary_name(prefix: str, target: ProbeTargetArgs) -> str:
    """<service>-<env>-<check>: "summit-prod-graphql"; the check is the last word of the target's name."""
    return f"{prefix}-{CANARY_CHECK_NAMES.get(target.name, target.name)}"


def schedule_expression(interval_minutes: int) -> str:
    """rate(N minutes), N 1–60 (CanaryScheduleInput.Expression: "between rate(1 minute) and rate(1 hour)")."""
    if not 1 <= interval_minutes <= 60:
        raise ValueError(f"canary interval must be 1–60 minutes, got {interval_minutes}")
    return "rate(1 minute)" if interval_minutes == 1 else f"rate({interval_minutes} minutes)"


def probe_environment(target: ProbeTargetArgs) -> dict[str, str]:
    """The canary's environment for a target, from its blackbox module (method, JSON body, body regexp)."""
    module = monitoring.blackbox_modules()[target.module]
    http: dict[str, Any] = module.get("http") or {}
    expect = http.get("fail_if_body_not_matches_regexp") or []
    if len(expect) > 1:
        raise ValueError(f"blackbox module {target.module}: the canary checks one body regexp, got {len(expect)}")
    env = {"PROBE_URL": target.url, "PROBE_METHOD": str(http.get("method", "GET"))}
    if http.get("body"):
        env["PROBE_BODY"] = str(http["body"])
    if expect:
        env["PROBE_EXPECT"] = str(expect[0])
    return env


@dataclass(frozen=True)
class GatewayCanariesArgs:
    """What the caller decides for one region's canaries."""

    name_prefix: str  # "<service>-<env>": canary names
    region: str  # the provider's region (ARNs in the execution role's policy)
    account_id: str
    targets: tuple[ProbeTargetArgs, ...]
    interval_minutes: int  # canaryIntervalMinutes
    artifact_bucket_name: str  # no "." (ArtifactS3Location)
    artifact_retention_days: int  # run artifacts and Synthetics' run records expire after this many days
    alarm_topics: AlarmTopics  # this region's topics: alarms notify only topics of their own region
    production_like: bool = False  # protect the bucket

    @classmethod
    def from_settings(cls, config: StackSettings, region: str, alarm_topics: AlarmTopics) -> GatewayCanariesArgs:
        """One region's canaries on the public gateway URL (the same targets as the in-cluster probes)."""
        core, synthetics = config.core, config.synthetics
        return cls(
            name_prefix=core.name_prefix,
            region=region,
            account_id=core.aws_account_id,
            targets=gateway_targets(config.edge.public_fqdn("gateway", core.domain), synthetics.probe_wallet_enabled),
            interval_minutes=synthetics.canary_interval_minutes,
            artifact_bucket_name=core.bucket_name("canary-artifacts", region),
            artifact_retention_days=synthetics.canary_artifact_retention_days,
            alarm_topics=alarm_topics,
            production_like=core.is_production_like,
        )


class GatewayCanaries(pulumi.ComponentResource):
    """One region's artifacts bucket, canary code object, execution role, canaries and SuccessPercent alarms."""

    bucket: aws.s3.Bucket
    role: aws.iam.Role
    canaries: dict[str, aws.synthetics.Canary]  # target name -> canary
    alarms: dict[str, aws.cloudwatch.MetricAlarm]  # target name -> its SuccessPercent alarm

    def __init__(
        self,
        name: str,
        args: GatewayCanariesArgs,
        *,
        provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("summit:canaries:GatewayCanaries", name, None, opts)
        if "." in args.artifact_bucket_name:
            raise ValueError(f"canary artifact bucket {args.artifact_bucket_name!r}: Synthetics refuses a '.'")
        names = {t.name: canary_name(args.name_prefix, t) for t in args.targets}
        for n in names.values():
            if len(n) > MAX_CANARY_NAME:
                raise ValueError(f"canary name {n!r} is longer than {MAX_CANARY_NAME} characters")
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        schedule = schedule_expression(args.interval_minutes)

        self.bucket = self._artifacts_bucket(name, args, child)
        code = aws.s3.BucketObjectv2(
            f"{name}-code",
            bucket=self.bucket.id,
            key=CODE_KEY,
            source=pulumi.AssetArchive({"python/gateway_probe.py": pulumi.FileAsset(str(SCRIPT))}),
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            description=f"CloudWatch Synthetics canaries {', '.join(sorted(names.values()))} in {args.region}",
            # Canaries run as Lambda functions (Synthetics CreateCanary ExecutionRoleArn: lambda.amazonaws.com).
            assume_role_policy=service_trust(
                "lambda.amazonaws.com", {"StringEquals": {"aws:SourceAccount": args.account_id}}
            ),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=self.role.name,
            policy=self.bucket.arn.apply(lambda arn: execution_policy(arn, args.region, args.account_id)),
            opts=child,
        )
        self.canaries, self.alarms = {}, {}
        for target in args.targets:
            canary = names[target.name]
            self.canaries[target.name] = aws.synthetics.Canary(
                f"{name}-{target.name}",
                name=canary,
                runtime_version=RUNTIME_VERSION,
                handler=HANDLER,
                s3_bucket=self.bucket.bucket,
                s3_key=code.key,
                s3_version=code.version_id,  # a new script version updates the canary
                execution_role_arn=self.role.arn,
                artifact_s3_location=pulumi.Output.concat("s3://", self.bucket.bucket, "/", ARTIFACT_PREFIX),
                artifact_config=aws.synthetics.CanaryArtifactConfigArgs(
                    s3_encryption=aws.synthetics.CanaryArtifactConfigS3EncryptionArgs(encryption_mode="SSE_S3")
                ),
                schedule=aws.synthetics.CanaryScheduleArgs(expression=schedule),
                run_config=aws.synthetics.CanaryRunConfigArgs(
                    timeout_in_seconds=min(TIMEOUT_SECONDS, args.interval_minutes * 60),
                    memory_in_mb=MEMORY_MB,
                    active_tracing=False,
                    environment_variables=probe_environment(target),
                ),
                # Run records kept as long as the artifacts (1–455 days: Synthetics *RetentionPeriodInDays).
                success_retention_period=args.artifact_retention_days,
                failure_retention_period=args.artifact_retention_days,
                start_canary=True,
                delete_lambda=True,  # removing a canary removes its Lambda function and layer too
                tags={"probe-target": target.name, "probe-url": target.url},
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[policy])),
            )
            role = f"canary-{target.name}"
            self.alarms[target.name] = aws.cloudwatch.MetricAlarm(
                f"{name}-{target.name}-failing",
                name=f"{canary}-failing",
                alarm_description=(
                    f"Canary {canary} in {args.region}: {target.url} failed {ALARM_DATAPOINTS} runs in a row "
                    f"(checked from {args.region}, outside the cluster)"
                ),
                namespace="CloudWatchSynthetics",
                metric_name="SuccessPercent",
                dimensions={"CanaryName": canary},
                statistic="Average",
                period=args.interval_minutes * 60,
                evaluation_periods=ALARM_DATAPOINTS,
                datapoints_to_alarm=ALARM_DATAPOINTS,
                comparison_operator="LessThanThreshold",
                threshold=SUCCESS_PERCENT_THRESHOLD,
                # No runs means no detection from this region: that alarms too.
                treat_missing_data="breaching",
                alarm_actions=args.alarm_topics.actions(role),
                ok_actions=args.alarm_topics.actions(role),
                tags=severity_tags(role),
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(depends_on=[self.canaries[target.name]])
                ),
            )
        self.register_outputs(
            {
                "bucket": self.bucket.bucket,
                "canaryNames": {t: c.name for t, c in self.canaries.items()},
                "alarmArns": {t: a.arn for t, a in self.alarms.items()},
            }
        )

    @staticmethod
    def _artifacts_bucket(name: str, args: GatewayCanariesArgs, child: pulumi.ResourceOptions) -> aws.s3.Bucket:
        """Versioned (policy s3-versioning), SSE-S3, private, TLS-only, run artifacts expiring with their records."""
        bucket = aws.s3.Bucket(
            f"{name}-artifacts",
            bucket=args.artifact_bucket_name,
            tags={"data-class": "canary-artifacts", "purpose": "canary-artifacts"},
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=args.production_like)),
        )
        versioning = private_bucket_baseline(
            f"{name}-artifacts", bucket, child, policy_name=f"{name}-artifacts-policy"
        ).versioning
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-artifacts-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="run-artifacts-expiry",
                    status="Enabled",
                    # Only run artifacts expire: the code object under code/ stays (its version is the canary's).
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=ARTIFACT_PREFIX),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.artifact_retention_days),
                ),
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="noncurrent-expiry",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.artifact_retention_days
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABORT_MULTIPART_DAYS
                    ),
                ),
            ],
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[versioning])),
        )
        return bucket


def execution_policy(bucket_arn: str, region: str, account_id: str) -> str:
    """The permissions Synthetics CreateCanary lists for ExecutionRoleArn, each scoped as far as IAM allows."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "RunArtifacts",
                    "Effect": "Allow",
                    "Action": "s3:PutObject",
                    "Resource": f"{bucket_arn}/{ARTIFACT_PREFIX}*",
                },
                {
                    "Sid": "ArtifactBucketLocation",
                    "Effect": "Allow",
                    "Action": "s3:GetBucketLocation",
                    "Resource": bucket_arn,
                },
                # ListAllMyBuckets has no resource-level permissions (Service Authorization Reference, Amazon S3).
                {"Sid": "ListBuckets", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
                {
                    # PutMetricData has no resources; the namespace condition keeps it to Synthetics' own metrics.
                    "Sid": "SyntheticsMetrics",
                    "Effect": "Allow",
                    "Action": "cloudwatch:PutMetricData",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"cloudwatch:namespace": "CloudWatchSynthetics"}},
                },
                {
                    # The canary's Lambda function is named cwsyn-<canary>-<id>; its logs go to /aws/lambda/<that>.
                    "Sid": "CanaryLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"arn:aws:logs:{region}:{account_id}:log-group:/aws/lambda/cwsyn-*",
                },
            ],
        },
        sort_keys=True,
    )
