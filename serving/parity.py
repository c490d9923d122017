"""Export parity: the written SavedModel's answers, for the task to compare with the Keras model in memory.

Example:
    >>> outputs = serve(load_export(export_dir), requests)        # doctest: +SKIP
    >>> task.parity(outputs, reference)              # doctest: +SKIP
    {'export_parity_max_abs_diff': 1.2e-07, 'export_parity_class_agreement': 1.0}
"""

from __future__ import annotations

import numpy as np


def serve(loaded, requests: list[dict[str, np.ndarray]], signature: str = "serving_default") -> dict[str, np.ndarray]:
    """The outputs of `signature` of the `loaded` export (`serving.loading.load_export`) for `requests` as one batch."""
    import tensorflow as tf

    batch = {key: tf.constant(np.concatenate([r[key] for r in requests])) for key in requests[0]}
    return {name: value.numpy() for name, value in loaded.signatures[signature](**batch).items()}
