"""`kpipe`: run, validate and inspect pipeline specs; predict with an export.

TensorFlow, Keras and MLflow are imported only by the commands that need them,
so `kpipe --help`, `kpipe validate` and `kpipe schema` answer at once.
Exit codes: 0 success, 1 a run that ended without an export (failed gate) or a
sweep in which no trial finished, 2 bad input (spec, data, files, unknown runs),
3 an internal error.

Example:
    $ kpipe validate pipelines/specs/digits.yaml
    $ kpipe run pipelines/specs/digits.yaml --set training.epochs=3
    $ kpipe sweep pipelines/specs/digits.yaml --grid model.head.dropout=0.1,0.3
    $ kpipe compare --experiment digits --format markdown --output runs.md
    $ kpipe promote --run 4b9e... --alias champion
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
    print(f"{args.spec}: ok ({spec.task}, {spec.data.source.type} source, {len(spec.stages)} stage{'s' * (len(spec.stages) != 1)})")
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
    """Predict image files or texts with an export (a model folder's latest version, or a version folder)."""
    from rich.table import Table

    from serving.client import predict_files, predict_texts

    if bool(args.files) == bool(args.text):
        raise ValueError("kpipe predict: give image files, or texts with --text (not both)")
    table = Table(title=str(args.export_dir), title_justify="left")
    if args.text:
        rows = predict_texts(args.export_dir, args.text)
        table.add_column("text", overflow="fold")
        if "tagged" in rows[0]:
            table.add_column("word/TAG", overflow="fold")
            for row in rows:
                table.add_row(row["text"], row["tagged"])
        else:
            table.add_column("class")
            table.add_column("probability", justify="right")
            for row in rows:
                table.add_row(row["text"], row["class_name"], f"{row['probability']:.4f}")
    else:
        table.add_column("file", overflow="fold")
        table.add_column("class")
        table.add_column("probability", justify="right")
        for row in predict_files(args.export_dir, args.files):
            table.add_row(row["file"], row["class_name"], f"{row['probability']:.4f}")
    _console().print(table)
    return EXIT_OK


def cmd_sweep(args) -> int:
    """Run a spec's trials (grid, random or KerasTuner) as MLflow child runs of one parent run."""
    from pipelines.search import SearchPlan, parse_grid, parse_range

    spec = _load(args)
    if args.random and args.tuner:
        raise ValueError("--random N and --tuner are two search strategies; choose one")
    if args.max_trials and not args.tuner:
        raise ValueError("--max-trials goes with --tuner; a grid runs every combination and --random N runs N")
    plan = SearchPlan(
        strategy=args.tuner or ("random" if args.random else "grid"),
        grid=dict(parse_grid(text) for text in args.grid or []),
        ranges=dict(parse_range(text) for text in args.range or []),
        max_trials=args.random or args.max_trials,
    )
    from pipelines.sweep import sweep

    result = sweep(spec, plan, metric=args.metric, mode=args.mode, resume=args.resume)
    _sweep_summary(result, spec)
    return EXIT_OK if any(trial.status == "FINISHED" for trial in result.trials) else EXIT_GATE


def _sweep_summary(result, spec) -> None:
    from rich.table import Table

    best = result.best
    table = Table(title=f"kpipe sweep {spec.name}: best {result.metric} ({result.mode})", title_justify="left")
    for column in ("#", "trial", "status", result.metric, "run id", ""):
        table.add_column(column, overflow="fold")
    for trial in result.trials:
        status = f"{trial.status} (earlier)" if trial.reused else trial.status
        value = "" if trial.value is None else f"{trial.value:.4f}"
        table.add_row(str(trial.number + 1), trial.key, status, value, trial.run_id or "",
                      "best" if trial is best else "")
    console = _console()
    console.print(table)
    console.print(f"parent run {result.parent_run_id}; compare: kpipe compare --experiment {spec.experiment} "
                  f"--metric {result.metric}")


def _client(configured: str | None):
    """An MlflowClient for `--tracking-uri`, else MLFLOW_TRACKING_URI, else the store in this folder."""
    from mlflow import MlflowClient

    from pipelines.tracking import DEFAULT_STORE, default_tracking_uri

    uri = configured or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()
    if uri == default_tracking_uri() and not (DEFAULT_STORE / "mlflow.db").exists():
        raise FileNotFoundError(f"no MLflow store in {DEFAULT_STORE.resolve()}: run this in the folder the runs "
                                "ran in, or give --tracking-uri")
    return MlflowClient(uri)


_SUFFIX_FORMATS = {".csv": "csv", ".json": "json", ".md": "markdown"}


def cmd_compare(args) -> int:
    """Compare runs of an experiment: a table (or CSV/JSON/Markdown) and PNG plots."""
    from pathlib import Path

    from pipelines.compare import compare_runs, find_runs, render, rich_table
    from pipelines.compare_plots import comparison_figures, write_figures

    fmt = args.format or (_SUFFIX_FORMATS.get(Path(args.output).suffix) if args.output else "table")
    if fmt in (None, "table") and args.output:
        raise ValueError(f"--output {args.output}: give --format csv, json or markdown (or a .csv/.json/.md name)")
    client = _client(args.tracking_uri)
    comparison = compare_runs(client, find_runs(client, args.experiment, args.runs or []), args.metric, args.mode)
    if fmt == "table":
        _console().print(rich_table(comparison, f"{args.experiment or 'runs'} by {args.metric} ({comparison.mode})"))
    elif args.output:
        Path(args.output).write_text(render(comparison, fmt), encoding="utf-8")
    else:
        sys.stdout.write(render(comparison, fmt))
    folder = args.plots or Path("compare") / (args.experiment or "runs")
    paths = write_figures(comparison_figures(comparison), folder)
    print(f"plots: {', '.join(str(path) for path in paths)}", file=sys.stderr)
    return EXIT_OK


def cmd_promote(args) -> int:
    """Register a run's model under an alias and point models.config at its export; or roll back."""
    from rich.table import Table

    from pipelines.promote import promote, rollback

    if args.model and not args.rollback:
        raise ValueError("--model names the model to roll back; a promotion takes the name of the run's export")
    client = _client(args.tracking_uri)
    if args.rollback:
        done = rollback(client, args.alias, args.model, args.base_path)
    else:
        done = promote(client, args.run, args.alias, args.base_path)
    table = Table(title=f"kpipe promote: {done.model_name}@{done.alias}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in (("registered model", done.model_name), ("alias", done.alias),
                       ("registry version", done.registry_version), ("run id", done.run_id),
                       ("export version", str(done.export_version)), ("export", str(done.export_path)),
                       ("models.config", str(done.config_path))):
        table.add_row(key, value)
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
    predict = commands.add_parser("predict", help="Predict image files or texts with an export.")
    predict.add_argument("export_dir", help="serving/models/<name> (latest version) or a version folder")
    predict.add_argument("files", nargs="*", help="image files (PNG/JPEG)")
    predict.add_argument("--text", action="append", metavar="TEXT",
                         help="a text for a text export (repeatable); tagging exports print word/TAG")
    predict.set_defaults(handler=cmd_predict)

    sweep = with_spec("sweep", cmd_sweep, "Run trials of a spec as MLflow child runs of one parent run.")
    sweep.add_argument("--grid", action="append", metavar="KEY.PATH=V1,V2",
                       help="values to try for a spec field; a grid runs every combination (repeatable)")
    sweep.add_argument("--random", type=_positive_int, metavar="N",
                       help="run N trials sampled (seeded) from --range spaces, --grid values and the spec's sweep:")
    sweep.add_argument("--range", action="append", metavar="KEY.PATH=[log:|int:]LOW:HIGH",
                       help="a range to sample, e.g. training.optimizer.learning_rate=log:1e-4:1e-2 (repeatable)")
    sweep.add_argument("--tuner", choices=("bayesian", "hyperband"),
                       help="let a KerasTuner oracle choose the trials from the spec's sweep: search space")
    sweep.add_argument("--max-trials", type=_positive_int, metavar="N",
                       help="--tuner: trials to run at most (default: sweep.max_trials)")
    sweep.add_argument("--metric", help="metric that ranks trials (default: the first export gate's, "
                                        "else test_accuracy)")
    sweep.add_argument("--mode", choices=("max", "min"), help="whether higher or lower is better")
    sweep.add_argument("--resume", action="store_true",
                       help="continue the unfinished sweep of this spec; trials already FINISHED are not run again")

    compare = commands.add_parser("compare", help="Compare runs: a table and PNG plots.",
                                  description="Compare runs of an experiment: the params that differ, final and "
                                              "best metrics, duration, export version; and PNG plots.")
    compare.add_argument("--experiment", help="the MLflow experiment whose runs to compare "
                                              "(a spec's tracking.experiment, else its name)")
    compare.add_argument("--runs", nargs="+", metavar="ID", help="only these runs")
    compare.add_argument("--metric", default="val_accuracy", help="metric to rank and plot (default: val_accuracy)")
    compare.add_argument("--mode", choices=("max", "min"), help="whether higher or lower is better")
    compare.add_argument("--format", choices=("table", "csv", "json", "markdown"),
                         help="table (default, for a terminal), or csv, json, markdown")
    compare.add_argument("--output", metavar="FILE", help="write csv/json/markdown here instead of stdout")
    compare.add_argument("--plots", metavar="DIR", help="folder for the PNGs (default: compare/<experiment>)")
    compare.add_argument("--tracking-uri", help="MLflow store (default: MLFLOW_TRACKING_URI, else ./mlruns)")
    compare.set_defaults(handler=cmd_compare)

    promote = commands.add_parser("promote", help="Register a run's model under an alias and serve it.",
                                  description="Register a run's model in the MLflow Model Registry, set an alias, "
                                              "and point TF Serving's models.config at its export; or roll back.")
    which = promote.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", metavar="ID", help="the run whose model to promote")
    which.add_argument("--rollback", action="store_true", help="move the alias back to its previous version")
    promote.add_argument("--alias", default="champion", help="registry alias and TF Serving version label")
    promote.add_argument("--model", help="--rollback: the registered model (default: the one promoted as --alias)")
    promote.add_argument("--base-path", help="the export base path holding models.config (default: the run's)")
    promote.add_argument("--tracking-uri", help="MLflow store (default: MLFLOW_TRACKING_URI, else ./mlruns)")
    promote.set_defaults(handler=cmd_promote)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


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
