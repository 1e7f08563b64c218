"""Seed 000's synthetic checks as a CloudWatch Synthetics canary (syn-python-selenium runtime): gateway_probe.py."""
