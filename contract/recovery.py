"""Recovery constants the program, the policy pack and the settings each used to write down."""

from __future__ import annotations

# S3 Replication Time Control: ReplicationTimeValue.Minutes "Valid value: 15" (botocore s3 model, shape
# ReplicationTimeValue) — 99.99 % of objects within 15 minutes. components/storage.py sets it and alarms on it,
# the pack checks it (policy/awsrules/limits.py, policy/policies/dr_posture.py) and counts it as S3's RPO
# (policy/recovery.py).
RTC_MINUTES = 15
RTC_SECONDS = RTC_MINUTES * 60

# The objectives (seeds: 5-minute RPO, 15-minute RTO). settings/data.py keeps the replica-lag alarm below the RPO;
# the pack's recovery-budget config defaults to both (policy/policies/dr_posture.py OBJECTIVES_SCHEMA).
RPO_SECONDS = 300
RTO_SECONDS = 900

# The recovery-budget policy's config (policy/config/<stack>.json): the pack declares and defaults it
# (policy/policies/dr_posture.py), ops reads the objectives from it (ops/objectives.py), preflight reports it.
RECOVERY_BUDGET_POLICY = "recovery-budget"
RTO_KEY, RPO_KEY, RPO_BY_CLASS_KEY = "rtoSeconds", "rpoSeconds", "rpoSecondsByClass"
DB_PROMOTION_KEY, APP_RECONNECT_KEY = "dbPromotionSeconds", "appReconnectSeconds"
