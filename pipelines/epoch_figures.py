"""A Keras callback that logs a task's per-epoch figures (sample grids of generators) to the run.

After every epoch it asks the task for `epoch_figures(model, epoch)` and logs
each figure under `plots/`, by the name the task gives (`samples/epoch_003.png`):
the same seeds every epoch, so that the grids can be compared by eye.

Example:
    >>> callback = epoch_figures_logger(tracker, task)   # doctest: +SKIP
"""

from __future__ import annotations


def epoch_figures_logger(tracker, task):
    """A callback logging `task.epoch_figures(model, epoch)` to `tracker` at the end of every epoch."""
    import keras
    import matplotlib.pyplot as plt

    class EpochFigures(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            for name, figure in task.epoch_figures(self.model, epoch).items():
                tracker.log_figure(figure, name)
                plt.close(figure)

    return EpochFigures()
