"""`fit()` for the strategies where Keras 3's own fails: a custom training loop under `tf.distribute`.

Keras 3 `fit()` and `evaluate()` raise on the first batch under MultiWorkerMirroredStrategy
(keras-team/keras#20585: `_maybe_symbolic_build` reduces a PerReplica batch). `fit` here does
what Keras' TensorFlow trainer does, with the strategy's own tools:

- the tf.data dataset is distributed with `strategy.experimental_distribute_dataset`, sharded
  by DATA unless the dataset names its own auto-shard policy;
- each step runs `strategy.run` on a `tf.function`; every replica computes the compiled loss
  (`model.compute_loss`, sample and class weights included) averaged over the *global* batch,
  as `tf.nn.compute_average_loss` does, and `model.optimizer.apply_gradients` all-reduces the
  gradients;
- the compiled metrics update per replica and are read across replicas, so the logs are the
  global metrics, the same on every worker;
- a `keras.callbacks.CallbackList` gets the calls `fit()` makes (train, epoch, batch, test),
  `model.stop_training` stops it, and `model.history` comes back, so EarlyStopping,
  ModelCheckpoint, BackupAndRestore, TerminateOnNaN and metric loggers work unchanged.

Across workers, replica 0 (the chief) is the authority: after the callbacks' `on_train_begin`
(BackupAndRestore restoring a backup) every worker takes the chief's first epoch, weights and
optimizer state, and a stop asked on any worker stops them all, so a resumed run never leaves
the workers on different epochs.

Example:
    >>> with strategy.scope():                                            # doctest: +SKIP
    ...     model = build(); model.compile(optimizer="adam", loss="mse")
    >>> history = fit(model, dataset, epochs=3, validation_data=val, callbacks=[early_stopping])  # doctest: +SKIP
    >>> history.history["val_loss"]                                       # doctest: +SKIP
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def fit(model, dataset, *, epochs: int = 1, initial_epoch: int = 0, steps_per_epoch: int | None = None,
        validation_data=None, callbacks=(), class_weight: dict | None = None, verbose: int = 0,
        shuffle: bool = False):
    """Train a compiled `model` (built under its strategy's scope) like `model.fit`; returns its History.

    `dataset` yields `(x, y)` or `(x, y, sample_weight)` global batches; with `steps_per_epoch`
    it should repeat, and one iterator runs through all epochs, as in `fit()`. `shuffle` is
    ignored, as `fit()` ignores it for a tf.data dataset (which shuffles in its pipeline).
    """
    strategy = model.distribute_strategy
    loop = _Loop(model, strategy, dataset)
    train = _distribute(strategy, _with_class_weight(dataset, class_weight))
    validation = _distribute(strategy, validation_data) if validation_data is not None else None
    steps = steps_per_epoch or _cardinality(dataset)
    callback_list = keras.callbacks.CallbackList(
        list(callbacks), add_history=True, add_progbar=verbose != 0, verbose=verbose,
        epochs=epochs, steps=steps, model=model,
    )
    model.stop_training = False
    callback_list.on_train_begin()
    loop.follow_chief()
    start = int(loop.chief_value(model._initial_epoch or initial_epoch))  # BackupAndRestore sets _initial_epoch
    iterator = iter(train) if steps_per_epoch else None
    training_logs = logs = None
    for epoch in range(start, epochs):
        loop.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        batches = iterator if iterator is not None else iter(train)
        logs = {}
        for step in range(steps) if steps else _count():
            batch = next(batches, None)
            if batch is None:
                break
            callback_list.on_train_batch_begin(step)
            logs = _python(loop.train_step(batch))
            callback_list.on_train_batch_end(step, logs)
            if loop.any_worker(model.stop_training):
                break
        epoch_logs = dict(logs)
        if validation is not None:
            epoch_logs.update({f"val_{name}": value for name, value in
                               _evaluate(loop, validation, callback_list).items()})
        callback_list.on_epoch_end(epoch, epoch_logs)
        training_logs = epoch_logs
        if loop.any_worker(model.stop_training):
            break
    if isinstance(model.optimizer, keras.optimizers.Optimizer) and epochs > 0:
        model.optimizer.finalize_variable_values(model.trainable_weights)
    callback_list.on_train_end(logs=training_logs)
    return model.history


def evaluate(model, dataset) -> dict[str, float]:
    """`model.evaluate(dataset, return_dict=True)` under the model's strategy: the global loss and metrics."""
    loop = _Loop(model, model.distribute_strategy, dataset)
    return _evaluate(loop, _distribute(model.distribute_strategy, dataset), keras.callbacks.CallbackList(model=model))


def leave_strategy(model) -> None:
    """Let Keras' `evaluate()`/`predict()`/`save()` run on this process alone after distributed training.

    Keras' own `evaluate()` fails under MultiWorkerMirroredStrategy like `fit()`; without its
    strategy, the model (its variables still mirrored) evaluates the whole dataset on each worker,
    with no collective ops, so the chief alone can also save and export it.
    """
    model._distribute_strategy = None


def _evaluate(loop, distributed, callback_list) -> dict[str, float]:
    loop.reset_metrics()
    callback_list.on_test_begin()
    logs = {}
    for step, batch in enumerate(distributed):
        callback_list.on_test_batch_begin(step)
        logs = _python(loop.test_step(batch))
        callback_list.on_test_batch_end(step, logs)
    callback_list.on_test_end(logs)
    return logs


class _Loop:
    """The compiled steps of one model under its strategy, and the few cross-worker agreements."""

    def __init__(self, model, strategy, dataset):
        self.model, self.strategy = model, strategy
        with strategy.scope():
            # Keras' own build (what fit() does after the failing reduce): layers, compiled
            # loss and metrics, optimizer slots, from one local batch, outside any replica context.
            model._symbolic_build(data_batch=next(iter(dataset.take(1))))
            self.loss_tracker = keras.metrics.Mean(name="loss")
        self.train_step = tf.function(self._train_step, reduce_retracing=True)
        self.test_step = tf.function(self._test_step, reduce_retracing=True)
        self.from_replica_zero, self.sum = tf.function(self._from_replica_zero), tf.function(self._sum)
        self.workers = _workers(strategy)

    def reset_metrics(self):
        self.model.reset_metrics()
        self.loss_tracker.reset_state()

    def _logs(self):
        """The global metrics: reading on-read (summed) metric variables across replicas all-reduces them."""
        return {**self.model.get_metrics_result(), "loss": self.loss_tracker.result()}

    def _replica_loss(self, x, y, y_pred, sample_weight, training):
        """This replica's share of the global mean loss, as `tf.nn.compute_average_loss` would give it.

        Keras' compiled loss is the replica's own batch mean divided by the replica count; scaled
        by (local rows x replicas / global rows) it sums, over replicas, to the global batch mean,
        also for an uneven last batch (regularization losses sum to themselves the same way).
        """
        context = tf.distribute.get_replica_context()
        loss = self.model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training)
        local = tf.cast(tf.shape(tf.nest.flatten(x)[0])[0], loss.dtype)
        global_rows = context.all_reduce(tf.distribute.ReduceOp.SUM, local)
        share = tf.math.divide_no_nan(local * context.num_replicas_in_sync, global_rows)
        mean_loss = loss * tf.cast(context.num_replicas_in_sync, loss.dtype)  # this replica's batch mean
        self.loss_tracker.update_state(mean_loss, sample_weight=local)
        return loss * share

    def _train_step(self, batch):
        model = self.model

        def replica_step(data):
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            with tf.GradientTape() as tape:
                y_pred = model(x, training=True)
                loss = self._replica_loss(x, y, y_pred, sample_weight, training=True)
                scaled = model.optimizer.scale_loss(loss)
            weights = model.trainable_weights
            model.optimizer.apply_gradients(zip(tape.gradient(scaled, weights), weights))
            model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

        self.strategy.run(replica_step, args=(batch,))
        return self._logs()

    def _test_step(self, batch):
        model = self.model

        def replica_step(data):
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            y_pred = model(x, training=False)
            self._replica_loss(x, y, y_pred, sample_weight, training=False)
            model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

        self.strategy.run(replica_step, args=(batch,))
        return self._logs()

    def _from_replica_zero(self, values):
        """`values` as replica 0 (the chief) has them, on every replica: a sum where only replica 0 adds."""

        def replica_fn():
            context = tf.distribute.get_replica_context()
            mine = tf.cast(tf.equal(context.replica_id_in_sync_group, 0), tf.float64)
            return context.all_reduce(tf.distribute.ReduceOp.SUM, [tf.cast(v, tf.float64) * mine for v in values])

        return [self.strategy.experimental_local_results(v)[0] for v in self.strategy.run(replica_fn)]

    def _sum(self, value):
        """`value` summed over the replicas."""

        def replica_fn():
            return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, tf.identity(value))

        return self.strategy.experimental_local_results(self.strategy.run(replica_fn))[0]

    def chief_value(self, value):
        """A number as the chief has it (itself on one worker)."""
        if self.workers == 1:
            return value
        return float(self.from_replica_zero([tf.constant(float(value))])[0].numpy())

    def any_worker(self, flag: bool) -> bool:
        """Whether any worker has `flag` set (itself on one worker); the model then stops on all of them."""
        if self.workers == 1:
            return bool(flag)
        stop = bool(self.sum(tf.constant(float(flag))).numpy() > 0)
        self.model.stop_training = stop
        return stop

    def follow_chief(self):
        """Give every worker the chief's weights and optimizer state (what it restored, or its initial ones)."""
        if self.workers == 1:
            return
        variables = [*self.model.weights, *self.model.optimizer.variables]
        values = [tf.convert_to_tensor(v.value if hasattr(v, "value") else v) for v in variables]
        for variable, value in zip(variables, self.from_replica_zero(values)):
            variable.assign(tf.cast(value, variable.dtype))


