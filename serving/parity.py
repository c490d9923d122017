"""Export parity: does the written SavedModel answer like the Keras model in memory?

Example:
    >>> measure_parity(export_dir, requests, reference)   # doctest: +SKIP
    {'export_parity_max_abs_diff': 1.2e-07, 'export_parity_class_agreement': 1.0}
"""

from __future__ import annotations

import numpy as np


def measure_parity(export_dir, requests: list[dict[str, np.ndarray]], reference: np.ndarray,
                   signature: str = "serving_default") -> dict[str, float]:
    """Max |probability difference| and class agreement between the export and `reference`."""
    import tensorflow as tf

    from serving.loading import load_export

    loaded = load_export(export_dir)
    batch = {key: tf.constant(np.concatenate([r[key] for r in requests])) for key in requests[0]}
    served = loaded.signatures[signature](**batch)["probabilities"].numpy()
    return {
        "export_parity_max_abs_diff": float(np.max(np.abs(served - reference))),
        "export_parity_class_agreement": float(np.mean(served.argmax(-1) == reference.argmax(-1))),
    }
