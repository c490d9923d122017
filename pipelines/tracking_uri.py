"""Where runs are tracked: the spec's URI, else `MLFLOW_TRACKING_URI`, else the embedded SQLite store in the
working folder (`mlruns/mlflow.db`, artifacts in `mlruns/artifacts/`).

Example:
    >>> resolve_tracking_uri("http://mlflow:5000")
    'http://mlflow:5000'
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_STORE = Path("mlruns")


def default_tracking_uri() -> str:
    """The embedded store in the working folder: `sqlite:///<abs>/mlruns/mlflow.db`.

    The path is absolute because MLflow caches stores by URI across folder changes.

    Example:
        >>> default_tracking_uri().endswith("/mlruns/mlflow.db")
        True
    """
    return f"sqlite:///{DEFAULT_STORE.resolve()}/mlflow.db"


def resolve_tracking_uri(configured: str | None) -> str:
    """The spec's URI, else MLFLOW_TRACKING_URI, else the embedded SQLite store.

    Example:
        >>> resolve_tracking_uri("http://mlflow:5000")
        'http://mlflow:5000'
    """
    uri = configured or os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    DEFAULT_STORE.mkdir(parents=True, exist_ok=True)
    return default_tracking_uri()
