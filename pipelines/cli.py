"""`kpipe`: run, validate and inspect pipeline specs; predict with an export.

TensorFlow, Keras and MLflow are imported only by the commands that need them,
so `kpipe --help`, `kpipe validate` and `kpipe schema` answer at once.
Exit codes: 0 success, 1 a run that ended without an export (failed gate),
2 bad input (spec, data, files), 3 an internal error.

Example:
    $ kpipe validate pipelines/specs/digits.yaml
    $ kpipe run pipelines/specs/digits.yaml --set training.epochs=3
"""

from __future__ import annotations

import argparse
import json
import os
import sys

EXIT_OK, EXIT_GATE, EXIT_BAD_INPUT, EXIT_ERROR = 0, 1, 2, 3


def _console():
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def _load(args):
    from pipelines.spec_loading import load_spec

    return load_spec(args.spec, overrides=args.set or [])


def cmd_validate(args) -> int:
    """Check a spec; print every problem with its key path."""
    spec = _load(args)
    print(f"{args.spec}: ok ({spec.task}, {spec.data.source.type} source, {len(spec.stages)} stages)")
    return EXIT_OK


def cmd_schema(args) -> int:
    """Print the spec's JSON Schema (for editors with a YAML language server)."""
    from pipelines.spec import spec_model

    print(json.dumps(spec_model().model_json_schema(), indent=2))
    return EXIT_OK


def _describe_options(options) -> str:
    parts = []
    for name, field in options.model_fields.items():
        default = "" if field.is_required() else f"={field.get_default(call_default_factory=True)!r}"
        parts.append(f"{name}{default}")
    return ", ".join(parts) or "-"


def cmd_components(args) -> int:
    """List every registered component with its options and summary."""
    from rich.table import Table

    from pipelines import registry
    from pipelines.spec import spec_model

    spec_model()
    console = _console()
    for kind, reg in registry.ALL.items():
        table = Table(title=f"{kind}s", title_justify="left", show_lines=False)
        table.add_column("name", style="bold")
        table.add_column("what it does")
        table.add_column("options")
        for component in reg:
            table.add_row(component.name, component.summary, _describe_options(component.options))
        console.print(table)
    return EXIT_OK


def _summary(result, spec) -> None:
    from rich.table import Table

    console = _console()
    table = Table(title=f"kpipe run {spec.name}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("run id", str(result.run_id))
    for key, value in sorted(result.metrics.items()):
        table.add_row(key, f"{value:.4f}")
    if result.skipped_records:
        table.add_row("skipped records", str(result.skipped_records))
    table.add_row("export", str(result.export_path) if result.export_path else "not written")
    if result.failed_gates:
        table.add_row("failed gates", "; ".join(result.failed_gates))
    if result.tracking_uri:
        table.add_row("look at it", f"mlflow ui --backend-store-uri {result.tracking_uri}")
    console.print(table)


def cmd_run(args) -> int:
    """Run a spec end to end."""
    spec = _load(args)
    from pipelines.runner import run

    result = run(spec, resume=args.resume)
    _summary(result, spec)
    return EXIT_GATE if result.failed_gates else EXIT_OK


def cmd_predict(args) -> int:
    """Predict image files with an export (a model folder's latest version, or a version folder)."""
    from rich.table import Table

    from serving.client import predict_files

    rows = predict_files(args.export_dir, args.files)
    table = Table(title=str(args.export_dir), title_justify="left")
    table.add_column("file", overflow="fold")
    table.add_column("class")
    table.add_column("probability", justify="right")
    for row in rows:
        table.add_row(row["file"], row["class_name"], f"{row['probability']:.4f}")
    _console().print(table)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The `kpipe` argument parser.

    Example:
        >>> build_parser().parse_args(["validate", "spec.yaml"]).command
        'validate'
    """
    parser = argparse.ArgumentParser(prog="kpipe", description="Declarative Keras 3 pipelines.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    def with_spec(name, handler, help_text):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("spec", help="a pipeline spec (YAML)")
        sub.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                         help="override a spec field, e.g. --set training.epochs=3 (repeatable)")
        sub.set_defaults(handler=handler)
        return sub

    run_parser = with_spec("run", cmd_run, "Run a spec: data, training, tracking, export.")
    run_parser.add_argument("--resume", action="store_true",
                            help="continue the last unfinished run of this spec from its backup")
    with_spec("validate", cmd_validate, "Check a spec and print every problem at once.")
    schema = commands.add_parser("schema", help="Print the spec's JSON Schema.")
    schema.set_defaults(handler=cmd_schema)
    components = commands.add_parser("components", help="List registered components and options.")
    components.set_defaults(handler=cmd_components)
    predict = commands.add_parser("predict", help="Predict image files with an export.")
    predict.add_argument("export_dir", help="serving/models/<name> (latest version) or a version folder")
    predict.add_argument("files", nargs="+", help="image files (PNG/JPEG)")
    predict.set_defaults(handler=cmd_predict)
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


if __name__ == "__main__":
    sys.exit(main())
