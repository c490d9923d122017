"""Pick the `tf.distribute` strategy and the mixed-precision policy a spec asks for.

`auto` picks a TPU when one is configured, MirroredStrategy on several GPUs,
and the default strategy otherwise. Mixed precision `auto` is mixed_float16 on
GPUs, mixed_bfloat16 on TPUs, float32 on CPUs.

Example:
    >>> strategy = select_strategy("cpu")
    >>> select_precision("auto", strategy), strategy_name(strategy)
    ('float32', 'one_device')
"""

from __future__ import annotations

import json
import os
import re

import tensorflow as tf


def _tpu_configured() -> bool:
    return bool(os.environ.get("TPU_NAME") or os.environ.get("COLAB_TPU_ADDR")) or os.path.exists("/dev/accel0")


def _tpu_strategy():
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def _gpus() -> list:
    return tf.config.list_logical_devices("GPU")


def _auto():
    if _tpu_configured():
        return _tpu_strategy()
    return tf.distribute.MirroredStrategy() if len(_gpus()) > 1 else tf.distribute.get_strategy()


def _one_gpu():
    if not _gpus():
        raise RuntimeError("training.strategy: gpu, but TensorFlow sees no GPU")
    return tf.distribute.OneDeviceStrategy("/gpu:0")


def _multi_worker():
    if "TF_CONFIG" not in os.environ:
        raise RuntimeError("training.strategy: multi_worker needs TF_CONFIG describing the cluster")
    return tf.distribute.MultiWorkerMirroredStrategy()


STRATEGIES = {
    "auto": _auto,
    "cpu": lambda: tf.distribute.OneDeviceStrategy("/cpu:0"),
    "gpu": _one_gpu,
    "mirrored": tf.distribute.MirroredStrategy,
    "multi_worker": _multi_worker,
    "tpu": _tpu_strategy,
}


def select_strategy(name: str, model_parallel=None, backbone=None) -> tf.distribute.Strategy:
    """The strategy for `training.strategy`; a clear error when the hardware is missing.

    On JAX, `model_parallel` (`training.model_parallel`) and `backbone` (`model.backbone`, for its
    layout map) go to `pipelines.jax_distribution.select_jax_strategy`.
    """
    import keras

    if keras.backend.backend() == "jax":  # keras.distribution.DataParallel (or ModelParallel) over the devices
        from pipelines.jax_distribution import select_jax_strategy

        return select_jax_strategy(name, model_parallel, backbone)
    return STRATEGIES[name]()


_NAMES = {
    "_DefaultDistributionStrategy": "default",
    "OneDeviceStrategy": "one_device",
    "MirroredStrategy": "mirrored",
    "MultiWorkerMirroredStrategy": "multi_worker",
    "CollectiveAllReduceStrategy": "multi_worker",
    "TPUStrategy": "tpu",
    "TPUStrategyV2": "tpu",
    "ParameterServerStrategy": "parameter_server",
    "ParameterServerStrategyV2": "parameter_server",
    "CentralStorageStrategy": "central_storage",
}


def strategy_name(strategy: tf.distribute.Strategy) -> str:
    """A strategy as a word for tags and logs: `default`, `one_device`, `mirrored`, `multi_worker`, `tpu`, ...

    Subclasses read as their parent; an unknown strategy as its class name in snake case,
    without `Strategy` (and a `V2` after it).

    Example:
        >>> strategy_name(tf.distribute.get_strategy())
        'default'
    """
    for cls in type(strategy).__mro__:
        if cls.__name__ in _NAMES:
            return _NAMES[cls.__name__]
    name = re.sub(r"Strategy(V\d+)?$", "", type(strategy).__name__.strip("_"))
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower() or "unknown"


# Strategies under which Keras 3's own fit() and evaluate() fail, so training runs the custom loop in
# `pipelines.distributed_fit`: MultiWorkerMirroredStrategy reduces a PerReplica batch (keras-team/keras#20585).
_FIT_FAILS = {"multi_worker"}


def keras_fit_works(strategy: tf.distribute.Strategy) -> bool:
    """Whether Keras' `model.fit()` trains under `strategy` (else `pipelines.distributed_fit.fit` does).

    Example:
        >>> keras_fit_works(tf.distribute.get_strategy())
        True
    """
    return strategy_name(strategy) not in _FIT_FAILS


def select_precision(setting: str, strategy: tf.distribute.Strategy) -> str:
    """The Keras dtype policy name for `training.mixed_precision`."""
    if hasattr(strategy, "precision"):  # JAX (pipelines.jax_distribution): auto from the JAX devices
        return strategy.precision(setting)
    if setting != "auto":
        return setting
    if isinstance(strategy, tf.distribute.TPUStrategy):
        return "mixed_bfloat16"
    return "mixed_float16" if _gpus() else "float32"


def worker_role() -> tuple[bool, int]:
    """(is this process the chief, its worker index) from TF_CONFIG, or from the JAX cluster this process
    joined (process 0 is the chief); (True, 0) without a cluster.

    Example:
        >>> worker_role()
        (True, 0)
    """
    from pipelines.jax_cluster import chief_process

    joined = chief_process()
    if joined is not None:
        return joined
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task") or {}
    kind, index = task.get("type", "chief"), int(task.get("index", 0))
    has_chief = "chief" in (config.get("cluster") or {})
    return (kind == "chief" or (kind == "worker" and index == 0 and not has_chief)), index
