"""What a run records about itself besides its results: the spec flattened to params, and MLflow's description,
source and git tags.

Example:
    >>> flatten({"training": {"epochs": 3}})
    {'training.epochs': '3'}
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from pipelines import tags as tag


def flatten(data: Any, prefix: str = "") -> dict[str, str]:
    """Nested mappings/lists to dotted keys with string values.

    Example:
        >>> flatten({"training": {"optimizer": {"name": "adam"}}, "stages": [{"resize": {"height": 8}}]})
        {'training.optimizer.name': 'adam', 'stages.0.resize.height': '8'}
    """
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, (list, tuple)) and data and any(isinstance(v, (dict, list)) for v in data):
        items = ((str(i), v) for i, v in enumerate(data))
    else:
        return {prefix: "" if data is None else str(data)} if prefix else {}
    flat: dict[str, str] = {}
    for key, value in items:
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


GIT_TIMEOUT_S = 5
"""How long a `git` call may take before the run goes on without git tags."""


def run_metadata(description: str = "", source: str | Path | None = None) -> dict[str, str]:
    """MLflow's description and source tags for a run of the spec `description`, read from the file `source`.

    Example:
        >>> run_metadata("Small CNN on digits")
        {'mlflow.note.content': 'Small CNN on digits'}
    """
    tags = {"mlflow.note.content": description} if description else {}
    if source is not None:
        path = Path(source).resolve()
        tags.update({"mlflow.source.name": str(path), "mlflow.source.type": "LOCAL", **git_tags(path)})
    return tags


def git_tags(path: Path) -> dict[str, str]:
    """`mlflow.source.git.commit` and `kpipe.git_dirty` of the work tree holding `path`; {} outside git.

    Dirty means uncommitted changes to tracked files, or `path` itself not committed. No git,
    no work tree, no commit yet, or a git call slower than GIT_TIMEOUT_S: no tags, no error.
    """
    folder = path if path.is_dir() else path.parent

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_S, check=True).stdout

    try:
        top, commit = git("rev-parse", "--show-toplevel", "--verify", "HEAD").splitlines()[:2]
        entries = git("status", "--porcelain", "-z").split("\0")
    except (OSError, ValueError, subprocess.SubprocessError):
        return {}
    top = Path(top).resolve()
    inside = path.relative_to(top).as_posix() if path.is_relative_to(top) else ""
    untracked = [entry[3:] for entry in entries if entry.startswith("?? ")]
    dirty = (len(untracked) < sum(1 for entry in entries if entry)
             or any(inside == name or (name.endswith("/") and inside.startswith(name)) for name in untracked))
    return {"mlflow.source.git.commit": commit, tag.GIT_DIRTY: str(dirty).lower()}
