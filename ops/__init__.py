"""DR drill, failover and backup verification tooling: `python -m ops verify|drill|failback|failover|lab`.

Inputs are the stack outputs exactly as `pulumi stack output --json --show-secrets` prints them (ops.outputs);
every AWS call goes through ops.aws (retries, request-id capture, deletes refused); time and the outside world
(health status, DNS, HTTP probes, canary rows) come through ops.clock / ops.observers so tests drive timelines.
"""
