"""pipeline_overhead: training steps/s of `kpipe run` against a hand-written Keras script.

The script uses the same model, data and batch size, with tf.data written as
the Keras guides recommend (map, cache, shuffle, batch, prefetch). Steps after
the first epoch only. The ratio is the median over 9 back-to-back pairs of
runs (`paired_ratio`): single runs on this VM vary by up to 40%. Target:
ratio >= 0.97.

    python -m benchmarks.pipeline_overhead
"""

from benchmarks.common import (BATCH_SIZE, digits_arrays, handwritten_cnn, in_scratch_folder, paired_ratio,
                               pipeline_rate, record, step_timer)

EPOCHS = 8


def handwritten_rate() -> float:
    """Steps/s of the hand-written tf.data + model.fit script."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    x_train, y_train, x_val, y_val = digits_arrays()

    def prepare(x, y):
        return tf.image.resize(tf.cast(x, tf.float32), (16, 16)) / 255.0, y

    autotune = tf.data.AUTOTUNE
    train = (tf.data.Dataset.from_tensor_slices((x_train, y_train)).map(prepare, num_parallel_calls=autotune)
             .cache().shuffle(2048, seed=0).batch(BATCH_SIZE).prefetch(autotune))
    val = (tf.data.Dataset.from_tensor_slices((x_val, y_val)).map(prepare, num_parallel_calls=autotune)
           .cache().batch(BATCH_SIZE).prefetch(autotune))
    timer = step_timer()
    handwritten_cnn().fit(train, validation_data=val, epochs=EPOCHS, callbacks=[timer], verbose=0)
    return timer.rate


@in_scratch_folder
def main() -> dict:
    measured = paired_ratio(9, baseline=handwritten_rate, pipeline=lambda: pipeline_rate(EPOCHS))
    return record("pipeline_overhead", value=measured["pipeline"], baseline=measured["baseline"], unit="steps/s",
                  ratio=measured["ratio"], target=">= 0.97")


if __name__ == "__main__":
    main()
