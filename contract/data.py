"""Data facts the settings, the components, the policy pack and ops all name."""

from __future__ import annotations

# Bucket purposes the platform knows, and the `data-class` tag each carries (the policy pack keys on it; settings
# accept these purposes; components/storage.py tags with them; ops/outputs.py accepts them in the `buckets` output).
BUCKET_DATA_CLASS: dict[str, str] = {"backups": "backups", "audit-logs": "audit", "data": "data", "archive": "archive"}
BUCKET_PURPOSES: tuple[str, ...] = tuple(BUCKET_DATA_CLASS)
