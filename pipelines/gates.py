"""Export gates: metric thresholds (`test_accuracy >= 0.95`) that must hold before a version is written.

Example:
    >>> failed_gates(["test_accuracy >= 0.95"], {"test_accuracy": 0.9})
    ['test_accuracy >= 0.95 (got 0.9)']
"""

from __future__ import annotations

import operator
import re

_OPERATORS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
_GATE = re.compile(r"^\s*(?P<metric>[A-Za-z_][\w.]*)\s*(?P<op>>=|<=|>|<)\s*(?P<value>\S+)\s*$")


def parse_gate(gate: str) -> tuple[str, str, float]:
    """(metric, operator, threshold) of a gate; ValueError if it is not `metric op number`.

    Example:
        >>> parse_gate("test_accuracy >= 0.95")
        ('test_accuracy', '>=', 0.95)
    """
    match = _GATE.match(gate)
    try:
        return match["metric"], match["op"], float(match["value"])
    except (TypeError, ValueError):
        raise ValueError("expected 'metric >= number' (operators: >=, <=, >, <)") from None


def failed_gates(gates: list[str], metrics: dict[str, float]) -> list[str]:
    """The gates that do not hold for `metrics` (a missing metric fails its gate)."""
    failures = []
    for gate in gates:
        metric, op, value = parse_gate(gate)
        if metric not in metrics:
            failures.append(f"{gate.strip()} (no metric {metric!r}; have: {', '.join(sorted(metrics))})")
        elif not _OPERATORS[op](metrics[metric], value):
            failures.append(f"{gate.strip()} (got {metrics[metric]:.6g})")
    return failures
