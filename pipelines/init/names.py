"""Spec names: what `kpipe init` derives from a file or folder name, and what `--name` may be.

Example:
    >>> sanitize_name("My cars (2024)"), check_name("cars-v2")
    ('My-cars-2024', 'cars-v2')
"""

from __future__ import annotations

import re

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def sanitize_name(text: str) -> str:
    """`text` as a spec name: runs of other characters become '-', it starts with a letter or digit.

    Example:
        >>> sanitize_name("__my data (v2)")
        'my-data-v2'
    """
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).lstrip("._-").rstrip("-")[:128]
    return name or "model"


def check_name(name: str) -> str:
    """`name` when it is a valid spec name, else a ValueError suggesting one.

    Example:
        >>> check_name("bad name")
        Traceback (most recent call last):
        ...
        ValueError: --name 'bad name': use letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. 'bad-name')
    """
    if not _NAME.match(name):
        raise ValueError(f"--name {name!r}: use letters, digits, '.', '_' and '-', starting with a letter or digit "
                         f"(e.g. {sanitize_name(name)!r})")
    return name
