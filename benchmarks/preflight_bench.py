"""Preflight wall time per stack against the import floor. Medians of several runs, each a fresh process.

    .venv/bin/python benchmarks/preflight_bench.py [--runs 5] [--stacks dev stage prod]

Two floors:
* the package floor `python -c "import pulumi, pulumi_aws, pulumi_kubernetes, pulumi_policy"` (the issue's
  reference; those packages load their submodules lazily, so it imports almost none of the SDK);
* the program floor: a fresh process importing exactly the pulumi_* submodules a preflight of that stack
  loads (measured by running it once). Any `pulumi preview` of this program pays that cost too, because
  pulumi_aws builds thousands of typed classes when e.g. `pulumi_aws.wafv2` is imported.
Target: preflight (with the policy pack) ≤ 3× the package floor.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = [sys.executable, "-c", "import pulumi, pulumi_aws, pulumi_kubernetes, pulumi_policy"]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")
    return elapsed


LIST_MODULES = """
import contextlib, io, sys
from preflight.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    main(["--stack", sys.argv[1], "--no-policy", "--format", "json"])
sdk = ("pulumi_aws", "pulumi_kubernetes", "pulumi_random")
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in sdk)))
"""


def program_floor_cmd(stack: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", LIST_MODULES, stack], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"listing the modules of {stack} failed: {proc.stderr.strip()}")
    modules = proc.stdout.split()
    return [sys.executable, "-c", "import pulumi, pulumi_policy\n" + "\n".join(f"import {m}" for m in modules)]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--stacks", nargs="+", default=["dev", "stage", "prod"])
    args = p.parse_args()
    timed(FLOOR)  # warm the file cache once so the first sample is not an outlier
    floor = statistics.median(timed(FLOOR) for _ in range(args.runs))
    print(f"import floor: median {floor:.2f}s over {args.runs} runs")
    print(f"{'stack':<8}{'median':>9}{'min':>8}{'max':>8}{'x floor':>9}{'program floor':>15}{'x prog':>8}")
    worst = worst_program = 0.0
    for stack in args.stacks:
        command = [sys.executable, "-m", "preflight", "--stack", stack, "--format", "json"]
        samples = [timed(command) for _ in range(args.runs)]
        prog_cmd = program_floor_cmd(stack)
        prog = statistics.median(timed(prog_cmd) for _ in range(args.runs))
        med = statistics.median(samples)
        worst, worst_program = max(worst, med / floor), max(worst_program, med / prog)
        print(
            f"{stack:<8}{med:>8.2f}s{min(samples):>7.2f}s{max(samples):>7.2f}s{med / floor:>8.2f}x"
            f"{prog:>14.2f}s{med / prog:>7.2f}x"
        )
    print(f"worst ratio: {worst:.2f}x the package floor (target ≤ 3.00x); {worst_program:.2f}x the program floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
