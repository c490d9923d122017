"""`training.strategy` on the JAX backend: `keras.distribution.DataParallel` over the local devices or
over several processes' (`multi_worker`), or `keras.distribution.ModelParallel` (`training.model_parallel`).

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
- `gpu`: the GPUs (an error when JAX sees none);
- `multi_worker`: several processes (`pipelines.jax_cluster.join_cluster` runs first, from
  `training.cluster`, KERAS_DISTRIBUTION_* or TF_CONFIG): DataParallel over every process's devices.
  Every global batch is then made exactly `data.batch_size` rows and each process reads its slice
  of it (`even_batches`), and the gradients are all-reduced across processes; only process 0 backs
  up, restores and checkpoints (`pipelines.jax_cluster`); after training `leave`
  copies the (replicated) variables to this process's first device, so each process evaluates on its
  own and process 0 alone exports (the chief).

With `training.model_parallel`, `scope()` is a `keras.distribution.ModelParallel` over a
(batch, model) mesh of those devices instead: variables are sharded as the layout map says
(`layout_map`: the spec's {regex: axes}, or the keras-hub backbone's own `get_layout_map`).

Example:
    >>> strategy = select_jax_strategy("auto")    # doctest: +SKIP
    >>> type(strategy).__name__, strategy.num_replicas_in_sync   # doctest: +SKIP
    ('DataParallelStrategy', 2)
"""

from __future__ import annotations

import contextlib


