"""Several JAX processes training as one (`training.strategy: multi_worker` on `training.backend: jax`).

`join_cluster` runs `keras.distribution.initialize` (which calls `jax.distributed.initialize`) first in a
run, with the coordinator, process count and process id of `cluster_settings`: `training.cluster`, else
Keras' KERAS_DISTRIBUTION_JOB_ADDRESSES / _NUM_PROCESSES / _PROCESS_ID, else TF_CONFIG (so one launcher
serves both backends). Process 0 is the chief (`chief_process`): it alone tracks in MLflow and exports.

A variable of the cluster is one global array, and every assignment to it is a step that every process
takes with the same value. So what a process does alone runs `outside_distribution`: process 0 alone backs
up and restores (`cluster_backup_and_restore`, which then hands its state to the others) and checkpoints
(`chief_only`); after training `make_local` gives each process plain local copies, so each evaluates and
predicts alone and process 0 exports. `pipelines.jax_distribution` gives each process its slice of
every global batch.

Example (two processes on one machine, each with its process id):
    KERAS_DISTRIBUTION_JOB_ADDRESSES=127.0.0.1:9876 KERAS_DISTRIBUTION_NUM_PROCESSES=2 \
    KERAS_DISTRIBUTION_PROCESS_ID=0 kpipe run spec.yaml --set training.backend=jax \
        --set training.strategy=multi_worker
"""

from __future__ import annotations

import contextlib
import json
import os
import sys


def cluster_settings(cluster=None) -> tuple[str | None, int | None, int | None]:
    """(coordinator address, process count, process id) of a multi-process run.

    Each comes from `training.cluster` (`cluster`) when set there, else from Keras' environment variables
    (KERAS_DISTRIBUTION_JOB_ADDRESSES: its first address; KERAS_DISTRIBUTION_NUM_PROCESSES;
    KERAS_DISTRIBUTION_PROCESS_ID), else from TF_CONFIG (its first worker, its worker count, its task
    index), else None.

    Example:
        >>> os.environ["KERAS_DISTRIBUTION_JOB_ADDRESSES"] = "10.0.0.1:1234,10.0.0.2:1234"  # doctest: +SKIP
        >>> cluster_settings()                                                          # doctest: +SKIP
        ('10.0.0.1:1234', 2, None)
    """
    addresses = os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    count = os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES")
    index = os.environ.get("KERAS_DISTRIBUTION_PROCESS_ID")
    coordinator = addresses.split(",")[0].strip() if addresses else None
    count = int(count) if count else (len(addresses.split(",")) if addresses and "," in addresses else None)
    index = int(index) if index else None
    tf_config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    workers = (tf_config.get("cluster") or {}).get("worker") or []
    if workers and coordinator is None:
        coordinator, count = workers[0], count or len(workers)
        task = tf_config.get("task") or {}
        if index is None and task.get("type", "worker") == "worker":
            index = int(task.get("index", 0))
    if cluster is not None:
        coordinator = cluster.coordinator or coordinator
        count = cluster.num_processes or count
        index = cluster.process_id if cluster.process_id is not None else index
    return coordinator, count, index


def join_cluster(training) -> None:
    """Join the processes of `training.strategy: multi_worker` on `training.backend: jax`, once per process,
    before JAX computes anything (`keras.distribution.initialize`, which calls `jax.distributed.initialize`).
    Any other spec: nothing to do."""
    if training.backend != "jax" or training.strategy != "multi_worker":
        return
    import jax
    import keras

    if jax.distributed.is_initialized():
        return
    coordinator, count, index = cluster_settings(training.cluster)
    missing = [name for name, value in (("coordinator", coordinator), ("num_processes", count),
                                        ("process_id", index)) if value is None]
    if missing:
        raise RuntimeError(f"training.strategy: multi_worker on jax, but no {', '.join(missing)}: set "
                           f"training.cluster, KERAS_DISTRIBUTION_JOB_ADDRESSES / _NUM_PROCESSES / _PROCESS_ID, "
                           f"or TF_CONFIG")
    keras.distribution.initialize(coordinator, count, index)


