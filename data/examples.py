"""What a source hands to the pipeline: examples, labels and how to decode them.

Example:
    >>> import numpy as np
    >>> examples = Examples(np.zeros((2, 8, 8, 1), "uint8"), np.array([0, 1]), ["a", "b"])
    >>> examples.input_shape
    (8, 8, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np


@dataclass
class Examples:
    """Examples from one source, before the split.

    Attributes:
        inputs: One row per example: images (N, H, W, C) as uint8, or file paths
            (N,) as str when `decode` turns a path into an image.
        labels: Class ids (N,), int64.
        class_names: Names of the class ids, in id order.
        decode: A TensorFlow function from one input to a float32 image in
            [0, 255]; None when `inputs` already are images.
        image_shape: The (H, W, C) of decoded images; taken from `inputs`
            when they are images.
        skipped: Bad records skipped under `on_bad_record: skip`.
        origin: Where the examples came from, for messages and tags.
    """

    inputs: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    decode: Optional[Callable] = None
    image_shape: Optional[tuple[int, int, int]] = None
    skipped: int = 0
    origin: str = ""
    skipped_records: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.labels = np.asarray(self.labels, dtype="int64")
        if len(self.inputs) != len(self.labels):
            raise ValueError(f"{len(self.inputs)} inputs but {len(self.labels)} labels")

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one decoded example."""
        return tuple(self.image_shape) if self.image_shape else tuple(self.inputs.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def subset(self, indices: np.ndarray) -> "Examples":
        """The examples at `indices`, sharing decode and class names."""
        return Examples(
            self.inputs[indices], self.labels[indices], self.class_names, self.decode,
            self.image_shape, 0, self.origin,
        )
