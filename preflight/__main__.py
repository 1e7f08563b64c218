from preflight.cli import entrypoint

entrypoint()
