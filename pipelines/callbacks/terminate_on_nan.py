"""`terminate_on_nan`: stop training as soon as the loss is NaN.

Example (YAML):
    callbacks: [terminate_on_nan]
"""

from pipelines.options import Options
from pipelines.registry import callbacks


class TerminateOnNaNOptions(Options):
    pass


@callbacks.register("terminate_on_nan", TerminateOnNaNOptions)
def terminate_on_nan(options: TerminateOnNaNOptions, *, context):
    """Stop training when a batch's loss is NaN (keras TerminateOnNaN)."""
    import keras

    return keras.callbacks.TerminateOnNaN()
