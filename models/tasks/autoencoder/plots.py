"""Autoencoder plots: test images above their reconstructions, and the scores of normal and anomalous images.

Example:
    >>> images = np.zeros((2, 8, 8, 1), "float32")
    >>> figure = reconstruction_grid(images, images, np.array([0.1, 0.9]), np.array([0, 1]), threshold=0.5)
    >>> len(figure.axes)
    4
"""

from __future__ import annotations

import numpy as np


def reconstruction_grid(images, reconstructions, scores, anomalous, threshold: float):
    """Two rows: the images (titled normal/anomaly and their score) and their reconstructions."""
    import matplotlib.pyplot as plt

    count = max(len(images), 1)
    figure, axes = plt.subplots(2, count, figsize=(1.4 * count, 3.2), squeeze=False)
    for column in range(count):
        for row, source in enumerate((images, reconstructions)):
            axis = axes[row, column]
            axis.axis("off")
            if column >= len(images):
                continue
            picture = np.asarray(source[column], "float32")
            low, high = float(images[column].min()), float(images[column].max())
            picture = np.clip((picture - low) / max(high - low, 1e-6), 0, 1)
            axis.imshow(picture[..., 0] if picture.shape[-1] == 1 else picture, cmap="gray")
            if row == 0:
                kind = "anomaly" if anomalous[column] else "normal"
                flag = "!" if scores[column] >= threshold else ""
                axis.set_title(f"{kind}\n{scores[column]:.3g}{flag}", fontsize=7)
    figure.suptitle("Test images (score; ! flagged) and their reconstructions", fontsize=9)
    figure.tight_layout()
    return figure


def score_histogram(scores, anomalous, threshold: float):
    """Histograms of the normal and anomalous images' scores, and the threshold."""
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 3.5))
    bins = np.histogram_bin_edges(scores, bins=40)
    for label, name in ((0, "normal"), (1, "anomaly")):
        axis.hist(scores[anomalous == label], bins=bins, alpha=0.6, label=name)
    axis.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.3g}")
    axis.set_xlabel("reconstruction error (score)")
    axis.set_ylabel("test images")
    axis.legend()
    figure.tight_layout()
    return figure
