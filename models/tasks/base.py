"""`Task`: what every task module provides, and the defaults most tasks keep.

A task ties a pipeline together: it checks the examples a source gives, turns
labels into training targets, builds the head on the backbone, chooses loss and
metrics, evaluates and plots, and writes the export's signatures. The runner
and the export only talk to tasks through these names.

Example:
    >>> class Echo(Task):
    ...     input_name = "texts"
    >>> Echo.target_key, Echo.parity_signature
    (None, 'serving_default')
"""

from __future__ import annotations


class Task:
    """Defaults for the hooks a task may leave alone.

    Attributes:
        input_name: The `serving_default` input (e.g. `image_bytes`, `texts`).
        target_key: Set for spatial targets that geometric stages and
            augmentation must move with the pixels ("segmentation_masks",
            "bounding_boxes"); None for class labels.
        parity_signature: The export signature whose `probabilities` output
            is compared with the Keras model before a version is published.
        batcher: `batcher(dataset, batch_size)` when plain `batch` does not fit
            the targets (a variable number of boxes); None for `batch`.

    Subclasses implement `check`, `targets`, `build_model`,
    `compile_options`, `evaluate`, `data_figures`, `export_endpoints` and
    `reference_probabilities`; text tasks also `backbone_input_shape` and
    `serving_requests`.
    """

    input_name = "inputs"
    target_key = None
    parity_signature = "serving_default"
    batcher = None

    def __init__(self, spec):
        self.spec = spec
        self.head = spec.model.head

    def backbone_input_shape(self, input_shape):
        """The input shape the backbone is built for (text tasks: the token ids')."""
        return input_shape

    def serving_requests(self, examples, indices) -> list[dict]:
        """One `serving_default` request per example: its encoded image bytes (parity checks, warmup records)."""
        import numpy as np

        from data.images import encoded_examples

        return [{self.input_name: np.array([b], dtype=object)} for b in encoded_examples(examples, indices)]
