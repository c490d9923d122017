"""What callback builders get from the runner.

Example:
    >>> from pathlib import Path
    >>> CallbackContext(Path(".kpipe/digits")).work_dir.name
    'digits'
"""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CallbackContext:
    """The run's working folder (backups, checkpoints, logs) and whether it resumes."""

    work_dir: Path
    resuming: bool = False
