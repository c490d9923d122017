"""What the library backbone sources (`keras_hub`, `keras_cv`) share: their options and finding a class by name.

Example:
    >>> import keras_hub
    >>> library_backbone_class(keras_hub.models, "keras_hub", "ResNetBackbone").__name__
    'ResNetBackbone'
"""

from typing import Any

from pydantic import Field, model_validator

from pipelines.options import Options
from pipelines.registry import suggest


class LibraryBackboneOptions(Options):
    """A library backbone class by name, pretrained from a preset or randomly initialized from a config."""

    name: str = Field(description="A backbone class of the library.")
    preset: str | None = Field(None, description="Hub handle, known preset name or local folder.")
    config: dict[str, Any] = Field(default_factory=dict, description="Constructor arguments.")

    @model_validator(mode="after")
    def _preset_or_config(self):
        if self.preset is None and not self.config:
            raise ValueError("give a preset (pretrained) or a config (random initialization)")
        return self


def library_backbone_class(models, library: str, name: str):
    """The `Backbone` subclass called `name` in `models` (e.g. `keras_hub.models`); errors suggest close names."""
    cls = getattr(models, name, None)
    if cls is None or not isinstance(cls, type) or not issubclass(cls, models.Backbone):
        known = [n for n in dir(models) if n.endswith("Backbone") and n != "Backbone"]
        raise ValueError(f"model.backbone.name: {name!r} is not a {library} backbone{suggest(name, known)}")
    return cls
