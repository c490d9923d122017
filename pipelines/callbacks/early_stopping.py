"""`early_stopping`: stop when the monitored metric stops improving.

Example (YAML):
    callbacks: [{early_stopping: {patience: 3}}]
"""

from typing import Literal, Optional

from pydantic import Field

from pipelines.options import NonNegativeInt, Options
from pipelines.registry import callbacks


class EarlyStoppingOptions(Options):
    shorthand = "patience"
    monitor: Optional[str] = Field(
        None, description="Metric to watch; default: the task's metric on the validation split (e.g. val_accuracy)."
    )
    patience: NonNegativeInt = Field(3, description="Epochs without improvement before stopping.")
    min_delta: float = Field(0.0, ge=0)
    mode: Literal["auto", "min", "max"] = "auto"
    restore_best_weights: bool = True


@callbacks.register("early_stopping", EarlyStoppingOptions)
def early_stopping(options: EarlyStoppingOptions, *, context):
    """Stop training when `monitor` has not improved for `patience` epochs (keras EarlyStopping)."""
    import keras

    monitor, mode = context.watched(options.monitor, options.mode)
    return keras.callbacks.EarlyStopping(
        monitor=monitor, patience=options.patience, min_delta=options.min_delta,
        mode=mode, restore_best_weights=options.restore_best_weights,
    )
