"""Component registries: the one extension point of keras-pipelines.

A component is a builder registered under a name together with the pydantic
model of its options. The spec names components; the schema is built from what
is registered, so a new component is usable (and validated) as soon as its
module is imported.

Component modules must stay light at import time (no TensorFlow), so that
`kpipe validate` and `kpipe schema` answer in well under a second.

Example:
    >>> from pipelines.registry import Registry
    >>> from pipelines.options import Options
    >>> toys = Registry("toy")
    >>> class HelloOptions(Options):
    ...     greeting: str = "hi"
    >>> @toys.register("hello", HelloOptions)
    ... def hello(options):
    ...     '''Say hello.'''
    ...     return options.greeting
    >>> toys.get("hello").build(HelloOptions())
    'hi'
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Callable

from pydantic import BaseModel


@dataclass(frozen=True)
class Component:
    """A registered component: its name, options model and builder."""

    kind: str
    name: str
    options: type[BaseModel]
    build: Callable[..., Any]

    @property
    def summary(self) -> str:
        """First line of the builder's docstring."""
        doc = (self.build.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


class UnknownComponentError(KeyError):
    """Raised when a spec names a component nobody registered."""

    def __str__(self) -> str:
        return self.args[0]


class Registry:
    """Names to components of one kind (sources, stages, backbones, ...).

    Example:
        >>> stages = Registry("stage")
        >>> stages.names()
        []
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._components: dict[str, Component] = {}

    def register(self, name: str, options: type[BaseModel]):
        """Decorator registering `build` under `name` with its options model."""

        def decorate(build: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._components:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._components[name] = Component(self.kind, name, options, build)
            return build

        return decorate

    def get(self, name: str) -> Component:
        """The component registered as `name`; the error suggests close names."""
        try:
            return self._components[name]
        except KeyError:
            hint = suggest(name, self.names())
            raise UnknownComponentError(
                f"unknown {self.kind} {name!r}{hint}; registered: {', '.join(self.names())}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._components)

    def __iter__(self):
        return iter(self._components[name] for name in self.names())


def suggest(word: str, candidates: list[str]) -> str:
    """`; did you mean 'x'?` for the closest candidate, or an empty string.

    Example:
        >>> suggest("lerning_rate", ["learning_rate", "momentum"])
        "; did you mean 'learning_rate'?"
    """
    close = difflib.get_close_matches(str(word), candidates, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


sources = Registry("source")
stages = Registry("stage")
augmentations = Registry("augmentation")
backbones = Registry("backbone")
tasks = Registry("task")
optimizers = Registry("optimizer")
schedules = Registry("schedule")
callbacks = Registry("callback")

ALL = {r.kind: r for r in (sources, stages, augmentations, backbones, tasks, optimizers, schedules, callbacks)}
