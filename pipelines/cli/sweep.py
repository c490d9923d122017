"""`kpipe sweep SPEC`: trials (grid, random or KerasTuner) as MLflow child runs of one parent run."""

from __future__ import annotations

from pipelines.cli.common import EXIT_GATE, EXIT_OK, add_spec_parser, console, load, positive_int


def add_parser(commands) -> None:
    sweep = add_spec_parser(commands, "sweep", run, "Run trials of a spec as MLflow child runs of one parent run.")
    sweep.add_argument("--grid", action="append", metavar="KEY.PATH=V1,V2",
                       help="values to try for a spec field; a grid runs every combination (repeatable)")
    sweep.add_argument("--random", type=positive_int, metavar="N",
                       help="run N trials sampled (seeded) from --range spaces, --grid values and the spec's sweep:")
    sweep.add_argument("--range", action="append", metavar="KEY.PATH=[log:|int:]LOW:HIGH",
                       help="a range to sample, e.g. training.optimizer.learning_rate=log:1e-4:1e-2 (repeatable)")
    sweep.add_argument("--tuner", choices=("bayesian", "hyperband"),
                       help="let a KerasTuner oracle choose the trials from the spec's sweep: search space")
    sweep.add_argument("--max-trials", type=positive_int, metavar="N",
                       help="--tuner: trials to run at most (default: sweep.max_trials)")
    sweep.add_argument("--metric", help="metric that ranks trials (default: the first export gate's, "
                                        "else test_accuracy)")
    sweep.add_argument("--mode", choices=("max", "min"), help="whether higher or lower is better")
    sweep.add_argument("--resume", action="store_true",
                       help="continue the unfinished sweep of this spec; trials already FINISHED are not run again")
    sweep.add_argument("--workers", type=positive_int, default=1, metavar="N",
                       help="run N trials at once, each in its own process (output in the sweep folder's "
                            "trial-NNN.log); default 1, in this process")


def run(args) -> int:
    """Run a spec's trials (grid, random or KerasTuner) as MLflow child runs of one parent run."""
    from pipelines.search import SearchPlan, parse_grid, parse_range

    spec = load(args)
    varied = [text.partition("=")[0].strip() for text in [*(args.grid or []), *(args.range or [])]]
    if "training.backend" in varied or (spec.sweep and "training.backend" in spec.sweep.parameters):
        raise ValueError("training.backend cannot vary between trials: a sweep's trials run in one process, on the "
                         "Keras backend it started with; run one sweep per backend (--set training.backend=jax)")
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

    result = sweep(spec, plan, metric=args.metric, mode=args.mode, resume=args.resume, workers=args.workers)
    summary(result, spec)
    return EXIT_OK if any(trial.status == "FINISHED" for trial in result.trials) else EXIT_GATE


def summary(result, spec) -> None:
    """Print every trial with its status and metric, the best marked, and how to compare them."""
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
    out = console()
    out.print(table)
    out.print(f"parent run {result.parent_run_id}; compare: kpipe compare --experiment {spec.experiment} "
              f"--metric {result.metric}")
