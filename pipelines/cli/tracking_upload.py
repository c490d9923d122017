"""`kpipe tracking upload FOLDER`: send a run's records that a tracking server did not take.

A run on a tracking server that stayed unreachable after the run ended leaves its records in
`<work_dir>/<run_id>.pending/` (`pipelines.tracking_buffer`) and prints this command. It sends
them into the run on that server, or, with `--tracking-uri` naming another server or store
where the run is not, creates the run there (same experiment, name and tags) with every record.

Example:
    $ kpipe tracking upload .kpipe/4b9e0c....pending
    $ kpipe tracking upload .kpipe/4b9e0c....pending --tracking-uri sqlite:///mlruns/mlflow.db
"""

from __future__ import annotations

import sys

from pipelines.cli.common import EXIT_OK


def add_parser(commands) -> None:
    tracking = commands.add_parser("tracking", help="Tracking server chores: upload a run's pending records.",
                                   description="Tracking server chores.")
    actions = tracking.add_subparsers(dest="tracking_command", required=True, metavar="action")
    upload = actions.add_parser("upload", help="Send a run's pending records (a <run>.pending folder) to MLflow.",
                                description="Send the records a tracking server did not take during a run "
                                            "(the <work_dir>/<run_id>.pending folder the run printed) to MLflow.")
    upload.add_argument("folder", nargs="+", help="a <run_id>.pending folder (several: each in turn)")
    upload.add_argument("--tracking-uri", help="MLflow server or store to send them to (default: the run's own)")
    upload.set_defaults(handler=run)


def run(args) -> int:
    """Upload each pending folder; a server still unreachable is an error that loses nothing."""
    from pipelines.tracking_buffer import read_pending, upload

    for folder in args.folder:
        header, records, sent = read_pending(folder)
        run_id = upload(folder, args.tracking_uri)
        target = args.tracking_uri or header["tracking_uri"]
        print(f"uploaded {len(records) - sent if run_id == header['run_id'] else len(records)} record(s) of run "
              f"{header['run_name'] or header['run_id']} to {target}: run {run_id}", file=sys.stderr)
    return EXIT_OK
