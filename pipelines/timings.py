"""Where a run's time goes: named phases, logged as `time_<phase>_s` metrics and printed as one line.

A phase is timed with `with timings.phase("data"):` or added with `timings.add`; a phase
timed twice adds up (figures are logged in several places). A part of a phase
(`within="training"`) is printed in parentheses after it and left out of `covered()`, so
the top-level phases never overlap and add up to no more than the run's `total`.

The clock starts when the `Timings` is made: at the call to `runner.run` for Python
callers, at the process start for `kpipe run` (`Timings.from_process_start`, which reads
the start time Linux keeps in `/proc/self/stat`, in clock ticks of 10 ms, against
`CLOCK_BOOTTIME`; elsewhere it falls back to the moment it is called). The first phase,
`startup`, runs from there until the run has imported TensorFlow and Keras, opened its
MLflow run and chosen its distribution strategy. Time outside every phase (small tracking
calls, saving the weights between training phases) shows as `total` minus the phases.

Example:
    >>> timings = Timings()
    >>> with timings.phase("data"):
    ...     pass
    >>> timings.add("training", 12.0)
    >>> timings.add("first_epoch", 4.1, within="training")
    >>> timings.summary_line()
    'data 0.0 s · training 12.0 s (first epoch 4.1 s)'
    >>> sorted(timings.as_metrics())
    ['time_data_s', 'time_first_epoch_s', 'time_training_s']
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

LABELS = {"startup": "start-up", "input_pipeline": "input pipeline", "first_epoch": "first epoch",
          "model_logging": "model logging"}


def process_age() -> float | None:
    """Seconds since this process started (Linux, to a clock tick), or None where that is unknown.

    Example:
        >>> 0 <= process_age() < 3600   # doctest: +SKIP
        True
    """
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: start time, ticks after boot
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class Timings:
    """Seconds per named phase of one run, in the order the phases first ran.

    Example:
        >>> timings = Timings()
        >>> timings.add("export", 3.0)
        >>> timings.add("export_write", 1.0, within="export")
        >>> timings.finish()
        >>> timings.summary_line().startswith("export 3.0 s (write 1.0 s) · total ")
        True
    """

    def __init__(self, origin: float | None = None):
        self.origin = time.perf_counter() if origin is None else origin
        self.seconds: dict[str, float] = {}
        self.parents: dict[str, str] = {}
        self.total: float | None = None

    @classmethod
    def from_process_start(cls) -> Timings:
        """A clock that started with the process (for `kpipe run`), or now where that is unknown."""
        age = process_age()
        return cls(time.perf_counter() - (age or 0.0))

    @contextlib.contextmanager
    def phase(self, name: str, within: str | None = None) -> Iterator[None]:
        """Time the block as `name` (added to what `name` already holds), also when it raises."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started, within)

    def add(self, name: str, seconds: float, within: str | None = None) -> None:
        """Add `seconds` to phase `name`; `within` makes it a part of that phase."""
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        if within is not None:
            self.parents[name] = within

    def since_start(self, name: str) -> None:
        """Record `name` as the time from the clock's start until now (the start-up phase)."""
        self.add(name, time.perf_counter() - self.origin)

    def finish(self) -> None:
        """Stop the clock: `total` is the time from its start until now."""
        self.total = time.perf_counter() - self.origin

    def covered(self) -> float:
        """The sum of the top-level phases (their parts are inside them)."""
        return sum(s for name, s in self.seconds.items() if name not in self.parents)

    def as_dict(self) -> dict[str, float]:
        """`{phase: seconds}`, with `total` once finished."""
        return {**self.seconds, **({"total": self.total} if self.total is not None else {})}

    def as_metrics(self) -> dict[str, float]:
        """`{"time_<phase>_s": seconds}` for MLflow, `time_total_s` included once finished."""
        return {f"time_{name}_s": round(seconds, 4) for name, seconds in self.as_dict().items()}

    def summary_line(self) -> str:
        """One line: each phase, its parts in parentheses, then the total.

        Example:
            >>> timings = Timings()
            >>> timings.add("data", 1.23)
            >>> timings.add("model", 0.3)
            >>> timings.summary_line()
            'data 1.2 s · model 0.3 s'
        """
        parts = []
        for name, seconds in self.seconds.items():
            if name in self.parents:
                continue
            children = [f"{_label(child, name)} {s:.1f} s" for child, s in self.seconds.items()
                        if self.parents.get(child) == name]
            parts.append(f"{_label(name)} {seconds:.1f} s" + (f" ({', '.join(children)})" if children else ""))
        if self.total is not None:
            parts.append(f"total {self.total:.1f} s")
        return " · ".join(parts)

    def keras_callback(self):
        """A Keras callback timing `compile`, `training` and, within it, `first_epoch`.

        `compile` runs from the callback's creation (just before `train`), or the end of the
        previous fit, to the start of a fit: `model.compile` and fit's set-up. `training` is
        the time inside `fit`; `first_epoch` the first epoch run here, tracing included.
        """
        import keras

        timings = self

        class PhaseTimer(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.last, self.epoch_started, self.epochs_seen = time.perf_counter(), None, 0

            def on_train_begin(self, logs=None):
                now = time.perf_counter()
                timings.add("compile", now - self.last)
                self.last = now

            def on_epoch_begin(self, epoch, logs=None):
                if self.epochs_seen == 0:
                    self.epoch_started = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.epochs_seen += 1
                if self.epochs_seen == 1 and self.epoch_started is not None:
                    timings.add("first_epoch", time.perf_counter() - self.epoch_started, within="training")

            def on_train_end(self, logs=None):
                now = time.perf_counter()
                timings.add("training", now - self.last)
                self.last = now

        return PhaseTimer()


def _label(name: str, parent: str | None = None) -> str:
    if parent and name.startswith(parent + "_"):
        name = name[len(parent) + 1:]
    return LABELS.get(name, name.replace("_", " "))


def profiler_callback(folder: Path, first_step: int = 2, last_step: int = 6):
    """A Keras callback that records a TensorFlow profile of training steps `first_step`..`last_step` (from 1).

    The trace (`plugins/profile/<date>/*.xplane.pb`) goes under `folder`; TensorBoard's
    profile plugin (`pip install tensorboard tensorboard-plugin-profile`) reads it. Where
    the profiler cannot start, it warns once and training goes on unprofiled.
    """
    import keras
    import tensorflow as tf

    class StepProfiler(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.step, self.running, self.done = 0, False, False

        def on_train_batch_begin(self, batch, logs=None):
            self.step += 1
            if self.step == first_step and not self.done:
                try:
                    tf.profiler.experimental.start(str(folder))
                    self.running = True
                except Exception as error:  # noqa: BLE001
                    self.done = True
                    warnings.warn(f"--profile: the TensorFlow profiler did not start ({error}); "
                                  "training goes on without a profile", stacklevel=2)

        def on_train_batch_end(self, batch, logs=None):
            if self.step >= last_step:
                self._stop()

        def on_train_end(self, logs=None):
            self._stop()

        def _stop(self):
            if self.running:
                self.running, self.done = False, True
                try:
                    tf.profiler.experimental.stop()
                except Exception as error:  # noqa: BLE001
                    warnings.warn(f"--profile: the TensorFlow profiler did not stop cleanly ({error})", stacklevel=2)

    return StepProfiler()
