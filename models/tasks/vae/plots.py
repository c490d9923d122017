"""VAE plots: the test images' codes in two dimensions, coloured by class.

Example:
    >>> figure = code_scatter(np.random.default_rng(0).normal(size=(20, 4)), np.arange(20) % 2, ["a", "b"])
    >>> figure.axes[0].get_xlabel()
    'component 1'
"""

from __future__ import annotations

import numpy as np


def code_scatter(codes: np.ndarray, labels: np.ndarray, class_names: list[str]):
    """The codes' first two principal components (the code itself when it has two units), one colour per class."""
    import matplotlib.pyplot as plt

    codes = np.asarray(codes, "float64")
    if codes.shape[1] > 2:
        from sklearn.decomposition import PCA

        codes = PCA(n_components=2).fit_transform(codes)
    elif codes.shape[1] == 1:
        codes = np.concatenate([codes, np.zeros_like(codes)], axis=1)
    figure, axis = plt.subplots(figsize=(5.5, 5))
    for index, name in enumerate(class_names or ["examples"]):
        chosen = labels == index if class_names else np.ones(len(codes), bool)
        axis.scatter(codes[chosen, 0], codes[chosen, 1], s=8, alpha=0.7, label=name)
    axis.set_xlabel("component 1")
    axis.set_ylabel("component 2")
    axis.set_title("Test images' codes (means), first two principal components")
    if len(class_names) <= 20:
        axis.legend(fontsize=7, markerscale=2)
    figure.tight_layout()
    return figure
