"""forecast_throughput: windows per second through the forecasting export against the Keras model, same batches.

Trains the shipped demand spec briefly (the speed of a forecast does not
depend on how well it was trained), exports it, then sends the test windows
in batches of 256 through the export's `serving_default` (which also checks
the history's shape and finiteness) and through the in-memory Keras model
called by `tf.function` (its fastest in-process path). The ratio is export
windows/s over Keras windows/s (1.0: serving costs nothing).

    python -m benchmarks.forecast_throughput
"""

import time

import numpy as np
import yaml

from benchmarks.common import REPO, in_scratch_folder, record

BATCH = 256
REPEATS = 5


def windows_per_second(call, batches: list) -> float:
    """The best of REPEATS passes over `batches`, in windows per second (the first call compiles)."""
    call(batches[0])
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        for batch in batches:
            call(batch)
        best = min(best, time.perf_counter() - started)
    return sum(len(b) for b in batches) / best


@in_scratch_folder
def main() -> dict:
    import tensorflow as tf

    from pipelines.runner import run
    from serving.loading import load_export

    spec = yaml.safe_load((REPO / "pipelines" / "specs" / "demand.yaml").read_text())
    spec["data"]["source"]["path"] = str(REPO / spec["data"]["source"]["path"])
    spec["training"].update(epochs=1, steps_per_epoch=5, verbose=0)
    spec["tracking"]["log_model"] = False
    spec["export"].update(gates=[], parity_samples=4, warmup_samples=1)
    result = run(spec)
    serve = load_export(result.export_path).signatures["serving_default"]
    steps, values = serve.structured_input_signature[1]["history"].shape[1:]
    windows = np.random.default_rng(0).normal(100, 10, (8 * BATCH, steps, values)).astype("float32")
    batches = [tf.constant(windows[i:i + BATCH]) for i in range(0, len(windows), BATCH)]
    keras_call = tf.function(lambda history: result.model(history, training=False), reduce_retracing=True)
    exported = windows_per_second(lambda batch: serve(history=batch), batches)
    keras = windows_per_second(keras_call, batches)
    return record("forecast_throughput", value=exported, baseline=keras, unit="windows/s",
                  measures=f"forecast windows/s in batches of {BATCH}: export vs Keras model",
                  history_steps=int(steps), horizon=24)


if __name__ == "__main__":
    main()
