"""How long a hostile config file takes to refuse. Budget: every input below is refused within a second.

    .venv/bin/python benchmarks/reject_bench.py [--runs 5]

Each input is the worst of its kind that fits under the 64 KiB cap (an alias bomb, 5,000 nested brackets, the
densest valid YAML, a file just over the cap, …), read through `settings.files` as preflight reads it — with
libyaml and with PyYAML's pure-Python parser (the fallback when PyYAML is built without libyaml). Prints the
median and worst wall time per input; exits 1 when any worst time is over the budget.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from settings import ConfigError, files  # noqa: E402 (after the path set-up above)

BUDGET_S = 1.0
CAP = files.MAX_FILE_BYTES


def _yaml_inputs() -> dict[str, str]:
    bomb = 'config:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"  {chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
    )
    dense_line = "  k{}: [a, b, c, {{x: 1}}, [d, e]]\n"
    dense = "config:\n"
    i = 0
    while len(dense) + len(dense_line) + 8 < CAP:
        dense += dense_line.format(i)
        i += 1
    # Just under MAX_YAML_NODES (each line is 12 nodes): the most work an accepted file can ask for.
    dense_under_nodes = "config:\n" + "".join(dense_line.format(k) for k in range(files.MAX_YAML_NODES // 12 - 1))
    return {
        "alias bomb": bomb,
        "5,000 nested brackets": "config:\n  x: " + "[" * 5000 + "]" * 5000 + "\n",
        "5,000 nested mappings": "config:\n  x: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
        "brackets up to the cap": "config:\n  x: " + "[" * (CAP - 20) + "\n",
        "densest YAML under the cap (too many nodes)": dense,
        "duplicate key at the last node allowed": dense_under_nodes + "  k0: 1\n",
        "Pulumi.yaml (valid)": (ROOT / "Pulumi.yaml").read_text(),
        "one byte over the cap": "#" * (CAP + 1),
    }


def _json_inputs() -> dict[str, str]:
    entries = ",\n".join(f'  "p{i}": {{"enforcementLevel": "advisory", "x": [1, 2, 3]}}' for i in range(1000))
    return {
        "JSON: 5,000 nested brackets": '{"a": ' + "[" * 5000 + "]" * 5000 + "}",
        "JSON: brackets up to the cap": "[" * (CAP - 1),
        "JSON: duplicate key at the end": "{\n" + entries + ',\n  "p0": "disabled"\n}\n',
        "JSON: NaN": '{"a": {"x": NaN}}',
    }


def _time(read: Callable[[Path, str], object], path: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with contextlib.suppress(ConfigError):  # refusing is the expected outcome; the time is what counts
            read(path, path.name)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input"
        loaders = [("libyaml", getattr(yaml, "CSafeLoader", yaml.SafeLoader)), ("pure Python", yaml.SafeLoader)]
        for loader_name, loader in loaders:
            files._LOADER = loader
            for name, text in _yaml_inputs().items():
                path.write_text(text)
                t = _time(files.load_yaml, path, args.runs)
                rows.append((f"{name} ({loader_name})", statistics.median(t), max(t)))
        for name, text in _json_inputs().items():
            path.write_text(text)
            t = _time(files.load_json, path, args.runs)
            rows.append((name, statistics.median(t), max(t)))
    width = max(len(r[0]) for r in rows)
    print(f"{'input':<{width}}  median    worst")
    for name, median, worst in rows:
        print(f"{name:<{width}}  {median * 1000:6.1f} ms {worst * 1000:6.1f} ms")
    over = [r[0] for r in rows if r[2] > BUDGET_S]
    if over:
        print(f"over the {BUDGET_S:.0f} s budget: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
