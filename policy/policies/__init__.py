"""Every policy of the pack, by area. Add a policy to its area module's POLICIES list (policy/README.md)."""

from __future__ import annotations

from pulumi_policy import Policy

from policy.policies import aws_backup, aws_rules, budgets, dr_posture, edge, retention, tags

ALL: list[Policy] = [
    *retention.POLICIES,
    *aws_backup.POLICIES,
    *budgets.POLICIES,
    *tags.POLICIES,
    *aws_rules.POLICIES,
    *dr_posture.POLICIES,
    *edge.POLICIES,
]
