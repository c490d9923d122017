"""Figures people look at instead of reading numbers: curves, confusion matrix, image grids.

Every function returns a matplotlib Figure (Agg backend, nothing shown).

Example:
    >>> fig = training_curves({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    >>> fig.savefig("/tmp/curves.png")
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def training_curves(history: dict[str, list[float]]):
    """One panel per metric, training and validation overlaid, x = epoch."""
    names = sorted({k.removeprefix("val_") for k in history if k != "learning_rate"})
    cols = min(len(names), 3) or 1
    rows = math.ceil(len(names) / cols) or 1
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.2 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        for key, style in ((name, "-"), (f"val_{name}", "--")):
            if key in history:
                values = history[key]
                ax.plot(range(1, len(values) + 1), values, style, marker="o", ms=3, label=key)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.legend()
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def confusion_matrix(y_true, y_pred, class_names: list[str], title: str = "test split"):
    """Confusion matrix with counts, rows = true class."""
    from sklearn.metrics import ConfusionMatrixDisplay

    size = max(4.0, 0.45 * len(class_names) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=list(range(len(class_names))), display_labels=class_names,
        ax=ax, colorbar=False, xticks_rotation=45 if len(class_names) > 6 else "horizontal",
    )
    ax.set_title(f"Confusion matrix ({title})")
    fig.tight_layout()
    return fig


def image_grid(images: np.ndarray, titles: list[str], columns: int = 8, title: str = ""):
    """A grid of images, each scaled to its own min..max for display."""
    count = len(images)
    rows = max(1, math.ceil(count / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.8 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, label in zip(axes.flat, images, titles):
        image = np.asarray(image, dtype="float32")
        low, high = float(image.min()), float(image.max())
        image = (image - low) / (high - low) if high > low else np.zeros_like(image)
        ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray" if image.shape[-1] == 1 else None)
        ax.set_title(label, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def bar_chart(values: dict[str, float], title: str, ylabel: str, limit: tuple[float, float] | None = None):
    """Horizontal bars, one per name (per-class F1, label counts), value written at each bar's end.

    Example:
        >>> fig = bar_chart({"B-PER": 0.9, "O": 0.99}, "F1 per tag", "F1", limit=(0, 1))
    """
    names = list(values)
    fig, ax = plt.subplots(figsize=(6, max(2.0, 0.35 * len(names) + 1)))
    bars = ax.barh(names, [values[n] for n in names], color="tab:blue")
    ax.bar_label(bars, fmt="%.3g", padding=2, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(ylabel)
    if limit:
        ax.set_xlim(*limit)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def mask_grid(images: np.ndarray, masks: list[np.ndarray], titles: list[str], num_classes: int,
              columns: int = 4, title: str = ""):
    """Images with class-id masks overlaid (one color per class, background 0 left clear).

    Each entry of `masks` is a list of [H, W] masks drawn side by side after the
    image (e.g. true and predicted).

    Example:
        >>> fig = mask_grid(np.zeros((1, 8, 8, 3)), [[np.eye(8, dtype=int)]], ["a"], num_classes=2)
    """
    panels = 1 + len(masks[0]) if masks else 1
    rows = max(1, math.ceil(len(images) / columns))
    fig, axes = plt.subplots(rows, columns * panels, figsize=(1.8 * columns * panels, 1.9 * rows), squeeze=False)
    colors = plt.get_cmap("tab10" if num_classes <= 10 else "tab20")
    for ax in axes.flat:
        ax.axis("off")
    for index, (image, overlays, label) in enumerate(zip(images, masks, titles)):
        row, col = divmod(index, columns)
        image = np.asarray(image, dtype="float32")
        low, high = float(image.min()), float(image.max())
        image = (image - low) / (high - low) if high > low else np.zeros_like(image)
        image = np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image
        for panel, mask in enumerate([None, *overlays]):
            ax = axes[row][col * panels + panel]
            ax.imshow(image)
            if mask is not None:
                mask = np.asarray(mask)
                rgba = colors(mask % colors.N)
                rgba[..., 3] = np.where(mask > 0, 0.55, 0.0)
                ax.imshow(rgba)
            ax.set_title(label if panel == 0 else ("true", "predicted", "")[min(panel - 1, 2)], fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def box_grid(images: np.ndarray, boxes: list[list[dict]], class_names: list[str], panel_titles: tuple[str, ...] = (),
             columns: int = 4, title: str = ""):
    """Images with boxes drawn (one color per class), one panel per set of boxes (e.g. true and predicted).

    Each entry of `boxes` is a list of dicts, one per panel: `boxes` (k, 4) xyxy
    pixels of the image as shown, `classes` (k,) and optionally `scores` (k,),
    written after the class name.

    Example:
        >>> truth = {"boxes": np.array([[1, 1, 6, 5]]), "classes": np.array([0])}
        >>> found = {**truth, "scores": np.array([0.9])}
        >>> fig = box_grid(np.zeros((1, 8, 8, 3)), [[truth, found]], ["cat"], panel_titles=("true", "predicted"))
    """
    from matplotlib.patches import Rectangle

    panels = len(boxes[0]) if boxes else 1
    rows = max(1, math.ceil(len(images) / columns))
    fig, axes = plt.subplots(rows, columns * panels, figsize=(2.2 * columns * panels, 2.3 * rows), squeeze=False)
    colors = plt.get_cmap("tab10" if len(class_names) <= 10 else "tab20")
    for ax in axes.flat:
        ax.axis("off")
    for index, (image, sets) in enumerate(zip(images, boxes)):
        row, col = divmod(index, columns)
        image = np.asarray(image, dtype="float32")
        low, high = float(image.min()), float(image.max())
        image = (image - low) / (high - low) if high > low else np.zeros_like(image)
        for panel, found in enumerate(sets):
            ax = axes[row][col * panels + panel]
            ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray" if image.shape[-1] == 1 else None)
            height, width = image.shape[:2]
            scores = found.get("scores", [None] * len(found["classes"]))
            for box, class_id, score in zip(np.asarray(found["boxes"]), found["classes"], scores):
                x1, y1, x2, y2 = np.clip(box, 0, [width, height, width, height])
                color = colors(int(class_id) % colors.N)
                ax.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, edgecolor=color,
                                       linewidth=1.5))
                label = class_names[int(class_id)] + ("" if score is None else f" {float(score):.2f}")
                ax.text(x1 - 0.5, y1 - 0.5, label, color="white", fontsize=6, va="top", clip_on=True,
                        bbox={"facecolor": color, "alpha": 0.7, "pad": 0.5, "linewidth": 0})
            if panel < len(panel_titles):
                ax.set_title(panel_titles[panel], fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig

