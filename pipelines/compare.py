"""`kpipe compare`: runs of an experiment side by side, from their MLflow records.

A comparison holds, per run, the params that differ between the runs, the chosen metric's
final value, the best value of its per-epoch curve (`best_val_accuracy` for val_accuracy or
test_accuracy), its test counterpart (test_accuracy for val_accuracy), the duration and the
export version. It renders as a rich table, CSV, JSON or Markdown;
`pipelines.compare_plots` draws it.

Example:
    >>> from mlflow import MlflowClient
    >>> client = MlflowClient("sqlite:///mlruns/mlflow.db")                      # doctest: +SKIP
    >>> comparison = compare_runs(client, find_runs(client, "digits"), "val_accuracy")  # doctest: +SKIP
    >>> print(render(comparison, "markdown"))                                     # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from pipelines import tags as tag
from pipelines.tracking import RUN_LEVEL_PREFIXES

IGNORED_PARAMS = frozenset({"training.work_dir", "tracking.run_name"})
"""Params that say where a run kept its files and what it was called, not what it trained."""

FORMATS = ("table", "csv", "json", "markdown")


def direction(metric: str) -> str:
    """Whether a metric is better high ('max') or low ('min', for losses and errors).

    Example:
        >>> direction("val_loss"), direction("test_accuracy")
        ('min', 'max')
    """
    return "min" if metric.endswith(("loss", "error")) else "max"


def per_epoch(metric: str) -> bool:
    """Whether a metric is logged every epoch (not once per run, like test_ metrics).

    Example:
        >>> per_epoch("val_accuracy"), per_epoch("test_accuracy")
        (True, False)
    """
    return not metric.startswith(RUN_LEVEL_PREFIXES)


def curve_metric(metric: str) -> str:
    """The per-epoch metric whose curve shows how `metric` came about (test_x -> val_x).

    Example:
        >>> curve_metric("test_accuracy"), curve_metric("val_loss")
        ('val_accuracy', 'val_loss')
    """
    return metric if per_epoch(metric) else "val_" + metric.split("_", 1)[1]


@dataclass
class RunRow:
    """One run as the comparison shows it."""

    run_id: str
    run_name: str
    status: str
    params: dict[str, str]
    metrics: dict[str, float]
    duration_s: float | None
    export_version: str | None
    history: dict[str, list[tuple[int, float]]] = field(default_factory=dict)


@dataclass
class Comparison:
    """Runs side by side: the params that vary between them and the metric columns."""

    metric: str
    mode: str
    rows: list[RunRow]
    varying: list[str]
    metric_columns: list[str]

    def records(self) -> list[dict]:
        """One JSON-ready mapping per run: params as MLflow holds them (strings), metrics as floats."""
        return [{
            "run_id": row.run_id,
            "run_name": row.run_name,
            "status": row.status,
            "params": {key: row.params.get(key) for key in self.varying},
            "metrics": {key: row.metrics.get(key) for key in self.metric_columns},
            "duration_s": row.duration_s,
            "export_version": row.export_version,
        } for row in self.rows]

    def columns(self) -> list[str]:
        """The flat column names of the table, CSV and Markdown forms."""
        return ["run_id", "run_name", "status", *self.varying, *self.metric_columns, "duration_s", "export_version"]

    def flat(self) -> list[list]:
        """One flat row of values per run, in `columns()` order."""
        return [[r["run_id"], r["run_name"], r["status"], *r["params"].values(), *r["metrics"].values(),
                 r["duration_s"], r["export_version"]] for r in self.records()]


def find_runs(client, experiment: str | None = None, run_ids: list[str] = ()) -> list:
    """The named runs, else every run of the experiment except sweep parents; ValueError naming what is missing.

    Example:
        >>> runs = find_runs(client, "digits")                              # doctest: +SKIP
        >>> runs = find_runs(client, run_ids=["4b9e...", "c01d..."])        # doctest: +SKIP
    """
    from mlflow.exceptions import MlflowException

    store = client.tracking_uri
    found = None
    if experiment is not None:
        found = client.get_experiment_by_name(experiment)
        if found is None:
            names = ", ".join(sorted(e.name for e in client.search_experiments())) or "none"
            raise ValueError(f"no experiment named {experiment!r} in {store} (experiments: {names})")
    if run_ids:
        runs = []
        for run_id in run_ids:
            try:
                run = client.get_run(run_id)
            except MlflowException:
                raise ValueError(f"no run {run_id!r} in {store}") from None
            if found is not None and run.info.experiment_id != found.experiment_id:
                raise ValueError(f"run {run_id!r} is not in experiment {experiment!r}")
            runs.append(run)
        return runs
    if found is None:
        raise ValueError("name an experiment (--experiment) or runs (--runs)")
    runs = [run for run in client.search_runs([found.experiment_id], max_results=50000,
                                              order_by=["attributes.start_time ASC"])
            if tag.SWEEP not in run.data.tags]
    if not runs:
        raise ValueError(f"experiment {experiment!r} has no runs to compare")
    return runs


def _history(client, run, keys: list[str]) -> dict[str, list[tuple[int, float]]]:
    return {key: sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, key))
            for key in keys if key in run.data.metrics}


def task_metric(runs: list) -> tuple[str, str]:
    """The validation metric and direction of the task the runs trained (their `kpipe.task` tag).

    Example:
        >>> task_metric([])
        ('val_loss', 'min')
    """
    from pipelines import components  # noqa: F401  (fills the registries)
    from pipelines import registry

    names = {run.data.tags.get(tag.TASK) for run in runs} & set(registry.tasks.names())
    if len(names) != 1:
        return "val_loss", "min"
    task = registry.tasks.get(names.pop()).build
    return f"val_{task.metric}", task.direction


def compare_runs(client, runs: list, metric: str | None = None, mode: str | None = None) -> Comparison:
    """The comparison of `runs` on `metric` (higher is better unless `mode` is 'min' or it is a loss).

    Without a metric, the runs' task's metric on the validation split (val_accuracy
    for classifiers), or val_loss when the runs trained several tasks.

    Example:
        >>> comparison = compare_runs(client, find_runs(client, "digits"), "val_accuracy")  # doctest: +SKIP
        >>> comparison.varying                                                           # doctest: +SKIP
        ['model.head.dropout', 'training.optimizer.learning_rate']
    """
    if metric is None:
        metric, task_mode = task_metric(runs)
        mode = mode or task_mode
    mode = mode or direction(metric)
    curve = curve_metric(metric)
    rows = []
    for run in runs:
        info, data = run.info, run.data
        history = _history(client, run, list(dict.fromkeys([curve, "val_loss", "loss"])))
        metrics = dict(data.metrics)
        if history.get(curve):
            values = [value for _, value in history[curve]]
            metrics[f"best_{curve}"] = max(values) if mode == "max" else min(values)
        rows.append(RunRow(
            run_id=info.run_id, run_name=info.run_name or "", status=info.status, params=dict(data.params),
            metrics=metrics, duration_s=(info.end_time - info.start_time) / 1000 if info.end_time else None,
            export_version=data.tags.get(tag.EXPORT_VERSION), history=history,
        ))
    with_params = [row for row in rows if row.params]
    keys = sorted({key for row in with_params for key in row.params} - IGNORED_PARAMS)
    varying = [key for key in keys if len({row.params.get(key) for row in with_params}) > 1]
    test = "test_" + metric.split("_", 1)[-1]
    candidates = [metric, f"best_{curve}", test]
    metric_columns = [key for key in dict.fromkeys(candidates) if key == metric or any(key in r.metrics for r in rows)]

    def order(row: RunRow):
        value = row.metrics.get(metric)
        return (value is None, 0 if value is None else (-value if mode == "max" else value))

    return Comparison(metric, mode, sorted(rows, key=order), varying, metric_columns)


def _cell(value) -> str:
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _short(keys: list[str]) -> list[str]:
    """The shortest distinct dotted suffix of each key, for narrow table headers."""
    for depth in range(1, max((key.count(".") + 1 for key in keys), default=1) + 1):
        short = [".".join(key.split(".")[-depth:]) for key in keys]
        if len(set(short)) == len(short):
            return short
    return keys


def render(comparison: Comparison, fmt: str) -> str:
    """The comparison as 'csv', 'json' or 'markdown' text; values exact in CSV and JSON.

    Example:
        >>> print(render(comparison, "csv"))                                # doctest: +SKIP
        run_id,run_name,status,model.head.dropout,test_accuracy,duration_s,export_version
        4b9e...,tiny-trial-000,FINISHED,0.1,0.9277777791023254,6.83,
    """
    if fmt == "json":
        return json.dumps(comparison.records(), indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(comparison.columns())
        writer.writerows([["" if v is None else v for v in row] for row in comparison.flat()])
        return out.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(comparison.columns()) + " |", "|" + "---|" * len(comparison.columns())]
        lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in comparison.flat()]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}")


def rich_table(comparison: Comparison, title: str = ""):
    """The comparison as a rich Table for a terminal (run ids cut to 8 characters, params to their last key)."""
    from rich.table import Table

    table = Table(title=title or f"runs by {comparison.metric} ({comparison.mode})", title_justify="left")
    columns = comparison.columns()
    columns[3:3 + len(comparison.varying)] = _short(comparison.varying)
    for column in columns:
        table.add_column(column, justify="right" if column not in ("run_id", "run_name", "status") else "left",
                         overflow="fold")
    for row in comparison.flat():
        table.add_row(row[0][:8], *(_cell(value) for value in row[1:]))
    return table
