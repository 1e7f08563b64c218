"""Which AWS API members each pulumi_aws resource type's inputs become.

Pulumi's input names come from the Terraform provider's, which mostly follow the API's: an input matches the API
member of the same name, compared case-insensitively (`visibilityConfig.cloudwatchMetricsEnabled` →
`VisibilityConfig.CloudWatchMetricsEnabled`), level by level, nested blocks included. Where the provider renamed
or reshaped something, `renames` says where it goes. Three reshapings are understood without a rename:

* a map of tags against a list of key/value structures (`tags = {"a": "b"}` → `Tags[{Key: a, Value: b}]`);
* a list against CloudFront's `{Quantity, Items}` wrapper (`aliases[]` → `Aliases.Items[]`);
* a list of blocks against one structure (Terraform's single-item blocks: `aliases[0]` → `AliasTarget`).

Mapping syntax:

* `roots`: where top-level inputs are looked up, in order: `"Operation"` (its input) or `"Operation:Member.Path"`
  (`[]` steps into a list's items). The first root with a member of that name wins.
* `renames`: Pulumi input path (`rules[].filter.prefix`, `[]` for list items) → API path, resolved where the derived
  name would have been (under the parent input's member; top-level inputs: in `roots`). `"."` means "the parent's
  own structure" (a Pulumi grouping block the API does not have, e.g. `failoverRoutingPolicies[].type` →
  `Failover`). `"Operation:Path"` resolves in that operation's input. `"Member{Key}"` is the value of a map member
  under that key (SQS/SNS attributes). A key starting with `**.` matches that input at any depth.
* `skip`: Pulumi input path → why it is not checked against the model (provider-only settings, …); a `**.` key
  skips that input at any depth.
* `prefixes`: Pulumi `*Prefix` input → the name input it generates; the provider appends 26 characters
  (Terraform's id.PrefixedUniqueId), so prefix + 26 characters is checked against the name's member.
* `variants`: (input, roots): when that input is set, these roots replace `roots` (an RDS read replica is created
  with CreateDBInstanceReadReplica, not CreateDBInstance).

A type that must not be checked gets `NotChecked(reason)`. tests/test_aws_rules_mapping.py fails when a type any
stack or tests/fixtures program registers has neither (and when a rename or root no longer resolves in botocore).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


def _frozen(d: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(d or {}))


@dataclass(frozen=True)
class TypeMap:
    service: str  # botocore service name
    roots: tuple[str, ...]
    renames: Mapping[str, str] = field(default_factory=_frozen)
    skip: Mapping[str, str] = field(default_factory=_frozen)
    prefixes: Mapping[str, str] = field(default_factory=_frozen)
    variants: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class NotChecked:
    reason: str


# Inputs of every pulumi_aws type that are no API member.
GLOBAL_SKIP: Mapping[str, str] = MappingProxyType(
    {
        "region": "pulumi_aws 7 per-resource region: picks the endpoint (checked by the aws-region-exists limit)",
        "tagsAll": "computed by the provider",
    }
)

PREFIX_SUFFIX_LENGTH = 26  # Terraform helper/id.PrefixedUniqueId: prefix + 26 characters

_ATTRIBUTE_SKIP = "provider behaviour, not sent to AWS"

TYPES: Mapping[str, TypeMap | NotChecked] = MappingProxyType(
    {
        "pulumi:providers:aws": NotChecked(
            "provider configuration, no API call; its region is checked by the aws-region-exists limit"
        ),
        # --- ARC Region switch -----------------------------------------------------------------------------------
        "aws:arcregionswitch/plan:Plan": TypeMap(
            "arc-region-switch",
            ("CreatePlan",),
            renames=_frozen(
                {
                    # Each step's configuration is a single-item block list in Pulumi, one member of the API's
                    # ExecutionBlockConfiguration union (at any depth: parallel steps nest steps).
                    "**.arcRoutingControlConfigs": "ExecutionBlockConfiguration.ArcRoutingControlConfig",
                    "**.auroraProvisionedScalingConfigs": "ExecutionBlockConfiguration.AuroraProvisionedScalingConfig",
                    "**.auroraServerlessScalingConfigs": "ExecutionBlockConfiguration.AuroraServerlessScalingConfig",
                    "**.customActionLambdaConfigs": "ExecutionBlockConfiguration.CustomActionLambdaConfig",
                    "**.documentDbConfigs": "ExecutionBlockConfiguration.DocumentDbConfig",
                    "**.ec2AsgCapacityIncreaseConfigs": "ExecutionBlockConfiguration.Ec2AsgCapacityIncreaseConfig",
                    "**.ecsCapacityIncreaseConfigs": "ExecutionBlockConfiguration.EcsCapacityIncreaseConfig",
                    "**.eksResourceScalingConfigs": "ExecutionBlockConfiguration.EksResourceScalingConfig",
                    "**.executionApprovalConfigs": "ExecutionBlockConfiguration.ExecutionApprovalConfig",
                    "**.globalAuroraConfigs": "ExecutionBlockConfiguration.GlobalAuroraConfig",
                    "**.lambdaEventSourceMappingConfigs": "ExecutionBlockConfiguration.LambdaEventSourceMappingConfig",
                    "**.neptuneGlobalDatabaseConfigs": "ExecutionBlockConfiguration.NeptuneGlobalDatabaseConfig",
                    "**.parallelConfigs": "ExecutionBlockConfiguration.ParallelConfig",
                    "**.rdsCreateCrossRegionReadReplicaConfigs": (
                        "ExecutionBlockConfiguration.RdsCreateCrossRegionReadReplicaConfig"
                    ),
                    "**.rdsPromoteReadReplicaConfigs": "ExecutionBlockConfiguration.RdsPromoteReadReplicaConfig",
                    "**.regionSwitchPlanConfigs": "ExecutionBlockConfiguration.RegionSwitchPlanConfig",
                    "**.route53HealthCheckConfigs": "ExecutionBlockConfiguration.Route53HealthCheckConfig",
                    "**.ungracefuls": "Ungraceful",
                    "**.kubernetesResourceTypes": "KubernetesResourceType",
                    "reportConfigurations": "ReportConfiguration",
                    "reportConfigurations[].reportOutputs": "ReportOutput",
                    "reportConfigurations[].reportOutputs[].s3Configurations": "S3Configuration",
                }
            ),
            skip=_frozen(
                {
                    "associatedAlarms": "blocks keyed by mapBlockKey the provider turns into the AssociatedAlarms map",
                    "**.regionAndRoutingControls": "{region, routingControls} blocks made a map by region",
                    "**.regionEventSourceMappings": "{region, arn, …} blocks the provider turns into a map by region",
                    "**.scalingResources": "a list of {namespace, resources} the provider turns into maps by region",
                    "timeouts": "how long the provider waits for the plan, not sent to AWS",
                }
            ),
        ),
        # --- AWS Backup ---------------------------------------------------------------------------------------------
        "aws:backup/vault:Vault": TypeMap(
            "backup",
            ("CreateBackupVault",),
            renames=_frozen({"name": "BackupVaultName", "kmsKeyArn": "EncryptionKeyArn", "tags": "BackupVaultTags"}),
            skip=_frozen({"forceDestroy": _ATTRIBUTE_SKIP}),
        ),
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration": TypeMap(
            "backup", ("PutBackupVaultLockConfiguration",)
        ),
        "aws:backup/vaultPolicy:VaultPolicy": TypeMap("backup", ("PutBackupVaultAccessPolicy",)),
        "aws:backup/plan:Plan": TypeMap(
            "backup",
            ("CreateBackupPlan:BackupPlan", "CreateBackupPlan"),
            renames=_frozen(
                {
                    "name": "BackupPlanName",
                    "tags": "BackupPlanTags",
                    "rules[].targetVaultName": "TargetBackupVaultName",
                    "rules[].schedule": "ScheduleExpression",
                    "rules[].startWindow": "StartWindowMinutes",
                    "rules[].completionWindow": "CompletionWindowMinutes",
                    "rules[].copyActions[].destinationVaultArn": "DestinationBackupVaultArn",
                    "**.lifecycle.deleteAfter": "DeleteAfterDays",
                    "**.lifecycle.coldStorageAfter": "MoveToColdStorageAfterDays",
                }
            ),
        ),
        "aws:backup/selection:Selection": TypeMap(
            "backup",
            ("CreateBackupSelection:BackupSelection", "CreateBackupSelection"),
            renames=_frozen(
                {
                    "name": "SelectionName",
                    "planId": "BackupPlanId",
                    "selectionTags": "ListOfTags",
                    "selectionTags[].type": "ConditionType",
                    "selectionTags[].key": "ConditionKey",
                    "selectionTags[].value": "ConditionValue",
                    "conditions[].stringLikes": "StringLike",
                    "conditions[].stringNotLikes": "StringNotLike",
                    "**.key": "ConditionKey",
                    "**.value": "ConditionValue",
                }
            ),
        ),
        "aws:backup/restoreTestingPlan:RestoreTestingPlan": TypeMap(
            "backup",
            ("CreateRestoreTestingPlan:RestoreTestingPlan", "CreateRestoreTestingPlan"),
            renames=_frozen({"name": "RestoreTestingPlanName"}),
        ),
        "aws:backup/restoreTestingSelection:RestoreTestingSelection": TypeMap(
            "backup",
            ("CreateRestoreTestingSelection:RestoreTestingSelection", "CreateRestoreTestingSelection"),
            renames=_frozen({"name": "RestoreTestingSelectionName"}),
        ),
        "aws:backup/framework:Framework": TypeMap(
            "backup",
            ("CreateFramework",),
            renames=_frozen(
                {
                    "name": "FrameworkName",
                    "description": "FrameworkDescription",
                    "tags": "FrameworkTags",
                    "controls": "FrameworkControls",
                    "controls[].name": "ControlName",
                    "controls[].inputParameters": "ControlInputParameters",
                    "controls[].inputParameters[].name": "ParameterName",
                    "controls[].inputParameters[].value": "ParameterValue",
                    "controls[].scope": "ControlScope",
                }
            ),
        ),
        "aws:backup/reportPlan:ReportPlan": TypeMap(
            "backup",
            ("CreateReportPlan",),
            renames=_frozen(
                {"name": "ReportPlanName", "description": "ReportPlanDescription", "tags": "ReportPlanTags"}
            ),
        ),
        # --- Budgets ------------------------------------------------------------------------------------------------
        "aws:budgets/budget:Budget": TypeMap(
            "budgets",
            ("CreateBudget:Budget", "CreateBudget"),
            renames=_frozen(
                {
                    "name": "BudgetName",
                    "limitAmount": "BudgetLimit.Amount",
                    "limitUnit": "BudgetLimit.Unit",
                    "notifications": "NotificationsWithSubscribers",
                    "notifications[].comparisonOperator": "Notification.ComparisonOperator",
                    "notifications[].notificationType": "Notification.NotificationType",
                    "notifications[].threshold": "Notification.Threshold",
                    "notifications[].thresholdType": "Notification.ThresholdType",
                    "notifications[].subscriberEmailAddresses": "Subscribers[].Address",
                    "notifications[].subscriberSnsTopicArns": "Subscribers[].Address",
                    "**.ands": "And",
                    "**.ors": "Or",
                    "tags": "ResourceTags",
                    "timePeriodStart": "TimePeriod.Start",
                    "timePeriodEnd": "TimePeriod.End",
                }
            ),
            skip=_frozen(
                {
                    "costFilters": "a list of {name, values} the provider turns into the CostFilters map",
                    "plannedLimits": "a list the provider turns into the PlannedBudgetLimits map",
                }
            ),
            prefixes=_frozen({"namePrefix": "name"}),
        ),
        # --- Chatbot (Amazon Q Developer in chat applications) ------------------------------------------------------
        "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": TypeMap(
            "chatbot",
            ("CreateSlackChannelConfiguration",),
            skip=_frozen(
                {
                    "slackTeamName": "read back from Slack, not sent to AWS",
                    "timeouts": "how long the provider waits for the configuration, not sent to AWS",
                }
            ),
        ),
        # --- CloudFront ---------------------------------------------------------------------------------------------
        "aws:cloudfront/distribution:Distribution": TypeMap(
            "cloudfront",
            ("CreateDistribution:DistributionConfig", "CreateDistributionWithTags:DistributionConfigWithTags"),
            renames=_frozen(
                {
                    "webAclId": "WebACLId",
                    "isIpv6Enabled": "IsIPV6Enabled",
                    "orderedCacheBehaviors": "CacheBehaviors",
                    "defaultCacheBehavior.cachedMethods": "AllowedMethods.CachedMethods",
                    "orderedCacheBehaviors[].cachedMethods": "AllowedMethods.CachedMethods",
                    "origins[].originId": "Id",
                    "origins[].customHeaders[].name": "HeaderName",
                    "origins[].customHeaders[].value": "HeaderValue",
                    "originGroups[].originId": "Id",
                    "restrictions.geoRestriction.locations": "Items",
                    "loggingConfig": "Logging",
                    "tags": "CreateDistributionWithTags:DistributionConfigWithTags.Tags.Items",
                }
            ),
            skip=_frozen(
                {
                    "retainOnDelete": _ATTRIBUTE_SKIP,
                    "waitForDeployment": _ATTRIBUTE_SKIP,
                    "staging": "selects the staging-distribution flag of the create call",
                }
            ),
        ),
        "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": TypeMap(
            "cloudfront",
            ("CreateResponseHeadersPolicy:ResponseHeadersPolicyConfig",),
            skip=_frozen({"etag": "the version the provider read back, sent as If-Match on update"}),
        ),
        # --- CloudTrail ---------------------------------------------------------------------------------------------
        "aws:cloudtrail/trail:Trail": TypeMap(
            "cloudtrail",
            ("CreateTrail", "PutEventSelectors", "PutInsightSelectors"),
            renames=_frozen(
                {
                    "tags": "TagsList",
                    "cloudWatchLogsGroupArn": "CloudWatchLogsLogGroupArn",
                    "advancedEventSelectors[].fieldSelectors[].startsWiths": "StartsWith",
                    "advancedEventSelectors[].fieldSelectors[].endsWiths": "EndsWith",
                    "advancedEventSelectors[].fieldSelectors[].notStartsWiths": "NotStartsWith",
                    "advancedEventSelectors[].fieldSelectors[].notEndsWiths": "NotEndsWith",
                }
            ),
            skip=_frozen({"enableLogging": "selects the StartLogging/StopLogging call"}),
        ),
        # --- CloudWatch, Logs, EventBridge ----------------------------------------------------------------------
        "aws:cloudwatch/metricAlarm:MetricAlarm": TypeMap(
            "cloudwatch",
            ("PutMetricAlarm",),
            renames=_frozen(
                {
                    "name": "AlarmName",
                    "metricQueries": "Metrics",
                    "metricQueries[].metric": "MetricStat",
                    "metricQueries[].metric.metricName": "Metric.MetricName",
                    "metricQueries[].metric.namespace": "Metric.Namespace",
                    "metricQueries[].metric.dimensions": "Metric.Dimensions",
                    "evaluateLowSampleCountPercentiles": "EvaluateLowSampleCountPercentile",
                }
            ),
        ),
        "aws:cloudwatch/dashboard:Dashboard": TypeMap("cloudwatch", ("PutDashboard",)),
        "aws:cloudwatch/logGroup:LogGroup": TypeMap(
            "logs",
            ("CreateLogGroup", "PutRetentionPolicy"),
            renames=_frozen({"name": "logGroupName"}),
            skip=_frozen({"skipDestroy": _ATTRIBUTE_SKIP}),
            prefixes=_frozen({"namePrefix": "name"}),
        ),
        "aws:cloudwatch/logDeliverySource:LogDeliverySource": TypeMap("logs", ("PutDeliverySource",)),
        "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": TypeMap("logs", ("PutDeliveryDestination",)),
        "aws:cloudwatch/logDelivery:LogDelivery": TypeMap(
            "logs",
            ("CreateDelivery",),
            renames=_frozen({"s3DeliveryConfigurations": "S3DeliveryConfiguration"}),
        ),
        "aws:cloudwatch/eventRule:EventRule": TypeMap(
            "events",
            ("PutRule",),
            skip=_frozen({"isEnabled": "the provider turns it into State", "forceDestroy": _ATTRIBUTE_SKIP}),
            prefixes=_frozen({"namePrefix": "name"}),
        ),
        "aws:cloudwatch/eventTarget:EventTarget": TypeMap(
            "events",
            ("PutTargets:Targets[]", "PutTargets"),
            renames=_frozen({"targetId": "Id"}),
            skip=_frozen({"forceDestroy": _ATTRIBUTE_SKIP}),
        ),
        # --- EC2 / VPC ----------------------------------------------------------------------------------------------
        "aws:ec2/securityGroup:SecurityGroup": TypeMap(
            "ec2",
            ("CreateSecurityGroup",),
            renames=_frozen(
                {
                    "name": "GroupName",
                    "tags": "TagSpecifications[].Tags",
                    "ingress": "AuthorizeSecurityGroupIngress:IpPermissions",
                    "egress": "AuthorizeSecurityGroupEgress:IpPermissions",
                    "ingress[].protocol": "IpProtocol",
                    "egress[].protocol": "IpProtocol",
                    "ingress[].cidrBlocks": "IpRanges[].CidrIp",
                    "egress[].cidrBlocks": "IpRanges[].CidrIp",
                    "ingress[].ipv6CidrBlocks": "Ipv6Ranges[].CidrIpv6",
                    "egress[].ipv6CidrBlocks": "Ipv6Ranges[].CidrIpv6",
                    "ingress[].prefixListIds": "PrefixListIds[].PrefixListId",
                    "egress[].prefixListIds": "PrefixListIds[].PrefixListId",
                    "ingress[].securityGroups": "UserIdGroupPairs[].GroupId",
                    "egress[].securityGroups": "UserIdGroupPairs[].GroupId",
                    "ingress[].description": "IpRanges[].Description",
                    "egress[].description": "IpRanges[].Description",
                }
            ),
            skip=_frozen(
                {
                    "revokeRulesOnDelete": _ATTRIBUTE_SKIP,
                    "ingress[].self": "the provider adds the group itself as a source",
                    "egress[].self": "the provider adds the group itself as a destination",
                }
            ),
            prefixes=_frozen({"namePrefix": "name"}),
        ),
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": TypeMap(
            "ec2",
            ("AuthorizeSecurityGroupIngress:IpPermissions[]", "AuthorizeSecurityGroupIngress"),
            renames=_frozen(
                {
                    "securityGroupId": "GroupId",
                    "cidrIpv4": "IpRanges[].CidrIp",
                    "cidrIpv6": "Ipv6Ranges[].CidrIpv6",
                    "description": "IpRanges[].Description",
                    "prefixListId": "PrefixListIds[].PrefixListId",
                    "referencedSecurityGroupId": "UserIdGroupPairs[].GroupId",
                    "tags": "TagSpecifications[].Tags",
                }
            ),
        ),
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": TypeMap(
            "ec2",
            ("AuthorizeSecurityGroupEgress:IpPermissions[]", "AuthorizeSecurityGroupEgress"),
            renames=_frozen(
                {
                    "securityGroupId": "GroupId",
                    "cidrIpv4": "IpRanges[].CidrIp",
                    "cidrIpv6": "Ipv6Ranges[].CidrIpv6",
                    "description": "IpRanges[].Description",
                    "prefixListId": "PrefixListIds[].PrefixListId",
                    "referencedSecurityGroupId": "UserIdGroupPairs[].GroupId",
                    "tags": "TagSpecifications[].Tags",
                }
            ),
        ),
        # --- EKS ----------------------------------------------------------------------------------------------------
        "aws:eks/accessEntry:AccessEntry": TypeMap("eks", ("CreateAccessEntry",)),
        # --- FIS ----------------------------------------------------------------------------------------------------
        "aws:fis/experimentTemplate:ExperimentTemplate": TypeMap(
            "fis",
            ("CreateExperimentTemplate",),
            # actions[] and targets[] are blocks keyed by name, parameters[] blocks of {key, value}, and an action's
            # target one {key, value} block: the API's maps (understood without a rename).
            renames=_frozen(
                {
                    "actions[].startAfters": "StartAfter",
                    "actions[].target": "Targets",
                    "experimentReportConfiguration.dataSources.cloudwatchDashboards[].dashboardArn": (
                        "DashboardIdentifier"
                    ),
                }
            ),
            skip=_frozen({"timeouts": "how long the provider waits for the template, not sent to AWS"}),
        ),
        # --- IAM ----------------------------------------------------------------------------------------------------
        "aws:iam/role:Role": TypeMap(
            "iam",
            ("CreateRole",),
            renames=_frozen(
                {
                    "name": "RoleName",
                    "assumeRolePolicy": "AssumeRolePolicyDocument",
                    "inlinePolicies": "PutRolePolicy:",
                    "inlinePolicies[].name": "PolicyName",
                    "inlinePolicies[].policy": "PolicyDocument",
                    "managedPolicyArns": "AttachRolePolicy:PolicyArn",
                }
            ),
            skip=_frozen({"forceDetachPolicies": _ATTRIBUTE_SKIP}),
            prefixes=_frozen({"namePrefix": "name"}),
        ),
        "aws:iam/rolePolicy:RolePolicy": TypeMap(
            "iam",
            ("PutRolePolicy",),
            renames=_frozen({"name": "PolicyName", "policy": "PolicyDocument", "role": "RoleName"}),
            prefixes=_frozen({"namePrefix": "name"}),
        ),
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": TypeMap(
            "iam", ("AttachRolePolicy",), renames=_frozen({"role": "RoleName"})
        ),
        "aws:iam/serviceLinkedRole:ServiceLinkedRole": TypeMap(
            "iam", ("CreateServiceLinkedRole",), renames=_frozen({"tags": "TagRole:Tags"})
        ),
        # --- KMS ----------------------------------------------------------------------------------------------------
        "aws:kms/key:Key": TypeMap(
            "kms",
            ("CreateKey", "ScheduleKeyDeletion", "EnableKeyRotation"),
            renames=_frozen({"deletionWindowInDays": "PendingWindowInDays"}),
            skip=_frozen(
                {
                    "enableKeyRotation": "selects the EnableKeyRotation call (its period is rotationPeriodInDays)",
                    "isEnabled": "selects the EnableKey/DisableKey call",
                }
            ),
        ),
        "aws:kms/alias:Alias": TypeMap(
            "kms", ("CreateAlias",), renames=_frozen({"name": "AliasName"}), prefixes=_frozen({"namePrefix": "name"})
        ),
        # --- Lambda -------------------------------------------------------------------------------------------------
        "aws:lambda/function:Function": TypeMap(
            "lambda",
            ("CreateFunction", "PutFunctionConcurrency"),
            renames=_frozen(
                {
                    "name": "FunctionName",
                    "s3Bucket": "Code.S3Bucket",
                    "s3Key": "Code.S3Key",
                    "s3ObjectVersion": "Code.S3ObjectVersion",
                    "imageUri": "Code.ImageUri",
                    "fileSystemConfig": "FileSystemConfigs",
                }
            ),
            skip=_frozen(
                {
                    "code": "an archive the provider zips into Code.ZipFile (a blob: no constraint to compare)",
                    "sourceCodeHash": "tells the provider when to upload the code again, not sent to AWS",
                    "skipDestroy": _ATTRIBUTE_SKIP,
                    "replaceSecurityGroupsOnDestroy": _ATTRIBUTE_SKIP,
                    "replacementSecurityGroupIds": _ATTRIBUTE_SKIP,
                    "timeouts": "how long the provider waits for the function, not sent to AWS",
                }
            ),
        ),
        "aws:lambda/permission:Permission": TypeMap(
            "lambda",
            ("AddPermission",),
            renames=_frozen({"function": "FunctionName"}),
            prefixes=_frozen({"statementIdPrefix": "statementId"}),
        ),
        # --- RDS ----------------------------------------------------------------------------------------------------
        "aws:rds/instance:Instance": TypeMap(
            "rds",
            ("CreateDBInstance", "ModifyDBInstance", "DeleteDBInstance"),
            # A replica inherits what CreateDBInstanceReadReplica does not take (storageEncrypted, engine, username…)
            # from its source; such inputs are checked as CreateDBInstance would check them.
            variants=(
                (
                    "replicateSourceDb",
                    ("CreateDBInstanceReadReplica", "ModifyDBInstance", "DeleteDBInstance", "CreateDBInstance"),
                ),
            ),
            renames=_frozen(
                {
                    "identifier": "DBInstanceIdentifier",
                    "instanceClass": "DBInstanceClass",
                    "username": "MasterUsername",
                    "password": "MasterUserPassword",
                    "backupWindow": "PreferredBackupWindow",
                    "maintenanceWindow": "PreferredMaintenanceWindow",
                    "parameterGroupName": "DBParameterGroupName",
                    "iamDatabaseAuthenticationEnabled": "EnableIAMDatabaseAuthentication",
                    "performanceInsightsEnabled": "EnablePerformanceInsights",
                    "enabledCloudwatchLogsExports": "EnableCloudwatchLogsExports",
                    "replicateSourceDb": "SourceDBInstanceIdentifier",
                    "finalSnapshotIdentifier": "FinalDBSnapshotIdentifier",
                    "caCertIdentifier": "CACertificateIdentifier",
                }
            ),
            prefixes=_frozen({"identifierPrefix": "identifier"}),
        ),
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": TypeMap(
            "rds",
            ("StartDBInstanceAutomatedBackupsReplication",),
            renames=_frozen({"retentionPeriod": "BackupRetentionPeriod"}),
        ),
        "aws:rds/parameterGroup:ParameterGroup": TypeMap(
            "rds",
            ("CreateDBParameterGroup", "ModifyDBParameterGroup"),
            renames=_frozen(
                {
                    "name": "DBParameterGroupName",
                    "family": "DBParameterGroupFamily",
                    "parameters[].name": "ParameterName",
                    "parameters[].value": "ParameterValue",
                }
            ),
            prefixes=_frozen({"namePrefix": "name"}),
        ),
        "aws:rds/subnetGroup:SubnetGroup": TypeMap(
            "rds",
            ("CreateDBSubnetGroup",),
            renames=_frozen({"name": "DBSubnetGroupName", "description": "DBSubnetGroupDescription"}),
            prefixes=_frozen({"namePrefix": "name"}),
        ),
        # --- Route 53 -----------------------------------------------------------------------------------------------
        "aws:route53/healthCheck:HealthCheck": TypeMap(
            "route53",
            ("CreateHealthCheck:HealthCheckConfig", "CreateHealthCheck"),
            renames=_frozen(
                {
                    "fqdn": "FullyQualifiedDomainName",
                    "childHealthchecks": "ChildHealthChecks",
                    "childHealthThreshold": "HealthThreshold",
                    "cloudwatchAlarmName": "AlarmIdentifier.Name",
                    "cloudwatchAlarmRegion": "AlarmIdentifier.Region",
                    "invertHealthcheck": "Inverted",
                    "referenceName": "CallerReference",
                    "tags": "ChangeTagsForResource:AddTags",
                }
            ),
            skip=_frozen({"triggers": "replacement triggers of the provider"}),
        ),
        "aws:route53/record:Record": TypeMap(
            "route53",
            ("ChangeResourceRecordSets:ChangeBatch.Changes[].ResourceRecordSet", "ChangeResourceRecordSets"),
            renames=_frozen(
                {
                    "zoneId": "HostedZoneId",
                    "records": "ResourceRecords[].Value",
                    "aliases": "AliasTarget",
                    "aliases[].name": "DNSName",
                    "aliases[].zoneId": "HostedZoneId",
                    "failoverRoutingPolicies": ".",
                    "failoverRoutingPolicies[].type": "Failover",
                    "weightedRoutingPolicies": ".",
                    "weightedRoutingPolicies[].weight": "Weight",
                    "latencyRoutingPolicies": ".",
                    "latencyRoutingPolicies[].region": "Region",
                    "geolocationRoutingPolicies": "GeoLocation",
                    "geolocationRoutingPolicies[].continent": "ContinentCode",
                    "geolocationRoutingPolicies[].country": "CountryCode",
                    "geolocationRoutingPolicies[].subdivision": "SubdivisionCode",
                    "multivalueAnswerRoutingPolicy": "MultiValueAnswer",
                    "cidrRoutingPolicy": "CidrRoutingConfig",
                    "geoproximityRoutingPolicy": "GeoProximityLocation",
                }
            ),
            skip=_frozen({"allowOverwrite": "selects UPSERT instead of CREATE"}),
        ),
        # --- S3 -----------------------------------------------------------------------------------------------------
        "aws:s3/bucket:Bucket": TypeMap(
            "s3",
            ("CreateBucket",),
            renames=_frozen(
                {"objectLockEnabled": "ObjectLockEnabledForBucket", "tags": "PutBucketTagging:Tagging.TagSet"}
            ),
            skip=_frozen({"forceDestroy": _ATTRIBUTE_SKIP}),
            prefixes=_frozen({"bucketPrefix": "bucket"}),
        ),
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": TypeMap(
            "s3",
            ("PutBucketLifecycleConfiguration:LifecycleConfiguration", "PutBucketLifecycleConfiguration"),
            renames=_frozen({"rules[].id": "ID"}),
        ),
        "aws:s3/bucketLogging:BucketLogging": TypeMap(
            "s3", ("PutBucketLogging:BucketLoggingStatus.LoggingEnabled", "PutBucketLogging")
        ),
        "aws:s3/bucketObjectv2:BucketObjectv2": TypeMap(
            "s3",
            ("PutObject",),
            skip=_frozen(
                {
                    "source": "an asset or archive the provider streams as the request Body (a blob)",
                    "tags": "sent URL-encoded as the Tagging header; the cost-allocation-tags policy checks them",
                }
            ),
        ),
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": TypeMap(
            "s3", ("PutObjectLockConfiguration:ObjectLockConfiguration", "PutObjectLockConfiguration")
        ),
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": TypeMap(
            "s3",
            ("PutBucketOwnershipControls:OwnershipControls", "PutBucketOwnershipControls"),
            renames=_frozen({"rule": "Rules[]"}),
        ),
        "aws:s3/bucketPolicy:BucketPolicy": TypeMap("s3", ("PutBucketPolicy",)),
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": TypeMap(
            "s3", ("PutPublicAccessBlock:PublicAccessBlockConfiguration", "PutPublicAccessBlock")
        ),
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig": TypeMap(
            "s3",
            ("PutBucketReplication:ReplicationConfiguration", "PutBucketReplication"),
            renames=_frozen({"rules[].id": "ID"}),
        ),
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": TypeMap(
            "s3", ("PutBucketEncryption:ServerSideEncryptionConfiguration", "PutBucketEncryption")
        ),
        "aws:s3/bucketVersioning:BucketVersioning": TypeMap("s3", ("PutBucketVersioning",)),
        # --- Secrets Manager ----------------------------------------------------------------------------------------
        "aws:secretsmanager/secret:Secret": TypeMap(
            "secretsmanager",
            ("CreateSecret", "PutResourcePolicy", "DeleteSecret"),
            renames=_frozen(
                {
                    "replicas": "AddReplicaRegions",
                    "policy": "PutResourcePolicy:ResourcePolicy",
                    "blockPublicPolicy": "PutResourcePolicy:BlockPublicPolicy",
                    "recoveryWindowInDays": "DeleteSecret:RecoveryWindowInDays",
                }
            ),
            prefixes=_frozen({"namePrefix": "name"}),
        ),
        "aws:secretsmanager/secretVersion:SecretVersion": TypeMap(
            "secretsmanager",
            ("PutSecretValue",),
            renames=_frozen({"secretStringWo": "SecretString"}),
            skip=_frozen({"secretStringWoVersion": "tells the provider when to send the write-only value again"}),
        ),
        # --- SNS / SQS ----------------------------------------------------------------------------------------------
        "aws:sns/topic:Topic": TypeMap(
            "sns",
            ("CreateTopic",),
            renames=_frozen(
                {
                    "displayName": "Attributes{DisplayName}",
                    "policy": "Attributes{Policy}",
                    "deliveryPolicy": "Attributes{DeliveryPolicy}",
                    "kmsMasterKeyId": "Attributes{KmsMasterKeyId}",
                    "fifoTopic": "Attributes{FifoTopic}",
                    "contentBasedDeduplication": "Attributes{ContentBasedDeduplication}",
                    "signatureVersion": "Attributes{SignatureVersion}",
                    "tracingConfig": "Attributes{TracingConfig}",
                    "archivePolicy": "Attributes{ArchivePolicy}",
                    "fifoThroughputScope": "Attributes{FifoThroughputScope}",
                }
            ),
            prefixes=_frozen({"namePrefix": "name"}),
        ),
        "aws:sns/topicPolicy:TopicPolicy": TypeMap(
            "sns", ("SetTopicAttributes",), renames=_frozen({"arn": "TopicArn", "policy": "AttributeValue"})
        ),
        "aws:sns/topicSubscription:TopicSubscription": TypeMap(
            "sns",
            ("Subscribe",),
            renames=_frozen(
                {
                    "topic": "TopicArn",
                    "filterPolicy": "Attributes{FilterPolicy}",
                    "filterPolicyScope": "Attributes{FilterPolicyScope}",
                    "rawMessageDelivery": "Attributes{RawMessageDelivery}",
                    "redrivePolicy": "Attributes{RedrivePolicy}",
                    "deliveryPolicy": "Attributes{DeliveryPolicy}",
                    "subscriptionRoleArn": "Attributes{SubscriptionRoleArn}",
                    "replayPolicy": "Attributes{ReplayPolicy}",
                }
            ),
            skip=_frozen(
                {
                    "confirmationTimeoutInMinutes": "how long the provider waits for confirmation",
                    "endpointAutoConfirms": _ATTRIBUTE_SKIP,
                }
            ),
        ),
        "aws:sqs/queue:Queue": TypeMap(
            "sqs",
            ("CreateQueue",),
            renames=_frozen(
                {
                    "name": "QueueName",
                    "messageRetentionSeconds": "Attributes{MessageRetentionPeriod}",
                    "visibilityTimeoutSeconds": "Attributes{VisibilityTimeout}",
                    "maxMessageSize": "Attributes{MaximumMessageSize}",
                    "delaySeconds": "Attributes{DelaySeconds}",
                    "receiveWaitTimeSeconds": "Attributes{ReceiveMessageWaitTimeSeconds}",
                    "policy": "Attributes{Policy}",
                    "redrivePolicy": "Attributes{RedrivePolicy}",
                    "redriveAllowPolicy": "Attributes{RedriveAllowPolicy}",
                    "fifoQueue": "Attributes{FifoQueue}",
                    "contentBasedDeduplication": "Attributes{ContentBasedDeduplication}",
                    "kmsMasterKeyId": "Attributes{KmsMasterKeyId}",
                    "kmsDataKeyReusePeriodSeconds": "Attributes{KmsDataKeyReusePeriodSeconds}",
                    "sqsManagedSseEnabled": "Attributes{SqsManagedSseEnabled}",
                    "deduplicationScope": "Attributes{DeduplicationScope}",
                    "fifoThroughputLimit": "Attributes{FifoThroughputLimit}",
                }
            ),
            prefixes=_frozen({"namePrefix": "name"}),
        ),
        "aws:sqs/queuePolicy:QueuePolicy": TypeMap(
            "sqs", ("SetQueueAttributes",), renames=_frozen({"policy": "Attributes{Policy}"})
        ),
        # --- SSM ----------------------------------------------------------------------------------------------------
        "aws:ssm/parameter:Parameter": TypeMap(
            "ssm",
            ("PutParameter",),
            renames=_frozen({"insecureValue": "Value"}),
            skip=_frozen({"arn": "an alternative identifier the provider resolves to Name"}),
        ),
        # --- CloudWatch Synthetics ----------------------------------------------------------------------------------
        "aws:synthetics/canary:Canary": TypeMap(
            "synthetics",
            ("CreateCanary",),
            renames=_frozen(
                {
                    "handler": "Code.Handler",
                    "s3Bucket": "Code.S3Bucket",
                    "s3Key": "Code.S3Key",
                    "s3Version": "Code.S3Version",
                    "successRetentionPeriod": "SuccessRetentionPeriodInDays",
                    "failureRetentionPeriod": "FailureRetentionPeriodInDays",
                }
            ),
            skip=_frozen(
                {
                    "zipFile": "a local path the provider reads into Code.ZipFile (a blob: no constraint to compare)",
                    "startCanary": "selects the StartCanary/StopCanary call",
                    "deleteLambda": "selects DeleteCanary's DeleteLambda flag at destroy",
                    "vpcConfig.vpcId": "computed from the subnets, not sent to AWS",
                }
            ),
        ),
        # --- WAFv2 --------------------------------------------------------------------------------------------------
        "aws:wafv2/webAcl:WebAcl": TypeMap(
            "wafv2",
            ("CreateWebACL",),
            skip=_frozen(
                {
                    "ruleJson": "a JSON document the provider parses into Rules; only its rules[] form is checked",
                    "customResponseBodies": "a list the provider turns into the CustomResponseBodies map",
                    "associationConfig": "lists the provider turns into maps keyed by resource type",
                }
            ),
            prefixes=_frozen({"namePrefix": "name"}),
        ),
        "aws:wafv2/webAclAssociation:WebAclAssociation": TypeMap("wafv2", ("AssociateWebACL",)),
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": TypeMap(
            "wafv2", ("PutLoggingConfiguration:LoggingConfiguration",)
        ),
    }
)


def mapping_for(type_: str) -> TypeMap | NotChecked | None:
    return TYPES.get(type_)