class _JaxStrategy:
    """What the runner uses of a strategy, for JAX: a scope, the replica count, the devices, a precision."""

    def __init__(self, devices: list, distribution=None, replicas: int | None = None):
        self.devices = devices
        self.distribution = distribution
        self.replicas = len(devices) if replicas is None else replicas

    @property
    def num_replicas_in_sync(self) -> int:
        """Model replicas: the devices each batch is split over (the mesh's batch axis under ModelParallel)."""
        return self.replicas

    @property
    def num_processes(self) -> int:
        """The processes training together (1 unless `training.strategy: multi_worker`)."""
        return len({device.process_index for device in self.devices}) or 1

    def scope(self):
        """The Keras distribution's scope: variables created in it are replicated on the devices, and `fit`
        called in it splits every batch across them. Outside it the model runs on whole batches of any size."""
        return self.distribution.scope() if self.distribution is not None else contextlib.nullcontext()

    def even_batches(self, dataset, batch_size: int | None = None):
        """`dataset` with every batch made a multiple of the device count, which DataParallel needs: a larger
        batch loses its last `size % num_replicas_in_sync` examples, a batch smaller than the device count
        repeats its examples up to it; every batch stays, so `steps_per_epoch` holds. None stays None.
        With several processes, this process's slice of global batches of `batch_size` (`_process_slices`)."""
        replicas = self.num_replicas_in_sync
        if dataset is None or replicas < 2:
            return dataset
        import tensorflow as tf

        if self.num_processes > 1:  # every process reads as many batches, each its equal slice of a global one
            return self._process_slices(dataset, batch_size)

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


    def _process_slices(self, dataset, batch_size: int | None):
        """Each global batch made exactly `batch_size` rows (rounded down to a multiple of the devices; a
        shorter batch repeats its rows), and this process's slice of it: process p reads rows
        [p * size / P, (p + 1) * size / P). Every process builds the same dataset, so all read as many
        batches (the collectives need it) and together they read every global batch once."""
        import jax
        import tensorflow as tf

        if batch_size is None:
            raise ValueError("training.strategy: multi_worker needs the global batch size (data.batch_size)")
        replicas, processes = self.num_replicas_in_sync, self.num_processes
        size = max(batch_size // replicas * replicas, replicas)
        share = size // processes
        start = jax.process_index() * share

        def slice_of_batch(*batch):
            rows = tf.shape(tf.nest.flatten(batch)[0])[0]
            keep = (tf.range(share) + start) % rows
            return tf.nest.map_structure(lambda tensor: tf.gather(tensor, keep), batch)

        return dataset.map(slice_of_batch, num_parallel_calls=tf.data.AUTOTUNE)

    def leave(self, model) -> None:
        """After training: with several processes, every variable of `model` (and its optimizer's and
        metrics') becomes a plain array on this process's first device, so this process evaluates,
        predicts and exports alone. One process: nothing to do."""
        if self.num_processes < 2:
            return
        from pipelines.jax_cluster import all_variables, make_local

        make_local(all_variables(model))
        # the step functions compiled in fit put their outputs on the cluster's devices: compile them again
        model.train_function = model.test_function = model.predict_function = None


class DataParallelStrategy(_JaxStrategy):
    """Batches split across several devices by `keras.distribution.DataParallel` (tagged `data_parallel`)."""


class ModelParallelStrategy(_JaxStrategy):
    """Variables sharded over a (batch, model) device mesh by `keras.distribution.ModelParallel`
    (tagged `model_parallel`)."""


class SingleDeviceStrategy(_JaxStrategy):
    """One device, no distribution (tagged `single_device`)."""


def local_devices(name: str) -> list:
    """The JAX devices `training.strategy: name` trains on (`auto`, `cpu`, `gpu`; `multi_worker`: every
    process's devices)."""
    import jax

    if name == "multi_worker":
        if not jax.distributed.is_initialized():
            raise RuntimeError("training.strategy: multi_worker, but this process joined no cluster "
                               "(pipelines.jax_cluster.join_cluster runs first in a run)")
        return jax.devices()
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


def layout_map(model_parallel, mesh, backbone=None):
    """The `keras.distribution.LayoutMap` of `training.model_parallel` on `mesh`: its {regex: axes}, or
    (`auto`) what the keras-hub backbone class `model.backbone` names returns from `get_layout_map(mesh)`."""
    import keras

    if isinstance(model_parallel.layout_map, dict):
        layouts = keras.distribution.LayoutMap(mesh)
        for pattern, axes in model_parallel.layout_map.items():
            layouts[pattern] = tuple(axes)
        return layouts
    name = getattr(backbone, "name", None)
    cls = None
    if getattr(backbone, "source", None) == "keras_hub":
        from models.backbones.keras_hub import backbone_class

        cls = backbone_class(name)
    if cls is None or not hasattr(cls, "get_layout_map"):
        raise ValueError(f"training.model_parallel.layout_map: auto needs a keras-hub backbone with "
                         f"get_layout_map (GemmaBackbone, LlamaBackbone, QwenBackbone, ...); model.backbone "
                         f"{name!r} has none: give {{regex: [axes]}}, e.g. {{'.*dense.*kernel': [null, model]}}")
    return cls.get_layout_map(mesh, model_parallel_dim_name="model", data_parallel_dim_name="batch")


def _model_parallel(devices: list, model_parallel, backbone) -> ModelParallelStrategy:
    import keras
    import numpy as np

    model = model_parallel.mesh.model
    batch = model_parallel.mesh.batch
    batch = len(devices) // model if batch == "auto" else batch
    if batch * model != len(devices) or batch < 1:
        raise ValueError(f"training.model_parallel.mesh: batch {batch} x model {model} is not the "
                         f"{len(devices)} device(s) of training.strategy")
    mesh = keras.distribution.DeviceMesh((batch, model), ["batch", "model"], np.asarray(devices))
    distribution = keras.distribution.ModelParallel(layout_map=layout_map(model_parallel, mesh, backbone),
                                                    batch_dim_name="batch")
    return ModelParallelStrategy(devices, distribution, replicas=batch)


def select_jax_strategy(name: str, model_parallel=None, backbone=None) -> _JaxStrategy:
    """DataParallel over the devices of `training.strategy` when there are several, else one device;
    ModelParallel over them with `training.model_parallel` (`backbone`: the `model.backbone` section, for
    `layout_map: auto`).

    Build the model and call `fit` inside `scope()`, on `even_batches` of the data; evaluation,
    predict and the export run outside it, on whole batches.
    """
    import keras

    devices = local_devices(name)
    if model_parallel is not None:
        return _model_parallel(devices, model_parallel, backbone)
    if len(devices) < 2:
        if name == "cpu" and devices:
            import jax

            jax.config.update("jax_default_device", devices[0])
        return SingleDeviceStrategy(devices)
    # several processes: even_batches gives each its slice, so Keras must not shard the dataset again
    return DataParallelStrategy(devices, keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False))
