"""Compile and fit a model as the spec says, in one or two phases.

Under a strategy where Keras' own `fit()` fails (`pipelines.strategy.keras_fit_works`:
MultiWorkerMirroredStrategy), `pipelines.distributed_fit.fit` trains instead, with the same
callbacks; afterwards the model leaves the strategy, so each worker evaluates on its own and
the chief alone exports.

With `model.trainable.backbone: false` and `unfreeze_after_epoch: N`, training
runs a frozen-backbone phase for N epochs, then unfreezes the backbone and
fine-tunes at `fine_tune_learning_rate_factor` times the learning rate. Each
finished phase is saved in the work folder, so `--resume` skips it (and a run
killed after training, during export, resumes straight to evaluation and export).

Example:
    >>> history = train(spec, task, model, backbone, datasets, work_dir, callbacks=[])  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines import registry
from pipelines.callbacks.context import CallbackContext
from pipelines.spec import keyed
from pipelines.work_state import WorkState


@dataclass(frozen=True)
class Phase:
    """A stretch of epochs with one trainability and learning-rate factor."""

    start: int
    end: int
    backbone_trainable: bool
    learning_rate_factor: float


def plan_phases(spec) -> list[Phase]:
    """One phase, or a frozen phase then a fine-tuning phase.

    Example:
        >>> [p.end for p in plan_phases(spec)]   # doctest: +SKIP
        [5, 20]
    """
    trainable, epochs = spec.model.trainable, spec.training.epochs
    if trainable.unfreeze_after_epoch is None:
        return [Phase(0, epochs, trainable.backbone, 1.0)]
    split = trainable.unfreeze_after_epoch
    return [Phase(0, split, False, 1.0), Phase(split, epochs, True, trainable.fine_tune_learning_rate_factor)]


def compile_model(model, task, spec, *, steps: int, learning_rate_factor: float = 1.0) -> list:
    """Compile with the spec's optimizer and schedule; returns the schedule's callbacks."""
    optimizer_spec, schedule_spec = spec.training.optimizer, spec.training.schedule
    base_rate = optimizer_spec.learning_rate * learning_rate_factor
    schedule = registry.schedules.get(schedule_spec.name).build(
        schedule_spec, learning_rate=base_rate, total_steps=steps
    )
    optimizer = registry.optimizers.get(optimizer_spec.name).build(optimizer_spec, learning_rate=schedule.learning_rate)
    model.compile(optimizer=optimizer, jit_compile=spec.training.jit_compile, **task.compile_options())
    return schedule.callbacks


def keras_verbose(setting) -> int:
    """Keras' `verbose` for `training.verbose`: 0 silent, 1 a live progress bar, 2 one line per epoch.

    `auto` is 1 on a terminal and 2 when stdout is a file or a pipe (CI, `kpipe run ... > log`), where
    Keras' own `auto` (1) would write a progress line per batch.

    Example:
        >>> keras_verbose(0), keras_verbose(2)
        (0, 2)
    """
    import sys

    if setting != "auto":
        return int(setting)
    isatty = getattr(sys.stdout, "isatty", None)
    return 1 if callable(isatty) and isatty() else 2


def spec_callbacks(spec, context: CallbackContext) -> list:
    """The callbacks listed in `training.callbacks`, built fresh."""
    built = []
    for item in spec.training.callbacks:
        name, options = keyed(item)
        built.append(registry.callbacks.get(name).build(options, context=context))
    return built


def phase_state(work_dir: Path) -> WorkState:
    """`<work_dir>/phases.json`: `{"done": [0, ...]}`, the phases that finished, each in `phase_weights`."""
    return WorkState(work_dir / "phases.json")


def phase_weights(work_dir: Path, index: int) -> Path:
    """The weights a finished phase left, which `--resume` loads instead of training it again."""
    return work_dir / f"phase{index}.weights.h5"


def train(spec, task, model, backbone, datasets, work_dir: Path, *, callbacks: list, class_weight=None,
          strategy=None, resuming: bool = False) -> dict[str, list[float]]:
    """Fit the model through its phases; returns the Keras history of the epochs run here.

    `callbacks` (per-epoch logging) run before the spec's, so an epoch is logged
    before BackupAndRestore records it as done: a kill never loses an epoch's metrics.
    """
    import contextlib
    import functools

    from models.backbones import set_trainable
    from pipelines import distributed_fit
    from pipelines.strategy import keras_fit_works

    # Keras' fit() fails under some strategies (MultiWorkerMirroredStrategy): a custom loop trains there
    custom_loop = strategy is not None and not keras_fit_works(strategy)
    fit = functools.partial(distributed_fit.fit, model) if custom_loop else model.fit
    phases = plan_phases(spec)
    state = phase_state(work_dir)
    steps_per_epoch = spec.training.steps_per_epoch or datasets.steps_per_epoch
    train_data = datasets.train.repeat() if spec.training.steps_per_epoch else datasets.train
    validation_data = datasets.validation
    jax_data_parallel = hasattr(strategy, "even_batches")  # pipelines.jax_distribution: fit runs in its scope
    if jax_data_parallel:  # DataParallel splits each batch evenly over the devices
        batch = spec.data.batch_size
        train_data, validation_data = (strategy.even_batches(train_data, batch),
                                       strategy.even_batches(validation_data, batch))
    context = CallbackContext(work_dir, resuming, *task.monitor())
    history: dict[str, list[float]] = {}
    for index, phase in enumerate(phases):
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            set_trainable(backbone, phase.backbone_trainable)  # layers model.backbone.freeze names stay frozen
            schedule_callbacks = compile_model(
                model, task, spec, steps=(phase.end - phase.start) * steps_per_epoch,
                learning_rate_factor=phase.learning_rate_factor,
            )
        if index in state.get("done", []):
            model.load_weights(str(phase_weights(work_dir, index)))
            continue
        with strategy.scope() if jax_data_parallel else contextlib.nullcontext():
            fitted = fit(
                train_data,
                validation_data=validation_data,
                epochs=phase.end,
                initial_epoch=phase.start,
                steps_per_epoch=steps_per_epoch,
                callbacks=[*callbacks, *spec_callbacks(spec, context), *schedule_callbacks],
                class_weight=class_weight,
                shuffle=False,
                verbose=keras_verbose(spec.training.verbose),
            )
        for key, values in fitted.history.items():
            history.setdefault(key, []).extend(values)
        model.save_weights(str(phase_weights(work_dir, index)))
        state.update(done=[*state.get("done", []), index])
    if custom_loop:  # evaluation and export then run on each worker alone
        distributed_fit.leave_strategy(model)
    if jax_data_parallel:  # several JAX processes: the same, each process's variables made local
        strategy.leave(model)
    return history
