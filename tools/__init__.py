"""Developer tooling run by the Makefile (not part of the Pulumi program)."""
