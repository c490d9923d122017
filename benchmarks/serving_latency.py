"""serving_latency: the exported `serving_default` signature against calling the Keras model directly.

Batch 1: p50 and p99 latency over encoded PNG bytes (decode, resize and
normalization happen inside the graph). Batch 64: throughput. The baseline is
the in-memory Keras model on the same, already preprocessed tensor, called
through `tf.function` (its fastest in-process path; the eager call is reported
too). The ratio is baseline p50 / export p50 (1.0 means serving adds nothing).

    python -m benchmarks.serving_latency
"""

import time

import numpy as np

from benchmarks.common import bench_spec, in_scratch_folder, record

CALLS = 200


def latencies_ms(call, calls: int = CALLS) -> np.ndarray:
    call()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return np.asarray(times)


@in_scratch_folder
def main() -> dict:
    import tensorflow as tf

    from data.images import encoded_examples
    from data.sources.sklearn import SklearnOptions, load_sklearn
    from pipelines.runner import run

    spec = bench_spec(epochs=1)
    spec["export"] = {"enabled": True, "warmup_samples": 1, "parity_samples": 8}
    result = run(spec)
    serve = tf.saved_model.load(str(result.export_path)).signatures["serving_default"]
    digits = load_sklearn(SklearnOptions(name="digits"))
    pngs = encoded_examples(digits, range(64))
    tensors = tf.image.resize(tf.cast(digits.inputs[:64], tf.float32), (16, 16)) / 255.0
    model = result.model
    keras_call = tf.function(lambda images: model(images, training=False), reduce_retracing=True)

    served_1 = latencies_ms(lambda: serve(image_bytes=tf.constant(pngs[:1])))
    keras_1 = latencies_ms(lambda: keras_call(tensors[:1]))
    eager_1 = latencies_ms(lambda: model(tensors[:1], training=False), calls=50)
    served_64 = latencies_ms(lambda: serve(image_bytes=tf.constant(pngs)), calls=30)
    keras_64 = latencies_ms(lambda: keras_call(tensors), calls=30)
    p50, base_p50 = float(np.percentile(served_1, 50)), float(np.percentile(keras_1, 50))
    return record(
        "serving_latency", value=p50, baseline=base_p50, unit="ms", ratio=base_p50 / p50,
        measures="p50 latency, batch 1: export vs Keras model",
        export_p99_ms=float(np.percentile(served_1, 99)), keras_p99_ms=float(np.percentile(keras_1, 99)),
        keras_eager_p50_ms=float(np.percentile(eager_1, 50)),
        export_batch64_images_per_s=64_000 / float(np.median(served_64)),
        keras_batch64_images_per_s=64_000 / float(np.median(keras_64)),
    )


if __name__ == "__main__":
    main()
