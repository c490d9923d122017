"""The YAML text of a draft: lines with aligned comments, the shared header and footer, and YAML scalars.

A draft is built as a list of (YAML line, comment or None) pairs and
rendered once, so every comment lands in one column.

Example:
    >>> print(render([("name: pets", "the spec's name"), ("seed: 42", None)]), end="")
    name: pets  # the spec's name
    seed: 42
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

SEED = 42
SPLIT = {"validation": 0.15, "test": 0.15}
COMMENT_WIDTH = 110  # measured lines of a draft's header are wrapped at this width

Lines = list[tuple[str, str | None]]


@dataclass
class Draft:
    """A drafted spec: its YAML `text`, `task`, `name` and the `notes` to tell the user (e.g. the target chosen)."""

    text: str
    task: str
    name: str
    notes: list[str] = field(default_factory=list)


def header(summary: str, target_note: str | None = None, measured: list[str] = ()) -> Lines:
    """The comment lines opening a draft: what it is about, the target chosen, what was measured, what to do next.

    Example:
        >>> header("Tabular regression.", "target column: 'y' (the last column)")[1][0]
        "# Target column: 'y' (the last column); `kpipe init --target COLUMN` picks another."
    """
    lines = [(f"# {summary}", None)]
    if target_note:
        lines.append((f"# {target_note[0].upper()}{target_note[1:]}; `kpipe init --target COLUMN` picks another.",
                      None))
    lines += [(f"# {line}", None) for line in measured]
    lines += [("# Drafted by `kpipe init`: check it with `kpipe validate <this file>`, "
               "run it with `kpipe run <this file>`.", None)]
    return lines


def wrap(lines: list[str]) -> list[str]:
    """Lines of text wrapped at COMMENT_WIDTH (for `header`'s `measured`).

    Example:
        >>> len(wrap(["word " * 30])), wrap(["short"])
        (2, ['short'])
    """
    import textwrap

    return [part for line in lines for part in textwrap.wrap(line, COMMENT_WIDTH)]


def common_top(name: str, task: str, description: str, task_comment: str | None = None) -> Lines:
    """version, name, task, description and seed."""
    return [
        ("version: 1", None),
        (f"name: {scalar(name)}", "names the runs' MLflow experiment and the export"),
        (f"task: {task}", task_comment),
        (f"description: {scalar(description)}", None),
        (f"seed: {SEED}", "seeds the split, the initial weights and augmentation"),
    ]


def common_bottom(name: str) -> Lines:
    """tracking and export, both named after the spec."""
    return [
        ("tracking:", None),
        (f"  experiment: {scalar(name)}", "MLflow experiment: kpipe compare --experiment " + name),
        ("export:", None),
        (f"  model_name: {scalar(name)}", f"versions go to serving/models/{name}/<n>/"),
    ]


def render(lines: Lines, widest: int = 56) -> str:
    """YAML lines with their comments aligned in one column (lines longer than `widest` push theirs right)."""
    width = max((len(text) for text, comment in lines if comment and len(text) <= widest), default=0) + 2
    out = []
    for text, comment in lines:
        if comment:
            out.append(f"{text.ljust(max(width, len(text) + 2))}# {comment}")
        else:
            out.append(text)
    return "\n".join(out) + "\n"


def scalar(value) -> str:
    """`value` as a YAML scalar in block context (a mapping value or key), quoted only where YAML needs it.

    Example:
        >>> scalar("my cars.csv"), scalar("yes"), scalar(3)
        ('my cars.csv', "'yes'", '3')
    """
    import yaml

    text = yaml.safe_dump(value, width=1 << 30, allow_unicode=True)
    return text.removesuffix("\n...\n").strip()


def flow(value) -> str:
    """`value` (dicts, lists, scalars) as one line of YAML flow style.

    Example:
        >>> flow({"validation": 0.15, "names": ["a b", "no"]})
        "{validation: 0.15, names: [a b, 'no']}"
    """
    import yaml

    if isinstance(value, dict):
        return "{" + ", ".join(f"{flow(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return yaml.safe_dump([value], default_flow_style=True, width=1 << 30, allow_unicode=True).strip()[1:-1]


def class_list(classes) -> str:
    """How many classes, and the first five.

    Example:
        >>> class_list(["a", "b", "c", "d", "e", "f"])
        '6 classes (a, b, c, d, e, ...)'
    """
    classes = list(classes)
    shown = ", ".join(classes[:5]) + (", ..." if len(classes) > 5 else "")
    return f"{len(classes)} classes ({shown})"


def count(number: int, noun: str) -> str:
    """`number` and `noun`, plural unless one.

    Example:
        >>> count(1, "row"), count(3, "row")
        ('1 row', '3 rows')
    """
    return f"{number} {noun}{'s' * (number != 1)}"


def path_comment(path: str, what: str) -> str | None:
    """`what` a path holds, and that a relative path is relative to where kpipe runs."""
    where = "" if os.path.isabs(path) else "relative to the folder kpipe runs in"
    return "; ".join(part for part in (what, where) if part) or None
