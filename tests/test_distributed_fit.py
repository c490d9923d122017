"""The custom loop for strategies where Keras' fit() fails, checked against fit() on two CPU replicas."""

import os
import subprocess
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from pipelines import distributed_fit  # noqa: E402

try:  # two logical CPUs, so MirroredStrategy has two replicas (only possible before TensorFlow starts)
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)
except RuntimeError:
    pass
TWO_CPUS = len(tf.config.list_logical_devices("CPU")) >= 2


@pytest.fixture(scope="module")
def strategy():
    """One for the module: strategies made later in a process reuse the collective keys of earlier ones."""
    if not TWO_CPUS:
        pytest.skip("TensorFlow started before this module could split the CPU: "
                    "test_in_a_fresh_process runs this module")
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


def test_in_a_fresh_process():
    """In a session where TensorFlow started earlier (the whole suite), this module runs in a child pytest."""
    if TWO_CPUS:
        pytest.skip("the other tests of this module run here")
    child = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__],
                           capture_output=True, text=True, timeout=600)
    assert child.returncode == 0, child.stdout[-4000:]


def data(rows=24, batch=8, weighted=False):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 5)).astype("float32")
    y = rng.integers(0, 3, rows)
    parts = (x, y, rng.uniform(0.5, 2.0, rows).astype("float32")) if weighted else (x, y)
    return tf.data.Dataset.from_tensor_slices(parts).batch(batch)


def compiled(strategy, seed=0):
    keras.utils.set_random_seed(seed)
    with strategy.scope():
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu",
                                  kernel_regularizer=keras.regularizers.L2(0.01)), keras.layers.Dense(3)])
        model.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model


@pytest.mark.parametrize("weighted", [False, True])
def test_an_epoch_gives_the_loss_and_weights_of_fit(strategy, weighted):
    """Three steps, the last one uneven (24 rows in batches of 10 over two replicas), sample weights or not."""
    dataset = data(rows=24, batch=10, weighted=weighted)
    reference = compiled(tf.distribute.get_strategy())
    expected = reference.fit(dataset, epochs=1, verbose=0, shuffle=False).history
    model = compiled(strategy)
    history = distributed_fit.fit(model, dataset, epochs=1).history
    assert history["loss"] == pytest.approx(expected["loss"], rel=1e-5)
    assert history["accuracy"] == pytest.approx(expected["accuracy"])
    for ours, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_class_weight_and_validation_match_fit(strategy):
    dataset, validation = data(rows=16, batch=8), data(rows=8, batch=4)
    reference = compiled(tf.distribute.get_strategy())
    expected = reference.fit(dataset, epochs=2, validation_data=validation, class_weight={0: 1.0, 1: 3.0, 2: 0.5},
                             verbose=0, shuffle=False).history
    model = compiled(strategy)
    history = distributed_fit.fit(model, dataset, epochs=2, validation_data=validation,
                                  class_weight={0: 1.0, 1: 3.0, 2: 0.5}).history
    assert sorted(history) == sorted(expected)
    for key in expected:
        assert history[key] == pytest.approx(expected[key], rel=1e-4), key
    assert distributed_fit.evaluate(model, validation)["loss"] == pytest.approx(expected["val_loss"][-1], rel=1e-4)


def test_early_stopping_stops_and_restores_the_best_weights(strategy):
    model = compiled(strategy)
    stopper = keras.callbacks.EarlyStopping(monitor="loss", patience=0, restore_best_weights=True)
    model.optimizer.learning_rate.assign(50.0)  # diverges after the first epoch
    epochs_seen = []
    seen = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: epochs_seen.append(epoch))
    history = distributed_fit.fit(model, data(), epochs=20, callbacks=[seen, stopper])
    assert model.stop_training and len(epochs_seen) < 20 and len(history.history["loss"]) == len(epochs_seen)
    assert stopper.best_weights is not None
    for ours, best in zip(model.get_weights(), stopper.best_weights):
        np.testing.assert_array_equal(ours, best)


def test_terminate_on_nan_stops_at_the_batch(strategy):
    model = compiled(strategy)
    model.optimizer.learning_rate.assign(np.inf)
    history = distributed_fit.fit(model, data(), epochs=3, callbacks=[keras.callbacks.TerminateOnNaN()])
    assert model.stop_training and len(history.history.get("loss", [])) <= 1


def test_backup_and_restore_resumes_at_the_epoch_after_the_backup(strategy, tmp_path):
    weights = {}

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            weights[epoch] = [w.copy() for w in self.model.get_weights()]
            if epoch == 1:  # before BackupAndRestore saves epoch 1: the backup holds epoch 0
                raise KeyboardInterrupt

    backup = str(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        distributed_fit.fit(compiled(strategy), data(), epochs=4,
                            callbacks=[Interrupt(), keras.callbacks.BackupAndRestore(backup)])
    resumed, epochs, restored = compiled(strategy, seed=7), [], []

    def begin(epoch, logs):
        epochs.append(epoch)
        restored.append([w.copy() for w in resumed.get_weights()])

    distributed_fit.fit(resumed, data(), epochs=4, callbacks=[keras.callbacks.BackupAndRestore(backup),
                                                              keras.callbacks.LambdaCallback(on_epoch_begin=begin)])
    assert epochs == [1, 2, 3]
    for ours, backed_up in zip(restored[0], weights[0]):
        np.testing.assert_array_equal(ours, backed_up)