def chief_process() -> tuple[bool, int] | None:
    """(is this process 0, its index) when this process joined a JAX cluster, else None."""
    if "jax" not in sys.modules:
        return None
    import jax

    if not jax.distributed.is_initialized():
        return None
    return jax.process_index() == 0, jax.process_index()



def all_variables(model) -> list:
    found = {}
    optimizer = getattr(model, "optimizer", None)
    groups = [model.variables, getattr(optimizer, "variables", []),
              *(metric.variables for metric in getattr(model, "metrics", []))]
    for group in groups:
        for variable in group:
            found.setdefault(id(variable), variable)
    return list(found.values())


def cluster_backup_and_restore(path: str, chief: bool):
    """`keras.callbacks.BackupAndRestore` for a multi-process JAX run: process 0 alone backs up and restores.

    A variable of the cluster is one global array, and every assignment to it is a step all processes take
    with equal values. So when training starts, every process takes its variables off the cluster (local
    copies), process 0 loads its backup into them, all take process 0's values and first epoch
    (`broadcast_one_to_all`), and the variables go back onto the cluster. Only process 0 writes backups; the
    others write none, so a kill never leaves them a half-written one to read.
    """
    import keras
    import numpy as np
    from jax.experimental import multihost_utils

    class ClusterBackupAndRestore(keras.callbacks.BackupAndRestore):
        def on_train_begin(self, logs=None):
            variables = all_variables(self.model)
            layouts = [variable._layout for variable in variables]
            make_local(variables)
            if chief:
                with outside_distribution():
                    super().on_train_begin(logs)
            state = [np.asarray(variable.value) for variable in variables]
            epoch = np.asarray(self.model._initial_epoch or 0, dtype="int32")
            state, epoch = multihost_utils.broadcast_one_to_all((state, epoch))
            for variable, layout, value in zip(variables, layouts, state):
                variable._layout = layout
                variable.assign(value)  # equal on every process: back onto the cluster's devices
            self.model._initial_epoch = int(epoch) or None

        def on_epoch_end(self, epoch, logs=None):
            if chief:
                with outside_distribution():
                    super().on_epoch_end(epoch, logs)

        def on_train_batch_end(self, batch, logs=None):
            if chief:
                with outside_distribution():
                    super().on_train_batch_end(batch, logs)

        def on_train_end(self, logs=None):
            if chief:
                super().on_train_end(logs)

    return ClusterBackupAndRestore(path, save_freq="epoch")


@contextlib.contextmanager
def outside_distribution():
    """No Keras distribution inside: what a process does alone (saving builds throwaway objects whose
    variables must not be laid out over the cluster, which would make every process wait for the others)."""
    import keras

    current = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(current)


HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
         "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
         "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end")


def chief_only(callback, chief: bool):
    """A callback that writes files (ModelCheckpoint), for a multi-process JAX run: process 0 runs it outside
    the distribution (`outside_distribution`); the other processes get a callback that does nothing."""
    import keras

    if not chief:
        return keras.callbacks.Callback()

    class OnChief(keras.callbacks.Callback):
        def set_model(self, model):
            super().set_model(model)
            callback.set_model(model)

        def set_params(self, params):
            super().set_params(params)
            callback.set_params(params)

    def hook(name):
        def run(self, *args, **kwargs):
            with outside_distribution():
                return getattr(callback, name)(*args, **kwargs)
        return run

    for name in HOOKS:
        setattr(OnChief, name, hook(name))
    return OnChief()


def make_local(variables) -> None:
    """Each variable a plain array on this process's first device (a replicated one: this process's copy;
    a sharded one: gathered from every process, which they all must call together)."""
    import jax
    import numpy as np
    from jax.experimental import multihost_utils

    device = jax.local_devices()[0]
    for variable in variables:
        value = variable.value
        if not getattr(value, "is_fully_addressable", True):
            value = (np.asarray(value) if value.is_fully_replicated
                     else multihost_utils.process_allgather(value, tiled=True))
        variable._layout = None  # no longer laid out over the cluster's devices
        variable._value = jax.device_put(np.asarray(value), device)
