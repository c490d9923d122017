"""The task contract on the JAX backend, and DataParallel over two devices.

Keras keeps the backend it was first imported with, and the test process runs TensorFlow, so
these tests run only in the subprocesses `tests/test_jax_backend.py` starts with KERAS_BACKEND=jax:
the contract on one device, the DataParallel tests on two host CPU devices
(XLA_FLAGS=--xla_force_host_platform_device_count=2); in any other process they are skipped.
Run them alone with:

    KERAS_BACKEND=jax .venv/bin/python -m pytest tests/test_jax_contract.py -k task_contract_on_jax
    KERAS_BACKEND=jax XLA_FLAGS=--xla_force_host_platform_device_count=2 \
        .venv/bin/python -m pytest tests/test_jax_contract.py -k data_parallel
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tests.test_task_contract as contract
from pipelines import registry

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(keras.backend.backend() != "jax",
                       reason="runs in tests/test_jax_backend.py's subprocess, with KERAS_BACKEND=jax"),
]

JAX_TASKS = [name for name in registry.tasks.names() if "jax" in registry.tasks.get(name).build.backends]


@pytest.mark.parametrize("task", JAX_TASKS)
def test_task_contract_on_jax(task, in_tmp_dir, capsys, monkeypatch):
    """The shared contract (fit, evaluate, export with parity and warmup, predict), its spec on training.backend: jax."""
    tiny = contract.tiny

    def tiny_on_jax(spec: dict) -> dict:
        spec = tiny(spec)
        spec["training"]["backend"] = "jax"
        return spec

    monkeypatch.setattr(contract, "tiny", tiny_on_jax)
    contract.test_task_fits_evaluates_exports_and_answers(task, in_tmp_dir, capsys)


def two_devices() -> None:
    import jax

    if jax.local_device_count() < 2:
        pytest.skip("needs two devices: XLA_FLAGS=--xla_force_host_platform_device_count=2")


def test_data_parallel_splits_fit_over_two_devices_and_exports(in_tmp_dir):
    import tensorflow as tf

    two_devices()

    from pipelines.jax_distribution import select_jax_strategy
    from serving.jax_export import serving_model
    from serving.loading import load_export
    from serving.publish import export_archive

    strategy = select_jax_strategy("auto")
    assert type(strategy).__name__ == "DataParallelStrategy" and strategy.num_replicas_in_sync == 2
    assert strategy.precision("auto") == "float32"
    with strategy.scope():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.BatchNormalization(), keras.layers.Dense(3, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    rows = rng.random((33, 4), dtype="float32")
    data = tf.data.Dataset.from_tensor_slices((rows, rng.integers(0, 3, 33))).batch(8)  # the last batch: 1 row
    seen = []

    class Distribution(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(keras.distribution.distribution())

    with strategy.scope():
        history = model.fit(strategy.even_batches(data), steps_per_epoch=5, epochs=2, verbose=0,
                            validation_data=strategy.even_batches(data), callbacks=[Distribution()])
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["val_loss"]).all()
    assert seen and all(isinstance(d, keras.distribution.DataParallel) for d in seen)
    assert len(model.layers[0].kernel.value.sharding.device_set) == 2  # replicated on both devices
    assert model.predict(data, verbose=0).shape == (33, 3)  # outside the scope: whole batches of any size

    served = serving_model(model)
    export_archive(in_tmp_dir / "export", [served], {
        "serving_default": (lambda x: {"p": served(x, training=False)}, [tf.TensorSpec([None, 4], tf.float32, name="x")])})
    answers = load_export(in_tmp_dir / "export").signatures["serving_default"](x=tf.constant(rows[:5]))["p"]
    np.testing.assert_allclose(answers.numpy(), np.asarray(model(rows[:5], training=False)), atol=1e-5)


def test_a_run_on_jax_trains_data_parallel_over_two_devices(in_tmp_dir):
    import yaml
    from mlflow import MlflowClient

    from pipelines.runner import run
    from pipelines.strategy import select_strategy

    two_devices()
    if not hasattr(select_strategy("auto"), "even_batches"):
        pytest.skip("pipelines.strategy.select_strategy does not hand JAX to pipelines.jax_distribution yet")
    spec = contract.tiny(yaml.safe_load(contract.shipped_spec("sequence_classification").read_text()))
    spec["training"]["backend"] = "jax"
    result = run(spec)
    tags = MlflowClient(result.tracking_uri).get_run(result.run_id).data.tags
    assert (tags["kpipe.strategy"], tags["kpipe.replicas"]) == ("data_parallel", "2")
    assert result.export_path is not None and "test_accuracy" in result.metrics
