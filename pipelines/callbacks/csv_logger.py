"""`csv_logger`: write each epoch's metrics to `<work_dir>/history.csv`.

Example (YAML):
    callbacks: [csv_logger]
"""

from pipelines.options import NoOptions
from pipelines.registry import callbacks


@callbacks.register("csv_logger", NoOptions)
def csv_logger(options: NoOptions, *, context):
    """Append epoch metrics to `<work_dir>/history.csv` (keras CSVLogger; appends on resume)."""
    import keras

    context.work_dir.mkdir(parents=True, exist_ok=True)
    return keras.callbacks.CSVLogger(str(context.work_dir / "history.csv"), append=context.resuming)
