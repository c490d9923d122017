"""Learning-rate schedules by name: constant, cosine (with warmup), exponential, reduce_on_plateau.

A schedule builder returns the learning rate to give the optimizer (a number
or a Keras schedule) and any callbacks it needs.

Example (YAML):
    training:
      schedule: {name: cosine, warmup_steps: 100}
"""

from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from pipelines.options import Fraction, NoOptions, NonNegativeInt, Options, PositiveFloat, PositiveInt
from pipelines.registry import schedules


@dataclass
class Schedule:
    """What the optimizer gets as learning rate, and callbacks the schedule needs."""

    learning_rate: Any
    callbacks: list = field(default_factory=list)


class CosineOptions(Options):
    warmup_steps: NonNegativeInt = Field(0, description="Linear warmup from 0 to the base rate.")
    alpha: Fraction = Field(0.0, description="Final rate as a fraction of the base rate.")


class ExponentialOptions(Options):
    decay_rate: PositiveFloat = Field(0.96, le=1)
    decay_steps: PositiveInt = Field(1000, description="Steps per decay by decay_rate.")
    staircase: bool = False


class PlateauOptions(Options):
    factor: PositiveFloat = Field(0.5, lt=1, description="Multiply the rate by this on a plateau.")
    patience: NonNegativeInt = 2
    min_lr: float = Field(1e-6, ge=0)
    monitor: str = "val_loss"


@schedules.register("constant", NoOptions)
def constant(options: NoOptions, *, learning_rate: float, total_steps: int) -> Schedule:
    """The base learning rate throughout."""
    return Schedule(learning_rate)


@schedules.register("cosine", CosineOptions)
def cosine(options: CosineOptions, *, learning_rate: float, total_steps: int) -> Schedule:
    """Cosine decay over all steps, after an optional linear warmup (keras CosineDecay)."""
    import keras

    warmup = min(options.warmup_steps, max(total_steps - 1, 0))
    return Schedule(keras.optimizers.schedules.CosineDecay(
        0.0 if warmup else learning_rate, decay_steps=max(total_steps - warmup, 1), alpha=options.alpha,
        warmup_target=learning_rate if warmup else None, warmup_steps=warmup,
    ))


@schedules.register("exponential", ExponentialOptions)
def exponential(options: ExponentialOptions, *, learning_rate: float, total_steps: int) -> Schedule:
    """Exponential decay by decay_rate every decay_steps (keras ExponentialDecay)."""
    import keras

    return Schedule(keras.optimizers.schedules.ExponentialDecay(
        learning_rate, options.decay_steps, options.decay_rate, staircase=options.staircase
    ))


@schedules.register("reduce_on_plateau", PlateauOptions)
def reduce_on_plateau(options: PlateauOptions, *, learning_rate: float, total_steps: int) -> Schedule:
    """Start at the base rate; cut it by `factor` when `monitor` stops improving."""
    import keras

    callback = keras.callbacks.ReduceLROnPlateau(
        monitor=options.monitor, factor=options.factor, patience=options.patience, min_lr=options.min_lr
    )
    return Schedule(learning_rate, [callback])
