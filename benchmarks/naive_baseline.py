"""naive_baseline: training steps/s of `kpipe run` against a plain `model.fit(numpy_arrays)` script.

Same model, data and batch size; the naive script preprocesses with NumPy and
lets Keras slice the arrays. The pipeline should be faster (ratio > 1).

    python -m benchmarks.naive_baseline
"""

from benchmarks.common import (BATCH_SIZE, digits_arrays, handwritten_cnn, in_scratch_folder, interleaved_best,
                               pipeline_rate, record, step_timer)

EPOCHS = 8


def naive_rate() -> float:
    """Steps/s of model.fit on preprocessed NumPy arrays."""
    import keras
    import numpy as np
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    x_train, y_train, x_val, y_val = digits_arrays()

    def prepare(x):
        return np.asarray(tf.image.resize(x.astype("float32"), (16, 16))) / 255.0

    timer = step_timer()
    handwritten_cnn().fit(prepare(x_train), y_train, validation_data=(prepare(x_val), y_val),
                          batch_size=BATCH_SIZE, epochs=EPOCHS, callbacks=[timer], verbose=0)
    return timer.rate


@in_scratch_folder
def main() -> dict:
    best = interleaved_best(3, baseline=naive_rate, pipeline=lambda: pipeline_rate(EPOCHS))
    return record("naive_baseline", value=best["pipeline"], baseline=best["baseline"], unit="steps/s", target="> 1")


if __name__ == "__main__":
    main()
