"""Mock answers that look like AWS's: ARNs of the right service, region and account; ids; endpoints.

Later code reads these outputs (an ARN handed to a policy, an endpoint exported for the drill), so they
follow AWS's real formats. A resource's region comes from its `region` input (pulumi_aws 7 per-resource
region), else its provider's `region`, else the default region. Add a type to `OUTPUTS` when a component
needs a computed output the generic rules do not produce; add an invoke to `INVOKES` likewise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


def _hex(seed: str, n: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def _uuid(seed: str) -> str:
    h = _hex(seed, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True)
class Ctx:
    """What an output builder knows about the resource being created."""

    type: str
    name: str  # logical name
    physical: str  # physical name / id
    region: str
    account: str
    inputs: Mapping[str, Any]

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"


def _physical_name(typ: str, name: str, inputs: Mapping[str, Any]) -> str:
    for key in ("name", "bucket", "identifier", "functionName", "roleName", "clusterName", "queueName"):
        value = inputs.get(key)
        if isinstance(value, str) and value:
            return value
    prefix = inputs.get("namePrefix") or inputs.get("bucketPrefix") or inputs.get("identifierPrefix")
    if isinstance(prefix, str):
        return f"{prefix}{_hex(name, 8)}"
    return f"{name}-{_hex(typ + name, 7)}"


OutputBuilder = Callable[[Ctx], dict[str, Any]]

# Role names AWS gives the service-linked roles the program creates.
SERVICE_LINKED_ROLES = {"reports.backup.amazonaws.com": "AWSServiceRoleForBackupReports"}

OUTPUTS: dict[str, OutputBuilder] = {
    "aws:sns/topic:Topic": lambda c: {"arn": c.arn("sns", c.physical), "name": c.physical},
    "aws:sns/topicSubscription:TopicSubscription": lambda c: {
        "arn": f"{c.inputs.get('topic', c.arn('sns', 'topic'))}:{_uuid(c.name)}"
    },
    # ChatConfigurationArn: arn:aws:(wheatley|chatbot):REGION?:ACCOUNT:... (botocore chatbot model). Chat
    # configurations are global (empty region): arn:aws:chatbot::ACCOUNT:chat-configuration/slack-channel/NAME
    "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": lambda c: {
        "chatConfigurationArn": c.arn(
            "chatbot", f"chat-configuration/slack-channel/{c.inputs.get('configurationName', c.physical)}", region=False
        ),
    },
    "aws:budgets/budget:Budget": lambda c: {
        "arn": c.arn("budgets", f"budget/{c.physical}", region=False),
        "accountId": c.account,
    },
    "aws:kms/key:Key": lambda c: {
        "arn": c.arn("kms", f"key/{_uuid(c.name)}"),
        "keyId": _uuid(c.name),
        "id": _uuid(c.name),
    },
    "aws:kms/alias:Alias": lambda c: {"arn": c.arn("kms", str(c.inputs.get("name", "alias/x")))},
    "aws:iam/role:Role": lambda c: {
        "arn": c.arn("iam", f"role/{c.physical}", region=False),
        "name": c.physical,
        "uniqueId": "AROA" + _hex(c.name, 17).upper(),
    },
    "aws:iam/policy:Policy": lambda c: {"arn": c.arn("iam", f"policy/{c.physical}", region=False), "name": c.physical},
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": lambda c: {
        "arn": c.arn(
            "iam",
            f"role/aws-service-role/{c.inputs.get('awsServiceName')}/"
            f"{SERVICE_LINKED_ROLES.get(str(c.inputs.get('awsServiceName')), 'AWSServiceRoleForPreflight')}",
            region=False,
        ),
        "name": SERVICE_LINKED_ROLES.get(str(c.inputs.get("awsServiceName")), "AWSServiceRoleForPreflight"),
    },
    "aws:iam/instanceProfile:InstanceProfile": lambda c: {
        "arn": c.arn("iam", f"instance-profile/{c.physical}", region=False),
        "name": c.physical,
    },
    "aws:s3/bucket:Bucket": lambda c: {
        "arn": f"arn:aws:s3:::{c.physical}",
        "bucket": c.physical,
        "bucketDomainName": f"{c.physical}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{c.physical}.s3.{c.region}.amazonaws.com",
        "region": c.region,
        "hostedZoneId": "Z3AQBSTGFYJSTF",
    },
    "aws:rds/instance:Instance": lambda c: {
        "arn": c.arn("rds", f"db:{c.physical}"),
        "identifier": c.physical,
        "address": f"{c.physical}.c{_hex(c.account, 10)}.{c.region}.rds.amazonaws.com",
        "endpoint": f"{c.physical}.c{_hex(c.account, 10)}.{c.region}.rds.amazonaws.com:5432",
        "port": 5432,
        "resourceId": "db-" + _hex(c.name, 26).upper(),
        "hostedZoneId": "Z2R2ITUGPM61AM",
        "masterUserSecrets": (
            [{"secretArn": c.arn("secretsmanager", f"secret:rds!db-{_uuid(c.name)}-abc123"), "secretStatus": "active"}]
            if c.inputs.get("manageMasterUserPassword")
            else []
        ),
    },
    "aws:rds/subnetGroup:SubnetGroup": lambda c: {"arn": c.arn("rds", f"subgrp:{c.physical}")},
    "aws:rds/parameterGroup:ParameterGroup": lambda c: {"arn": c.arn("rds", f"pg:{c.physical}")},
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": lambda c: {
        "id": c.arn("rds", f"auto-backup:ab-{_hex(c.name, 26)}"),
    },
    "aws:backup/vault:Vault": lambda c: {"arn": c.arn("backup", f"backup-vault:{c.physical}"), "recoveryPoints": 0},
    "aws:backup/plan:Plan": lambda c: {
        "arn": c.arn("backup", f"backup-plan:{_uuid(c.name)}"),
        "id": _uuid(c.name),
        "version": _hex(c.name, 32),
    },
    "aws:backup/selection:Selection": lambda c: {"id": _uuid(c.name)},
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": lambda c: {
        "arn": c.arn("backup", f"restore-testing-plan:{c.physical}-{_uuid(c.name)}")
    },
    "aws:backup/framework:Framework": lambda c: {"arn": c.arn("backup", f"framework:{c.physical}-{_uuid(c.name)}")},
    "aws:backup/reportPlan:ReportPlan": lambda c: {"arn": c.arn("backup", f"report-plan:{c.physical}-{_uuid(c.name)}")},
    "aws:lambda/function:Function": lambda c: {
        "arn": c.arn("lambda", f"function:{c.physical}"),
        "qualifiedArn": c.arn("lambda", f"function:{c.physical}:$LATEST"),
        "invokeArn": f"arn:aws:apigateway:{c.region}:lambda:path/2015-03-31/functions/"
        f"{c.arn('lambda', f'function:{c.physical}')}/invocations",
        "version": "$LATEST",
    },
    "aws:ec2/securityGroup:SecurityGroup": lambda c: {
        "arn": c.arn("ec2", f"security-group/sg-{_hex(c.name, 17)}"),
        "id": f"sg-{_hex(c.name, 17)}",
    },
    "aws:secretsmanager/secret:Secret": lambda c: {
        "arn": c.arn("secretsmanager", f"secret:{c.physical}-{_hex(c.name, 6)}")
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda c: {"arn": c.arn("cloudwatch", f"alarm:{c.physical}")},
    "aws:cloudwatch/logGroup:LogGroup": lambda c: {"arn": c.arn("logs", f"log-group:{c.physical}")},
    "aws:cloudwatch/eventRule:EventRule": lambda c: {"arn": c.arn("events", f"rule/{c.physical}")},
    # CloudWatch Logs deliveries (vended logs v2): the ARN formats of PutDeliverySource/PutDeliveryDestination/
    # CreateDelivery.
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": lambda c: {
        "arn": c.arn("logs", f"delivery-source:{c.physical}")
    },
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": lambda c: {
        "arn": c.arn("logs", f"delivery-destination:{c.physical}"),
        "deliveryDestinationType": "CWL",
    },
    "aws:cloudwatch/logDelivery:LogDelivery": lambda c: {
        "arn": c.arn("logs", f"delivery:{_hex(c.name, 16)}"),
        "id": _hex(c.name, 16),
    },
    "aws:sqs/queue:Queue": lambda c: {
        "arn": c.arn("sqs", c.physical),
        "url": f"https://sqs.{c.region}.amazonaws.com/{c.account}/{c.physical}",
        "id": f"https://sqs.{c.region}.amazonaws.com/{c.account}/{c.physical}",
    },
    "aws:route53/healthCheck:HealthCheck": lambda c: {
        "id": _uuid(c.name),
        "arn": f"arn:aws:route53:::healthcheck/{_uuid(c.name)}",
    },
    "aws:route53/record:Record": lambda c: {"fqdn": str(c.inputs.get("name", c.physical)).rstrip(".")},
    "aws:wafv2/webAcl:WebAcl": lambda c: {
        "arn": (
            f"arn:aws:wafv2:{c.region}:{c.account}:"
            f"{'global' if c.inputs.get('scope') == 'CLOUDFRONT' else 'regional'}/webacl/{c.physical}/{_uuid(c.name)}"
        ),
        "id": _uuid(c.name),
        "capacity": 1000,
    },
    "aws:cloudfront/distribution:Distribution": lambda c: {
        "arn": f"arn:aws:cloudfront::{c.account}:distribution/E{_hex(c.name, 13).upper()}",
        "id": f"E{_hex(c.name, 13).upper()}",
        "domainName": f"d{_hex(c.name, 13)}.cloudfront.net",
        "hostedZoneId": "Z2FDTNDATAQYW2",
        "status": "Deployed",
    },
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": lambda c: {
        "id": _uuid(c.name),
        "etag": f"E{_hex(c.name, 13).upper()}",
    },
    "aws:eks/accessEntry:AccessEntry": lambda c: {"accessEntryArn": c.arn("eks", f"access-entry/{c.physical}")},
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": lambda c: {
        "associationArn": c.arn("eks", f"podidentityassociation/{c.physical}"),
        "associationId": f"a-{_hex(c.name, 17)}",
    },
    # Region switch plans are global: arn:aws:arc-region-switch::ACCOUNT:plan/NAME:SUFFIX (the PlanArn pattern of the
    # arc-region-switch model: the suffix is six lower-case letters or digits).
    "aws:arcregionswitch/plan:Plan": lambda c: {
        "arn": f"arn:aws:arc-region-switch::{c.account}:plan/{c.physical}:{_hex(c.name, 6)}",
        "id": f"arn:aws:arc-region-switch::{c.account}:plan/{c.physical}:{_hex(c.name, 6)}",
    },
    "random:index/randomPassword:RandomPassword": lambda c: {
        "result": "preflight-" + _hex(c.name, int(c.inputs.get("length", 32)) - 10)
    },
    "kubernetes:helm.sh/v3:Release": lambda c: {
        "status": {"name": c.physical, "namespace": c.inputs.get("namespace"), "status": "deployed", "revision": 1},
    },
}


def _generic_outputs(c: Ctx) -> dict[str, Any]:
    """ARN by service for any AWS type not listed: arn:aws:<module>:<region>:<account>:<type>/<name>."""
    if not c.type.startswith("aws:"):
        return {}
    module = c.type.split(":")[1].split("/")[0]
    resource = c.type.split(":")[2]
    return {"arn": c.arn(module, f"{resource[:1].lower()}{resource[1:]}/{c.physical}")}


@dataclass(frozen=True)
class CallCtx:
    """What an invoke mock knows: the account and the region of the provider the invoke went through.

    Built per call: invokes run on a thread pool, so a region kept on the mocks object could be another
    invoke's.
    """

    account: str
    call_region: str


Invoke = Callable[[Mapping[str, Any], CallCtx], dict[str, Any]]


def _policy_document(args: Mapping[str, Any], _: CallCtx) -> dict[str, Any]:
    statements = []
    for st in args.get("statements") or []:
        out: dict[str, Any] = {"Effect": st.get("effect", "Allow")}
        for src, dst in (("sid", "Sid"), ("actions", "Action"), ("resources", "Resource")):
            if st.get(src):
                out[dst] = st[src]
        for p in st.get("principals") or []:
            out.setdefault("Principal", {})[p["type"]] = p["identifiers"]
        for cond in st.get("conditions") or []:
            out.setdefault("Condition", {}).setdefault(cond["test"], {})[cond["variable"]] = cond["values"]
        statements.append(out)
    return {"json": json.dumps({"Version": "2012-10-17", "Statement": statements}), "id": "policy"}


INVOKES: dict[str, Invoke] = {
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a, m: {
        "accountId": m.account,
        "arn": f"arn:aws:sts::{m.account}:assumed-role/preflight/preflight",
        "userId": "AROAPREFLIGHT:preflight",
        "id": m.account,
    },
    "aws:index/getPartition:getPartition": lambda a, m: {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
    "aws:index/getRegion:getRegion": lambda a, m: {"region": m.call_region, "name": m.call_region, "id": m.call_region},
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    "aws:eks/getCluster:getCluster": lambda a, m: {
        "name": a["name"],
        "id": a["name"],
        "arn": f"arn:aws:eks:{m.call_region}:{m.account}:cluster/{a['name']}",
        "endpoint": f"https://{_hex(a['name'], 32).upper()}.gr7.{m.call_region}.eks.amazonaws.com",
        "certificateAuthorities": [{"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCnByZWZsaWdodAo="}],
        "identities": [
            {"oidcs": [{"issuer": f"https://oidc.eks.{m.call_region}.amazonaws.com/id/{_hex(a['name'], 32).upper()}"}]}
        ],
        "vpcConfig": {"vpcId": "vpc-0preflight0000001", "clusterSecurityGroupId": "sg-0preflight0000001"},
        "version": "1.33",
        "status": "ACTIVE",
    },
}


REGION_SWITCH_HEALTH_CHECKS = "aws:arcregionswitch/getRoute53HealthChecks:getRoute53HealthChecks"


def _route53_steps(steps: Any) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for step in steps or []:
        out += step.get("route53HealthCheckConfigs") or []
        for parallel in step.get("parallelConfigs") or []:
            out += _route53_steps(parallel.get("steps"))
    return out


def region_switch_health_checks(plan: Mapping[str, Any] | None, args: Mapping[str, Any]) -> dict[str, Any]:
    """What Region switch allocates for a plan: one Route53 health check per record name and plan region."""
    checks = []
    if plan is not None:
        seen = set()
        for workflow in plan.get("workflows") or []:
            for cfg in _route53_steps(workflow.get("steps")):
                for region in plan.get("regions") or []:
                    key = (cfg["hostedZoneId"], cfg["recordName"], region)
                    if key in seen:
                        continue
                    seen.add(key)
                    checks.append(
                        {
                            "healthCheckId": _uuid("region-switch:" + ":".join(key)),
                            "hostedZoneId": cfg["hostedZoneId"],
                            "recordName": cfg["recordName"],
                            "region": region,
                            "status": "healthy" if region == plan.get("primaryRegion") else "unhealthy",
                        }
                    )
    return {"planArn": args.get("planArn"), "healthChecks": checks, "region": args.get("region") or DEFAULT_REGION}


class UnknownInvokeError(Exception):
    pass


class PlatformMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes with AWS-shaped values."""

    account: str
    default_region: str

    def __init__(self, account: str = DEFAULT_ACCOUNT, default_region: str = DEFAULT_REGION) -> None:
        self.account = account
        self.default_region = default_region
        self.provider_regions: dict[str, str] = {}  # provider URN -> region
        # provider id -> region. Registrations run on a thread pool, so `current_urn` may already name another
        # resource when a provider's new_resource runs; the id travels inside every provider reference instead.
        self.provider_regions_by_id: dict[str, str] = {}
        self.current_urn = ""
        # plan ARN -> its inputs: the Route53 health checks invoke answers from the plan's Route53HealthCheck steps
        self.plans: dict[str, Mapping[str, Any]] = {}

    @classmethod
    def from_config(cls, config: Mapping[str, str], project: str) -> PlatformMocks:
        return cls(
            account=config.get(f"{project}:awsAccountId", DEFAULT_ACCOUNT),
            default_region=config.get("aws:region", DEFAULT_REGION),
        )

    def region_for(self, typ: str, inputs: Mapping[str, Any], provider_ref: str) -> str | None:
        if not typ.startswith("aws:") and not typ.startswith("pulumi:providers:aws"):
            return None
        if isinstance(inputs.get("region"), str):
            return str(inputs["region"])
        if provider_ref:
            return self._provider_region(provider_ref)
        return self.default_region

    def _provider_region(self, provider_ref: str) -> str:
        """Region of a provider reference "<urn>::<id>"."""
        urn, _, provider_id = provider_ref.rpartition("::")
        if provider_id in self.provider_regions_by_id:
            return self.provider_regions_by_id[provider_id]
        return self.provider_regions.get(urn, self.default_region)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            if args.typ == "pulumi:providers:aws":
                region = str(inputs.get("region") or self.default_region)
                self.provider_regions[self.current_urn] = region
                self.provider_regions_by_id[f"{args.name}-provider-id"] = region
            return f"{args.name}-provider-id", inputs
        region = self.region_for(args.typ, inputs, args.provider or "") or self.default_region
        physical = _physical_name(args.typ, args.name, inputs)
        ctx = Ctx(args.typ, args.name, physical, region, self.account, inputs)
        extra = _generic_outputs(ctx)
        builder = OUTPUTS.get(args.typ)
        if builder is not None:
            extra.update(builder(ctx))
        resource_id = str(extra.pop("id", physical))
        outputs = {**inputs, **extra}
        if args.typ == "aws:arcregionswitch/plan:Plan":
            self.plans[str(extra["arn"])] = inputs
        if args.typ.startswith("aws:") and "tags" in inputs:
            outputs.setdefault("tagsAll", inputs["tags"])
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        if args.token == REGION_SWITCH_HEALTH_CHECKS:
            return region_switch_health_checks(self.plans.get(str(args.args.get("planArn"))), args.args)
        invoke = INVOKES.get(args.token)
        if invoke is None:
            raise UnknownInvokeError(
                f"preflight has no mock for invoke {args.token}; add one to preflight/mocks.py INVOKES"
            )
        region = self._provider_region(args.provider) if args.provider else self.default_region
        return invoke(args.args, CallCtx(self.account, region))
