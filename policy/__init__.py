"""The summit-resilience CrossGuard policy pack and the pure cost and recovery models it shares with preflight."""
