"""Read a spec from YAML, apply `--set` overrides, and validate it.

Example:
    >>> spec = load_spec("pipelines/specs/digits.yaml", overrides=["training.epochs=1"])
    >>> spec.training.epochs
    1
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from pipelines import components  # noqa: F401  (fills the registries)
from pipelines.spec import Spec, spec_union
from pipelines.spec_errors import Problem, SpecError, problems_from


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML file, read with `yaml.safe_load`; SpecError if it is not one."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError([Problem("", f"cannot read the file: {error}")], str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        raise SpecError([Problem("", f"not valid YAML{where}: {reason}")], str(path)) from None
    if not isinstance(data, dict):
        raise SpecError([Problem("", f"expected a mapping at the top, got {type(data).__name__}")], str(path))
    return data


def apply_override(data: dict[str, Any], override: str) -> None:
    """Set `a.b.c=value` in `data`; the value is read as YAML (`3`, `true`, `[1, 2]`).

    Example:
        >>> data = {"training": {"epochs": 3}}
        >>> apply_override(data, "training.epochs=5")
        >>> data
        {'training': {'epochs': 5}}
    """
    key, sep, raw = override.partition("=")
    parts = [p for p in key.strip().split(".") if p]
    if not sep or not parts:
        raise SpecError([Problem(key, f"--set expects key.path=value, got {override!r}")], "--set")
    try:
        value = yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError:
        value = raw
    node: Any = data
    for depth, part in enumerate(parts[:-1]):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            continue
        if not isinstance(node, dict):
            where = ".".join(parts[: depth + 1])
            raise SpecError([Problem(where, "--set cannot descend here: not a mapping")], "--set")
        if isinstance(node.get(part), str):
            node[part] = {"name": node[part]}
        node = node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise SpecError([Problem(key, "--set cannot set a value here")], "--set")


def validate_spec(data: dict[str, Any], source: str = "spec") -> Spec:
    """A validated Spec from a mapping; SpecError lists every problem at once."""
    try:
        return _adapter().validate_python(data)
    except ValidationError as error:
        raise SpecError(problems_from(error, spec_union()), source) from None


@functools.cache
def _adapter() -> TypeAdapter:
    return TypeAdapter(spec_union())


def load_spec(spec: str | Path | dict[str, Any], overrides: list[str] = ()) -> Spec:
    """Read (if a path), override and validate a spec."""
    data = read_yaml(spec) if isinstance(spec, (str, Path)) else dict(spec)
    for override in overrides:
        apply_override(data, override)
    return validate_spec(data, str(spec) if isinstance(spec, (str, Path)) else "spec")


def with_choices(spec: Spec, choices) -> Spec:
    """`spec` with the values a task chose from the data (`models.tasks.base.Choice`) set, validated again.

    Example:
        >>> from models.tasks.base import Choice
        >>> spec = load_spec("pipelines/specs/shapes_detection.yaml")
        >>> with_choices(spec, [Choice("training.epochs", 57, "from the data")]).training.epochs
        57
    """
    if not choices:
        return spec
    data = spec.model_dump(mode="json")
    for choice in choices:
        apply_override(data, choice.override)
    return validate_spec(data, "the spec with the values chosen from the training split")
