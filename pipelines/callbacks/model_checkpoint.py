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
    """Save `<work_dir>/checkpoints/best.keras` (or one file per epoch) with keras ModelCheckpoint.

    In a multi-process JAX run only process 0 saves (`pipelines.jax_cluster.chief_only`).
    """
    import keras

    from pipelines.jax_cluster import chief_only, chief_process

    joined = chief_process()
    if joined is not None and not joined[0]:
        return chief_only(None, chief=False)
    folder = context.work_dir / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    name = "best.keras" if options.save_best_only else "epoch{epoch:03d}.keras"
    monitor, mode = context.watched(options.monitor, options.mode)
    checkpoint = keras.callbacks.ModelCheckpoint(
        str(folder / name), monitor=monitor, mode=mode, save_best_only=options.save_best_only
    )
    return checkpoint if joined is None else chief_only(checkpoint, chief=True)
