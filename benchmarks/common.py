"""Shared parts of the benchmarks: timers, the benchmark spec, the hand-written model, results.json.

Every benchmark measures its own baseline in the same process and run, and
records `ratio`, `value`, `baseline` and `unit` under its name in
`benchmarks/results.json`.

Example:
    >>> record("example", value=2.0, baseline=1.0, unit="steps/s")   # doctest: +SKIP
    example: ratio 2.000 (value 2.000 steps/s, baseline 1.000 steps/s, 2 cores)
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULTS = Path(__file__).resolve().parent / "results.json"
REPO = Path(__file__).resolve().parents[1]
BATCH_SIZE = 64


def record(name: str, *, value: float, baseline: float, unit: str, ratio: float | None = None, **extra) -> dict:
    """Print one figure and merge it into results.json (ratio defaults to value / baseline)."""
    entry = {"ratio": round(ratio if ratio is not None else value / baseline, 4), "value": round(value, 4),
             "baseline": round(baseline, 4), "unit": unit, "cores": os.cpu_count(),
             **{k: round(v, 4) if isinstance(v, float) else v for k, v in extra.items()}}
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[name] = entry
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    details = ", ".join(f"{k} {v}" for k, v in extra.items())
    print(f"{name}: ratio {entry['ratio']:.3f} (value {value:.4g} {unit}, baseline {baseline:.4g} {unit}, "
          f"{os.cpu_count()} cores{'; ' + details if details else ''})", flush=True)
    return entry


def step_timer():
    """A Keras callback measuring training steps per second, first epoch excluded (compilation)."""
    import keras

    class StepTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.steps, self.seconds = 0, 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch, self.begin, self.count, self.last = epoch, time.perf_counter(), 0, None

        def on_train_batch_end(self, batch, logs=None):
            self.count, self.last = self.count + 1, time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            if epoch >= 1 and self.last is not None:
                self.steps += self.count
                self.seconds += self.last - self.begin

        @property
        def rate(self) -> float:
            return self.steps / self.seconds

    return StepTimer()


def bench_spec(epochs: int = 5) -> dict:
    """The fixed spec of the overhead benchmarks: digits, resize + rescale, the built-in CNN."""
    return {
        "name": "bench-digits", "task": "image_classification", "seed": 0,
        "data": {"source": {"type": "sklearn", "name": "digits"}, "split": {"validation": 0.1, "test": 0.1},
                 "batch_size": BATCH_SIZE},
        "stages": [{"resize": {"height": 16, "width": 16}}, {"rescale": 1 / 255}],
        "model": {"backbone": {"source": "builtin", "name": "cnn",
                               "config": {"filters": [32, 64], "blocks_per_stage": 2}},
                  "head": {"hidden_units": [64], "dropout": 0.2}},
        "training": {"epochs": epochs, "optimizer": {"name": "adam", "learning_rate": 3e-3}, "verbose": 0},
        "tracking": {"log_model": False},
        "export": {"enabled": False},
    }


def handwritten_cnn(input_shape=(16, 16, 1), classes: int = 10):
    """The bench spec's model, written by hand with Keras layers."""
    import keras

    layers = [keras.Input(input_shape)]
    for filters in (32, 64):
        for _ in range(2):
            layers += [keras.layers.Conv2D(filters, 3, padding="same", use_bias=False),
                       keras.layers.BatchNormalization(momentum=0.9), keras.layers.ReLU()]
        layers.append(keras.layers.MaxPooling2D())
    layers += [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(64, activation="relu"),
               keras.layers.Dropout(0.2), keras.layers.Dense(classes, activation="softmax")]
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.Adam(3e-3), "categorical_crossentropy", metrics=["accuracy"])
    return model


def digits_arrays(seed: int = 0):
    """Digits as uint8 images (N, 8, 8, 1), split 80/10/10 with sklearn, labels one-hot."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = np.round(digits.images * 255 / 16).astype("uint8")[..., None]
    labels = np.eye(10, dtype="float32")[digits.target]
    x_train, x_rest, y_train, y_rest = train_test_split(images, labels, test_size=0.2, random_state=seed,
                                                        stratify=digits.target)
    x_val, _, y_val, _ = train_test_split(x_rest, y_rest, test_size=0.5, random_state=seed,
                                          stratify=y_rest.argmax(1))
    return x_train, y_train, x_val, y_val


def pipeline_rate(epochs: int = 5) -> float:
    """Training steps/s of `pipelines.run` on the bench spec (tracking on, export off), in the current folder."""
    from pipelines.runner import run

    timer = step_timer()
    run(bench_spec(epochs), callbacks=[timer])
    return timer.rate


def interleaved_best(repeats: int, **measures) -> dict[str, float]:
    """Each measure's best of `repeats`, taken in turns so that machine noise hits all of them alike."""
    best: dict[str, float] = {}
    for _ in range(repeats):
        for name, measure in measures.items():
            best[name] = max(best.get(name, 0.0), measure())
    return best


def paired_ratio(repeats: int, *, baseline, pipeline) -> dict[str, float]:
    """The median of `repeats` ratios pipeline() / baseline(), each pair measured back to back (the order
    alternating), with the median of each measure: on a VM whose speed drifts by tens of percent between runs,
    a pair sees the same machine, and the median ignores the odd slow run.

    Example:
        >>> paired_ratio(3, baseline=lambda: 2.0, pipeline=lambda: 1.0)
        {'ratio': 0.5, 'baseline': 2.0, 'pipeline': 1.0}
    """
    import statistics

    ratios, baselines, pipelines = [], [], []
    for index in range(repeats):
        if index % 2:
            value, reference = pipeline(), baseline()
        else:
            reference, value = baseline(), pipeline()
        ratios.append(value / reference)
        baselines.append(reference)
        pipelines.append(value)
    return {"ratio": statistics.median(ratios), "baseline": statistics.median(baselines),
            "pipeline": statistics.median(pipelines)}


def in_scratch_folder(main):
    """Run `main` in a fresh temporary folder (its mlruns/ and .kpipe/ stay out of the repo)."""
    import functools
    import tempfile

    @functools.wraps(main)
    def wrapped():
        cwd = os.getcwd()
        with tempfile.TemporaryDirectory() as folder:
            os.chdir(folder)
            try:
                return main()
            finally:
                os.chdir(cwd)

    return wrapped
