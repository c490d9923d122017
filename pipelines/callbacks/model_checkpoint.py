"""`model_checkpoint`: save the model (or the best one) to the run's work folder.

Example (YAML):
    callbacks: [model_checkpoint]
"""

from typing import Literal

from pipelines.options import Options
from pipelines.registry import callbacks


class ModelCheckpointOptions(Options):
    monitor: str = "val_loss"
    mode: Literal["auto", "min", "max"] = "auto"
    save_best_only: bool = True


@callbacks.register("model_checkpoint", ModelCheckpointOptions)
def model_checkpoint(options: ModelCheckpointOptions, *, context):
    """Save `<work_dir>/checkpoints/best.keras` (or one file per epoch) with keras ModelCheckpoint."""
    import keras

    folder = context.work_dir / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    name = "best.keras" if options.save_best_only else "epoch{epoch:03d}.keras"
    return keras.callbacks.ModelCheckpoint(
        str(folder / name), monitor=options.monitor, mode=options.mode, save_best_only=options.save_best_only
    )
