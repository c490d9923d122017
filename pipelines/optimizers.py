"""Optimizers by name: sgd (with momentum), adam, adamw.

Each takes `clipnorm` and `gradient_accumulation_steps` (Keras' own: the
gradients of that many batches are averaged before one update, so a larger
effective batch fits in memory; the schedule still counts batches).

Example (YAML):
    training:
      optimizer: {name: adamw, learning_rate: 1.0e-3, weight_decay: 1.0e-4}
      # optimizer: {name: adamw, learning_rate: 1.0e-4, gradient_accumulation_steps: 4}
"""

from typing import Optional

from pydantic import Field

from pipelines.options import Fraction, Options, PositiveFloat
from pipelines.registry import optimizers


class OptimizerOptions(Options):
    learning_rate: PositiveFloat = Field(1e-3, description="Base learning rate (schedules start from it).")
    clipnorm: Optional[PositiveFloat] = Field(None, description="Clip each gradient to this norm.")
    gradient_accumulation_steps: Optional[int] = Field(
        None, ge=2, le=1024, description="Average the gradients of this many batches before each update (a larger "
                                         "effective batch); default: update after every batch.")


class SgdOptions(OptimizerOptions):
    learning_rate: PositiveFloat = 1e-2
    momentum: Fraction = 0.9
    nesterov: bool = False


class AdamOptions(OptimizerOptions):
    beta_1: Fraction = 0.9
    beta_2: Fraction = 0.999


class AdamWOptions(AdamOptions):
    weight_decay: float = Field(1e-4, ge=0, description="Decoupled weight decay.")


@optimizers.register("sgd", SgdOptions)
def sgd(options: SgdOptions, *, learning_rate):
    """Stochastic gradient descent with momentum (keras.optimizers.SGD)."""
    import keras

    return keras.optimizers.SGD(learning_rate, momentum=options.momentum, nesterov=options.nesterov,
                                clipnorm=options.clipnorm,
                                gradient_accumulation_steps=options.gradient_accumulation_steps)


@optimizers.register("adam", AdamOptions)
def adam(options: AdamOptions, *, learning_rate):
    """Adam (keras.optimizers.Adam)."""
    import keras

    return keras.optimizers.Adam(learning_rate, beta_1=options.beta_1, beta_2=options.beta_2,
                                 clipnorm=options.clipnorm,
                                gradient_accumulation_steps=options.gradient_accumulation_steps)


@optimizers.register("adamw", AdamWOptions)
def adamw(options: AdamWOptions, *, learning_rate):
    """Adam with decoupled weight decay (keras.optimizers.AdamW)."""
    import keras

    return keras.optimizers.AdamW(learning_rate, weight_decay=options.weight_decay, beta_1=options.beta_1,
                                  beta_2=options.beta_2, clipnorm=options.clipnorm,
                                  gradient_accumulation_steps=options.gradient_accumulation_steps)
