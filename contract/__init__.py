"""Facts more than one layer reads, written down once: stack outputs, data classes, recovery constants, cron, values.

The program (`__main__.py`, components, settings), the policy pack (`policy/`, run by the Pulumi CLI from its own
virtualenv with only policy/requirements.txt installed), preflight and `ops/` all import from here. So this package
imports the standard library only — tests/test_contract.py runs the pack the CLI way to hold that line.
"""
