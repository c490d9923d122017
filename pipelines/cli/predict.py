"""`kpipe predict EXPORT ...`: image files, texts (--text), table rows (--rows), a series (--series) or seeds (--seed)
through an export."""

from __future__ import annotations

import sys

from pipelines.cli.common import EXIT_OK, console


def add_parser(commands) -> None:
    predict = commands.add_parser("predict", help="Predict image files, texts, table rows or a series with an export.")
    predict.add_argument("export_dir", help="serving/models/<name> (latest version) or a version folder")
    predict.add_argument("files", nargs="*", help="image files (PNG/JPEG)")
    predict.add_argument("--text", action="append", metavar="TEXT",
                         help="a text for a text export (repeatable); tagging exports print word/TAG, text "
                              "generators (causal_lm) take it as a prompt and print its generation")
    predict.add_argument("--rows", metavar="FILE.csv",
                         help="a CSV of raw rows for a tabular export, one column per input; one prediction per row")
    predict.add_argument("--signature", default="serving_default", metavar="NAME",
                         help="--rows: the export's signature to call (e.g. recommend, recommend_by_features)")
    predict.add_argument("--arg", action="append", default=[], metavar="NAME=VALUE",
                         help="--rows: a single-value input of the signature, e.g. k=5 (repeatable)")
    predict.add_argument("--series", metavar="FILE.csv",
                         help="a CSV of one series for a forecasting or sequence-classification export, one row per "
                              "step and one column per value (target first); forecasts print one row per step")
    predict.add_argument("--seed", action="append", type=int, metavar="N",
                         help="a seed for a generator export (repeatable): one image per seed, written as PNG")
    predict.add_argument("--class-id", action="append", type=int, metavar="C",
                         help="--seed with a conditional generator: the class of each seed (once: for every seed)")
    predict.add_argument("--output", default="generated", metavar="DIR",
                         help="--seed: the folder the images are written to (default: generated)")
    predict.set_defaults(handler=run)


def run(args) -> int:
    """Predict image files, texts or CSV rows with an export (a model folder's latest version, or a version folder)."""
    from rich.table import Table

    if sum(map(bool, (args.files, args.text, args.rows, args.series, args.seed))) != 1:
        raise ValueError("kpipe predict: give image files, texts with --text, a CSV with --rows, a series with "
                         "--series or seeds with --seed (exactly one)")
    if (args.signature != "serving_default" or args.arg) and not args.rows:
        raise ValueError("kpipe predict: --signature and --arg go with --rows")
    table = Table(title=str(args.export_dir), title_justify="left")
    if args.seed:
        from serving.generate_client import generate_files

        _fill(table, generate_files(args.export_dir, args.seed, args.output, args.class_id))
    elif args.series:
        from serving.series_client import predict_series

        _fill(table, predict_series(args.export_dir, args.series))
    elif args.rows:
        _rows_table(table, args.export_dir, args.rows, args.signature, _arguments(args.arg))
    elif args.text and _generates_text(args.export_dir):
        from serving.text_generation_client import generate_texts

        _fill(table, generate_texts(args.export_dir, args.text))
    elif args.text:
        from serving.client import predict_texts

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
        from serving.client import predict_files

        _fill(table, predict_files(args.export_dir, args.files))
    console().print(table)
    return EXIT_OK


def _generates_text(export_dir) -> bool:
    """Whether the export is a text generator's (prompts in, generations out)."""
    from serving.text_generation_client import takes_prompts

    return takes_prompts(export_dir)


def _rows_table(table, export_dir, csv_path, signature: str, arguments: dict[str, str]) -> None:
    """One table row per CSV row: its number and the export's per-row outputs; notes go to stderr."""
    from serving.rows_client import predict_rows

    _fill(table, predict_rows(export_dir, csv_path, note=lambda text: print(f"note: {text}", file=sys.stderr),
                              signature=signature, arguments=arguments))


def _arguments(pairs: list[str]) -> dict[str, str]:
    """--arg NAME=VALUE pairs as {name: value}.

    Example:
        >>> _arguments(["k=5"])
        {'k': '5'}
    """
    found = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise ValueError(f"--arg {pair}: give NAME=VALUE, e.g. --arg k=5")
        found[name] = value
    return found


def _fill(table, rows: list[dict]) -> None:
    """One column per key of the answers, one table row per answer."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    for column in columns:
        numeric = all(isinstance(row.get(column), (int, float)) for row in rows)
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(column)) for column in columns))


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)