def _workers(strategy) -> int:
    """How many worker processes share the strategy's replicas (1 without a cluster)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    cluster = resolver.cluster_spec().as_dict() if resolver is not None else {}
    return sum(len(cluster.get(kind, [])) for kind in ("chief", "worker")) or 1


def _distribute(strategy, dataset):
    """The dataset split across replicas; shards by DATA when the dataset names no policy (AUTO)."""
    options = tf.data.Options()
    policy = dataset.options().experimental_distribute.auto_shard_policy
    if policy == tf.data.experimental.AutoShardPolicy.AUTO:
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        dataset = dataset.with_options(options)
    return strategy.experimental_distribute_dataset(dataset)


def _with_class_weight(dataset, class_weight):
    """`(x, y)` batches with per-row weights from `class_weight` (`{class: weight}`), as `fit()` makes them."""
    if not class_weight:
        return dataset
    table = tf.constant([float(class_weight.get(i, 1.0)) for i in range(max(class_weight) + 1)])

    def add_weights(*data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        labels = tf.argmax(y, axis=-1) if y.shape.rank > 1 and y.shape[-1] != 1 else tf.reshape(y, [-1])
        weights = tf.gather(table, tf.cast(labels, tf.int32))
        return x, y, weights if sample_weight is None else weights * tf.cast(sample_weight, weights.dtype)

    return dataset.map(add_weights, num_parallel_calls=tf.data.AUTOTUNE)


def _cardinality(dataset) -> int | None:
    count = int(dataset.cardinality())
    return count if count > 0 else None


def _count():
    step = 0
    while True:
        yield step
        step += 1


def _python(logs) -> dict:
    """Logs as `fit()` gives them to callbacks: Python floats (arrays for non-scalar metrics)."""
    values = {name: np.asarray(value) for name, value in logs.items()}
    return {name: value.item() if value.ndim == 0 else value for name, value in values.items()}
