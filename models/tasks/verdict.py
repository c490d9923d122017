"""The plain sentence a run ends with: did the neural model beat its baselines, and by how much.

Example:
    >>> beat_baselines("accuracy", 0.91, {"majority class": 0.6, "linear": 0.88, "tree": 0.90}, higher_is_better=True)
    ['Neural model accuracy 0.91 beat every baseline: the best, tree, scored 0.9 (by 0.01). Majority class 0.6, linear 0.88, tree 0.9.']
"""

from __future__ import annotations


def beat_baselines(metric: str, value: float, baselines: dict[str, float], *, higher_is_better: bool) -> list[str]:
    """One sentence: the model's `metric` against the best of `baselines`, and every baseline's score."""
    better = max if higher_is_better else min
    best = better(baselines, key=baselines.get)
    margin = value - baselines[best] if higher_is_better else baselines[best] - value
    listed = ", ".join(f"{name} {score:.4g}" for name, score in baselines.items())
    listed = listed[0].upper() + listed[1:]
    if margin > 0:
        head = f"Neural model {metric} {value:.4g} beat every baseline: the best, {best}, scored {baselines[best]:.4g}"
        return [f"{head} (by {margin:.4g}). {listed}."]
    head = f"Neural model {metric} {value:.4g} did NOT beat the {best} baseline's {baselines[best]:.4g}"
    return [f"{head} (short by {-margin:.4g}). {listed}."]
