"""What callback builders get from the runner.

Example:
    >>> from pathlib import Path
    >>> CallbackContext(Path(".kpipe/digits")).work_dir.name
    'digits'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CallbackContext:
    """The run's working folder (backups, checkpoints, logs), whether it resumes, and what to monitor.

    `monitor` and `mode` are the task's default metric on the validation split
    and its direction: what a callback watches when its spec names no metric.
    """

    work_dir: Path
    resuming: bool = False
    monitor: str = "val_loss"
    mode: str = "min"

    def watched(self, monitor: str | None, mode: str = "auto") -> tuple[str, str]:
        """The metric and mode a callback watches: the spec's, else the task's.

        Example:
            >>> CallbackContext(Path("."), monitor="val_accuracy", mode="max").watched(None)
            ('val_accuracy', 'max')
            >>> CallbackContext(Path(".")).watched("val_auc", "max")
            ('val_auc', 'max')
        """
        return (self.monitor, self.mode) if monitor is None else (monitor, mode)
