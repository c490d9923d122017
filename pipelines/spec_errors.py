"""Spec errors that name the YAML key path and say what was expected.

Pydantic reports locations in its own terms (union tags, shorthand fields);
this module turns them into the path a person sees in their YAML file, and
suggests the closest valid key for typos.

Example:
    >>> from pipelines.spec_loading import validate_spec
    >>> try:
    ...     validate_spec({"name": "x"})
    ... except SpecError as error:
    ...     print(error.problems[0])
    task: required key missing
"""

from __future__ import annotations

import json
import re
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from pipelines.registry import suggest


@dataclass(frozen=True)
class TaggedUnion:
    """Marks a spec union whose member is picked by a tag (a key or a `type`/`name` field)."""

    kind: str
    members: dict[str, type[BaseModel]]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec: where (a dotted key path) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<spec>'}: {self.message}"


class SpecError(Exception):
    """A spec that cannot run; holds every problem found, not only the first."""

    def __init__(self, problems: list[Problem], source: str = "spec"):
        self.problems = problems
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = f"{self.source}: {count} problem{'s' if count != 1 else ''}"
        return "\n".join([head] + [f"  {p}" for p in self.problems])


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _unwrap(annotation: Any) -> tuple[Any, TaggedUnion | None]:
    """Strip Annotated/Optional/list wrappers we do not descend through by key."""
    tagged = None
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            for meta in annotation.__metadata__:
                if isinstance(meta, TaggedUnion):
                    tagged = meta
            annotation = annotation.__origin__
        elif origin is typing.Union and not tagged:
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation, None
            annotation = members[0]
        else:
            return annotation, tagged


def _walk(model: type[BaseModel], loc: tuple) -> tuple[list[str], type[BaseModel] | None, TaggedUnion | None]:
    """The YAML path of a pydantic location, and the model or tagged union found at its end (if any)."""
    path: list[str] = []
    annotation: Any = model
    for part in loc:
        annotation, tagged = _unwrap(annotation)
        if tagged is not None:
            annotation = tagged.members.get(part)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            path.append(str(part))
            annotation = _with_metadata(field) if field else None
        else:
            path.append(str(part))
            args = typing.get_args(annotation)
            annotation = args[-1] if args else None
    annotation, tagged = _unwrap(annotation)
    is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return path, annotation if is_model else None, tagged


def _with_metadata(field) -> Any:
    if field.metadata:
        return typing.Annotated[(field.annotation, *field.metadata)]
    return field.annotation


KEY_PATH_PREFIX = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+): (.+)$", re.S)
"""A whole-spec rule names the key it is about first ("training.loss: ..."); that key becomes its path."""

CUSTOM_ERRORS = {"number", "positive_number", "fraction", "gate", "auto_or_count"}
"""Error types our own validators raise; their messages get the offending value appended."""

_MESSAGES = {
    "missing": lambda e: "required key missing",
    "int_parsing": lambda e: f"expected an integer, got {_show(e['input'])}",
    "int_type": lambda e: f"expected an integer, got {_show(e['input'])}",
    "int_from_float": lambda e: f"expected an integer, got {_show(e['input'])}",
    "bool_parsing": lambda e: f"expected true or false, got {_show(e['input'])}",
    "bool_type": lambda e: f"expected true or false, got {_show(e['input'])}",
    "string_type": lambda e: f"expected a string, got {_show(e['input'])}",
    "list_type": lambda e: f"expected a list, got {_show(e['input'])}",
    "dict_type": lambda e: f"expected a mapping, got {_show(e['input'])}",
    "model_type": lambda e: f"expected a mapping, got {_show(e['input'])}",
    "model_attributes_type": lambda e: f"expected a mapping, got {_show(e['input'])}",
    "greater_than": lambda e: f"expected a number > {e['ctx']['gt']}, got {_show(e['input'])}",
    "greater_than_equal": lambda e: f"expected a number >= {e['ctx']['ge']}, got {_show(e['input'])}",
    "less_than": lambda e: f"expected a number < {e['ctx']['lt']}, got {_show(e['input'])}",
    "less_than_equal": lambda e: f"expected a number <= {e['ctx']['le']}, got {_show(e['input'])}",
    "string_pattern_mismatch": lambda e: f"{_show(e['input'])} does not match {e['ctx']['pattern']}",
}


def _message(error: dict, holder: type[BaseModel] | None, key: str, union: TaggedUnion | None = None) -> str:
    """A person's message for one pydantic error; `holder` is the model an unknown key was found in."""
    kind = error["type"]
    if kind == "extra_forbidden":
        valid = list(holder.model_fields) if holder else []
        return f"unknown key{suggest(key, valid)}" + (f"; valid keys: {', '.join(valid)}" if valid else "")
    if kind == "union_tag_invalid":
        expected = [t.strip(" '") for t in error["ctx"]["expected_tags"].split(",")]
        tag = error["ctx"]["tag"]
        return f"unknown name {_show(tag)}{suggest(tag, expected)}; expected one of: {', '.join(expected)}"
    if kind == "literal_error":
        expected = error["ctx"]["expected"]
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
        return f"expected {expected}, got {_show(error['input'])}{suggest(str(error['input']), options)}"
    if kind == "union_tag_not_found":
        members = ", ".join(name for name in union.members if name) if union else ""
        return f"expected a {union.kind if union else 'mapping'} that names one of: {members}"
    if kind in _MESSAGES:
        return _MESSAGES[kind](error)
    message = error["msg"].removeprefix("Value error, ")
    if kind in CUSTOM_ERRORS:
        return f"{message}, got {_show(error['input'])}"
    return message


def problems_from(error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Every error of `error` as a Problem with its YAML key path, in spec order."""
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        path, _, union = _walk(model, loc)
        key = path[-1] if path else ""
        holder = _walk(model, loc[:-1])[1] if item["type"] == "extra_forbidden" else None
        message = _message(item, holder, key, union)
        named = None if path else KEY_PATH_PREFIX.match(message)
        problem = Problem(named[1], named[2]) if named else Problem(".".join(path), message)
        if problem not in problems:
            problems.append(problem)
    return problems
