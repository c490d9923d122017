"""`reduce_lr_on_plateau`: cut the learning rate when the monitored metric stalls.

Example (YAML):
    callbacks: [{reduce_lr_on_plateau: {factor: 0.2, patience: 2}}]
"""

from typing import Optional

from pydantic import Field

from pipelines.options import NonNegativeInt, Options, PositiveFloat
from pipelines.registry import callbacks


class ReduceLrOnPlateauOptions(Options):
    monitor: Optional[str] = Field(
        None, description="Metric to watch; default: the task's metric on the validation split (e.g. val_accuracy)."
    )
    factor: PositiveFloat = Field(0.5, lt=1)
    patience: NonNegativeInt = 2
    min_lr: float = Field(1e-6, ge=0)


@callbacks.register("reduce_lr_on_plateau", ReduceLrOnPlateauOptions)
def reduce_lr_on_plateau(options: ReduceLrOnPlateauOptions, *, context):
    """Multiply the learning rate by `factor` after `patience` stalled epochs (keras ReduceLROnPlateau)."""
    import keras

    monitor, mode = context.watched(options.monitor)
    return keras.callbacks.ReduceLROnPlateau(
        monitor=monitor, mode=mode, factor=options.factor, patience=options.patience, min_lr=options.min_lr
    )
