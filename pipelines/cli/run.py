"""`kpipe run SPEC`: data, training, tracking, export."""

from __future__ import annotations

from pipelines.cli.common import EXIT_GATE, EXIT_OK, add_spec_parser, console, load


def add_parser(commands) -> None:
    sub = add_spec_parser(commands, "run", run, "Run a spec: data, training, tracking, export.")
    sub.add_argument("--resume", action="store_true",
                     help="continue the last unfinished run of this spec from its backup")


def run(args) -> int:
    """Run a spec end to end."""
    spec = load(args)
    from pipelines.runner import run as run_spec

    result = run_spec(spec, resume=args.resume)
    summary(result, spec)
    return EXIT_GATE if result.failed_gates else EXIT_OK


def summary(result, spec) -> None:
    """Print a run's id, metrics, export, failed gates and verdicts (model vs baselines) as a table."""
    from rich.table import Table

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
    for verdict in result.verdicts:
        table.add_row("verdict", verdict)
    if result.tracking_uri:
        table.add_row("look at it", f"mlflow ui --backend-store-uri {result.tracking_uri}")
    console().print(table)
