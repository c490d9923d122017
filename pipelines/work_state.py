"""What an interrupted job needs to resume: a small JSON document in its work folder.

Three files use it: `<work_dir>/run.json` (`run_id`: the unfinished MLflow run),
`<work_dir>/phases.json` (`done`: the training phases that finished) and
`<sweep folder>/sweep.json` (`parent_run_id`, `strategy`: the unfinished sweep).
Every write replaces the file at once (a temporary file, then `os.replace`), so a kill
mid-write leaves the previous document, never half of one.

Example:
    >>> import tempfile
    >>> state = WorkState(Path(tempfile.mkdtemp()) / "run.json")
    >>> state.exists(), state.get("run_id")
    (False, None)
    >>> state.update(run_id="4b9e")
    >>> state.get("run_id")
    '4b9e'
    >>> state.clear()
    >>> state.exists()
    False
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


class WorkState:
    """A JSON object at `path`, read on every call, written whole and atomically."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> dict[str, Any]:
        """The whole document; `{}` when there is none."""
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.read().get(key, default)

    def update(self, **values: Any) -> None:
        """Set these keys, keep the others, and write the document in one step."""
        document = {**self.read(), **values}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w") as file:
                json.dump(document, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def clear(self) -> None:
        """Forget the document: the job finished, nothing to resume."""
        self.path.unlink(missing_ok=True)
