"""Publishes the days since the newest successful drill (ChaosDrillNotRun reads it)."""
