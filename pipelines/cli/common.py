"""What the `kpipe` commands share: exit codes, the console, spec loading, the MLflow client.

Nothing here imports TensorFlow, Keras or MLflow at module level, so every
command module can be imported to build the parser at once.
"""

from __future__ import annotations

import argparse
import os

EXIT_OK, EXIT_GATE, EXIT_BAD_INPUT, EXIT_ERROR = 0, 1, 2, 3


def console():
    """A rich Console on stdout, without syntax highlighting."""
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def add_spec_parser(commands, name: str, handler, help_text: str) -> argparse.ArgumentParser:
    """A sub-command taking a spec file and `--set KEY.PATH=VALUE` overrides."""
    sub = commands.add_parser(name, help=help_text, description=help_text)
    sub.add_argument("spec", help="a pipeline spec (YAML)")
    sub.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                     help="override a spec field, e.g. --set training.epochs=3 (repeatable)")
    sub.set_defaults(handler=handler)
    return sub


def load(args):
    """The validated spec of `args.spec` with `args.set` overrides applied.

    Its `training.backend` is read from the YAML first and set as KERAS_BACKEND before
    loading imports Keras (`pipelines.backend.use_backend`), so the run (and a sweep's trials) train on it.
    """
    from pipelines.backend import spec_backend, use_backend

    use_backend(spec_backend(args.spec, args.set or []))
    from pipelines.spec_loading import load_spec

    return load_spec(args.spec, overrides=args.set or [])


def client(configured: str | None):
    """An MlflowClient for `--tracking-uri`, else MLFLOW_TRACKING_URI, else the store in this folder."""
    from mlflow import MlflowClient

    from pipelines.tracking_uri import DEFAULT_STORE, default_tracking_uri

    uri = configured or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()
    if uri == default_tracking_uri() and not (DEFAULT_STORE / "mlflow.db").exists():
        raise FileNotFoundError(f"no MLflow store in {DEFAULT_STORE.resolve()}: run this in the folder the runs "
                                "ran in, or give --tracking-uri")
    return MlflowClient(uri)


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value
