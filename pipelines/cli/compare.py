"""`kpipe compare`: runs of an experiment side by side (table, CSV, JSON or Markdown) and PNG plots."""

from __future__ import annotations

import sys

from pipelines.cli.common import EXIT_OK, client, console

_SUFFIX_FORMATS = {".csv": "csv", ".json": "json", ".md": "markdown"}


def add_parser(commands) -> None:
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
    compare.set_defaults(handler=run)


def run(args) -> int:
    """Compare runs of an experiment: a table (or CSV/JSON/Markdown) and PNG plots."""
    from pathlib import Path

    from pipelines.compare import compare_runs, find_runs, render, rich_table
    from pipelines.compare_plots import comparison_figures, write_figures

    fmt = args.format or (_SUFFIX_FORMATS.get(Path(args.output).suffix) if args.output else "table")
    if fmt in (None, "table") and args.output:
        raise ValueError(f"--output {args.output}: give --format csv, json or markdown (or a .csv/.json/.md name)")
    mlflow_client = client(args.tracking_uri)
    comparison = compare_runs(mlflow_client, find_runs(mlflow_client, args.experiment, args.runs or []),
                              args.metric, args.mode)
    if fmt == "table":
        console().print(rich_table(comparison, f"{args.experiment or 'runs'} by {args.metric} ({comparison.mode})"))
    elif args.output:
        Path(args.output).write_text(render(comparison, fmt), encoding="utf-8")
    else:
        sys.stdout.write(render(comparison, fmt))
    folder = args.plots or Path("compare") / (args.experiment or "runs")
    paths = write_figures(comparison_figures(comparison), folder)
    print(f"plots: {', '.join(str(path) for path in paths)}", file=sys.stderr)
    return EXIT_OK
