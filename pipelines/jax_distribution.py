"""`training.strategy` on the JAX backend: `keras.distribution.DataParallel` over all local devices.

`select_jax_strategy(name)` stands in for `pipelines.strategy.select_strategy` when Keras runs JAX.
It returns an object with what the runner and `train` use of a `tf.distribute.Strategy`
(`scope()`, `num_replicas_in_sync`) and class names that `strategy_name` reads
(`data_parallel`, `single_device`). With several local devices, `scope()` is that of a
`keras.distribution.DataParallel`: the model built in it keeps its variables replicated on
every device, and `fit` called in it splits each batch across them (`even_batches` cuts the
batches to a multiple of the device count, which DataParallel needs). Outside the scope the
same model evaluates, predicts and exports on whole batches of any size.

- `auto`: every local device of JAX's default platform (the GPUs, else the CPU devices;
  `XLA_FLAGS=--xla_force_host_platform_device_count=N` gives N CPU devices);
- `cpu`: the CPU devices;
- `gpu`: the GPUs (an error when JAX sees none).

Example:
    >>> strategy = select_jax_strategy("auto")    # doctest: +SKIP
    >>> type(strategy).__name__, strategy.num_replicas_in_sync   # doctest: +SKIP
    ('DataParallelStrategy', 2)
"""

from __future__ import annotations

import contextlib


class _JaxStrategy:
    """What the runner uses of a strategy, for JAX: a scope, the replica count, the devices, a precision."""

    def __init__(self, devices: list, distribution=None):
        self.devices = devices
        self.distribution = distribution

    @property
    def num_replicas_in_sync(self) -> int:
        return len(self.devices)

    def scope(self):
        """The Keras distribution's scope: variables created in it are replicated on the devices, and `fit`
        called in it splits every batch across them. Outside it the model runs on whole batches of any size."""
        return self.distribution.scope() if self.distribution is not None else contextlib.nullcontext()

    def even_batches(self, dataset):
        """`dataset` with every batch made a multiple of the device count, which DataParallel needs: a larger
        batch loses its last `size % num_replicas_in_sync` examples, a batch smaller than the device count
        repeats its examples up to it; every batch stays, so `steps_per_epoch` holds. None stays None."""
        replicas = self.num_replicas_in_sync
        if dataset is None or replicas < 2:
            return dataset
        import tensorflow as tf

        def even(*batch):
            size = tf.shape(tf.nest.flatten(batch)[0])[0]
            keep = tf.range(tf.maximum(size // replicas * replicas, replicas)) % size
            return tf.nest.map_structure(lambda tensor: tf.gather(tensor, keep), batch)

        return dataset.map(even, num_parallel_calls=tf.data.AUTOTUNE)

    def precision(self, setting: str) -> str:
        """`training.mixed_precision` resolved for these devices: auto is mixed_float16 on GPUs, mixed_bfloat16
        on TPUs, float32 on CPUs."""
        if setting != "auto":
            return setting
        platform = self.devices[0].platform if self.devices else "cpu"
        return {"gpu": "mixed_float16", "tpu": "mixed_bfloat16"}.get(platform, "float32")


class DataParallelStrategy(_JaxStrategy):
    """Batches split across several devices by `keras.distribution.DataParallel` (tagged `data_parallel`)."""


class SingleDeviceStrategy(_JaxStrategy):
    """One device, no distribution (tagged `single_device`)."""


def local_devices(name: str) -> list:
    """The JAX devices `training.strategy: name` trains on (`auto`, `cpu` or `gpu`)."""
    import jax

    if name == "cpu":
        return jax.local_devices(backend="cpu")
    if name == "gpu":
        try:
            return jax.local_devices(backend="gpu")
        except RuntimeError:
            raise RuntimeError("training.strategy: gpu, but JAX sees no GPU (install jax[cuda12] for GPUs)") from None
    if name != "auto":
        raise ValueError(f"training.strategy: {name} is a tf.distribute strategy; with training.backend: jax use "
                         f"auto, cpu or gpu")
    return jax.local_devices()


def select_jax_strategy(name: str) -> _JaxStrategy:
    """DataParallel over the devices of `training.strategy` when there are several, else one device.

    Build the model and call `fit` inside `scope()`, on `even_batches` of the data; evaluation,
    predict and the export run outside it, on whole batches.
    """
    import keras

    devices = local_devices(name)
    if len(devices) < 2:
        if name == "cpu" and devices:
            import jax

            jax.config.update("jax_default_device", devices[0])
        return SingleDeviceStrategy(devices)
    return DataParallelStrategy(devices, keras.distribution.DataParallel(devices=devices))
