"""`terminate_on_nan`: stop training as soon as the loss is NaN.

Example (YAML):
    callbacks: [terminate_on_nan]
"""

from pipelines.options import NoOptions
from pipelines.registry import callbacks


@callbacks.register("terminate_on_nan", NoOptions)
def terminate_on_nan(options: NoOptions, *, context):
    """Stop training when a batch's loss is NaN (keras TerminateOnNaN)."""
    import keras

    return keras.callbacks.TerminateOnNaN()
