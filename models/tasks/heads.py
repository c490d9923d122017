"""Head options that several tasks share: `model.head` is validated by the spec's task.

Each task registers the options model of its own head (`tasks.register(name,
HeadOptions)`), so a spec carries only the head keys its task reads: a
regression head has no `label_smoothing`, a detection head no `hidden_units`.

Example:
    >>> PooledHead(hidden_units=[64], dropout=0.2).pooling
    'avg'
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipelines.options import Fraction, Options, PositiveInt


class DenseHead(Options):
    """Layers between the backbone and the output layer."""

    hidden_units: list[PositiveInt] = Field(
        default_factory=list, description="Layers before the output: dense units (convolution filters for masks)."
    )
    dropout: Fraction = Field(0.0, description="Dropout before the output layer.")


class PooledHead(DenseHead):
    """A classifier over pooled backbone features."""

    pooling: Literal["avg", "max", "flatten"] = Field(
        "avg", description="How backbone features become one vector: global avg or max pooling, or flatten."
    )
    label_smoothing: Fraction = Field(0.0, description="Label smoothing of the cross-entropy loss.")


class TextHead(DenseHead):
    """A text classifier over the backbone's per-token vectors."""

    pooling: Literal["avg", "max", "flatten", "cls"] = Field(
        "avg", description="How per-token vectors become one: masked avg, max, flatten, or cls (the first token's)."
    )
    label_smoothing: Fraction = Field(0.0, description="Label smoothing of the cross-entropy loss.")
    multi_label: bool = Field(
        False, description="Several labels per example (sigmoid outputs, binary cross-entropy); the source gives "
                           "them with data.source.label_separator."
    )
