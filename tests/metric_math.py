"""Evaluate a CloudWatch metric-math expression at one datapoint, for the subset the alarms use.

Supported: numbers, query ids, + - * /, unary minus, parentheses, and RATE(id) — "the rate of change of the
metric per second: the difference between the latest and the previous datapoint divided by the seconds between
them" (CloudWatch User Guide, "Metric math syntax and functions"). Anything else raises, so an alarm that starts
using another function fails its test instead of being evaluated wrongly.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence


def evaluate(expression: str, series: Mapping[str, Sequence[float]], period_seconds: int) -> float:
    """The expression at the latest datapoint; `series` holds each query id's datapoints, oldest first."""

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.Name):
            return float(series[node.id][-1])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp):
            left, right = value(node.left), value(node.right)
            ops = {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right}
            if isinstance(node.op, ast.Div):
                return left / right
            if type(node.op) in ops:
                return ops[type(node.op)]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "RATE":
            (arg,) = node.args
            assert isinstance(arg, ast.Name), "RATE takes a query id here"
            points = series[arg.id]
            return (points[-1] - points[-2]) / period_seconds
        raise ValueError(f"unsupported metric math: {ast.dump(node)}")

    return value(ast.parse(expression, mode="eval"))
