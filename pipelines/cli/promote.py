"""`kpipe promote`: register a run's model under an alias and point models.config at its export; or roll back."""

from __future__ import annotations

from pipelines.cli.common import EXIT_OK, client, console


def add_parser(commands) -> None:
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
    promote.set_defaults(handler=run)


def run(args) -> int:
    """Register a run's model under an alias and point models.config at its export; or roll back."""
    from rich.table import Table

    from pipelines.promote import promote, rollback

    if args.model and not args.rollback:
        raise ValueError("--model names the model to roll back; a promotion takes the name of the run's export")
    mlflow_client = client(args.tracking_uri)
    if args.rollback:
        done = rollback(mlflow_client, args.alias, args.model, args.base_path)
    else:
        done = promote(mlflow_client, args.run, args.alias, args.base_path)
    table = Table(title=f"kpipe promote: {done.model_name}@{done.alias}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in (("registered model", done.model_name), ("alias", done.alias),
                       ("registry version", done.registry_version), ("run id", done.run_id),
                       ("export version", str(done.export_version)), ("export", str(done.export_path)),
                       ("models.config", str(done.config_path))):
        table.add_row(key, value)
    console().print(table)
    return EXIT_OK
