"""Preflight wall time per stack against the import floor. Medians of several runs, each a fresh process.

    .venv/bin/python benchmarks/preflight_bench.py [--runs 5] [--stacks dev stage prod]

Two floors:
* the package floor `python -c "import pulumi, pulumi_aws, pulumi_kubernetes, pulumi_policy"` (the issue's
  reference; those packages load their submodules lazily, so it imports almost none of the SDK);
* the program floor: a fresh process importing exactly the pulumi_* submodules a preflight of that stack
  loads (measured by running it once). Any `pulumi preview` of this program pays that cost too, because
  pulumi_aws builds thousands of typed classes when e.g. `pulumi_aws.wafv2` is imported.
Target: preflight (with the policy pack) ≤ 3× the package floor.

AWS's rules (policy/awsrules: the aws-api-model and aws-service-limits policies, and the coverage summary preflight
computes) are measured as their share of a preflight: each stack also runs with a policy config that disables those
two policies (samples interleaved, so machine load hits both alike), and the checks alone are timed in a fresh
process after the program ran (model loading included). Target: the checks add ≤ 10 % to a prod preflight.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
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


AWS_RULE_POLICIES = ("aws-api-model", "aws-service-limits")

CHECKS_ALONE = """
import sys, time
from tests.harness import run_stack
from preflight.analysis import aws_rule_resources, _model_value
from policy.awsrules import limits
from policy.awsrules.modelcheck import summarize
from policy.resources import region_of
run = run_stack(sys.argv[1])
start = time.perf_counter()
summarize(aws_rule_resources(run))
by_urn = {r.urn: r for r in run.resources}
limits.check([
    limits.Res(r.type, r.urn, r.name,
               region_of(_model_value(r.inputs), _model_value(by_urn[r.provider].inputs) if r.provider else None),
               _model_value(r.inputs), r.property_dependencies)
    for r in run.resources
])
print(f"{time.perf_counter() - start:.4f}")
"""


def without_aws_rules(stack: str, directory: Path) -> Path:
    """The stack's policy config with the AWS-rule policies disabled (the "before" of the checks' share)."""
    doc = json.loads((ROOT / "policy" / "config" / f"{stack}.json").read_text(encoding="utf-8"))
    for name in AWS_RULE_POLICIES:
        doc[name] = {"enforcementLevel": "disabled"}
    path = directory / f"{stack}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def checks_alone(stack: str) -> float:
    proc = subprocess.run([sys.executable, "-c", CHECKS_ALONE, stack], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"timing the checks of {stack} failed: {proc.stderr.strip()}")
    return float(proc.stdout.split()[-1])


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
    print(
        f"{'stack':<8}{'median':>9}{'min':>8}{'max':>8}{'x floor':>9}{'program floor':>15}{'x prog':>8}"
        f"{'no AWS rules':>14}{'AWS rules':>11}{'checks alone':>14}"
    )
    worst = worst_program = worst_share = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for stack in args.stacks:
            command = [sys.executable, "-m", "preflight", "--stack", stack, "--format", "json"]
            before_cmd = [*command, "--policy-pack-config", str(without_aws_rules(stack, Path(tmp)))]
            samples, before = [], []
            for _ in range(args.runs):
                samples.append(timed(command))
                before.append(timed(before_cmd))
            prog_cmd = program_floor_cmd(stack)
            prog = statistics.median(timed(prog_cmd) for _ in range(args.runs))
            alone = statistics.median(checks_alone(stack) for _ in range(args.runs))
            med, base = statistics.median(samples), statistics.median(before)
            share = (med - base) / base
            worst, worst_program = max(worst, med / floor), max(worst_program, med / prog)
            worst_share = max(worst_share, share)
            print(
                f"{stack:<8}{med:>8.2f}s{min(samples):>7.2f}s{max(samples):>7.2f}s{med / floor:>8.2f}x"
                f"{prog:>14.2f}s{med / prog:>7.2f}x{base:>13.2f}s{share:>+10.1%}{alone:>13.3f}s"
            )
    print(f"worst ratio: {worst:.2f}x the package floor (target ≤ 3.00x); {worst_program:.2f}x the program floor")
    print(f"AWS rules: worst share {worst_share:+.1%} of a preflight (target ≤ +10 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
