"""Code this stack deploys as CloudWatch Synthetics canaries, one package per canary script."""
