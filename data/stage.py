"""What a stage builder returns: a Keras layer and where it runs.

Stages that are not `training_only` are deterministic preprocessing: they run
on every split in tf.data and again inside the exported serving graph.
`training_only` stages (augmentation) run on training batches only and take a
batch dict `{"images": ..., "labels": ...}`.

Example:
    >>> import keras
    >>> Stage("rescale", keras.layers.Rescaling(1 / 255)).training_only
    False
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Stage:
    """A built stage.

    Attributes:
        name: The stage's name in the spec.
        layer: The Keras layer (or callable) that does the work.
        training_only: Runs on training batches only (augmentation).
        adapt: Learn the layer's state from the training split (`layer.adapt`).
        moves_pixels: A geometric stage (resize): it gets `{"images", <target>}`
            like augmentation does, so segmentation masks move with the pixels.
        save_assets: Writes the state learned or loaded (a vocabulary) into a
            folder, for the run's artifacts; None when there is nothing to keep.
    """

    name: str
    layer: Any
    training_only: bool = False
    adapt: bool = False
    moves_pixels: bool = False
    save_assets: Callable[[Path], Any] | None = None
