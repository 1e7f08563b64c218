"""The summit-resilience CrossGuard pack: `pulumi preview --policy-pack policy --policy-pack-config …`."""

import sys
from pathlib import Path

# The CLI runs this file with the pack directory as working directory; its modules import as `policy.*`
# (the same names preflight and the tests use), so the directory above the pack goes on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.policies import ALL

PolicyPack(
    name="summit-resilience",
    policies=ALL,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Retention, budgets with a preview-time cost estimate, DR posture and recovery budget.",
)
