"""`model_checkpoint`: save the model (or the best one) to the run's work folder.

Example (YAML):
    callbacks: [model_checkpoint]
"""

from typing import Literal, Optional

from pydantic import Field

from pipelines.options import Options
from pipelines.registry import callbacks


class ModelCheckpointOptions(Options):
    monitor: Optional[str] = Field(
        None, description="Metric to watch; default: the task's metric on the validation split (e.g. val_accuracy)."
    )
    mode: Literal["auto", "min", "max"] = "auto"
    save_best_only: bool = True


@callbacks.register("model_checkpoint", ModelCheckpointOptions)
def model_checkpoint(options: ModelCheckpointOptions, *, context):
    """Save `<work_dir>/checkpoints/best.keras` (or one file per epoch) with keras ModelCheckpoint."""
    import keras

    folder = context.work_dir / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    name = "best.keras" if options.save_best_only else "epoch{epoch:03d}.keras"
    monitor, mode = context.watched(options.monitor, options.mode)
    return keras.callbacks.ModelCheckpoint(
        str(folder / name), monitor=monitor, mode=mode, save_best_only=options.save_best_only
    )
