"""Preflight wall time per stack against the import floor. Medians of several runs, each a fresh process.

    .venv/bin/python benchmarks/preflight_bench.py [--runs 5] [--stacks dev stage prod]

The floor is `python -c "import pulumi, pulumi_aws, pulumi_kubernetes, pulumi_policy"`: no preflight can
start faster than its imports. Target: preflight (with the policy pack) ≤ 3× the floor.
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


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--stacks", nargs="+", default=["dev", "stage", "prod"])
    args = p.parse_args()
    timed(FLOOR)  # warm the file cache once so the first sample is not an outlier
    floor = statistics.median(timed(FLOOR) for _ in range(args.runs))
    print(f"import floor: median {floor:.2f}s over {args.runs} runs")
    print(f"{'stack':<8}{'median':>9}{'min':>8}{'max':>8}{'x floor':>9}")
    worst = 0.0
    for stack in args.stacks:
        samples = [
            timed([sys.executable, "-m", "preflight", "--stack", stack, "--format", "json"]) for _ in range(args.runs)
        ]
        med = statistics.median(samples)
        worst = max(worst, med / floor)
        print(f"{stack:<8}{med:>8.2f}s{min(samples):>7.2f}s{max(samples):>7.2f}s{med / floor:>8.2f}x")
    print(f"worst ratio: {worst:.2f}x (target ≤ 3.00x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
