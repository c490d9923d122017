"""The plots of `kpipe compare`: every run's learning curves overlaid, and params against the metric.

With one varying param the second plot is a scatter of the param against the metric; with
more, parallel coordinates (one vertical axis per param, then the metric; one line per run,
coloured by the metric); with none, the metric per run.

Example:
    >>> figures = comparison_figures(comparison)   # doctest: +SKIP
    >>> sorted(figures)                             # doctest: +SKIP
    ['learning_curves.png', 'params_vs_val_accuracy.png']
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from pipelines.compare import Comparison


def learning_curves(comparison: Comparison):
    """One panel per per-epoch metric (the chosen one, val_loss, loss), one line per run."""
    keys = [key for key in dict.fromkeys(k for row in comparison.rows for k in row.history) if key]
    fig, axes = plt.subplots(1, max(len(keys), 1), figsize=(5 * max(len(keys), 1), 3.6), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        for row in comparison.rows:
            points = row.history.get(key)
            if points:
                ax.plot([step + 1 for step, _ in points], [value for _, value in points], marker="o", ms=3,
                        label=row.run_name or row.run_id[:8])
        ax.set_title(key)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    if not keys:
        axes.flat[0].text(0.5, 0.5, "no per-epoch metrics", ha="center", va="center")
        axes.flat[0].axis("off")
    else:
        axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def _axis(values: list[str]) -> tuple[list[float], list[tuple[float, str]], bool]:
    """Positions in [0, 1] for a param's values, the ticks to label, and whether it is numeric."""
    try:
        numbers = [float(value) for value in values]
    except ValueError:
        categories = sorted(set(values))
        span = max(len(categories) - 1, 1)
        return ([categories.index(v) / span for v in values],
                [(i / span, c) for i, c in enumerate(categories)], False)
    log = min(numbers) > 0 and max(numbers) / min(numbers) >= 10
    scaled = [math.log10(n) for n in numbers] if log else numbers
    low, high = min(scaled), max(scaled)
    span = (high - low) or 1.0
    return ([(s - low) / span for s in scaled],
            [((s - low) / span, value) for s, value in sorted(set(zip(scaled, values)))], True)


def params_vs_metric(comparison: Comparison):
    """The varying params against the chosen metric's final value (runs without it are left out)."""
    metric = comparison.metric
    rows = [row for row in comparison.rows if row.metrics.get(metric) is not None]
    scores = [row.metrics[metric] for row in rows]
    if len(comparison.varying) == 1:
        key = comparison.varying[0]
        positions, ticks, numeric = _axis([row.params.get(key, "") for row in rows])
        fig, ax = plt.subplots(figsize=(5, 3.6))
        ax.scatter(positions, scores, c=scores, cmap="viridis")
        ax.set_xticks([p for p, _ in ticks], [label for _, label in ticks], rotation=30 if not numeric else 0)
        ax.set_xlabel(key)
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    elif comparison.varying:
        axes_keys = comparison.varying
        fig, ax = plt.subplots(figsize=(2.2 * (len(axes_keys) + 1) + 1, 4.2))
        columns = [_axis([row.params.get(key, "") for row in rows]) for key in axes_keys]
        low, high = (min(scores), max(scores)) if scores else (0.0, 1.0)
        span = (high - low) or 1.0
        norm = plt.Normalize(low, high)
        for index, (row, score) in enumerate(zip(rows, scores)):
            ys = [column[0][index] for column in columns] + [(score - low) / span]
            ax.plot(range(len(ys)), ys, color=plt.cm.viridis(norm(score)), marker="o", alpha=0.8)
        for x, (_, ticks, _) in enumerate(columns):
            ax.axvline(x, color="grey", lw=0.8)
            for y, label in ticks:
                ax.annotate(label, (x, y), xytext=(4, 0), textcoords="offset points", fontsize=7, va="center")
        ax.axvline(len(columns), color="grey", lw=0.8)
        for y, value in ((0.0, low), (1.0, high)):
            ax.annotate(f"{value:.4g}", (len(columns), y), xytext=(4, 0), textcoords="offset points", fontsize=7)
        ax.set_xticks(range(len(columns) + 1), [*axes_keys, metric], rotation=15, fontsize=8)
        ax.set_yticks([])
        ax.set_xlim(-0.2, len(columns) + 0.4)
        fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=ax, label=metric)
    else:
        fig, ax = plt.subplots(figsize=(5, 3.6))
        ax.bar([row.run_name or row.run_id[:8] for row in rows], scores)
        ax.set_ylabel(metric)
        ax.tick_params(axis="x", rotation=30)
    ax.set_title(f"params vs {metric}")
    fig.tight_layout()
    return fig


def comparison_figures(comparison: Comparison) -> dict:
    """The comparison's figures by file name: learning curves, and params against the metric."""
    return {"learning_curves.png": learning_curves(comparison),
            f"params_vs_{comparison.metric}.png": params_vs_metric(comparison)}


def write_figures(figures: dict, folder: str | Path) -> list[Path]:
    """Save figures as PNGs in `folder` (created) and close them; the paths written.

    Example:
        >>> write_figures(comparison_figures(comparison), "compare/digits")   # doctest: +SKIP
        [PosixPath('compare/digits/learning_curves.png'), PosixPath('compare/digits/params_vs_val_accuracy.png')]
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, figure in figures.items():
        path = folder / name
        figure.savefig(path, dpi=100)
        plt.close(figure)
        paths.append(path)
    return paths
