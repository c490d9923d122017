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

from dataclasses import dataclass
from typing import Any


@dataclass
class Stage:
    """A built stage.

    Attributes:
        name: The stage's name in the spec.
        layer: The Keras layer (or callable) that does the work.
        training_only: Runs on training batches only (augmentation).
        adapt: Learn the layer's state from the training split (`layer.adapt`).
    """

    name: str
    layer: Any
    training_only: bool = False
    adapt: bool = False
