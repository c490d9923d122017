"""Base model and field types shared by every spec section and component options.

Example:
    >>> from pipelines.options import Options, PositiveFloat
    >>> class Sgd(Options):
    ...     learning_rate: PositiveFloat = 0.01
    >>> Sgd(learning_rate="0.1").learning_rate
    0.1
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError


class Options(BaseModel):
    """Strict base: unknown keys are errors, values are validated on assignment.

    `shorthand` names the field a bare scalar or list fills, so that
    `random_flip: horizontal` reads as `random_flip: {mode: horizontal}`;
    an empty value (`model_checkpoint:`) reads as all defaults.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())
    shorthand: ClassVar[str | None] = None

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, data: Any) -> Any:
        if data is None:
            return {}
        if cls.shorthand and not isinstance(data, (dict, BaseModel)):
            return {cls.shorthand: data}
        return data


class NoOptions(Options):
    """For components that take no options (`- terminate_on_nan`)."""


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise PydanticCustomError("number", "expected a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise PydanticCustomError("number", "expected a number") from None


def _positive(value: Any) -> float:
    try:
        number = _number(value)
    except PydanticCustomError:
        raise PydanticCustomError("positive_number", "expected a positive number") from None
    if not number > 0 or number == float("inf"):
        raise PydanticCustomError("positive_number", "expected a positive number")
    return number


def _fraction(value: Any) -> float:
    number = _number(value)
    if not 0 <= number < 1:
        raise PydanticCustomError("fraction", "expected a fraction in [0, 1)")
    return number


PositiveFloat = Annotated[float, Field(gt=0), BeforeValidator(_positive)]
"""A finite number > 0 (learning rates, factors)."""

Fraction = Annotated[float, Field(ge=0, lt=1), BeforeValidator(_fraction)]
"""A number in [0, 1) (split sizes, dropout)."""

INT32_MAX = 2**31 - 1


def _int32(value: int) -> int:
    # A validator, not `le=`: a field's own `Field(le=...)` must still apply (an `le` here would replace it).
    if value > INT32_MAX:
        raise PydanticCustomError("less_than_equal", "Input should be less than or equal to {le}", {"le": INT32_MAX})
    return value


PositiveInt = Annotated[int, Field(gt=0), AfterValidator(_int32)]
"""An integer > 0 that fits the 32-bit counters TensorFlow uses."""

NonNegativeInt = Annotated[int, Field(ge=0), AfterValidator(_int32)]
"""An integer >= 0 that fits the 32-bit counters TensorFlow uses."""

AUTO = "auto"
"""A value the spec leaves to the data: the task chooses it from the training split."""


def auto_or_count(most: int) -> Any:
    """An integer in [1, most], or "auto"; one plain error otherwise (not one per union branch).

    Example:
        >>> from pydantic import TypeAdapter
        >>> epochs = TypeAdapter(auto_or_count(100))
        >>> epochs.validate_python("auto"), epochs.validate_python("7")
        ('auto', 7)
        >>> try:
        ...     epochs.validate_python(0)
        ... except ValueError as error:
        ...     print(error.errors()[0]["msg"])
        expected auto or an integer in [1, 100]
    """

    def check(value: Any) -> Any:
        if value == AUTO:
            return value
        try:
            number = int(value) if not isinstance(value, (bool, float)) else None
        except (TypeError, ValueError):
            number = None
        if number is None or not 1 <= number <= most:
            raise PydanticCustomError("auto_or_count", "expected auto or an integer in [1, {most}]", {"most": most})
        return number

    return Annotated[Union[int, Literal["auto"]], BeforeValidator(check)]


Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
"""A name safe for folders and MLflow: letters, digits, '.', '_' and '-'."""
