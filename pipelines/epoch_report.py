"""A Keras callback that adds a task's per-epoch report to the run: metrics into the epoch's logs, figures to MLflow.

After every epoch it asks the task for `epoch_report(model, epoch, datasets,
splits)`. The report's metrics join the epoch's logs, so the callbacks after
it see them: MLflow's epoch logger, early stopping (`monitor: val_fid`),
checkpoints. Its figures are logged under `plots/` by the names the task gives
(`samples/epoch_003.png`: a generator's samples of the same seeds every epoch,
to compare by eye), its tables as text artifacts (`generations/epoch_003.csv`:
a language model's generations for the same prompts every epoch).

Example:
    >>> callback = epoch_reporter(tracker, task, datasets, splits)   # doctest: +SKIP
"""

from __future__ import annotations


def epoch_reporter(tracker, task, datasets, splits):
    """A callback adding `task.epoch_report(...)` to the epoch's logs, logging its figures and tables to `tracker`."""
    import keras
    import matplotlib.pyplot as plt

    class EpochReport(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            report = task.epoch_report(self.model, epoch, datasets, splits)
            if logs is not None:
                logs.update(report.metrics)
            for name, figure in report.figures.items():
                tracker.log_figure(figure, name)
                plt.close(figure)
            for name, text in report.tables.items():
                tracker.log_text(text, name)

    return EpochReport()
