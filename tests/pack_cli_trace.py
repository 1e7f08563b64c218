"""Start the policy pack the way the Pulumi CLI does, then record every module it imported (tests/test_contract.py).

Run as `python -I tests/pack_cli_trace.py OUT` with the pack directory as working directory: the CLI runs
`python -m pulumi.policy ENGINE PACK_DIR` there, which puts the working directory first on sys.path and runs the
pack's __main__.py. `-I` drops PYTHONPATH, the user site and the script's own directory, so the repository is
reachable only the way the pack itself makes it reachable. PolicyPack serves until interrupted: its wait is cut
short once it has printed its port, so the pack loads completely and then exits 0.
"""

import atexit
import json
import os
import runpy
import sys
import types

sys.path.insert(0, os.getcwd())  # `python -m` puts the working directory (the pack) first
out = sys.argv[1]


def _record() -> None:
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({name: getattr(m, "__file__", None) for name, m in list(sys.modules.items())}, handle)


atexit.register(_record)

import pulumi_policy.policy  # noqa: E402 (after the recorder: this import is the pack's own)


def _interrupt(_seconds: float) -> None:
    raise KeyboardInterrupt  # PolicyPack's serve loop stops its server on KeyboardInterrupt and returns


pulumi_policy.policy.time = types.SimpleNamespace(sleep=_interrupt)  # type: ignore[attr-defined]
sys.argv = ["pulumi.policy", "127.0.0.1:1", os.getcwd()]  # the engine is never dialled: nothing is analyzed
runpy.run_module("pulumi.policy", run_name="__main__")
