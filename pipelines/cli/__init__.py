"""`kpipe`: write, run, validate and inspect pipeline specs; predict with an export.

One module per command (`pipelines/cli/<command>.py`), each with
`add_parser(commands)` and `run(args)`; `COMMANDS` lists them in the order
`kpipe --help` shows them. TensorFlow, Keras and MLflow are imported only by
the commands that need them, so `kpipe --help`, `kpipe validate` and
`kpipe schema` answer at once.
Exit codes: 0 success, 1 a run that ended without an export (failed gate) or a
sweep in which no trial finished, 2 bad input (spec, data, files, unknown runs),
3 an internal error.

Example:
    $ kpipe init data/cars.csv --target MPG
    $ kpipe validate pipelines/specs/digits.yaml
    $ kpipe run pipelines/specs/digits.yaml --set training.epochs=3
    $ kpipe sweep pipelines/specs/digits.yaml --grid model.head.dropout=0.1,0.3
    $ kpipe compare --experiment digits --format markdown --output runs.md
    $ kpipe promote --run 4b9e... --alias champion
    $ kpipe predict serving/models/cars --rows new_cars.csv
"""

from __future__ import annotations

import argparse
import os
import sys

from pipelines.cli import compare, components, init, predict, promote, run, schema, sweep, tracking_upload, validate
from pipelines.cli.common import EXIT_BAD_INPUT, EXIT_ERROR, EXIT_GATE, EXIT_OK

__all__ = ["COMMANDS", "EXIT_BAD_INPUT", "EXIT_ERROR", "EXIT_GATE", "EXIT_OK", "build_parser", "main"]

COMMANDS = (init, run, validate, schema, components, predict, sweep, compare, promote, tracking_upload)
"""The command modules, in `kpipe --help` order; each has `add_parser(commands)` and `run(args)`."""


def build_parser() -> argparse.ArgumentParser:
    """The `kpipe` argument parser, one sub-command per module in `COMMANDS`.

    Example:
        >>> build_parser().parse_args(["validate", "spec.yaml"]).command
        'validate'
    """
    parser = argparse.ArgumentParser(prog="kpipe", description="Declarative Keras 3 pipelines.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `kpipe` console script."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    from pipelines.spec_errors import SpecError

    try:
        return args.handler(args)
    except SpecError as error:
        print(error.render(), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT if _is_bad_input(error) else EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _is_bad_input(error: BaseException) -> bool:
    from pipelines.runner import ResumeError

    return isinstance(error, (ValueError, FileNotFoundError, ResumeError))
