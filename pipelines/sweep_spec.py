"""The `sweep:` section of a spec: the search space and budget of `kpipe sweep --tuner` (and `--random`).

Example:
    >>> SearchParameter.model_validate([16, 32]).values
    [16, 32]
    >>> SweepSpec(parameters={"training.optimizer.learning_rate": {"type": "float", "min": 1e-4, "max": 1e-2}}).max_trials
    10
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from pipelines.options import Options, PositiveFloat, PositiveInt


def _key_path(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*", text):
        raise PydanticCustomError("key_path", "expected a dotted spec key path, e.g. training.optimizer.learning_rate")
    return text


KeyPath = Annotated[str, AfterValidator(_key_path)]


class SearchParameter(Options):
    """One dimension of a `sweep:` search space: a float or int range, or a list of choices.

    A bare list is shorthand for choices: `model.head.pooling: [avg, max]`.
    """

    type: Literal["float", "int", "choice"] = Field(description="A float or int range, or a choice of values.")
    min: Optional[float] = Field(None, description="Lowest value of a range (inclusive).")
    max: Optional[float] = Field(None, description="Highest value of a range (inclusive).")
    step: Optional[PositiveFloat] = Field(None, description="Spacing of a range's values; none for continuous.")
    sampling: Literal["linear", "log"] = Field("linear", description="Sample a range uniformly or log-uniformly.")
    values: list[Union[bool, int, float, str]] = Field(default_factory=list, description="The choices.")

    @model_validator(mode="before")
    @classmethod
    def _list_is_choice(cls, data: Any) -> Any:
        return {"type": "choice", "values": data} if isinstance(data, list) else data

    @model_validator(mode="after")
    def _complete(self):
        if self.type == "choice":
            if not self.values:
                raise ValueError("a choice needs values: [a, b, ...]")
            if self.min is not None or self.max is not None:
                raise ValueError("a choice takes values, not min/max")
            return self
        if self.min is None or self.max is None or not self.min < self.max:
            raise ValueError(f"a {self.type} range needs min < max")
        if self.values:
            raise ValueError(f"a {self.type} range takes min/max, not values")
        if self.sampling == "log" and self.min <= 0:
            raise ValueError("log sampling needs min > 0")
        if self.type == "int" and not (self.min.is_integer() and self.max.is_integer()):
            raise ValueError("an int range needs whole min and max")
        return self


class SweepSpec(Options):
    """The search space and budget of `kpipe sweep --tuner bayesian|hyperband` (and `--random`)."""

    parameters: dict[KeyPath, SearchParameter] = Field(
        min_length=1,
        description="Spec key path -> range or choices, e.g. "
        "training.optimizer.learning_rate: {type: float, min: 1.0e-4, max: 1.0e-2, sampling: log}.",
    )
    metric: Optional[str] = Field(
        None, description="Metric to optimize; defaults to the first export gate's metric, else the task's metric "
                      "on the test split (test_accuracy for classifiers)."
    )
    mode: Optional[Literal["max", "min"]] = Field(
        None, description="Whether higher or lower is better; defaults from the gate, else min for *loss, else max."
    )
    max_trials: PositiveInt = Field(10, le=10000, description="Trials to run at most.")
    max_epochs: Optional[PositiveInt] = Field(
        None, le=100000, description="Hyperband: the most epochs a trial trains; defaults to training.epochs."
    )
    factor: int = Field(3, ge=2, le=100, description="Hyperband: how much each round cuts the trials.")
