"""`kpipe run SPEC`: data, training, tracking, export."""

from __future__ import annotations

from pipelines.cli.common import EXIT_GATE, EXIT_OK, add_spec_parser, console, load


def add_parser(commands) -> None:
    sub = add_spec_parser(commands, "run", run, "Run a spec: data, training, tracking, export.")
    sub.add_argument("--resume", action="store_true",
                     help="continue the last unfinished run of this spec from its backup")
    sub.add_argument("--profile", action="store_true",
                     help="record a TensorFlow profile of training steps 2-6 (the run's profile/ artifacts)")
    output = sub.add_mutually_exclusive_group()
    output.add_argument("--quiet", action="store_true",
                        help="no per-epoch output, only the summary (sets training.verbose=0)")
    output.add_argument("--verbose", action="store_true",
                        help="Keras' progress bar even when stdout is not a terminal (sets training.verbose=1)")


def run(args) -> int:
    """Run a spec end to end; its phases are timed from the process start."""
    timings = clock()
    if args.quiet or args.verbose:  # an override like --set, so the spec logged to MLflow says what ran
        args.set = [*(args.set or []), f"training.verbose={0 if args.quiet else 1}"]
    spec = load(args)
    from pipelines.runner import run as run_spec

    result = run_spec(spec, resume=args.resume, profile=args.profile, timings=timings, source=args.spec)
    summary(result, spec, timings)
    return EXIT_GATE if result.failed_gates else EXIT_OK


def clock():
    """The run's clock: from the process start when this process is the `kpipe` command, else from now.

    `main([...])` called from a longer-lived Python process (a test, a notebook) does not count
    that process's age as the run's start-up.
    """
    import sys
    from pathlib import Path

    from pipelines.timings import Timings

    command = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    own = command.stem == "kpipe" or command.parts[-3:] == ("pipelines", "cli", "__main__.py")
    return Timings.from_process_start() if own else Timings()


def summary(result, spec, timings=None) -> None:
    """Print a run's id, metrics, export, failed gates, verdicts (model vs baselines) and phase timings."""
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
    if timings is not None:
        table.add_row("time", timings.summary_line())
    if result.tracking_uri:
        table.add_row("look at it", f"mlflow ui --backend-store-uri {result.tracking_uri}")
    console().print(table)
