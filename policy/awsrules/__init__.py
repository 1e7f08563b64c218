"""AWS's own rules for pulumi_aws inputs, checked at preview time.

Two families, both run as mandatory policies of the CrossGuard pack (policy/policies/aws_rules.py) and so by
`python -m preflight` and by `pulumi preview --policy-pack policy` alike:

* `aws-api-model` — model-driven (modelcheck.py): every known input value against the shape of the API member it
  becomes (mapping.py), read from the API models botocore ships (botomodel.py; patterns via javaregex.py).
* `aws-service-limits` — hand-written (limits.py): what the models cannot express, each rule citing its AWS page.

docs/aws-rules.md explains what is checked, what is knowingly not, and how to add a rename or a limit.
"""

from policy.awsrules.findings import Finding, Tally

MODEL_POLICY = "aws-api-model"
LIMITS_POLICY = "aws-service-limits"
# When set (preflight sets it for the pack it starts), aws-api-model appends one JSON line per resource to this file:
# that resource's Tally plus the botocore version and the services loaded. Preflight sums them into its coverage
# report instead of loading the models a second time. The Pulumi CLI does not set it; nothing is written then.
TALLY_FILE_ENV = "SUMMIT_AWS_RULES_TALLY"

__all__ = ["LIMITS_POLICY", "MODEL_POLICY", "TALLY_FILE_ENV", "Finding", "Tally"]
