"""The spec's component unions, built from the registries: one member per registered component.

A union picks its member by a tag: the single key of a `{name: options}` item (stages,
callbacks), a field (`type: csv`, `name: adam`), or, for backbones, `source` (and `name`
for built-ins) or a key of the component's own (`from_run:`, see `picked_by`).

Example:
    >>> import pipelines.components
    >>> from pydantic import TypeAdapter
    >>> from pipelines import registry
    >>> TypeAdapter(field_union(registry.optimizers, "name")).validate_python("adam").name
    'adam'
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, Discriminator, Field, Tag, create_model

from pipelines import registry
from pipelines.options import Options
from pipelines.spec_errors import TaggedUnion


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace(".", "_").split("_"))


def _union(kind: str, members: dict[str, type], tag_of, shorthand) -> Any:
    tagged = tuple(Annotated[model, Tag(tag)] for tag, model in members.items())
    union = Union[tagged] if len(tagged) > 1 else tagged[0]
    return Annotated[
        union,
        Discriminator(tag_of),
        TaggedUnion(kind, members),
        BeforeValidator(shorthand),
    ]


def _single_key(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value))
    if isinstance(value, Options):
        return next(iter(type(value).model_fields))
    return None


def keyed(item: Options) -> tuple[str, Options]:
    """The name and options of a `{name: options}` spec item (stages, callbacks, ...).

    Example:
        >>> spec = spec_model().model_validate(yaml.safe_load(open("pipelines/specs/digits.yaml")))  # doctest: +SKIP
        >>> keyed(spec.stages[0])                                                             # doctest: +SKIP
        ('resize', ResizeOptions(height=16, width=16, interpolation='bilinear', crop_to_aspect_ratio=False))
    """
    name = next(iter(type(item).model_fields))
    return name, getattr(item, name)


def keyed_union(reg: registry.Registry) -> Any:
    """`{name: options}` items, or a bare `name` for all defaults."""
    members = {
        c.name: create_model(
            f"{camel(c.name)}{reg.kind.capitalize()}",
            __base__=Options,
            __doc__=c.summary,
            **{c.name: (c.options, Field(default_factory=c.options, description=c.summary))},
        )
        for c in reg
    }
    return _union(reg.kind, members, _single_key, lambda v: {v: None} if isinstance(v, str) else v)


def field_union(reg: registry.Registry, field: str) -> Any:
    """Mappings picked by one field (`type: csv`, `name: adam`); a bare string names it."""
    members = {
        c.name: create_model(
            f"{camel(c.name)}{reg.kind.capitalize()}",
            __base__=c.options,
            __doc__=c.summary,
            **{field: (Literal[c.name], Field(description=f"{reg.kind} name"))},
        )
        for c in reg
    }

    def tag_of(value: Any) -> Any:
        return value.get(field) if isinstance(value, dict) else getattr(value, field, None)

    return _union(reg.kind, members, tag_of, lambda v: {field: v} if isinstance(v, str) else v)


def backbone_union() -> Any:
    """`{source: keras_hub, name: ..., ...}`, `{source: builtin, name: cnn, config: ...}`, or a member picked
    by a key of its own: a backbone whose options list keys in `picked_by` (`{from_run: <run id>}`)."""
    members, picks = {}, {}
    for c in registry.backbones:
        source, _, builtin = c.name.partition(".")
        if getattr(c.options, "picked_by", ()):
            picks.update(dict.fromkeys(c.options.picked_by, c.name))
            members[c.name] = create_model(f"{camel(c.name)}Backbone", __base__=c.options, __doc__=c.summary)
            continue
        fields: dict[str, Any] = {"source": (Literal[source], Field(description="backbone library"))}
        if builtin:
            fields["name"] = (Literal[builtin], Field(description="built-in backbone"))
            fields["config"] = (c.options, Field(default_factory=c.options))
            base = Options
        else:
            base = c.options
        members[c.name] = create_model(f"{camel(c.name)}Backbone", __base__=base, __doc__=c.summary, **fields)

    def tag_of(value: Any) -> Any:
        fields = value if isinstance(value, dict) else type(value).model_fields if isinstance(value, BaseModel) else {}
        picked = next((name for key, name in picks.items() if key in fields), None)
        if picked is not None:
            return picked
        get = value.get if isinstance(value, dict) else lambda key: getattr(value, key, None)
        source = get("source")
        return f"builtin.{get('name')}" if source == "builtin" else source

    return _union("backbone", members, tag_of, lambda v: v)
